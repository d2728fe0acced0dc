use actor_core::prelude::*;

#[actor]
pub struct Cache;

#[actor]
impl Cache {
    #[message]
    pub fn get(&mut self, key: u64, reply: ReplyTo<u64>) -> u64 {
        reply.send(key);
        key
    }
}

fn main() {}
