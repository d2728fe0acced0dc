//! The supervision tree the supervision edge tests share: a worker that counts, records
//! its hooks and fails in the ways the tests need, a boss generic over its strategy, and
//! the strategies. Included by path (`#[path = "support/tree.rs"] mod tree;`) by the test
//! files that use it, not by every test through `support`.

#![allow(dead_code)]

use std::marker::PhantomData;
use std::sync::Once;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, SupervisorStrategy};
use actor_core::ActorId;

use super::support::{Events, Gate, LIMIT};

/// What a test may wait for something that should happen promptly, in paused time: far
/// below the system's ask timeout ([`LIMIT`]), so a stall shows up as an elapsed timeout.
pub const PROMPT: Duration = Duration::from_secs(10);

/// Deliberate panics start with this; the hook keeps them quiet.
pub const PLANNED: &str = "break:";

pub fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.starts_with(PLANNED) {
                default(info);
            }
        }));
    });
}

/// A strategy whose decider blocks (in the failed child's task) until the test says what
/// to decide, through [`block_the_next_decision`]: a test looks at the tree while a
/// decision is being made. Its channels are statics of the test binary, so one test per
/// binary may use it.
pub struct BlockingDecider;
static DECIDER_ENTERED: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>> =
    std::sync::Mutex::new(None);
static DECIDER_RELEASE: std::sync::Mutex<Option<std::sync::mpsc::Receiver<Directive>>> =
    std::sync::Mutex::new(None);
impl Strategy for BlockingDecider {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| {
            if let Some(entered) = DECIDER_ENTERED.lock().unwrap().take() {
                let _ = entered.send(());
            }
            let release = DECIDER_RELEASE.lock().unwrap().take();
            release
                .and_then(|release| release.recv_timeout(LIMIT).ok())
                .unwrap_or(Directive::Stop)
        })
    }
}

/// Makes [`BlockingDecider`]'s next decision wait: the receiver says it was entered, the
/// sender gives the directive.
pub fn block_the_next_decision() -> (
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::Sender<Directive>,
) {
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    *DECIDER_ENTERED.lock().unwrap() = Some(entered_tx);
    *DECIDER_RELEASE.lock().unwrap() = Some(release_rx);
    (entered_rx, release_tx)
}

/// All-for-one with an intensity of one restart.
pub struct AllTogetherOnce;
impl Strategy for AllTogetherOnce {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::all_for_one()
            .max_restarts(1)
            .within(Duration::from_secs(60))
    }
}

/// A system for these tests: patient timeouts, the given guardian strategy, room for
/// many events, deliberate panics kept quiet.
pub fn system_with(guardian: SupervisorStrategy) -> ActorSystem {
    quiet_panics();
    ActorSystem::builder()
        .ask_timeout(LIMIT)
        .shutdown_timeout(LIMIT)
        .guardian_strategy(guardian)
        .event_capacity(1 << 14)
        .build()
        .unwrap()
}

/// A guardian strategy that restarts failed top-level actors, within a generous intensity.
pub fn restarting_guardian() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        .max_restarts(100)
        .within(Duration::from_secs(60))
}

/// A guardian strategy whose decider blocks in the failed actor's task until released:
/// it says on the first channel that it was entered, and decides what the second one
/// sends (`Stop` if nothing comes within [`LIMIT`]). Its channels are its own, so tests
/// using it may run at the same time; run them on a multi-thread runtime, since the
/// decider blocks a worker.
pub fn blocking_guardian() -> (
    SupervisorStrategy,
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::Sender<Directive>,
) {
    let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<Directive>();
    let entered_tx = std::sync::Mutex::new(entered_tx);
    let release_rx = std::sync::Mutex::new(release_rx);
    let strategy = SupervisorStrategy::one_for_one().decider(move |_| {
        let _ = entered_tx.lock().unwrap().send(());
        release_rx
            .lock()
            .unwrap()
            .recv_timeout(LIMIT)
            .unwrap_or(Directive::Stop)
    });
    (strategy, entered_rx, release_tx)
}

/// The guardian strategy that stops a failed top-level actor.
pub fn stopping_guardian() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().decider(|_| Directive::Stop)
}

/// Panics when dropped (unless already unwinding).
pub struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("break: a local of a cancelled handler panicked in Drop");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------

#[actor]
pub struct Worker {
    label: &'static str,
    count: u32,
    log: Events,
}

