use actor_core::prelude::*;

#[actor]
pub struct Account {
    balance: u64,
}

#[actor(remote = "bank.Account")]
impl Account {
    #[message]
    pub fn withdraw(&mut self, amount: u64) -> u64 {
        self.balance -= amount;
        self.balance
    }

    #[message(wire = "withdraw")]
    pub fn take_out(&mut self, amount: u64) -> u64 {
        self.balance -= amount;
        self.balance
    }
}

fn main() {}
