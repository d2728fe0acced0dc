//! The system lane: an actor's queue of [`SystemSignal`]s beside its user mailbox, read
//! first, so that a stop or a supervision command never waits behind user messages and a
//! full mailbox never delays it.
//!
//! Not a channel: signals are rare, and a tokio channel allocates a block of slots up front
//! for every actor. This allocates nothing until a signal is sent, and its `pending` flag
//! lets the message loop check the lane with one atomic load per message. Its rules are
//! in the [module docs](super) (L1 to L4).

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use tokio::sync::oneshot;

use crate::error::Failure;
use crate::mailbox::signal::{SystemSignal, Urgent};
use crate::mailbox::sync::{AtomicBool, AtomicWaker, Mutex, MutexGuard, Ordering};

/// An actor's system lane, as everyone who signals it shares it.
pub(crate) struct SignalLane {
    queued: Mutex<Queued>,
    /// Whether a signal is queued (L1).
    pending: AtomicBool,
    /// Set once the actor's end is dropped: sends are refused from then on.
    closed: AtomicBool,
    /// Set while an [`Urgent`] signal waits in the lane: the message loop then cancels a
    /// handler that is waiting at an await point, so that a failure or a restart is never
    /// held up by what the handler waits for (L3).
    urgent: AtomicBool,
    /// Wakes a handler's wait for `urgent`; registered only while an async handler waits.
    urgent_waker: AtomicWaker,
}

/// What holds an actor's system lane, for the actor's end of it: its cell, which also
/// holds the mailbox the lane wakes the actor through (L2).
pub(crate) trait LaneHost {
    /// The lane.
    fn lane(&self) -> &SignalLane;
    /// Where the actor's task waits: its mailbox, where a waiting actor is registered
    /// anyway, so that it registers one waker per wait, not two (L2).
    fn waker(&self) -> &dyn ActorWaker;
}

/// Where a waiting actor's task is registered, to be woken by a message or a signal: its
/// mailbox.
pub(crate) trait ActorWaker: Send + Sync {
    /// Registers the task to be woken by the next message or signal.
    fn register(&self, waker: &Waker);
    /// Wakes the task, if it is registered.
    fn wake(&self);
}

/// The signals queued on a lane; the urgent ones go before the others, a failure first.
#[derive(Default)]
struct Queued {
    failure: Option<Failure>,
    /// An urgent stop: a flag, decided at once, so that stopping a sibling or a child
    /// allocates nothing. It goes before a teardown, which it makes moot.
    stop: bool,
    /// A teardown. Boxed: it is rare, and the lane sits in every actor's heap.
    teardown: Option<Box<Urgent>>,
    signals: Signals,
}

/// The plain signals queued on a lane, oldest first. The first waits in place and only
/// those behind it go to a boxed queue: most actors ever get one signal at a time (the
/// stop, at the end), and queueing it in a `VecDeque` allocated its buffer, a tenth of
/// the cost of a stop.
#[derive(Default)]
#[allow(
    clippy::box_collection,
    reason = "the box keeps the rare queue to one word of every actor's cell"
)]
struct Signals {
    /// The oldest; empty only when `rest` is empty too.
    first: Option<SystemSignal>,
    rest: Option<Box<VecDeque<SystemSignal>>>,
}

impl Signals {
    fn push_back(&mut self, signal: SystemSignal) {
        if self.first.is_none() {
            self.first = Some(signal);
        } else {
            self.rest.get_or_insert_with(Box::default).push_back(signal);
        }
    }

