use actor_core::prelude::*;

#[actor]
pub struct Logger;

#[actor]
impl Logger {
    #[message]
    pub fn log<T: std::fmt::Display>(&self, value: T) {
        println!("{value}");
    }
}

fn main() {}
