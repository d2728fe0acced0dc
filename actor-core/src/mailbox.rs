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
//! Senders that find it full wait in line and are served oldest first, as by tokio's
//! semaphore; each knows its place by a ticket kept in its own future, so waiting
//! allocates nothing, and a sender that gives up takes itself out of the line.

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
    /// Places taken: messages sent and not yet handed to the actor (queued or in its
    /// batch), plus places given to waiting senders that have not filled them yet. Raised
    /// under the lock, lowered by the actor without it.
    len: AtomicUsize,
    /// Whether a sender waits in line for a place (`State::has_unserved`), kept under the
    /// lock so that the actor, which frees places without the lock, knows it has someone
    /// to serve.
    senders_waiting: AtomicBool,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Refusing new messages.
    closed: bool,
    /// Closed to senders only (by a system shutdown): the actor still receives what is
    /// queued and waits for its stop signal, until it closes the mailbox itself.
    receiving: bool,
    /// The actor's waker, set only when it found the queue empty: the first message after
    /// that wakes it, the others find it already awake.
    receiver: Option<Waker>,
    /// Senders waiting for space, oldest first, as in tokio's semaphore. The first
    /// `granted` of them were given a place (counted in `len`) and woken to fill it; the
    /// others wait their turn, and while one does, no newcomer (not even a `try_send`)
    /// takes a place ahead of it. A sender that gives up takes itself out of the line
    /// (`cancel`), handing on a place it was given.
    waiters: VecDeque<Waiter>,
    granted: usize,
    /// The ticket of the next sender to get in line; tickets rise along the line, so a
    /// sender finds itself by binary search.
    next_ticket: u64,
}

/// A sender in line for a place in the mailbox.
struct Waiter {
    ticket: u64,
    waker: Waker,
}

impl<T: Send> ActorWaker for Shared<T> {
    fn register(&self, waker: &Waker) {
        let replaced = self.lock().register_receiver(waker);
        // Dropped unlocked: a waker's drop is a call into the runtime.
        drop(replaced);
    }

    fn wake(&self) {
        let receiver = self.lock().receiver.take();
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }

    fn close(&self, to_senders_only: bool) {
        self.close_with(to_senders_only);
        if !to_senders_only {
            // The actor learns of it even if it sleeps on an empty mailbox.
            ActorWaker::wake(self);
        }
    }
}

impl<T> State<T> {
    /// Sets the actor's waker, cloning it only when it is not the one already there, and
    /// returns the one it replaces, for the caller to drop once unlocked.
    #[must_use = "drop the replaced waker after the lock"]
    fn register_receiver(&mut self, waker: &Waker) -> Option<Waker> {
        match &mut self.receiver {
            Some(known) if known.will_wake(waker) => None,
            slot => slot.replace(waker.clone()),
        }
    }

    /// Whether a sender waits in line without a place given yet.
    fn has_unserved(&self) -> bool {
        self.waiters.len() > self.granted
    }

    /// Where the sender holding `ticket` stands in line, if it is still in it.
    fn position(&self, ticket: u64) -> Option<usize> {
        self.waiters
            .binary_search_by_key(&ticket, |waiter| waiter.ticket)
            .ok()
    }
}

impl<T> Shared<T> {
    /// Refuses new messages from now on, and wakes the senders waiting for space so that
    /// they get theirs back. Queued messages stay, for the actor to handle or drop.
    fn close(&self) {
        self.close_with(false);
    }

    /// With `keep_receiving`, refuses new messages and wakes the senders waiting for
    /// space, as `close` does, but the actor keeps receiving what is queued (and waiting
    /// when nothing is) until it closes the mailbox itself; a mailbox closed already stays
    /// as it is.
    fn close_with(&self, keep_receiving: bool) {
        let mut state = self.lock();
        if keep_receiving && state.closed {
            return;
        }
        state.closed = true;
        state.receiving = keep_receiving;
        // The places given to senders in line go back: they will never be filled.
        self.len.fetch_sub(state.granted, Ordering::SeqCst);
        state.granted = 0;
        self.senders_waiting.store(false, Ordering::SeqCst);
        // No sender gets in line on a closed mailbox again, so the buffer is not needed.
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);
        for waiter in waiters {
            waiter.waker.wake();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No user code runs under this lock, so it cannot be poisoned by a user's panic;
        // recovering keeps a mailbox usable even so.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn capacity_left(&self, capacity: usize) -> bool {
        self.len.load(Ordering::SeqCst) < capacity
    }

