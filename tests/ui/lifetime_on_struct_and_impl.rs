use actor_core::prelude::*;

#[actor]
pub struct Greeter<'a> {
    greeting: &'a str,
}

#[actor]
impl<'a> Greeter<'a> {
    #[message]
    pub fn greet(&self, name: String) -> String {
        format!("{}, {name}", self.greeting)
    }
}

fn main() {}
