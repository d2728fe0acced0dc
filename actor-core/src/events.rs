//! What happens in a system, for observers: failures, supervision decisions, restarts,
//! stops and dead letters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::runtime::Handle;
use tokio::sync::broadcast;

use crate::clock::deadlines::Deadlines;
use crate::clock::Clock;
use crate::error::Failure;
use crate::id::ActorId;
use crate::lifecycle::StopReason;
use crate::supervision::strategy::Directive;

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
    /// An actor stopped for good. Published before its status says so, so it is in the
    /// channel by the time `terminated()` or `shutdown()` returns.
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

/// What a system shares with its actors' cells: the event stream, the dead-letter count,
/// and where the timers of asks and shutdown are armed.
pub(crate) struct Events {
    /// Created at the first subscription: a broadcast channel allocates every one of its
    /// slots up front (about 80 bytes each), and most systems never have a subscriber.
    sender: OnceLock<broadcast::Sender<SystemEvent>>,
    /// Checked by `SystemBuilder::build`: at least 1, and allocatable.
    capacity: usize,
    dead_letters: AtomicU64,
    /// Set when the system's runtime is known: at build, or else at its first spawn.
    clock: OnceLock<Clock>,
    /// The deadlines of asks to this system's actors, on one timer.
    deadlines: Deadlines,
}

impl Events {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Events {
            sender: OnceLock::new(),
            capacity,
            dead_letters: AtomicU64::new(0),
            clock: OnceLock::new(),
            deadlines: Deadlines::new(),
        })
    }

    /// Whether anyone subscribes to the events: an event nobody listens to need not be
    /// built, and building one (an actor's path, a reason) is most of a stop's bookkeeping.
    pub(crate) fn is_observed(&self) -> bool {
        self.sender
            .get()
            .is_some_and(|sender| sender.receiver_count() > 0)
    }

    pub(crate) fn publish(&self, event: SystemEvent) {
        // No subscriber is the common case, and not an error.
        if let Some(sender) = self.sender.get() {
            let _ = sender.send(event);
        }
    }

    pub(crate) fn dead_letter(&self, recipient: ActorId, path: &Arc<str>, message: &'static str) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        if self
            .sender
            .get()
            .is_some_and(|sender| sender.receiver_count() > 0)
        {
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
        self.sender
            .get_or_init(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Settles where this system's timers are armed, from its runtime, unless that is
    /// settled already (the first runtime known is kept).
    pub(crate) fn clock_on(&self, runtime: &Handle) {
        if self.clock.get().is_none() {
            // Checked outside the cell's initialisation, which would block other threads
            // meanwhile: the check calls into tokio, and its panic hook is the user's.
            // Two threads may both check; the first to settle it wins.
            let _ = self.clock.set(Clock::for_runtime(runtime));
        }
    }

    /// Where this system's timers are armed. Before any runtime is known (no actor was
    /// spawned yet, so nothing can be asked), on the crate's own timer.
    pub(crate) fn clock(&self) -> &Clock {
        self.clock.get().unwrap_or(&Clock::Fallback)
    }

    /// The deadlines of asks to this system's actors.
    pub(crate) fn deadlines(&self) -> &Deadlines {
        &self.deadlines
    }
}

/// The size of one event in the broadcast channel's buffer, with the slot's bookkeeping
/// (its lock, position and count) rounded up, to tell a capacity that can be allocated
/// from one that never can.
pub(crate) const EVENT_SLOT_BYTES: usize = std::mem::size_of::<SystemEvent>() + 32;