    /// Queues `value` and wakes the actor if it sleeps; the place is already counted.
    #[inline]
    fn enqueue(&self, mut state: MutexGuard<'_, State<T>>, value: T) {
        state.queue.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }

    /// Enqueues `value` if a place is free and no sender waits in line for one.
    fn try_push(&self, value: T) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        if state.closed {
            return Err(TrySendError::Closed(value));
        }
        if let Some(capacity) = self.capacity {
            if state.has_unserved() || !self.capacity_left(capacity) {
                return Err(TrySendError::Full(value));
            }
            self.len.fetch_add(1, Ordering::SeqCst);
        }
        self.enqueue(state, value);
        Ok(())
    }

    /// Enqueues `value` if a place is free, or was given to this sender, and no one is
    /// ahead of it in line; otherwise puts it in line (or keeps it there), with `ticket`
    /// to know it by, to be woken when its turn comes, and hands `value` back as `Full`.
    ///
    /// The caller keeps `ticket` between calls and, if it gives up while holding one,
    /// passes it to [`cancel`](Self::cancel).
    #[inline]
    fn poll_push(
        &self,
        value: T,
        waker: &Waker,
        ticket: &mut Option<u64>,
    ) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        // The fast path, every send to a mailbox that is not full: a sender not in line
        // takes a free place when no one waits for one. Kept small, to be inlined.
        if ticket.is_none() && !state.closed {
            match self.capacity {
                None => {
                    self.enqueue(state, value);
                    return Ok(());
                }
                Some(capacity) if !state.has_unserved() && self.capacity_left(capacity) => {
                    self.len.fetch_add(1, Ordering::SeqCst);
                    self.enqueue(state, value);
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        self.poll_push_slow(state, value, waker, ticket)
    }

    /// [`poll_push`](Self::poll_push) when the mailbox is closed or full, or the sender
    /// already holds a ticket: the line's bookkeeping.
    #[cold]
    #[inline(never)]
    fn poll_push_slow(
        &self,
        mut state: MutexGuard<'_, State<T>>,
        value: T,
        waker: &Waker,
        ticket: &mut Option<u64>,
    ) -> Result<(), TrySendError<T>> {
        if state.closed {
            // Closing emptied the line.
            *ticket = None;
            return Err(TrySendError::Closed(value));
        }
        let Some(capacity) = self.capacity else {
            // An unbounded mailbox has no line: the fast path took the send, unless the
            // mailbox was closed.
            self.enqueue(state, value);
            return Ok(());
        };
        // A sender not in line got here because the fast path found no free place for it
        // under this same lock: it gets in line, and takes a place freed since (below).
        let position = match ticket.and_then(|ticket| state.position(ticket)) {
            Some(position) => position,
            None => {
                let new_ticket = state.next_ticket;
                state.next_ticket += 1;
                state.waiters.push_back(Waiter {
                    ticket: new_ticket,
                    waker: waker.clone(),
                });
                *ticket = Some(new_ticket);
                // Store the flag, then look at the count again (below); the actor lowers
                // the count, then looks at the flag. With both `SeqCst`, one of the two
                // sees the other, so a sender never sleeps through the place it waits for.
                self.senders_waiting.store(true, Ordering::SeqCst);
                state.waiters.len() - 1
            }
        };
        if position < state.granted {
            // Given a place while it slept; the place is counted already.
            state.granted -= 1;
        } else if position == state.granted && self.capacity_left(capacity) {
            // First in line, and a place is free that nobody handed out: the actor holds
            // places back while it runs, or it freed this one before it saw the line.
            self.len.fetch_add(1, Ordering::SeqCst);
        } else {
            let waiter = &mut state.waiters[position];
            let replaced = if waiter.waker.will_wake(waker) {
                None
            } else {
                Some(std::mem::replace(&mut waiter.waker, waker.clone()))
            };
            // Wakers are dropped unlocked: a waker's drop is a call into the runtime.
            drop(state);
            drop(replaced);
            return Err(TrySendError::Full(value));
        }
        let served = state.waiters.remove(position);
        self.senders_waiting
            .store(state.has_unserved(), Ordering::SeqCst);
        *ticket = None;
        self.enqueue(state, value);
        drop(served);
        Ok(())
    }

    /// Takes the sender holding `ticket` out of the line; a place it was given goes to
    /// the next in line.
    #[cold]
    #[inline(never)]
    fn cancel(&self, ticket: u64) {
        let mut state = self.lock();
        // Not in line: it was served, or the mailbox closed.
        let Some(position) = state.position(ticket) else {
            return;
        };
        let removed = state.waiters.remove(position);
        let mut next = None;
        if position < state.granted {
            state.granted -= 1;
            self.len.fetch_sub(1, Ordering::SeqCst);
            next = self.serve_next(&mut state);
        }
        self.senders_waiting
            .store(state.has_unserved(), Ordering::SeqCst);
        drop(state);
        drop(removed);
        if let Some(next) = next {
            next.wake();
        }
    }

    /// Gives the free places to the senders in line, oldest first, and wakes them.
    ///
    /// One lock per sender served, each woken outside it: the actor keeps no buffer of
    /// wakers to wake in one go, as that buffer would sit in every idle actor's task, and
    /// there are seldom more than a few to serve.
    #[cold]
    #[inline(never)]
    fn serve_line(&self) {
        while self.senders_waiting.load(Ordering::SeqCst) {
            let mut state = self.lock();
            let next = self.serve_next(&mut state);
            self.senders_waiting
                .store(state.has_unserved(), Ordering::SeqCst);
            drop(state);
            match next {
                Some(waker) => waker.wake(),
                None => break,
            }
        }
    }

    /// Gives a free place to the first sender in line without one, and returns its waker
    /// to wake once the lock is released. The caller updates `senders_waiting`.
    fn serve_next(&self, state: &mut State<T>) -> Option<Waker> {
        let capacity = self.capacity?;
        if !state.has_unserved() || !self.capacity_left(capacity) {
            return None;
        }
        // Only the actor lowers the count without the lock, so the place checked above
        // is still free.
        self.len.fetch_add(1, Ordering::SeqCst);
        let waker = state.waiters[state.granted].waker.clone();
        state.granted += 1;
        Some(waker)
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
            receiving: false,
            receiver: None,
            waiters: VecDeque::new(),
            granted: 0,
            next_ticket: 0,
        }),
        capacity,
        len: AtomicUsize::new(0),
        senders_waiting: AtomicBool::new(false),
    });
    let receiver = MailboxReceiver {
        shared: Arc::clone(&shared),
        batch: VecDeque::new(),
    };
    (MailboxSender { shared }, receiver)
}

