use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(self: Box<Self>) -> u32 {
        self.count
    }
}

fn main() {}
