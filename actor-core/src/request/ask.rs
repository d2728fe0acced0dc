//! [`Ask`]: a message sent and its reply awaited, within a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::actor::Actor;
use crate::address::core::{Delivery, RefCore};
use crate::clock::deadlines::Registration;
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
    /// On its way, and then in the mailbox: one state whose fields change in place, so
    /// that a poll moves nothing.
    Sent {
        /// Enqueuing at once if there is space, or when the mailbox wakes this task to say
        /// there is; costs no allocation either way. Kept once it is done for its ref: it
        /// reaches the system whose deadlines hold this ask's, without another reference
        /// count to the system.
        delivery: Delivery<A>,
        /// Whether the message is in the mailbox.
        enqueued: bool,
        reply: Awaiting<A>,
    },
    Done,
}

/// Where the reply comes from.
enum Awaiting<A: Actor> {
    /// The reply slot in the envelope: the ask's only allocation.
    Slot(ReplyReceiver<A>),
    /// The actor forwarded the message: the reply comes from another actor.
    Forward(Pin<Box<dyn PendingReply<A::Reply>>>),
}

impl<A: Actor> AskState<A> {
    /// The delivery, in the state that can hold a registered deadline.
    #[inline]
    fn delivery(&self) -> Option<&Delivery<A>> {
        match self {
            AskState::Sent { delivery, .. } => Some(delivery),
            AskState::Unsent { .. } | AskState::Done => None,
        }
    }
}

/// The future of an ask: resolves with the reply, or an [`AskError`] saying why not.
///
/// Created by awaiting a [`Request`](crate::Request), or by its
/// [`send`](crate::Request::send). It owns a ref to the actor until it resolves, so it is
/// `'static`: spawn it, store it, join it. It is [`Unpin`], so it can be polled in a
/// `select!` loop by `&mut` without pinning.
///
/// Its deadline does not arm a timer of its own: the asks of a system share one (a
/// deadline wheel with a sweeper task, as Akka's scheduler does), so an ask answered in
/// time costs no timer at all. It times out no earlier than its deadline, and on an idle
/// runtime within tokio's timer resolution (1 ms) after it.
///
/// # Cancel safety
///
/// Dropping it before the message was enqueued drops the message; after, the actor
/// still handles the message and its reply is discarded.
#[must_use = "futures do nothing unless polled"]
pub struct Ask<A: Actor, R> {
    /// Resolved from the target's default at the first poll, unless the request set it.
    timeout: Option<Duration>,
    /// Registered with the system's deadlines the first time the ask waits.
    deadline: Option<Registration>,
    state: AskState<A>,
    extract: fn(A::Reply) -> R,
}

// No field is pinned: the reply slot, the delivery and a forwarded reply's box move freely.
impl<A: Actor, R> Unpin for Ask<A, R> {}

impl<A: Actor, R> Ask<A, R> {
    #[inline]
    pub(crate) fn new(
        core: RefCore<A>,
        msg: A::Msg,
        extract: fn(A::Reply) -> R,
        timeout: Option<Duration>,
    ) -> Self {
        Ask {
            timeout,
            deadline: None,
            state: AskState::Unsent { core, msg },
            extract,
        }
    }
}

impl<A: Actor, R> Future for Ask<A, R> {
    type Output = Result<R, AskError<A::Msg>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = ready!(this.poll_ask(cx));
        this.release_deadline();
        this.state = AskState::Done;
        Poll::Ready(result)
    }
}

impl<A: Actor, R> Drop for Ask<A, R> {
    fn drop(&mut self) {
        self.release_deadline();
    }
}

