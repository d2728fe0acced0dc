//! A remote-capable actor: `#[actor(remote = "bank.Account")]` gives it a stable name on the
//! wire, and each message an id derived from that name and its own (`deposit` is pinned to
//! `deposit_v1`).

use actor_core::prelude::*;

/// Returned when a withdrawal exceeds the balance; it crosses the wire, so it derives serde.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overdrawn {
    /// The balance at the time of the withdrawal.
    pub balance: u64,
}

/// A bank account that peers can reach.
#[derive(Debug, Default)]
#[actor]
pub struct Account {
    balance: u64,
    /// Who asked for the next statement, until the month closes.
    waiting: Vec<ReplyTo<String>>,
}

#[actor(remote = "bank.Account")]
impl Account {
    /// Adds `amount` and returns the new balance.
    #[message(wire = "deposit_v1")]
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

    /// Moves `amount` to the account named `to`; returns the balance left.
    #[message]
    pub fn transfer(&mut self, to: String, amount: u64) -> u64 {
        let _ = to;
        self.balance = self.balance.saturating_sub(amount);
        self.balance
    }

    /// Empties the account.
    #[message]
    pub fn close(&mut self) {
        self.balance = 0;
    }

    /// The statement of the month, once `close_month` is sent.
    #[message]
    pub fn statement(&mut self, reply: ReplyTo<String>) {
        self.waiting.push(reply);
    }

    /// Sends the statement to everyone waiting; returns how many were.
    #[message]
    pub fn close_month(&mut self) -> usize {
        let statement = format!("balance {}", self.balance);
        let waiting = self.waiting.len();
        for reply in self.waiting.drain(..) {
            reply.send(statement.clone());
        }
        waiting
    }

    /// The path of the actor that keeps this account, once the audit trail is written.
    #[message]
    pub async fn audit(&mut self, ctx: &mut Context<Self>) -> String {
        std::future::ready(()).await;
        ctx.path().to_owned()
    }
}
