use actor_core::prelude::*;

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
