use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[started]
    fn on_start(&mut self, ctx: &mut Context<Self>, initial: u32) {
        let _ = ctx.id();
        self.count = initial;
    }

    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
