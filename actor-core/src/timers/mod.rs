//! Timers owned by an actor (Akka's `Timers`): keyed single and periodic timers, cancelled
//! on stop and on restart, whose messages are never delivered once cancelled or replaced;
//! the receive timeout; `send_after` on any ref.

use std::task::{Context as TaskContext, Poll};

use crate::actor::Actor;
use crate::error::Failure;
use crate::mailbox::envelope::Envelope;

/// An actor's timers. Lives in its context's toolbox, boxed on first use.
pub(crate) struct Timers<A: Actor> {
    _actor: std::marker::PhantomData<fn() -> A>,
}

impl<A: Actor> Default for Timers<A> {
    fn default() -> Self {
        Timers {
            _actor: std::marker::PhantomData,
        }
    }
}

impl<A: Actor> Timers<A> {
    /// A message of a timer that is due now (or the receive timeout's), registering the
    /// actor's task to be woken at the next deadline otherwise. An `Err` is the actor's
    /// failure: the closure that builds a timer's message panicked.
    pub(crate) fn poll_due(
        &mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Result<Envelope<A>, Failure>> {
        let _ = cx;
        Poll::Pending
    }

    /// A message was handled: the receive timeout starts again.
    pub(crate) fn message_handled(&mut self) {}

    /// Cancels every timer: the actor stops or restarts.
    pub(crate) fn cancel_all(&mut self) {}
}
