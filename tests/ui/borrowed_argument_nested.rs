use actor_core::prelude::*;

#[actor]
pub struct Greeter;

#[actor]
impl Greeter {
    #[message]
    pub fn greet_all(&self, names: Vec<&str>) -> String {
        names.join(", ")
    }
}

fn main() {}
