//! No lock of the mailbox is held while a waker is dropped: a waker's drop is a call into
//! whoever made it (a runtime, or here a waker whose drop sends to the very mailbox), so
//! one dropped under the lock would deadlock. Each test runs on a thread of its own, so
//! that a deadlock fails it instead of hanging the suite.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context as TaskContext, Wake, Waker};

use actor_core::prelude::*;
use support::{Gate, LIMIT};

#[actor]
struct Slow;

#[actor]
impl Slow {
    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[message]
    fn note(&mut self, _n: u32) {}
}

/// A waker whose drop sends to the actor: it takes the mailbox's lock.
struct SendsOnDrop {
    actor: ActorRef<Slow>,
    dropped: mpsc::Sender<bool>,
}

impl Wake for SendsOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for SendsOnDrop {
    fn drop(&mut self) {
        let full = self.actor.note(0).try_tell().is_err();
        let _ = self.dropped.send(full);
    }
}

#[test]
fn a_waiting_senders_replaced_waker_is_dropped_outside_the_mailbox_lock() {
    let (done, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let system = ActorSystem::new();
            let slow = system
                .spawn(Props::from_value(Slow).mailbox(MailboxConfig::bounded(1)))
                .unwrap();
            let (gate, mut control) = Gate::new();
            slow.hold(gate).tell().await.unwrap();
            control.entered().await;
            // The mailbox is full now; the next tell waits in line.
            slow.note(1).tell().await.unwrap();
            let (dropped_tx, dropped_rx) = mpsc::channel();
            let first = Waker::from(Arc::new(SendsOnDrop {
                actor: slow.clone(),
                dropped: dropped_tx,
            }));
            let mut waiting = pin!(slow.note(2).tell());
            let pending = waiting
                .as_mut()
                .poll(&mut TaskContext::from_waker(&first))
                .is_pending();
            // The mailbox keeps the only other handle to the first waker.
            drop(first);
            // Polled again with another waker: the mailbox drops the first one.
            let second = Waker::noop();
            let still_pending = waiting
                .as_mut()
                .poll(&mut TaskContext::from_waker(second))
                .is_pending();
            let full_when_dropped = dropped_rx.try_recv().ok();
            control.release();
            let _ = done.send((pending, still_pending, full_when_dropped));
            system.shutdown().await;
        });
    });
    let (pending, still_pending, full_when_dropped) = answer
        .recv_timeout(LIMIT)
        .expect("deadlocked: a waker was dropped under the mailbox's lock");
    assert!(pending && still_pending, "the tell waits for room");
    assert_eq!(
        full_when_dropped,
        Some(true),
        "the first waker was dropped at the second poll, and its send found the mailbox full"
    );
}
