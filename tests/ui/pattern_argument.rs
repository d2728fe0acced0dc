use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn add_both(&mut self, (a, b): (u32, u32)) -> u32 {
        self.count += a + b;
        self.count
    }
}

fn main() {}
