use actor_core::prelude::*;

#[actor(mailbox = 8, capacity = 16)]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
