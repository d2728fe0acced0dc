//! The user mailbox: a bounded (or unbounded) queue of one actor's messages, shared by
//! its senders and the actor, with the line of senders waiting for a permit. Generic over
//! what it carries, so that it knows nothing of actors. Its rules (M1 to M7) are in the
//! [module docs](super); each place that keeps one names it.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
#[cfg(test)]
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::error::TrySendError;
use crate::mailbox::lane::ActorWaker;
use crate::mailbox::sync::{
    seq_cst_store_load, AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering,
};
use crate::mailbox::MailboxConfig;

/// The part of a mailbox that senders and the actor share.
struct Shared<T> {
    state: Mutex<State<T>>,
    /// `None` for an unbounded mailbox, which then skips all counting. Non-zero, so
    /// that the `Option` takes no word of its own in every actor's cell.
    capacity: Option<NonZeroUsize>,
    /// Permits taken (M1): messages sent and not yet handed to the actor (queued or in its
    /// batch), plus permits assigned to waiting senders that have not used them yet.
    /// Raised under the lock, lowered by the actor without it.
    permits_taken: AtomicUsize,
    /// Whether a sender waits without a permit (`State::has_unassigned`), written under the
    /// lock so that the actor, which frees permits without the lock, knows it has someone
    /// to grant one to (M3).
    has_waiters: AtomicBool,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Refusing new messages.
    closed: bool,
    /// Closed to senders only (by a system shutdown): the actor still receives what is
    /// queued and waits for its stop signal, until it closes the mailbox itself.
    receiving: bool,
    /// The actor's waker, set only when it found the queue empty (M7).
    receiver: Option<Waker>,
    /// Senders waiting for a permit, oldest first, as in tokio's semaphore (M2): the first
    /// `assigned` of them were given one (counted in `permits_taken`) and woken to use it.
    waiters: Line,
    assigned: usize,
    /// The key of the next sender to join the waiters; keys rise along the line, so a
    /// sender finds itself by binary search.
    next_key: u64,
}

/// A sender waiting for a permit.
struct Waiter {
    key: u64,
    waker: Waker,
}

/// The senders waiting for a permit, oldest first: boxed when the first one joins and
/// dropped when the actor goes idle with none left, as most mailboxes never see one, and
/// an empty `VecDeque` is four words in every actor's cell. Reads see an empty line when
/// there is none.
#[derive(Default)]
#[allow(
    clippy::box_collection,
    reason = "the box is the point: one word in the cell while no one waits"
)]
struct Line(Option<Box<VecDeque<Waiter>>>);

/// The line of a mailbox no sender ever waited at.
const NO_LINE: &VecDeque<Waiter> = &VecDeque::new();

impl std::ops::Deref for Line {
    type Target = VecDeque<Waiter>;

    fn deref(&self) -> &VecDeque<Waiter> {
        self.0.as_deref().unwrap_or(NO_LINE)
    }
}

impl std::ops::DerefMut for Line {
    fn deref_mut(&mut self) -> &mut VecDeque<Waiter> {
        self.0.get_or_insert_with(Box::default)
    }
}

impl IntoIterator for Line {
    type Item = Waiter;
    type IntoIter = std::iter::Flatten<std::option::IntoIter<VecDeque<Waiter>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.map(|line| *line).into_iter().flatten()
    }
}

impl Line {
    /// Gives the room back once no one waits, as the actor goes idle.
    fn shrink_when_idle(&mut self) {
        match &mut self.0 {
            Some(line) if line.is_empty() => self.0 = None,
            Some(line) => shrink_when_idle(line),
            None => {}
        }
    }
}

/// What a sender that went to the line's bookkeeping got.
enum Turn<'a, T> {
    /// A permit is taken for it (none for an unbounded mailbox): it pushes under this lock,
    /// then drops the waiter entry it was served from, if any, unlocked (its waker).
    Permit(MutexGuard<'a, State<T>>, Option<Waiter>),
    /// The mailbox is closed.
    Closed,
    /// It waits in line, to be woken at its turn.
    Full,
}

impl<T: Send> ActorWaker for MailboxSender<T> {
    fn register(&self, waker: &Waker) {
        let replaced = self.shared.lock().register_receiver(waker);
        // Dropped unlocked: a waker's drop is a call into the runtime.
        drop(replaced);
    }

    fn wake(&self) {
        self.shared.wake();
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

    /// Whether a sender waits without a permit assigned yet.
    fn has_unassigned(&self) -> bool {
        self.waiters.len() > self.assigned
    }

    /// Where the sender holding `key` stands among the waiters, if it is still one.
    fn position(&self, key: u64) -> Option<usize> {
        self.waiters
            .binary_search_by_key(&key, |waiter| waiter.key)
            .ok()
    }
}

impl<T> Shared<T> {
    /// Refuses new messages from now on, and wakes the waiting senders so that they get
    /// theirs back. Queued messages stay, for the actor to handle or drop.
    fn close(&self) {
        self.close_with(false, false);
    }

