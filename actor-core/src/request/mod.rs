//! A message on its way to an actor: a [`Request`], sent as a [`tell`](tell::Tell) or, when
//! awaited, an [`ask`](ask::Ask) whose reply comes back through the envelope's reply slot; the reply
//! slot a handler keeps to answer later ([`ReplyTo`](reply::ReplyTo)); and the methods of
//! [`ActorRef`] that send.
//!
//! The way of a tell: the generated client method builds a `Request`; `tell` turns it into
//! a [`Tell`](tell::Tell), which polls a delivery from the ref's target (`address::core`)
//! straight into the mailbox (`mailbox::queue`).

pub(crate) mod ask;
pub(crate) mod reply;
pub(crate) mod tell;

use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::actor_ref::ActorRef;
use crate::address::core::RefCore;
use crate::error::{AskError, TrySendError};
use crate::mailbox::envelope::{reply_slot, Envelope, ReceiveFrom};
use crate::request::ask::Ask;
use crate::request::reply::ReplyTo;
use crate::request::tell::Tell;

/// A message addressed to an actor, not sent yet.
///
/// Returned by the generated client methods (`account.deposit(5)`) and by
/// [`ActorRef::ask`](crate::ActorRef::ask). Choose how to send it:
///
/// - `.await` it: an ask, resolving with the typed reply, within the ask timeout (the
///   system's default unless [`timeout`](Self::timeout) sets one);
/// - [`send`](Self::send): the same ask as a named [`Ask`] future, to spawn, store or join;
/// - [`tell`](Self::tell): fire and forget, waiting for mailbox space;
/// - [`try_tell`](Self::try_tell): fire and forget, never waiting;
/// - [`forward`](Self::forward): send it on behalf of the asker of the message being
///   handled, who gets the reply.
///
/// It owns a ref to the actor, so it is `'static` and keeps the actor alive until it is
/// sent: it can be stored, moved into a task, or spawned as an ask.
///
/// ```
/// # use actor_core::prelude::*;
/// # #[actor] struct Counter { n: u64 }
/// # #[actor] impl Counter { #[message] fn add(&mut self, k: u64) -> u64 { self.n += k; self.n } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let system = ActorSystem::new();
/// let counter = system.spawn(Counter { n: 0 }).unwrap();
/// let spawned = tokio::spawn(counter.add(1).send());
/// let joined = futures::future::join_all((0..3).map(|_| counter.add(1).send())).await;
/// assert_eq!(joined.len(), 3);
/// assert!(spawned.await.unwrap().unwrap() >= 1);
/// # }
/// ```
///
/// It is [`IntoFuture`] rather than a future itself because a future would carry the ask's
/// deadline timer from the start, and every tell would move that weight around: measured
/// with callgrind, 487 instructions per tell against 448 this way (and 446 before requests
/// owned their ref). Dropping it unsent sends nothing.
#[must_use = "a request does nothing until it is awaited, sent, told or try-told"]
pub struct Request<A: Actor, R> {
    core: RefCore<A>,
    msg: A::Msg,
    extract: fn(A::Reply) -> R,
    timeout: Option<Duration>,
}

impl<A: Actor, R> Request<A, R> {
    /// A request of `msg` to the actor `core` reaches; `extract` turns the actor's reply
    /// enum into the reply this request resolves with. Generated client methods call this.
    #[doc(hidden)]
    #[inline]
    pub fn new(core: &RefCore<A>, msg: A::Msg, extract: fn(A::Reply) -> R) -> Self {
        Request {
            core: core.clone(),
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

    /// Sends it as an ask: the future that `.await` on the request also gives, named, so
    /// it can be spawned (`tokio::spawn(account.deposit(5).send())`), stored or joined.
    /// The timeout counts from its first poll.
    #[inline]
    pub fn send(self) -> Ask<A, R> {
        Ask::new(self.core, self.msg, self.extract, self.timeout)
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
    pub fn tell(self) -> Tell<A> {
        Tell::new(self.core, Envelope::tell(self.msg))
    }

    /// Sends the message without waiting for space or for a reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each with the message.
    pub fn try_tell(self) -> Result<(), TrySendError<A::Msg>> {
        self.core.target().try_deliver(Envelope::tell(self.msg))
    }

    /// Sends the message so that its reply goes to `reply_to`, the reply slot of a message
    /// this actor is handling (Akka's `Forward`): the original asker gets the other actor's
    /// answer, and this actor goes on at once. The reply types must match, so the compiler
    /// checks the forward.
    ///
    /// The send waits for mailbox space like a [`tell`](Self::tell). If the other actor
    /// refuses the message or stops before it answers, the original asker gets
    /// [`AskError::Stopped`]; if its handler fails, [`AskError::Failed`]; an ask timeout set
    /// on this request is ignored (the original ask's deadline is the one that counts).
    /// Forwarding costs one allocation beside the new reply slot.
    ///
    /// # Errors
    ///
    /// [`SendError`](crate::SendError) with the message if the actor no longer accepts
    /// messages; the asker has been told [`AskError::Stopped`] already.
    pub fn forward(self, reply_to: ReplyTo<R>) -> Tell<A>
    where
        R: Send + 'static,
    {
        if !reply_to.wants_reply() {
            // Forwarding a tell: no one waits for the reply.
            return Tell::new(self.core, Envelope::tell(self.msg));
        }
        let (slot, receiver) = reply_slot::<A>();
        let _ = reply_to.redirect(ReceiveFrom {
            receiver,
            extract: self.extract,
        });
        Tell::new(self.core, Envelope::ask(self.msg, slot))
    }
}

impl<A: Actor, R> IntoFuture for Request<A, R> {
    type Output = Result<R, AskError<A::Msg>>;
    type IntoFuture = Ask<A, R>;

    #[inline]
    fn into_future(self) -> Ask<A, R> {
        self.send()
    }
}

impl<A: Actor, R> fmt::Debug for Request<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("actor", &self.core.target().id())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
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
    pub fn tell(&self, msg: A::Msg) -> Tell<A> {
        Tell::new(self.core().clone(), Envelope::tell(msg))
    }

    /// Sends a message without waiting, neither for space nor for the reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] with the message if the mailbox is full,
    /// [`TrySendError::Closed`] with the message if the actor no longer accepts messages.
    pub fn try_tell(&self, msg: A::Msg) -> Result<(), TrySendError<A::Msg>> {
        self.target().try_deliver(Envelope::tell(msg))
    }

    /// Sends a message and returns a [`Request`] that, awaited, resolves with the reply.
    ///
    /// The generated client methods (`account.deposit(5)`) are the typed form of this:
    /// they build the message and unwrap the reply for you.
    pub fn ask(&self, msg: A::Msg) -> Request<A, A::Reply> {
        Request::new(self.core(), msg, std::convert::identity)
    }
}
