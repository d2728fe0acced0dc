use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Default for Counter {
    fn default() -> Self {
        Counter { count: 0 }
    }
}

fn main() {}
