use actor_core::prelude::*;

#[actor]
pub struct Logger;

#[actor]
impl Logger {
    #[message]
    pub fn log(&self, value: impl std::fmt::Display) {
        println!("{value}");
    }
}

fn main() {}
