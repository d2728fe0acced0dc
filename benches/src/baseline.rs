//! The same workloads as the least tokio code that does the job: a task looping over a
//! bounded `mpsc` receiver, a `oneshot` per reply, a task per idle actor. The channels have
//! the capacity of actor-core's default mailbox (1024), so both sides buffer alike.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::{mpsc, oneshot};

use crate::{resident_bytes, SpawnRun};

const CAPACITY: usize = 1024;

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

pub(crate) async fn spawn(count: usize) -> SpawnRun {
    let before = resident_bytes();
    let start = Instant::now();
    let (senders, ready): (Vec<mpsc::Sender<oneshot::Sender<()>>>, Vec<_>) = (0..count)
        .map(|_| {
            let (tx, mut rx) = mpsc::channel::<oneshot::Sender<()>>(CAPACITY);
            let task = tokio::spawn(async move {
                while let Some(reply) = rx.recv().await {
                    let _ = reply.send(());
                }
            });
            (tx, task)
        })
        .unzip();
    let elapsed = start.elapsed();
    for tx in senders.iter().step_by((count / 100).max(1)) {
        let (reply, done) = oneshot::channel();
        tx.send(reply).await.expect("alive");
        done.await.expect("reply");
    }
    let bytes_per_actor = (resident_bytes() - before) / count as f64;
    drop(senders);
    for task in ready {
        task.await.expect("idle task");
    }
    SpawnRun {
        elapsed,
        bytes_per_actor,
    }
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
