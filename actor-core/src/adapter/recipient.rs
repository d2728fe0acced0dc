//! [`Recipient`]: a typed, cloneable "something that accepts a `T`", and the future of a
//! tell through it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::address::core::Reservation;
use crate::error::{SendError, TrySendError};
use crate::id::ActorId;
use crate::lifecycle::StopReason;

/// What a recipient does, erased of the actor type behind it: one implementation per kind
/// of ref (`adapter::local` for an actor's ref and its mapping closure). Poll-based, so
/// that a tell is a plain state machine in the caller's future rather than a boxed future.
pub(crate) trait Accept<T>: Send + Sync {
    /// The actor's id.
    fn id(&self) -> ActorId;

    /// Whether the actor has not stopped yet.
    fn is_alive(&self) -> bool;

    /// Whether this recipient keeps the actor alive (a strong ref).
    fn keeps_alive(&self) -> bool;

    /// Sends `value` if there is room now.
    fn try_tell(&self, value: T) -> Result<(), TrySendError<T>>;

    /// Polls a tell of `value` (taken once it is mapped and delivered, or handed back),
    /// whose room in the mailbox is `reservation`.
    fn poll_tell(
        &self,
        reservation: &mut Reservation,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>>;

    /// Gives up a tell in progress: leaves the mailbox's line, gives back its room.
    fn leave(&self, reservation: &mut Reservation);

    /// Counts a `T` that was meant for this actor and dropped (a topic's full subscriber)
    /// as a dead letter.
    fn dead_letter(&self);

    /// Waits until the actor has stopped.
    fn terminated(&self) -> Pin<Box<dyn Future<Output = StopReason> + Send + '_>>;
}

/// Something that accepts a `T`: a ref to an actor, with a closure that maps `T` to one of
/// its messages, erased of the actor type.
///
/// Made by [`ActorRef::recipient`](crate::ActorRef::recipient) (a strong recipient: it
/// keeps the actor alive, as an `ActorRef` does) or
/// [`WeakActorRef::recipient`](crate::WeakActorRef::recipient) (weak: it does not; a send
/// to an actor with no strong ref left is refused as `Closed`). Inside an actor, hand out
/// `ctx.weak_ref().recipient(..)` so that the actor does not keep itself alive through it.
/// Akka Typed calls this a message adapter, kameo and actix a `Recipient`.
///
/// It is `Clone` (a reference count), `Send`, `Sync` and `'static`, so a component can
/// store it and send from any task without knowing what is behind it. A send hands back the
/// `T` it was given when it is refused: the closure runs only once the mailbox has room,
/// so a refused `T` was never mapped.
///
/// ```
/// use actor_core::prelude::*;
///
/// #[actor]
/// pub struct Worker { done: Vec<u64> }
///
/// #[actor]
/// impl Worker {
///     #[message]
///     fn job(&mut self, id: u64) { self.done.push(id); }
///
///     #[message]
///     fn done(&self) -> Vec<u64> { self.done.clone() }
/// }
///
/// /// A component that only knows it can hand out `u64`s.
/// async fn feed(jobs: &Recipient<u64>) -> Result<(), SendError<u64>> {
///     for id in 1..=3 {
///         jobs.tell(id).await?;
///     }
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let worker = system.spawn(Worker { done: Vec::new() }).unwrap();
/// let jobs: Recipient<u64> = worker.recipient(|id| WorkerMsg::Job { id });
/// feed(&jobs).await.unwrap();
/// assert_eq!(worker.done().await.unwrap(), [1, 2, 3]);
///
/// worker.stop();
/// worker.terminated().await;
/// // Refused: the value comes back, unmapped.
/// assert_eq!(jobs.try_tell(4).unwrap_err().into_inner(), 4);
/// # }
/// ```
///
/// If the closure panics, the send panics in the caller (no message is sent, and the room
/// it reserved is given back). In the one instant between reserving room and delivering
/// into it, the actor may close its mailbox: the mapped message is then counted as a dead
/// letter and the send reports success, since the `T` was consumed; it is the same outcome
/// as a message accepted just before the actor stops at once.
pub struct Recipient<T> {
    inner: Arc<dyn Accept<T>>,
}

impl<T: Send + 'static> Recipient<T> {
    pub(crate) fn new(inner: Arc<dyn Accept<T>>) -> Self {
        Recipient { inner }
    }