#[actor]
impl Worker {
    #[message]
    pub fn add(&mut self, n: u32) -> u32 {
        self.count += n;
        self.count
    }

    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }

    #[message]
    pub fn boom(&mut self) {
        panic!("break: boom {}", self.label);
    }

    /// Fails after a while, at an await point of its own.
    #[message]
    pub async fn slow_boom(&mut self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        panic!("break: slow boom {}", self.label);
    }

    /// Waits at the gate (a handler that awaits something outside the actor system).
    #[message]
    pub async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    /// Waits at the gate, then fails.
    #[message]
    pub async fn hold_then_boom(&mut self, gate: Gate) {
        gate.pass().await;
        panic!("break: boom after the gate {}", self.label);
    }

    /// Asks a sibling (a later sibling that depends on an earlier one: what rest-for-one
    /// is for).
    #[message]
    pub async fn ask_sibling(&mut self, other: ActorRef<Worker>) -> u32 {
        other.count().await.unwrap_or(u32::MAX)
    }

    #[message]
    pub fn stop_myself(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[started]
    fn on_started(&mut self) {
        self.log.push(format!("started {}", self.label));
    }

    #[pre_restart]
    fn on_pre_restart(&mut self) {
        self.log.push(format!("pre_restart {}", self.label));
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push(format!("stopped {}", self.label));
    }
}

pub fn worker(label: &'static str, log: &Events) -> Props<Worker> {
    let log = log.clone();
    Props::new(move || Worker {
        label,
        count: 0,
        log: log.clone(),
    })
}

pub trait Strategy: 'static {
    fn strategy() -> SupervisorStrategy;
}

#[actor(supervisor = S::strategy)]
pub struct Boss<S: Strategy> {
    log: Events,
    strategy: PhantomData<fn() -> S>,
}

#[actor]
impl<S: Strategy> Boss<S> {
    #[message]
    pub fn hire(&mut self, ctx: &mut Context<Self>, props: Props<Worker>) -> ActorRef<Worker> {
        ctx.spawn(props).expect("spawn a worker")
    }

    #[message]
    pub fn hire_escalating(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Boss<Escalating>>,
    ) -> ActorRef<Boss<Escalating>> {
        ctx.spawn(props).expect("spawn a boss")
    }

    #[message]
    pub fn hire_backing_off(
        &mut self,
        ctx: &mut Context<Self>,
        props: Props<Boss<BackingOff>>,
    ) -> ActorRef<Boss<BackingOff>> {
        ctx.spawn(props).expect("spawn a boss")
    }

    #[message]
    pub fn children(&self, ctx: &mut Context<Self>) -> Vec<ActorId> {
        ctx.children()
    }

    #[message]
    pub async fn busy(&mut self, gate: Gate) {
        gate.pass().await;
    }

    /// Holds a value whose `Drop` panics across an await that never ends.
    #[message]
    pub async fn hold_with_bomb(&mut self, gate: Gate) {
        let _bomb = DropBomb;
        gate.hold_forever().await;
    }

    #[message]
    pub fn boom(&mut self) {
        panic!("break: boss boom");
    }

    /// Asks `worker` to fail, then asks it again, all in one handler.
    #[message]
    pub async fn fail_and_ask_again(&mut self, worker: ActorRef<Worker>) -> (bool, u32) {
        let failed = worker.boom().await.is_err();
        let count = worker.add(1).await.unwrap_or(u32::MAX);
        (failed, count)
    }

    /// Asks a child to fail (it escalates), then fails itself on the way back.
    #[message]
    pub async fn fail_child_then_fail(&mut self, child: ActorRef<Worker>) {
        let _ = child.boom().await;
        panic!("break: boss fails after its child did");
    }

    #[started]
    fn on_started(&mut self) {
        self.log.push("boss started");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("boss stopped");
    }
}

pub fn boss<S: Strategy>(log: &Events) -> Props<Boss<S>> {
    let log = log.clone();
    Props::new(move || Boss {
        log: log.clone(),
        strategy: PhantomData,
    })
}

pub struct Restarting;
impl Strategy for Restarting {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(60))
    }
}

pub struct Escalating;
impl Strategy for Escalating {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| Directive::Escalate)
    }
}

pub struct Resuming;
impl Strategy for Resuming {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one().decider(|_| Directive::Resume)
    }
}

pub struct AllTogether;
impl Strategy for AllTogether {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::all_for_one()
            .max_restarts(1000)
            .within(Duration::from_secs(60))
    }
}

pub struct RestTogether;
impl Strategy for RestTogether {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::rest_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(60))
    }
}

/// One-for-one restarts after a real-time back-off (for the multi-thread test).
pub struct BackingOff;
impl Strategy for BackingOff {
    fn strategy() -> SupervisorStrategy {
        SupervisorStrategy::one_for_one()
            .max_restarts(100)
            .within(Duration::from_secs(600))
            .backoff(Backoff::exponential(
                Duration::from_millis(50),
                Duration::from_millis(50),
            ))
    }
}
