//! Tasks and streams tied to an actor's life (`Context::spawn_task`, `attach_stream`,
//! `attach_try_stream`): their output comes in as ordinary messages, through the mailbox
//! and its backpressure; stop and restart abort them (their futures are dropped, their
//! messages never arrive); they do not keep the actor alive; a panic in them fails the
//! actor.
//!
//! Every test observes the actor through what it logs, in order, and through the drop of
//! the task's future (a oneshot whose receiver the future owns: `Sender::closed` resolves
//! once it is dropped). Nothing sleeps in real time; the slow handler sleeps on paused time.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::SupervisorStrategy;
use actor_core::{FailureKind, StreamEnd, TaskHandle};
use futures::stream::{self, StreamExt};
use support::{bounded, patient_system, LIMIT};
use tokio::sync::{mpsc, oneshot};

/// What the actors under test did, in order.
type Log = mpsc::UnboundedSender<String>;

fn log() -> (Log, mpsc::UnboundedReceiver<String>) {
    mpsc::unbounded_channel()
}

async fn next(what: &str, rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    bounded(what, rx.recv()).await.expect("the log is open")
}

/// A system whose guardian restarts a failed top-level actor.
fn restarting_system() -> ActorSystem {
    ActorSystem::builder()
        .ask_timeout(LIMIT)
        .shutdown_timeout(LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one())
        .build()
        .unwrap()
}