impl<A: Actor> MailboxSender<A> {
    pub(crate) fn try_send(&self, envelope: Envelope<A>) -> Result<(), TrySendError<Envelope<A>>> {
        self.shared.try_push(envelope)
    }

    /// The actor's waker slot, for its system lane to wake it through.
    pub(crate) fn actor_waker(&self) -> Arc<dyn ActorWaker> {
        Arc::clone(&self.shared) as Arc<dyn ActorWaker>
    }

    /// Closes the mailbox from outside, for a stop asked by someone other than the actor:
    /// sends from then on are refused at once, and senders waiting for space get their
    /// message back, instead of waiting until the actor reads the stop. The stop signal
    /// should be sent first, so that the actor, woken, finds the signal before the closed
    /// mailbox and stops the way the signal says.
    pub(crate) fn close(&self) {
        self.shared.close();
        // The actor learns of it even if it sleeps on an empty mailbox.
        self.shared.wake();
    }
}

/// A send in progress: the envelope until it is in the mailbox, and the sender's ticket
/// while it waits in line for a place. Dropped while in line, it leaves the line, so a
/// sender that gives up (a timed-out ask, a dropped tell) neither holds up the senders
/// behind it nor leaves its waker behind.
pub(crate) struct Sending<'a, A: Actor> {
    mailbox: &'a MailboxSender<A>,
    envelope: Option<Envelope<A>>,
    ticket: Option<u64>,
}

