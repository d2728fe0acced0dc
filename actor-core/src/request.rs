//! A message on its way to an actor: awaited, it is an ask; or it can be told.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use crate::actor::Actor;
use crate::actor_ref::RefCore;
use crate::error::{AskError, SendError, TrySendError};
use crate::mailbox::{Envelope, ReplyReceiver, Sending};

/// A message addressed to an actor, not sent yet.
///
/// Returned by the generated client methods (`account.deposit(5)`) and by
/// [`ActorRef::ask`](crate::ActorRef::ask). Choose how to send it:
///
/// - `.await` it: an ask, resolving with the typed reply, within the ask timeout (the
///   system's default unless [`timeout`](Self::timeout) sets one);
/// - [`tell`](Self::tell): fire and forget, waiting for mailbox space;
/// - [`try_tell`](Self::try_tell): fire and forget, never waiting.
///
/// Dropping it unsent sends nothing.
#[must_use = "a request does nothing until it is awaited, told or try-told"]
pub struct Request<'a, A: Actor, R> {
    target: &'a RefCore<A>,
    msg: A::Msg,
    extract: fn(A::Reply) -> R,
    timeout: Option<Duration>,
}

impl<'a, A: Actor, R> Request<'a, A, R> {
    /// A request of `msg` to `target`; `extract` turns the actor's reply enum into the
    /// reply this request resolves with. Generated client methods call this.
    pub fn new(target: &'a RefCore<A>, msg: A::Msg, extract: fn(A::Reply) -> R) -> Self {
        Request {
            target,
            msg,
            extract,
            timeout: None,
        }
    }

    /// Sets how long the ask may take, from the first poll to the reply, waiting for
    /// mailbox space included. Overrides the system's default ask timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The message this request carries.
    pub fn message(&self) -> &A::Msg {
        &self.msg
    }

    /// Sends the message without waiting for a reply (the reply is dropped), waiting for
    /// mailbox space if it is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if the actor no longer accepts messages.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not enqueued and is
    /// dropped.
    pub fn tell(self) -> Tell<'a, A> {
        self.target.tell(self.msg)
    }

    /// Sends the message without waiting for space or for a reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each with the message.
    pub fn try_tell(self) -> Result<(), TrySendError<A::Msg>> {
        self.target.try_send(self.msg)
    }
}

impl<A: Actor, R> fmt::Debug for Request<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("actor", &self.target.cell.id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a, A: Actor, R> IntoFuture for Request<'a, A, R> {
    type Output = Result<R, AskError<A::Msg>>;
    type IntoFuture = Ask<'a, A, R>;

    fn into_future(self) -> Ask<'a, A, R> {
        let timeout = self.timeout.unwrap_or(self.target.cell.ask_timeout);
        Ask {
            // Armed for real at the first poll, which is where the timeout counts from.
            deadline: tokio::time::sleep(timeout),
            timeout,
            state: AskState::Unsent {
                target: self.target,
                msg: self.msg,
            },
            extract: self.extract,
        }
    }
}

pin_project! {
    /// The future of a tell: resolves once the message is in the mailbox, or with a
    /// [`SendError`] that hands it back if the actor no longer accepts messages.
    ///
    /// Created by [`Request::tell`] and [`ActorRef::tell`](crate::ActorRef::tell). One
    /// small state machine, polled straight into the mailbox: a tell to a mailbox with
    /// space completes in its first poll.
    ///
    /// # Cancel safety
    ///
    /// If it is dropped before it completes, the message was not enqueued and is dropped.
    #[must_use = "futures do nothing unless polled"]
    pub struct Tell<'a, A: Actor> {
        target: &'a RefCore<A>,
        sending: Sending<'a, A>,
    }
}

impl<'a, A: Actor> Tell<'a, A> {
    pub(crate) fn new(target: &'a RefCore<A>, msg: A::Msg) -> Self {
        Tell {
            target,
            sending: Sending::new(&target.cell.mailbox, Envelope { msg, reply: None }),
        }
    }
}

