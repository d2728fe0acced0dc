// A `#[terminated]` hook exists to receive the death-watch signal, so it must take one.
use actor_core::prelude::*;

#[actor]
pub struct Watcher;

#[actor]
impl Watcher {
    #[terminated]
    fn on_terminated(&mut self) {}
}

fn main() {}
