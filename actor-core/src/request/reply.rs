//! The reply slot of an ask: where the actor puts its reply, or the failure that ended
//! the message instead. Dropped unanswered (the actor stopped first), it tells the asker
//! at once, so an ask never waits for a reply that cannot come.

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::error::Failure;

/// The actor's end of a reply slot.
pub(crate) type ReplySender<A> = oneshot::Sender<Result<<A as Actor>::Reply, Failure>>;

/// The asker's end of a reply slot.
pub(crate) type ReplyReceiver<A> = oneshot::Receiver<Result<<A as Actor>::Reply, Failure>>;

/// A new reply slot: the actor's end, for the envelope, and the asker's.
pub(crate) fn reply_slot<A: Actor>() -> (ReplySender<A>, ReplyReceiver<A>) {
    oneshot::channel()
}
