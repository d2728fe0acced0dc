use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(&self, ctx: &Context<Self>) -> u32 {
        let _ = ctx.id();
        self.count
    }
}

fn main() {}
