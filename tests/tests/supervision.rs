//! Supervision: each directive (resume, restart, stop, escalate), each strategy (one-for-one,
//! all-for-one, rest-for-one), the restart intensity, back-off, restart policies, failures
//! that are not panics (`fail_on_err`, `ctx.fail`), and what the decider sees.
//!
//! Every test synchronizes on replies, `terminated()` and `system.events()`; timing is
//! measured in paused tokio time only.

mod support;

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, RestartPolicy, SupervisorStrategy};
use actor_core::{ActorId, Failure, FailureKind, SpawnError, SystemEvent};
use support::{bounded, patient_system, patient_system_stopping_failed, poll_once, Events, Gate};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------

/// A child that counts, records its hooks (with the instance's generation, so the old and
/// the new instance of a restart can be told apart), and fails on request.
#[actor]
struct Worker {
    label: &'static str,
    generation: u32,
    count: u32,
    log: Events,
}

#[actor]
impl Worker {
    #[message]
    fn add(&mut self, n: u32) -> u32 {
        self.count += n;
        self.count
    }

    #[message]
    fn count(&self) -> u32 {
        self.count
    }

    #[message]
    fn generation(&self) -> u32 {
        self.generation
    }

    /// Panics with `why`.
    #[message]
    fn boom(&mut self, why: String) {
        self.record(format!("boom {why}"));
        panic!("{why}");
    }

    /// Waits at the gate, then panics with `why`.
    #[message]
    async fn explode_at(&mut self, gate: Gate, why: String) {
        gate.pass().await;
        self.record(format!("boom {why}"));
        panic!("{why}");
    }

    /// An `Err` is the reply and also fails the actor.
    #[message(fail_on_err)]
    fn check(&mut self, ok: bool) -> Result<u32, String> {
        if ok {
            Ok(self.count)
        } else {
            Err("check failed".to_owned())
        }
    }

    /// Replies with the count, then fails.
    #[message]
    fn give_up(&mut self, ctx: &mut Context<Self>, why: String) -> u32 {
        ctx.fail(why);
        self.count
    }

    /// Stops itself gracefully.
    #[message]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        self.record("quit");
        ctx.stop();
    }

    #[started]
    fn on_started(&mut self) {
        self.record("started");
    }

    #[pre_restart]
    fn on_pre_restart(&mut self) {
        self.record(format!("pre_restart count={}", self.count));
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.record("stopped");
    }
}

impl Worker {
    fn new(label: &'static str, generation: u32, log: &Events) -> Self {
        Worker {
            label,
            generation,
            count: 0,
            log: log.clone(),
        }
    }

    fn record(&self, event: impl AsRef<str>) {
        self.log.push(format!(
            "{}#{} {}",
            self.label,
            self.generation,
            event.as_ref()
        ));
    }
}

/// Props of a worker named `label` whose factory numbers the instances 1, 2, 3...
fn worker(label: &'static str, log: &Events) -> Props<Worker> {
    let log = log.clone();
    let made = Arc::new(AtomicU32::new(0));
    Props::new(move || Worker::new(label, made.fetch_add(1, Ordering::SeqCst) + 1, &log))
        .name(label)
}

/// Like [`Worker`], with its own `post_restart` (which does not run `started`).
#[actor]
struct Phoenix {
    generation: u32,
    count: u32,
    log: Events,
}

#[actor]
impl Phoenix {
    #[message]
    fn add(&mut self, n: u32) -> u32 {
        self.count += n;
        self.count
    }

    #[message]
    async fn explode_at(&mut self, gate: Gate) {
        gate.pass().await;
        panic!("phoenix burns");
    }

    #[started]
    fn on_started(&mut self) {
        self.record("started");
    }

    #[pre_restart]
    fn on_pre_restart(&mut self) {
        self.record(format!("pre_restart count={}", self.count));
    }

    #[post_restart]
    fn on_post_restart(&mut self, ctx: &mut Context<Self>) {
        self.record(format!("post_restart count={} id={}", self.count, ctx.id()));
    }
}

impl Phoenix {
    fn record(&self, event: impl AsRef<str>) {
        self.log
            .push(format!("phoenix#{} {}", self.generation, event.as_ref()));
    }
}

/// Its `started` hook panics when `fail_start` is set.
#[actor]
struct ShakyStart {
    fail_start: bool,
    count: u32,
}

#[actor]
impl ShakyStart {
    #[message]
    fn add(&mut self, n: u32) -> u32 {
        self.count += n;
        self.count
    }

    #[started]
    fn on_started(&mut self) {
        assert!(!self.fail_start, "cannot start");
    }
}

/// A supervisor strategy, chosen by type so one generic parent serves every test.
trait Strategy: 'static {
    fn strategy() -> SupervisorStrategy;
}

/// A parent that only supervises: the test hands it the props of its children.
#[actor(supervisor = S::strategy)]
struct Parent<S: Strategy> {
    strategy: PhantomData<fn() -> S>,
}

#[actor]
impl<S: Strategy> Parent<S> {
    #[message]
    fn hire(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Worker>,
    ) -> Result<ActorRef<Worker>, SpawnError> {
        ctx.spawn(props)
    }

    #[message]
    fn hire_phoenix(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Phoenix>,
    ) -> Result<ActorRef<Phoenix>, SpawnError> {
        ctx.spawn(props)
    }

    #[message]
    fn hire_shaky(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<ShakyStart>,
    ) -> Result<ActorRef<ShakyStart>, SpawnError> {
        ctx.spawn(props)
    }

    #[message]
    fn children(&self, ctx: &mut Context<Self>) -> Vec<ActorId> {
        ctx.children()
    }
}

