//! Heap allocations per value sent through a typed adapter (`Recipient<T>`) and per value
//! published to a topic, in steady state: zero, as for a plain tell. Counted by a global
//! allocator, in a binary of its own with a single test, so that nothing else allocates
//! while it counts (the counter is process-wide).

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Counts the allocations (and reallocations) made while `work` runs; the runtime is
/// current-thread, so the actors' work happens on this thread, inside the window.
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
}

const MESSAGES: u64 = 20_000;

/// `count` try_tells of `n` through `to`, each retried after a yield while the mailbox is
/// full, the pattern that fills it to the brim.
async fn try_tell_all(to: &Recipient<u64>, n: u64, count: u64) {
    for _ in 0..count {
        while to.try_tell(n).is_err() {
            tokio::task::yield_now().await;
        }
    }
}

/// `count` try_publishes of 0, each retried after a yield while a subscriber is full.
async fn try_publish_all(topic: &Topic<u64>, count: u64) {
    for _ in 0..count {
        while topic.try_publish(0).dropped > 0 {
            tokio::task::yield_now().await;
        }
    }
}

#[test]
fn steady_state_allocations_through_adapters_and_topics() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        let a = system.spawn(Counter { total: 0 }).unwrap();
        let b = system.spawn(Counter { total: 0 }).unwrap();
        let strong: Recipient<u64> = a.recipient(|n| CounterMsg::Add { n });
        let weak: Recipient<u64> = a.downgrade().recipient(|n| CounterMsg::Add { n });
        let topic = Topic::<u64>::new();
        topic.subscribe(a.recipient(|n| CounterMsg::Add { n }));
        topic.subscribe(b.recipient(|n| CounterMsg::Add { n }));

        // Warm-up: the mailboxes' buffers grow to their working size.
        for _ in 0..MESSAGES {
            strong.tell(1).await.unwrap();
            topic.publish(0).await;
        }
        try_tell_all(&strong, 0, MESSAGES / 4).await;
        // The try_publish pattern fills both subscribers' mailboxes to the brim.
        try_publish_all(&topic, MESSAGES / 4).await;
        assert_eq!(a.total().await.unwrap(), MESSAGES);

        let tells = allocations_during(async {
            for _ in 0..MESSAGES {
                strong.tell(1).await.unwrap();
            }
            // Waits until they are all handled, inside the window: this one ask is the
            // one allocation allowed.
            assert_eq!(a.total().await.unwrap(), 2 * MESSAGES);
        })
        .await;
        assert!(
            tells <= 1,
            "{tells} allocations for {MESSAGES} tells through a recipient and one ask"
        );

        let weak_tells = allocations_during(async {
            for _ in 0..MESSAGES {
                weak.tell(1).await.unwrap();
            }
            assert_eq!(a.total().await.unwrap(), 3 * MESSAGES);
        })
        .await;
        assert!(
            weak_tells <= 1,
            "{weak_tells} allocations for {MESSAGES} tells through a weak recipient and one ask"
        );

        let try_tells = allocations_during(try_tell_all(&strong, 0, MESSAGES / 4)).await;
        assert_eq!(try_tells, 0, "allocations for {} try_tells", MESSAGES / 4);

        let publishes = allocations_during(async {
            for _ in 0..MESSAGES {
                topic.publish(1).await;
            }
            assert_eq!(b.total().await.unwrap(), MESSAGES);
        })
        .await;
        assert!(
            publishes <= 1,
            "{publishes} allocations for {MESSAGES} publishes to two subscribers and one ask"
        );

        // Warm-up again: the awaiting publishes above leave the mailboxes' two buffers at
        // other sizes than this pattern needs.
        try_publish_all(&topic, MESSAGES / 4).await;
        let try_publishes = allocations_during(try_publish_all(&topic, MESSAGES / 4)).await;
        // A try_publish that finds a subscriber full drops to dead letters: no allocation
        // either (no one listens to the event stream here).
        assert_eq!(try_publishes, 0, "allocations for {} try_publishes", MESSAGES / 4);

        println!(
            "recipient tells: {tells} (one ask included), weak recipient tells: {weak_tells} (one ask included), recipient try_tells: {try_tells}, publishes to 2: {publishes} (one ask included), try_publishes to 2: {try_publishes} (each for {MESSAGES} values, try_* for {})",
            MESSAGES / 4
        );
        system.shutdown().await;
    });
}
