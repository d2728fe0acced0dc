use actor_core::prelude::*;

#[actor]
pub struct Greeter;

#[actor]
impl Greeter {
    #[message]
    pub fn greet(&self, name: &str) -> String {
        format!("hello, {name}")
    }
}

fn main() {}
