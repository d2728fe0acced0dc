//! Death watch: a watcher's `#[terminated]` hook gets exactly one `Terminated` per watched
//! actor, with the reason, also when the actor was already dead; unwatching cancels it; a
//! restart is not a termination.
//!
//! Synchronization: a watched actor sends `Terminated` to its watchers before it publishes
//! its `Stopped` event, and a watcher handles signals before messages, so once the test has
//! seen `Stopped`, an ask to the watcher is answered after any `Terminated` it will get.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, SupervisorStrategy};
use actor_core::{ActorId, ActorStatus, FailureKind, SpawnError, SystemEvent};
use actor_core::{BasicClient, Failure};
use support::{bounded, patient_system, patient_system_stopping_failed, poll_once, Gate};
use tokio::sync::broadcast::{self, error::RecvError};

/// The watched actor.
#[actor]
#[derive(Default)]
struct Target {
    count: u32,
}

#[actor]
impl Target {
    #[message]
    fn add(&mut self, n: u32) -> u32 {
        self.count += n;
        self.count
    }

    #[message]
    fn boom(&mut self, why: String) {
        panic!("{why}");
    }
}

/// Watches targets and keeps every `Terminated` it gets; can also supervise a target.
#[actor]
#[derive(Default)]
struct Watcher {
    seen: Vec<Terminated>,
    pings: u32,
}

#[actor]
impl Watcher {
    #[message]
    fn watch_target(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.watch(&target);
    }

    #[message]
    fn unwatch_target(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.unwatch(&target);
    }

    /// Two watches in one go: the second is made while the first is still active.
    #[message]
    fn watch_twice(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.watch(&target);
        ctx.watch(&target);
    }

    /// A watch and its unwatch in one go: a `Terminated` the watch set on its way (the
    /// target is already dead) is already queued when the unwatch comes.
    #[message]
    fn watch_and_unwatch(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.watch(&target);
        ctx.unwatch(&target);
    }

    /// Watches `target`, waits at `gate` (while the test stops the target), then unwatches.
    #[message]
    async fn watch_across(
        &mut self,
        ctx: &mut Context<Self>,
        target: ActorRef<Target>,
        gate: Gate,
    ) {
        ctx.watch(&target);
        gate.pass().await;
        ctx.unwatch(&target);
    }

    /// Spawns a target as a child (the default strategy restarts it on failure).
    #[message]
    fn adopt(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Target>,
    ) -> Result<ActorRef<Target>, SpawnError> {
        ctx.spawn(props)
    }

    #[message]
    fn crash(&mut self) {
        panic!("watcher crashed");
    }

    #[message]
    fn seen(&self) -> Vec<Terminated> {
        self.seen.clone()
    }

    #[message]
    fn ping(&mut self) -> u32 {
        self.pings += 1;
        self.pings
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        self.seen.push(terminated);
    }
}

/// Restarts its children after a one-second back-off.
fn slow_restarts() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().backoff(Backoff::exponential(
        Duration::from_secs(1),
        Duration::from_secs(1),
    ))
}

/// Supervises watchers, restarting them slowly.
#[actor(supervisor = slow_restarts)]
struct Keeper;

#[actor]
impl Keeper {
    #[message]
    fn keep(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Watcher>,
    ) -> Result<ActorRef<Watcher>, SpawnError> {
        ctx.spawn(props)
    }
}

fn target(system: &ActorSystem) -> ActorRef<Target> {
    system.spawn(Props::new(Target::default)).unwrap()
}

fn watcher(system: &ActorSystem) -> ActorRef<Watcher> {
    system.spawn(Props::new(Watcher::default)).unwrap()
}

/// Waits (bounded) for the next event that `wanted` accepts.
async fn next_event(
    events: &mut broadcast::Receiver<SystemEvent>,
    what: &str,
    mut wanted: impl FnMut(&SystemEvent) -> bool,
) {
    bounded(what, async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return,
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => panic!("the event receiver lagged by {n}"),
                Err(RecvError::Closed) => panic!("the event stream closed"),
            }
        }
    })
    .await;
}