fn parent<S: Strategy>(system: &ActorSystem) -> ActorRef<Parent<S>> {
    system
        .spawn(Props::new(|| Parent::<S> {
            strategy: PhantomData,
        }))
        .unwrap()
}

struct RestartAll;
impl Strategy for RestartAll {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(60))
    }
}

struct ResumeAll;
impl Strategy for ResumeAll {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| Directive::Resume)
    }
}

struct StopAll;
impl Strategy for StopAll {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| Directive::Stop)
    }
}

struct AllForOne;
impl Strategy for AllForOne {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::all_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(60))
    }
}

struct RestForOne;
impl Strategy for RestForOne {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::rest_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(60))
    }
}

struct TwoInTen;
impl Strategy for TwoInTen {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(2)
            .within(Duration::from_secs(10))
    }
}

struct BackingOff;
impl Strategy for BackingOff {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(10)
            .within(Duration::from_secs(60))
            .backoff(
                Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1))
                    .jitter(0.0),
            )
    }
}

struct SlowBackoff;
impl Strategy for SlowBackoff {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(10)
            .within(Duration::from_secs(60))
            .backoff(Backoff::exponential(
                Duration::from_secs(10),
                Duration::from_secs(10),
            ))
    }
}

/// What the [`Picky`] decider was shown: child, name, failure message.
type Seen = (ActorId, Option<String>, String);
static PICKY_SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// Resumes on "transient", stops on "fatal", restarts otherwise; records what it saw.
struct Picky;
impl Strategy for Picky {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|failure| {
            PICKY_SEEN.lock().unwrap().push((
                failure.child,
                failure.name.as_deref().map(str::to_owned),
                failure.failure.message().to_owned(),
            ));
            if failure.failure.message().contains("transient") {
                Directive::Resume
            } else if failure.failure.message().contains("fatal") {
                Directive::Stop
            } else {
                Directive::Restart
            }
        })
    }
}

fn escalate_all() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().decider(|_| Directive::Escalate)
}

/// The middle of a three-level tree: escalates every failure of its leaf, and creates the
/// leaf in `started` (which the default `post_restart` runs again after a restart).
#[actor(supervisor = escalate_all)]
struct Middle {
    log: Events,
    generation: u32,
    leaf: Option<ActorRef<Worker>>,
}

#[actor]
impl Middle {
    #[message]
    fn leaf(&self) -> Option<ActorRef<Worker>> {
        self.leaf.clone()
    }

    #[message]
    fn generation(&self) -> u32 {
        self.generation
    }

    #[started]
    fn on_started(&mut self, ctx: &mut Context<Self>) {
        self.log.push(format!("middle#{} started", self.generation));
        let log = self.log.clone();
        match ctx.spawn(worker("leaf", &log)) {
            Ok(leaf) => self.leaf = Some(leaf),
            Err(err) => self
                .log
                .push(format!("middle#{} spawn failed: {err}", self.generation)),
        }
    }

    #[pre_restart]
    fn on_pre_restart(&mut self) {
        self.log
            .push(format!("middle#{} pre_restart", self.generation));
    }
}

/// The top of a three-level tree: restarts its middle (the default strategy).
#[actor]
struct Grandparent {
    log: Events,
    middle: Option<ActorRef<Middle>>,
}

#[actor]
impl Grandparent {
    #[message]
    fn middle(&self) -> Option<ActorRef<Middle>> {
        self.middle.clone()
    }

    #[started]
    fn on_started(&mut self, ctx: &mut Context<Self>) {
        self.log.push("grandparent started");
        let log = self.log.clone();
        let made = Arc::new(AtomicU32::new(0));
        let props = Props::new(move || Middle {
            log: log.clone(),
            generation: made.fetch_add(1, Ordering::SeqCst) + 1,
            leaf: None,
        })
        .name("middle");
        self.middle = ctx.spawn(props).ok();
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Waits (bounded) for the next event that `wanted` accepts, skipping the others.
async fn next_event(
    events: &mut broadcast::Receiver<SystemEvent>,
    what: &str,
    mut wanted: impl FnMut(&SystemEvent) -> bool,
) -> SystemEvent {
    bounded(what, async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => panic!("the event receiver lagged by {n}"),
                Err(RecvError::Closed) => panic!("the event stream closed"),
            }
        }
    })
    .await
}

/// Every event up to and including the first one that `last` accepts.
async fn events_until(
    events: &mut broadcast::Receiver<SystemEvent>,
    what: &str,
    mut last: impl FnMut(&SystemEvent) -> bool,
) -> Vec<SystemEvent> {
    let mut seen = Vec::new();
    next_event(events, what, |event| {
        seen.push(event.clone());
        last(event)
    })
    .await;
    seen
}

/// The events about `id`, up to and including its `Stopped`.
async fn stopped_events(
    events: &mut broadcast::Receiver<SystemEvent>,
    id: ActorId,
) -> Vec<SystemEvent> {
    let mut all = events_until(
        events,
        "a Stopped event",
        |event| matches!(event, SystemEvent::Stopped { actor, .. } if *actor == id),
    )
    .await;
    all.retain(|event| about(event, id));
    all
}

/// The event is about `id` (as the actor, or as the child of a decision).
fn about(event: &SystemEvent, id: ActorId) -> bool {
    match event {
        SystemEvent::Failed { actor, .. }
        | SystemEvent::Restarted { actor, .. }
        | SystemEvent::Stopped { actor, .. } => *actor == id,
        SystemEvent::Decided { child, .. } => *child == id,
        SystemEvent::DeadLetter(letter) => letter.recipient == id,
        _ => false,
    }
}

