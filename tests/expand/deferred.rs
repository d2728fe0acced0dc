//! An actor that answers later: `get` keeps its reply slot until `put` answers it, and
//! `relay` forwards to another actor, which answers the original asker.

use actor_core::prelude::*;

/// Keeps the askers of a value until the value comes.
#[derive(Debug, Default)]
#[actor]
pub struct Pending {
    waiting: Vec<ReplyTo<u64>>,
}

#[actor]
impl Pending {
    /// The value, once someone puts it.
    #[message]
    pub fn get(&mut self, reply: ReplyTo<u64>) {
        self.waiting.push(reply);
    }

    /// Answers everyone waiting with `value`; returns how many were.
    #[message]
    pub fn put(&mut self, value: u64) -> usize {
        let waiting = self.waiting.len();
        for reply in self.waiting.drain(..) {
            reply.send(value);
        }
        waiting
    }

    /// Asks `other` for its value on behalf of whoever asked this actor.
    ///
    /// # Panics
    ///
    /// If `other` has stopped.
    #[message]
    pub async fn relay(&mut self, other: ActorRef<Pending>, reply: ReplyTo<u64>) {
        other
            .get()
            .forward(reply)
            .await
            .expect("the other actor is alive");
    }
}
