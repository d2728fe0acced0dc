use actor_core::prelude::*;

#[actor]
pub struct Logger;

#[actor]
impl Logger {
    #[message]
    pub fn log(&self, line: String) {
        println!("{line}");
    }
}

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(&self, ctx: &mut Context<Logger>) -> u32 {
        let _ = ctx.id();
        self.count
    }
}

fn main() {}
