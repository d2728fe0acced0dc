//! Supervision that never waits for the supervisor's own code, and follows Akka and OTP in
//! the corners: a child's failure is decided while its parent's handler awaits; an
//! escalation leaves the child suspended and the parent's fate decides it; a panicking
//! decider fails the supervisor and leaves nothing suspended; siblings restarted together
//! are all stopped before any is started again; a stop or the loss of the last ref that
//! arrives while an actor is failing is carried out once it runs again; the statuses say
//! `Suspended` and `Restarting`; a stop asked in `#[terminated]` takes effect at once; a
//! panic in the state's `Drop` does not stop a restart.
//!
//! Every wait is bounded; time is tokio's paused time where it matters.

mod support;
#[path = "support/tree.rs"]
mod tree;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, SupervisorStrategy};
use actor_core::{ActorStatus, FailureKind, SystemEvent};
use support::{bounded, Events, Gate, LIMIT};
use tree::*;

struct PanickingDecider;
impl Strategy for PanickingDecider {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| panic!("the decider is broken"))
    }
}

// ---------------------------------------------------------------------------------------
// Item 2: a failure is decided whatever the parent's handler is doing
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_child_is_restarted_while_its_parent_awaits_in_a_handler() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<Restarting>(&log)).unwrap();
    let worker = bounded("hire", boss.hire(worker("w", &log))).await.unwrap();
    assert_eq!(bounded("add", worker.add(5)).await.unwrap(), 5);

    // The boss is now inside a handler that waits for as long as the test wants.
    let (gate, mut control) = Gate::new();
    let mut busy = std::pin::pin!(std::future::IntoFuture::into_future(boss.busy(gate)));
    assert!(support::poll_once(busy.as_mut()).await.is_pending());
    control.entered().await;

    // The worker fails meanwhile; its restart does not wait for the boss's handler.
    assert!(bounded("boom", worker.boom()).await.is_err());
    let restarted = tokio::time::timeout(Duration::from_secs(1), worker.count()).await;
    assert_eq!(
        restarted
            .expect("the restarted worker answers while its parent is busy")
            .unwrap(),
        0,
        "a fresh instance"
    );
    control.release();
    bounded("the busy handler", busy).await.unwrap();
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_awaits_its_failing_child_gets_the_restarted_childs_answer() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<Restarting>(&log)).unwrap();
    let worker = bounded("hire", boss.hire(worker("w", &log))).await.unwrap();
    bounded("add", worker.add(5)).await.unwrap();
    let (failed, count) = bounded("the handler", boss.fail_and_ask_again(worker.clone()))
        .await
        .unwrap();
    assert!(failed, "the ask that made it fail reports the failure");
    assert_eq!(
        count, 1,
        "the restarted instance answered, from a fresh state"
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_escalation_fails_a_parent_that_awaits_in_a_handler_at_once() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<Escalating>(&log)).unwrap();
    let worker = bounded("hire", boss.hire(worker("w", &log))).await.unwrap();
    let mut events = system.events();

    let (gate, mut control) = Gate::new();
    let mut busy = std::pin::pin!(std::future::IntoFuture::into_future(boss.busy(gate)));
    assert!(support::poll_once(busy.as_mut()).await.is_pending());
    control.entered().await;

    assert!(bounded("boom", worker.boom()).await.is_err());
    // The boss's handler is cancelled at its await point; its ask reports the escalation.
    match tokio::time::timeout(Duration::from_secs(1), &mut busy).await {
        Ok(Err(AskError::Failed(failure))) => {
            assert_eq!(failure.kind(), FailureKind::Escalated);
            assert!(failure.message().contains("boom w"), "{failure}");
        }
        other => panic!("expected the busy ask to fail with the escalation, got {other:?}"),
    }
    let failed_boss = bounded("the boss's failure", async {
        loop {
            if let Ok(SystemEvent::Failed { actor, failure, .. }) = events.recv().await {
                if actor == boss.id() {
                    return failure;
                }
            }
        }
    })
    .await;
    assert_eq!(failed_boss.kind(), FailureKind::Escalated);
    // The guardian stops the boss, and the suspended worker with it.
    assert!(matches!(
        bounded("the boss stops", boss.terminated()).await,
        StopReason::Failed(_)
    ));
    bounded("the worker stops", worker.terminated()).await;
    drop(control);
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Item 3: a panicking decider is a failure of the supervisor
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_panicking_decider_fails_its_supervisor_and_leaves_nothing_suspended() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<PanickingDecider>(&log)).unwrap();
    let worker = bounded("hire", boss.hire(worker("w", &log))).await.unwrap();
    assert!(bounded("boom", worker.boom()).await.is_err());
    let reason = bounded("the boss stops", boss.terminated()).await;
    match reason {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::DeciderPanic);
            assert!(
                failure.message().contains("the decider is broken"),
                "{failure}"
            );
        }
        other => panic!("expected the boss to fail, got {other:?}"),
    }
    // Nothing is left suspended: the worker is stopped with its boss, its hook run.
    let worker_reason = bounded("the worker stops", worker.terminated()).await;
    assert!(!matches!(worker_reason, StopReason::Aborted));
    let hooks = log.snapshot();
    assert!(hooks.contains(&"stopped w".to_owned()), "{hooks:?}");
    assert!(hooks.contains(&"boss stopped".to_owned()), "{hooks:?}");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_guardian_decider_stops_the_top_level_actor_with_its_hooks() {
    let system = system_with(SupervisorStrategy::one_for_one().decider(|_| panic!("no")));
    let log = Events::default();
    let worker = system.spawn(worker("top", &log)).unwrap();
    assert!(bounded("boom", worker.boom()).await.is_err());
    match bounded("the worker stops", worker.terminated()).await {
        StopReason::Failed(failure) => assert_eq!(failure.kind(), FailureKind::DeciderPanic),
        other => panic!("expected a decider failure, got {other:?}"),
    }
    assert_eq!(log.snapshot(), ["started top", "stopped top"]);
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Item 19: an escalation leaves the child suspended; the parent's fate decides it
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn resuming_a_parent_after_an_escalation_resumes_its_child_with_its_state() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let top = system.spawn(boss::<Resuming>(&log)).unwrap();
    let middle = bounded("hire middle", top.hire_escalating(boss::<Escalating>(&log)))
        .await
        .unwrap();
    let worker = bounded("hire", middle.hire(worker("w", &log)))
        .await
        .unwrap();
    assert_eq!(bounded("add", worker.add(5)).await.unwrap(), 5);
    assert!(bounded("boom", worker.boom()).await.is_err());
    // The middle escalated, the top resumed it, and the worker resumed with it.
    assert_eq!(bounded("count", worker.count()).await.unwrap(), 5);
    assert_eq!(bounded("add", worker.add(1)).await.unwrap(), 6);
    assert!(!log.snapshot().contains(&"stopped w".to_owned()));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restarting_a_parent_after_an_escalation_stops_the_child_and_its_restart_rehires() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let top = system.spawn(boss::<Restarting>(&log)).unwrap();
    let middle = bounded("hire middle", top.hire_escalating(boss::<Escalating>(&log)))
        .await
        .unwrap();
    let leaf = bounded("hire", middle.hire(worker("w", &log)))
        .await
        .unwrap();
    assert!(bounded("boom", leaf.boom()).await.is_err());
    // The restarted middle's children were stopped by its restart; it spawns none itself.
    bounded("the worker stops", leaf.terminated()).await;
    let events = log.snapshot();
    assert!(events.contains(&"stopped w".to_owned()), "{events:?}");
    assert!(
        bounded("the middle is back", middle.hire(worker("w2", &log)))
            .await
            .is_ok()
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Item 20 and the statuses of item 23: a failed actor's subtree is suspended while its
// supervisor decides; no lock is held across the decider
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_a_decision_is_made_the_failed_actor_and_its_subtree_are_suspended() {
    let (entered_rx, release_tx) = block_the_next_decision();

    let system = system_with(stopping_guardian());
    let log = Events::default();
    let top = system.spawn(boss::<BlockingDecider>(&log)).unwrap();
    let middle = bounded("hire middle", top.hire_escalating(boss::<Escalating>(&log)))
        .await
        .unwrap();
    let leaf = bounded("hire", middle.hire(worker("w", &log)))
        .await
        .unwrap();
    bounded("add", leaf.add(3)).await.unwrap();
    leaf.boom().tell().await.unwrap();

    // The top's decider is running (in the middle's task) and blocks.
    let entered = tokio::task::spawn_blocking(move || entered_rx.recv_timeout(LIMIT));
    bounded("the decider", entered).await.unwrap().unwrap();
    assert_eq!(middle.status(), ActorStatus::Suspended);
    assert_eq!(leaf.status(), ActorStatus::Suspended);
    // No lock of the system is held across the decider: the system still answers.
    assert!(system.actor_count() >= 3);
    let other = system.spawn(worker("other", &log)).unwrap();
    assert_eq!(bounded("another actor", other.add(1)).await.unwrap(), 1);

    release_tx.send(Directive::Resume).unwrap();
    assert_eq!(
        bounded("the worker resumed", leaf.count()).await.unwrap(),
        3
    );
    assert_eq!(leaf.status(), ActorStatus::Running);
    assert_eq!(middle.status(), ActorStatus::Running);
    system.shutdown().await;
}

/// The `pre_restart` and `started` events in `log`, in order.
fn lifecycle(log: &Events) -> Vec<String> {
    log.snapshot()
        .into_iter()
        .filter(|event| event.starts_with("pre_restart") || event.starts_with("started"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn all_for_one_stops_every_sibling_in_reverse_order_before_starting_any() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<AllTogether>(&log)).unwrap();
    let a = bounded("a", boss.hire(worker("a", &log))).await.unwrap();
    let b = bounded("b", boss.hire(worker("b", &log))).await.unwrap();
    let c = bounded("c", boss.hire(worker("c", &log))).await.unwrap();
    let mut events = system.events();
    assert!(bounded("boom", b.boom()).await.is_err());
    for id in [a.id(), b.id(), c.id()] {
        bounded("the restarts", async {
            loop {
                if let Ok(SystemEvent::Restarted { actor, .. }) = events.recv().await {
                    if actor == id {
                        return;
                    }
                }
            }
        })
        .await;
    }
    assert_eq!(
        lifecycle(&log),
        [
            "started a",
            "started b",
            "started c",
            "pre_restart c",
            "pre_restart b",
            "pre_restart a",
            "started a",
            "started b",
            "started c",
        ]
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_stops_the_rest_in_reverse_order_before_starting_them_in_order() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let boss = system.spawn(boss::<RestTogether>(&log)).unwrap();
    let a = bounded("a", boss.hire(worker("a", &log))).await.unwrap();
    let b = bounded("b", boss.hire(worker("b", &log))).await.unwrap();
    let c = bounded("c", boss.hire(worker("c", &log))).await.unwrap();
    bounded("add", a.add(7)).await.unwrap();
    assert!(bounded("boom", b.boom()).await.is_err());
    // Asked after the restart began: answered by the new instances once they run.
    assert_eq!(bounded("c", c.count()).await.unwrap(), 0);
    assert_eq!(bounded("b", b.count()).await.unwrap(), 0);
    assert_eq!(bounded("a keeps its state", a.count()).await.unwrap(), 7);
    assert_eq!(
        lifecycle(&log),
        [
            "started a",
            "started b",
            "started c",
            "pre_restart c",
            "pre_restart b",
            "started b",
            "started c",
        ]
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Items 7 and 23: what arrives while an actor is failing is carried out once it runs
// ---------------------------------------------------------------------------------------

fn backing_off() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        .max_restarts(10)
        .within(Duration::from_secs(600))
        .backoff(Backoff::exponential(
            Duration::from_secs(10),
            Duration::from_secs(10),
        ))
}

#[tokio::test(start_paused = true)]
async fn an_actor_whose_last_ref_is_dropped_during_its_back_off_stops_after_the_restart() {
    let system = system_with(backing_off());
    let log = Events::default();
    let worker = system.spawn(worker("w", &log)).unwrap();
    let weak = worker.downgrade();
    worker.boom().tell().await.unwrap();
    bounded("the back-off begins", async {
        while worker.status() != ActorStatus::Restarting {
            tokio::task::yield_now().await;
        }
    })
    .await;
    drop(worker);
    assert_eq!(
        bounded("it stops once restarted", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(
        log.snapshot(),
        ["started w", "pre_restart w", "started w", "stopped w"]
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_graceful_stop_during_a_back_off_drains_the_queue_after_the_restart() {
    let system = system_with(backing_off());
    let log = Events::default();
    let worker = system.spawn(worker("w", &log)).unwrap();
    worker.boom().tell().await.unwrap();
    for n in [1, 2, 3] {
        worker.add(n).tell().await.unwrap();
    }
    bounded("the back-off begins", async {
        while worker.status() != ActorStatus::Restarting {
            tokio::task::yield_now().await;
        }
    })
    .await;
    worker.stop();
    // Refused from now on, as any graceful stop refuses new messages.
    assert!(worker.add(100).tell().await.is_err());
    let before = system.dead_letter_count();
    assert_eq!(
        bounded("the drain", worker.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        system.dead_letter_count(),
        before,
        "the queued messages were handled, not dead-lettered"
    );
    system.shutdown().await;
}

/// Counts what it handles, so a test can see a drain.
#[actor]
struct Tally {
    handled: Arc<AtomicU32>,
}

#[actor]
impl Tally {
    #[message]
    fn add(&mut self) {
        self.handled.fetch_add(1, Ordering::SeqCst);
    }

    #[message]
    fn boom(&mut self) {
        panic!("tally boom");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_while_suspended_drains_once_resumed() {
    // The decider runs in the failed actor's task and blocks there until released, so
    // the stop below arrives while the decision is pending.
    let (guardian, entered_rx, release_tx) = blocking_guardian();
    let handled = Arc::new(AtomicU32::new(0));
    let system = system_with(guardian);
    let counter = Arc::clone(&handled);
    let tally = system
        .spawn(Props::new(move || Tally {
            handled: Arc::clone(&counter),
        }))
        .unwrap();
    tally.boom().tell().await.unwrap();
    for _ in 0..3 {
        tally.add().tell().await.unwrap();
    }
    let entered = tokio::task::spawn_blocking(move || entered_rx.recv_timeout(LIMIT));
    bounded("the decider", entered).await.unwrap().unwrap();
    tally.stop();
    release_tx.send(Directive::Resume).unwrap();
    assert_eq!(
        bounded("the drain", tally.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        handled.load(Ordering::SeqCst),
        3,
        "the queued messages were handled"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Item 6: a stop asked for in a hook takes effect right after it
// ---------------------------------------------------------------------------------------

/// Stops itself when what it watches stops (Akka's usual pattern).
#[actor]
struct Follower {
    log: Events,
}

#[actor]
impl Follower {
    #[message]
    fn follow(&mut self, ctx: &mut Context<Self>, leader: ActorRef<Worker>) {
        ctx.watch(&leader);
    }

    #[terminated]
    fn on_terminated(&mut self, ctx: &mut Context<Self>, _terminated: Terminated) {
        self.log.push("leader gone");
        ctx.stop();
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("follower stopped");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_in_a_terminated_hook_takes_effect_without_another_message() {
    let system = system_with(stopping_guardian());
    let log = Events::default();
    let leader = system.spawn(worker("leader", &log)).unwrap();
    let follower = system.spawn(Follower { log: log.clone() }).unwrap();
    let second = system.spawn(Follower { log: log.clone() }).unwrap();
    bounded("follow", follower.follow(leader.clone()))
        .await
        .unwrap();
    bounded("follow", second.follow(leader.clone()))
        .await
        .unwrap();
    leader.stop();
    assert_eq!(
        bounded("the follower stops", follower.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        bounded("the second follower stops", second.terminated()).await,
        StopReason::Requested
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Item 10: a panic in the state's `Drop` does not stop a restart or a stop
// ---------------------------------------------------------------------------------------

/// Its first instance panics when dropped.
#[actor]
struct BadDrop {
    is_first: bool,
}

#[actor]
impl BadDrop {
    #[message]
    fn boom(&mut self) {
        panic!("bad drop boom");
    }

    #[message]
    fn first(&self) -> bool {
        self.is_first
    }
}

impl Drop for BadDrop {
    fn drop(&mut self) {
        if self.is_first && !std::thread::panicking() {
            panic!("drop of the first instance");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_drop_during_a_restart_does_not_stop_the_restart() {
    let system = system_with(SupervisorStrategy::one_for_one());
    let first = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&first);
    let actor = system
        .spawn(Props::new(move || BadDrop {
            is_first: flag.swap(false, Ordering::SeqCst),
        }))
        .unwrap();
    assert!(bounded("first", actor.first()).await.unwrap());
    assert!(bounded("boom", actor.boom()).await.is_err());
    assert!(
        !bounded("the new instance", actor.first()).await.unwrap(),
        "restarted"
    );
    assert!(!first.load(Ordering::SeqCst));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_drop_at_a_stop_is_its_failure_not_an_abort() {
    let system = system_with(stopping_guardian());
    let actor = system.spawn(BadDrop { is_first: true }).unwrap();
    actor.stop();
    match bounded("the stop", actor.terminated()).await {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::HookPanic);
            assert!(failure.message().contains("drop of the first instance"));
        }
        other => panic!("expected the drop's failure, got {other:?}"),
    }
    let report = system.shutdown().await;
    assert_eq!(report.aborted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_whose_last_ref_is_dropped_while_its_failure_is_decided_stops_once_resumed() {
    // The guardian's decider blocks in the failed actor's task until released, so the last
    // ref is dropped while the decision is pending; the decision is to resume.
    let (guardian, entered_rx, release_tx) = blocking_guardian();
    let handled = Arc::new(AtomicU32::new(0));
    let system = system_with(guardian);
    let counter = Arc::clone(&handled);
    let tally = system
        .spawn(Props::new(move || Tally {
            handled: Arc::clone(&counter),
        }))
        .unwrap();
    let weak = tally.downgrade();
    tally.boom().tell().await.unwrap();
    tally.add().tell().await.unwrap();
    let entered = tokio::task::spawn_blocking(move || entered_rx.recv_timeout(LIMIT));
    bounded("the decider", entered).await.unwrap().unwrap();
    drop(tally);
    release_tx.send(Directive::Resume).unwrap();
    assert_eq!(
        bounded("it stops once resumed", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(
        handled.load(Ordering::SeqCst),
        1,
        "what was queued was handled first"
    );
    system.shutdown().await;
}
