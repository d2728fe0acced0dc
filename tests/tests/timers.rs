//! Timers owned by an actor, the receive timeout and `send_after`, all under paused tokio
//! time: every test advances the clock with (paused) sleeps, and syncs with the actor by
//! asking it something before it reads the log, so what is asserted is the order and the
//! count of what the actor did, never how long a real thing took.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Directive, SupervisorStrategy};
use actor_core::{FailureKind, ScheduledSend, ScheduledSendError, SystemEvent};
use support::{bounded, patient_system, Events, LIMIT};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Advances paused time by `n` ms: the runtime runs everything due on the way.
async fn advance(n: u64) {
    tokio::time::sleep(ms(n)).await;
}

/// How a [`Ticker`] starts a timer.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Single,
    FixedDelay,
    FixedRate,
}

/// An actor that starts timers when told to and logs every tick it handles.
#[actor]
struct Ticker {
    log: Events,
    /// How long each tick's handler takes (paused time), to see fixed delay and fixed
    /// rate differ.
    tick_takes: Duration,
    /// The tick whose handler panics, if any, counted over the actor's whole life.
    panic_on_tick: Option<u32>,
    ticks: Arc<AtomicU32>,
    /// How long `pre_restart` takes, so that a timer can be due during a restart.
    restart_takes: Duration,
}

#[actor]
impl Ticker {
    #[message]
    async fn tick(&mut self, label: String) {
        let n = self.ticks.fetch_add(1, Ordering::SeqCst) + 1;
        self.log.push(format!("tick {label}"));
        if self.panic_on_tick == Some(n) {
            panic!("tick {n} panics");
        }
        if !self.tick_takes.is_zero() {
            tokio::time::sleep(self.tick_takes).await;
        }
    }

    #[message]
    fn start(
        &mut self,
        ctx: &mut Context<Self>,
        key: String,
        kind: Kind,
        every: u64,
        label: String,
    ) {
        match kind {
            Kind::Single => ctx.start_single_timer(key, ms(every), TickerMsg::Tick { label }),
            Kind::FixedDelay => {
                ctx.start_timer_with_fixed_delay(key, ms(every), move || TickerMsg::Tick {
                    label: label.clone(),
                })
            }
            Kind::FixedRate => {
                ctx.start_timer_at_fixed_rate(key, ms(every), move || TickerMsg::Tick {
                    label: label.clone(),
                })
            }
        }
    }

    /// A fixed-rate timer whose closure panics on its `panic_at`th call.
    #[message]
    fn start_panicking(&mut self, ctx: &mut Context<Self>, key: String, panic_at: u32) {
        let mut calls = 0;
        ctx.start_timer_at_fixed_rate(key, ms(100), move || {
            calls += 1;
            assert!(calls != panic_at, "closure call {calls} panics");
            TickerMsg::Tick {
                label: "bad".into(),
            }
        });
    }

    #[message]
    fn cancel(&mut self, ctx: &mut Context<Self>, key: String) -> bool {
        ctx.cancel_timer(&key)
    }

    #[message]
    fn is_active(&self, ctx: &mut Context<Self>, key: String) -> bool {
        ctx.is_timer_active(&key)
    }

    #[message]
    fn cancel_all(&mut self, ctx: &mut Context<Self>) {
        ctx.cancel_all_timers();
    }

    /// Stays busy for `busy` ms (paused time), then cancels `key` (if `Some`): its timer
    /// was due meanwhile, and a mailbox-based timer would have queued its message.
    #[message]
    async fn busy_then_cancel(
        &mut self,
        ctx: &mut Context<Self>,
        busy: u64,
        key: Option<String>,
    ) -> bool {
        tokio::time::sleep(ms(busy)).await;
        key.is_some_and(|key| ctx.cancel_timer(&key))
    }

    /// Stays busy, then replaces the single timer `key` with one labelled `label`.
    #[message]
    async fn busy_then_replace(
        &mut self,
        ctx: &mut Context<Self>,
        busy: u64,
        key: String,
        label: String,
    ) {
        tokio::time::sleep(ms(busy)).await;
        ctx.start_single_timer(key, ms(100), TickerMsg::Tick { label });
    }

    #[message]
    fn boom(&mut self) {
        panic!("boom");
    }

    #[message]
    fn ping(&self) -> u32 {
        self.ticks.load(Ordering::SeqCst)
    }

