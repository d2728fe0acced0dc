//! [`Context`]: what a running actor knows about itself.

use std::fmt;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::cell::ActorCell;
use crate::address::core::{RefCore, Target};
use crate::death_watch::{Terminated, Watching};
use crate::error::{Failure, SpawnError};
use crate::id::ActorId;
use crate::lifecycle::StopMode;
use crate::mailbox::envelope::{Envelope, ReplySlot};
use crate::mailbox::signal::SystemSignal;
use crate::request::reply::ReplyTo;
use crate::stash::Stash;
use crate::supervision::strategy::RestartPolicy;
use crate::supervision::supervisor::{ChildEntry, Supervisor};
use crate::system::ActorSystem;
use crate::tasks::Tasks;
use crate::timers::Timers;

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
    /// The reply slot of the message being handled, while it is: the runner sends the
    /// handler's return value to it, unless the handler took it ([`ReplyTo`]).
    reply: Option<ReplySlot<A>>,
    /// Timers, tasks, streams and the stash, boxed on first use: most actors use none.
    toolbox: Option<Box<Toolbox<A>>>,
}

/// What only some actors use: their timers, the tasks and streams they run beside
/// themselves, and their stash. Each part is its module's; the context only holds them and
/// tells them of restarts and stops.
pub(crate) struct Toolbox<A: Actor> {
    pub(crate) timers: Timers<A>,
    pub(crate) tasks: Tasks<A>,
    pub(crate) stash: Stash<A>,
}

impl<A: Actor> Default for Toolbox<A> {
    fn default() -> Self {
        Toolbox {
            timers: Timers::default(),
            tasks: Tasks::default(),
            stash: Stash::default(),
        }
    }
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
            reply: None,
            toolbox: None,
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

/// The reply slot of the message being handled.
impl<A: Actor> Context<A> {
    /// Takes the reply slot of the message being handled, to answer it later with
    /// [`ReplyTo::send`]; `wrap` makes the actor's reply enum of the answer. The handler's
    /// own return value is then dropped. For a tell, or when it was taken already, the slot
    /// is empty.
    ///
    /// `#[actor]` calls this for a `#[message]` method with a `ReplyTo<T>` argument;
    /// call it yourself in a hand-written [`Actor::handle`].
    pub fn take_reply_to<T: Send + 'static>(&mut self, wrap: fn(T) -> A::Reply) -> ReplyTo<T> {
        ReplyTo::from_slot::<A>(self.reply.take(), wrap)
    }

    /// Hands the reply slot of the message about to be handled to the context.
    #[inline]
    pub(crate) fn set_reply(&mut self, reply: Option<ReplySlot<A>>) {
        self.reply = reply;
    }

    /// Takes back the reply slot of the message just handled, unless the handler took it.
    #[inline]
    pub(crate) fn take_reply(&mut self) -> Option<ReplySlot<A>> {
        self.reply.take()
    }
}

/// The toolbox, as the runner sees it.
impl<A: Actor> Context<A> {
    /// The toolbox, created on first use.
    #[allow(dead_code)] // Used by the toolbox's parts as they land.
    pub(crate) fn toolbox(&mut self) -> &mut Toolbox<A> {
        self.toolbox.get_or_insert_with(Box::default)
    }

    /// A message of the actor's own that comes before its mailbox: an unstashed one, or
    /// one of its timers' (a due timer or the receive timeout). Timers deliver here, not
    /// through the mailbox, so a cancelled timer's message cannot be queued anywhere.
    ///
    /// An `Err` is the actor's failure: a timer's message closure panicked.
    #[inline]
    pub(crate) fn poll_own_message(
        &mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Result<Envelope<A>, Failure>> {
        let Some(toolbox) = self.toolbox.as_deref_mut() else {
            return Poll::Pending;
        };
        if let Some(envelope) = toolbox.stash.next_unstashed() {
            return Poll::Ready(Ok(envelope));
        }
        toolbox.timers.poll_due(cx)
    }

    /// A message was handled (the receive timeout starts again).
    #[inline]
    pub(crate) fn message_handled(&mut self) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            toolbox.timers.message_handled();
        }
    }

    /// The instance is being replaced: its timers and tasks end with it (Akka), and its
    /// stash goes back in front of the mailbox.
    pub(crate) fn toolbox_restarting(&mut self) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            toolbox.timers.cancel_all();
            toolbox.tasks.abort_all();
            toolbox.stash.restarting();
        }
    }

    /// The actor is stopping for good: its timers and tasks end now.
    pub(crate) fn toolbox_stopping(&mut self) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            toolbox.timers.cancel_all();
            toolbox.tasks.abort_all();
        }
    }
}

// The toolbox's public methods, one block per part; each delegates to its module.

/// Timers (`crate::timers`).
impl<A: Actor> Context<A> {}

/// Tasks and streams (`crate::tasks`).
impl<A: Actor> Context<A> {}

/// The stash (`crate::stash`).
impl<A: Actor> Context<A> {}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("type", &std::any::type_name::<A>())
            .field("id", &self.cell.id)
            .field("path", self.cell.path())
            .finish_non_exhaustive()
    }
}
