//! Mailboxes: the user lane (bounded or unbounded) and the envelope that travels in it.
//!
//! System signals (stop, and later supervision) travel on a separate, unbounded lane that
//! the actor polls first, so a stop is never stuck behind a full user mailbox.
//!
//! The user lane is our own queue rather than a `tokio::sync::mpsc` channel, for three
//! measured reasons (see `docs/performance.md`):
//!
//! - **No allocation per message.** A queue is a `VecDeque` behind a mutex. The actor takes
//!   everything queued in one swap with a buffer of its own, so both buffers keep their
//!   capacity and a steady flow of messages allocates nothing. tokio's channel is a list
//!   of 32-slot blocks that it recycles only while the reader keeps up, so a burst that
//!   fills the mailbox allocates a block in every few.
//! - **An idle actor costs a few dozen bytes.** An empty `VecDeque` holds no buffer; a
//!   tokio channel allocates its first block (32 envelopes) and cache-padded counters up
//!   front, which was most of an idle actor's memory.
//! - **One lock per batch on the actor's side.** Senders take the lock once per message,
//!   as they took tokio's semaphore; the actor takes it once per batch, where tokio's
//!   bounded receiver released a permit (a mutex) per message.
//!
//! Capacity counts every message sent and not yet handed to the actor, whether it is in the
//! shared queue or in the actor's batch, so a mailbox of `N` never holds more than `N`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::error::{Failure, TrySendError};
use crate::lifecycle::ActorWaker;

/// How an actor's user mailbox is sized.
///
/// Bounded is the default because it gives backpressure: a fast sender waits (or, with
/// `try_tell`, is told) instead of growing memory without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailboxConfig {
    /// At most this many queued messages; senders wait for space.
    Bounded(usize),
    /// No limit; a tell never waits. Use when senders must never block and the load is
    /// known to be bounded elsewhere.
    Unbounded,
}

impl MailboxConfig {
    /// The capacity of a mailbox when none is configured.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A bounded mailbox of `capacity` messages (at least 1; 0 is raised to 1, as a
    /// mailbox that holds nothing could never deliver).
    pub const fn bounded(capacity: usize) -> Self {
        MailboxConfig::Bounded(if capacity == 0 { 1 } else { capacity })
    }

    /// An unbounded mailbox.
    pub const fn unbounded() -> Self {
        MailboxConfig::Unbounded
    }
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig::Bounded(Self::DEFAULT_CAPACITY)
    }
}

/// Where a reply goes: the asker's slot, which learns of a failure too.
pub(crate) type ReplySender<A> = oneshot::Sender<Result<<A as Actor>::Reply, Failure>>;
pub(crate) type ReplyReceiver<A> = oneshot::Receiver<Result<<A as Actor>::Reply, Failure>>;

/// A message and, for an ask, the slot its reply goes to.
///
/// The reply channel lives here, not in the message enum, so messages stay pure data.
pub(crate) struct Envelope<A: Actor> {
    pub(crate) msg: A::Msg,
    pub(crate) reply: Option<ReplySender<A>>,
}

/// The part of a mailbox that senders and the actor share.
struct Shared<T> {
    state: Mutex<State<T>>,
    /// `None` for an unbounded mailbox, which then skips all counting.
    capacity: Option<usize>,
    /// Messages sent and not yet handed to the actor (queued or in its batch). Raised
    /// under the lock, lowered by the actor without it.
    len: AtomicUsize,
    /// Set (under the lock) when a sender waits for space, so that the actor, which frees
    /// space without the lock, knows it has someone to wake.
    senders_waiting: AtomicBool,
}

struct State<T> {
    queue: VecDeque<T>,
    closed: bool,
    /// The actor's waker, set only when it found the queue empty: the first message after
    /// that wakes it, the others find it already awake.
    receiver: Option<Waker>,
    /// Senders waiting for space. A sender that gives up leaves its waker here; waking it
    /// later is harmless, and as all of them are woken together, none is missed.
    blocked: Vec<Waker>,
}

