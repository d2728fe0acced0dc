//! [`Context`]: what a running actor knows about itself.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::Stream;
use futures::StreamExt;
use tokio::runtime::Handle;

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::cell::ActorCell;
use crate::address::core::{RefCore, Target};
use crate::clock::Clock;
use crate::death_watch::{Terminated, Watching};
use crate::error::{Failure, SpawnError, StashFull};
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode};
use crate::mailbox::envelope::{Envelope, ReplySlot};
use crate::mailbox::signal::SystemSignal;
use crate::mailbox::MailboxConfig;
use crate::request::reply::ReplyTo;
use crate::stash::Stash;
use crate::supervision::strategy::RestartPolicy;
use crate::supervision::supervisor::{ChildEntry, Supervisor};
use crate::system::ActorSystem;
use crate::tasks::stream::{drive, StreamEnd};
use crate::tasks::{pipe, TaskHandle, Tasks};
use crate::timers::{Exclusive, MessageFn, Period, TimerKind, Timers, MIN_PERIOD};

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
    /// Set once the actor has stopped its children for good: it spawns no more.
    closing: bool,
    policy: RestartPolicy,
    /// What it watches: a `Terminated` is delivered only while its watch is there.
    watching: Watching,
    /// The reply slot of the message being handled, while it is: the runner sends the
    /// handler's return value to it, unless the handler took it ([`ReplyTo`]).
    reply: Option<ReplySlot<A>>,
    /// What only some actors use (timers, tasks, streams, the stash, a failure asked for
    /// with `fail`), boxed on first use: an idle actor's task carries one word for it.
    toolbox: Option<Box<Toolbox<A>>>,
}

/// What only some actors use: their timers, the tasks and streams they run beside
/// themselves, their stash, and the failure a handler asked for. Each part is its module's;
/// the context only holds them and tells them of restarts and stops.
pub(crate) struct Toolbox<A: Actor> {
    /// Set by `fail` (or the death pact), taken once the handler or hook returns.
    pub(crate) failure: Option<Failure>,
    pub(crate) timers: Timers<A>,
    pub(crate) tasks: Tasks<A>,
    pub(crate) stash: Stash<A>,
}

