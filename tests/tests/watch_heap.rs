//! The heap a watched actor keeps for watchers that are gone, counted by a global
//! allocator: a long-lived target watched by many short-lived watchers that stop without
//! unwatching must forget them as they die (Akka and OTP remove a dead watcher's watches),
//! not keep each one's link, mailbox state and task waker for as long as it lives. Its own
//! test binary, because the allocator counts the whole process.

use std::time::Duration;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Watchers per round; all of them are alive and watching at once before they stop, so
/// the target's record of them reaches its full size.
const WATCHERS: usize = 10_000;

/// What the target (and anything else) may still hold per dead watcher, averaged: a
/// per-watcher entry kept after its death is at least 16 bytes (an id and a pointer), and
/// the link it pins about 780.
const BUDGET: usize = 16;

#[actor]
pub struct Target;

#[actor]
impl Target {
    #[message]
    fn ping(&self) {}
}

/// Watches the target and stops without unwatching it.
#[actor]
pub struct Watcher;

#[actor]
impl Watcher {
    #[message]
    fn watch(&mut self, ctx: &mut Context<Self>, target: ActorRef<Target>) {
        ctx.watch(&target);
    }

    #[terminated]
    fn on_terminated(&mut self, _terminated: Terminated) {}
}

/// Spawns `WATCHERS` watchers, has each watch `target`, stops them all and waits until
/// every one has stopped and its refs are gone.
async fn watch_and_die(system: &ActorSystem, target: &ActorRef<Target>) {
    let watchers: Vec<_> = (0..WATCHERS)
        .map(|_| system.spawn(Watcher).unwrap())
        .collect();
    for watcher in &watchers {
        watcher.watch(target.clone()).await.unwrap();
    }
    let weak: Vec<_> = watchers.iter().map(ActorRef::downgrade).collect();
    for watcher in &watchers {
        watcher.stop();
    }
    drop(watchers);
    for watcher in &weak {
        watcher.terminated().await;
    }
    // The target is still alive and answering after all of them.
    target.ping().await.unwrap();
}

#[test]
fn a_watched_actor_forgets_the_watchers_that_died() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        let target = system.spawn(Target).unwrap();
        // A hang fails the test; created before the count, so its timer is not counted.
        let limit = Duration::from_secs(120);
        tokio::time::timeout(limit, async {
            // Warm-up: the registry's maps and the scheduler's queues grow in steps; a
            // first round, on another target, reserves their room as far as this many
            // actors need. The target itself starts the count never watched, so the room
            // its record of watchers grows to is counted too, unless it gives it back.
            let warm_up = system.spawn(Target).unwrap();
            watch_and_die(&system, &warm_up).await;
            warm_up.stop();
            warm_up.terminated().await;
            drop(warm_up);
            target.ping().await.unwrap();

            let region = Region::new(GLOBAL);
            watch_and_die(&system, &target).await;
            let change = region.change();
            let held = change.bytes_allocated as isize - change.bytes_deallocated as isize
                + change.bytes_reallocated;
            let per_watcher = held.max(0) as usize / WATCHERS;
            println!("{per_watcher} bytes held per dead watcher ({WATCHERS} watchers), {held} in all");
            assert!(
                per_watcher < BUDGET,
                "{per_watcher} bytes held per dead watcher ({held} in all), over the budget of {BUDGET}"
            );
        })
        .await
        .expect("the watchers did not all stop in time");
        system.shutdown().await;
    });
}
