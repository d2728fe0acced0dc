use actor_core::prelude::*;

#[actor]
pub fn counter() -> u32 {
    0
}

fn main() {}
