//! Where an actor is in its life, why it stopped, and the cell its status lives in.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Failure;

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
    /// The actor is on another node, and the link to that node was lost: it may still run
    /// there, but nothing sent here will reach it (Akka's `addressTerminated`). The text is
    /// the node's address (an `Arc<String>`, not an `Arc<str>`: a thin pointer keeps this
    /// enum, which every actor's task holds, at two words).
    Unreachable(Arc<String>),
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Requested => f.write_str("stopped on request"),
            StopReason::RefsDropped => f.write_str("stopped because every ref to it was dropped"),
            StopReason::Shutdown => f.write_str("stopped by system shutdown"),
            StopReason::Failed(failure) => write!(f, "failed: {failure}"),
            StopReason::Aborted => f.write_str("aborted after the shutdown timeout"),
            StopReason::Unreachable(node) => write!(f, "its node {node} became unreachable"),
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

/// An actor's status, shared by its task (which sets it) and whoever waits for its end.
///
/// Not a `tokio::sync::watch` channel: that carries eight notifiers and a lock per actor,
/// about 450 bytes, for a value that changes a handful of times in an actor's life.
pub(crate) struct StatusCell {
    status: Mutex<ActorStatus>,
    stopped: tokio::sync::Notify,
}

impl StatusCell {
    pub(crate) fn new(status: ActorStatus) -> Self {
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
