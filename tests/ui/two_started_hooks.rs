use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[started]
    fn reset(&mut self) {
        self.count = 0;
    }

    #[started]
    fn announce(&mut self) {
        println!("started");
    }

    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
