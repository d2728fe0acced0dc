use actor_core::prelude::*;

pub struct Counter {
    count: u32,
}

impl Counter {
    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
