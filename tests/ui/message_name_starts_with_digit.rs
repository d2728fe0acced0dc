use actor_core::prelude::*;

#[actor]
pub struct Steps;

#[actor]
impl Steps {
    #[message]
    pub fn _1(&self) {}

    #[message]
    pub fn __2nd(&self) {}

    #[message]
    pub fn step_1(&self) {}
}

fn main() {}
