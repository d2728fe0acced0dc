//! [`ReplyTo`]: the reply slot of a message, taken by its handler to answer later.

use std::fmt;

use crate::actor::Actor;
use crate::mailbox::envelope::{NoReply, ReplySlot};

type Deliver<T> = Box<dyn FnOnce(Result<T, NoReply>) + Send + Sync>;

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
    deliver: Option<Deliver<T>>,
}

impl<T: Send + 'static> ReplyTo<T> {
    /// The slot `slot` of an actor's message, whose reply enum `wrap` builds from a `T`.
    pub(crate) fn from_slot<A: Actor>(slot: Option<ReplySlot<A>>, wrap: fn(T) -> A::Reply) -> Self {
        ReplyTo {
            deliver: slot.map(|slot| -> Deliver<T> {
                Box::new(move |outcome: Result<T, NoReply>| slot.send(outcome.map(wrap)))
            }),
        }
    }

    /// Answers the message. An asker that has gone (it timed out) is no error: the reply
    /// is dropped, as a handler's return value is.
    pub fn send(mut self, reply: T) {
        if let Some(deliver) = self.deliver.take() {
            deliver(Ok(reply));
        }
    }

    /// Whether someone waits for the reply: `false` for a tell.
    pub fn wants_reply(&self) -> bool {
        self.deliver.is_some()
    }

    /// This slot, as the reply slot of a message to the actor `B`, whose replies `extract`
    /// turns into a `T`: for a forward.
    pub(crate) fn into_slot<B: Actor>(
        mut self,
        extract: fn(B::Reply) -> T,
    ) -> Option<ReplySlot<B>> {
        let deliver = self.deliver.take()?;
        Some(ReplySlot::callback(move |outcome| {
            deliver(outcome.map(extract));
        }))
    }
}

impl<T> Drop for ReplyTo<T> {
    fn drop(&mut self) {
        if let Some(deliver) = self.deliver.take() {
            deliver(Err(NoReply::Dropped));
        }
    }
}

impl<T> fmt::Debug for ReplyTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("type", &std::any::type_name::<T>())
            .field("wants_reply", &self.deliver.is_some())
            .finish()
    }
}
