//! The synchronisation the mailbox's handshakes are made of, swapped for `loom`'s in this
//! crate's own tests under `--cfg loom`, so that its model tests (`loom.rs` beside this
//! file) explore every interleaving of them. In every other build these are plain
//! re-exports, at no cost; a crate that depends on this one and runs its own loom tests
//! gets them too, as loom is only a dev-dependency (tokio's `src/loom/` does the same).
//!
//! `Arc` stays std's in both: the handshakes are in the atomics, the locks and the waker
//! slots, not in the reference counts, and the mailbox hands its shared part to the lane
//! as an `Arc<dyn ActorWaker>`, a coercion that loom's `Arc` cannot make on stable Rust.

#[cfg(not(all(test, loom)))]
pub(crate) use futures::task::AtomicWaker;
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(all(test, loom))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(all(test, loom))]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// `loom`'s `AtomicWaker`, with the `register(&Waker)` of the futures one it stands for.
#[cfg(all(test, loom))]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(all(test, loom))]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}

/// Keeps M3's store-then-load pair in order, in a model as in the real build.
///
/// A normal build needs nothing here: M3 relies on the one total order of `SeqCst`
/// accesses, in which a sender's store of `has_waiters` and the actor's lowering of
/// `permits_taken` cannot both be missed by the loads that follow them. loom models a
/// `SeqCst` access only as `AcqRel` (its README, "Unsupported features", and its issue
/// 180), which lets both loads miss and reports a lost wake-up that cannot happen; it does
/// model `fence(SeqCst)`, so under loom this is one, placed where the total order of the
/// accesses around it already puts one.
#[inline(always)]
pub(crate) fn seq_cst_store_load() {
    #[cfg(all(test, loom))]
    loom::sync::atomic::fence(Ordering::SeqCst);
}
