use actor_core::prelude::*;

#[actor]
pub struct Machine {
    running: bool,
}

#[actor]
impl Machine {
    #[message]
    pub fn stop(&mut self) {
        self.running = false;
    }
}

fn main() {}
