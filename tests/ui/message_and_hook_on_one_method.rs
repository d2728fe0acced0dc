use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    #[started]
    pub fn reset(&mut self) {
        self.count = 0;
    }
}

fn main() {}