/// Logs `what` when dropped: put in a future or a stream, it shows that it was dropped.
struct DropLog(Log, &'static str);

impl Drop for DropLog {
    fn drop(&mut self) {
        let _ = self.0.send(self.1.to_owned());
    }
}

/// Pipes futures back to itself.
#[actor]
struct Piper {
    log: Log,
}

#[actor]
impl Piper {
    /// Doubles `n` in a task; the result comes back as `Got`.
    #[message]
    fn double(&mut self, n: u32, ctx: &mut Context<Self>) {
        ctx.spawn_task(async move { n * 2 }, |n| PiperMsg::Got { n });
    }

    /// Spawns a task that waits for the returned sender; its result comes back as `Got`.
    #[message]
    fn park(&mut self, ctx: &mut Context<Self>) -> oneshot::Sender<u32> {
        let (tx, rx) = oneshot::channel();
        ctx.spawn_task(async move { rx.await.unwrap_or(0) }, |n| PiperMsg::Got {
            n,
        });
        tx
    }

    /// As `park`, returning the task's handle too.
    #[message]
    fn park_with_handle(&mut self, ctx: &mut Context<Self>) -> (oneshot::Sender<u32>, TaskHandle) {
        let (tx, rx) = oneshot::channel();
        let handle = ctx.spawn_task(async move { rx.await.unwrap_or(0) }, |n| PiperMsg::Got {
            n,
        });
        (tx, handle)
    }

    #[message]
    fn panic_in_future(&mut self, ctx: &mut Context<Self>) {
        ctx.spawn_task(async { panic!("the future broke") }, |()| PiperMsg::Got {
            n: 0,
        });
    }

    #[message]
    fn panic_in_mapping(&mut self, ctx: &mut Context<Self>) {
        ctx.spawn_task(async { 7_u32 }, |_| -> PiperMsg {
            panic!("the mapping broke")
        });
    }

    #[message]
    fn got(&mut self, n: u32) {
        let _ = self.log.send(format!("got {n}"));
    }

    #[message]
    fn boom(&mut self) {
        panic!("boom");
    }

    #[message]
    fn ping(&self) {
        let _ = self.log.send("ping".to_owned());
    }

    #[post_restart]
    fn restarted(&mut self, failure: &Failure) {
        let _ = self.log.send(format!(
            "restarted after {:?}: {}",
            failure.kind(),
            failure.message()
        ));
    }
}

#[tokio::test]
async fn a_task_output_arrives_as_a_message() {
    let system = patient_system();
    let (log, mut seen) = log();
    let piper = system.spawn(Piper { log }).unwrap();
    bounded("double", piper.double(21)).await.unwrap();
    assert_eq!(next("the output", &mut seen).await, "got 42");
    system.shutdown().await;
}

#[tokio::test]
async fn stop_aborts_a_pending_task_and_its_message_never_arrives() {
    let system = patient_system();
    let (log, mut seen) = log();
    let piper = system.spawn(Piper { log }).unwrap();
    let mut gate = bounded("park", piper.park()).await.unwrap();
    piper.stop();
    bounded("stopped", piper.terminated()).await;
    // The task's future was dropped: its receiver is gone, so it can never complete.
    bounded("the task's future dropped", gate.closed()).await;
    assert!(gate.send(5).is_err());
    system.shutdown().await;
    assert!(seen.try_recv().is_err(), "no message after the stop");
}

#[tokio::test]
async fn restart_aborts_the_tasks_of_the_old_instance() {
    let system = restarting_system();
    let (log, mut seen) = log();
    let for_factory = log.clone();
    let piper = system
        .spawn(Props::new(move || Piper {
            log: for_factory.clone(),
        }))
        .unwrap();
    let mut gate = bounded("park", piper.park()).await.unwrap();
    assert!(bounded("boom", piper.boom()).await.is_err());
    assert_eq!(
        next("restart", &mut seen).await,
        "restarted after HandlerPanic: boom"
    );
    bounded("the old task's future dropped", gate.closed()).await;
    assert!(gate.send(5).is_err());
    // The new instance runs, and nothing of the old task came in before its ping.
    bounded("ping", piper.ping()).await.unwrap();
    assert_eq!(next("ping", &mut seen).await, "ping");
    system.shutdown().await;
    drop(log);
    assert!(seen.try_recv().is_err());
}

#[tokio::test]
async fn a_task_handle_aborts_that_task_alone() {
    let system = patient_system();
    let (log, mut seen) = log();
    let piper = system.spawn(Piper { log }).unwrap();
    let (mut aborted, handle) = bounded("park one", piper.park_with_handle()).await.unwrap();
    let kept = bounded("park another", piper.park()).await.unwrap();
    assert!(!handle.is_finished());
    handle.abort();
    bounded("the aborted task's future dropped", aborted.closed()).await;
    assert!(handle.is_finished());
    kept.send(3).unwrap();
    assert_eq!(next("the other output", &mut seen).await, "got 3");
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_the_future_fails_the_actor() {
    let system = restarting_system();
    let (log, mut seen) = log();
    let for_factory = log.clone();
    let piper = system
        .spawn(Props::new(move || Piper {
            log: for_factory.clone(),
        }))
        .unwrap();
    bounded("panic_in_future", piper.panic_in_future())
        .await
        .unwrap();
    assert_eq!(
        next("restart", &mut seen).await,
        "restarted after TaskPanic: the future broke"
    );
    bounded("ping", piper.ping()).await.unwrap();
    assert_eq!(next("ping", &mut seen).await, "ping");
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_the_mapping_closure_fails_the_actor() {
    let system = restarting_system();
    let (log, mut seen) = log();
    let for_factory = log.clone();
    let piper = system
        .spawn(Props::new(move || Piper {
            log: for_factory.clone(),
        }))
        .unwrap();
    bounded("panic_in_mapping", piper.panic_in_mapping())
        .await
        .unwrap();
    assert_eq!(
        next("restart", &mut seen).await,
        "restarted after TaskPanic: the mapping broke"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_panicking_task_of_a_stopping_actor_is_stopped_with_it() {
    // The guardian stops a failed actor here: the failure is reported, the actor ends.
    let system = support::patient_system_stopping_failed();
    let (log, _seen) = log();
    let piper = system.spawn(Piper { log }).unwrap();
    bounded("panic_in_future", piper.panic_in_future())
        .await
        .unwrap();
    let reason = bounded("stopped", piper.terminated()).await;
    match reason {
        StopReason::Failed(failure) => assert_eq!(failure.kind(), FailureKind::TaskPanic),
        other => panic!("expected a failure, got {other:?}"),
    }
    system.shutdown().await;
}

/// Runs a task from `started` and nothing else: whoever spawned it may drop every ref.
#[actor]
struct SelfStarter {
    log: Log,
    gate: Option<oneshot::Receiver<u32>>,
}

#[actor]
impl SelfStarter {
    #[started]
    fn started(&mut self, ctx: &mut Context<Self>) {
        let gate = self.gate.take().expect("one gate");
        let guard = DropLog(self.log.clone(), "task dropped");
        ctx.spawn_task(
            async move {
                let _guard = guard;
                gate.await.unwrap_or(0)
            },
            |n| SelfStarterMsg::Got { n },
        );
    }

    #[message]
    fn got(&mut self, n: u32) {
        let _ = self.log.send(format!("got {n}"));
    }

    #[stopped]
    fn stopped(&mut self) {
        let _ = self.log.send("stopped".to_owned());
    }
}

#[tokio::test]
async fn a_task_does_not_keep_its_actor_alive() {
    let system = patient_system();
    let (log, mut seen) = log();
    let (gate, rx) = oneshot::channel();
    let actor = system
        .spawn(SelfStarter {
            log,
            gate: Some(rx),
        })
        .unwrap();
    let weak = actor.downgrade();
    drop(actor);
    assert_eq!(
        bounded("stopped", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(next("stopped hook", &mut seen).await, "stopped");
    assert_eq!(next("task dropped", &mut seen).await, "task dropped");
    assert!(gate.send(1).is_err());
    system.shutdown().await;
}

#[tokio::test]
async fn a_task_delivers_to_an_actor_that_no_strong_ref_reaches() {
    // A named actor is kept by the guardian: it runs with no strong ref left, and its task
    // still delivers (a weak ref could not upgrade to send).
    let system = patient_system();
    let (log, mut seen) = log();
    let (gate, rx) = oneshot::channel();
    let actor = system
        .spawn(
            Props::from(SelfStarter {
                log,
                gate: Some(rx),
            })
            .name("self-starter"),
        )
        .unwrap();
    drop(actor);
    gate.send(9).unwrap();
    // The future ends (its guard dropped) before its output is sent.
    assert_eq!(next("the future ended", &mut seen).await, "task dropped");
    assert_eq!(next("the output", &mut seen).await, "got 9");
    system.shutdown().await;
    assert_eq!(next("stopped hook", &mut seen).await, "stopped");
}

/// Spawns a task from its `stopped` hook, after its tasks were aborted.
#[actor]
struct LateSpawner {
    log: Log,
}

#[actor]
impl LateSpawner {
    #[stopped]
    fn stopped(&mut self, ctx: &mut Context<Self>) {
        let guard = DropLog(self.log.clone(), "late task dropped");
        let handle = ctx.spawn_task(
            async move {
                let _guard = guard;
                std::future::pending::<u32>().await
            },
            |n| LateSpawnerMsg::Got { n },
        );
        let _ = self
            .log
            .send(format!("spawned, finished: {}", handle.is_finished()));
    }

    #[message]
    fn got(&mut self, n: u32) {
        let _ = self.log.send(format!("got {n}"));
    }
}

#[tokio::test]
async fn a_task_spawned_by_a_stopping_actor_is_aborted_at_once() {
    let system = patient_system();
    let (log, mut seen) = log();
    let actor = system.spawn(LateSpawner { log }).unwrap();
    actor.stop();
    bounded("stopped", actor.terminated()).await;
    assert!(next("spawned", &mut seen).await.starts_with("spawned"));
    assert_eq!(next("dropped", &mut seen).await, "late task dropped");
    system.shutdown().await;
}

/// Receives an attached stream's items and its end.
#[actor(mailbox = 2)]
struct Sink {
    log: Log,
    /// Items the stream produced so far (counted by the stream itself).
    produced: Arc<AtomicUsize>,
    handled: usize,
    /// The most items the stream was ever ahead of this handler.
    most_ahead: Arc<Mutex<usize>>,
    /// How long each item takes to handle, on paused time.
    slow: Option<Duration>,
    /// Holds the first item's handler until it is sent to.
    hold_first: Option<oneshot::Receiver<()>>,
}

#[actor]
impl Sink {
    #[message]
    async fn item(&mut self, n: u32) {
        let ahead = self.produced.load(Ordering::SeqCst) - self.handled;
        {
            let mut most = self.most_ahead.lock().unwrap();
            *most = (*most).max(ahead);
        }
        if let Some(hold) = self.hold_first.take() {
            let _ = self.log.send("holding".to_owned());
            let _ = hold.await;
        }
        if let Some(slow) = self.slow {
            tokio::time::sleep(slow).await;
        }
        self.handled += 1;
        let _ = self.log.send(format!("item {n}"));
    }

    #[message]
    fn ended(&mut self, error: Option<String>) {
        let _ = self.log.send(match error {
            None => "finished".to_owned(),
            Some(error) => format!("failed: {error}"),
        });
    }

    #[message]
    fn attach(&mut self, items: u32, ctx: &mut Context<Self>) {
        let produced = Arc::clone(&self.produced);
        let numbers = stream::iter(0..items).inspect(move |_| {
            produced.fetch_add(1, Ordering::SeqCst);
        });
        ctx.attach_stream(
            numbers,
            |n| SinkMsg::Item { n },
            |end: StreamEnd| {
                assert_eq!(end, StreamEnd::Finished);
                SinkMsg::Ended { error: None }
            },
        );
    }

    /// Attaches `1, 2, Err, 3`: the `3` must never be produced.
    #[message]
    fn attach_failing(&mut self, ctx: &mut Context<Self>) {
        let produced = Arc::clone(&self.produced);
        let items = stream::iter([Ok(1), Ok(2), Err("broken pipe"), Ok(3)]).inspect(move |_| {
            produced.fetch_add(1, Ordering::SeqCst);
        });
        ctx.attach_try_stream(
            items,
            |n| SinkMsg::Item { n },
            |end| SinkMsg::Ended {
                error: end.into_error().map(str::to_owned),
            },
        );
    }

    /// Attaches a stream that yields one item, then waits for ever; it logs its drop.
    #[message]
    fn attach_stalling(&mut self, ctx: &mut Context<Self>) {
        let guard = DropLog(self.log.clone(), "stream dropped");
        let items = stream::iter([1]).chain(stream::pending()).map(move |n| {
            let _ = &guard;
            n
        });
        ctx.attach_stream(
            items,
            |n| SinkMsg::Item { n },
            |_| SinkMsg::Ended { error: None },
        );
    }

    /// Attaches an endless stream that logs its drop.
    #[message]
    fn attach_endless(&mut self, ctx: &mut Context<Self>) {
        let guard = DropLog(self.log.clone(), "stream dropped");
        let produced = Arc::clone(&self.produced);
        let items = stream::iter(0..).map(move |n| {
            let _ = &guard;
            produced.fetch_add(1, Ordering::SeqCst);
            n
        });
        ctx.attach_stream(
            items,
            |n| SinkMsg::Item { n },
            |_| SinkMsg::Ended { error: None },
        );
    }

    /// Attaches a stream whose item closure panics at the second item.
    #[message]
    fn attach_panicking(&mut self, ctx: &mut Context<Self>) {
        ctx.attach_stream(
            stream::iter(1..=3_u32),
            |n| {
                assert!(n < 2, "the item closure broke");
                SinkMsg::Item { n }
            },
            |_| SinkMsg::Ended { error: None },
        );
    }

    #[message]
    fn boom(&mut self) {
        panic!("boom");
    }

    #[post_restart]
    fn restarted(&mut self, failure: &Failure) {
        let _ = self.log.send(format!(
            "restarted after {:?}: {}",
            failure.kind(),
            failure.message()
        ));
    }

    #[stopped]
    fn stopped(&mut self) {
        let _ = self.log.send("stopped".to_owned());
    }
}

impl Sink {
    fn new(log: Log) -> Self {
        Sink {
            log,
            produced: Arc::default(),
            handled: 0,
            most_ahead: Arc::default(),
            slow: None,
            hold_first: None,
        }
    }
}

#[tokio::test]
async fn a_stream_items_arrive_in_order_then_the_finished_notification() {
    let system = patient_system();
    let (log, mut seen) = log();
    let sink = system.spawn(Sink::new(log)).unwrap();
    bounded("attach", sink.attach(5)).await.unwrap();
    for n in 0..5 {
        assert_eq!(next("an item", &mut seen).await, format!("item {n}"));
    }
    assert_eq!(next("the end", &mut seen).await, "finished");
    system.shutdown().await;
}

#[tokio::test]
async fn an_erroring_stream_ends_failed_and_is_not_polled_past_its_error() {
    let system = patient_system();
    let (log, mut seen) = log();
    let sink = Sink::new(log);
    let produced = Arc::clone(&sink.produced);
    let sink = system.spawn(sink).unwrap();
    bounded("attach", sink.attach_failing()).await.unwrap();
    assert_eq!(next("item 1", &mut seen).await, "item 1");
    assert_eq!(next("item 2", &mut seen).await, "item 2");
    assert_eq!(next("the end", &mut seen).await, "failed: broken pipe");
    assert_eq!(
        produced.load(Ordering::SeqCst),
        3,
        "nothing after the error"
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stream_runs_no_further_ahead_than_the_mailbox_allows() {
    const ITEMS: u32 = 1_000;
    const CAPACITY: usize = 2;
    let system = patient_system();
    let (log, mut seen) = log();
    let mut sink = Sink::new(log);
    sink.slow = Some(Duration::from_millis(1));
    let produced = Arc::clone(&sink.produced);
    let most_ahead = Arc::clone(&sink.most_ahead);
    let sink = system.spawn(sink).unwrap();
    bounded("attach", sink.attach(ITEMS)).await.unwrap();
    for n in 0..ITEMS {
        assert_eq!(next("an item", &mut seen).await, format!("item {n}"));
    }
    assert_eq!(next("the end", &mut seen).await, "finished");
    assert_eq!(produced.load(Ordering::SeqCst), ITEMS as usize);
    let most_ahead = *most_ahead.lock().unwrap();
    // Ahead of the handler: the item being handled, those in the mailbox, and the one the
    // stream's task holds while it waits for room. Nothing is buffered anywhere else.
    assert!(
        most_ahead <= CAPACITY + 2,
        "the stream ran {most_ahead} items ahead of a mailbox of {CAPACITY}"
    );
    assert!(
        most_ahead >= CAPACITY,
        "the handler was slow: the mailbox filled up"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn stop_drops_a_stream_waiting_for_its_next_item() {
    let system = patient_system();
    let (log, mut seen) = log();
    let sink = system.spawn(Sink::new(log)).unwrap();
    bounded("attach", sink.attach_stalling()).await.unwrap();
    assert_eq!(next("item 1", &mut seen).await, "item 1");
    sink.stop();
    bounded("stopped", sink.terminated()).await;
    let mut rest = vec![next("one", &mut seen).await, next("other", &mut seen).await];
    rest.sort();
    // No end notification: a stream aborted with its actor sends nothing.
    assert_eq!(rest, ["stopped", "stream dropped"]);
    system.shutdown().await;
    assert!(seen.try_recv().is_err());
}

#[tokio::test]
async fn stop_drops_a_stream_waiting_for_room_in_the_mailbox() {
    let system = patient_system();
    let (log, mut seen) = log();
    let (release, hold) = oneshot::channel();
    let mut sink = Sink::new(log);
    sink.hold_first = Some(hold);
    let produced = Arc::clone(&sink.produced);
    let sink = system.spawn(sink).unwrap();
    bounded("attach", sink.attach_endless()).await.unwrap();
    assert_eq!(next("the first item held", &mut seen).await, "holding");
    // One item in the handler, two in the mailbox, one in the stream's hand, waiting.
    for _ in 0..10_000 {
        if produced.load(Ordering::SeqCst) == 4 {
            break;
        }
        tokio::task::yield_now().await;
    }
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        produced.load(Ordering::SeqCst),
        4,
        "the stream waits for room"
    );
    sink.stop_now();
    // The mailbox closed: the waiting send is refused and the stream dropped at once, while
    // the handler still holds the first item.
    assert_eq!(
        next("the stream dropped", &mut seen).await,
        "stream dropped"
    );
    release.send(()).unwrap();
    bounded("stopped", sink.terminated()).await;
    assert_eq!(next("item 0", &mut seen).await, "item 0");
    assert_eq!(next("stopped", &mut seen).await, "stopped");
    assert_eq!(produced.load(Ordering::SeqCst), 4);
    // The refused item and the two queued ones.
    assert_eq!(system.dead_letter_count(), 3);
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_a_stream_closure_fails_the_actor_and_the_stream_ends() {
    let system = restarting_system();
    let (log, mut seen) = log();
    let for_factory = log.clone();
    let sink = system
        .spawn(Props::new(move || Sink::new(for_factory.clone())))
        .unwrap();
    bounded("attach", sink.attach_panicking()).await.unwrap();
    // The failure comes before the mailbox (as a child's escalation does): item 1, already
    // queued, is handled by the new instance, since a restart keeps the mailbox.
    let lines = [
        next("one", &mut seen).await,
        next("two", &mut seen).await,
        next("three", &mut seen).await,
    ];
    assert_eq!(
        lines,
        [
            "stopped",
            "restarted after TaskPanic: the item closure broke",
            "item 1"
        ]
    );
    system.shutdown().await;
    assert_eq!(next("stopped", &mut seen).await, "stopped");
    drop(log);
    // Nothing of items 2 and 3, and no end notification: the stream died with its task.
    assert!(bounded("the log ends", seen.recv()).await.is_none());
}

#[tokio::test]
async fn restart_drops_attached_streams() {
    let system = restarting_system();
    let (log, mut seen) = log();
    let for_factory = log.clone();
    let sink = system
        .spawn(Props::new(move || Sink::new(for_factory.clone())))
        .unwrap();
    bounded("attach", sink.attach_stalling()).await.unwrap();
    assert_eq!(next("item 1", &mut seen).await, "item 1");
    assert!(bounded("boom", sink.boom()).await.is_err());
    let mut lines = [
        next("one", &mut seen).await,
        next("two", &mut seen).await,
        next("three", &mut seen).await,
    ];
    // The abort takes effect on the stream's own task, so its drop may come at any point.
    lines.sort();
    assert_eq!(
        lines,
        [
            "restarted after HandlerPanic: boom",
            "stopped",
            "stream dropped"
        ]
    );
    system.shutdown().await;
    assert_eq!(next("stopped", &mut seen).await, "stopped");
    drop(log);
    assert!(
        bounded("the log ends", seen.recv()).await.is_none(),
        "no end notification"
    );
}
