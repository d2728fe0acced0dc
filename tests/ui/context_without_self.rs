use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(&self, ctx: &mut Context) -> u32 {
        let _ = ctx;
        self.count
    }
}

fn main() {}