fn is_restarted(event: &SystemEvent, id: ActorId) -> bool {
    matches!(event, SystemEvent::Restarted { actor, .. } if *actor == id)
}

/// Waits until `id` was restarted.
async fn restarted(events: &mut broadcast::Receiver<SystemEvent>, id: ActorId) {
    next_event(events, "a Restarted event", |event| is_restarted(event, id)).await;
}

/// Waits until every actor in `ids` was restarted, in any order.
async fn all_restarted(events: &mut broadcast::Receiver<SystemEvent>, ids: &[ActorId]) {
    let mut missing: Vec<ActorId> = ids.to_vec();
    while !missing.is_empty() {
        let event = next_event(events, "the Restarted events", |event| {
            missing.iter().any(|id| is_restarted(event, *id))
        })
        .await;
        missing.retain(|id| !is_restarted(&event, *id));
    }
}

/// Every event already received, without waiting.
fn drain(events: &mut broadcast::Receiver<SystemEvent>) -> Vec<SystemEvent> {
    let mut all = Vec::new();
    while let Ok(event) = events.try_recv() {
        all.push(event);
    }
    all
}

/// A short, comparable name for an event about one actor.
fn label(event: &SystemEvent) -> String {
    match event {
        SystemEvent::Failed { failure, .. } => format!("Failed({})", failure.message()),
        SystemEvent::Decided { directive, .. } => format!("Decided({directive:?})"),
        SystemEvent::Restarted { .. } => "Restarted".to_owned(),
        SystemEvent::Stopped { reason, .. } => format!("Stopped({reason})"),
        SystemEvent::DeadLetter(letter) => format!("DeadLetter({})", letter.message),
        other => format!("{other:?}"),
    }
}

fn failure_of<M>(result: Result<(), AskError<M>>) -> Failure {
    match result {
        Err(AskError::Failed(failure)) => failure,
        Err(other) => panic!("expected AskError::Failed, got {other:?}"),
        Ok(()) => panic!("expected AskError::Failed, got a reply"),
    }
}

fn stop_failure(reason: StopReason) -> Failure {
    match reason {
        StopReason::Failed(failure) => failure,
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Directives
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn resume_keeps_the_state_drops_the_failing_message_and_handles_the_next() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<ResumeAll>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    assert_eq!(child.add(3).await.unwrap(), 3);

    let (gate, mut control) = Gate::new();
    let mut explode = pin!(child.explode_at(gate, "oops".into()).into_future());
    assert!(poll_once(explode.as_mut()).await.is_pending());
    control.entered().await;
    let mut queued = pin!(child.add(1).into_future());
    assert!(poll_once(queued.as_mut()).await.is_pending());
    control.release();

    let failure = failure_of(bounded("the failing ask", explode).await);
    assert_eq!(failure.kind(), FailureKind::HandlerPanic);
    assert_eq!(failure.message(), "oops");
    // The queued message is handled by the same instance, with its state.
    assert_eq!(bounded("the queued ask", queued).await.unwrap(), 4);
    assert_eq!(child.generation().await.unwrap(), 1);
    assert_eq!(child.count().await.unwrap(), 4);
    assert!(child.is_alive());

    let seen: Vec<String> = drain(&mut events)
        .iter()
        .filter(|event| about(event, child.id()))
        .map(label)
        .collect();
    assert_eq!(seen, ["Failed(oops)", "Decided(Resume)"]);
    assert_eq!(log.snapshot(), ["w#1 started", "w#1 boom oops"]);
    system.shutdown().await;
}

#[tokio::test]
async fn restart_makes_a_fresh_instance_behind_the_same_ref_and_keeps_the_queue() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    let id = child.id();
    assert_eq!(child.add(3).await.unwrap(), 3);

    let (gate, mut control) = Gate::new();
    let mut explode = pin!(child.explode_at(gate, "kaput".into()).into_future());
    assert!(poll_once(explode.as_mut()).await.is_pending());
    control.entered().await;
    // Two messages queue behind the one that fails: both survive the restart.
    let mut first = pin!(child.add(1).into_future());
    assert!(poll_once(first.as_mut()).await.is_pending());
    child.add(10).try_tell().unwrap();
    control.release();

    let failure = failure_of(bounded("the failing ask", explode).await);
    assert_eq!(failure.kind(), FailureKind::HandlerPanic);
    assert_eq!(failure.message(), "kaput");
    // Fresh state: 0 + 1, then + 10.
    assert_eq!(bounded("the first queued ask", first).await.unwrap(), 1);
    assert_eq!(child.count().await.unwrap(), 11);
    assert_eq!(child.generation().await.unwrap(), 2);

    // Same ref, same id, same path; the lookup finds the same actor.
    assert_eq!(child.id(), id);
    assert!(child.is_alive());
    let found = system.lookup::<Worker>(child.path()).unwrap();
    assert_eq!(found.id(), id);
    assert_eq!(parent.children().await.unwrap(), [id]);

    // pre_restart on the old instance, then (the default post_restart) started on the new.
    assert_eq!(
        log.snapshot(),
        [
            "w#1 started",
            "w#1 boom kaput",
            "w#1 pre_restart count=3",
            "w#2 started"
        ]
    );
    // Failed -> Decided(Restart) -> Restarted, in that order.
    let seen: Vec<String> = drain(&mut events)
        .iter()
        .filter(|event| about(event, id))
        .map(label)
        .collect();
    assert_eq!(seen, ["Failed(kaput)", "Decided(Restart)", "Restarted"]);
    system.shutdown().await;
}

