// `fail_on_err` fails the actor on an `Err` reply, so the handler must return a `Result`.
use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message(fail_on_err)]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