    /// With `keep_receiving`, refuses new messages and wakes the waiting senders, as
    /// `close` does, but the actor keeps receiving what is queued (and waiting when
    /// nothing is) until it closes the mailbox itself (M6). With `wake_actor`, the actor
    /// is woken too, in the same lock, so that it learns of it even if it sleeps on an
    /// empty mailbox. A mailbox closed already (as far as `keep_receiving` asks) stays
    /// as it is, and returns at once: a stop closes it from outside, then the actor
    /// closes it again on its way out, and its receiver once more when dropped.
    fn close_with(&self, keep_receiving: bool, wake_actor: bool) {
        let mut state = self.lock();
        if state.closed && (keep_receiving || !state.receiving) {
            return;
        }
        state.closed = true;
        state.receiving = keep_receiving;
        // The permits assigned to waiters go back: they will never be used.
        let before = self
            .permits_taken
            .fetch_sub(state.assigned, Ordering::SeqCst);
        debug_assert!(
            before >= state.assigned,
            "M1: more permits assigned than taken"
        );
        state.assigned = 0;
        self.has_waiters.store(false, Ordering::SeqCst);
        // No sender waits on a closed mailbox again, so the buffer is not needed.
        let waiters = std::mem::take(&mut state.waiters);
        let receiver = if wake_actor {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        for waiter in waiters {
            waiter.waker.wake();
        }
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }

    /// How many messages it holds at most; `None` if it is unbounded.
    #[inline]
    fn capacity(&self) -> Option<usize> {
        self.capacity.map(NonZeroUsize::get)
    }

    /// Wakes the actor, if it waits.
    fn wake(&self) {
        let receiver = self.lock().receiver.take();
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No user code runs under this lock, so it cannot be poisoned by a user's panic;
        // recovering keeps a mailbox usable even so.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn permit_available(&self, capacity: usize) -> bool {
        self.permits_taken.load(Ordering::SeqCst) < capacity
    }

    /// Takes a permit that [`permit_available`](Self::permit_available) just found free,
    /// under the lock.
    #[inline]
    fn take_permit(&self, capacity: usize) {
        let before = self.permits_taken.fetch_add(1, Ordering::SeqCst);
        // Only the lock holder raises the count, and the actor only lowers it (M1).
        debug_assert!(before < capacity, "M1: a permit taken beyond the capacity");
    }

    /// Writes `has_waiters` from the line, under the lock (M3).
    fn update_has_waiters(&self, state: &State<T>) {
        debug_assert!(
            state.assigned <= state.waiters.len(),
            "M2: more permits assigned than senders waiting"
        );
        self.has_waiters
            .store(state.has_unassigned(), Ordering::SeqCst);
    }

    /// Queues `value` and wakes the actor if it sleeps; the permit is already taken (M7).
    #[inline]
    fn enqueue(&self, mut state: MutexGuard<'_, State<T>>, value: T) {
        state.queue.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }

    /// Enqueues `value` if a permit is free and no sender waits for one (M2).
    fn try_push(&self, value: T) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        if state.closed {
            return Err(TrySendError::Closed(value));
        }
        if let Some(capacity) = self.capacity() {
            if state.has_unassigned() || !self.permit_available(capacity) {
                return Err(TrySendError::Full(value));
            }
            self.take_permit(capacity);
        }
        self.enqueue(state, value);
        Ok(())
    }

