use actor_core::prelude::*;

#[actor]
pub struct Greeter {
    greeting: String,
}

#[actor]
impl Greeter {
    #[message]
    pub fn greeting(&self) -> &str {
        &self.greeting
    }
}

fn main() {}