impl<T: Send> ActorWaker for Shared<T> {
    fn register(&self, waker: &Waker) {
        self.lock().register_receiver(waker);
    }

    fn wake(&self) {
        let receiver = self.lock().receiver.take();
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }
}

impl<T> State<T> {
    /// Sets the actor's waker, cloning it only when it is not the one already there.
    fn register_receiver(&mut self, waker: &Waker) {
        match &mut self.receiver {
            Some(known) if known.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }
}

impl<T> Shared<T> {
    /// Refuses new messages from now on, and wakes the senders waiting for space so that
    /// they get theirs back. Queued messages stay, for the actor to handle or drop.
    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        // No sender blocks on a closed mailbox again, so the buffer is not needed back.
        let blocked = std::mem::take(&mut state.blocked);
        drop(state);
        for waker in blocked {
            waker.wake();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No user code runs under this lock, so it cannot be poisoned by a user's panic;
        // recovering keeps a mailbox usable even so.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Enqueues `value`, or says why not. With `waiter`, a full mailbox registers it to be
    /// woken once there is space.
    fn push(&self, value: T, waiter: Option<&Waker>) -> Result<(), TrySendError<T>> {
        let mut state = self.lock();
        if state.closed {
            return Err(TrySendError::Closed(value));
        }
        if let Some(capacity) = self.capacity {
            if self.len.load(Ordering::SeqCst) >= capacity {
                let Some(waker) = waiter else {
                    return Err(TrySendError::Full(value));
                };
                if !state.blocked.iter().any(|known| known.will_wake(waker)) {
                    state.blocked.push(waker.clone());
                }
                // Store the flag, then look at the count again; the actor lowers the count,
                // then looks at the flag. With both `SeqCst`, one of the two sees the
                // other, so a sender never sleeps through the space it waits for.
                self.senders_waiting.store(true, Ordering::SeqCst);
                if self.len.load(Ordering::SeqCst) >= capacity {
                    return Err(TrySendError::Full(value));
                }
            }
            self.len.fetch_add(1, Ordering::SeqCst);
        }
        state.queue.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
        Ok(())
    }
}

/// The senders' side of a mailbox; the actor's cell holds one, every ref reaches it there.
pub(crate) struct MailboxSender<A: Actor> {
    shared: Arc<Shared<Envelope<A>>>,
}

/// The actor's side of its mailbox: the shared queue and the batch it took from it.
pub(crate) struct MailboxReceiver<A: Actor> {
    shared: Arc<Shared<Envelope<A>>>,
    /// Messages taken from the queue in one swap and not yet handed out, oldest first.
    batch: VecDeque<Envelope<A>>,
    /// The blocked senders' wakers, swapped out of the lock to be woken outside it; kept
    /// so that its buffer is reused.
    to_wake: Vec<Waker>,
}

pub(crate) fn mailbox<A: Actor>(config: MailboxConfig) -> (MailboxSender<A>, MailboxReceiver<A>) {
    let capacity = match config {
        MailboxConfig::Bounded(capacity) => Some(capacity.max(1)),
        MailboxConfig::Unbounded => None,
    };
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            closed: false,
            receiver: None,
            blocked: Vec::new(),
        }),
        capacity,
        len: AtomicUsize::new(0),
        senders_waiting: AtomicBool::new(false),
    });
    let receiver = MailboxReceiver {
        shared: Arc::clone(&shared),
        batch: VecDeque::new(),
        to_wake: Vec::new(),
    };
    (MailboxSender { shared }, receiver)
}

impl<A: Actor> MailboxSender<A> {
    /// Enqueues if there is space; otherwise hands the envelope back as `Full`, having
    /// arranged for `cx` to be woken when there is space again.
    ///
    /// Each send counts against tokio's cooperative budget, as a tokio channel's does, so a
    /// sender that never finds the mailbox full still yields; out of budget, the envelope
    /// comes back as `Full` and the task is woken to try again.
    pub(crate) fn poll_send(
        &self,
        envelope: Envelope<A>,
        cx: &mut Context<'_>,
    ) -> Result<(), TrySendError<Envelope<A>>> {
        let Poll::Ready(budget) = tokio::task::coop::poll_proceed(cx) else {
            return Err(TrySendError::Full(envelope));
        };
        let sent = self.shared.push(envelope, Some(cx.waker()));
        if sent.is_ok() {
            budget.made_progress();
        }
        sent
    }