    /// Enqueues `value` if a permit is free, or was assigned to this sender, and no one
    /// waits ahead of it; otherwise makes it a waiter (or keeps it one), with `key` to know
    /// it by, to be woken when its turn comes, and hands `value` back as `Full`.
    ///
    /// The caller keeps `key` between calls and, if it gives up while holding one, passes
    /// it to [`cancel`](Self::cancel).
    #[inline]
    fn poll_push(
        &self,
        value: T,
        waker: &Waker,
        key: &mut Option<u64>,
    ) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        // The fast path, every send to a mailbox that is not full: a sender that is not
        // waiting takes a free permit when no one waits for one. Kept small, to be inlined.
        if key.is_none() && !state.closed {
            match self.capacity() {
                None => {
                    self.enqueue(state, value);
                    return Ok(());
                }
                Some(capacity) if !state.has_unassigned() && self.permit_available(capacity) => {
                    self.take_permit(capacity);
                    self.enqueue(state, value);
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        self.poll_push_slow(state, value, waker, key)
    }

    /// [`poll_push`](Self::poll_push) when the mailbox is closed or full, or the sender
    /// already waits: the line's bookkeeping.
    #[cold]
    #[inline(never)]
    fn poll_push_slow(
        &self,
        state: MutexGuard<'_, State<T>>,
        value: T,
        waker: &Waker,
        key: &mut Option<u64>,
    ) -> Result<(), TrySendError<T>> {
        match self.wait_for_permit(state, waker, key) {
            Turn::Permit(state, served) => {
                self.enqueue(state, value);
                drop(served);
                Ok(())
            }
            Turn::Closed => Err(TrySendError::Closed(value)),
            Turn::Full => Err(TrySendError::Full(value)),
        }
    }

    /// The line's bookkeeping for a sender that found the mailbox closed or full, or that
    /// already waits: takes a permit for it if its turn has come, or makes it a waiter (or
    /// keeps it one) with `key` to know it by, to be woken when its turn comes.
    ///
    /// Inlined into each caller, so that a send's slow path stays one function as it was
    /// before reservations shared it.
    #[inline(always)]
    fn wait_for_permit<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<T>>,
        waker: &Waker,
        key: &mut Option<u64>,
    ) -> Turn<'a, T> {
        if state.closed {
            // Closing emptied the line (M6).
            *key = None;
            return Turn::Closed;
        }
        let Some(capacity) = self.capacity() else {
            // An unbounded mailbox has no waiters: the fast path took the send, unless the
            // mailbox was closed.
            return Turn::Permit(state, None);
        };
        // A sender that is not waiting got here because the fast path found no free permit
        // for it under this same lock: it joins the waiters, and takes a permit freed
        // since (below).
        let position = match key.and_then(|key| state.position(key)) {
            Some(position) => position,
            None => {
                let new_key = state.next_key;
                state.next_key += 1;
                debug_assert!(
                    state.waiters.back().is_none_or(|last| last.key < new_key),
                    "M2: keys rise along the line"
                );
                state.waiters.push_back(Waiter {
                    key: new_key,
                    waker: waker.clone(),
                });
                *key = Some(new_key);
                // Store the flag, then look at the count again (below); the actor lowers
                // the count, then looks at the flag (M3).
                self.has_waiters.store(true, Ordering::SeqCst);
                seq_cst_store_load();
                state.waiters.len() - 1
            }
        };
        if position < state.assigned {
            // Assigned a permit while it slept; the permit is taken already.
            state.assigned -= 1;
        } else if position == state.assigned && self.permit_available(capacity) {
            // First without a permit, and one is free that nobody assigned: the actor holds
            // permits back while it runs (M4), or it freed this one before it saw the line.
            self.take_permit(capacity);
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
            return Turn::Full;
        }
        let served = state.waiters.remove(position);
        self.update_has_waiters(&state);
        *key = None;
        Turn::Permit(state, served)
    }