impl<A: Actor> Default for Toolbox<A> {
    fn default() -> Self {
        Toolbox {
            failure: None,
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
        self.cell.name()
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
        let (id, handle) = (self.cell.id, self.cell.handle());
        Ok(self.supervisor.get_or_insert_with(|| {
            Supervisor::new(A::supervisor_strategy(), Some((id, handle)), id.as_u64())
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
        let id = self.cell.id;
        if target.id() == id {
            return;
        }
        let cell = &self.cell;
        self.watching
            .insert(target.id(), || target.add_watcher(id, &cell.handle()));
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
        self.toolbox()
            .failure
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
        self.toolbox()
            .failure
            .get_or_insert_with(|| Failure::error(reason));
    }

    pub(crate) fn take_stop_request(&mut self) -> Option<StopMode> {
        self.stop_request.take()
    }

    #[inline]
    pub(crate) fn take_failure(&mut self) -> Option<Failure> {
        self.toolbox.as_mut()?.failure.take()
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
        match toolbox.stash.poll_unstashed(cx) {
            Poll::Ready(Some(envelope)) => return Poll::Ready(Ok(envelope)),
            // Out of tokio's budget: the task yields, and the timers stay behind the
            // unstashed messages.
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {}
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

/// Timers (`crate::timers`): Akka's `Timers` / `IWithTimers` and `SetReceiveTimeout`.
///
/// A key is any `Hash + Eq + Send + Sync + 'static` value (a string literal, an enum, an
/// id), compared by type and value: `"tick"` and `String::from("tick")` are two keys.
/// Starting a timer under a key that is active replaces it, and the replaced timer's
/// message is never delivered; so is a cancelled timer's, even if it was due at this very
/// instant, since a timer's message is built only when the actor takes it, before its
/// mailbox. Every timer and the receive timeout are cancelled when the actor stops or
/// restarts (the new instance starts with none), and kept when it resumes.
impl<A: Actor> Context<A> {
    /// The toolbox's timers and the system's clock, which a new timer is armed on.
    fn timers_on_clock(&mut self) -> (&mut Timers<A>, &Clock) {
        let toolbox = self.toolbox.get_or_insert_with(Box::default);
        (&mut toolbox.timers, self.cell.events.clock())
    }

    /// Sends `msg` to this actor once, after `delay`, under `key` (Akka's
    /// `StartSingleTimer`). Replaces an active timer of that key.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use actor_core::prelude::*;
    /// #[actor]
    /// struct Door { open: bool }
    ///
    /// #[actor]
    /// impl Door {
    ///     #[message]
    ///     fn open(&mut self, ctx: &mut Context<Self>) {
    ///         self.open = true;
    ///         // Opening it again starts the countdown again: same key, replaced.
    ///         ctx.start_single_timer("close", Duration::from_secs(5), DoorMsg::Close);
    ///     }
    ///
    ///     #[message]
    ///     fn close(&mut self) { self.open = false; }
    ///
    ///     #[message]
    ///     fn is_open(&self) -> bool { self.open }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// # let system = ActorSystem::new();
    /// let door = system.spawn(Door { open: false }).unwrap();
    /// door.open().await.unwrap();
    /// tokio::time::sleep(Duration::from_secs(6)).await;
    /// assert!(!door.is_open().await.unwrap());
    /// # }
    /// ```
    pub fn start_single_timer<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        key: K,
        delay: Duration,
        msg: A::Msg,
    ) {
        let (timers, clock) = self.timers_on_clock();
        timers.start(clock, key, delay, TimerKind::Single(Exclusive::new(msg)));
    }

    /// Sends `make()` to this actor every `delay`, counted from the end of handling of the
    /// previous tick, first after `delay` (Akka's `StartTimerWithFixedDelay`). A slow
    /// handler spaces the ticks out; it never makes them pile up. Replaces an active timer
    /// of that key. A delay under a millisecond (the timer's resolution) is a millisecond.
    ///
    /// Akka counts the delay from when the previous tick was *sent*; here a tick is sent
    /// when the actor takes it, so counting from the end of its handling is what keeps the
    /// promise of a pause between ticks however long the handler takes.
    pub fn start_timer_with_fixed_delay<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        key: K,
        delay: Duration,
        make: impl FnMut() -> A::Msg + Send + 'static,
    ) {
        self.start_timer_with_fixed_delay_after(key, delay, delay, make);
    }

    /// As [`start_timer_with_fixed_delay`](Self::start_timer_with_fixed_delay), the first
    /// tick after `initial_delay` (which may be zero).
    pub fn start_timer_with_fixed_delay_after<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        key: K,
        initial_delay: Duration,
        delay: Duration,
        make: impl FnMut() -> A::Msg + Send + 'static,
    ) {
        let period = Period::FixedDelay(delay.max(MIN_PERIOD));
        let make: MessageFn<A> = Box::new(make);
        let (timers, clock) = self.timers_on_clock();
        let kind = TimerKind::Periodic(period, Exclusive::new(make));
        timers.start(clock, key, initial_delay, kind);
    }

    /// Sends `make()` to this actor every `interval`, on a schedule that does not drift
    /// (tick *n* is due at start + *n* × `interval`), first after `interval` (Akka's
    /// `StartTimerAtFixedRate`). Replaces an active timer of that key. An interval under a
    /// millisecond (the timer's resolution) is a millisecond.
    ///
    /// When the actor is busy past a tick (a long handler, a paused process), that tick
    /// comes as soon as the actor is free, and the ticks it missed beyond it are skipped:
    /// the next one is the next slot of the schedule still ahead (tokio's
    /// `MissedTickBehavior::Skip`). Akka delivers every missed tick in a burst instead;
    /// a burst of stale ticks, unbounded after a long pause, is rarely what a periodic job
    /// wants. Count ticks from [`Instant`](tokio::time::Instant)s if you need the number.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use actor_core::prelude::*;
    /// #[actor]
    /// struct Metrics { flushes: u32 }
    ///
    /// #[actor]
    /// impl Metrics {
    ///     #[started]
    ///     fn begin(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.start_timer_at_fixed_rate("flush", Duration::from_secs(1), || MetricsMsg::Flush);
    ///     }
    ///
    ///     #[message]
    ///     fn flush(&mut self) { self.flushes += 1; }
    ///
    ///     #[message]
    ///     fn flushes(&self) -> u32 { self.flushes }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// # let system = ActorSystem::new();
    /// let metrics = system.spawn(Metrics { flushes: 0 }).unwrap();
    /// tokio::time::sleep(Duration::from_millis(3_500)).await;
    /// assert_eq!(metrics.flushes().await.unwrap(), 3);
    /// # }
    /// ```
    pub fn start_timer_at_fixed_rate<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        key: K,
        interval: Duration,
        make: impl FnMut() -> A::Msg + Send + 'static,
    ) {
        self.start_timer_at_fixed_rate_after(key, interval, interval, make);
    }

    /// As [`start_timer_at_fixed_rate`](Self::start_timer_at_fixed_rate), the first tick
    /// after `initial_delay` (which may be zero); the schedule counts from that tick.
    pub fn start_timer_at_fixed_rate_after<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        key: K,
        initial_delay: Duration,
        interval: Duration,
        make: impl FnMut() -> A::Msg + Send + 'static,
    ) {
        let period = Period::FixedRate(interval.max(MIN_PERIOD));
        let make: MessageFn<A> = Box::new(make);
        let (timers, clock) = self.timers_on_clock();
        let kind = TimerKind::Periodic(period, Exclusive::new(make));
        timers.start(clock, key, initial_delay, kind);
    }

    /// Cancels the timer `key` (Akka's `Cancel`): its message is not delivered from now on,
    /// also if it is due at this instant. Whether it was active.
    pub fn cancel_timer<K: Hash + Eq + Send + Sync + 'static>(&mut self, key: &K) -> bool {
        match self.toolbox.as_deref_mut() {
            Some(toolbox) => toolbox.timers.cancel(key),
            None => false,
        }
    }

    /// Whether the timer `key` is active (Akka's `IsTimerActive`): started, not cancelled,
    /// and, for a single timer, not fired yet (false while its own message is handled).
    pub fn is_timer_active<K: Hash + Eq + Send + Sync + 'static>(&self, key: &K) -> bool {
        self.toolbox
            .as_deref()
            .is_some_and(|toolbox| toolbox.timers.is_active(key))
    }

