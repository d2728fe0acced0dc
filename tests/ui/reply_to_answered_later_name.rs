use actor_core::prelude::*;

#[actor]
pub struct Cache;

#[actor]
impl Cache {
    #[message]
    pub fn answered_later(&mut self, reply: ReplyTo<u64>) {
        reply.send(1);
    }
}

fn main() {}