    /// Takes a permit for a message that does not exist yet, if one is free, or was
    /// assigned to this sender, and no one waits ahead of it; otherwise makes it a waiter,
    /// as [`poll_push`](Self::poll_push) does. An unbounded mailbox only checks that it is
    /// open. The caller then [`push_reserved`](Self::push_reserved) or
    /// [`release_reserved`](Self::release_reserved) the permit (M1).
    fn poll_reserve(&self, waker: &Waker, key: &mut Option<u64>) -> Result<(), TrySendError<()>> {
        let state = self.lock();
        if key.is_none() && !state.closed {
            match self.capacity() {
                None => return Ok(()),
                Some(capacity) if !state.has_unassigned() && self.permit_available(capacity) => {
                    self.take_permit(capacity);
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        match self.wait_for_permit(state, waker, key) {
            Turn::Permit(state, served) => {
                drop(state);
                drop(served);
                Ok(())
            }
            Turn::Closed => Err(TrySendError::Closed(())),
            Turn::Full => Err(TrySendError::Full(())),
        }
    }

    /// Takes a permit for a message that does not exist yet if one is free and no sender
    /// waits for one (M2), as [`try_push`](Self::try_push) would for a message.
    fn try_reserve(&self) -> Result<(), TrySendError<()>> {
        let state = self.lock();
        if state.closed {
            return Err(TrySendError::Closed(()));
        }
        if let Some(capacity) = self.capacity() {
            if state.has_unassigned() || !self.permit_available(capacity) {
                return Err(TrySendError::Full(()));
            }
            self.take_permit(capacity);
        }
        Ok(())
    }

    /// Queues `value` under a permit reserved for it; if the mailbox closed since, gives
    /// the permit back (M1) and hands `value` back.
    fn push_reserved(&self, value: T) -> Result<(), T> {
        let state = self.lock();
        if state.closed {
            if self.capacity().is_some() {
                let before = self.permits_taken.fetch_sub(1, Ordering::SeqCst);
                debug_assert!(before >= 1, "M1: a reserved permit that was not taken");
            }
            return Err(value);
        }
        self.enqueue(state, value);
        Ok(())
    }

    /// Gives back a permit reserved and not used; it goes to the next waiter without one,
    /// as the permit of a waiter that gives up does (M5).
    fn release_reserved(&self) {
        if self.capacity().is_none() {
            return;
        }
        let mut state = self.lock();
        let before = self.permits_taken.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(before >= 1, "M1: a reserved permit that was not taken");
        let next = self.grant_next(&mut state);
        self.update_has_waiters(&state);
        drop(state);
        if let Some(next) = next {
            next.wake();
        }
    }

    /// Takes the sender holding `key` out of the line; a permit assigned to it goes to the
    /// next waiter (M5).
    #[cold]
    #[inline(never)]
    fn cancel(&self, key: u64) {
        let mut state = self.lock();
        // Not waiting: it was served, or the mailbox closed.
        let Some(position) = state.position(key) else {
            return;
        };
        let removed = state.waiters.remove(position);
        let mut next = None;
        if position < state.assigned {
            state.assigned -= 1;
            self.permits_taken.fetch_sub(1, Ordering::SeqCst);
            next = self.grant_next(&mut state);
        }
        self.update_has_waiters(&state);
        drop(state);
        drop(removed);
        if let Some(next) = next {
            next.wake();
        }
    }

    /// Grants the free permits to any waiters: one atomic load when no one waits, which is
    /// every time the mailbox is not full.
    #[inline]
    fn grant_waiters_if_any(&self) {
        if self.has_waiters.load(Ordering::SeqCst) {
            self.grant_waiters();
        }
    }

    /// Grants the free permits to the waiters, oldest first, and wakes them.
    ///
    /// One lock per waiter, each woken outside it: the actor keeps no buffer of wakers to
    /// wake in one go, as that buffer would sit in every idle actor's task, and there are
    /// seldom more than a few to wake.
    #[cold]
    #[inline(never)]
    fn grant_waiters(&self) {
        while self.has_waiters.load(Ordering::SeqCst) {
            let mut state = self.lock();
            let next = self.grant_next(&mut state);
            self.update_has_waiters(&state);
            drop(state);
            match next {
                Some(waker) => waker.wake(),
                None => break,
            }
        }
    }

    /// Assigns a free permit to the first waiter without one, and returns its waker to wake
    /// once the lock is released. The caller updates `has_waiters`.
    fn grant_next(&self, state: &mut State<T>) -> Option<Waker> {
        let capacity = self.capacity()?;
        if !state.has_unassigned() || !self.permit_available(capacity) {
            return None;
        }
        // Only the actor lowers the count without the lock, so the permit checked above is
        // still free.
        self.take_permit(capacity);
        let waker = state.waiters[state.assigned].waker.clone();
        state.assigned += 1;
        Some(waker)
    }
}

/// A mailbox, as its senders see it: the queue and the line of waiting senders. Not
/// behind an `Arc` of its own: the actor's cell holds it inline, so that a spawn
/// allocates one block for the cell, its mailbox and its lane together, and every ref
/// reaches it there.
pub(crate) struct MailboxSender<T> {
    shared: Shared<T>,
}

/// Where the actor's side of a mailbox finds it: a shared pointer to what holds the
/// mailbox (the actor's cell), cloned for the [`HeldPermits`] of its task.
pub(crate) trait MailboxHost: Clone {
    /// What the mailbox carries.
    type Item;
    /// The mailbox.
    fn mailbox(&self) -> &MailboxSender<Self::Item>;
}

/// A mailbox on its own, for the tests of this module.
#[cfg(test)]
impl<T> MailboxHost for Arc<MailboxSender<T>> {
    type Item = T;

    fn mailbox(&self) -> &MailboxSender<T> {
        self
    }
}

/// The actor's side of its mailbox: the shared queue (reached through `H`, what holds
/// it) and the batch it took from it.
pub(crate) struct MailboxReceiver<H: MailboxHost> {
    host: H,
    /// Messages taken from the queue in one swap and not yet handed out, oldest first.
    batch: VecDeque<H::Item>,
}

/// A mailbox of its own and its actor's side, for the tests of this module.
#[cfg(test)]
pub(crate) fn channel<T: Send + 'static>(
    config: MailboxConfig,
) -> (
    Arc<MailboxSender<T>>,
    MailboxReceiver<Arc<MailboxSender<T>>>,
) {
    let mailbox = Arc::new(MailboxSender::new(config));
    (Arc::clone(&mailbox), MailboxReceiver::new(mailbox))
}

impl<T> MailboxSender<T> {
    /// An empty mailbox configured by `config`; it allocates nothing until a message is
    /// queued.
    pub(crate) fn new(config: MailboxConfig) -> Self {
        let capacity = match config {
            MailboxConfig::Bounded(capacity) => NonZeroUsize::new(capacity.max(1)),
            MailboxConfig::Unbounded => None,
        };
        MailboxSender {
            shared: Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    closed: false,
                    receiving: false,
                    receiver: None,
                    waiters: Line::default(),
                    assigned: 0,
                    next_key: 0,
                }),
                capacity,
                permits_taken: AtomicUsize::new(0),
                has_waiters: AtomicBool::new(false),
            },
        }
    }
}