    /// Cancels every timer (Akka's `CancelAll`); the receive timeout stays.
    pub fn cancel_all_timers(&mut self) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            toolbox.timers.cancel_timers();
        }
    }

    /// Sends `make()` to this actor when it has handled no message for `after` (Akka's
    /// `SetReceiveTimeout`), and again after each further `after` of silence: it repeats,
    /// as in Akka, until it is cancelled or set again. Every message from the mailbox
    /// starts the silence again; the actor's own timers' messages, the timeout's own and
    /// system signals do not. Replaces a receive timeout already set. A duration under a
    /// millisecond is a millisecond.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use actor_core::prelude::*;
    /// #[actor]
    /// struct Session;
    ///
    /// #[actor]
    /// impl Session {
    ///     #[started]
    ///     fn begin(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.set_receive_timeout(Duration::from_secs(30), || SessionMsg::Idle);
    ///     }
    ///
    ///     #[message]
    ///     fn ping(&mut self) {}
    ///
    ///     #[message]
    ///     fn idle(&mut self, ctx: &mut Context<Self>) { ctx.stop(); }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// # let system = ActorSystem::new();
    /// let session = system.spawn(Session).unwrap();
    /// session.ping().await.unwrap();
    /// // Thirty seconds without a message: it stops itself.
    /// session.terminated().await;
    /// # }
    /// ```
    pub fn set_receive_timeout(
        &mut self,
        after: Duration,
        make: impl FnMut() -> A::Msg + Send + 'static,
    ) {
        let (timers, clock) = self.timers_on_clock();
        timers.set_receive_timeout(clock, after, Box::new(make));
    }

    /// Cancels the receive timeout (Akka's `SetReceiveTimeout(null)`); whether one was set.
    /// Its message is not delivered from now on.
    pub fn cancel_receive_timeout(&mut self) -> bool {
        self.toolbox
            .as_deref_mut()
            .is_some_and(|toolbox| toolbox.timers.cancel_receive_timeout())
    }

    /// The receive timeout's duration, if one is set (Akka's `ReceiveTimeout`).
    pub fn receive_timeout(&self) -> Option<Duration> {
        self.toolbox
            .as_deref()
            .and_then(|toolbox| toolbox.timers.receive_timeout())
    }
}

