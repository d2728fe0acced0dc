use actor_core::prelude::*;

#[actor(remote = "bank.Account")]
pub struct Account {
    balance: u64,
}

#[actor]
impl Account {
    #[message]
    pub fn balance(&self) -> u64 {
        self.balance
    }
}

fn main() {}
