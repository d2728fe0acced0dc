//! What happens in a system, for observers: failures, supervision decisions, restarts,
//! stops and dead letters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::actor_ref::ActorId;
use crate::error::Failure;
use crate::lifecycle::StopReason;
use crate::supervision::Directive;

/// An event of an [`ActorSystem`](crate::ActorSystem), from
/// [`ActorSystem::events`](crate::ActorSystem::events).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SystemEvent {
    /// An actor failed and waits for its supervisor's decision.
    Failed {
        /// The failed actor.
        actor: ActorId,
        /// Its path.
        path: Arc<str>,
        /// What went wrong.
        failure: Failure,
    },
    /// A supervisor decided what to do about a child's failure (or self-stop).
    Decided {
        /// The supervisor, or `None` for the system's guardian (top-level actors).
        supervisor: Option<ActorId>,
        /// The child the decision is about.
        child: ActorId,
        /// The child's path.
        path: Arc<str>,
        /// The directive, after the restart intensity and the child's restart policy.
        directive: Directive,
    },
    /// An actor was re-created after a failure or a sibling's failure.
    Restarted {
        /// The restarted actor (same id and ref as before).
        actor: ActorId,
        /// Its path.
        path: Arc<str>,
    },
    /// An actor stopped for good.
    Stopped {
        /// The stopped actor.
        actor: ActorId,
        /// Its path.
        path: Arc<str>,
        /// Why.
        reason: StopReason,
    },
    /// A message could not be delivered.
    DeadLetter(DeadLetter),
}

/// A message sent to an actor that no longer accepted it, or dropped from its mailbox when
/// it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The intended recipient.
    pub recipient: ActorId,
    /// The recipient's path.
    pub path: Arc<str>,
    /// The message's name: its variant for `#[actor]` messages, else its type.
    pub message: &'static str,
}

/// The event stream and the dead-letter count, shared by a system and its actors.
pub(crate) struct Events {
    sender: broadcast::Sender<SystemEvent>,
    dead_letters: AtomicU64,
}

impl Events {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Arc::new(Events {
            sender,
            dead_letters: AtomicU64::new(0),
        })
    }

    pub(crate) fn publish(&self, event: SystemEvent) {
        // No subscriber is the common case, and not an error.
        let _ = self.sender.send(event);
    }

    pub(crate) fn dead_letter(&self, recipient: ActorId, path: &Arc<str>, message: &'static str) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        if self.sender.receiver_count() > 0 {
            self.publish(SystemEvent::DeadLetter(DeadLetter {
                recipient,
                path: Arc::clone(path),
                message,
            }));
        }
    }

    pub(crate) fn dead_letter_count(&self) -> u64 {
        self.dead_letters.load(Ordering::Relaxed)
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<SystemEvent> {
        self.sender.subscribe()
    }
}
