//! [`ReplyTo`]: the reply slot of a message, taken by its handler to answer later.

use std::fmt;

use crate::actor::Actor;
use crate::mailbox::envelope::{NoReply, PendingReply, ReplySlot};

/// The reply slot of the message being handled, taken to answer it later (a deferred
/// reply): keep it in the actor's state or move it into a task, go on handling other
/// messages, and [`send`](Self::send) the reply when it is ready.
///
/// A `#[message]` method receives one by declaring a `reply: ReplyTo<T>` argument (and
/// returning nothing); its callers still see a request that resolves with a `T`. An ask
/// never hangs on it: dropping it unanswered resolves the ask at once with
/// [`AskError::NoReply`](crate::AskError::NoReply), and the ask's own timeout still
/// applies. For a tell there is no one to answer: the slot is empty,
/// [`wants_reply`](Self::wants_reply) says `false`, and sending is a no-op.
///
/// It can also be handed to another actor's request with
/// [`Request::forward`](crate::Request::forward), so that the other actor answers the
/// original asker (Akka's `Forward`).
///
/// Taking the slot costs one allocation beside the ask's own.
pub struct ReplyTo<T> {
    slot: Option<Box<dyn ErasedSlot<T>>>,
}

/// An actor's reply slot, its actor type erased: what is left is the reply type `T`.
trait ErasedSlot<T>: Send + Sync {
    fn resolve(self: Box<Self>, outcome: Result<T, NoReply<T>>);
}

/// The slot of an actor `A`'s message, with the variant of `A`'s reply enum that a `T` is.
struct TypedSlot<A: Actor, T> {
    slot: ReplySlot<A>,
    wrap: fn(T) -> A::Reply,
}

impl<A: Actor, T: Send + 'static> ErasedSlot<T> for TypedSlot<A, T> {
    fn resolve(self: Box<Self>, outcome: Result<T, NoReply<T>>) {
        let outcome = match outcome {
            Ok(reply) => Ok((self.wrap)(reply)),
            Err(no_reply) => Err(no_reply.map(self.wrap)),
        };
        self.slot.send(outcome);
    }
}

impl<T: Send + 'static> ReplyTo<T> {
    /// The slot `slot` of an actor's message, whose reply enum `wrap` builds from a `T`.
    pub(crate) fn from_slot<A: Actor>(slot: Option<ReplySlot<A>>, wrap: fn(T) -> A::Reply) -> Self {
        ReplyTo {
            slot: slot.map(|slot| Box::new(TypedSlot { slot, wrap }) as Box<dyn ErasedSlot<T>>),
        }
    }

    /// Answers the message. An asker that has gone (it timed out) is no error: the reply
    /// is dropped, as a handler's return value is.
    pub fn send(mut self, reply: T) {
        if let Some(slot) = self.slot.take() {
            slot.resolve(Ok(reply));
        }
    }

    /// Whether someone waits for the reply: `false` for a tell.
    pub fn wants_reply(&self) -> bool {
        self.slot.is_some()
    }

    /// Tells the asker that the reply will come from `pending`: for a forward. `None` if
    /// no one waits for a reply.
    pub(crate) fn redirect(mut self, pending: impl PendingReply<T> + 'static) -> Option<()> {
        let slot = self.slot.take()?;
        slot.resolve(Err(NoReply::Forwarded(Box::pin(pending))));
        Some(())
    }
}

impl<T> Drop for ReplyTo<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.resolve(Err(NoReply::Dropped));
        }
    }
}

impl<T> fmt::Debug for ReplyTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("type", &std::any::type_name::<T>())
            .field("wants_reply", &self.slot.is_some())
            .finish()
    }
}