    /// Sends `value`, waiting for mailbox space if the mailbox is full; the mapping
    /// closure runs once there is room.
    ///
    /// # Errors
    ///
    /// [`SendError`] with `value`, unmapped, if the actor no longer accepts messages (also
    /// a weak recipient's actor with no strong ref left). Counted as a dead letter.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, `value` was not sent (and is dropped
    /// with it); its place in the mailbox's line goes to the next sender.
    pub fn tell(&self, value: T) -> RecipientTell<T> {
        RecipientTell {
            recipient: self.clone(),
            value: Some(value),
            reservation: Reservation::default(),
        }
    }

    /// Sends `value` without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] with `value` if the mailbox is full,
    /// [`TrySendError::Closed`] with `value` if the actor no longer accepts messages
    /// (counted as a dead letter). In both cases `value` was not mapped.
    pub fn try_tell(&self, value: T) -> Result<(), TrySendError<T>> {
        self.inner.try_tell(value)
    }

    /// The id of the actor behind it.
    pub fn id(&self) -> ActorId {
        self.inner.id()
    }

    /// Whether the actor has not stopped yet. A `true` can be stale by the time you act on
    /// it; the result of a send is the reliable answer.
    pub fn is_alive(&self) -> bool {
        self.inner.is_alive()
    }

    /// Whether this recipient keeps the actor alive (it was made from an `ActorRef`), or
    /// not (from a `WeakActorRef`).
    pub fn keeps_alive(&self) -> bool {
        self.inner.keeps_alive()
    }

    /// Waits until the actor has stopped, and says why. A strong recipient is itself a
    /// reason for an unnamed top-level actor to run: see
    /// [`ActorRef::terminated`](crate::ActorRef::terminated). The wait is boxed (one
    /// allocation per call), as the actor type behind it is erased.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn terminated(&self) -> StopReason {
        self.inner.terminated().await
    }

    /// Counts a value meant for this recipient and dropped as a dead letter.
    pub(crate) fn dead_letter(&self) {
        self.inner.dead_letter();
    }
}

impl<T> Clone for Recipient<T> {
    fn clone(&self) -> Self {
        Recipient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for Recipient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("accepts", &std::any::type_name::<T>())
            .field("actor", &self.inner.id())
            .field("keeps_alive", &self.inner.keeps_alive())
            .finish()
    }
}

/// The future of [`Recipient::tell`]: resolves once the mapped message is in the mailbox,
/// or with a [`SendError`] that hands back the value, unmapped.
///
/// It owns a clone of the recipient, so it is `'static` and can be spawned or stored.
///
/// # Cancel safety
///
/// If it is dropped before it completes, the value was not sent and is dropped; the room
/// or the place in line it held goes to the next sender.
#[must_use = "futures do nothing unless polled"]
pub struct RecipientTell<T> {
    recipient: Recipient<T>,
    value: Option<T>,
    reservation: Reservation,
}

// Nothing in it is pinned: the value moves into the mailbox by value.
impl<T> Unpin for RecipientTell<T> {}

impl<T: Send + 'static> Future for RecipientTell<T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.recipient
            .inner
            .poll_tell(&mut this.reservation, &mut this.value, cx)
    }
}

impl<T> Drop for RecipientTell<T> {
    fn drop(&mut self) {
        self.recipient.inner.leave(&mut self.reservation);
    }
}

impl<T> fmt::Debug for RecipientTell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientTell")
            .field("actor", &self.recipient.inner.id())
            .field("done", &self.value.is_none())
            .finish()
    }
}
