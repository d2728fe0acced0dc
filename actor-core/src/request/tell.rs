//! [`Tell`]: a message sent without waiting for its reply.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::actor::Actor;
use crate::address::core::{Delivery, RefCore};
use crate::error::SendError;
use crate::mailbox::envelope::Envelope;

/// The future of a tell: resolves once the message is in the mailbox, or with a
/// [`SendError`] that hands it back if the actor no longer accepts messages.
///
/// Created by [`Request::tell`](crate::Request::tell) and
/// [`ActorRef::tell`](crate::ActorRef::tell). One small state machine, polled straight into
/// the mailbox: a tell to a mailbox with space completes in its first poll. It owns a ref
/// to the actor, so it can be spawned or stored.
///
/// # Cancel safety
///
/// If it is dropped before it completes, the message was not enqueued and is dropped.
#[must_use = "futures do nothing unless polled"]
pub struct Tell<A: Actor> {
    delivery: Delivery<A>,
}

impl<A: Actor> Tell<A> {
    pub(crate) fn new(core: RefCore<A>, envelope: Envelope<A>) -> Self {
        Tell {
            delivery: Delivery::new(core, envelope),
        }
    }
}

// Nothing in a tell is pinned: the message moves into the mailbox by value.
impl<A: Actor> Unpin for Tell<A> {}

impl<A: Actor> Future for Tell<A> {
    type Output = Result<(), SendError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(self.get_mut().delivery.poll(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(envelope) => Poll::Ready(Err(SendError(envelope.msg))),
        }
    }
}

impl<A: Actor> fmt::Debug for Tell<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tell")
            .field("actor", &self.delivery.target().id())
            .field("done", &self.delivery.is_done())
            .finish()
    }
}
