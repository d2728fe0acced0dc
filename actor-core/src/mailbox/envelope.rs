//! [`Envelope`]: a message as it waits in a mailbox, with the slot its reply goes to.
//!
//! The reply slot lives here, not in the message enum, so messages stay pure data. Dropped
//! unanswered (the actor stopped first), it tells the asker at once, so an ask never waits
//! for a reply that cannot come.
//!
//! A slot is one word, a oneshot sender, so that an envelope is the message plus one word:
//! an idle mailbox keeps room for a few. A reply that comes from elsewhere (a forward) is
//! not a second kind of slot but an answer of its own: "the reply will come from there"
//! ([`NoReply::Forwarded`]), which the asker then awaits itself, with no task in between.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::error::{Failure, RemoteError};

/// A message and, for an ask, the slot its reply goes to: what an actor's mailbox holds.
pub(crate) struct Envelope<A: Actor> {
    pub(crate) msg: A::Msg,
    pub(crate) reply: Option<ReplySlot<A>>,
}

impl<A: Actor> Envelope<A> {
    /// A message that expects no reply.
    #[inline]
    pub(crate) fn tell(msg: A::Msg) -> Self {
        Envelope { msg, reply: None }
    }

    /// A message whose reply goes to `reply`.
    #[inline]
    pub(crate) fn ask(msg: A::Msg, reply: ReplySlot<A>) -> Self {
        Envelope {
            msg,
            reply: Some(reply),
        }
    }
}

/// Why a reply slot resolved without a reply, or where the reply will come from instead.
pub(crate) enum NoReply<R> {
    /// The handler failed while handling the message.
    Failed(Failure),
    /// The actor that was to answer stopped first.
    Stopped,
    /// The handler took the slot to answer later and dropped it unanswered.
    Dropped,
    /// The handler forwarded the message: the reply comes from this, which the asker awaits.
    Forwarded(Pin<Box<dyn PendingReply<R>>>),
    /// The actor is on another node, and what happened there or on the way means no reply.
    /// Boxed: rare, and it would make every reply slot's outcome larger.
    Remote(Box<RemoteError>),
}

impl<R> NoReply<R> {
    /// A remote failure, boxed.
    pub(crate) fn remote(err: RemoteError) -> Self {
        NoReply::Remote(Box::new(err))
    }

    /// The same outcome for a reply that `map` turns into a `T`.
    pub(crate) fn map<T: 'static>(self, map: fn(R) -> T) -> NoReply<T>
    where
        R: 'static,
    {
        match self {
            NoReply::Failed(failure) => NoReply::Failed(failure),
            NoReply::Stopped => NoReply::Stopped,
            NoReply::Dropped => NoReply::Dropped,
            NoReply::Remote(err) => NoReply::Remote(err),
            NoReply::Forwarded(pending) => NoReply::Forwarded(Box::pin(MapReply {
                inner: pending,
                map,
            })),
        }
    }
}

/// A reply on its way from somewhere else: what a forward hands the asker.
pub(crate) trait PendingReply<R>: Send + Sync {
    /// The reply, or why there is none (possibly: it was forwarded again).
    fn poll_reply(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R, NoReply<R>>>;
}

/// What a reply slot resolves with.
pub(crate) type Outcome<A> = Result<<A as Actor>::Reply, NoReply<<A as Actor>::Reply>>;

/// Where the reply to a message goes.
pub(crate) struct ReplySlot<A: Actor>(oneshot::Sender<Outcome<A>>);

impl<A: Actor> ReplySlot<A> {
    /// Resolves the slot. An asker that has gone (it timed out) is no error.
    #[inline]
    pub(crate) fn send(self, outcome: Outcome<A>) {
        let _ = self.0.send(outcome);
    }
}

impl<A: Actor> fmt::Debug for ReplySlot<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplySlot")
    }
}

/// The asker's end of a reply slot; a dropped slot reads as [`NoReply::Stopped`].
pub(crate) struct ReplyReceiver<A: Actor>(oneshot::Receiver<Outcome<A>>);

impl<A: Actor> ReplyReceiver<A> {
    /// The actor's answer, or why there is none.
    #[inline]
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Outcome<A>> {
        match ready!(Pin::new(&mut self.0).poll(cx)) {
            Ok(outcome) => Poll::Ready(outcome),
            Err(_) => Poll::Ready(Err(NoReply::Stopped)),
        }
    }
}

/// A new reply slot: the actor's end, for the envelope, and the asker's.
pub(crate) fn reply_slot<A: Actor>() -> (ReplySlot<A>, ReplyReceiver<A>) {
    let (tx, rx) = oneshot::channel();
    (ReplySlot(tx), ReplyReceiver(rx))
}

/// The reply of an actor `B`'s message, turned into the `T` that someone else was asked for.
pub(crate) struct ReceiveFrom<B: Actor, T> {
    pub(crate) receiver: ReplyReceiver<B>,
    pub(crate) extract: fn(B::Reply) -> T,
}

impl<B: Actor, T: Send + 'static> PendingReply<T> for ReceiveFrom<B, T> {
    fn poll_reply(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, NoReply<T>>> {
        let this = self.get_mut();
        Poll::Ready(match ready!(this.receiver.poll_outcome(cx)) {
            Ok(reply) => Ok((this.extract)(reply)),
            Err(no_reply) => Err(no_reply.map(this.extract)),
        })
    }
}

/// A pending reply whose value `map` turns into another type.
struct MapReply<R, T> {
    inner: Pin<Box<dyn PendingReply<R>>>,
    map: fn(R) -> T,
}

impl<R: 'static, T: 'static> PendingReply<T> for MapReply<R, T> {
    fn poll_reply(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, NoReply<T>>> {
        let this = self.get_mut();
        Poll::Ready(match ready!(this.inner.as_mut().poll_reply(cx)) {
            Ok(reply) => Ok((this.map)(reply)),
            Err(no_reply) => Err(no_reply.map(this.map)),
        })
    }
}
