//! Lifecycle semantics: graceful and immediate stops, hook order, failures, weak refs,
//! stopping when the last ref is dropped, and system shutdown.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorStatus, FailureKind};
use support::{bounded, patient_system, patient_system_stopping_failed, poll_once, Events, Gate};
use tokio::time::Instant;

/// Records every hook and message in a shared [`Events`] log, prefixed with its label.
#[actor]
struct Tracked {
    label: &'static str,
    events: Events,
    /// Held by the `started` hook, if set, so a test can see the `Starting` status.
    start_gate: Option<Gate>,
    /// A strong ref to itself, which keeps it alive while held.
    myself: Option<ActorRef<Tracked>>,
}

#[actor]
impl Tracked {
    #[message]
    fn work(&mut self, n: u32) -> u32 {
        self.record(format!("msg {n}"));
        n
    }

    #[message]
    async fn hold(&mut self, gate: Gate) -> &'static str {
        self.record("hold");
        gate.pass().await;
        self.label
    }

    #[message]
    async fn stuck(&mut self, gate: Gate) {
        self.record("stuck");
        gate.hold_forever().await;
    }

    #[message]
    fn stop_self(&mut self, ctx: &mut Context<Self>) {
        self.record("stop_self");
        ctx.stop();
    }

    #[message]
    fn stop_self_now(&mut self, ctx: &mut Context<Self>) {
        self.record("stop_self_now");
        ctx.stop_now();
    }

    #[message]
    async fn explode(&mut self) {
        self.record("explode");
        panic!("tracked boom");
    }

    /// Keeps a strong ref to itself (`true`) or lets it go (`false`).
    #[message]
    fn keep_myself(&mut self, ctx: &mut Context<Self>, keep: bool) {
        self.myself = keep.then(|| ctx.actor_ref());
    }

    #[started]
    async fn on_started(&mut self) {
        self.record("started");
        if let Some(gate) = self.start_gate.take() {
            gate.pass().await;
        }
    }

    #[stopping]
    async fn on_stopping(&mut self, ctx: &mut Context<Self>) {
        // A hook with a context still sees its actor.
        assert!(ctx.id().as_u64() > 0);
        self.record("stopping");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.record("stopped");
    }
}

impl Tracked {
    fn new(label: &'static str, events: &Events) -> Self {
        Tracked {
            label,
            events: events.clone(),
            start_gate: None,
            myself: None,
        }
    }

    fn record(&self, event: impl AsRef<str>) {
        self.events
            .push(format!("{} {}", self.label, event.as_ref()));
    }
}

fn expected(label: &str, events: &[&str]) -> Vec<String> {
    events
        .iter()
        .map(|event| format!("{label} {event}"))
        .collect()
}

/// Its `started` hook panics, asynchronously or synchronously.
#[actor]
struct BadStart {
    events: Events,
}

#[actor]
impl BadStart {
    #[message]
    fn ping(&self) {}

    #[started]
    async fn on_started(&mut self) {
        self.events.push("started");
        panic!("cannot start");
    }

    #[stopping]
    fn on_stopping(&mut self) {
        self.events.push("stopping");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.events.push("stopped");
    }
}

#[actor]
struct BadSyncStart {
    events: Events,
}

#[actor]
impl BadSyncStart {
    #[message]
    fn ping(&self) {}

    #[started]
    fn on_started(&mut self) {
        self.events.push("started");
        panic!("cannot start");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.events.push("stopped");
    }
}

/// Its `stopping` hook panics.
#[actor]
struct BadStop {
    events: Events,
}

#[actor]
impl BadStop {
    #[message]
    fn ping(&self) {}

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[stopping]
    async fn on_stopping(&mut self) {
        self.events.push("stopping");
        panic!("cannot stop");
    }

    #[stopped]
    async fn on_stopped(&mut self) {
        self.events.push("stopped");
    }
}

/// Spawned and stopped over and over under one name.
#[actor]
struct Named {
    generation: u32,
}

#[actor]
impl Named {
    #[message]
    fn generation(&self) -> u32 {
        self.generation
    }
}

