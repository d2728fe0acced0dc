//! A simple actor: sync handlers, `&self` and `&mut self`, a `Result` reply, a unit reply.

use actor_core::prelude::*;

/// Returned when a withdrawal exceeds the balance.
#[derive(Debug, PartialEq, Eq)]
pub struct Overdrawn {
    /// The balance at the time of the withdrawal.
    pub balance: u64,
}

/// A bank account.
#[derive(Debug)]
#[actor(mailbox = 64)]
pub struct Account {
    balance: u64,
}

#[actor]
impl Account {
    /// Adds `amount` and returns the new balance.
    #[message]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    /// Takes `amount` out, unless that would overdraw the account.
    ///
    /// # Errors
    ///
    /// [`Overdrawn`] if `amount` is more than the balance.
    #[message]
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, Overdrawn> {
        if amount > self.balance {
            return Err(Overdrawn {
                balance: self.balance,
            });
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    /// The current balance.
    #[message]
    #[must_use]
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Empties the account.
    #[message]
    pub fn close(&mut self) {
        self.balance = 0;
    }
}

impl Account {
    /// An empty account.
    #[must_use]
    pub fn default_for_tests() -> Self {
        Account { balance: 0 }
    }
}