impl<'a, A: Actor> Sending<'a, A> {
    pub(crate) fn new(mailbox: &'a MailboxSender<A>, envelope: Envelope<A>) -> Self {
        Sending {
            mailbox,
            envelope: Some(envelope),
            ticket: None,
        }
    }

    /// `Ready(Ok(()))` once the envelope is in the mailbox; `Ready(Err(envelope))` if the
    /// mailbox is closed; `Pending` while it waits for a place, to be woken at its turn.
    ///
    /// Each send counts against tokio's cooperative budget, as a tokio channel's does, so a
    /// sender that never finds the mailbox full still yields.
    ///
    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    pub(crate) fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Envelope<A>>> {
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let envelope = self
            .envelope
            .take()
            .expect("a send polled after it completed");
        match self
            .mailbox
            .shared
            .poll_push(envelope, cx.waker(), &mut self.ticket)
        {
            Ok(()) => {
                budget.made_progress();
                Poll::Ready(Ok(()))
            }
            Err(TrySendError::Closed(envelope)) => Poll::Ready(Err(envelope)),
            Err(TrySendError::Full(envelope)) => {
                self.envelope = Some(envelope);
                Poll::Pending
            }
        }
    }

    /// Whether the envelope is in the mailbox (or was handed back).
    pub(crate) fn is_done(&self) -> bool {
        self.envelope.is_none()
    }

    /// Gives up: leaves the line and hands the envelope back, if it was not sent.
    pub(crate) fn abandon(mut self) -> Option<Envelope<A>> {
        self.envelope.take()
    }
}