    fn pop_front(&mut self) -> Option<SystemSignal> {
        let signal = self.first.take()?;
        // The next oldest moves up; an emptied queue gives its room back.
        if let Some(rest) = &mut self.rest {
            self.first = rest.pop_front();
            if rest.is_empty() {
                self.rest = None;
            }
        }
        Some(signal)
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

impl Queued {
    fn take_urgent(&mut self) -> Option<Urgent> {
        if let Some(failure) = self.failure.take() {
            return Some(Urgent::Failed(failure));
        }
        if std::mem::take(&mut self.stop) {
            return Some(Urgent::Stop);
        }
        self.teardown.take().map(|teardown| *teardown)
    }

    fn has_urgent(&self) -> bool {
        self.failure.is_some() || self.stop || self.teardown.is_some()
    }
}

impl SignalLane {
    /// An empty lane. It holds no waker of its own: every send is given the one it wakes
    /// the actor through (its mailbox, held beside the lane in the actor's cell), so the
    /// lane points at nothing and nothing points back at it.
    pub(crate) fn new() -> Self {
        SignalLane {
            queued: Mutex::new(Queued::default()),
            pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            urgent: AtomicBool::new(false),
            urgent_waker: AtomicWaker::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `signal` and wakes the actor through `waker`; hands it back if the actor is
    /// gone.
    pub(crate) fn send(
        &self,
        signal: SystemSignal,
        waker: &dyn ActorWaker,
    ) -> Result<(), SystemSignal> {
        {
            let mut queued = self.lock();
            if self.closed.load(Ordering::Acquire) {
                return Err(signal);
            }
            queued.signals.push_back(signal);
            self.pending.store(true, Ordering::Release);
        }
        waker.wake();
        Ok(())
    }

    /// Fails the actor with `failure`, ahead of any other signal and also while it waits
    /// inside an async handler (which is cancelled). A second failure before the first is
    /// read is dropped: the actor fails once. Hands the failure back if the actor is gone.
    pub(crate) fn fail(&self, failure: Failure, waker: &dyn ActorWaker) -> Result<(), Failure> {
        {
            let mut queued = self.lock();
            if self.closed.load(Ordering::Acquire) {
                return Err(failure);
            }
            queued.failure.get_or_insert(failure);
            self.mark_urgent();
        }
        self.wake_urgently(waker);
        Ok(())
    }

    /// Stops the actor at once, also while it waits inside an async handler (which is
    /// cancelled): a temporary sibling in a restart together (it is not restarted), and
    /// the children of an actor being restarted. Returns `false` if the actor is gone.
    pub(crate) fn stop_urgently(&self, waker: &dyn ActorWaker) -> bool {
        let replaced = {
            let mut queued = self.lock();
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            // A stop is final: it replaces a teardown, whose sender then goes on.
            queued.stop = true;
            let replaced = queued.teardown.take();
            self.mark_urgent();
            replaced
        };
        drop(replaced);
        self.wake_urgently(waker);
        true
    }

    /// Tears the actor down for a restart together with its siblings, also while it waits
    /// inside an async handler (which is cancelled); `done` is told once it is torn down.
    /// Returns `false` if the actor is gone.
    pub(crate) fn teardown(
        &self,
        cause: Failure,
        done: oneshot::Sender<()>,
        waker: &dyn ActorWaker,
    ) -> bool {
        let replaced = {
            let mut queued = self.lock();
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            let teardown = Box::new(Urgent::Teardown { cause, done });
            let replaced = if queued.stop {
                // A stop is final: the teardown is dropped, and its sender goes on.
                Some(teardown)
            } else {
                queued.teardown.replace(teardown)
            };
            self.mark_urgent();
            replaced
        };
        // Only one restart together runs at a time per supervisor, so this is rare: the
        // earlier request is answered (or dropped), the actor is torn down once.
        if let Some(earlier) = replaced {
            if let Urgent::Teardown { done, .. } = *earlier {
                let _ = done.send(());
            }
        }
        self.wake_urgently(waker);
        true
    }

    /// Sets the flags of an urgent signal just queued; under the lock (L1, L3).
    fn mark_urgent(&self) {
        self.urgent.store(true, Ordering::Release);
        self.pending.store(true, Ordering::Release);
    }

    /// Wakes both waits an urgent signal ends: a handler's, and the actor's task.
    fn wake_urgently(&self, waker: &dyn ActorWaker) {
        self.urgent_waker.wake();
        waker.wake();
    }
}

#[cfg(all(test, loom))]
impl SignalLane {
    /// `pending` and `urgent`, as a model test checks them once its threads are done.
    pub(super) fn flags(&self) -> (bool, bool) {
        (
            self.pending.load(Ordering::SeqCst),
            self.urgent.load(Ordering::SeqCst),
        )
    }
}

/// The actor's end of its system lane, reached through `H` (a shared pointer to the
/// actor's cell, which holds the lane); dropping it closes the lane.
pub(crate) struct SignalReceiver<H: std::ops::Deref<Target: LaneHost>> {
    host: H,
}

impl<H: std::ops::Deref<Target: LaneHost>> SignalReceiver<H> {
    pub(crate) fn new(host: H) -> Self {
        SignalReceiver { host }
    }

    fn lane(&self) -> &SignalLane {
        self.host.lane()
    }

    /// The next signal, if one is queued: one atomic load when none is.
    pub(crate) fn try_recv(&mut self) -> Option<SystemSignal> {
        let lane = self.lane();
        if !lane.pending.load(Ordering::Acquire) {
            return None;
        }
        let mut queued = lane.lock();
        let signal = match queued.take_urgent() {
            Some(urgent) => Some(urgent.into_signal()),
            None => queued.signals.pop_front(),
        };
        settle(lane, &queued);
        signal
    }

    /// Takes the urgent signal waiting in the lane, if one does, leaving the others.
    pub(crate) fn take_urgent(&mut self) -> Option<Urgent> {
        let lane = self.lane();
        if !lane.urgent.load(Ordering::Acquire) {
            return None;
        }
        let mut queued = lane.lock();
        let urgent = queued.take_urgent();
        settle(lane, &queued);
        urgent
    }

    /// Drops a failure waiting in the lane: one that a child escalated before this actor
    /// failed (or was torn down) on its own. Its children follow this actor's fate, so it
    /// has nothing left to decide (Akka drops a `Failed` from a child it no longer has).
    pub(crate) fn forget_failure(&mut self) {
        let lane = self.lane();
        let mut queued = lane.lock();
        queued.failure = None;
        settle(lane, &queued);
    }

    /// Whether an urgent signal waits in the lane; if not, registers `cx` to be woken when
    /// one arrives. For a handler that is waiting at an await point.
    pub(crate) fn poll_urgent(&mut self, cx: &mut Context<'_>) -> bool {
        let lane = self.lane();
        if lane.urgent.load(Ordering::Acquire) {
            return true;
        }
        lane.urgent_waker.register(cx.waker());
        // Again after registering (L3): an urgent signal queued in between woke nobody.
        lane.urgent.load(Ordering::Acquire)
    }

    /// Waits for the next signal. Cancel safe: a signal is either returned or stays queued.
    /// Never `None` while a sender lives; kept as an `Option` for the loops that read it.
    pub(crate) async fn recv(&mut self) -> Option<SystemSignal> {
        std::future::poll_fn(|cx| self.poll_recv(cx).map(Some)).await
    }

    /// The next signal, or `Pending` with the task registered to be woken by the next send.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<SystemSignal> {
        if let Some(signal) = self.try_recv() {
            return Poll::Ready(signal);
        }
        self.host.waker().register(cx.waker());
        // Again after registering (L2): a send between the first check and the
        // registration would otherwise wake nobody. (A message wakes this wait too; it then
        // finds no signal and registers again.)
        match self.try_recv() {
            Some(signal) => Poll::Ready(signal),
            None => Poll::Pending,
        }
    }
}

/// Resets the flags after a take, under the lane's lock (L1, L3).
fn settle(lane: &SignalLane, queued: &Queued) {
    if !queued.has_urgent() {
        lane.urgent.store(false, Ordering::Release);
        if queued.signals.is_empty() {
            lane.pending.store(false, Ordering::Release);
        }
    }
    debug_assert!(
        !queued.has_urgent() || lane.urgent.load(Ordering::Relaxed),
        "L3: an urgent signal is queued but the lane's `urgent` flag is clear"
    );
}

impl<H: std::ops::Deref<Target: LaneHost>> Drop for SignalReceiver<H> {
    fn drop(&mut self) {
        let lane = self.lane();
        let dropped = {
            let mut queued = lane.lock();
            lane.closed.store(true, Ordering::Release);
            std::mem::take(&mut *queued)
        };
        // Dropped outside the lock: a signal may hold refs whose drop sends signals.
        drop(dropped);
    }
}
