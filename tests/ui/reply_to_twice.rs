use actor_core::prelude::*;

#[actor]
pub struct Cache;

#[actor]
impl Cache {
    #[message]
    pub fn get(&mut self, first: ReplyTo<u64>, second: ReplyTo<u64>) {
        first.send(1);
        second.send(2);
    }
}

fn main() {}
