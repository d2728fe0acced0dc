//! Death watch: a watcher's `#[terminated]` hook gets exactly one `Terminated` per watched
//! actor, with the reason, also when the actor was already dead; unwatching cancels it; a
//! restart is not a termination.
//!
//! Synchronization: a watched actor sends `Terminated` to its watchers before it publishes
//! its `Stopped` event, and a watcher handles signals before messages, so once the test has
//! seen `Stopped`, an ask to the watcher is answered after any `Terminated` it will get.

mod support;

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, SupervisorStrategy};
use actor_core::{ActorId, FailureKind, SpawnError, SystemEvent};
use support::{bounded, patient_system, patient_system_stopping_failed};
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

// A watch after the end is answered from the status, not from a record of the end; it
// must still be told exactly once, whether or not it watched before the end.
#[tokio::test]
async fn watching_again_after_the_end_gives_no_second_signal() {
    let system = patient_system();
    let mut events = system.events();
    let early = watcher(&system);
    let late = watcher(&system);
    let target = target(&system);
    early.watch_target(target.clone()).await.unwrap();

    target.stop();
    stopped(&mut events, target.id()).await;
    early.watch_target(target.clone()).await.unwrap();
    late.watch_target(target.clone()).await.unwrap();
    late.watch_target(target.clone()).await.unwrap();

    for watcher in [&early, &late] {
        assert_eq!(watcher.ping().await.unwrap(), 1);
        let seen = watcher.seen().await.unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].reason, StopReason::Requested);
    }
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