    #[pre_restart]
    async fn before_restart(&mut self) {
        self.log.push("pre_restart");
        if !self.restart_takes.is_zero() {
            tokio::time::sleep(self.restart_takes).await;
        }
    }

    #[post_restart]
    fn after_restart(&mut self) {
        self.log.push("post_restart");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("stopped");
    }
}

impl Ticker {
    fn new(log: &Events) -> Ticker {
        Ticker {
            log: log.clone(),
            tick_takes: Duration::ZERO,
            panic_on_tick: None,
            ticks: Arc::default(),
            restart_takes: Duration::ZERO,
        }
    }
}

/// A system whose guardian restarts, or resumes, failed actors.
fn system_that(directive: Directive) -> ActorSystem {
    ActorSystem::builder()
        .ask_timeout(LIMIT)
        .shutdown_timeout(LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one().decider(move |_| directive))
        .build()
        .unwrap()
}

/// Spawns a ticker whose factory shares one tick counter, so counts span restarts.
fn spawn_ticker(
    system: &ActorSystem,
    log: &Events,
    set: impl Fn(&mut Ticker) + Send + Sync + 'static,
) -> ActorRef<Ticker> {
    let log = log.clone();
    let ticks = Arc::new(AtomicU32::new(0));
    system
        .spawn(Props::new(move || {
            let mut ticker = Ticker::new(&log);
            ticker.ticks = Arc::clone(&ticks);
            set(&mut ticker);
            ticker
        }))
        .unwrap()
}

async fn start(ticker: &ActorRef<Ticker>, key: &str, kind: Kind, every: u64, label: &str) {
    bounded("start", ticker.start(key.into(), kind, every, label.into()))
        .await
        .unwrap();
}