impl<A: Actor, R> fmt::Debug for Ask<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            AskState::Unsent { .. } => "unsent",
            AskState::Sent {
                enqueued: false, ..
            } => "waiting for mailbox space",
            AskState::Sent {
                reply: Awaiting::Slot(_),
                ..
            } => "waiting for the reply",
            AskState::Sent {
                reply: Awaiting::Forward(_),
                ..
            } => "waiting for a forwarded reply",
            AskState::Done => "done",
        };
        f.debug_struct("Ask")
            .field("state", &state)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<A: Actor, R> Ask<A, R> {
    /// Polls the ask one step further. Leaves a deadline registered; the caller releases it.
    #[inline]
    fn poll_ask(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, AskError<A::Msg>>> {
        loop {
            match &mut self.state {
                AskState::Unsent { .. } => {
                    let AskState::Unsent { core, msg } =
                        std::mem::replace(&mut self.state, AskState::Done)
                    else {
                        unreachable!("matched just above")
                    };
                    if self.timeout.is_none() {
                        self.timeout = Some(core.target().ask_timeout());
                    }
                    let (slot, rx) = reply_slot::<A>();
                    self.state = AskState::Sent {
                        delivery: Delivery::new(core, Envelope::ask(msg, slot)),
                        enqueued: false,
                        reply: Awaiting::Slot(rx),
                    };
                }
                AskState::Sent {
                    delivery,
                    enqueued: enqueued @ false,
                    ..
                } => match delivery.poll_ask(cx, self.timeout.unwrap_or_default()) {
                    Poll::Ready(Ok(())) => *enqueued = true,
                    Poll::Ready(Err(envelope)) => {
                        return Poll::Ready(Err(AskError::Closed(envelope.msg)));
                    }
                    Poll::Pending => {
                        ready!(self.poll_deadline(cx));
                        let AskState::Sent { delivery, .. } =
                            std::mem::replace(&mut self.state, AskState::Done)
                        else {
                            unreachable!("matched just above")
                        };
                        let envelope = delivery
                            .abandon()
                            .expect("a send that is pending holds its envelope");
                        return Poll::Ready(Err(AskError::MailboxFull(envelope.msg)));
                    }
                },
                AskState::Sent { reply, .. } => {
                    let outcome = match reply {
                        Awaiting::Slot(slot) => slot.poll_outcome(cx),
                        Awaiting::Forward(pending) => pending.as_mut().poll_reply(cx),
                    };
                    match outcome {
                        Poll::Ready(outcome) => match resolve::<A, R>(outcome, self.extract) {
                            Resolved::Done(result) => return Poll::Ready(result),
                            Resolved::Forwarded(pending) => *reply = Awaiting::Forward(pending),
                        },
                        Poll::Pending => {
                            ready!(self.poll_deadline(cx));
                            return Poll::Ready(Err(AskError::Timeout));
                        }
                    }
                }
                AskState::Done => panic!("`Ask` polled after it completed"),
            }
        }
    }

    /// Polls the ask's deadline: registers it the first time the ask waits (where the
    /// timeout counts from: an ask answered at its first poll registers nothing), then
    /// checks it. `Ready` once it has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(delivery) = self.state.delivery() else {
            return Poll::Pending;
        };
        let events = delivery.target().events();
        match &mut self.deadline {
            Some(registration) => {
                let expired = events.deadlines().poll_expired(registration, cx);
                if expired.is_ready() {
                    self.deadline = None;
                }
                expired
            }
            None => {
                let timeout = self.timeout.unwrap_or_default();
                match events
                    .deadlines()
                    .register(events.clock(), timeout, cx.waker())
                {
                    Some(registration) => {
                        self.deadline = Some(registration);
                        Poll::Pending
                    }
                    None => Poll::Ready(()),
                }
            }
        }
    }

    /// Hands the deadline back to the wheel, which parks it for this task's next ask, if
    /// one is still registered: the ask has ended (answered, refused or dropped; a timed-out
    /// one has spent it).
    #[inline]
    fn release_deadline(&mut self) {
        if let Some(registration) = self.deadline.take() {
            if let Some(delivery) = self.state.delivery() {
                delivery.target().events().deadlines().release(registration);
            }
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
        Err(NoReply::Remote(err)) => Err(AskError::Remote(*err)),
        Err(NoReply::Forwarded(pending)) => return Resolved::Forwarded(pending),
    })
}
