//! [`ActorRef`] (strong) and [`WeakActorRef`]: the typed handles to an actor.
//!
//! The methods that send (`tell`, `try_tell`, `ask`) live in `request/`, beside the
//! requests they build.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use crate::actor::{Actor, Client};
use crate::address::core::{RefCore, Target};
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};

/// A typed, strong handle to an actor.
///
/// Cheap to clone (a reference count) and `Send + Sync`. It dereferences to the actor's
/// generated client, so the actor's messages are methods: `account.deposit(5).await?`.
///
/// # Lifetime
///
/// An actor runs until it is stopped ([`stop`](Self::stop), [`stop_now`](Self::stop_now),
/// its context, or system shutdown), fails for good, or, for an unnamed top-level actor,
/// the last strong handle to it is dropped. In the last case no new message can ever
/// arrive, so it handles what is queued and stops with [`StopReason::RefsDropped`], like a
/// tokio channel whose senders are all gone. A named top-level actor is kept by the
/// system's guardian, and a child by its parent, whoever else holds a handle. A
/// [`WeakActorRef`] does not keep it alive; the actor's own
/// [`Context::actor_ref`](crate::Context::actor_ref) does, while it is held.
pub struct ActorRef<A: Actor> {
    client: A::Client,
}

impl<A: Actor> ActorRef<A> {
    pub(crate) fn from_core(core: RefCore<A>) -> Self {
        ActorRef {
            client: A::Client::from_core(core),
        }
    }

    pub(crate) fn core(&self) -> &RefCore<A> {
        self.client.core()
    }

    pub(crate) fn target(&self) -> &Target<A> {
        self.core().target()
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.target().id()
    }

    /// The name it was spawned with, if any.
    pub fn name(&self) -> Option<&str> {
        self.target().name()
    }

    /// Its path in the supervision tree, like `/user/bank/account-7` (unnamed actors get
    /// `$` and their id as the last segment).
    pub fn path(&self) -> &str {
        self.target().path()
    }

    /// Whether the actor has not stopped yet. A `true` can be stale by the time you act on
    /// it; the result of a send is the reliable answer.
    pub fn is_alive(&self) -> bool {
        !self.target().is_stopped()
    }

    /// Where the actor is in its life.
    pub fn status(&self) -> ActorStatus {
        self.target().status()
    }

    /// Asks the actor to stop gracefully: it refuses new messages, handles those already
    /// queued, runs its `stopping` and `stopped` hooks and stops. Returns at once; await
    /// [`terminated`](Self::terminated) to wait for the end. A no-op on a stopped actor.
    pub fn stop(&self) {
        self.target().stop(StopMode::Graceful);
    }

    /// Stops the actor after the message it is handling now; what is queued is dropped and
    /// pending asks resolve with [`AskError::Stopped`](crate::AskError::Stopped). The
    /// signal skips the user mailbox, so a full mailbox does not delay it.
    pub fn stop_now(&self) {
        self.target().stop(StopMode::Immediate);
    }

    /// Waits until the actor has stopped, and says why.
    ///
    /// It waits as long as the actor runs, and this ref is itself a reason to run: an actor
    /// that would stop only when its refs are dropped never does while you await this.
    /// Ask it to [`stop`](Self::stop) first, await a [`WeakActorRef::terminated`], or bound
    /// the wait with `tokio::time::timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the actor.
    pub async fn terminated(&self) -> StopReason {
        self.target().stopped().await
    }

    /// The routees of a router (a pool's live workers, a group's live refs), in routing
    /// order; empty for a ref to one actor. A pool's size is their count.
    ///
    /// A snapshot: a worker that stops for good leaves the list soon after, and one that
    /// is restarting stays in it (its mailbox, and so its ref, outlives the restart).
    pub fn routees(&self) -> Vec<ActorRef<A>> {
        self.target()
            .routees()
            .into_iter()
            .map(ActorRef::from_core)
            .collect()
    }

    /// A handle that does not keep the actor alive.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef {
            target: self.target().clone(),
        }
    }
}

impl<A: Actor> Deref for ActorRef<A> {
    type Target = A::Client;

    fn deref(&self) -> &A::Client {
        &self.client
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef::from_core(self.core().clone())
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ActorRef");
        s.field("type", &std::any::type_name::<A>())
            .field("id", &self.id());
        if let Some(name) = self.name() {
            s.field("name", &name);
        }
        s.finish()
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> Hash for ActorRef<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

/// A handle that does not keep the actor alive; [`upgrade`](Self::upgrade) it to send.
pub struct WeakActorRef<A: Actor> {
    target: Target<A>,
}

impl<A: Actor> WeakActorRef<A> {
    pub(crate) fn from_target(target: Target<A>) -> Self {
        WeakActorRef { target }
    }

    pub(crate) fn target(&self) -> &Target<A> {
        &self.target
    }

    /// A strong ref, or `None` if no strong ref is left (the actor is stopping or
    /// stopped).
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        RefCore::upgrade(&self.target).map(ActorRef::from_core)
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.target.id()
    }

    /// Whether the actor has not stopped yet.
    pub fn is_alive(&self) -> bool {
        !self.target.is_stopped()
    }

    /// Waits until the actor has stopped, and says why. Does not keep it alive.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn terminated(&self) -> StopReason {
        self.target.stopped().await
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        WeakActorRef {
            target: self.target.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorRef")
            .field("type", &std::any::type_name::<A>())
            .field("id", &self.target.id())
            .finish()
    }
}