#[tokio::test]
async fn a_graceful_stop_handles_what_is_queued_and_refuses_new_messages() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let (first, mut first_control) = Gate::new();
    let (second, mut second_control) = Gate::new();

    actor.hold(first).tell().await.unwrap();
    first_control.entered().await;
    actor.work(1).tell().await.unwrap();
    let mut queued_ask = pin!(actor.work(2).into_future());
    assert!(poll_once(queued_ask.as_mut()).await.is_pending());
    actor.hold(second).tell().await.unwrap();
    actor.work(3).tell().await.unwrap();
    actor.stop();
    first_control.release();

    // Draining: the actor is inside the second `hold`, the stop has begun.
    second_control.entered().await;
    assert_eq!(actor.status(), ActorStatus::Stopping);
    assert!(actor.is_alive());
    assert!(matches!(
        actor.work(10).try_tell(),
        Err(TrySendError::Closed(TrackedMsg::Work { n: 10 }))
    ));
    assert!(matches!(
        actor.work(11).tell().await,
        Err(SendError(TrackedMsg::Work { n: 11 }))
    ));
    assert!(matches!(
        actor.work(12).await,
        Err(AskError::Closed(TrackedMsg::Work { n: 12 }))
    ));
    second_control.release();

    assert_eq!(bounded("the queued ask", queued_ask).await.unwrap(), 2);
    assert_eq!(
        bounded("terminated", actor.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(actor.status(), ActorStatus::Stopped(StopReason::Requested));
    assert!(!actor.is_alive());
    assert_eq!(
        events.snapshot(),
        expected(
            "a",
            &["started", "hold", "stopping", "msg 1", "msg 2", "hold", "msg 3", "stopped"]
        )
    );
    // Stopping a stopped actor does nothing.
    actor.stop();
    actor.stop_now();
    assert_eq!(actor.terminated().await, StopReason::Requested);
    assert_eq!(events.snapshot().len(), 8);
    system.shutdown().await;
}

/// `StopMode::Graceful` says new sends are refused "at once"; `ActorRef::stop` says the actor
/// "refuses new messages". But the stop signal is only read between messages, so a message
/// sent after `stop()` returned, while the actor is busy, is accepted and handled.
#[tokio::test]
async fn a_graceful_stop_refuses_messages_sent_after_it() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let (gate, mut control) = Gate::new();
    actor.hold(gate).tell().await.unwrap();
    control.entered().await;
    actor.work(1).tell().await.unwrap();
    actor.stop();
    let late = actor.work(2).try_tell();
    control.release();
    bounded("terminated", actor.terminated()).await;
    assert!(
        matches!(late, Err(TrySendError::Closed(_))),
        "a message sent after stop() was accepted; handled: {:?}",
        events.with_prefix("a msg")
    );
    system.shutdown().await;
}

