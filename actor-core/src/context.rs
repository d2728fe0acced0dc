//! [`Context`]: what a running actor knows about itself.

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::cell::ActorCell;
use crate::address::core::{RefCore, Target};
use crate::death_watch::{Terminated, Watching};
use crate::error::{Failure, SpawnError};
use crate::id::ActorId;
use crate::lifecycle::StopMode;
use crate::mailbox::signal::SystemSignal;
use crate::supervision::strategy::RestartPolicy;
use crate::supervision::supervisor::{ChildEntry, Supervisor};
use crate::system::ActorSystem;

/// The running actor's view of itself: its ref, its system, its children, and how to stop
/// or fail itself.
///
/// A handler receives it by declaring a `ctx: &mut Context<Self>` argument; `#[actor]`
/// passes it in. It survives restarts: the new instance gets the same context.
pub struct Context<A: Actor> {
    cell: Arc<ActorCell<A>>,
    system: ActorSystem,
    /// Its supervisor (its parent's, or the guardian's), shared with it: this actor's
    /// failures are decided from it, in this actor's task.
    parent: Arc<Supervisor>,
    /// Its supervision of its own children, shared with them, created with the first
    /// child: most actors never have one.
    supervisor: Option<Arc<Supervisor>>,
    stop_request: Option<StopMode>,
    failure: Option<Failure>,
    /// Set once the actor has stopped its children for good: it spawns no more.
    closing: bool,
    policy: RestartPolicy,
    /// What it watches: a `Terminated` is delivered only while its watch is there.
    watching: Watching,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(
        cell: Arc<ActorCell<A>>,
        system: ActorSystem,
        parent: Arc<Supervisor>,
        policy: RestartPolicy,
    ) -> Self {
        Context {
            cell,
            system,
            parent,
            supervisor: None,
            stop_request: None,
            failure: None,
            closing: false,
            policy,
            watching: Watching::default(),
        }
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// The name it was spawned with, if any.
    pub fn name(&self) -> Option<&str> {
        self.cell.handle.name()
    }

    /// Its path in the supervision tree, like `/user/bank/account-7`.
    pub fn path(&self) -> &str {
        self.cell.path()
    }

    /// Its supervisor's id, or `None` for a top-level actor (supervised by the guardian).
    pub fn parent(&self) -> Option<ActorId> {
        self.parent.owner_id()
    }

    /// A strong ref to this actor, to hand to others (for example so they can reply with a
    /// tell). Holding it keeps the actor alive: store a [`weak_ref`](Self::weak_ref) in
    /// the actor's own state instead, or the actor never stops for lack of refs.
    pub fn actor_ref(&self) -> ActorRef<A> {
        ActorRef::from_core(RefCore::new_strong(Arc::clone(&self.cell)))
    }

    /// A weak ref to this actor.
    pub fn weak_ref(&self) -> WeakActorRef<A> {
        WeakActorRef::from_target(Target::Local(Arc::clone(&self.cell)))
    }

    /// The system the actor runs in.
    pub fn system(&self) -> &ActorSystem {
        &self.system
    }

    /// The supervisor of this actor's children, created with the first child; an error
    /// once the actor is stopping its children for good. Spawning is in `crate::spawn`.
    pub(crate) fn children_supervisor(&mut self) -> Result<&Arc<Supervisor>, SpawnError> {
        if self.closing {
            return Err(SpawnError::ParentStopping);
        }
        let (id, handle) = (self.cell.id, &self.cell.handle);
        Ok(self.supervisor.get_or_insert_with(|| {
            Supervisor::new(
                A::supervisor_strategy(),
                Some((id, handle.clone())),
                id.as_u64(),
            )
        }))
    }

    /// The ids of this actor's live children, in spawn order.
    pub fn children(&self) -> Vec<ActorId> {
        self.supervisor
            .as_ref()
            .map_or_else(Vec::new, |supervisor| supervisor.child_ids())
    }

    /// Watches `other` (Akka's `Context.Watch`, OTP's `monitor`): when it stops for good,
    /// this actor's `#[terminated]` hook receives a [`Terminated`] with the reason, once
    /// for this watch, also if `other` is already dead now. Watching it again while this
    /// watch is active is the same watch; a watch made after the `Terminated` was
    /// delivered, or after an [`unwatch`](Self::unwatch), is a new one and gets its own.
    /// Watching itself is a no-op.
    ///
    /// An actor without a `#[terminated]` hook that receives a `Terminated` fails with
    /// [`FailureKind::DeathPact`](crate::FailureKind::DeathPact), and its supervisor
    /// decides (Akka's death pact): declare the hook, even an empty one, to handle it.
    pub fn watch<B: Actor>(&mut self, other: &ActorRef<B>) {
        let target = other.target();
        let (id, handle) = (self.cell.id, &self.cell.handle);
        if target.id() == id {
            return;
        }
        self.watching
            .insert(target.id(), || target.add_watcher(id, handle));
    }

    /// Stops watching `other`: no `Terminated` of that watch is delivered from now on,
    /// also if one is already on its way (Akka's guarantee). A no-op if it is not watched.
    pub fn unwatch<B: Actor>(&mut self, other: &ActorRef<B>) {
        if let Some(watched) = self.watching.remove(other.id()) {
            watched.remove_watcher(self.cell.id);
        }
    }

    /// Whether a `Terminated` of `target` belongs to a watch still active; if so, that
    /// watch ends with it.
    pub(crate) fn take_watch(&mut self, target: ActorId) -> bool {
        self.watching.take(target)
    }

    /// Takes back every watch this actor still has, as it stops: the actors it watched
    /// forget it at once rather than keep its lane until they stop.
    pub(crate) fn unwatch_all(&mut self) {
        self.watching.unwatch_all(self.cell.id);
    }

    /// Akka's death pact, for an actor with no `#[terminated]` hook: it fails once the
    /// hook returns.
    pub(crate) fn death_pact(&mut self, terminated: &Terminated) {
        self.failure
            .get_or_insert_with(|| Failure::death_pact(&terminated.path, &terminated.reason));
    }

    /// Stops this actor gracefully once the current handler returns: new messages are
    /// refused, queued ones are still handled. A child with
    /// [`RestartPolicy::Permanent`](crate::supervision::RestartPolicy::Permanent) is
    /// restarted by its supervisor instead.
    pub fn stop(&mut self) {
        self.stop_request.get_or_insert(StopMode::Graceful);
    }

    /// Stops this actor once the current handler returns; queued messages are dropped.
    pub fn stop_now(&mut self) {
        self.stop_request = Some(StopMode::Immediate);
    }

    /// Fails this actor once the current handler returns (after its reply is sent), as if
    /// it had panicked with `reason`: its supervisor decides what happens next. Also works
    /// from the `started`, `post_restart` and `terminated` hooks; from `stopping` and
    /// `stopped` it is ignored, since the actor is stopping anyway.
    pub fn fail(&mut self, reason: impl fmt::Display) {
        self.failure.get_or_insert_with(|| Failure::error(reason));
    }

    pub(crate) fn take_stop_request(&mut self) -> Option<StopMode> {
        self.stop_request.take()
    }

    pub(crate) fn take_failure(&mut self) -> Option<Failure> {
        self.failure.take()
    }

    pub(crate) fn cell(&self) -> &Arc<ActorCell<A>> {
        &self.cell
    }

    /// Sends `signal()` to each of its children.
    pub(crate) fn tell_children(&self, signal: impl Fn() -> SystemSignal) {
        if let Some(supervisor) = &self.supervisor {
            supervisor.tell_children(signal);
        }
    }

    /// Refuses every spawn from now on: the actor is stopping its children for good.
    pub(crate) fn close(&mut self) {
        self.closing = true;
    }

    /// Takes every child out of supervision, to stop them.
    pub(crate) fn take_children(&mut self) -> Vec<ChildEntry> {
        self.supervisor
            .as_ref()
            .map_or_else(Vec::new, |supervisor| supervisor.take_all())
    }

    /// A new instance is a new supervisor, as a restarted OTP supervisor is a new
    /// process: its children's restarts start counting afresh.
    pub(crate) fn forget_restarts(&mut self) {
        if let Some(supervisor) = &self.supervisor {
            supervisor.forget_restarts();
        }
    }

    pub(crate) fn restart_policy(&self) -> RestartPolicy {
        self.policy
    }

    /// The supervisor this actor's failures are decided by.
    pub(crate) fn parent_supervisor(&self) -> &Arc<Supervisor> {
        &self.parent
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("type", &std::any::type_name::<A>())
            .field("id", &self.cell.id)
            .field("path", self.cell.path())
            .finish_non_exhaustive()
    }
}