impl<T: Send + 'static> MailboxSender<T> {
    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.shared.try_push(value)
    }

    /// How many messages the mailbox holds at most; `None` if it is unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        self.shared.capacity()
    }

    /// About how many messages wait for the actor: for a bounded mailbox, the permits taken
    /// (messages queued or in the batch the actor took, not yet handled); for an unbounded
    /// one, those still queued. One atomic load when bounded. A smallest-mailbox router
    /// reads it; it is stale as soon as it is read.
    pub(crate) fn len(&self) -> usize {
        match self.shared.capacity() {
            Some(_) => self.shared.permits_taken.load(Ordering::Relaxed),
            None => self.shared.lock().queue.len(),
        }
    }

    /// Closes the mailbox from outside, for a stop asked by someone other than the actor:
    /// sends from then on are refused at once, and waiting senders get their message back,
    /// instead of waiting until the actor reads the stop. The stop signal should be sent
    /// first, so that the actor, woken, finds the signal before the closed mailbox and
    /// stops the way the signal says.
    pub(crate) fn close(&self) {
        // The actor learns of it even if it sleeps on an empty mailbox.
        self.shared.close_with(false, true);
    }

    /// Closes the mailbox for a system shutdown. With `to_senders_only`, the actor does
    /// not learn of it and still receives what is queued, until it closes the mailbox
    /// itself on its way out (M6).
    pub(crate) fn close_for_shutdown(&self, to_senders_only: bool) {
        self.shared.close_with(to_senders_only, !to_senders_only);
    }
}

/// A send in progress, owned by whoever sends: the message until it is in the mailbox, and
/// the sender's key while it waits for a permit. It does not borrow the mailbox, so that a
/// request can own its send and be `'static`; every call names the mailbox instead, and
/// the owner calls [`leave`](Self::leave) when it gives up (M5).
pub(crate) struct SendSlot<T> {
    value: Option<T>,
    key: Option<u64>,
}

impl<T> SendSlot<T> {
    pub(crate) fn new(value: T) -> Self {
        SendSlot {
            value: Some(value),
            key: None,
        }
    }

    /// `Ready(Ok(()))` once the message is in `mailbox`; `Ready(Err(message))` if it is
    /// closed; `Pending` while it waits for a permit, to be woken at its turn.
    ///
    /// Each send counts against tokio's cooperative budget, as a tokio channel's does, so a
    /// sender that never finds the mailbox full still yields.
    ///
    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    #[inline]
    pub(crate) fn poll_send(
        &mut self,
        mailbox: &MailboxSender<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), T>> {
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let value = self.value.take().expect("a send polled after it completed");
        match mailbox.shared.poll_push(value, cx.waker(), &mut self.key) {
            Ok(()) => {
                budget.made_progress();
                Poll::Ready(Ok(()))
            }
            Err(TrySendError::Closed(value)) => Poll::Ready(Err(value)),
            Err(TrySendError::Full(value)) => {
                self.value = Some(value);
                Poll::Pending
            }
        }
    }

    /// Whether the message is in the mailbox (or was handed back).
    pub(crate) fn is_done(&self) -> bool {
        self.value.is_none()
    }

    /// Hands the message back from a slot that never waited in a line: a router's send
    /// that found no routee to send to.
    pub(crate) fn take(&mut self) -> Option<T> {
        debug_assert!(
            self.key.is_none(),
            "a slot in a line is left with `abandon`"
        );
        self.value.take()
    }

    /// Gives up: leaves `mailbox`'s line and hands the message back, if it was not sent.
    pub(crate) fn abandon(&mut self, mailbox: &MailboxSender<T>) -> Option<T> {
        self.leave(mailbox);
        self.value.take()
    }

    /// Leaves `mailbox`'s line, if it waits in it: the owner's `Drop` calls this, so that a
    /// sender that gives up (a timed-out ask, a dropped tell) neither holds up the senders
    /// behind it nor leaves its waker behind (M5).
    #[inline]
    pub(crate) fn leave(&mut self, mailbox: &MailboxSender<T>) {
        if let Some(key) = self.key.take() {
            mailbox.shared.cancel(key);
        }
    }
}

/// A place in a mailbox taken before the message that fills it exists: a permit, or the
/// sender's key while it waits for one. For a sender that builds the message from
/// something else only once there is room (a typed adapter), so that a full or closed
/// mailbox hands back what it was given, not the message built from it.
///
/// Like a [`SendSlot`] it names its mailbox at every call, and its owner calls
/// [`leave`](Self::leave) when it gives up, which also gives back a permit it holds.
#[derive(Debug, Default)]
pub(crate) struct PermitSlot {
    key: Option<u64>,
    /// A permit is taken for this sender (counted in `permits_taken`, M1), or, for an
    /// unbounded mailbox, the mailbox was open when it looked.
    held: bool,
}

