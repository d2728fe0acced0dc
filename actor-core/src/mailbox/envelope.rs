//! [`Envelope`]: a message as it waits in a mailbox, with the slot its reply goes to.
//!
//! The reply slot lives here, not in the message enum, so messages stay pure data. Dropped
//! unanswered (the actor stopped first), it tells the asker at once, so an ask never waits
//! for a reply that cannot come.

use std::fmt;

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::error::Failure;

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

/// Why a reply slot resolved without a reply.
pub(crate) enum NoReply {
    /// The handler failed while handling the message.
    Failed(Failure),
    /// The actor stopped with the message still queued, or before it answered.
    Stopped,
    /// The handler took the slot to answer later and dropped it unanswered.
    Dropped,
}

/// What a reply slot resolves with.
pub(crate) type Outcome<A> = Result<<A as Actor>::Reply, NoReply>;

/// Where the reply to a message goes: straight to an asker, or through a callback, for a
/// forwarded ask or anything else that turns the reply into something else first.
pub(crate) enum ReplySlot<A: Actor> {
    /// An ask's own slot: its asker awaits the other end. A dropped sender reads as
    /// [`NoReply::Stopped`].
    Ask(oneshot::Sender<Outcome<A>>),
    /// A callback, told [`NoReply::Stopped`] if it is dropped without being called. Boxed
    /// once more, so that a slot is two words and an envelope stays small: an idle
    /// mailbox keeps room for a few.
    Callback(Box<Callback<A>>),
}

impl<A: Actor> ReplySlot<A> {
    /// A callback slot: `deliver` receives the outcome exactly once.
    pub(crate) fn callback(deliver: impl FnOnce(Outcome<A>) + Send + Sync + 'static) -> Self {
        ReplySlot::Callback(Box::new(Callback(Some(Box::new(deliver)))))
    }

    /// Resolves the slot. An asker that has gone (it timed out) is no error.
    #[inline]
    pub(crate) fn send(self, outcome: Outcome<A>) {
        match self {
            ReplySlot::Ask(sender) => {
                let _ = sender.send(outcome);
            }
            ReplySlot::Callback(mut callback) => {
                if let Some(deliver) = callback.0.take() {
                    deliver(outcome);
                }
            }
        }
    }
}

impl<A: Actor> fmt::Debug for ReplySlot<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplySlot::Ask(_) => "ReplySlot::Ask",
            ReplySlot::Callback(_) => "ReplySlot::Callback",
        })
    }
}

/// A reply callback that is told [`NoReply::Stopped`] if dropped uncalled, so that whoever
/// waits behind it never waits for nothing.
pub(crate) struct Callback<A: Actor>(Option<Box<dyn FnOnce(Outcome<A>) + Send + Sync>>);

impl<A: Actor> Drop for Callback<A> {
    fn drop(&mut self) {
        if let Some(deliver) = self.0.take() {
            deliver(Err(NoReply::Stopped));
        }
    }
}

/// The asker's end of an ask's reply slot.
pub(crate) type ReplyReceiver<A> = oneshot::Receiver<Outcome<A>>;

/// A new reply slot: the actor's end, for the envelope, and the asker's.
pub(crate) fn reply_slot<A: Actor>() -> (ReplySlot<A>, ReplyReceiver<A>) {
    let (tx, rx) = oneshot::channel();
    (ReplySlot::Ask(tx), rx)
}