/// Tasks and streams (`crate::tasks`).
impl<A: Actor> Context<A> {
    /// Runs `future` beside the actor, and sends its output back to it as the message
    /// `to_message` makes of it (Akka's `PipeTo`, kameo's `pipe`, actix's
    /// `ResponseFuture`): the way to await something slow without holding up the mailbox.
    ///
    /// The future runs as a tokio task of its own. Its message goes through the mailbox,
    /// waiting for room like any tell, after the messages already queued. The task does not
    /// keep the actor alive, and ends with it: a stop or a restart aborts it (its future is
    /// dropped, its message never sent). A task spawned once the actor is stopping is
    /// aborted at once, since its message could not be delivered. A panic in `future` or
    /// in `to_message` fails the actor with
    /// [`FailureKind::TaskPanic`](crate::FailureKind::TaskPanic), and its supervisor
    /// decides. For a fallible future, `to_message` receives the `Result`: map both arms.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[actor]
    /// struct Fetcher { pages: Vec<String> }
    ///
    /// #[actor]
    /// impl Fetcher {
    ///     #[message]
    ///     fn fetch(&mut self, url: String, ctx: &mut Context<Self>) {
    ///         // The handler returns at once; the page comes back as a `Fetched` message.
    ///         ctx.spawn_task(async move { format!("<html>{url}</html>") }, |page| {
    ///             FetcherMsg::Fetched { page }
    ///         });
    ///     }
    ///
    ///     #[message]
    ///     fn fetched(&mut self, page: String) { self.pages.push(page); }
    ///
    ///     #[message]
    ///     fn pages(&self) -> usize { self.pages.len() }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let fetcher = system.spawn(Fetcher { pages: Vec::new() }).unwrap();
    /// fetcher.fetch("a".into()).await.unwrap();
    /// # for _ in 0..100 { if fetcher.pages().await.unwrap() == 1 { break } tokio::task::yield_now().await; }
    /// assert_eq!(fetcher.pages().await.unwrap(), 1);
    /// # }
    /// ```
    pub fn spawn_task<F, M>(&mut self, future: F, to_message: M) -> TaskHandle
    where
        F: Future + Send + 'static,
        M: FnOnce(F::Output) -> A::Msg + Send + 'static,
    {
        let task = pipe(Arc::clone(&self.cell), future, to_message);
        self.spawn_own_task(task)
    }

    /// Attaches `stream` to the actor: each item comes in as the message `on_item` makes
    /// of it, in order, and then the message `on_end` makes of [`StreamEnd::Finished`]
    /// (Akka's `Source.runWith(Sink.actorRefWithBackpressure)`, kameo's `attach_stream`,
    /// actix's `add_stream`).
    ///
    /// The stream is polled only when its last item is in the mailbox: a full mailbox
    /// stops it (backpressure), and nothing is buffered beyond the mailbox. It runs as a
    /// task of its own, does not keep the actor alive, and ends with it: a stop or a
    /// restart drops it and sends no end message (re-attach it in `post_restart` if the
    /// new instance needs it; Akka stops an actor's stream attachments with the actor
    /// too). A panic in the stream or a closure fails the actor, as in
    /// [`spawn_task`](Self::spawn_task). For a stream of `Result`s, see
    /// [`attach_try_stream`](Self::attach_try_stream).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::StreamEnd;
    ///
    /// #[actor]
    /// struct Summer { sum: u64, done: bool }
    ///
    /// #[actor]
    /// impl Summer {
    ///     #[started]
    ///     fn started(&mut self, ctx: &mut Context<Self>) {
    ///         let numbers = futures::stream::iter(1..=4_u64);
    ///         ctx.attach_stream(numbers, |n| SummerMsg::Add { n }, |_: StreamEnd| SummerMsg::Done);
    ///     }
    ///
    ///     #[message]
    ///     fn add(&mut self, n: u64) { self.sum += n; }
    ///
    ///     #[message]
    ///     fn done(&mut self) { self.done = true; }
    ///
    ///     #[message]
    ///     fn total(&self) -> Option<u64> { self.done.then_some(self.sum) }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let summer = system.spawn(Summer { sum: 0, done: false }).unwrap();
    /// # for _ in 0..100 { if summer.total().await.unwrap().is_some() { break } tokio::task::yield_now().await; }
    /// assert_eq!(summer.total().await.unwrap(), Some(10));
    /// # }
    /// ```
    pub fn attach_stream<S, I, End>(&mut self, stream: S, on_item: I, on_end: End) -> TaskHandle
    where
        S: Stream + Send + 'static,
        S::Item: Send + 'static,
        I: FnMut(S::Item) -> A::Msg + Send + 'static,
        End: FnOnce(StreamEnd) -> A::Msg + Send + 'static,
    {
        let task = drive(
            Arc::clone(&self.cell),
            stream.map(Ok::<S::Item, Infallible>),
            on_item,
            on_end,
        );
        self.spawn_own_task(task)
    }

