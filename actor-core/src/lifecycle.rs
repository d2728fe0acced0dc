//! Where an actor is in its life, and why it stopped.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;

use futures::task::AtomicWaker;

use crate::actor_ref::ActorId;
use crate::error::Failure;
use crate::supervision::ChildCommand;

/// Where an actor is in its life. Read it with [`ActorRef::status`](crate::ActorRef::status).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActorStatus {
    /// Spawned; its `started` hook has not finished yet. Messages already queue.
    Starting,
    /// Handling messages.
    Running,
    /// Not handling messages until its supervisor decides: it failed and its supervisor's
    /// fate decides it (an escalation), or its supervisor (or an ancestor) failed. Messages
    /// queue meanwhile (Akka's suspended mailbox).
    Suspended,
    /// Being replaced after a failure: its old instance is gone, its new one not yet
    /// started (a restart back-off, or siblings restarted together). Messages queue.
    Restarting,
    /// A stop has begun; a graceful stop still handles what is queued.
    Stopping,
    /// Stopped for good, for this reason.
    Stopped(StopReason),
}

impl ActorStatus {
    /// Whether the actor has stopped for good.
    pub fn is_stopped(&self) -> bool {
        matches!(self, ActorStatus::Stopped(_))
    }
}

/// Why an actor stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// Someone asked it to stop (its ref, its context, or its own handler).
    Requested,
    /// Every strong [`ActorRef`](crate::ActorRef) to it was dropped, so no new message
    /// could arrive; it handled what was queued and stopped.
    RefsDropped,
    /// The system shut down.
    Shutdown,
    /// It failed: a handler or hook panicked.
    Failed(Failure),
    /// Its task was aborted because it did not stop within the shutdown timeout (it was
    /// stuck inside a handler). Its `stopped` hook did not run.
    Aborted,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Requested => f.write_str("stopped on request"),
            StopReason::RefsDropped => f.write_str("stopped because every ref to it was dropped"),
            StopReason::Shutdown => f.write_str("stopped by system shutdown"),
            StopReason::Failed(failure) => write!(f, "failed: {failure}"),
            StopReason::Aborted => f.write_str("aborted after the shutdown timeout"),
        }
    }
}

/// How to stop an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopMode {
    /// Refuse new messages, handle every message already queued, then stop (Akka's
    /// `PoisonPill`, but new sends are refused at once instead of queueing behind it).
    Graceful,
    /// Finish the message being handled, drop what is queued (their asks resolve with
    /// [`AskError::Stopped`](crate::AskError::Stopped)), then stop (Akka's `Stop`).
    Immediate,
}

/// The death-watch signal: a watched actor has stopped. Delivered exactly once per watch,
/// also when the actor was already dead when the watch began, and never after an unwatch;
/// see [`Context::watch`](crate::Context::watch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The actor that stopped.
    pub id: ActorId,
    /// Its path in the tree, like `/user/bank/account-7`.
    pub path: Arc<str>,
    /// Why it stopped.
    pub reason: StopReason,
}

/// Signals on the system lane, which the actor polls before its user mailbox.
#[derive(Debug)]
pub(crate) enum SystemSignal {
    Stop(StopMode, StopReason),
    /// The last strong ref was dropped; the actor checks the count again, since its own
    /// context may have handed out a new ref since.
    RefsDropped,
    /// From a child's task: this actor fails with this failure (a child's escalation, or
    /// a panic in this actor's decider). Sent with [`ActorLink::fail`], which also
    /// interrupts a handler waiting at an await point.
    Failed(Failure),
    /// From this actor's supervisor: what to do after a failure (or a sibling's).
    Command(ChildCommand),
    /// From its supervisor, which failed: handle no messages until a `Resume` (or a stop).
    Suspend,
    /// A restart of several siblings, first step: run `pre_restart`, drop the instance,
    /// stop the children, say so on `done`, and wait for [`SystemSignal::Start`].
    Teardown {
        cause: Failure,
        done: tokio::sync::oneshot::Sender<()>,
    },
    /// A restart of several siblings, second step, in start order: create the new
    /// instance, run `post_restart`, say so on `done`.
    Start {
        done: tokio::sync::oneshot::Sender<()>,
    },
    /// From a watched actor: it stopped.
    Terminated(Terminated),
    /// From its parent, which is stopping (or restarting): stop as `mode` says while
    /// running; if it cannot run (suspended, restarting), stop at once, since the parent
    /// that would let it run again is going.
    ParentStop(StopMode, StopReason),
}