impl PermitSlot {
    /// `Ready(Ok(()))` once a permit is held; `Ready(Err(()))` if the mailbox is closed;
    /// `Pending` while it waits in line, to be woken at its turn. Counts against tokio's
    /// cooperative budget, as a send does.
    pub(crate) fn poll_reserve<T>(
        &mut self,
        mailbox: &MailboxSender<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        if self.held {
            return Poll::Ready(Ok(()));
        }
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        match mailbox.shared.poll_reserve(cx.waker(), &mut self.key) {
            Ok(()) => {
                budget.made_progress();
                self.held = true;
                Poll::Ready(Ok(()))
            }
            Err(TrySendError::Closed(())) => Poll::Ready(Err(())),
            Err(TrySendError::Full(())) => Poll::Pending,
        }
    }

    /// Takes a permit without waiting.
    pub(crate) fn try_reserve<T>(
        &mut self,
        mailbox: &MailboxSender<T>,
    ) -> Result<(), TrySendError<()>> {
        if !self.held {
            mailbox.shared.try_reserve()?;
            self.held = true;
        }
        Ok(())
    }

    /// Queues `value` under the permit held; hands it back if the mailbox closed since
    /// the permit was taken, or if no permit is held.
    pub(crate) fn send<T>(&mut self, mailbox: &MailboxSender<T>, value: T) -> Result<(), T> {
        if !std::mem::take(&mut self.held) {
            return Err(value);
        }
        mailbox.shared.push_reserved(value)
    }

    /// Leaves `mailbox`'s line if it waits in it, and gives back the permit it holds, if
    /// any (M5): the owner's `Drop` calls this.
    pub(crate) fn leave<T>(&mut self, mailbox: &MailboxSender<T>) {
        if let Some(key) = self.key.take() {
            mailbox.shared.cancel(key);
        }
        if std::mem::take(&mut self.held) {
            mailbox.shared.release_reserved();
        }
    }
}

/// A [`SendSlot`] that borrows its mailbox and leaves the line when dropped.
#[cfg(any(test, loom))]
pub(crate) struct Sending<'a, T> {
    mailbox: &'a MailboxSender<T>,
    slot: SendSlot<T>,
}

#[cfg(any(test, loom))]
impl<'a, T> Sending<'a, T> {
    pub(crate) fn new(mailbox: &'a MailboxSender<T>, value: T) -> Self {
        Sending {
            mailbox,
            slot: SendSlot::new(value),
        }
    }

    /// See [`SendSlot::poll_send`].
    pub(crate) fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), T>> {
        self.slot.poll_send(self.mailbox, cx)
    }
}

#[cfg(any(test, loom))]
impl<T> Drop for Sending<'_, T> {
    fn drop(&mut self) {
        self.slot.leave(self.mailbox);
    }
}

impl<H: MailboxHost> MailboxReceiver<H> {
    /// The actor's side of the mailbox that `host` holds.
    pub(crate) fn new(host: H) -> Self {
        MailboxReceiver {
            host,
            batch: VecDeque::new(),
        }
    }

    /// The next message; `Ready(None)` once the mailbox is closed and empty.
    ///
    /// Cancel safe: a message is either returned or stays queued. Each message counts
    /// against tokio's cooperative budget, as a tokio channel's would, so an actor that
    /// never runs out of messages still lets other tasks run.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<H::Item>> {
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        if self.batch.is_empty() {
            // One lock, whatever it finds: messages to take, a closed mailbox, or nothing,
            // in which case the waker goes in under the same lock the senders look in (M7).
            let mut state = self.host.mailbox().shared.lock();
            if state.queue.is_empty() {
                if state.closed && !state.receiving {
                    return Poll::Ready(None);
                }
                let replaced = state.register_receiver(cx.waker());
                // Going idle: a burst bigger than a default mailbox, or a crowd of waiting
                // senders, leaves no big buffers.
                shrink_when_idle(&mut state.queue);
                state.waiters.shrink_when_idle();
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
    pub(crate) fn try_recv(&mut self) -> Option<H::Item> {
        if self.batch.is_empty() {
            let mut state = self.host.mailbox().shared.lock();
            if state.queue.is_empty() {
                return None;
            }
            std::mem::swap(&mut state.queue, &mut self.batch);
        }
        self.hand_out()
    }

    /// Takes the oldest message of the batch, and frees its permit.
    fn hand_out(&mut self) -> Option<H::Item> {
        let value = self.batch.pop_front()?;
        if let Some(capacity) = self.host.mailbox().shared.capacity() {
            let before = self
                .host
                .mailbox()
                .shared
                .permits_taken
                .fetch_sub(1, Ordering::SeqCst);
            debug_assert!(before >= 1, "M1: a message handed out without its permit");
            // Lower the count, then look at the flag (M3).
            seq_cst_store_load();
            let left = before - 1;
            // While the actor runs, waiters get permits once half the mailbox is free
            // rather than at every free permit, so that they refill it in runs instead of
            // one wake-up per message (M4). The permits held back go to them as soon as
            // the actor's task stops running (`HeldPermits::release`), so a handler that
            // waits on a sender to its own mailbox does not wait on them.
            if left <= capacity / 2 {
                self.host.mailbox().shared.grant_waiters_if_any();
            }
        }
        Some(value)
    }

    /// A handle for the actor's task to release the permits held back to the waiters.
    pub(crate) fn held_permits(&self) -> HeldPermits<H> {
        HeldPermits {
            host: self.host.clone(),
        }
    }

    /// Refuses new messages; those already queued can still be received. Waiting senders
    /// are woken to learn that the mailbox closed.
    pub(crate) fn close(&mut self) {
        self.host.mailbox().shared.close();
    }
}

/// The counts of the capacity protocol, as a model test checks them once its threads
/// are done.
#[cfg(all(test, loom))]
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) permits_taken: usize,
    pub(super) waiting: usize,
    pub(super) assigned: usize,
    pub(super) has_waiters: bool,
}

