use actor_core::prelude::*;

#[actor]
pub struct Point {
    x: u32,
}

#[actor]
impl Point {
    #[message]
    pub fn get_x(&self) -> u32 {
        self.x
    }

    #[message]
    pub fn get_x_(&self) -> u32 {
        self.x
    }
}

fn main() {}