/// What interrupts an actor even inside an async handler (cancelled at its await point):
/// its own failure, and its part of a restart together with its siblings, which must not
/// wait for whatever the handler awaits (OTP kills a sibling that does not stop).
#[derive(Debug)]
pub(crate) enum Urgent {
    Failed(Failure),
    Teardown {
        cause: Failure,
        done: tokio::sync::oneshot::Sender<()>,
    },
    /// Stop at once: a temporary sibling in a restart together, or a child of an actor
    /// being restarted.
    Stop,
}

impl Urgent {
    pub(crate) fn into_signal(self) -> SystemSignal {
        match self {
            Urgent::Failed(failure) => SystemSignal::Failed(failure),
            Urgent::Teardown { cause, done } => SystemSignal::Teardown { cause, done },
            Urgent::Stop => SystemSignal::Command(ChildCommand::Stop),
        }
    }
}

/// What everyone who knows an actor without knowing its type shares: its system lane, its
/// status, and its path. Its parent, the registry, its watchers' `Terminated` and its own
/// cell all point at this one allocation, rather than each keeping copies.
///
/// The system lane is a queue of [`SystemSignal`]s beside the user mailbox. Not a channel:
/// signals are rare, and a tokio channel allocates a block of slots up front for every
/// actor. This allocates nothing until a signal is sent, and its `pending` flag lets the
/// message loop check the lane with one atomic load per message.
struct Link {
    queue: Mutex<Lane>,
    pending: AtomicBool,
    closed: AtomicBool,
    /// Set while an [`Urgent`] signal waits in the lane: the message loop then cancels a
    /// handler that is waiting at an await point, so that a failure or a restart is never
    /// held up by what the handler waits for.
    urgent: AtomicBool,
    /// Wakes a handler's wait for `urgent`; registered only while an async handler waits.
    urgent_waker: AtomicWaker,
    /// Wakes the actor's task for a signal: through its mailbox, where a waiting actor is
    /// registered anyway, so that it registers one waker per wait, not two.
    waker: Arc<dyn ActorWaker>,
    status: StatusCell,
    /// Where it sits in the tree, like `/user/bank/account-7`; its last segment is the
    /// actor's name, or `$` and its id for an unnamed actor.
    path: Arc<str>,
}

/// An untyped handle to an actor: sends on its system lane, reads its status and path.
/// Cheap to clone.
#[derive(Clone)]
pub(crate) struct ActorLink(Arc<Link>);

/// The actor's end of its system lane; dropping it closes the lane.
pub(crate) struct SignalReceiver(Arc<Link>);

/// Where a waiting actor's task is registered, to be woken by a message or a signal: its
/// mailbox.
pub(crate) trait ActorWaker: Send + Sync {
    /// Registers the task to be woken by the next message or signal.
    fn register(&self, waker: &Waker);
    /// Wakes the task, if it is registered.
    fn wake(&self);
    /// Closes the mailbox, as a stop from outside does: new messages are refused and
    /// senders waiting for room get theirs back. With `to_senders_only`, the actor does not
    /// learn of it and still receives what is queued, until it closes the mailbox itself
    /// on its way out. A waker with no mailbox behind it (a test's) has nothing to close.
    fn close(&self, to_senders_only: bool) {
        let _ = to_senders_only;
    }
}

/// The signals queued on a lane; the urgent ones go before the others, a failure first.
#[derive(Default)]
struct Lane {
    failure: Option<Failure>,
    /// A teardown or a stop. Boxed: it is rare, and the lane sits in every actor's heap.
    ending: Option<Box<Urgent>>,
    signals: VecDeque<SystemSignal>,
}

impl Lane {
    fn take_urgent(&mut self) -> Option<Urgent> {
        if let Some(failure) = self.failure.take() {
            return Some(Urgent::Failed(failure));
        }
        self.ending.take().map(|ending| *ending)
    }

    fn has_urgent(&self) -> bool {
        self.failure.is_some() || self.ending.is_some()
    }
}

