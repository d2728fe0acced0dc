//! The same workloads as the least tokio code that does the job: a task looping over a
//! bounded `mpsc` receiver, a `oneshot` per reply, a task per idle actor. The channels have
//! the capacity of actor-core's default mailbox (1024), so both sides buffer alike.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::measure::{allocations, resident_bytes};
use crate::SpawnRun;

const CAPACITY: usize = 1024;

/// actor-core's default ask timeout.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

enum CounterMsg {
    Add(u64),
    Total(oneshot::Sender<u64>),
}

fn counter(initial: u64) -> mpsc::Sender<CounterMsg> {
    let (tx, mut rx) = mpsc::channel(CAPACITY);
    tokio::spawn(async move {
        let mut total = initial;
        while let Some(msg) = rx.recv().await {
            match msg {
                CounterMsg::Add(n) => total += n,
                CounterMsg::Total(reply) => {
                    let _ = reply.send(total);
                }
            }
        }
    });
    tx
}

async fn total(counter: &mpsc::Sender<CounterMsg>) -> u64 {
    let (tx, rx) = oneshot::channel();
    counter.send(CounterMsg::Total(tx)).await.expect("alive");
    rx.await.expect("reply")
}

pub(crate) async fn tell(count: u64) -> (u64, Duration) {
    let counter = counter(0);
    let start = Instant::now();
    for _ in 0..count {
        counter.send(CounterMsg::Add(1)).await.expect("alive");
    }
    let sum = total(&counter).await;
    let elapsed = start.elapsed();
    assert_eq!(sum, count);
    (count, elapsed)
}

pub(crate) async fn fan_in(senders: u64, each: u64) -> (u64, Duration) {
    let counter = counter(0);
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    counter.send(CounterMsg::Add(1)).await.expect("alive");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender");
    }
    let sum = total(&counter).await;
    let elapsed = start.elapsed();
    assert_eq!(sum, senders * each);
    (senders * each, elapsed)
}

pub(crate) async fn ask(count: u64) -> Vec<Duration> {
    let counter = counter(7);
    let mut samples = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let start = Instant::now();
        let sum = total(&counter).await;
        samples.push(start.elapsed());
        assert_eq!(sum, 7);
    }
    samples
}

/// As [`ask`], with each ask under `tokio::time::timeout(5 s, ..)`, the default ask
/// timeout of actor-core, which like ours counts from before the send: what a timer per
/// ask costs.
pub(crate) async fn ask_timeout(count: u64) -> Vec<Duration> {
    let counter = counter(7);
    let mut samples = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let start = Instant::now();
        let sum = tokio::time::timeout(ASK_TIMEOUT, total(&counter))
            .await
            .expect("no timeout");
        samples.push(start.elapsed());
        assert_eq!(sum, 7);
    }
    samples
}

pub(crate) async fn ping_pong(count: u64) -> (u64, Duration) {
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(CAPACITY);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(CAPACITY);
    let (done_tx, done_rx) = oneshot::channel();
    let to_ping = ping_tx.clone();
    tokio::spawn(async move {
        let mut done = Some(done_tx);
        while let Some(remaining) = ping_rx.recv().await {
            if remaining == 0 {
                if let Some(done) = done.take() {
                    let _ = done.send(());
                }
                break;
            }
            pong_tx.send(remaining - 1).await.expect("pong alive");
        }
    });
    tokio::spawn(async move {
        while let Some(remaining) = pong_rx.recv().await {
            if to_ping.send(remaining - 1).await.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let bounces = count + count % 2;
    ping_tx.send(bounces).await.expect("ping alive");
    done_rx.await.expect("the ball came back");
    (bounces, start.elapsed())
}

/// An idle "actor": a task answering pokes on its channel until every sender is gone.
fn idle() -> (mpsc::Sender<oneshot::Sender<()>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<oneshot::Sender<()>>(CAPACITY);
    let task = tokio::spawn(async move {
        while let Some(reply) = rx.recv().await {
            let _ = reply.send(());
        }
    });
    (tx, task)
}

pub(crate) async fn spawn(count: usize) -> SpawnRun {
    let mut senders = Vec::with_capacity(count);
    let mut tasks = Vec::with_capacity(count);
    let before = resident_bytes();
    let allocs_before = allocations();
    let start = Instant::now();
    for _ in 0..count {
        let (tx, task) = idle();
        senders.push(tx);
        tasks.push(task);
    }
    let elapsed = start.elapsed();
    // A task's first poll allocates nothing (its receiver parks a waker in place), so
    // unlike ours there is no start to wait for before counting.
    let allocs_per_actor = (allocations() - allocs_before) as f64 / count as f64;
    for tx in senders.iter().step_by((count / 100).max(1)) {
        poke(tx).await;
    }
    let bytes_per_actor = (resident_bytes() - before) / count as f64;
    drop(senders);
    for task in tasks {
        task.await.expect("idle task");
    }
    SpawnRun {
        elapsed,
        bytes_per_actor,
        allocs_per_actor,
    }
}

async fn poke(tx: &mpsc::Sender<oneshot::Sender<()>>) {
    let (reply, done) = oneshot::channel();
    tx.send(reply).await.expect("alive");
    done.await.expect("reply");
}

/// Spawns `count` idle tasks, makes sure each has started (one poke each, untimed), then
/// times dropping every sender, which ends each task, and awaiting every `JoinHandle`.
pub(crate) async fn stop_all(count: usize) -> Duration {
    let (senders, tasks): (Vec<_>, Vec<_>) = (0..count).map(|_| idle()).unzip();
    for tx in &senders {
        poke(tx).await;
    }
    let start = Instant::now();
    drop(senders);
    for task in tasks {
        task.await.expect("idle task");
    }
    start.elapsed()
}

/// A task that catches its handler's panic and re-creates its state, answering each
/// request with whether the handler failed.
pub(crate) async fn restart(count: u64) -> (u64, Duration) {
    let (tx, mut rx) = mpsc::channel::<oneshot::Sender<Result<(), String>>>(CAPACITY);
    tokio::spawn(async move {
        let mut handled = 0u64;
        while let Some(reply) = rx.recv().await {
            let outcome = AssertUnwindSafe(async {
                handled += 1;
                panic!("restart me");
            })
            .catch_unwind()
            .await;
            if outcome.is_err() {
                handled = 0;
                let _ = reply.send(Err("panicked".to_owned()));
            }
        }
        let _ = handled;
    });
    let start = Instant::now();
    for _ in 0..count {
        let (reply, failed) = oneshot::channel();
        tx.send(reply).await.expect("alive");
        assert!(failed.await.expect("reply").is_err());
    }
    (count, start.elapsed())
}