#[tokio::test]
async fn an_idle_actor_stops_gracefully_running_its_hooks_in_order() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    assert_eq!(actor.work(1).await.unwrap(), 1);
    actor.stop();
    assert_eq!(
        bounded("terminated", actor.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "msg 1", "stopping", "stopped"])
    );
    assert_eq!(system.actor_count(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn an_immediate_stop_finishes_the_current_message_and_drops_the_queue() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let (gate, mut control) = Gate::new();

    let mut current = pin!(actor.hold(gate).into_future());
    assert!(poll_once(current.as_mut()).await.is_pending());
    control.entered().await;
    let mut queued_ask = pin!(actor.work(1).into_future());
    assert!(poll_once(queued_ask.as_mut()).await.is_pending());
    actor.work(2).tell().await.unwrap();
    actor.stop_now();
    control.release();

    // The message being handled completes and is answered.
    assert_eq!(bounded("the current ask", current).await.unwrap(), "a");
    assert!(matches!(
        bounded("the queued ask", queued_ask).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(
        bounded("terminated", actor.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "hold", "stopping", "stopped"])
    );
    system.shutdown().await;
}

#[tokio::test]
async fn stop_signals_are_not_stuck_behind_a_full_mailbox() {
    let system = patient_system();
    let events = Events::default();
    let graceful = system
        .spawn(Props::from_value(Tracked::new("g", &events)).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let immediate = system
        .spawn(Props::from_value(Tracked::new("i", &events)).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (g_gate, mut g_control) = Gate::new();
    let (i_gate, mut i_control) = Gate::new();
    graceful.hold(g_gate).tell().await.unwrap();
    immediate.hold(i_gate).tell().await.unwrap();
    g_control.entered().await;
    i_control.entered().await;
    graceful.work(1).try_tell().unwrap();
    immediate.work(1).try_tell().unwrap();
    assert!(graceful.work(2).try_tell().unwrap_err().is_full());
    assert!(immediate.work(2).try_tell().unwrap_err().is_full());

    graceful.stop();
    immediate.stop_now();
    g_control.release();
    i_control.release();
    assert_eq!(
        bounded("terminated", graceful.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        bounded("terminated", immediate.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(
        events.with_prefix("g "),
        expected("g", &["started", "hold", "stopping", "msg 1", "stopped"])
    );
    assert_eq!(
        events.with_prefix("i "),
        expected("i", &["started", "hold", "stopping", "stopped"])
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_handler_can_stop_its_actor_gracefully_or_at_once() {
    let system = patient_system();
    let events = Events::default();
    let graceful = system.spawn(Tracked::new("g", &events)).unwrap();
    let immediate = system.spawn(Tracked::new("i", &events)).unwrap();
    let (g_gate, mut g_control) = Gate::new();
    let (i_gate, mut i_control) = Gate::new();
    graceful.hold(g_gate).tell().await.unwrap();
    immediate.hold(i_gate).tell().await.unwrap();
    g_control.entered().await;
    i_control.entered().await;

    let mut g_stop = pin!(graceful.stop_self().into_future());
    let mut g_after = pin!(graceful.work(1).into_future());
    let mut i_stop = pin!(immediate.stop_self_now().into_future());
    let mut i_after = pin!(immediate.work(1).into_future());
    for pending in [
        poll_once(g_stop.as_mut()).await.is_pending(),
        poll_once(g_after.as_mut()).await.is_pending(),
        poll_once(i_stop.as_mut()).await.is_pending(),
        poll_once(i_after.as_mut()).await.is_pending(),
    ] {
        assert!(pending);
    }
    g_control.release();
    i_control.release();

    // The stopping message itself is answered either way.
    bounded("stop_self", g_stop).await.unwrap();
    bounded("stop_self_now", i_stop).await.unwrap();
    // A graceful stop still handles what was queued; an immediate one drops it.
    assert_eq!(bounded("queued after stop", g_after).await.unwrap(), 1);
    assert!(matches!(
        bounded("queued after stop_now", i_after).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(graceful.terminated().await, StopReason::Requested);
    assert_eq!(immediate.terminated().await, StopReason::Requested);
    assert_eq!(
        events.with_prefix("g "),
        expected(
            "g",
            &[
                "started",
                "hold",
                "stop_self",
                "stopping",
                "msg 1",
                "stopped"
            ]
        )
    );
    assert_eq!(
        events.with_prefix("i "),
        expected(
            "i",
            &["started", "hold", "stop_self_now", "stopping", "stopped"]
        )
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_failed_actor_skips_stopping_but_runs_stopped() {
    let system = patient_system_stopping_failed();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let failure = match bounded("the panicking ask", actor.explode()).await {
        Err(AskError::Failed(failure)) => failure,
        other => panic!("expected AskError::Failed, got {other:?}"),
    };
    assert_eq!(failure.message(), "tracked boom");
    assert_eq!(
        bounded("terminated", actor.terminated()).await,
        StopReason::Failed(failure)
    );
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "explode", "stopped"])
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_the_started_hook_fails_the_actor() {
    let system = patient_system_stopping_failed();
    let events = Events::default();
    let actor = system
        .spawn(BadStart {
            events: events.clone(),
        })
        .unwrap();
    // Queued before or after the failure: either way no reply, and no hang.
    let reply = bounded("an ask to an actor that failed to start", actor.ping()).await;
    assert!(
        matches!(reply, Err(AskError::Stopped | AskError::Closed(_))),
        "{reply:?}"
    );
    match bounded("terminated", actor.terminated()).await {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::HookPanic);
            assert_eq!(failure.message(), "cannot start");
        }
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
    assert_eq!(events.snapshot(), ["started", "stopped"]);
    system.shutdown().await;
}

/// The generated `started` of a synchronous hook runs the hook when it is called, before the
/// runner's `catch_unwind` wraps the returned future, so the panic kills the task.
#[tokio::test]
async fn a_panic_in_a_sync_started_hook_fails_the_actor() {
    let system = patient_system_stopping_failed();
    let events = Events::default();
    let actor = system
        .spawn(BadSyncStart {
            events: events.clone(),
        })
        .unwrap();
    match bounded("terminated", actor.terminated()).await {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::HookPanic);
            assert_eq!(failure.message(), "cannot start");
        }
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
    assert_eq!(events.snapshot(), ["started", "stopped"]);
    assert!(matches!(actor.ping().await, Err(AskError::Closed(_))));
    system.shutdown().await;
}

#[tokio::test]
async fn messages_queue_while_the_started_hook_runs() {
    let system = patient_system();
    let events = Events::default();
    let (gate, mut control) = Gate::new();
    let actor = system
        .spawn(Tracked {
            start_gate: Some(gate),
            ..Tracked::new("a", &events)
        })
        .unwrap();
    control.entered().await;
    assert_eq!(actor.status(), ActorStatus::Starting);
    assert!(actor.is_alive());
    actor.work(1).try_tell().unwrap();
    let mut ask = pin!(actor.work(2).into_future());
    assert!(poll_once(ask.as_mut()).await.is_pending());
    assert!(events.with_prefix("a msg").is_empty());
    control.release();
    assert_eq!(bounded("the ask", ask).await.unwrap(), 2);
    assert_eq!(actor.status(), ActorStatus::Running);
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "msg 1", "msg 2"])
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_weak_ref_does_not_keep_the_actor_alive() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let id = actor.id();
    let weak = actor.downgrade();
    assert_eq!(weak.id(), id);
    assert!(weak.is_alive());

    // Upgrading while alive gives a working strong ref to the same actor.
    let upgraded = weak.upgrade().expect("alive");
    assert_eq!(upgraded.id(), id);
    assert_eq!(upgraded, actor);
    drop(actor);
    // The upgraded ref alone keeps it alive.
    assert_eq!(bounded("ask", upgraded.work(1)).await.unwrap(), 1);
    assert!(weak.is_alive());

    drop(upgraded);
    assert_eq!(
        bounded("terminated", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert!(!weak.is_alive());
    assert!(weak.upgrade().is_none());
    assert!(weak.clone().upgrade().is_none());
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "msg 1", "stopping", "stopped"])
    );
    assert_eq!(system.actor_count(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn dropping_the_last_ref_drains_the_mailbox_then_stops() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let weak = actor.downgrade();
    let (gate, mut control) = Gate::new();
    actor.hold(gate).tell().await.unwrap();
    control.entered().await;
    for n in 0..100 {
        actor.work(n).tell().await.unwrap();
    }
    drop(actor);
    // No strong ref is left: the actor is on its way out, though still busy.
    assert!(weak.upgrade().is_none());
    assert!(weak.is_alive());
    control.release();

    assert_eq!(
        bounded("terminated", weak.terminated()).await,
        StopReason::RefsDropped
    );
    let mut want = expected("a", &["started", "hold", "stopping"]);
    want.extend((0..100).map(|n| format!("a msg {n}")));
    want.push("a stopped".to_owned());
    assert_eq!(events.snapshot(), want);
    system.shutdown().await;
}

#[tokio::test]
async fn a_ref_the_actor_holds_to_itself_keeps_it_alive_until_released() {
    let system = patient_system();
    let events = Events::default();
    let actor = system.spawn(Tracked::new("a", &events)).unwrap();
    let weak = actor.downgrade();
    bounded("keep", actor.keep_myself(true)).await.unwrap();
    drop(actor);

    // Only the actor's own ref is left, and it still counts.
    let again = weak.upgrade().expect("kept alive by its own ref");
    assert_eq!(bounded("ask", again.work(1)).await.unwrap(), 1);
    bounded("release", again.keep_myself(false)).await.unwrap();
    drop(again);
    assert_eq!(
        bounded("terminated", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(
        events.snapshot(),
        expected("a", &["started", "msg 1", "stopping", "stopped"])
    );
    system.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_every_actor_and_runs_their_hooks() {
    let system = patient_system();
    let events = Events::default();
    let a = system.spawn(Tracked::new("a", &events)).unwrap();
    let b = system.spawn(Tracked::new("b", &events)).unwrap();
    let c = system
        .spawn(Props::from_value(Tracked::new("c", &events)).name("c"))
        .unwrap();
    assert_eq!(a.work(1).await.unwrap(), 1);
    assert_eq!(system.actor_count(), 3);

    // `c` is busy, with an ask queued behind the message it is handling.
    let (gate, mut control) = Gate::new();
    let mut busy = pin!(c.hold(gate).into_future());
    assert!(poll_once(busy.as_mut()).await.is_pending());
    control.entered().await;
    let mut queued = pin!(c.work(5).into_future());
    assert!(poll_once(queued.as_mut()).await.is_pending());

    let mut shutdown = pin!(system.shutdown());
    assert!(
        poll_once(shutdown.as_mut()).await.is_pending(),
        "shutdown waits for the busy actor"
    );
    assert!(system.is_shutting_down());
    control.release();
    let report = bounded("shutdown", shutdown).await;
    assert_eq!((report.stopped, report.aborted), (3, 0));

    assert_eq!(bounded("the busy ask", busy).await.unwrap(), "c");
    assert!(matches!(
        bounded("the queued ask", queued).await,
        Err(AskError::Stopped)
    ));
    for actor in [&a, &b, &c] {
        assert_eq!(
            bounded("terminated", actor.terminated()).await,
            StopReason::Shutdown
        );
    }
    assert_eq!(
        events.with_prefix("a "),
        expected("a", &["started", "msg 1", "stopping", "stopped"])
    );
    assert_eq!(
        events.with_prefix("b "),
        expected("b", &["started", "stopping", "stopped"])
    );
    assert_eq!(
        events.with_prefix("c "),
        expected("c", &["started", "hold", "stopping", "stopped"])
    );
    assert_eq!(system.actor_count(), 0);
    assert!(system.lookup::<Tracked>("c").is_err());

    // A second shutdown finds nothing left to stop.
    let again = bounded("second shutdown", system.shutdown()).await;
    assert_eq!((again.stopped, again.aborted), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_an_actor_stuck_in_a_handler_after_the_timeout() {
    let system = ActorSystem::builder()
        .ask_timeout(Duration::from_secs(600))
        .shutdown_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let events = Events::default();
    let healthy = system.spawn(Tracked::new("h", &events)).unwrap();
    let stuck = system.spawn(Tracked::new("s", &events)).unwrap();
    let (gate, mut control) = Gate::new();
    let mut in_flight = pin!(stuck.stuck(gate).into_future());
    assert!(poll_once(in_flight.as_mut()).await.is_pending());
    control.entered().await;
    let mut queued = pin!(stuck.work(1).into_future());
    assert!(poll_once(queued.as_mut()).await.is_pending());

    let start = Instant::now();
    let report = bounded("shutdown", system.shutdown()).await;
    let waited = start.elapsed();
    assert_eq!((report.stopped, report.aborted), (1, 1));
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(600),
        "{waited:?}"
    );

    assert_eq!(
        bounded("terminated", stuck.terminated()).await,
        StopReason::Aborted
    );
    assert_eq!(stuck.status(), ActorStatus::Stopped(StopReason::Aborted));
    assert_eq!(
        bounded("terminated", healthy.terminated()).await,
        StopReason::Shutdown
    );
    // Neither ask to the aborted actor hangs; neither got a reply.
    assert!(matches!(
        bounded("the in-flight ask", in_flight).await,
        Err(AskError::Stopped)
    ));
    assert!(matches!(
        bounded("the queued ask", queued).await,
        Err(AskError::Stopped)
    ));
    // The aborted actor ran no stop hook; the healthy one ran both.
    assert_eq!(
        events.with_prefix("s "),
        expected("s", &["started", "stuck"])
    );
    assert_eq!(
        events.with_prefix("h "),
        expected("h", &["started", "stopping", "stopped"])
    );
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test]
async fn a_panic_in_the_stopping_hook_fails_the_actor_and_drops_the_queue() {
    let system = patient_system();
    let events = Events::default();
    let actor = system
        .spawn(BadStop {
            events: events.clone(),
        })
        .unwrap();
    let (gate, mut control) = Gate::new();
    actor.hold(gate).tell().await.unwrap();
    control.entered().await;
    let mut queued = pin!(actor.ping().into_future());
    assert!(poll_once(queued.as_mut()).await.is_pending());
    actor.stop();
    control.release();

    assert!(matches!(
        bounded("the queued ask", queued).await,
        Err(AskError::Stopped)
    ));
    match bounded("terminated", actor.terminated()).await {
        StopReason::Failed(failure) => {
            assert_eq!(failure.kind(), FailureKind::HookPanic);
            assert_eq!(failure.message(), "cannot stop");
        }
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
    assert_eq!(events.snapshot(), ["stopping", "stopped"]);
    system.shutdown().await;
}

/// `terminated()` resolves when the status says `Stopped`, but the runner publishes that
/// status before it removes the actor from the registry, so on a multi-threaded runtime the
/// name can still be taken (and `actor_count` still count it) right after `terminated()`.
/// Fails in about 2% of iterations on a 2-core machine; passes every time once the runner
/// unregisters before publishing `Stopped`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_is_free_once_terminated_resolves() {
    let system = patient_system();
    for generation in 0..2000 {
        let actor = match system.spawn(Props::from_value(Named { generation }).name("reused")) {
            Ok(actor) => actor,
            Err(err) => panic!("generation {generation}: {err}"),
        };
        assert_eq!(
            bounded("ask", actor.generation()).await.unwrap(),
            generation
        );
        actor.stop();
        assert_eq!(
            bounded("terminated", actor.terminated()).await,
            StopReason::Requested
        );
        assert_eq!(system.actor_count(), 0, "generation {generation}");
    }
    system.shutdown().await;
}