impl<A: Actor> Drop for Sending<'_, A> {
    #[inline]
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.mailbox.shared.cancel(ticket);
        }
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
                if state.closed && !state.receiving {
                    return Poll::Ready(None);
                }
                let replaced = state.register_receiver(cx.waker());
                // Going idle: a burst bigger than a default mailbox, or a crowd of senders
                // in line, leaves no big buffers.
                shrink_when_idle(&mut state.queue);
                shrink_when_idle(&mut state.waiters);
                drop(state);
                drop(replaced);
                shrink_when_idle(&mut self.batch);
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
            // While the actor runs, senders in line are served once half the mailbox is
            // free rather than at every free place, so that they refill it in runs instead
            // of one wake-up per message. The places held back go to the line as soon as
            // the actor's task stops running (`SendersLine::serve_held_places`), so a
            // handler that waits on a sender to its own mailbox does not wait on them.
            if left <= capacity / 2 && self.shared.senders_waiting.load(Ordering::SeqCst) {
                self.shared.serve_line();
            }
        }
        Some(envelope)
    }

    /// A handle for the actor's task to give the senders in line the places held back.
    pub(crate) fn senders_line(&self) -> SendersLine<A> {
        SendersLine {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Refuses new messages; those already queued can still be received. Senders waiting
    /// for space are woken to learn that the mailbox closed.
    pub(crate) fn close(&mut self) {
        self.shared.close();
    }
}

/// The senders waiting for space in an actor's mailbox, as its task sees them from
/// outside the actor's own code.
///
/// While the actor handles message after message it hands out freed places in runs (see
/// `MailboxReceiver::hand_out`). Once its task stops running, for whatever it waits on, it
/// frees no more, so what it holds back goes to the line then: otherwise a handler that
/// asks someone who sends to this very mailbox would wait for a place that nobody may
/// take, a deadlock with free room.
pub(crate) struct SendersLine<A: Actor> {
    shared: Arc<Shared<Envelope<A>>>,
}

impl<A: Actor> SendersLine<A> {
    /// Gives every free place to the senders in line, oldest first. One atomic load when
    /// no one waits, which is every time the mailbox is not full.
    #[inline]
    pub(crate) fn serve_held_places(&self) {
        if self.shared.senders_waiting.load(Ordering::SeqCst) {
            self.shared.serve_line();
        }
    }
}

/// The most entries an idle actor's buffers keep room for: those of a default mailbox,
/// so that steady traffic through one never reallocates, while the memory left by a
/// bigger burst is given back once the actor has handled it.
const IDLE_BUFFER: usize = MailboxConfig::DEFAULT_CAPACITY;

fn shrink_when_idle<T>(buffer: &mut VecDeque<T>) {
    if buffer.capacity() > IDLE_BUFFER {
        buffer.shrink_to(IDLE_BUFFER);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BasicClient, Context as ActorContext};

    struct Sink;

    impl Actor for Sink {
        type Msg = u32;
        type Reply = ();
        type Client = BasicClient<Self>;

        async fn handle(&mut self, _msg: u32, _ctx: &mut ActorContext<Self>) {}
    }

    fn envelope(msg: u32) -> Envelope<Sink> {
        Envelope { msg, reply: None }
    }

    #[test]
    fn an_idle_actor_gives_back_the_memory_of_a_burst() {
        let (sender, mut receiver) = mailbox::<Sink>(MailboxConfig::unbounded());
        let mut cx = Context::from_waker(Waker::noop());
        // Two bursts, so that both buffers (the shared queue and the actor's batch) grew.
        for burst in 0..2 {
            for msg in 0..10_000 {
                sender.try_send(envelope(msg)).ok().unwrap();
            }
            let mut received = 0;
            while let Poll::Ready(Some(envelope)) = receiver.poll_recv(&mut cx) {
                assert_eq!(envelope.msg, received);
                received += 1;
            }
            assert_eq!(received, 10_000, "burst {burst}");
        }
        assert!(receiver.batch.capacity() <= IDLE_BUFFER);
        assert!(receiver.shared.lock().queue.capacity() <= IDLE_BUFFER);
    }

    #[test]
    fn an_idle_actor_keeps_the_buffers_of_a_default_mailbox() {
        let (sender, mut receiver) = mailbox::<Sink>(MailboxConfig::default());
        let mut cx = Context::from_waker(Waker::noop());
        for msg in 0..IDLE_BUFFER as u32 {
            sender.try_send(envelope(msg)).ok().unwrap();
        }
        while let Poll::Ready(Some(_)) = receiver.poll_recv(&mut cx) {}
        assert!(receiver.batch.capacity() >= IDLE_BUFFER);
    }

    #[test]
    fn closing_gives_back_the_places_granted_to_senders_in_line() {
        let (sender, mut receiver) = mailbox::<Sink>(MailboxConfig::bounded(1));
        let mut cx = Context::from_waker(Waker::noop());
        sender.try_send(envelope(0)).ok().unwrap();
        let mut waiting = Sending::new(&sender, envelope(1));
        assert!(waiting.poll_send(&mut cx).is_pending());
        // Taking the message frees the only place, which goes to the sender in line.
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert_eq!(receiver.shared.len.load(Ordering::SeqCst), 1);

        receiver.close();
        assert_eq!(receiver.shared.len.load(Ordering::SeqCst), 0);
        assert!(matches!(waiting.poll_send(&mut cx), Poll::Ready(Err(_))));
    }

    /// How one message of the stress test is sent.
    #[derive(Clone, Copy)]
    enum Attempt {
        TryOnce,
        PollOnceThenGiveUp,
        YieldOnceThenGiveUp,
        Await,
    }

    /// Sends `count` numbers tagged with `sender`, each in a way picked by a fixed pattern,
    /// and returns those that got in.
    async fn send_some_give_up_some(
        mailbox: Arc<MailboxSender<Sink>>,
        sender: u32,
        count: u32,
    ) -> Vec<u32> {
        let attempts = [
            Attempt::Await,
            Attempt::TryOnce,
            Attempt::Await,
            Attempt::PollOnceThenGiveUp,
            Attempt::Await,
            Attempt::YieldOnceThenGiveUp,
        ];
        let mut delivered = Vec::new();
        for seq in 0..count {
            let envelope = envelope(sender << 16 | seq);
            let attempt = attempts[(seq as usize * 7 + sender as usize) % attempts.len()];
            let got_in = match attempt {
                Attempt::TryOnce => mailbox.try_send(envelope).is_ok(),
                Attempt::Await => {
                    let mut sending = Sending::new(&mailbox, envelope);
                    std::future::poll_fn(|cx| sending.poll_send(cx))
                        .await
                        .is_ok()
                }
                Attempt::PollOnceThenGiveUp | Attempt::YieldOnceThenGiveUp => {
                    let mut sending = Sending::new(&mailbox, envelope);
                    let mut first = true;
                    std::future::poll_fn(|cx| match sending.poll_send(cx) {
                        // A yield: other tasks run, the actor may free a place, then the
                        // sender looks once more before it gives up, as a timeout would.
                        Poll::Pending
                            if first && matches!(attempt, Attempt::YieldOnceThenGiveUp) =>
                        {
                            first = false;
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                        Poll::Pending => Poll::Ready(false),
                        Poll::Ready(result) => Poll::Ready(result.is_ok()),
                    })
                    .await
                }
            };
            if got_in {
                delivered.push(seq);
            }
        }
        delivered
    }

    /// Senders that try, wait, or give up while in line, against an actor taking messages
    /// as fast as it can: every message that got in arrives once and in its sender's order,
    /// none that gave up arrives, and when all is handled no place stays taken.
    #[test]
    fn senders_giving_up_in_line_leave_the_count_exact() {
        const SENDERS: u32 = 4;
        const EACH: u32 = 300;
        const END: u32 = u32::MAX;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let mut gave_up = 0;
        for capacity in [1, 2, 3, 5, 8] {
            let run = async {
                let (sender, mut receiver) = mailbox::<Sink>(MailboxConfig::bounded(capacity));
                let sender = Arc::new(sender);
                let actor = tokio::spawn(async move {
                    let mut arrived = vec![Vec::new(); SENDERS as usize];
                    loop {
                        let next = std::future::poll_fn(|cx| receiver.poll_recv(cx)).await;
                        match next.expect("the mailbox closed").msg {
                            END => break,
                            msg => arrived[(msg >> 16) as usize].push(msg & 0xffff),
                        }
                    }
                    (receiver, arrived)
                });
                let senders: Vec<_> = (0..SENDERS)
                    .map(|id| tokio::spawn(send_some_give_up_some(Arc::clone(&sender), id, EACH)))
                    .collect();
                let mut delivered = Vec::new();
                for handle in senders {
                    delivered.push(handle.await.unwrap());
                }
                let mut end = Sending::new(&sender, envelope(END));
                std::future::poll_fn(|cx| end.poll_send(cx))
                    .await
                    .ok()
                    .unwrap();
                let (receiver, arrived) = actor.await.unwrap();

                assert_eq!(arrived, delivered, "capacity {capacity}");
                gave_up += SENDERS as usize * EACH as usize
                    - delivered.iter().map(Vec::len).sum::<usize>();
                let state = receiver.shared.lock();
                assert!(state.waiters.is_empty(), "capacity {capacity}");
                assert_eq!(state.granted, 0, "capacity {capacity}");
                assert_eq!(
                    receiver.shared.len.load(Ordering::SeqCst),
                    0,
                    "capacity {capacity}"
                );
                drop(state);
                assert!(sender.try_send(envelope(0)).is_ok(), "capacity {capacity}");
            };
            // A place lost for good would leave a sender waiting forever: fail instead.
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(60), run)
                    .await
                    .unwrap_or_else(|_| panic!("capacity {capacity}: a send or receive hung"));
            });
        }
        assert!(
            gave_up > 0,
            "no sender ever gave up, so the test proved nothing"
        );
    }
}
