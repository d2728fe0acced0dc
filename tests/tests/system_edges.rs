//! The system at the edges of its environment: a runtime that is gone, a thread with no
//! runtime, a runtime without timers, and durations too long to add to an instant.
//!
//! Several of these cases used to hang a thread for ever (a lock taken twice on one
//! thread), which no `tokio::time::timeout` can bound, since the hang is not at an await.
//! So they run on a thread of their own and the test waits for its answer on a channel with
//! a deadline: a hang fails the test instead of stalling the suite.

mod support;

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{BuildError, LookupError, SpawnError, SystemBuilder};
use support::LIMIT;

#[actor]
pub struct Echo;

#[actor]
impl Echo {
    #[message]
    fn echo(&self, n: u64) -> u64 {
        n
    }
}

/// Never answers: its handler waits for ever.
#[actor]
pub struct Stuck;

#[actor]
impl Stuck {
    #[message]
    async fn hang(&self) {
        std::future::pending::<()>().await;
    }
}

fn build(builder: SystemBuilder) -> ActorSystem {
    builder.build().expect("a valid configuration")
}

/// Runs `work` on a thread of its own and returns its result, failing the test if the
/// thread panics or does not answer within [`LIMIT`] (it may be hung on a lock: it is then
/// left behind, and the test fails instead of waiting for it).
fn on_own_thread<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, answer) = mpsc::channel();
    thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let _ = done.send(work());
        })
        .unwrap();
    match answer.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung for {LIMIT:?}: {what}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("panicked: {what}"),
    }
}

/// A minimal executor, as `futures::executor::block_on`: polls `future` on this thread,
/// which has no tokio runtime, parking it between wake-ups.
fn block_on<F: IntoFuture>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future.into_future());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---- 1: a system whose runtime is gone ----

/// A system built inside a runtime that was dropped since (as a `static` system shared by
/// two `#[tokio::test]`s is): spawning fails with an error that says so, and the system
/// still answers everything else.
#[test]
fn a_system_whose_runtime_is_gone_refuses_spawns_and_keeps_answering() {
    let outcome = on_own_thread("spawn after the runtime is gone", || {
        let first = current_thread_runtime();
        let system = first.block_on(async {
            let system = ActorSystem::new();
            let named = system.spawn(Props::new(|| Echo).name("echo")).unwrap();
            assert_eq!(named.echo(1).await.unwrap(), 1);
            // A named actor lives until stopped: only the runtime's end stops it here.
            drop(named);
            system
        });
        drop(first);

        let second = current_thread_runtime();
        second.block_on(async {
            let spawned = system.spawn(Echo).map(|_| ());
            let again = system.spawn(Props::new(|| Echo).name("echo")).map(|_| ());
            let lookup = system.lookup::<Echo>("echo").map(|_| ());
            let count = system.actor_count();
            let report = system.shutdown().await;
            (spawned, again, lookup, count, report)
        })
    });
    let (spawned, again, lookup, count, report) = outcome;
    assert_eq!(spawned, Err(SpawnError::RuntimeShutDown));
    assert_eq!(again, Err(SpawnError::RuntimeShutDown));
    assert_eq!(lookup, Err(LookupError::NotFound("echo".to_owned())));
    assert_eq!(count, 0);
    assert_eq!((report.stopped, report.aborted), (0, 0));
    let message = SpawnError::RuntimeShutDown.to_string();
    assert!(message.contains("runtime"), "{message}");
}

// ---- 9: durations too long to add to an instant ----

#[tokio::test(start_paused = true)]
async fn an_ask_with_duration_max_as_its_timeout_is_answered() {
    let system = ActorSystem::new();
    let echo = system.spawn(Echo).unwrap();
    let answer = echo.echo(7).timeout(Duration::MAX).await;
    assert_eq!(answer.unwrap(), 7);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_system_ask_timeout_of_duration_max_is_a_far_deadline() {
    let system = build(ActorSystem::builder().ask_timeout(Duration::MAX));
    assert_eq!(system.ask_timeout(), Duration::MAX);
    let echo = system.spawn(Echo).unwrap();
    assert_eq!(echo.echo(8).await.unwrap(), 8);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_timeout_of_duration_max_is_a_far_deadline() {
    let system = build(ActorSystem::builder().shutdown_timeout(Duration::MAX));
    let echo = system.spawn(Echo).unwrap();
    assert_eq!(echo.echo(9).await.unwrap(), 9);
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.aborted), (1, 0));
    assert_eq!(echo.terminated().await, StopReason::Shutdown);
}

// ---- 11: no runtime on the asking thread, no timers in the runtime ----

