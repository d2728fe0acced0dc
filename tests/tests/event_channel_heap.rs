//! The event stream's buffer is allocated at the first subscription, not when the system
//! is built: a broadcast channel allocates every slot up front, so a large
//! `event_capacity` (1 << 24 events is 1.28 GB) would cost its memory to every system,
//! observed or not. Counted by a global allocator; its own test binary, because the
//! allocator counts the whole process and tests in one binary run in parallel.

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use actor_core::prelude::*;
use actor_core::SystemEvent;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[test]
fn the_event_buffer_is_allocated_at_the_first_subscription() {
    const CAPACITY: usize = 1 << 16;
    // The least the buffer takes: one event per slot, bookkeeping not counted.
    let buffer = CAPACITY * std::mem::size_of::<SystemEvent>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let region = Region::new(GLOBAL);
        let system = ActorSystem::builder()
            .event_capacity(CAPACITY)
            .build()
            .unwrap();
        let built = region.change().bytes_allocated;
        assert!(
            built < buffer / 16,
            "building the system allocated {built} bytes, the buffer is {buffer}"
        );

        let region = Region::new(GLOBAL);
        let events = system.events();
        let subscribed = region.change().bytes_allocated;
        assert!(
            subscribed >= buffer,
            "the first subscription allocated {subscribed} bytes, the buffer is {buffer}"
        );

        // A second subscription shares the buffer.
        let region = Region::new(GLOBAL);
        let again = system.events();
        let second = region.change().bytes_allocated;
        assert!(
            second < buffer / 16,
            "a second subscription allocated {second} bytes"
        );
        drop((events, again));
        system.shutdown().await;
    });
}