#[cfg(all(test, loom))]
impl<H: MailboxHost> MailboxReceiver<H> {
    pub(super) fn counts(&self) -> Counts {
        let state = self.host.mailbox().shared.lock();
        Counts {
            permits_taken: self
                .host
                .mailbox()
                .shared
                .permits_taken
                .load(Ordering::SeqCst),
            waiting: state.waiters.len(),
            assigned: state.assigned,
            has_waiters: self
                .host
                .mailbox()
                .shared
                .has_waiters
                .load(Ordering::SeqCst),
        }
    }
}

/// The permits an actor holds back from the waiting senders of its mailbox, as its task
/// sees them from outside the actor's own code.
///
/// While the actor handles message after message it grants freed permits in runs (M4).
/// Once its task stops running, for whatever it waits on, it frees no more, so what it
/// holds back goes to the waiters then: otherwise a handler that asks someone who sends to
/// this very mailbox would wait for a permit that nobody may take, a deadlock with free
/// room.
pub(crate) struct HeldPermits<H: MailboxHost> {
    host: H,
}

impl<H: MailboxHost> HeldPermits<H> {
    /// Grants every free permit to the waiters, oldest first. One atomic load when no one
    /// waits, which is every time the mailbox is not full.
    #[inline]
    pub(crate) fn release(&self) {
        self.host.mailbox().shared.grant_waiters_if_any();
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

impl<H: MailboxHost> Drop for MailboxReceiver<H> {
    /// Closes the mailbox and drops what it still holds, so that every pending ask learns
    /// at once that its message will not be handled (its reply slot drops with it).
    fn drop(&mut self) {
        self.close();
        let queued = std::mem::take(&mut self.host.mailbox().shared.lock().queue);
        drop(queued);
    }
}

// Real threads and a tokio runtime, which loom's types do not run outside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_idle_actor_gives_back_the_memory_of_a_burst() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::unbounded());
        let mut cx = Context::from_waker(Waker::noop());
        // Two bursts, so that both buffers (the shared queue and the actor's batch) grew.
        for burst in 0..2 {
            for msg in 0..10_000 {
                sender.try_send(msg).ok().unwrap();
            }
            let mut received = 0;
            while let Poll::Ready(Some(msg)) = receiver.poll_recv(&mut cx) {
                assert_eq!(msg, received);
                received += 1;
            }
            assert_eq!(received, 10_000, "burst {burst}");
        }
        assert!(receiver.batch.capacity() <= IDLE_BUFFER);
        assert!(receiver.host.shared.lock().queue.capacity() <= IDLE_BUFFER);
    }