#[tokio::test]
async fn restart_runs_pre_restart_on_the_old_instance_and_post_restart_on_the_new() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let made = Arc::new(AtomicU32::new(0));
    let props = {
        let log = log.clone();
        Props::new(move || Phoenix {
            generation: made.fetch_add(1, Ordering::SeqCst) + 1,
            count: 0,
            log: log.clone(),
        })
    };
    let phoenix = parent.hire_phoenix(props).await.unwrap().unwrap();
    assert_eq!(phoenix.add(2).await.unwrap(), 2);

    let (gate, mut control) = Gate::new();
    let mut explode = pin!(phoenix.explode_at(gate).into_future());
    assert!(poll_once(explode.as_mut()).await.is_pending());
    control.entered().await;
    control.release();
    let failure = failure_of(bounded("the failing ask", explode).await);
    assert_eq!(failure.message(), "phoenix burns");
    restarted(&mut events, phoenix.id()).await;
    assert_eq!(phoenix.add(5).await.unwrap(), 5);

    // `started` runs once (first instance); the new instance gets `post_restart` only.
    assert_eq!(
        log.snapshot(),
        [
            "phoenix#1 started".to_owned(),
            "phoenix#1 pre_restart count=2".to_owned(),
            format!("phoenix#2 post_restart count=0 id={}", phoenix.id()),
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn stop_directive_stops_the_child_with_its_failure() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<StopAll>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    assert_eq!(child.add(1).await.unwrap(), 1);

    let (gate, mut control) = Gate::new();
    let mut explode = pin!(child.explode_at(gate, "done for".into()).into_future());
    assert!(poll_once(explode.as_mut()).await.is_pending());
    control.entered().await;
    let mut queued = pin!(child.add(1).into_future());
    assert!(poll_once(queued.as_mut()).await.is_pending());
    control.release();

    let failure = failure_of(bounded("the failing ask", explode).await);
    let reason = bounded("the child to stop", child.terminated()).await;
    let stopped_with = stop_failure(reason);
    assert_eq!(stopped_with, failure);
    assert_eq!(stopped_with.kind(), FailureKind::HandlerPanic);
    assert_eq!(stopped_with.message(), "done for");
    // The message queued behind the failure is not handled.
    assert!(matches!(
        bounded("the queued ask", queued).await,
        Err(AskError::Stopped)
    ));
    // The parent goes on, with no children left.
    assert!(parent.is_alive());
    assert_eq!(parent.children().await.unwrap(), []);
    assert_eq!(log.with_prefix("w#2"), Vec::<String>::new());

    let seen: Vec<String> = stopped_events(&mut events, child.id())
        .await
        .iter()
        .map(label)
        .collect();
    assert_eq!(
        seen,
        [
            "Failed(done for)",
            "Decided(Stop)",
            // The queued message is dropped.
            "DeadLetter(Add)",
            "Stopped(failed: handler of `ExplodeAt` panicked: done for)"
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn escalate_fails_the_parent_and_the_grandparent_restarts_it_with_new_children() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let grandparent = system
        .spawn(
            Props::new({
                let log = log.clone();
                move || Grandparent {
                    log: log.clone(),
                    middle: None,
                }
            })
            .name("gp"),
        )
        .unwrap();
    let middle = grandparent.middle().await.unwrap().expect("middle spawned");
    let old_leaf = middle.leaf().await.unwrap().expect("leaf spawned");
    assert_eq!(middle.path(), "/user/gp/middle");
    assert_eq!(old_leaf.path(), "/user/gp/middle/leaf");
    assert_eq!(old_leaf.add(7).await.unwrap(), 7);

    let failure = failure_of(bounded("the failing ask", old_leaf.boom("deep".into())).await);
    assert_eq!(failure.message(), "deep");
    let all = events_until(&mut events, "the middle's restart", |event| {
        is_restarted(event, middle.id())
    })
    .await;

    // The leaf that failed is stopped for good, with its failure.
    let reason = bounded("the old leaf to stop", old_leaf.terminated()).await;
    assert_eq!(stop_failure(reason).message(), "deep");
    // The middle is the same actor, a new instance, with a new leaf at the same path.
    assert_eq!(middle.generation().await.unwrap(), 2);
    assert!(middle.is_alive());
    let new_leaf = middle.leaf().await.unwrap().expect("leaf re-created");
    assert_ne!(new_leaf.id(), old_leaf.id());
    assert_eq!(new_leaf.path(), "/user/gp/middle/leaf");
    assert_eq!(new_leaf.count().await.unwrap(), 0);
    assert_eq!(
        system
            .lookup::<Worker>("/user/gp/middle/leaf")
            .unwrap()
            .id(),
        new_leaf.id()
    );
    // The grandparent was not restarted.
    assert_eq!(
        grandparent.middle().await.unwrap().unwrap().id(),
        middle.id()
    );
    assert_eq!(log.with_prefix("grandparent"), ["grandparent started"]);
    assert_eq!(
        log.with_prefix("middle"),
        [
            "middle#1 started",
            "middle#1 pre_restart",
            "middle#2 started"
        ]
    );

    // What the event stream shows, in order: the middle escalates its leaf's failure,
    // fails itself, and the grandparent restarts it.
    let position = |what: &str, wanted: &dyn Fn(&SystemEvent) -> bool| {
        all.iter()
            .position(wanted)
            .unwrap_or_else(|| panic!("no {what} in {all:?}"))
    };
    let escalated = position("Decided(Escalate) by the middle", &|event| {
        matches!(event, SystemEvent::Decided { supervisor, child, directive: Directive::Escalate, .. }
            if *supervisor == Some(middle.id()) && *child == old_leaf.id())
    });
    let failed = position("Failed(Escalated) of the middle", &|event| {
        matches!(event, SystemEvent::Failed { actor, failure, .. }
            if *actor == middle.id()
                && failure.kind() == FailureKind::Escalated
                && failure.message().contains("deep"))
    });
    let decided = position("Decided(Restart) by the grandparent", &|event| {
        matches!(event, SystemEvent::Decided { supervisor, child, directive: Directive::Restart, .. }
            if *supervisor == Some(grandparent.id()) && *child == middle.id())
    });
    assert!(escalated < failed && failed < decided, "{all:?}");
    assert!(
        matches!(all.last(), Some(SystemEvent::Restarted { actor, .. }) if *actor == middle.id())
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn one_for_one_restarts_only_the_failed_child() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let a = parent.hire(worker("a", &log)).await.unwrap().unwrap();
    let b = parent.hire(worker("b", &log)).await.unwrap().unwrap();
    assert_eq!(a.add(1).await.unwrap(), 1);
    assert_eq!(b.add(2).await.unwrap(), 2);

    failure_of(bounded("the failing ask", a.boom("a fails".into())).await);
    restarted(&mut events, a.id()).await;
    // A restart of `b` would have been commanded together with `a`'s, before `a`
    // restarted, and signals are handled before messages: `b` would answer 0.
    assert_eq!(b.count().await.unwrap(), 2);
    assert_eq!(b.generation().await.unwrap(), 1);
    assert_eq!(a.count().await.unwrap(), 0);
    assert_eq!(a.generation().await.unwrap(), 2);
    assert!(!drain(&mut events)
        .iter()
        .any(|event| is_restarted(event, b.id())));
    system.shutdown().await;
}

#[tokio::test]
async fn all_for_one_restarts_every_child() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<AllForOne>(&system);
    let kids = [
        parent.hire(worker("a", &log)).await.unwrap().unwrap(),
        parent.hire(worker("b", &log)).await.unwrap().unwrap(),
        parent.hire(worker("c", &log)).await.unwrap().unwrap(),
    ];
    for kid in &kids {
        assert_eq!(kid.add(5).await.unwrap(), 5);
    }
    let ids: Vec<ActorId> = kids.iter().map(|kid| kid.id()).collect();

    failure_of(bounded("the failing ask", kids[1].boom("b fails".into())).await);
    all_restarted(&mut events, &ids).await;
    for kid in &kids {
        assert_eq!(
            kid.count().await.unwrap(),
            0,
            "{} kept its state",
            kid.path()
        );
        assert_eq!(kid.generation().await.unwrap(), 2);
        assert!(kid.is_alive());
    }
    assert_eq!(parent.children().await.unwrap(), ids);
    system.shutdown().await;
}

#[tokio::test]
async fn all_for_one_stops_a_temporary_sibling_instead_of_restarting_it() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<AllForOne>(&system);
    let a = parent.hire(worker("a", &log)).await.unwrap().unwrap();
    let temp = parent
        .hire(worker("temp", &log).restart(RestartPolicy::Temporary))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(temp.add(1).await.unwrap(), 1);

    failure_of(bounded("the failing ask", a.boom("a fails".into())).await);
    restarted(&mut events, a.id()).await;
    let reason = bounded("the temporary sibling to stop", temp.terminated()).await;
    assert!(
        !matches!(reason, StopReason::Failed(_)),
        "the sibling did not fail: {reason:?}"
    );
    assert_eq!(log.with_prefix("temp#2"), Vec::<String>::new());
    assert_eq!(parent.children().await.unwrap(), [a.id()]);
    system.shutdown().await;
}

#[tokio::test]
async fn rest_for_one_restarts_the_failed_child_and_those_spawned_after_it() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestForOne>(&system);
    let a = parent.hire(worker("a", &log)).await.unwrap().unwrap();
    let b = parent.hire(worker("b", &log)).await.unwrap().unwrap();
    let c = parent.hire(worker("c", &log)).await.unwrap().unwrap();
    for kid in [&a, &b, &c] {
        assert_eq!(kid.add(4).await.unwrap(), 4);
    }

    failure_of(bounded("the failing ask", b.boom("b fails".into())).await);
    all_restarted(&mut events, &[b.id(), c.id()]).await;
    // `a` came before `b`: untouched (its restart would have been commanded before c's
    // Restarted and handled before this ask).
    assert_eq!(a.count().await.unwrap(), 4);
    assert_eq!(a.generation().await.unwrap(), 1);
    for kid in [&b, &c] {
        assert_eq!(kid.count().await.unwrap(), 0);
        assert_eq!(kid.generation().await.unwrap(), 2);
    }
    assert!(!drain(&mut events)
        .iter()
        .any(|event| is_restarted(event, a.id())));
    assert_eq!(log.with_prefix("a#2"), Vec::<String>::new());
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Intensity and back-off
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn exceeding_the_restart_intensity_stops_the_child_and_fails_the_parent() {
    let system = patient_system_stopping_failed();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<TwoInTen>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();

    for round in 1..=2 {
        assert_eq!(child.add(1).await.unwrap(), 1, "round {round}: fresh state");
        failure_of(bounded("a failing ask", child.boom(format!("fail {round}"))).await);
        restarted(&mut events, child.id()).await;
    }
    assert_eq!(child.add(1).await.unwrap(), 1);
    // The third failure within 10s is one restart too many.
    failure_of(bounded("the third failing ask", child.boom("fail 3".into())).await);

    let reason = bounded("the child to stop", child.terminated()).await;
    assert_eq!(stop_failure(reason).message(), "fail 3");
    let reason = bounded("the parent to fail", parent.terminated()).await;
    let failure = stop_failure(reason);
    assert_eq!(failure.kind(), FailureKind::Escalated);
    assert!(failure.message().contains("fail 3"), "{failure}");
    assert_eq!(log.with_prefix("w#4"), Vec::<String>::new());

    let all = drain(&mut events);
    assert!(
        all.iter().any(|event| matches!(event,
            SystemEvent::Decided { supervisor, child: c, directive: Directive::Escalate, .. }
                if *supervisor == Some(parent.id()) && *c == child.id())),
        "no Decided(Escalate) for the child in {all:?}"
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failures_spread_beyond_the_window_keep_restarting() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<TwoInTen>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();

    // Six seconds apart: never more than two failures within any 10s window.
    for round in 1..=6 {
        assert_eq!(child.add(1).await.unwrap(), 1, "round {round}: fresh state");
        failure_of(bounded("a failing ask", child.boom(format!("fail {round}"))).await);
        restarted(&mut events, child.id()).await;
        tokio::time::advance(Duration::from_secs(6)).await;
    }
    assert_eq!(child.generation().await.unwrap(), 7);
    assert!(child.is_alive());
    assert!(parent.is_alive());
    assert_eq!(parent.children().await.unwrap(), [child.id()]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn backoff_delays_each_restart_exponentially() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<BackingOff>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    let id = child.id();

    let mut delays = Vec::new();
    for round in 1..=3 {
        failure_of(bounded("a failing ask", child.boom(format!("fail {round}"))).await);
        next_event(
            &mut events,
            "the Failed event",
            |event| matches!(event, SystemEvent::Failed { actor, .. } if *actor == id),
        )
        .await;
        let failed_at = Instant::now();
        restarted(&mut events, id).await;
        delays.push(failed_at.elapsed());
    }
    let ms = Duration::from_millis;
    assert!(delays[0] >= ms(100), "first restart after {:?}", delays[0]);
    assert!(delays[0] < ms(200), "first restart after {:?}", delays[0]);
    assert!(delays[1] >= ms(200), "second restart after {:?}", delays[1]);
    assert!(delays[1] < ms(400), "second restart after {:?}", delays[1]);
    assert!(delays[2] >= ms(400), "third restart after {:?}", delays[2]);
    assert_eq!(child.generation().await.unwrap(), 4);
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Restart policies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_permanent_child_is_restarted_after_it_stops_itself() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent
        .hire(worker("perm", &log).restart(RestartPolicy::Permanent))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.add(2).await.unwrap(), 2);
    child.quit().await.unwrap();
    // Sent after the stop: it waits in the kept mailbox for the new instance.
    assert_eq!(child.add(1).await.unwrap(), 1);
    assert_eq!(child.generation().await.unwrap(), 2);
    assert!(child.is_alive());
    let seen: Vec<String> = drain(&mut events)
        .iter()
        .filter(|event| about(event, child.id()))
        .map(label)
        .collect();
    assert_eq!(seen, ["Decided(Restart)", "Restarted"]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_transient_child_that_stops_itself_stays_stopped() {
    let system = patient_system();
    let log = Events::default();
    let parent = parent::<RestartAll>(&system);
    let child = parent
        .hire(worker("trans", &log).restart(RestartPolicy::Transient))
        .await
        .unwrap()
        .unwrap();
    child.quit().await.unwrap();
    let reason = bounded("the child to stop", child.terminated()).await;
    assert_eq!(reason, StopReason::Requested);
    assert_eq!(parent.children().await.unwrap(), []);
    assert_eq!(
        log.snapshot(),
        ["trans#1 started", "trans#1 quit", "trans#1 stopped"]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_transient_child_is_restarted_after_a_failure() {
    // Transient is the default policy: restarted after a failure, not after a stop.
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent.hire(worker("trans", &log)).await.unwrap().unwrap();
    failure_of(bounded("the failing ask", child.boom("x".into())).await);
    restarted(&mut events, child.id()).await;
    assert_eq!(child.generation().await.unwrap(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn a_temporary_child_is_never_restarted_even_after_a_failure() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent
        .hire(worker("temp", &log).restart(RestartPolicy::Temporary))
        .await
        .unwrap()
        .unwrap();
    failure_of(bounded("the failing ask", child.boom("gone".into())).await);
    let reason = bounded("the child to stop", child.terminated()).await;
    assert_eq!(stop_failure(reason).message(), "gone");
    let seen: Vec<String> = stopped_events(&mut events, child.id())
        .await
        .iter()
        .map(label)
        .collect();
    assert_eq!(
        seen,
        [
            "Failed(gone)",
            "Decided(Stop)",
            "Stopped(failed: handler of `Boom` panicked: gone)"
        ]
    );
    assert_eq!(log.with_prefix("temp#2"), Vec::<String>::new());
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Failures that are not panics
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn fail_on_err_replies_with_the_err_and_restarts_the_actor() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    assert_eq!(child.add(4).await.unwrap(), 4);
    // An Ok does not fail it.
    assert_eq!(child.check(true).await.unwrap(), Ok(4));
    assert_eq!(child.generation().await.unwrap(), 1);

    assert_eq!(
        bounded("the failing check", child.check(false))
            .await
            .unwrap(),
        Err("check failed".to_owned())
    );
    let failed = next_event(
        &mut events,
        "the Failed event",
        |event| matches!(event, SystemEvent::Failed { actor, .. } if *actor == child.id()),
    )
    .await;
    match failed {
        SystemEvent::Failed { failure, .. } => {
            assert_eq!(failure.kind(), FailureKind::Error);
            assert_eq!(failure.message(), "check failed");
        }
        other => panic!("unexpected {other:?}"),
    }
    restarted(&mut events, child.id()).await;
    assert_eq!(child.count().await.unwrap(), 0);
    assert_eq!(child.generation().await.unwrap(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn ctx_fail_replies_then_fails_the_actor() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<RestartAll>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    assert_eq!(child.add(9).await.unwrap(), 9);
    // The handler's reply is delivered; the failure comes after it.
    assert_eq!(child.give_up("tired".into()).await.unwrap(), 9);
    let failed = next_event(
        &mut events,
        "the Failed event",
        |event| matches!(event, SystemEvent::Failed { actor, .. } if *actor == child.id()),
    )
    .await;
    match failed {
        SystemEvent::Failed { failure, .. } => {
            assert_eq!(failure.kind(), FailureKind::Error);
            assert_eq!(failure.message(), "tired");
        }
        other => panic!("unexpected {other:?}"),
    }
    restarted(&mut events, child.id()).await;
    assert_eq!(child.count().await.unwrap(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn an_actor_spawned_from_a_value_cannot_be_restarted_and_stops() {
    let system = patient_system();
    let log = Events::default();
    let parent = parent::<RestartAll>(&system);
    let child = parent
        .hire(Props::from_value(Worker::new("once", 1, &log)).name("once"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.add(1).await.unwrap(), 1);
    let failure = failure_of(bounded("the failing ask", child.boom("once only".into())).await);
    assert_eq!(failure.message(), "once only");

    let reason = bounded("the child to stop", child.terminated()).await;
    let stopped_with = stop_failure(reason);
    assert_eq!(stopped_with.kind(), FailureKind::Error);
    assert!(
        stopped_with.message().contains("cannot be re-created"),
        "{stopped_with}"
    );
    assert!(parent.is_alive());
    assert_eq!(parent.children().await.unwrap(), []);
    system.shutdown().await;
}

#[tokio::test]
async fn the_default_decider_stops_a_child_whose_factory_panics_on_restart() {
    let system = patient_system();
    let log = Events::default();
    let parent = parent::<RestartAll>(&system);
    let made = Arc::new(AtomicU32::new(0));
    let props = {
        let log = log.clone();
        Props::new(move || {
            let generation = made.fetch_add(1, Ordering::SeqCst) + 1;
            assert!(generation == 1, "no second chance");
            Worker::new("fragile", generation, &log)
        })
    };
    let child = parent.hire(props).await.unwrap().unwrap();
    failure_of(bounded("the failing ask", child.boom("first".into())).await);
    let reason = bounded("the child to stop", child.terminated()).await;
    let stopped_with = stop_failure(reason);
    assert_eq!(stopped_with.kind(), FailureKind::FactoryPanic);
    assert!(
        stopped_with.message().contains("no second chance"),
        "{stopped_with}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn the_decider_sees_the_child_its_name_and_the_failure() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<Picky>(&system);
    let child = parent.hire(worker("picky", &log)).await.unwrap().unwrap();
    assert_eq!(child.add(5).await.unwrap(), 5);

    failure_of(bounded("a transient failure", child.boom("transient glitch".into())).await);
    // Resumed: the same instance, with its state.
    assert_eq!(child.add(1).await.unwrap(), 6);
    assert_eq!(child.generation().await.unwrap(), 1);

    failure_of(bounded("a fatal failure", child.boom("fatal error".into())).await);
    let reason = bounded("the child to stop", child.terminated()).await;
    assert_eq!(stop_failure(reason).message(), "fatal error");

    let seen = PICKY_SEEN.lock().unwrap().clone();
    let name = Some("picky".to_owned());
    assert_eq!(
        seen,
        [
            (child.id(), name.clone(), "transient glitch".to_owned()),
            (child.id(), name, "fatal error".to_owned()),
        ]
    );
    let directives: Vec<Directive> = drain(&mut events)
        .iter()
        .filter_map(|event| match event {
            SystemEvent::Decided {
                supervisor,
                child: c,
                directive,
                ..
            } if *c == child.id() => {
                assert_eq!(*supervisor, Some(parent.id()));
                Some(*directive)
            }
            _ => None,
        })
        .collect();
    assert_eq!(directives, [Directive::Resume, Directive::Stop]);
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// More on intensity, back-off and the guardian
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn the_intensity_counts_the_restarts_of_all_children_together() {
    let system = patient_system_stopping_failed();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<TwoInTen>(&system);
    let a = parent.hire(worker("a", &log)).await.unwrap().unwrap();
    let b = parent.hire(worker("b", &log)).await.unwrap().unwrap();

    failure_of(bounded("a's first failure", a.boom("a1".into())).await);
    restarted(&mut events, a.id()).await;
    failure_of(bounded("b's failure", b.boom("b1".into())).await);
    restarted(&mut events, b.id()).await;
    // Two restarts so far, one per child: a third, by either, is too many.
    failure_of(bounded("a's second failure", a.boom("a2".into())).await);

    let reason = bounded("a to stop", a.terminated()).await;
    assert_eq!(stop_failure(reason).message(), "a2");
    let reason = bounded("the parent to fail", parent.terminated()).await;
    assert_eq!(stop_failure(reason).kind(), FailureKind::Escalated);
    // The parent stopped its other child on its way out.
    assert!(bounded("b to stop", b.terminated()).await != StopReason::Aborted);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_does_not_wait_for_a_pending_back_off() {
    let system = patient_system();
    let log = Events::default();
    let mut events = system.events();
    let parent = parent::<SlowBackoff>(&system);
    let child = parent.hire(worker("w", &log)).await.unwrap().unwrap();
    failure_of(bounded("the failing ask", child.boom("later".into())).await);
    next_event(&mut events, "the restart decision", |event| {
        matches!(event, SystemEvent::Decided { child: c, directive: Directive::Restart, .. } if *c == child.id())
    })
    .await;

    // The child now waits 10s before its restart; shutdown stops it at once.
    let start = Instant::now();
    let report = bounded("the shutdown", system.shutdown()).await;
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "shutdown waited {:?}",
        start.elapsed()
    );
    assert_eq!(report.aborted, 0, "{report:?}");
    assert_eq!(report.stopped, 2, "{report:?}");
    assert!(child.status().is_stopped());
    assert!(!drain(&mut events)
        .iter()
        .any(|event| is_restarted(event, child.id())));
    assert_eq!(log.with_prefix("w#2"), Vec::<String>::new());
}

/// The guardian's default (since issue 10, Akka's `/user` guardian): a failed top-level
/// actor is restarted within the intensity (3 in 5 s), and stopped past it. An actor whose
/// every instance fails in `started` uses the three restarts, then stops with its failure.
/// On a paused clock, so that the restarts all fall within the window.
#[tokio::test(start_paused = true)]
async fn the_guardian_restarts_a_failed_top_level_actor_by_default_then_stops_it() {
    let system = patient_system();
    let mut events = system.events();
    let shaky = system
        .spawn(Props::new(|| ShakyStart {
            fail_start: true,
            count: 0,
        }))
        .unwrap();
    let reason = bounded("the actor to stop", shaky.terminated()).await;
    let failure = stop_failure(reason);
    assert_eq!(failure.kind(), FailureKind::HookPanic);
    assert_eq!(failure.message(), "cannot start");
    let seen: Vec<SystemEvent> = events_until(
        &mut events,
        "the Stopped event",
        |event| matches!(event, SystemEvent::Stopped { actor, .. } if *actor == shaky.id()),
    )
    .await;
    let directives: Vec<Directive> = seen
        .iter()
        .filter_map(|event| match event {
            SystemEvent::Decided {
                supervisor: None,
                child,
                directive,
                ..
            } if *child == shaky.id() => Some(*directive),
            _ => None,
        })
        .collect();
    // Past the intensity the plan is an escalation, which at the top stops the actor.
    assert_eq!(
        directives,
        [
            Directive::Restart,
            Directive::Restart,
            Directive::Restart,
            Directive::Escalate
        ],
        "{seen:?}"
    );
    system.shutdown().await;
}

/// The guardian's former default, set explicitly: a failed top-level actor is stopped.
#[tokio::test]
async fn a_stopping_guardian_strategy_stops_a_failed_top_level_actor() {
    let system = patient_system_stopping_failed();
    let mut events = system.events();
    let shaky = system
        .spawn(Props::new(|| ShakyStart {
            fail_start: true,
            count: 0,
        }))
        .unwrap();
    let reason = bounded("the actor to stop", shaky.terminated()).await;
    let failure = stop_failure(reason);
    assert_eq!(failure.kind(), FailureKind::HookPanic);
    assert_eq!(failure.message(), "cannot start");
    let seen: Vec<SystemEvent> = events_until(
        &mut events,
        "the Stopped event",
        |event| matches!(event, SystemEvent::Stopped { actor, .. } if *actor == shaky.id()),
    )
    .await;
    assert!(
        seen.iter().any(|event| matches!(event,
            SystemEvent::Decided { supervisor: None, child, directive: Directive::Stop, .. }
                if *child == shaky.id())),
        "{seen:?}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_restarting_guardian_strategy_restarts_top_level_actors() {
    let system = ActorSystem::builder()
        .ask_timeout(support::LIMIT)
        .shutdown_timeout(support::LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one())
        .build()
        .unwrap();
    let log = Events::default();
    let mut events = system.events();
    let top = system.spawn(worker("top", &log)).unwrap();
    assert_eq!(top.add(3).await.unwrap(), 3);
    failure_of(bounded("the failing ask", top.boom("top fails".into())).await);
    let seen = events_until(&mut events, "the restart", |event| {
        is_restarted(event, top.id())
    })
    .await;
    assert!(
        seen.iter().any(|event| matches!(event,
            SystemEvent::Decided { supervisor: None, child, directive: Directive::Restart, .. }
                if *child == top.id())),
        "{seen:?}"
    );
    assert_eq!(top.count().await.unwrap(), 0);
    assert_eq!(top.generation().await.unwrap(), 2);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_level_actor_that_fails_at_once_is_always_stopped() {
    // On a multi-threaded runtime the actor's task can run (and fail in `started`) before
    // `spawn` returns. Each round must end with the guardian's Stop.
    let system = patient_system();
    for round in 0..2_000 {
        let shaky = system
            .spawn(Props::new(|| ShakyStart {
                fail_start: true,
                count: 0,
            }))
            .unwrap();
        let reason = bounded("the actor to stop", shaky.terminated()).await;
        assert!(
            matches!(reason, StopReason::Failed(_)),
            "round {round}: {reason:?}"
        );
    }
    system.shutdown().await;
}

#[tokio::test]
async fn an_actor_resumed_after_a_failed_start_is_running() {
    let system = patient_system();
    let parent = parent::<ResumeAll>(&system);
    let made = Arc::new(AtomicU32::new(0));
    let shaky = parent
        .hire_shaky(Props::new(move || ShakyStart {
            fail_start: made.fetch_add(1, Ordering::SeqCst) == 0,
            count: 0,
        }))
        .await
        .unwrap()
        .unwrap();
    // Resumed, not re-created: the first instance handles messages.
    assert_eq!(shaky.add(2).await.unwrap(), 2);
    assert_eq!(shaky.status(), actor_core::ActorStatus::Running);
    system.shutdown().await;
}