    pub(crate) fn try_send(&self, envelope: Envelope<A>) -> Result<(), TrySendError<Envelope<A>>> {
        self.shared.push(envelope, None)
    }

    /// The actor's waker slot, for its system lane to wake it through.
    pub(crate) fn actor_waker(&self) -> Arc<dyn ActorWaker> {
        Arc::clone(&self.shared) as Arc<dyn ActorWaker>
    }

    /// Closes the mailbox from outside, for a stop asked by someone other than the actor:
    /// sends from then on are refused at once, and senders waiting for space get their
    /// message back, instead of waiting until the actor reads the stop. The stop signal
    /// must be sent first, so that the actor, woken, finds the signal before the closed
    /// mailbox and stops the way the signal says.
    pub(crate) fn close(&self) {
        self.shared.close();
    }
}

impl<A: Actor> MailboxReceiver<A> {
    /// The next message; `Ready(None)` once the mailbox is closed and empty.
    ///
    /// Cancel safe: a message is either returned or stays queued. Each message counts
    /// against tokio's cooperative budget, as a tokio channel's would, so an actor that
    /// never runs out of messages still lets other tasks run.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Envelope<A>>> {
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        if self.batch.is_empty() {
            // One lock, whatever it finds: messages to take, a closed mailbox, or nothing,
            // in which case the waker goes in under the same lock the senders look in.
            let mut state = self.shared.lock();
            if state.queue.is_empty() {
                if state.closed {
                    return Poll::Ready(None);
                }
                state.register_receiver(cx.waker());
                return Poll::Pending;
            }
            // The batch is empty and keeps its buffer: swapping lends it to the senders.
            std::mem::swap(&mut state.queue, &mut self.batch);
        }
        budget.made_progress();
        Poll::Ready(self.hand_out())
    }

    /// The next queued message, without waiting; `None` if there is none right now.
    pub(crate) fn try_recv(&mut self) -> Option<Envelope<A>> {
        if self.batch.is_empty() {
            let mut state = self.shared.lock();
            if state.queue.is_empty() {
                return None;
            }
            std::mem::swap(&mut state.queue, &mut self.batch);
        }
        self.hand_out()
    }

    /// Takes the oldest message of the batch, and frees its place in the mailbox.
    fn hand_out(&mut self) -> Option<Envelope<A>> {
        let envelope = self.batch.pop_front()?;
        if let Some(capacity) = self.shared.capacity {
            let left = self.shared.len.fetch_sub(1, Ordering::SeqCst) - 1;
            // Blocked senders are woken once half the mailbox is free rather than at every
            // free slot, so that they refill it in runs instead of one wake-up per message.
            if left <= capacity / 2 && self.shared.senders_waiting.load(Ordering::SeqCst) {
                self.wake_senders();
            }
        }
        Some(envelope)
    }

    fn wake_senders(&mut self) {
        let mut state = self.shared.lock();
        self.shared.senders_waiting.store(false, Ordering::SeqCst);
        std::mem::swap(&mut state.blocked, &mut self.to_wake);
        drop(state);
        for waker in self.to_wake.drain(..) {
            waker.wake();
        }
    }

    /// Refuses new messages; those already queued can still be received. Senders waiting
    /// for space are woken to learn that the mailbox closed.
    pub(crate) fn close(&mut self) {
        self.shared.close();
    }
}

impl<A: Actor> Drop for MailboxReceiver<A> {
    /// Closes the mailbox and drops what it still holds, so that every pending ask learns
    /// at once that its message will not be handled (its reply slot drops with it).
    fn drop(&mut self) {
        self.close();
        let queued = std::mem::take(&mut self.shared.lock().queue);
        drop(queued);
    }
}
