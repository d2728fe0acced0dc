//! [`Ask`]: a message sent and its reply awaited, within a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use crate::actor::Actor;
use crate::address::core::{Delivery, RefCore};
use crate::error::AskError;
use crate::mailbox::envelope::{
    reply_slot, Envelope, NoReply, Outcome, PendingReply, ReplyReceiver,
};

/// Where an ask is. A request starts `Unsent`, and stays so unless it is awaited.
enum AskState<A: Actor> {
    Unsent {
        core: RefCore<A>,
        msg: A::Msg,
    },
    /// Enqueuing: at once if there is space, or when the mailbox wakes this task to say
    /// there is. Costs no allocation either way; the reply slot is the ask's only one.
    WaitingForSpace {
        delivery: Delivery<A>,
        reply: ReplyReceiver<A>,
    },
    /// In the mailbox. The ref is dropped by now: the actor answers what it has queued
    /// even if every ref is gone.
    WaitingForReply {
        reply: ReplyReceiver<A>,
    },
    /// The actor forwarded the message: the reply comes from another actor.
    WaitingForForward {
        pending: Pin<Box<dyn PendingReply<A::Reply>>>,
    },
    Done,
}

pin_project! {
    /// The future of an ask: resolves with the reply, or an [`AskError`] saying why not.
    ///
    /// Created by awaiting a [`Request`](crate::Request), or by its
    /// [`send`](crate::Request::send). It owns a ref to the actor until the message is in
    /// the mailbox, so it is `'static`: spawn it, store it, join it.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before the message was enqueued drops the message; after, the actor
    /// still handles the message and its reply is discarded.
    #[must_use = "futures do nothing unless polled"]
    pub struct Ask<A: Actor, R> {
        #[pin]
        deadline: Option<Sleep>,
        timeout: Option<Duration>,
        state: AskState<A>,
        extract: fn(A::Reply) -> R,
    }
}

impl<A: Actor, R> Ask<A, R> {
    #[inline]
    pub(crate) fn new(
        core: RefCore<A>,
        msg: A::Msg,
        extract: fn(A::Reply) -> R,
        timeout: Option<Duration>,
    ) -> Self {
        Ask {
            // Armed at the first poll, which is where the timeout counts from, and where
            // nothing panics: a request may be made outside any runtime.
            deadline: None,
            timeout,
            state: AskState::Unsent { core, msg },
            extract,
        }
    }
}

impl<A: Actor, R> Future for Ask<A, R> {
    type Output = Result<R, AskError<A::Msg>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        poll_ask(this.state, this.deadline, *this.timeout, *this.extract, cx)
    }
}

impl<A: Actor, R> fmt::Debug for Ask<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            AskState::Unsent { .. } => "unsent",
            AskState::WaitingForSpace { .. } => "waiting for mailbox space",
            AskState::WaitingForReply { .. } => "waiting for the reply",
            AskState::WaitingForForward { .. } => "waiting for a forwarded reply",
            AskState::Done => "done",
        };
        f.debug_struct("Ask")
            .field("state", &state)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Polls the ask in `state` one step further; `deadline` is armed at the first poll.
fn poll_ask<A: Actor, R>(
    state: &mut AskState<A>,
    mut deadline: Pin<&mut Option<Sleep>>,
    timeout: Option<Duration>,
    extract: fn(A::Reply) -> R,
    cx: &mut Context<'_>,
) -> Poll<Result<R, AskError<A::Msg>>> {
    loop {
        match std::mem::replace(state, AskState::Done) {
            AskState::Unsent { core, msg } => {
                let target = core.target();
                let timeout = timeout.unwrap_or_else(|| target.ask_timeout());
                deadline.set(Some(target.clock().sleep(timeout)));
                let (slot, rx) = reply_slot::<A>();
                *state = AskState::WaitingForSpace {
                    delivery: Delivery::new(core, Envelope::ask(msg, slot)),
                    reply: rx,
                };
            }
            AskState::WaitingForSpace {
                mut delivery,
                reply,
            } => match delivery.poll(cx) {
                Poll::Ready(Ok(())) => *state = AskState::WaitingForReply { reply },
                Poll::Ready(Err(envelope)) => {
                    return Poll::Ready(Err(AskError::Closed(envelope.msg)));
                }
                Poll::Pending => {
                    if poll_deadline(deadline.as_mut(), cx).is_ready() {
                        let envelope = delivery
                            .abandon()
                            .expect("a send that is pending holds its envelope");
                        return Poll::Ready(Err(AskError::MailboxFull(envelope.msg)));
                    }
                    *state = AskState::WaitingForSpace { delivery, reply };
                    return Poll::Pending;
                }
            },
            AskState::WaitingForReply { mut reply } => match reply.poll_outcome(cx) {
                Poll::Ready(outcome) => match resolve::<A, R>(outcome, extract) {
                    Resolved::Done(result) => return Poll::Ready(result),
                    Resolved::Forwarded(pending) => {
                        *state = AskState::WaitingForForward { pending };
                    }
                },
                Poll::Pending => {
                    *state = AskState::WaitingForReply { reply };
                    ready!(poll_deadline(deadline.as_mut(), cx));
                    *state = AskState::Done;
                    return Poll::Ready(Err(AskError::Timeout));
                }
            },
            AskState::WaitingForForward { mut pending } => match pending.as_mut().poll_reply(cx) {
                Poll::Ready(outcome) => match resolve::<A, R>(outcome, extract) {
                    Resolved::Done(result) => return Poll::Ready(result),
                    Resolved::Forwarded(pending) => {
                        *state = AskState::WaitingForForward { pending };
                    }
                },
                Poll::Pending => {
                    *state = AskState::WaitingForForward { pending };
                    ready!(poll_deadline(deadline.as_mut(), cx));
                    *state = AskState::Done;
                    return Poll::Ready(Err(AskError::Timeout));
                }
            },
            AskState::Done => panic!("`Ask` polled after it completed"),
        }
    }
}

/// What a reply slot's outcome means for the ask.
enum Resolved<A: Actor, R> {
    Done(Result<R, AskError<A::Msg>>),
    Forwarded(Pin<Box<dyn PendingReply<A::Reply>>>),
}

#[inline]
fn resolve<A: Actor, R>(outcome: Outcome<A>, extract: fn(A::Reply) -> R) -> Resolved<A, R> {
    Resolved::Done(match outcome {
        Ok(value) => Ok(extract(value)),
        Err(NoReply::Failed(failure)) => Err(AskError::Failed(failure)),
        Err(NoReply::Stopped) => Err(AskError::Stopped),
        Err(NoReply::Dropped) => Err(AskError::NoReply),
        Err(NoReply::Forwarded(pending)) => return Resolved::Forwarded(pending),
    })
}

/// Polls an ask's deadline, armed at its first poll.
fn poll_deadline(deadline: Pin<&mut Option<Sleep>>, cx: &mut Context<'_>) -> Poll<()> {
    match deadline.as_pin_mut() {
        Some(sleep) => sleep.poll(cx),
        // Unreachable: the first poll arms it before anything waits.
        None => Poll::Pending,
    }
}
