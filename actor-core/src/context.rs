//! [`Context`]: what a running actor knows about itself.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures::Stream;
use futures::StreamExt;
use tokio::runtime::Handle;

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::cell::ActorCell;
use crate::address::core::{RefCore, Target};
use crate::death_watch::{Terminated, Watching};
use crate::error::{Failure, SpawnError};
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode};
use crate::mailbox::envelope::{Envelope, ReplySlot};
use crate::mailbox::signal::SystemSignal;
use crate::request::reply::ReplyTo;
use crate::stash::Stash;
use crate::supervision::strategy::RestartPolicy;
use crate::supervision::supervisor::{ChildEntry, Supervisor};
use crate::system::ActorSystem;
use crate::tasks::stream::{drive, StreamEnd};
use crate::tasks::{pipe, TaskHandle, Tasks};
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
    #[inline]
    pub(crate) fn poll_own_message(&mut self, cx: &mut TaskContext<'_>) -> Poll<Envelope<A>> {
        let Some(toolbox) = self.toolbox.as_deref_mut() else {
            return Poll::Pending;
        };
        if let Some(envelope) = toolbox.stash.next_unstashed() {
            return Poll::Ready(envelope);
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