async fn ticks(ticker: &ActorRef<Ticker>) -> u32 {
    bounded("ping", ticker.ping()).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_single_timer_fires_once_at_its_delay() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "once", Kind::Single, 100, "once").await;
    assert!(bounded("active", ticker.is_active("once".into()))
        .await
        .unwrap());
    advance(99).await;
    assert_eq!(ticks(&ticker).await, 0, "not before its delay");
    advance(2).await;
    assert_eq!(ticks(&ticker).await, 1, "at its delay");
    advance(1_000).await;
    assert_eq!(ticks(&ticker).await, 1, "once");
    assert!(!bounded("inactive", ticker.is_active("once".into()))
        .await
        .unwrap());
    assert!(
        !bounded("cancel a fired timer", ticker.cancel("once".into()))
            .await
            .unwrap()
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn fixed_delay_and_fixed_rate_tick_counts_over_time() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "delay", Kind::FixedDelay, 100, "delay").await;
    start(&ticker, "rate", Kind::FixedRate, 100, "rate").await;
    advance(1_050).await;
    bounded("sync", ticker.ping()).await.unwrap();
    assert_eq!(log.with_prefix("tick delay").len(), 10);
    assert_eq!(log.with_prefix("tick rate").len(), 10);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_tick_spaces_fixed_delay_out_but_not_fixed_rate() {
    let system = patient_system();
    let (delay_log, rate_log) = (Events::default(), Events::default());
    let slow = |log: &Events| Ticker {
        tick_takes: ms(50),
        ..Ticker::new(log)
    };
    let by_delay = system.spawn(slow(&delay_log)).unwrap();
    let by_rate = system.spawn(slow(&rate_log)).unwrap();
    start(&by_delay, "t", Kind::FixedDelay, 100, "t").await;
    start(&by_rate, "t", Kind::FixedRate, 100, "t").await;
    advance(960).await;
    // Fixed delay: each tick 100 ms after the previous one's 50 ms of handling ended, so
    // at 100, 250, 400, 550, 700, 850. Fixed rate: at every 100 ms, 100 to 900.
    assert_eq!(ticks(&by_delay).await, 6);
    assert_eq!(ticks(&by_rate).await, 9);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn fixed_rate_skips_the_ticks_it_missed_while_busy() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "rate", Kind::FixedRate, 100, "rate").await;
    advance(50).await;
    // Busy from 50 to 380: the ticks of 100, 200 and 300 are missed.
    let busy = tokio::spawn(ticker.busy_then_cancel(330, None).send());
    advance(335).await;
    assert_eq!(
        ticks(&ticker).await,
        1,
        "one late tick stands for the missed ones"
    );
    advance(175).await;
    // Then the schedule goes on where it was: 400 and 500, no drift, no burst.
    assert_eq!(ticks(&ticker).await, 3);
    bounded("busy", busy).await.unwrap().unwrap();
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn starting_a_key_again_replaces_it_and_the_old_message_never_comes() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "k", Kind::Single, 100, "old").await;
    advance(50).await;
    start(&ticker, "k", Kind::Single, 100, "new").await;
    advance(75).await;
    assert_eq!(ticks(&ticker).await, 0, "the old one was due at 100");
    advance(50).await;
    assert_eq!(log.with_prefix("tick"), ["tick new"]);
    // A periodic timer replaced by a single one under the same key.
    start(&ticker, "p", Kind::FixedRate, 10, "periodic").await;
    start(&ticker, "p", Kind::Single, 10, "single").await;
    advance(500).await;
    assert_eq!(log.with_prefix("tick"), ["tick new", "tick single"]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_timer_cancelled_or_replaced_after_it_was_due_is_never_delivered() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "late", Kind::Single, 100, "late").await;
    // Busy until 200 (the timer is due at 100, meanwhile), then cancels it.
    let cancelled = bounded(
        "cancel after due",
        ticker.busy_then_cancel(200, Some("late".into())),
    )
    .await
    .unwrap();
    assert!(cancelled, "it was still active: due, not delivered");
    start(&ticker, "swap", Kind::Single, 100, "old").await;
    bounded(
        "replace after due",
        ticker.busy_then_replace(200, "swap".into(), "new".into()),
    )
    .await
    .unwrap();
    advance(1_000).await;
    assert_eq!(log.with_prefix("tick"), ["tick new"]);
    // Cancel of an unknown key, and of every timer.
    assert!(!bounded("cancel unknown", ticker.cancel("nope".into()))
        .await
        .unwrap());
    start(&ticker, "a", Kind::FixedRate, 10, "a").await;
    start(&ticker, "b", Kind::FixedDelay, 10, "b").await;
    bounded("cancel all", ticker.cancel_all()).await.unwrap();
    assert!(!bounded("a", ticker.is_active("a".into())).await.unwrap());
    advance(1_000).await;
    assert_eq!(log.with_prefix("tick"), ["tick new"]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn timers_end_when_the_actor_stops_and_do_not_keep_it_alive() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "rate", Kind::FixedRate, 100, "rate").await;
    start(&ticker, "far", Kind::Single, 100_000, "far").await;
    advance(250).await;
    ticker.stop();
    bounded("terminated", ticker.terminated()).await;
    advance(1_000).await;
    assert_eq!(
        log.snapshot(),
        ["tick rate", "tick rate", "stopped"],
        "no tick after the stop"
    );

    // An actor that only has timers stops when its last ref goes.
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "rate", Kind::FixedRate, 100, "rate").await;
    let weak = ticker.downgrade();
    drop(ticker);
    assert_eq!(
        bounded("refs dropped", weak.terminated()).await,
        StopReason::RefsDropped
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_cancels_timers_also_one_due_during_the_restart() {
    let system = system_that(Directive::Restart);
    let log = Events::default();
    let ticker = spawn_ticker(&system, &log, |ticker| ticker.restart_takes = ms(200));
    start(&ticker, "rate", Kind::FixedRate, 100, "rate").await;
    advance(250).await;
    // Due at 300 while `pre_restart` runs (250 to 450).
    start(&ticker, "during", Kind::Single, 50, "during").await;
    assert!(bounded("boom", ticker.boom()).await.is_err());
    advance(1_000).await;
    assert_eq!(ticks(&ticker).await, 2);
    assert_eq!(
        log.snapshot(),
        ["tick rate", "tick rate", "pre_restart", "post_restart"]
    );
    assert!(!bounded("rate", ticker.is_active("rate".into()))
        .await
        .unwrap());
    system.shutdown().await;
}

/// Starts its timer in `started`, which the default `post_restart` runs again.
#[actor]
struct SelfStarting {
    ticks: Arc<AtomicU32>,
}

#[actor]
impl SelfStarting {
    #[started]
    fn begin(&mut self, ctx: &mut Context<Self>) {
        ctx.start_timer_at_fixed_rate("rate", ms(100), || SelfStartingMsg::Tick);
    }

    #[message]
    fn tick(&mut self) {
        self.ticks.fetch_add(1, Ordering::SeqCst);
    }

    #[message]
    fn boom(&mut self) {
        panic!("boom");
    }
}

#[tokio::test(start_paused = true)]
async fn a_timer_started_in_started_comes_back_with_the_new_instance() {
    let system = system_that(Directive::Restart);
    let ticks = Arc::new(AtomicU32::new(0));
    let for_factory = Arc::clone(&ticks);
    let actor = system
        .spawn(Props::new(move || SelfStarting {
            ticks: Arc::clone(&for_factory),
        }))
        .unwrap();
    advance(250).await;
    assert!(bounded("boom", actor.boom()).await.is_err());
    // Restarted at 250: the new instance's timer starts then, ticking at 350 ... 950.
    advance(750).await;
    assert_eq!(ticks.load(Ordering::SeqCst), 2 + 7);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_zero_period_is_a_millisecond_and_does_not_spin() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    start(&ticker, "zero", Kind::FixedRate, 0, "zero").await;
    start(&ticker, "zero delay", Kind::FixedDelay, 0, "zero delay").await;
    advance(100).await;
    let rate = log.with_prefix("tick zero").len() - log.with_prefix("tick zero delay").len();
    assert!(
        (95..=101).contains(&rate),
        "{rate} ticks at a millisecond's rate"
    );
    assert!(bounded("cancel", ticker.cancel("zero".into()))
        .await
        .unwrap());
    assert!(bounded("cancel", ticker.cancel("zero delay".into()))
        .await
        .unwrap());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_of_a_periodic_tick_ends_that_timer() {
    let system = system_that(Directive::Restart);
    let log = Events::default();
    let ticker = spawn_ticker(&system, &log, |ticker| ticker.panic_on_tick = Some(2));
    start(&ticker, "delay", Kind::FixedDelay, 100, "delay").await;
    advance(1_000).await;
    assert_eq!(
        ticks(&ticker).await,
        2,
        "the second tick failed; none after"
    );
    assert!(!bounded("delay", ticker.is_active("delay".into()))
        .await
        .unwrap());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_resume_keeps_timers_even_when_a_fixed_delay_tick_failed() {
    let system = system_that(Directive::Resume);
    let log = Events::default();
    let ticker = spawn_ticker(&system, &log, |ticker| ticker.panic_on_tick = Some(2));
    start(&ticker, "delay", Kind::FixedDelay, 100, "delay").await;
    advance(1_050).await;
    // Ten, the second of which failed: the failed tick never reached `message_handled`,
    // and its timer is rescheduled from the end of the failure, so it keeps ticking.
    assert_eq!(ticks(&ticker).await, 10);
    assert!(bounded("delay", ticker.is_active("delay".into()))
        .await
        .unwrap());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_periodic_timer_whose_closure_panicked_is_cancelled_even_if_the_actor_resumes() {
    let system = system_that(Directive::Resume);
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    bounded("start", ticker.start_panicking("bad".into(), 2))
        .await
        .unwrap();
    start(&ticker, "good", Kind::FixedRate, 100, "good").await;
    advance(1_050).await;
    // The closure built one message, panicked the second time, and was not called again.
    assert_eq!(log.with_prefix("tick bad"), ["tick bad"]);
    assert_eq!(log.with_prefix("tick good").len(), 10);
    assert!(!bounded("bad", ticker.is_active("bad".into()))
        .await
        .unwrap());
    assert!(bounded("good", ticker.is_active("good".into()))
        .await
        .unwrap());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn due_timers_do_not_starve_the_mailbox() {
    let system = patient_system();
    let log = Events::default();
    // Every tick takes longer than the rate: a tick is always due.
    let ticker = system
        .spawn(Ticker {
            tick_takes: ms(20),
            ..Ticker::new(&log)
        })
        .unwrap();
    start(&ticker, "rate", Kind::FixedRate, 10, "rate").await;
    advance(100).await;
    for _ in 0..5 {
        let before = ticks(&ticker).await;
        let after = ticks(&ticker).await;
        // Between two asks, at most one tick ran: the mailbox had every other turn.
        assert!(after - before <= 1, "{before} then {after}");
    }
    system.shutdown().await;
}

/// An actor with a receive timeout.
#[actor]
struct Idler {
    log: Events,
}

#[actor]
impl Idler {
    #[message]
    fn set(&mut self, ctx: &mut Context<Self>, after: u64) {
        ctx.set_receive_timeout(ms(after), || IdlerMsg::Idle);
    }

    #[message]
    fn unset(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.cancel_receive_timeout()
    }

    #[message]
    fn timeout(&self, ctx: &mut Context<Self>) -> Option<Duration> {
        ctx.receive_timeout()
    }

    #[message]
    fn ping(&self) {}

    #[message]
    fn idle(&mut self) {
        self.log.push("idle");
    }

    #[message]
    fn own_ticks(&mut self, ctx: &mut Context<Self>, every: u64) {
        ctx.start_timer_at_fixed_rate("own", ms(every), || IdlerMsg::Ping);
    }

    #[message]
    fn panicking_timeout(&mut self, ctx: &mut Context<Self>) {
        ctx.set_receive_timeout(ms(100), || panic!("no idle message today"));
    }
}

fn idle_count(log: &Events) -> usize {
    log.with_prefix("idle").len()
}

#[tokio::test(start_paused = true)]
async fn the_receive_timeout_fires_after_silence_repeats_and_is_reset_by_messages() {
    let system = patient_system();
    let log = Events::default();
    let idler = system.spawn(Idler { log: log.clone() }).unwrap();
    bounded("set", idler.set(100)).await.unwrap();
    assert_eq!(
        bounded("timeout", idler.timeout()).await.unwrap(),
        Some(ms(100))
    );
    // Messages every 60 ms keep it from firing.
    for _ in 0..5 {
        advance(60).await;
        bounded("ping", idler.ping()).await.unwrap();
    }
    assert_eq!(idle_count(&log), 0);
    // 100 ms after the last message, then every 100 ms of silence.
    advance(99).await;
    assert_eq!(idle_count(&log), 0);
    advance(2).await;
    assert_eq!(idle_count(&log), 1);
    advance(200).await;
    assert_eq!(idle_count(&log), 3);
    // Cancelled: no more.
    assert!(bounded("unset", idler.unset()).await.unwrap());
    assert!(!bounded("unset again", idler.unset()).await.unwrap());
    advance(1_000).await;
    assert_eq!(idle_count(&log), 3);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_actors_own_timers_do_not_reset_the_receive_timeout() {
    let system = patient_system();
    let log = Events::default();
    let idler = system.spawn(Idler { log: log.clone() }).unwrap();
    bounded("set", idler.set(100)).await.unwrap();
    bounded("own ticks", idler.own_ticks(30)).await.unwrap();
    advance(350).await;
    assert_eq!(idle_count(&log), 3);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_message_closure_fails_the_actor_and_ends_its_timer() {
    let system = system_that(Directive::Restart);
    let mut events = system.events();
    let log = Events::default();
    let for_factory = log.clone();
    let idler = system
        .spawn(Props::new(move || Idler {
            log: for_factory.clone(),
        }))
        .unwrap();
    bounded("panicking timeout", idler.panicking_timeout())
        .await
        .unwrap();
    advance(150).await;
    let failure = loop {
        match bounded("failed event", events.recv()).await.unwrap() {
            SystemEvent::Failed { actor, failure, .. } if actor == idler.id() => break failure,
            _ => {}
        }
    };
    assert_eq!(failure.kind(), FailureKind::HandlerPanic);
    assert!(
        failure.to_string().contains("no idle message today"),
        "{failure}"
    );
    // Restarted, without the receive timeout; it still answers.
    bounded("ping after restart", idler.ping()).await.unwrap();
    assert_eq!(bounded("timeout", idler.timeout()).await.unwrap(), None);
    advance(1_000).await;
    assert_eq!(idle_count(&log), 0);
    system.shutdown().await;
}

/// A value whose `Drop` panics, carried by a timer's message.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("bomb dropped");
        }
    }
}

#[actor]
struct Holder;

#[actor]
impl Holder {
    #[message]
    fn arm(&mut self, ctx: &mut Context<Self>) {
        ctx.start_single_timer("bomb", ms(1_000), HolderMsg::Carry { bomb: Bomb });
    }

    #[message]
    fn carry(&mut self, bomb: Bomb) {
        std::mem::forget(bomb);
    }

    /// After the stop cancelled its timers: this one is dropped with the context.
    #[stopped]
    fn on_stopped(&mut self, ctx: &mut Context<Self>) {
        ctx.start_single_timer("late bomb", ms(1_000), HolderMsg::Carry { bomb: Bomb });
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_drop_of_a_cancelled_timers_message_does_not_break_the_stop() {
    let system = patient_system();
    let holder = system.spawn(Holder).unwrap();
    bounded("arm", holder.arm()).await.unwrap();
    holder.stop();
    assert_eq!(
        bounded("terminated", holder.terminated()).await,
        StopReason::Requested
    );
    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!(report.aborted, 0, "{report:?}");
}

#[tokio::test(start_paused = true)]
async fn send_after_delivers_at_its_delay_even_when_its_handle_is_dropped() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    let send = ticker.send_after(ms(100), TickerMsg::Tick { label: "a".into() });
    drop(ticker.send_after(ms(100), TickerMsg::Tick { label: "b".into() }));
    advance(99).await;
    assert_eq!(ticks(&ticker).await, 0);
    assert!(!send.is_finished());
    bounded("sent", send).await.unwrap();
    advance(1).await;
    assert_eq!(ticks(&ticker).await, 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn send_after_can_be_cancelled_until_its_delay_is_over() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    let send = ticker.send_after(ms(100), TickerMsg::Tick { label: "a".into() });
    advance(50).await;
    assert!(send.cancel());
    assert!(!send.cancel(), "once");
    assert!(matches!(
        bounded("cancelled", send).await,
        Err(ScheduledSendError::Cancelled)
    ));
    let sent = ticker.send_after(ms(10), TickerMsg::Tick { label: "b".into() });
    advance(20).await;
    assert!(!sent.cancel(), "too late");
    bounded("sent", sent).await.unwrap();
    advance(200).await;
    assert_eq!(log.with_prefix("tick"), ["tick b"]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn send_after_to_an_actor_that_stops_hands_the_message_back_at_once() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    let send = ticker.send_after(
        Duration::from_secs(3_600),
        TickerMsg::Tick { label: "x".into() },
    );
    ticker.stop();
    bounded("terminated", ticker.terminated()).await;
    // Well before the hour: the stop ends the wait.
    let outcome = tokio::time::timeout(Duration::from_secs(1), send).await;
    match outcome {
        Ok(Err(ScheduledSendError::Closed(TickerMsg::Tick { label }))) => assert_eq!(label, "x"),
        other => panic!("expected the message back, got {other:?}"),
    }
    // And to an actor already stopped.
    let send = ticker.send_after(ms(10), TickerMsg::Tick { label: "y".into() });
    let err = bounded("stopped", send).await.unwrap_err();
    assert!(matches!(err.into_message(), Some(TickerMsg::Tick { .. })));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn send_after_works_from_a_thread_outside_the_runtime() {
    let system = patient_system();
    let log = Events::default();
    let ticker = system.spawn(Ticker::new(&log)).unwrap();
    let from_thread = ticker.clone();
    let send: ScheduledSend<Ticker> = std::thread::spawn(move || {
        from_thread.send_after(ms(100), TickerMsg::Tick { label: "t".into() })
    })
    .join()
    .unwrap();
    bounded("sent", send).await.unwrap();
    assert_eq!(ticks(&ticker).await, 1);
    system.shutdown().await;
}

/// Handles held across awaits and moved into tasks must stay `Send` and `Sync`.
#[test]
fn scheduled_send_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<ScheduledSend<Ticker>>();
    check::<ScheduledSendError<TickerMsg>>();
    check::<Context<Ticker>>();
}

/// Starts a single timer and a periodic one as far away as a `Duration` goes.
#[actor]
struct Patient;

#[actor]
impl Patient {
    #[message]
    fn arm(&mut self, ctx: &mut Context<Self>) {
        ctx.start_single_timer("never", Duration::MAX, PatientMsg::Ping);
        ctx.start_timer_at_fixed_rate("rarely", Duration::MAX, || PatientMsg::Ping);
        ctx.set_receive_timeout(Duration::MAX, || PatientMsg::Ping);
    }

    #[message]
    fn ping(&self, ctx: &mut Context<Self>) -> (bool, bool) {
        (ctx.is_timer_active(&"never"), ctx.cancel_timer(&"rarely"))
    }
}

#[tokio::test(start_paused = true)]
async fn a_delay_too_long_for_the_clock_is_a_far_deadline_not_a_panic() {
    let system = patient_system();
    let patient = system.spawn(Patient).unwrap();
    bounded("arm", patient.arm()).await.unwrap();
    advance(10_000).await;
    assert_eq!(bounded("ping", patient.ping()).await.unwrap(), (true, true));
    let send = patient.send_after(Duration::MAX, PatientMsg::Ping);
    advance(10_000).await;
    assert!(send.cancel());
    system.shutdown().await;
}
