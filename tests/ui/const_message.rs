use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub const fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
