//! The heap an idle actor holds, counted by a global allocator: the bytes still allocated
//! per actor after spawning many that do nothing. The benchmark measures resident memory
//! (`idle_actor_bytes`), which is noisy and needs a fresh process; this count is exact, so
//! it guards the budget in CI. Its own test binary, because the allocator counts the whole
//! process and tests in one binary run in parallel.

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// What an idle actor may hold on the heap, in bytes: 1,009 when this was lowered (1,140
/// before the actor's cell, mailbox, lane and status became one allocation, and its path
/// was built only when asked for). About half of it is tokio's task cell (512 bytes),
/// aligned to 128 bytes, so one more field in the actor's task can push the cell over a
/// line and cost 128 bytes per actor; this bound is there to catch that (it did, once:
/// 1,236). The rest is the actor's cell (392 bytes: mailbox, lane, status, path, watchers)
/// and the mailbox's buffer, kept from its first message.
const BUDGET: usize = 1_024;

const ACTORS: usize = 1_000;

#[actor]
pub struct Idle;

#[actor]
impl Idle {
    #[message]
    fn ping(&self) {}
}

#[test]
fn an_idle_actor_holds_at_most_its_budget() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        // Warm-up: the registry's maps grow in steps; reserve their room beforehand, as
        // far as spawning and stopping as many actors does.
        let warm: Vec<_> = (0..ACTORS).map(|_| system.spawn(Idle).unwrap()).collect();
        for actor in &warm {
            actor.stop();
        }
        for actor in warm {
            actor.terminated().await;
        }

        let region = Region::new(GLOBAL);
        let actors: Vec<_> = (0..ACTORS).map(|_| system.spawn(Idle).unwrap()).collect();
        // Every actor has started and waits for messages once it has answered.
        for actor in &actors {
            actor.ping().await.unwrap();
        }
        let change = region.change();
        // The refs are the test's, not the actors'; the asks' reply slots are freed.
        let refs = ACTORS * std::mem::size_of::<ActorRef<Idle>>();
        let held = change.bytes_allocated as isize - change.bytes_deallocated as isize
            + change.bytes_reallocated;
        let per_actor = (held as usize - refs) / ACTORS;
        println!("an idle actor holds {per_actor} bytes of heap ({ACTORS} actors)");
        assert!(
            per_actor <= BUDGET,
            "an idle actor holds {per_actor} bytes of heap, over its budget of {BUDGET}"
        );
        system.shutdown().await;
    });
}
