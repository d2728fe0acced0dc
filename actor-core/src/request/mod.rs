//! A message on its way to an actor: a [`Request`], sent as a [`tell`](tell::Tell) or, when
//! awaited, an [`ask`](ask::Ask) whose reply comes back through the envelope's reply slot;
//! and the methods of [`ActorRef`] that send.
//!
//! The way of a tell: the generated client method builds a `Request`; `tell` turns it into
//! a [`Tell`](tell::Tell), which polls a delivery from the ref's target (`address::core`)
//! straight into the mailbox (`mailbox::queue`).

pub(crate) mod ask;
pub(crate) mod tell;

use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::actor_ref::ActorRef;
use crate::address::core::RefCore;
use crate::error::{AskError, TrySendError};
use crate::mailbox::envelope::Envelope;
use crate::request::ask::Ask;
use crate::request::tell::Tell;

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
    core: &'a RefCore<A>,
    msg: A::Msg,
    extract: fn(A::Reply) -> R,
    timeout: Option<Duration>,
}

impl<'a, A: Actor, R> Request<'a, A, R> {
    /// A request of `msg` to the actor `core` reaches; `extract` turns the actor's reply enum into the
    /// reply this request resolves with. Generated client methods call this.
    #[doc(hidden)]
    pub fn new(core: &'a RefCore<A>, msg: A::Msg, extract: fn(A::Reply) -> R) -> Self {
        Request {
            core,
            msg,
            extract,
            timeout: None,
        }
    }

    /// Sets how long the ask may take, from the first poll to the reply, waiting for
    /// mailbox space included. Overrides the system's default ask timeout. A timeout too
    /// long to add to the clock (`Duration::MAX`) is a deadline decades away.
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
    /// [`SendError`](crate::SendError) with the message if the actor no longer accepts
    /// messages.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not enqueued and is
    /// dropped.
    pub fn tell(self) -> Tell<'a, A> {
        Tell::new(self.core, self.msg)
    }

    /// Sends the message without waiting for space or for a reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each with the message.
    pub fn try_tell(self) -> Result<(), TrySendError<A::Msg>> {
        try_tell(self.core, self.msg)
    }
}

/// Sends `msg` through `core` without waiting, neither for space nor for a reply.
fn try_tell<A: Actor>(core: &RefCore<A>, msg: A::Msg) -> Result<(), TrySendError<A::Msg>> {
    core.target().try_deliver(Envelope { msg, reply: None })
}

impl<A: Actor, R> fmt::Debug for Request<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("actor", &self.core.target().id())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a, A: Actor, R> IntoFuture for Request<'a, A, R> {
    type Output = Result<R, AskError<A::Msg>>;
    type IntoFuture = Ask<'a, A, R>;

    fn into_future(self) -> Ask<'a, A, R> {
        let target = self.core.target();
        let timeout = self.timeout.unwrap_or_else(|| target.ask_timeout());
        Ask::new(target, self.msg, self.extract, timeout)
    }
}

/// The methods of [`ActorRef`] that send, beside the requests they build.
impl<A: Actor> ActorRef<A> {
    /// Sends a message without waiting for its reply, waiting for mailbox space if the
    /// mailbox is full.
    ///
    /// # Errors
    ///
    /// [`SendError`](crate::SendError) with the message if the actor no longer accepts messages.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not enqueued and is
    /// dropped.
    pub fn tell(&self, msg: A::Msg) -> Tell<'_, A> {
        Tell::new(self.core(), msg)
    }

    /// Sends a message without waiting, neither for space nor for the reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] with the message if the mailbox is full,
    /// [`TrySendError::Closed`] with the message if the actor no longer accepts messages.
    pub fn try_tell(&self, msg: A::Msg) -> Result<(), TrySendError<A::Msg>> {
        try_tell(self.core(), msg)
    }

    /// Sends a message and returns a [`Request`] that, awaited, resolves with the reply.
    ///
    /// The generated client methods (`account.deposit(5)`) are the typed form of this:
    /// they build the message and unwrap the reply for you.
    pub fn ask(&self, msg: A::Msg) -> Request<'_, A, A::Reply> {
        Request::new(self.core(), msg, std::convert::identity)
    }
}
