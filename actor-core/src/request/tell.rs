//! [`Tell`]: a message sent without waiting for its reply.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use crate::actor::Actor;
use crate::address::core::{Delivery, RefCore};
use crate::error::SendError;
use crate::mailbox::envelope::Envelope;

pin_project! {
    /// The future of a tell: resolves once the message is in the mailbox, or with a
    /// [`SendError`] that hands it back if the actor no longer accepts messages.
    ///
    /// Created by [`Request::tell`](crate::Request::tell) and
    /// [`ActorRef::tell`](crate::ActorRef::tell). One small state machine, polled straight
    /// into the mailbox: a tell to a mailbox with space completes in its first poll.
    ///
    /// # Cancel safety
    ///
    /// If it is dropped before it completes, the message was not enqueued and is dropped.
    #[must_use = "futures do nothing unless polled"]
    pub struct Tell<'a, A: Actor> {
        delivery: Delivery<'a, A>,
    }
}

impl<'a, A: Actor> Tell<'a, A> {
    pub(crate) fn new(target: &'a RefCore<A>, msg: A::Msg) -> Self {
        Tell {
            delivery: target.target().deliver(Envelope { msg, reply: None }),
        }
    }
}

impl<A: Actor> Future for Tell<'_, A> {
    type Output = Result<(), SendError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match ready!(this.delivery.poll(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(envelope) => Poll::Ready(Err(SendError(envelope.msg))),
        }
    }
}

impl<A: Actor> fmt::Debug for Tell<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tell")
            .field("actor", &self.delivery.target_id())
            .field("done", &self.delivery.is_done())
            .finish()
    }
}
