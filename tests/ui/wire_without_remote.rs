use actor_core::prelude::*;

#[actor]
pub struct Account {
    balance: u64,
}

#[actor]
impl Account {
    #[message(wire = "deposit_v1")]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }
}

fn main() {}