impl<A: Actor> Future for Tell<'_, A> {
    type Output = Result<(), SendError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match ready!(this.sending.poll_send(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(envelope) => {
                this.target.cell.dead_letter(&envelope.msg);
                Poll::Ready(Err(SendError(envelope.msg)))
            }
        }
    }
}

impl<A: Actor> fmt::Debug for Tell<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tell")
            .field("actor", &self.target.cell.id)
            .field("done", &self.sending.is_done())
            .finish()
    }
}

enum AskState<'a, A: Actor> {
    Unsent {
        target: &'a RefCore<A>,
        msg: A::Msg,
    },
    /// Enqueuing: at once if there is space, or when the mailbox wakes this task to say
    /// there is. Costs no allocation either way; the reply slot is the ask's only one.
    WaitingForSpace {
        target: &'a RefCore<A>,
        sending: Sending<'a, A>,
        reply: ReplyReceiver<A>,
    },
    WaitingForReply {
        reply: ReplyReceiver<A>,
    },
    Done,
}

pin_project! {
    /// The future of an ask: resolves with the reply, or an [`AskError`] saying why not.
    ///
    /// Created by awaiting a [`Request`].
    ///
    /// # Cancel safety
    ///
    /// Dropping it before the message was enqueued drops the message; after, the actor
    /// still handles the message and its reply is discarded.
    #[must_use = "futures do nothing unless polled"]
    pub struct Ask<'a, A: Actor, R> {
        #[pin]
        deadline: Sleep,
        timeout: Duration,
        state: AskState<'a, A>,
        extract: fn(A::Reply) -> R,
    }
}

impl<A: Actor, R> Future for Ask<'_, A, R> {
    type Output = Result<R, AskError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match std::mem::replace(this.state, AskState::Done) {
                AskState::Unsent { target, msg } => {
                    let deadline = tokio::time::Instant::now() + *this.timeout;
                    this.deadline.as_mut().reset(deadline);
                    let (tx, rx) = oneshot::channel();
                    let envelope = Envelope {
                        msg,
                        reply: Some(tx),
                    };
                    *this.state = AskState::WaitingForSpace {
                        target,
                        sending: Sending::new(&target.cell.mailbox, envelope),
                        reply: rx,
                    };
                }
                AskState::WaitingForSpace {
                    target,
                    mut sending,
                    reply,
                } => match sending.poll_send(cx) {
                    Poll::Ready(Ok(())) => *this.state = AskState::WaitingForReply { reply },
                    Poll::Ready(Err(envelope)) => {
                        target.cell.dead_letter(&envelope.msg);
                        return Poll::Ready(Err(AskError::Closed(envelope.msg)));
                    }
                    Poll::Pending => {
                        if this.deadline.as_mut().poll(cx).is_ready() {
                            let envelope = sending
                                .abandon()
                                .expect("a send that is pending holds its envelope");
                            return Poll::Ready(Err(AskError::MailboxFull(envelope.msg)));
                        }
                        *this.state = AskState::WaitingForSpace {
                            target,
                            sending,
                            reply,
                        };
                        return Poll::Pending;
                    }
                },
                AskState::WaitingForReply { mut reply } => match Pin::new(&mut reply).poll(cx) {
                    Poll::Ready(Ok(Ok(value))) => return Poll::Ready(Ok((this.extract)(value))),
                    Poll::Ready(Ok(Err(failure))) => {
                        return Poll::Ready(Err(AskError::Failed(failure)));
                    }
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(AskError::Stopped)),
                    Poll::Pending => {
                        *this.state = AskState::WaitingForReply { reply };
                        ready!(this.deadline.as_mut().poll(cx));
                        *this.state = AskState::Done;
                        return Poll::Ready(Err(AskError::Timeout));
                    }
                },
                AskState::Done => panic!("`Ask` polled after it completed"),
            }
        }
    }
}