/// A system given a runtime's handle is usable from a thread that runs no runtime: the
/// ask's timer is armed on the system's runtime.
#[test]
fn ask_and_shutdown_from_a_thread_without_a_runtime_use_the_systems_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    let (answer, report) = on_own_thread("ask from a plain thread", move || {
        let system = build(ActorSystem::builder().runtime(handle));
        let echo = system.spawn(Echo).unwrap();
        let answer = block_on(echo.echo(11)).map_err(|err| err.to_string());
        let timed =
            block_on(echo.echo(12).timeout(Duration::from_secs(30))).map_err(|err| err.to_string());
        assert_eq!(timed, Ok(12));
        let report = block_on(system.shutdown());
        (answer, report)
    });
    assert_eq!(answer, Ok(11));
    assert_eq!((report.stopped, report.aborted), (1, 0));
    drop(runtime);
}

/// A system built inside a runtime remembers it: asking from a plain thread later works.
#[test]
fn a_system_built_inside_a_runtime_is_asked_from_a_plain_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (system, echo) = runtime.block_on(async {
        let system = ActorSystem::new();
        let echo = system.spawn(Echo).unwrap();
        (system, echo)
    });
    let answer = on_own_thread("ask from a plain thread", move || {
        let answer = block_on(echo.echo(13)).map_err(|err| err.to_string());
        let report = block_on(system.shutdown());
        (answer, report.aborted)
    });
    assert_eq!(answer, (Ok(13), 0));
    drop(runtime);
}

/// A runtime built without `enable_time`: asks and shutdown still have their timeouts,
/// on a timer of the crate's own, instead of panicking.
#[test]
fn a_runtime_without_timers_still_asks_and_shuts_down() {
    let (answer, timed_out, report) = on_own_thread("ask on a runtime without timers", || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let system = build(ActorSystem::builder().shutdown_timeout(Duration::from_millis(100)));
            let echo = system.spawn(Echo).unwrap();
            let answer = echo.echo(21).await.map_err(|err| err.to_string());
            // The timer really fires: an ask to an actor stuck in a handler times out.
            // (A real 100 ms, since a runtime without timers has no paused clock; the
            // assertion is on the outcome, not on how long it took.)
            let stuck = system.spawn(Stuck).unwrap();
            stuck.hang().tell().await.unwrap();
            let timed_out = stuck.hang().timeout(Duration::from_millis(100)).await;
            let timed_out = matches!(timed_out, Err(AskError::Timeout));
            let report = system.shutdown().await;
            (answer, timed_out, report)
        })
    });
    assert_eq!(answer, Ok(21));
    assert!(timed_out, "the ask to a stuck actor did not time out");
    // The stuck actor is aborted at the shutdown timeout, which is a timer too.
    assert_eq!((report.stopped, report.aborted), (1, 1));
}

/// An event capacity that can never be allocated is refused when the system is built.
#[test]
fn impossible_event_capacities_are_refused_by_build() {
    for capacity in [0, usize::MAX, SystemBuilder::MAX_EVENT_CAPACITY + 1] {
        let built = ActorSystem::builder().event_capacity(capacity).build();
        let err = built.expect_err("an impossible capacity must be refused");
        match (capacity, &err) {
            (0, BuildError::EventCapacityZero) => {}
            (
                _,
                BuildError::EventCapacityTooLarge {
                    capacity: asked,
                    max,
                },
            ) => {
                assert_eq!(
                    (*asked, *max),
                    (capacity, SystemBuilder::MAX_EVENT_CAPACITY)
                );
            }
            _ => panic!("{capacity}: unexpected {err:?}"),
        }
        let message = err.to_string();
        assert!(message.contains("event capacity"), "{capacity}: {message}");
    }
    // The largest accepted one is accepted.
    ActorSystem::builder()
        .event_capacity(SystemBuilder::MAX_EVENT_CAPACITY)
        .build()
        .unwrap();
    // A large one that can be allocated is accepted (and allocates nothing until a
    // subscriber comes: see `event_channel_heap`).
    let system = ActorSystem::builder()
        .event_capacity(1 << 24)
        .build()
        .unwrap();
    assert_eq!(system.actor_count(), 0);
}

/// Fails on request; counts its instances through its factory.
#[actor]
pub struct Fragile;

#[actor]
impl Fragile {
    #[message]
    fn boom(&self) {
        panic!("fragile");
    }

    #[message]
    fn ping(&self) -> u8 {
        7
    }
}

/// A restart back-off is a timer too: on a runtime without timers it runs on the
/// system's own, instead of panicking inside the actor's task.
#[test]
fn a_restart_back_off_on_a_runtime_without_timers_restarts() {
    use actor_core::supervision::{Backoff, SupervisorStrategy};
    let answer = on_own_thread("a back-off on a runtime without timers", || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let strategy = SupervisorStrategy::one_for_one().backoff(Backoff::exponential(
                Duration::from_millis(1),
                Duration::from_millis(1),
            ));
            let system = build(ActorSystem::builder().guardian_strategy(strategy));
            let fragile = system.spawn(Props::new(|| Fragile)).unwrap();
            let failed = fragile.boom().await.is_err();
            let answer = fragile.ping().await.map_err(|err| err.to_string());
            system.shutdown().await;
            (failed, answer)
        })
    });
    assert_eq!(answer, (true, Ok(7)));
}
