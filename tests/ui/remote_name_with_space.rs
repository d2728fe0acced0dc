use actor_core::prelude::*;

#[actor]
pub struct Account {
    balance: u64,
}

#[actor(remote = "bank Account")]
impl Account {
    #[message]
    pub fn balance(&self) -> u64 {
        self.balance
    }
}

fn main() {}
