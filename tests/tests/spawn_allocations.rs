//! Heap allocations per spawned actor, counted by a global allocator, beside raw tokio's
//! (a task and a bounded channel, the least an actor on tokio can be). Counting is
//! deterministic, so unlike a timing it belongs in the test suite. Its own test binary,
//! because the allocator counts the whole process and tests in one binary run in
//! parallel.

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// What a spawn may allocate, per actor.
const BUDGET: f64 = 5.0;

const ACTORS: usize = 1_000;

#[actor]
pub struct Idle;

#[actor]
impl Idle {
    #[message]
    fn ping(&self) {}
}

/// The allocations (and reallocations) made by `work`, per actor.
fn allocations_per_actor(work: impl FnOnce()) -> f64 {
    let region = Region::new(GLOBAL);
    work();
    let change = region.change();
    (change.allocations + change.reallocations) as f64 / ACTORS as f64
}

/// The same, for work that awaits. The runtime is current-thread, so the actors' work
/// happens on this thread, inside the window.
async fn allocations_per_actor_async(work: impl std::future::Future<Output = ()>) -> f64 {
    let region = Region::new(GLOBAL);
    work.await;
    let change = region.change();
    (change.allocations + change.reallocations) as f64 / ACTORS as f64
}

// One test function, so that no other test's allocations run while this one counts.
#[test]
fn a_spawn_allocates_at_most_its_budget() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        // Warm-up: the registry's and the guardian's maps grow in steps; reserve their
        // room beforehand, as far as spawning and stopping as many actors does.
        let warm: Vec<_> = (0..ACTORS).map(|_| system.spawn(Idle).unwrap()).collect();
        for actor in &warm {
            actor.ping().await.unwrap();
        }
        for actor in &warm {
            actor.stop();
        }
        for actor in warm {
            actor.terminated().await;
        }

        // A spawn, and its task's first run up to its wait for messages, counted as one:
        // the window spawns the actors and asks each once, and the asks alone (one reply
        // slot each) are counted again on the running actors and taken off. The refs'
        // vector is reserved outside the window: it is the test's.
        let mut actors = Vec::with_capacity(ACTORS);
        let spawns_and_asks = allocations_per_actor_async(async {
            for _ in 0..ACTORS {
                actors.push(system.spawn(Idle).unwrap());
            }
            for actor in &actors {
                actor.ping().await.unwrap();
            }
        })
        .await;
        let asks = allocations_per_actor_async(async {
            for actor in &actors {
                actor.ping().await.unwrap();
            }
        })
        .await;
        let ours = spawns_and_asks - asks;

        let mut raw = Vec::with_capacity(ACTORS);
        let raw_tokio = allocations_per_actor(|| {
            for _ in 0..ACTORS {
                let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(64);
                let task = tokio::spawn(async move { while rx.recv().await.is_some() {} });
                raw.push((tx, task));
            }
        });

        println!("a spawn allocates {ours:.2} times ({ACTORS} actors); raw tokio {raw_tokio:.2}");
        assert!(
            ours <= BUDGET,
            "a spawn allocates {ours:.2} times, over the budget of {BUDGET}"
        );

        for (tx, task) in raw {
            drop(tx);
            task.await.unwrap();
        }
        drop(actors);
        system.shutdown().await;
    });
}
