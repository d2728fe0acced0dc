//! The stash: messages an actor puts aside to handle later, back in front of the mailbox,
//! in their order, when it unstashes.

use crate::actor::Actor;
use crate::mailbox::envelope::Envelope;

/// An actor's stash and the messages unstashed from it, which come before the mailbox.
pub(crate) struct Stash<A: Actor> {
    _actor: std::marker::PhantomData<fn() -> A>,
}

impl<A: Actor> Default for Stash<A> {
    fn default() -> Self {
        Stash {
            _actor: std::marker::PhantomData,
        }
    }
}

impl<A: Actor> Stash<A> {
    /// The next unstashed message, which comes before anything in the mailbox.
    pub(crate) fn next_unstashed(&mut self) -> Option<Envelope<A>> {
        None
    }

    /// The actor restarts: what is stashed goes back in front of the mailbox (Akka).
    pub(crate) fn restarting(&mut self) {}
}