    /// Attaches a stream of `Result`s, as [`attach_stream`](Self::attach_stream) does:
    /// each `Ok` item comes in as the message `on_item` makes of it; the first `Err` ends
    /// the stream (it is dropped, not polled again) with the message `on_end` makes of
    /// [`StreamEnd::Failed`], and a stream that runs out ends with
    /// [`StreamEnd::Finished`]. An error that should not end the stream is an item: attach
    /// it with `attach_stream` and map the `Result` in `on_item`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::StreamEnd;
    ///
    /// #[actor]
    /// struct Reader { lines: Vec<String>, end: Option<String> }
    ///
    /// #[actor]
    /// impl Reader {
    ///     #[started]
    ///     fn started(&mut self, ctx: &mut Context<Self>) {
    ///         let lines = futures::stream::iter([Ok("a".to_string()), Err("bad byte"), Ok("c".into())]);
    ///         ctx.attach_try_stream(lines, |line| ReaderMsg::Line { line }, |end| ReaderMsg::Ended {
    ///             error: end.into_error().map(String::from),
    ///         });
    ///     }
    ///
    ///     #[message]
    ///     fn line(&mut self, line: String) { self.lines.push(line); }
    ///
    ///     #[message]
    ///     fn ended(&mut self, error: Option<String>) { self.end = Some(error.unwrap_or_default()); }
    ///
    ///     #[message]
    ///     fn report(&self) -> Option<(Vec<String>, String)> {
    ///         self.end.clone().map(|end| (self.lines.clone(), end))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let reader = system.spawn(Reader { lines: Vec::new(), end: None }).unwrap();
    /// # for _ in 0..100 { if reader.report().await.unwrap().is_some() { break } tokio::task::yield_now().await; }
    /// let (lines, error) = reader.report().await.unwrap().unwrap();
    /// assert_eq!(lines, ["a"]);
    /// assert_eq!(error, "bad byte");
    /// # }
    /// ```
    pub fn attach_try_stream<S, T, E, I, End>(
        &mut self,
        stream: S,
        on_item: I,
        on_end: End,
    ) -> TaskHandle
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        I: FnMut(T) -> A::Msg + Send + 'static,
        End: FnOnce(StreamEnd<E>) -> A::Msg + Send + 'static,
    {
        let task = drive(Arc::clone(&self.cell), stream, on_item, on_end);
        self.spawn_own_task(task)
    }

    /// Spawns one of the actor's own tasks on its system's runtime; aborted at once if the
    /// actor is stopping, whose mailbox is closed.
    fn spawn_own_task(&mut self, task: impl Future<Output = ()> + Send + 'static) -> TaskHandle {
        let stopping = matches!(
            self.cell.status().get(),
            ActorStatus::Stopping | ActorStatus::Stopped(_)
        );
        // The actor runs on a runtime, so there is a current one if the system has none.
        let runtime = self
            .system
            .runtime()
            .cloned()
            .unwrap_or_else(Handle::current);
        let toolbox = self.toolbox.get_or_insert_with(Box::default);
        let handle = toolbox.tasks.spawn(&runtime, task);
        if stopping {
            handle.abort();
        }
        handle
    }
}

