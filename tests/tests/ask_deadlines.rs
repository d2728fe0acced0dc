//! Ask deadlines on the system's one deadline timer (issue 13): an ask times out no earlier
//! than its deadline and no later than a millisecond after it (tokio's timer resolution),
//! with many asks, many distinct timeouts, cancelled asks and a mass timeout, under paused
//! time so that every instant is exact.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use support::{bounded, poll_once, Gate};
use tokio::time::Instant;

/// Keeps every reply slot it is given, unanswered until `put`.
#[actor]
#[derive(Default)]
pub struct Keeper {
    waiting: Vec<ReplyTo<u64>>,
}

#[actor]
impl Keeper {
    #[message]
    fn get(&mut self, reply: ReplyTo<u64>) {
        self.waiting.push(reply);
    }

    #[message]
    fn put(&mut self, value: u64) -> usize {
        let answered = self.waiting.len();
        for reply in self.waiting.drain(..) {
            reply.send(value);
        }
        answered
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[message]
    fn echo(&self, value: u64) -> u64 {
        value
    }
}

/// What tokio's timer resolution lets an ask be late by.
const GRANULARITY: Duration = Duration::from_millis(1);

fn within_granularity(waited: Duration, timeout: Duration) {
    assert!(
        waited >= timeout && waited <= timeout + GRANULARITY,
        "timed out after {waited:?}, for a timeout of {timeout:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_ask_times_out_at_its_deadline_within_a_millisecond() {
    let system = ActorSystem::new();
    let keeper = system.spawn(Keeper::default()).unwrap();
    for timeout in [
        Duration::from_millis(1),
        Duration::from_millis(7),
        Duration::from_micros(2_500),
        Duration::from_secs(3),
    ] {
        let start = Instant::now();
        let err = keeper.get().timeout(timeout).await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        within_granularity(start.elapsed(), timeout);
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_default_timeout_is_enforced_without_a_timer_per_ask() {
    let system = ActorSystem::builder()
        .ask_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let keeper = system.spawn(Keeper::default()).unwrap();
    // Answered asks before and after do not move the deadline of the one left waiting.
    assert_eq!(keeper.echo(1).await.unwrap(), 1);
    let start = Instant::now();
    let mut waiting = pin!(keeper.get().into_future());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    for n in 0..100 {
        assert_eq!(keeper.echo(n).await.unwrap(), n);
    }
    let err = bounded("the waiting ask", waiting).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    within_granularity(start.elapsed(), Duration::from_secs(5));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn asks_with_many_distinct_timeouts_each_time_out_at_their_own_deadline() {
    let system = ActorSystem::new();
    let keeper = system.spawn(Keeper::default()).unwrap();
    // More distinct timeouts than the timer keeps lists for, registered out of order.
    let timeouts: Vec<Duration> = (0..20u64)
        .map(|i| Duration::from_millis(((i * 7) % 20 + 1) * 10))
        .collect();
    let start = Instant::now();
    let asks = timeouts.iter().map(|&timeout| {
        let ask = keeper.get().timeout(timeout).send();
        async move {
            let result = ask.await;
            (timeout, result, Instant::now())
        }
    });
    for (timeout, result, ended) in futures::future::join_all(asks).await {
        assert!(result.unwrap_err().is_timeout());
        within_granularity(ended - start, timeout);
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_mass_timeout_resolves_every_ask_at_once() {
    let system = ActorSystem::builder()
        .ask_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let keeper = system.spawn(Keeper::default()).unwrap();
    let start = Instant::now();
    let asks: Vec<_> = (0..10_000)
        .map(|_| tokio::spawn(keeper.get().send()))
        .collect();
    let mut timed_out = 0;
    for ask in asks {
        let result = bounded("a spawned ask", ask).await.unwrap();
        timed_out += usize::from(result.unwrap_err().is_timeout());
    }
    assert_eq!(timed_out, 10_000);
    within_granularity(start.elapsed(), Duration::from_secs(2));
    // The slots are all still held, and answering them after their askers left is no error.
    assert_eq!(keeper.put(7).await.unwrap(), 10_000);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cancelled_and_answered_asks_leave_no_deadline_behind() {
    let system = ActorSystem::builder()
        .ask_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let keeper = system.spawn(Keeper::default()).unwrap();
    // Asks dropped while waiting, and asks answered, in turns.
    for round in 0..50u64 {
        let mut dropped = pin!(keeper.get().into_future());
        assert!(poll_once(dropped.as_mut()).await.is_pending());
        let answered = tokio::spawn(keeper.get().send());
        tokio::task::yield_now().await;
        assert_eq!(keeper.put(round).await.unwrap(), 2);
        assert_eq!(bounded("answered", answered).await.unwrap().unwrap(), round);
    }
    // A waiting ask registered after them all still times out on time: what the dropped
    // and answered ones left is nothing that fires in its place or delays it.
    let start = Instant::now();
    let err = keeper.get().await.unwrap_err();
    assert!(err.is_timeout());
    within_granularity(start.elapsed(), Duration::from_secs(1));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_zero_timeout_times_out_at_the_first_wait() {
    let system = ActorSystem::new();
    let keeper = system.spawn(Keeper::default()).unwrap();
    let start = Instant::now();
    let err = keeper.get().timeout(Duration::ZERO).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(start.elapsed(), Duration::ZERO);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_waiting_for_space_past_its_deadline_gets_its_message_back() {
    let system = ActorSystem::new();
    let keeper = system
        .spawn(Props::new(Keeper::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    // The actor is held in a handler, and the one place in its mailbox is taken.
    let (gate, mut control) = Gate::new();
    keeper.hold(gate).tell().await.unwrap();
    control.entered().await;
    keeper.echo(0).tell().await.unwrap();

    let start = Instant::now();
    let timeout = Duration::from_millis(10);
    match keeper.echo(7).timeout(timeout).await {
        Err(AskError::MailboxFull(KeeperMsg::Echo { value: 7 })) => {}
        other => panic!("expected the message back as MailboxFull, got {other:?}"),
    }
    within_granularity(start.elapsed(), timeout);
    control.release();
    assert_eq!(keeper.echo(1).await.unwrap(), 1);
    system.shutdown().await;
}

/// The deadline is read on the system's clock, not the asker's: here the system's runtime
/// is paused an hour ahead of real time, and the asker runs on another runtime, on real
/// time. Read
/// on the asker's clock, the deadline would be an hour in the system's past, and the ask
/// would time out at once.
#[test]
fn a_deadline_is_read_on_the_systems_clock_not_the_askers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (system, keeper, start) = runtime.block_on(async {
        let system = ActorSystem::new();
        let keeper = system.spawn(Keeper::default()).unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        (system, keeper, Instant::now())
    });
    let timeout = Duration::from_secs(10);
    let asker = std::thread::spawn(move || {
        let own = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        own.block_on(keeper.get().timeout(timeout).send())
    });
    // Drive the system's runtime (its paused clock moves 1 ms per turn) until the ask ends.
    let (result, ended) = runtime.block_on(async move {
        for _ in 0..10_000_000 {
            if asker.is_finished() {
                return (asker.join().unwrap(), Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the plain thread's ask did not end");
    });
    assert!(result.unwrap_err().is_timeout());
    assert!(
        ended - start >= timeout,
        "timed out after {:?}",
        ended - start
    );
    runtime.block_on(system.shutdown());
}
