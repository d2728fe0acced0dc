//! Heap allocations per message in steady state, counted by a global allocator: zero per
//! tell, at most one per ask (the reply slot). Counting is deterministic, so unlike a
//! timing it belongs in the test suite.

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;

/// Counts every allocation of the process; stats_alloc keeps the `unsafe` of a global
/// allocator out of this crate.
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Counts the allocations (and reallocations) made while `work` runs. The runtime is
/// current-thread, so the actor's work happens on this thread, inside the window.
async fn allocations_during<F: std::future::Future<Output = ()>>(work: F) -> u64 {
    let region = Region::new(GLOBAL);
    work.await;
    let change = region.change();
    (change.allocations + change.reallocations) as u64
}

#[actor]
pub struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    #[message]
    fn add(&mut self, n: u64) {
        self.total += n;
    }

    #[message]
    fn total(&self) -> u64 {
        self.total
    }

    #[message]
    async fn add_later(&mut self, n: u64) -> u64 {
        tokio::task::yield_now().await;
        self.total += n;
        self.total
    }

    /// Takes its reply slot, as a handler that answers later does, and answers at once.
    #[message]
    fn total_deferred(&self, reply: ReplyTo<u64>) {
        reply.send(self.total);
    }
}

/// Forwards every ask to the counter, which answers the original asker.
#[actor]
pub struct Forwarder {
    counter: ActorRef<Counter>,
}

#[actor]
impl Forwarder {
    #[message]
    async fn total(&mut self, reply: ReplyTo<u64>) {
        self.counter.total().forward(reply).await.unwrap();
    }
}

/// The same counting, through an unbounded mailbox, where a tell never waits.
#[actor(mailbox = unbounded)]
pub struct UnboundedCounter {
    total: u64,
}

#[actor]
impl UnboundedCounter {
    #[message]
    fn add(&mut self, n: u64) {
        self.total += n;
    }

    #[message]
    fn total(&self) -> u64 {
        self.total
    }
}

const MESSAGES: u64 = 20_000;

/// A quarter of `MESSAGES` try_tells of `add(n)`, each retried after a yield while the
/// mailbox is full: the pattern that fills it to the brim.
async fn try_tell_all(counter: &ActorRef<Counter>, n: u64) {
    for _ in 0..MESSAGES / 4 {
        while counter.add(n).try_tell().is_err() {
            tokio::task::yield_now().await;
        }
    }
}

// One test function, so that no other test's allocations run while this one counts.
#[test]
fn steady_state_allocations() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        let counter = system.spawn(Counter { total: 0 }).unwrap();
        // Warm-up: the mailbox's buffers grow to their working size, the timer wheel and
        // the task are set up.
        for _ in 0..MESSAGES {
            counter.add(1).tell().await.unwrap();
        }
        for _ in 0..100 {
            counter.total().await.unwrap();
            counter.add_later(0).await.unwrap();
        }
        // The try_tell pattern too: it fills the mailbox to the brim, which a tell that
        // yields to the scheduler's budget now and then may not have done.
        try_tell_all(&counter, 0).await;
        assert_eq!(counter.total().await.unwrap(), MESSAGES);

        let tells = allocations_during(async {
            for _ in 0..MESSAGES {
                counter.add(1).tell().await.unwrap();
            }
            // Wait until they are all handled, within the counted window: this one ask is
            // the one allocation allowed.
            assert_eq!(counter.total().await.unwrap(), 2 * MESSAGES);
        })
        .await;
        assert!(
            tells <= 1,
            "{tells} allocations for {MESSAGES} tells and one ask: want none per tell"
        );

        let try_tells = allocations_during(try_tell_all(&counter, 1)).await;
        assert_eq!(try_tells, 0, "allocations for {} try_tells", MESSAGES / 4);

        // For comparison, not as a bound: tokio's bounded channel under the same bursts.
        // It recycles the 32-slot blocks its queue is made of only while the reader is
        // close behind the writer, so a burst that fills it allocates a block in about
        // four. The mailbox swaps two buffers that keep their capacity instead.
        let (raw_tx, mut raw_rx) = tokio::sync::mpsc::channel::<u64>(1024);
        let raw_task = tokio::spawn(async move { while raw_rx.recv().await.is_some() {} });
        for _ in 0..MESSAGES {
            raw_tx.send(1).await.unwrap();
        }
        let raw_channel = allocations_during(async {
            for _ in 0..MESSAGES {
                raw_tx.send(1).await.unwrap();
            }
        })
        .await;
        drop(raw_tx);
        raw_task.await.unwrap();

        // A current-thread tell to an unbounded mailbox never yields, so all of them queue
        // before the actor runs. The mailbox's two buffers (the senders' queue and the
        // actor's batch) trade places at each swap, so the warm-up takes two rounds to grow
        // both to that size.
        let unbounded = system.spawn(UnboundedCounter { total: 0 }).unwrap();
        for round in 1..=2 {
            for _ in 0..MESSAGES {
                unbounded.add(1).tell().await.unwrap();
            }
            assert_eq!(unbounded.total().await.unwrap(), round * MESSAGES);
        }
        let unbounded_tells = allocations_during(async {
            for _ in 0..MESSAGES {
                unbounded.add(1).tell().await.unwrap();
            }
            assert_eq!(unbounded.total().await.unwrap(), 3 * MESSAGES);
        })
        .await;
        assert!(
            unbounded_tells <= 1,
            "{unbounded_tells} allocations for {MESSAGES} tells to an unbounded mailbox and one ask"
        );

        let asks = allocations_during(async {
            for _ in 0..MESSAGES {
                counter.total().await.unwrap();
            }
        })
        .await;
        assert!(asks <= MESSAGES, "{asks} allocations for {MESSAGES} asks: want at most 1 per ask");

        let async_asks = allocations_during(async {
            for _ in 0..MESSAGES {
                counter.add_later(1).await.unwrap();
            }
        })
        .await;
        assert!(
            async_asks <= MESSAGES,
            "{async_asks} allocations for {MESSAGES} asks to an async handler: want at most 1 per ask"
        );
        // A handler that takes its reply slot: the ask's slot, and the erased `ReplyTo`.
        for _ in 0..100 {
            counter.total_deferred().await.unwrap();
        }
        let deferred_asks = allocations_during(async {
            for _ in 0..MESSAGES {
                counter.total_deferred().await.unwrap();
            }
        })
        .await;
        assert!(
            deferred_asks <= 2 * MESSAGES,
            "{deferred_asks} allocations for {MESSAGES} deferred asks: want at most 2 per ask"
        );

        // A forwarded ask: the two above, the forward's own reply slot, and the pending
        // reply the asker is handed (boxed, and boxed again to name the asker's reply type).
        let forwarder = system
            .spawn(Forwarder {
                counter: counter.clone(),
            })
            .unwrap();
        for _ in 0..100 {
            forwarder.total().await.unwrap();
        }
        let forwarded_asks = allocations_during(async {
            for _ in 0..MESSAGES {
                forwarder.total().await.unwrap();
            }
        })
        .await;
        assert!(
            forwarded_asks <= 5 * MESSAGES,
            "{forwarded_asks} allocations for {MESSAGES} forwarded asks: want at most 5 per ask"
        );
        println!(
            "tells: {tells} (one ask included), unbounded tells: {unbounded_tells} (one ask included), try_tells: {try_tells}, asks: {asks}, async asks: {async_asks}, deferred asks: {deferred_asks}, forwarded asks: {forwarded_asks}, tokio's raw channel: {raw_channel} (each for {MESSAGES} messages)"
        );
        system.shutdown().await;
    });
}