/// The stash (`crate::stash`).
impl<A: Actor> Context<A> {
    /// Puts `msg` aside to handle later (Akka's `Stash`, Akka Typed's `StashBuffer.stash`),
    /// together with the reply slot of the message being handled: an ask that is stashed
    /// is answered by the handler that handles it after [`unstash_all`](Self::unstash_all),
    /// and the current handler's return value goes nowhere.
    ///
    /// `#[actor]` moves the message into the handler as its arguments, so the stash takes
    /// the message back explicitly: rebuild it from them (`DoorMsg::Enter { who }`), as
    /// Akka Typed's `StashBuffer.stash(msg)` does; keeping a copy of every message for an
    /// argument-less `stash()` would cost a clone per message. Only a message of the
    /// variant being handled takes its asker along, since the asker waits for that
    /// variant's reply: one of another variant (checked when the handler returns, by
    /// [`Actor::message_name`]), one stashed in a hook, or a second one in the same
    /// handler is stashed as a tell, and the handler's return value answers the asker.
    ///
    /// The stash is bounded (see [`stash_capacity`](Self::stash_capacity)). What is
    /// stashed stays stashed until an unstash; if the actor restarts, it goes back in
    /// front of the mailbox for the new instance, also when the handler that stashed it
    /// fails afterwards (the message was handed over before the failure, as in Akka); if
    /// the actor stops for good, it goes to dead letters and its asks resolve with
    /// [`AskError::Stopped`](crate::AskError::Stopped).
    ///
    /// ```
    /// # use actor_core::prelude::*;
    /// #[actor]
    /// struct Door { open: bool }
    ///
    /// #[actor]
    /// impl Door {
    ///     #[message]
    ///     fn enter(&mut self, who: String, ctx: &mut Context<Self>) -> String {
    ///         if !self.open {
    ///             // Answered once the door is open; this return value goes nowhere.
    ///             if let Err(full) = ctx.stash(DoorMsg::Enter { who }) {
    ///                 return format!("turned away: {full}");
    ///             }
    ///             return String::new();
    ///         }
    ///         format!("welcome, {who}")
    ///     }
    ///
    ///     #[message]
    ///     fn open(&mut self, ctx: &mut Context<Self>) {
    ///         self.open = true;
    ///         ctx.unstash_all();
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let door = system.spawn(Door { open: false }).unwrap();
    /// // The ask is sent first, then the door opens.
    /// let (entered, opened) = tokio::join!(door.enter("ada".into()), door.open().tell());
    /// opened.unwrap();
    /// assert_eq!(entered.unwrap(), "welcome, ada");
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StashFull`] with the message if the stash holds as many as it may: the reply slot
    /// stays with the handler, so what it returns answers the ask.
    pub fn stash(&mut self, msg: A::Msg) -> Result<(), StashFull<A::Msg>> {
        let capacity = self.stash_capacity();
        let reply = self.reply.take();
        self.toolbox()
            .stash
            .push(msg, reply, capacity)
            .map_err(|(msg, reply)| {
                self.reply = reply;
                StashFull(msg)
            })
    }

    /// Gives every stashed message back, in the order they were stashed, in front of
    /// everything in the mailbox (Akka's `UnstashAll`): they are handled next, once the
    /// current handler returns, before any message that was queued meanwhile. Usually
    /// called on the transition to the state that can handle them.
    ///
    /// A handler of an unstashed message may stash it again; unstashing again puts it back
    /// in front of the rest, so the original order holds.
    pub fn unstash_all(&mut self) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            toolbox.stash.unstash_all();
        }
    }

    /// Gives the oldest stashed message back, in front of everything in the mailbox
    /// (Akka's `Unstash`); `false` if nothing is stashed. Several calls in one handler
    /// keep the stash's order.
    pub fn unstash_one(&mut self) -> bool {
        self.toolbox
            .as_deref_mut()
            .is_some_and(|toolbox| toolbox.stash.unstash_one())
    }

    /// How many messages are stashed and not unstashed yet.
    pub fn stash_len(&self) -> usize {
        self.toolbox
            .as_deref()
            .map_or(0, |toolbox| toolbox.stash.counts().stashed)
    }

    /// Whether the next [`stash`](Self::stash) would fail. Messages unstashed but not
    /// handled yet still take room: the actor holds them, not its mailbox.
    pub fn is_stash_full(&self) -> bool {
        let counts = self
            .toolbox
            .as_deref()
            .map(|toolbox| toolbox.stash.counts());
        let held = counts.map_or(0, |counts| counts.held);
        let capacity = counts.and_then(|counts| counts.capacity);
        held >= capacity.unwrap_or_else(|| self.default_stash_capacity())
    }

    /// How many messages the stash may hold, unstashed ones not handled yet included.
    ///
    /// By default, the capacity of the actor's mailbox (or
    /// [`MailboxConfig::DEFAULT_CAPACITY`] for an unbounded one): the stash holds what the
    /// mailbox would have, so an actor that stashes everything until it is ready holds at
    /// most twice its mailbox. Akka Typed asks for a capacity on every stash buffer; a
    /// default that follows the mailbox keeps `#[actor]` free of another option.
    pub fn stash_capacity(&self) -> usize {
        self.toolbox
            .as_deref()
            .and_then(|toolbox| toolbox.stash.counts().capacity)
            .unwrap_or_else(|| self.default_stash_capacity())
    }

