use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor(supervisor = restart)]
impl Counter {
    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