/// Waits (bounded) until `id` has published its `Stopped` event.
async fn stopped(events: &mut broadcast::Receiver<SystemEvent>, id: ActorId) {
    next_event(
        events,
        "the Stopped event",
        |event| matches!(event, SystemEvent::Stopped { actor, .. } if *actor == id),
    )
    .await;
}

#[tokio::test]
async fn watching_a_live_actor_gives_exactly_one_terminated_with_the_reason() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();
    assert_eq!(watcher.seen().await.unwrap(), []);
    assert_eq!(target.add(1).await.unwrap(), 1);

    target.stop();
    stopped(&mut events, target.id()).await;
    let seen = watcher.seen().await.unwrap();
    assert_eq!(
        seen,
        [Terminated {
            id: target.id(),
            path: target.path().into(),
            reason: StopReason::Requested,
        }]
    );

    // More activity changes nothing: the signal came once.
    target.stop();
    target.stop_now();
    for n in 1..=3 {
        assert_eq!(watcher.ping().await.unwrap(), n);
    }
    let other = self::target(&system);
    other.stop();
    stopped(&mut events, other.id()).await;
    assert_eq!(watcher.seen().await.unwrap().len(), 1);
    system.shutdown().await;
}

#[tokio::test]
async fn the_terminated_of_a_failed_actor_carries_its_failure() {
    let system = patient_system_stopping_failed();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();

    // Top-level, under a guardian that stops it on failure.
    assert!(matches!(
        bounded("the failing ask", target.boom("watched boom".into())).await,
        Err(AskError::Failed(_))
    ));
    stopped(&mut events, target.id()).await;
    let seen = watcher.seen().await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].id, target.id());
    match &seen[0].reason {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::HandlerPanic);
            assert_eq!(failure.message(), "watched boom");
        }
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
    system.shutdown().await;
}

#[tokio::test]
async fn watching_an_actor_that_is_already_dead_gives_terminated_at_once() {
    let system = patient_system();
    let watcher = watcher(&system);
    let target = target(&system);
    target.stop();
    assert_eq!(
        bounded("the target to stop", target.terminated()).await,
        StopReason::Requested
    );

    watcher.watch_target(target.clone()).await.unwrap();
    // The signal was queued during the watch, ahead of this ask.
    let seen = watcher.seen().await.unwrap();
    assert_eq!(
        seen,
        [Terminated {
            id: target.id(),
            path: target.path().into(),
            reason: StopReason::Requested,
        }]
    );
    assert_eq!(watcher.ping().await.unwrap(), 1);
    assert_eq!(watcher.seen().await.unwrap().len(), 1);
    system.shutdown().await;
}

#[tokio::test]
async fn unwatching_before_the_stop_gives_no_signal() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();
    watcher.unwatch_target(target.clone()).await.unwrap();

    target.stop();
    stopped(&mut events, target.id()).await;
    assert_eq!(watcher.seen().await.unwrap(), []);
    assert_eq!(watcher.ping().await.unwrap(), 1);
    assert_eq!(watcher.seen().await.unwrap(), []);
    system.shutdown().await;
}

#[tokio::test]
async fn watching_twice_gives_one_signal() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();
    watcher.watch_target(target.clone()).await.unwrap();

    target.stop_now();
    stopped(&mut events, target.id()).await;
    assert_eq!(watcher.ping().await.unwrap(), 1);
    let seen = watcher.seen().await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].id, target.id());
    system.shutdown().await;
}