pub(crate) fn actor_link(
    path: Arc<str>,
    waker: Arc<dyn ActorWaker>,
) -> (ActorLink, SignalReceiver) {
    let link = Arc::new(Link {
        queue: Mutex::new(Lane::default()),
        pending: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        urgent: AtomicBool::new(false),
        urgent_waker: AtomicWaker::new(),
        waker,
        status: StatusCell::new(ActorStatus::Starting),
        path,
    });
    (ActorLink(Arc::clone(&link)), SignalReceiver(link))
}

impl Link {
    fn queue(&self) -> std::sync::MutexGuard<'_, Lane> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ActorLink {
    pub(crate) fn status(&self) -> &StatusCell {
        &self.0.status
    }

    pub(crate) fn path(&self) -> &Arc<str> {
        &self.0.path
    }

    /// The name it was spawned with: the path's last segment, unless the actor is unnamed
    /// (`$` and its id, which no name may start with).
    pub(crate) fn name(&self) -> Option<&str> {
        let last = self.0.path.rsplit('/').next().unwrap_or_default();
        (!last.starts_with('$')).then_some(last)
    }

    /// Closes the actor's mailbox (see [`ActorWaker::close`]), for a system shutdown.
    pub(crate) fn close_mailbox(&self, to_senders_only: bool) {
        self.0.waker.close(to_senders_only);
    }

    /// Queues `signal`; hands it back if the actor is gone.
    pub(crate) fn send(&self, signal: SystemSignal) -> Result<(), SystemSignal> {
        {
            let mut queue = self.0.queue();
            if self.0.closed.load(Ordering::Acquire) {
                return Err(signal);
            }
            queue.signals.push_back(signal);
            self.0.pending.store(true, Ordering::Release);
        }
        self.0.waker.wake();
        Ok(())
    }

    /// Fails the actor with `failure`, ahead of any other signal and also while it waits
    /// inside an async handler (which is cancelled). A second failure before the first is
    /// read is dropped: the actor fails once. Hands the failure back if the actor is gone.
    pub(crate) fn fail(&self, failure: Failure) -> Result<(), Failure> {
        {
            let mut queue = self.0.queue();
            if self.0.closed.load(Ordering::Acquire) {
                return Err(failure);
            }
            queue.failure.get_or_insert(failure);
            self.0.urgent.store(true, Ordering::Release);
            self.0.pending.store(true, Ordering::Release);
        }
        self.0.urgent_waker.wake();
        self.0.waker.wake();
        Ok(())
    }

    /// Stops the actor at once, also while it waits inside an async handler (which is
    /// cancelled): a temporary sibling in a restart together (it is not restarted), and
    /// the children of an actor being restarted. Returns `false` if the actor is gone.
    pub(crate) fn stop_urgently(&self) -> bool {
        let replaced = {
            let mut queue = self.0.queue();
            if self.0.closed.load(Ordering::Acquire) {
                return false;
            }
            // A stop is final: it replaces a teardown, whose sender then goes on.
            let replaced = queue.ending.replace(Box::new(Urgent::Stop));
            self.0.urgent.store(true, Ordering::Release);
            self.0.pending.store(true, Ordering::Release);
            replaced
        };
        drop(replaced);
        self.0.urgent_waker.wake();
        self.0.waker.wake();
        true
    }

    /// Tears the actor down for a restart together with its siblings, also while it waits
    /// inside an async handler (which is cancelled); `done` is told once it is torn down.
    /// Returns `false` if the actor is gone.
    pub(crate) fn teardown(&self, cause: Failure, done: tokio::sync::oneshot::Sender<()>) -> bool {
        let replaced = {
            let mut queue = self.0.queue();
            if self.0.closed.load(Ordering::Acquire) {
                return false;
            }
            let teardown = Box::new(Urgent::Teardown { cause, done });
            let replaced = match &queue.ending {
                // A stop is final: the teardown is dropped, and its sender goes on.
                Some(ending) if matches!(**ending, Urgent::Stop) => Some(teardown),
                _ => queue.ending.replace(teardown),
            };
            self.0.urgent.store(true, Ordering::Release);
            self.0.pending.store(true, Ordering::Release);
            replaced
        };
        // Only one restart together runs at a time per supervisor, so this is rare: the
        // earlier request is answered (or dropped), the actor is torn down once.
        if let Some(earlier) = replaced {
            if let Urgent::Teardown { done, .. } = *earlier {
                let _ = done.send(());
            }
        }
        self.0.urgent_waker.wake();
        self.0.waker.wake();
        true
    }
}