    #[test]
    fn an_idle_actor_keeps_the_buffers_of_a_default_mailbox() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::default());
        let mut cx = Context::from_waker(Waker::noop());
        for msg in 0..IDLE_BUFFER as u32 {
            sender.try_send(msg).ok().unwrap();
        }
        while let Poll::Ready(Some(_)) = receiver.poll_recv(&mut cx) {}
        assert!(receiver.batch.capacity() >= IDLE_BUFFER);
    }

    #[test]
    fn closing_gives_back_the_permits_assigned_to_waiters() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        let mut cx = Context::from_waker(Waker::noop());
        sender.try_send(0).ok().unwrap();
        let mut waiting = Sending::new(&sender, 1);
        assert!(waiting.poll_send(&mut cx).is_pending());
        // Taking the message frees the only permit, which goes to the waiting sender.
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert_eq!(receiver.host.shared.permits_taken.load(Ordering::SeqCst), 1);

        receiver.close();
        assert_eq!(receiver.host.shared.permits_taken.load(Ordering::SeqCst), 0);
        assert!(matches!(waiting.poll_send(&mut cx), Poll::Ready(Err(_))));
    }

    #[test]
    fn a_reserved_permit_counts_until_it_is_used_or_given_back() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        let mut cx = Context::from_waker(Waker::noop());
        let mut reserved = PermitSlot::default();
        assert!(reserved.try_reserve(&sender).is_ok());
        // The one permit is reserved: a message has no room, and waits in line.
        assert!(matches!(sender.try_send(1), Err(TrySendError::Full(1))));
        let mut waiting = Sending::new(&sender, 2);
        assert!(waiting.poll_send(&mut cx).is_pending());
        // Given back unused, the permit goes to the waiter (M5).
        reserved.leave(&sender);
        assert!(matches!(waiting.poll_send(&mut cx), Poll::Ready(Ok(()))));
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(2))));
        // Used: the message goes in under it.
        assert!(matches!(
            reserved.poll_reserve(&sender, &mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(reserved.send(&sender, 3).is_ok());
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(3))));
        assert_eq!(receiver.host.shared.permits_taken.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_reserved_permit_of_a_mailbox_closed_since_hands_the_message_back() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::bounded(2));
        let mut reserved = PermitSlot::default();
        assert!(reserved.try_reserve(&sender).is_ok());
        receiver.close();
        assert_eq!(reserved.send(&sender, 7), Err(7));
        assert_eq!(receiver.host.shared.permits_taken.load(Ordering::SeqCst), 0);
        assert!(matches!(
            PermitSlot::default().try_reserve(&sender),
            Err(TrySendError::Closed(()))
        ));
        // Sending without a permit held is refused rather than over the capacity.
        assert_eq!(PermitSlot::default().send(&sender, 8), Err(8));
    }

    #[test]
    fn a_waiting_reservation_is_served_in_line() {
        let (sender, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        let mut cx = Context::from_waker(Waker::noop());
        sender.try_send(0).ok().unwrap();
        let mut reserved = PermitSlot::default();
        assert!(reserved.poll_reserve(&sender, &mut cx).is_pending());
        // A newcomer does not overtake the reservation waiting in line (M2).
        assert!(matches!(sender.try_send(1), Err(TrySendError::Full(1))));
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(0))));
        assert!(matches!(
            reserved.poll_reserve(&sender, &mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(matches!(sender.try_send(1), Err(TrySendError::Full(1))));
        assert!(reserved.send(&sender, 2).is_ok());
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(2))));
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
        mailbox: Arc<MailboxSender<u32>>,
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
            let msg = sender << 16 | seq;
            let attempt = attempts[(seq as usize * 7 + sender as usize) % attempts.len()];
            let got_in = match attempt {
                Attempt::TryOnce => mailbox.try_send(msg).is_ok(),
                Attempt::Await => {
                    let mut sending = Sending::new(&mailbox, msg);
                    std::future::poll_fn(|cx| sending.poll_send(cx))
                        .await
                        .is_ok()
                }
                Attempt::PollOnceThenGiveUp | Attempt::YieldOnceThenGiveUp => {
                    let mut sending = Sending::new(&mailbox, msg);
                    let mut first = true;
                    std::future::poll_fn(|cx| match sending.poll_send(cx) {
                        // A yield: other tasks run, the actor may free a permit, then the
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
    /// none that gave up arrives, and when all is handled no permit stays taken.
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
                let (sender, mut receiver) = channel::<u32>(MailboxConfig::bounded(capacity));
                let actor = tokio::spawn(async move {
                    let mut arrived = vec![Vec::new(); SENDERS as usize];
                    loop {
                        let next = std::future::poll_fn(|cx| receiver.poll_recv(cx)).await;
                        match next.expect("the mailbox closed") {
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
                let mut end = Sending::new(&sender, END);
                std::future::poll_fn(|cx| end.poll_send(cx))
                    .await
                    .ok()
                    .unwrap();
                let (receiver, arrived) = actor.await.unwrap();

                assert_eq!(arrived, delivered, "capacity {capacity}");
                gave_up += SENDERS as usize * EACH as usize
                    - delivered.iter().map(Vec::len).sum::<usize>();
                let state = receiver.host.shared.lock();
                assert!(state.waiters.is_empty(), "capacity {capacity}");
                assert_eq!(state.assigned, 0, "capacity {capacity}");
                assert_eq!(
                    receiver.host.shared.permits_taken.load(Ordering::SeqCst),
                    0,
                    "capacity {capacity}"
                );
                drop(state);
                assert!(sender.try_send(0).is_ok(), "capacity {capacity}");
            };
            // A permit lost for good would leave a sender waiting forever: fail instead.
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
