use actor_core::prelude::*;

#[actor]
pub struct Mirror;

#[actor]
impl Mirror {
    #[message]
    pub fn self_(&self) {}
}

fn main() {}