impl fmt::Debug for ActorLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ActorLink").field(&self.0.path).finish()
    }
}

impl SignalReceiver {
    /// The next signal, if one is queued: one atomic load when none is.
    pub(crate) fn try_recv(&mut self) -> Option<SystemSignal> {
        if !self.0.pending.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self.0.queue();
        let signal = match queue.take_urgent() {
            Some(urgent) => Some(urgent.into_signal()),
            None => queue.signals.pop_front(),
        };
        self.settle(&queue);
        signal
    }

    /// Resets the flags after a take, under the lane's lock.
    fn settle(&self, queue: &Lane) {
        if !queue.has_urgent() {
            self.0.urgent.store(false, Ordering::Release);
            if queue.signals.is_empty() {
                self.0.pending.store(false, Ordering::Release);
            }
        }
    }

    /// Takes the urgent signal waiting in the lane, if one does, leaving the others.
    pub(crate) fn take_urgent(&mut self) -> Option<Urgent> {
        if !self.0.urgent.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self.0.queue();
        let urgent = queue.take_urgent();
        self.settle(&queue);
        urgent
    }

    /// Drops a failure waiting in the lane: one that a child escalated before this actor
    /// failed (or was torn down) on its own. Its children follow this actor's fate, so it
    /// has nothing left to decide (Akka drops a `Failed` from a child it no longer has).
    pub(crate) fn forget_failure(&mut self) {
        let mut queue = self.0.queue();
        queue.failure = None;
        self.settle(&queue);
    }

    /// Whether an urgent signal waits in the lane; if not, registers `cx` to be woken when
    /// one arrives. For a handler that is waiting at an await point.
    pub(crate) fn poll_urgent(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        if self.0.urgent.load(Ordering::Acquire) {
            return true;
        }
        self.0.urgent_waker.register(cx.waker());
        self.0.urgent.load(Ordering::Acquire)
    }

    /// Waits for the next signal. Cancel safe: a signal is either returned or stays queued.
    /// Never `None` while a sender lives; kept as an `Option` for the loops that read it.
    pub(crate) async fn recv(&mut self) -> Option<SystemSignal> {
        std::future::poll_fn(|cx| self.poll_recv(cx).map(Some)).await
    }

    /// The next signal, or `Pending` with the task registered to be woken by the next send.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<SystemSignal> {
        if let Some(signal) = self.try_recv() {
            return std::task::Poll::Ready(signal);
        }
        self.0.waker.register(cx.waker());
        // Again after registering: a send between the first check and the registration
        // would otherwise wake nobody. (A message wakes this wait too; it then finds no
        // signal and registers again.)
        match self.try_recv() {
            Some(signal) => std::task::Poll::Ready(signal),
            None => std::task::Poll::Pending,
        }
    }
}

impl Drop for SignalReceiver {
    fn drop(&mut self) {
        let dropped = {
            let mut queue = self.0.queue();
            self.0.closed.store(true, Ordering::Release);
            std::mem::take(&mut *queue)
        };
        // Dropped outside the lock: a signal may hold refs whose drop sends signals.
        drop(dropped);
    }
}

/// An actor's status, shared by its task (which sets it) and whoever waits for its end.
///
/// Not a `tokio::sync::watch` channel: that carries eight notifiers and a lock per actor,
/// about 450 bytes, for a value that changes a handful of times in an actor's life.
pub(crate) struct StatusCell {
    status: Mutex<ActorStatus>,
    stopped: tokio::sync::Notify,
}

impl StatusCell {
    fn new(status: ActorStatus) -> Self {
        StatusCell {
            status: Mutex::new(status),
            stopped: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActorStatus> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set(&self, status: ActorStatus) {
        let stopped = status.is_stopped();
        *self.lock() = status;
        if stopped {
            self.stopped.notify_waiters();
        }
    }

    pub(crate) fn get(&self) -> ActorStatus {
        self.lock().clone()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.lock().is_stopped()
    }

    /// Waits until the status is `Stopped`, and returns why. Cancel safe.
    pub(crate) async fn stopped(&self) -> StopReason {
        loop {
            let notified = self.stopped.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `set` between the check and the wait is
            // not missed.
            notified.as_mut().enable();
            if let ActorStatus::Stopped(reason) = &*self.lock() {
                return reason.clone();
            }
            notified.await;
        }
    }
}
