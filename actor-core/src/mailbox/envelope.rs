//! [`Envelope`]: a message as it waits in a mailbox, with the slot its reply goes to.
//!
//! The reply slot lives here, not in the message enum, so messages stay pure data. Dropped
//! unanswered (the actor stopped first), it tells the asker at once, so an ask never waits
//! for a reply that cannot come.

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::error::Failure;

/// A message and, for an ask, the slot its reply goes to: what an actor's mailbox holds.
pub(crate) struct Envelope<A: Actor> {
    pub(crate) msg: A::Msg,
    pub(crate) reply: Option<ReplySender<A>>,
}

/// The actor's end of a reply slot: the reply, or the failure that ended the message.
pub(crate) type ReplySender<A> = oneshot::Sender<Result<<A as Actor>::Reply, Failure>>;

/// The asker's end of a reply slot.
pub(crate) type ReplyReceiver<A> = oneshot::Receiver<Result<<A as Actor>::Reply, Failure>>;

/// A new reply slot: the actor's end, for the envelope, and the asker's.
pub(crate) fn reply_slot<A: Actor>() -> (ReplySender<A>, ReplyReceiver<A>) {
    oneshot::channel()
}
