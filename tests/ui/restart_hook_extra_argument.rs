use actor_core::prelude::*;

#[actor]
pub struct Worker;

#[actor]
impl Worker {
    #[message]
    pub fn ping(&self) {}

    #[pre_restart]
    fn save(&mut self, ctx: &mut Context<Self>, reason: String) {
        let _ = (ctx.id(), reason);
    }

    #[post_restart]
    fn resume(&self, failure: &Failure, again: &Failure) {
        let _ = (failure, again);
    }
}

fn main() {}
