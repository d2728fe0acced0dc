//! An async actor with a context and lifecycle hooks: it asks another actor and awaits it.

use actor_core::prelude::*;

/// Keeps a running total.
#[derive(Debug)]
#[actor]
pub struct Ledger {
    total: i64,
}

#[actor]
impl Ledger {
    /// Records an entry and returns the new total.
    #[message]
    pub fn record(&mut self, amount: i64) -> i64 {
        self.total += amount;
        self.total
    }
}

/// Audits a ledger on request.
#[derive(Debug)]
#[actor]
pub struct Auditor {
    ledger: ActorRef<Ledger>,
    audits: u32,
}

#[actor]
impl Auditor {
    /// Asks the ledger for its total by recording nothing, and says who audited it.
    #[message]
    pub async fn audit(&mut self, ctx: &mut Context<Self>) -> String {
        self.audits += 1;
        let total = self.ledger.record(0).await.unwrap_or_default();
        format!("audit {} by {}: total {total}", self.audits, ctx.id())
    }

    /// Stops the auditor after this message.
    #[message]
    pub fn retire(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    /// Starts counting from zero, also after a restart.
    #[started]
    fn reset_count(&mut self, ctx: &mut Context<Self>) {
        self.audits = u32::from(ctx.name().is_some());
    }

    /// Records one last entry in the ledger before the auditor is gone.
    #[stopped]
    async fn sign_off(&mut self) {
        let _ = self.ledger.record(0).await;
    }
}

impl Ledger {
    /// A ledger whose total starts at `total`.
    #[must_use]
    pub fn starting_at(total: i64) -> Self {
        Ledger { total }
    }
}

impl Auditor {
    /// An auditor of `ledger`.
    #[must_use]
    pub fn of(ledger: ActorRef<Ledger>) -> Self {
        Auditor { ledger, audits: 0 }
    }
}