#[tokio::test]
async fn every_watcher_gets_its_own_signal() {
    let system = patient_system();
    let mut events = system.events();
    let first = watcher(&system);
    let second = watcher(&system);
    let target = target(&system);
    first.watch_target(target.clone()).await.unwrap();
    second.watch_target(target.clone()).await.unwrap();

    target.stop();
    stopped(&mut events, target.id()).await;
    for watcher in [&first, &second] {
        let seen = watcher.seen().await.unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].reason, StopReason::Requested);
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_restart_is_not_a_termination() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let child = watcher
        .adopt(Props::new(Target::default).name("child"))
        .await
        .unwrap()
        .unwrap();
    watcher.watch_target(child.clone()).await.unwrap();
    assert_eq!(child.add(5).await.unwrap(), 5);

    assert!(matches!(
        bounded("the failing ask", child.boom("restart me".into())).await,
        Err(AskError::Failed(_))
    ));
    bounded("the child's restart", async {
        loop {
            match events.recv().await {
                Ok(SystemEvent::Restarted { actor, .. }) if actor == child.id() => return,
                Ok(SystemEvent::Stopped { actor, .. }) if actor == child.id() => {
                    panic!("the child stopped instead of restarting")
                }
                Ok(_) => {}
                Err(err) => panic!("event stream: {err}"),
            }
        }
    })
    .await;
    assert_eq!(child.add(1).await.unwrap(), 1, "restarted with fresh state");
    assert_eq!(watcher.seen().await.unwrap(), []);

    // The watch survives the restart: the real stop is signalled, once.
    child.stop();
    stopped(&mut events, child.id()).await;
    assert_eq!(
        watcher.seen().await.unwrap(),
        [Terminated {
            id: child.id(),
            path: format!("/user/${}/child", watcher.id().as_u64()).into(),
            reason: StopReason::Requested,
        }]
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_terminated_that_arrives_while_the_watcher_restarts_is_delivered_after() {
    let system = patient_system();
    let mut events = system.events();
    let keeper = system.spawn(Props::new(|| Keeper)).unwrap();
    let watcher = keeper
        .keep(Props::new(Watcher::default))
        .await
        .unwrap()
        .unwrap();
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();

    assert!(matches!(
        bounded("the watcher's failing ask", watcher.crash()).await,
        Err(AskError::Failed(_))
    ));
    next_event(&mut events, "the watcher's restart decision", |event| {
        matches!(event, SystemEvent::Decided { child, directive: Directive::Restart, .. }
            if *child == watcher.id())
    })
    .await;
    // The watcher waits out its back-off while the target stops.
    target.stop();
    stopped(&mut events, target.id()).await;
    next_event(
        &mut events,
        "the watcher's restart",
        |event| matches!(event, SystemEvent::Restarted { actor, .. } if *actor == watcher.id()),
    )
    .await;

    // The new instance got the signal, once.
    let seen = watcher.seen().await.unwrap();
    assert_eq!(
        seen,
        [Terminated {
            id: target.id(),
            path: target.path().into(),
            reason: StopReason::Requested,
        }]
    );
    assert_eq!(watcher.ping().await.unwrap(), 1);
    assert_eq!(watcher.seen().await.unwrap().len(), 1);
    system.shutdown().await;
}

// --- One `Terminated` per watch (Akka, OTP): a watch made after an earlier `Terminated`
// was delivered, or after an unwatch, is a new watch and gets its own; an unwatch
// discards the one already on its way.

/// The reasons in what `watcher` has seen, after a ping has made sure that every signal
/// queued before it was handled.
async fn seen_reasons(watcher: &ActorRef<Watcher>) -> Vec<StopReason> {
    watcher.ping().await.unwrap();
    let seen = watcher.seen().await.unwrap();
    seen.into_iter()
        .map(|terminated| terminated.reason)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_watch_after_a_delivered_terminated_gets_its_own() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();
    target.stop();
    stopped(&mut events, target.id()).await;
    assert_eq!(seen_reasons(&watcher).await, [StopReason::Requested]);

    // The first watch ended with its `Terminated`; each new one gets another, at once,
    // since the target is dead.
    watcher.watch_target(target.clone()).await.unwrap();
    assert_eq!(seen_reasons(&watcher).await, vec![StopReason::Requested; 2]);
    watcher.watch_target(target.clone()).await.unwrap();
    assert_eq!(seen_reasons(&watcher).await, vec![StopReason::Requested; 3]);

    // Another watcher that never watched before gets one too.
    let late = self::watcher(&system);
    late.watch_target(target.clone()).await.unwrap();
    assert_eq!(seen_reasons(&late).await, [StopReason::Requested]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn watching_twice_while_the_watch_is_active_is_one_watch() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    // Live: both watches before the end.
    watcher.watch_twice(target.clone()).await.unwrap();
    target.stop();
    stopped(&mut events, target.id()).await;
    assert_eq!(seen_reasons(&watcher).await, [StopReason::Requested]);

    // Dead: the second watch comes before the first one's `Terminated` is delivered.
    let other = self::watcher(&system);
    other.watch_twice(target.clone()).await.unwrap();
    assert_eq!(seen_reasons(&other).await, [StopReason::Requested]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_watch_after_an_unwatch_gets_its_own_terminated() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);
    let target = target(&system);
    watcher.watch_target(target.clone()).await.unwrap();
    watcher.unwatch_target(target.clone()).await.unwrap();
    watcher.watch_target(target.clone()).await.unwrap();
    target.stop();
    stopped(&mut events, target.id()).await;
    assert_eq!(seen_reasons(&watcher).await, [StopReason::Requested]);

    watcher.unwatch_target(target.clone()).await.unwrap();
    watcher.watch_target(target.clone()).await.unwrap();
    assert_eq!(seen_reasons(&watcher).await, vec![StopReason::Requested; 2]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_unwatch_discards_a_terminated_already_on_its_way() {
    let system = patient_system();
    let mut events = system.events();
    let watcher = watcher(&system);

    // A live target stops while the watcher is inside a handler: its `Terminated` waits
    // on the watcher's system lane when the handler unwatches.
    let live = target(&system);
    let (gate, mut control) = Gate::new();
    let mut across = pin!(watcher.watch_across(live.clone(), gate).into_future());
    assert!(poll_once(across.as_mut()).await.is_pending());
    control.entered().await;
    live.stop();
    stopped(&mut events, live.id()).await;
    control.release();
    bounded("the handler that unwatches", across).await.unwrap();
    assert_eq!(seen_reasons(&watcher).await, []);

    // A dead target: the watch queues its `Terminated` at once, the unwatch right after
    // takes it back.
    let dead = target(&system);
    dead.stop();
    stopped(&mut events, dead.id()).await;
    watcher.watch_and_unwatch(dead.clone()).await.unwrap();
    assert_eq!(seen_reasons(&watcher).await, []);

    // Neither is a death pact: the watcher still runs.
    assert!(watcher.is_alive());
    assert_eq!(watcher.status(), ActorStatus::Running);
    system.shutdown().await;
}

// --- Akka's death pact: an actor that watches another and has no `#[terminated]` hook
// fails when the `Terminated` arrives, and its supervisor decides.

/// Watches targets, with no `#[terminated]` hook.
#[actor]
#[derive(Default)]
struct Pactless {
    pings: u32,
}

#[actor]
impl Pactless {
    #[message]
    fn watch_target(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.watch(&target);
    }

    #[message]
    fn unwatch_target(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.unwatch(&target);
    }

    #[message]
    fn ping(&mut self) -> u32 {
        self.pings += 1;
        self.pings
    }
}

/// Watches the target it is sent, implemented by hand and with no `terminated` either.
struct HandWritten;

impl Actor for HandWritten {
    type Msg = ActorRef<Target>;
    type Reply = ();
    type Client = BasicClient<Self>;

    async fn handle(&mut self, target: ActorRef<Target>, ctx: &mut Context<Self>) {
        ctx.watch(&target);
    }
}

/// Resumes a child after a death pact, and stops it after anything else.
fn resume_after_a_death_pact() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().decider(|child| match child.failure.kind() {
        FailureKind::DeathPact => Directive::Resume,
        _ => Directive::Stop,
    })
}

/// Supervises pactless watchers with [`resume_after_a_death_pact`].
#[actor(supervisor = resume_after_a_death_pact)]
struct Lenient;

#[actor]
impl Lenient {
    #[message]
    fn keep(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Pactless>,
    ) -> Result<ActorRef<Pactless>, SpawnError> {
        ctx.spawn(props)
    }
}

/// Waits (bounded) for the `Failed` event of `id`, and returns its failure.
async fn failure_of(events: &mut broadcast::Receiver<SystemEvent>, id: ActorId) -> Failure {
    bounded("the Failed event", async {
        loop {
            match events.recv().await {
                Ok(SystemEvent::Failed { actor, failure, .. }) if actor == id => return failure,
                Ok(_) => {}
                Err(err) => panic!("event stream: {err}"),
            }
        }
    })
    .await
}

/// Asserts that `failure` is the death pact of the watched actor at `path`.
fn assert_death_pact(failure: &Failure, path: &str) {
    assert_eq!(failure.kind(), FailureKind::DeathPact, "{failure:?}");
    assert!(failure.message().contains(path), "{failure:?}");
    assert!(failure.to_string().starts_with("death pact"), "{failure}");
}

#[tokio::test(start_paused = true)]
async fn a_watcher_without_a_terminated_hook_fails_with_a_death_pact() {
    let system = patient_system();
    let mut events = system.events();
    let pactless = system.spawn(Props::new(Pactless::default)).unwrap();
    let target = system
        .spawn(Props::new(Target::default).name("watched"))
        .unwrap();
    pactless.watch_target(target.clone()).await.unwrap();
    assert_eq!(pactless.ping().await.unwrap(), 1);

    target.stop();
    let failure = failure_of(&mut events, pactless.id()).await;
    assert_death_pact(&failure, "/user/watched");
    // The guardian decides for it, as for any failure of a top-level actor.
    next_event(&mut events, "the guardian's decision", |event| {
        matches!(event, SystemEvent::Decided { supervisor: None, child, .. } if *child == pactless.id())
    })
    .await;

    // By hand, with the trait's own `terminated`: the same pact.
    let hand = system.spawn(HandWritten).unwrap();
    let other = system
        .spawn(Props::new(Target::default).name("watched-by-hand"))
        .unwrap();
    hand.tell(other.clone()).await.unwrap();
    other.stop();
    let failure = failure_of(&mut events, hand.id()).await;
    assert_death_pact(&failure, "/user/watched-by-hand");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_death_pact_is_decided_by_the_supervisor() {
    let system = patient_system();
    let mut events = system.events();
    let lenient = system.spawn(Props::new(|| Lenient)).unwrap();
    let pactless = lenient
        .keep(Props::new(Pactless::default))
        .await
        .unwrap()
        .unwrap();
    let target = target(&system);
    pactless.watch_target(target.clone()).await.unwrap();
    assert_eq!(pactless.ping().await.unwrap(), 1);

    target.stop();
    assert_death_pact(&failure_of(&mut events, pactless.id()).await, target.path());
    next_event(&mut events, "the resume", |event| {
        matches!(event, SystemEvent::Decided { child, directive: Directive::Resume, .. }
            if *child == pactless.id())
    })
    .await;
    // Resumed: same instance, same state.
    assert_eq!(pactless.ping().await.unwrap(), 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_death_pact_after_an_unwatch_or_with_a_hook() {
    let system = patient_system();
    let mut events = system.events();
    let pactless = system.spawn(Props::new(Pactless::default)).unwrap();
    let watcher = watcher(&system);
    let target = target(&system);
    pactless.watch_target(target.clone()).await.unwrap();
    pactless.unwatch_target(target.clone()).await.unwrap();
    watcher.watch_target(target.clone()).await.unwrap();

    target.stop();
    stopped(&mut events, target.id()).await;
    assert_eq!(seen_reasons(&watcher).await, [StopReason::Requested]);
    assert_eq!(pactless.ping().await.unwrap(), 1);
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(&event, SystemEvent::Failed { actor, .. }
                if *actor == pactless.id() || *actor == watcher.id()),
            "{event:?}"
        );
    }
    assert_eq!(pactless.status(), ActorStatus::Running);
    assert_eq!(watcher.status(), ActorStatus::Running);
    system.shutdown().await;
}

/// An actor's `Stopped` event is in the channel by the time anyone who awaited its end
/// (`terminated`, `shutdown`) goes on: a subscriber that drains without waiting sees every
/// one (found in issue 13: it was published just after the status said `Stopped`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_event_is_published_before_the_end_is_seen() {
    let system = ActorSystem::builder().event_capacity(4096).build().unwrap();
    let mut events = system.events();
    let targets: Vec<_> = (0..1000)
        .map(|_| system.spawn(Target::default()).unwrap())
        .collect();
    for target in &targets {
        target.stop();
    }
    for target in &targets {
        bounded("the end", target.terminated()).await;
    }
    let mut stopped = 0;
    while let Ok(event) = events.try_recv() {
        stopped += usize::from(matches!(event, SystemEvent::Stopped { .. }));
    }
    assert_eq!(stopped, 1000);
    system.shutdown().await;
}