    /// The stash's capacity unless one was set: the mailbox's.
    fn default_stash_capacity(&self) -> usize {
        self.cell
            .mailbox
            .capacity()
            .unwrap_or(MailboxConfig::DEFAULT_CAPACITY)
    }

    /// Sets how many messages the stash may hold, for example in the `started` hook. It
    /// survives restarts, as the stash does. Lowering it below what is held keeps every
    /// message: only new stashes fail until the stash is below it. `0` makes every stash
    /// fail.
    pub fn set_stash_capacity(&mut self, capacity: usize) {
        self.toolbox().stash.set_capacity(capacity);
    }

    /// The handler of a message of the variant `handled` returned or failed: if it stashed
    /// a message of another variant, that message could not answer this asker, so the
    /// reply slot comes back, for the runner to answer with what the handler returned.
    #[inline]
    pub(crate) fn settle_stashed_reply(&mut self, handled: &'static str) {
        if let Some(toolbox) = self.toolbox.as_deref_mut() {
            if let Some(reply) = toolbox.stash.settle(handled) {
                self.reply = Some(reply);
            }
        }
    }

    /// Counts what is still stashed or unstashed as dead letters and drops it, so that
    /// its asks resolve with `Stopped`: the actor has stopped for good.
    pub(crate) fn dead_letter_stash(&mut self) {
        let Some(toolbox) = self.toolbox.as_deref_mut() else {
            return;
        };
        for envelope in toolbox.stash.take_all() {
            self.cell.dead_letter(&envelope.msg);
        }
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

/// The tasks' own unit tests, here because they need an actor, whose handler names the
/// context, which the tasks' module sits below.
#[cfg(test)]
mod tasks_tests {
    use crate::actor::{Actor, BasicClient};
    use crate::context::Context;
    use crate::tasks::Tasks;

    struct Idle;

    impl Actor for Idle {
        type Msg = ();
        type Reply = ();
        type Client = BasicClient<Self>;

        async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}
    }

    #[tokio::test]
    async fn finished_tasks_are_pruned_so_the_handles_do_not_grow_without_bound() {
        let runtime = tokio::runtime::Handle::current();
        let mut tasks = Tasks::<Idle>::default();
        for _ in 0..1_000 {
            let handle = tasks.spawn(&runtime, async {});
            // The task has run to its end before the next spawn.
            while !handle.is_finished() {
                tokio::task::yield_now().await;
            }
        }
        // At most the vector's first allocation (4), since none is ever running at a prune.
        assert!(tasks.kept() <= 4, "kept {} handles", tasks.kept());
    }

    #[tokio::test]
    async fn dropping_the_tasks_aborts_them() {
        let runtime = tokio::runtime::Handle::current();
        let mut tasks = Tasks::<Idle>::default();
        let (mut alive, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tasks.spawn(&runtime, async move {
            let _ = rx.await;
        });
        tokio::task::yield_now().await;
        assert!(!handle.is_finished());
        drop(tasks);
        tokio::time::timeout(std::time::Duration::from_secs(60), alive.closed())
            .await
            .expect("the task's future was dropped");
        assert!(handle.is_finished());
    }
}
