use actor_core::prelude::*;

#[actor]
pub struct Cache;

#[actor]
impl Cache {
    #[message(fail_on_err)]
    pub fn get(&mut self, reply: ReplyTo<Result<u64, String>>) {
        reply.send(Ok(1));
    }
}

fn main() {}
