//! [`Deadlines`]: one timer per system for the deadlines of all its asks, instead of a
//! tokio timer per ask.
//!
//! Why: an armed tokio `Sleep` costs an ask about as much as the rest of it together. Its
//! registration takes the time driver's lock, and, when the runtime's driver is parked,
//! wakes it (an `eventfd` write), on every ask, although almost every ask is answered long
//! before its deadline. Akka answers the same problem with one hashed-wheel timer per
//! system; this is the same idea shaped for asks, whose deadlines come in a few distinct
//! timeouts (the system's default, and the few a program sets):
//!
//! - The deadlines of one timeout are due in the order they were registered, so each
//!   timeout has a list kept in deadline order by appending (a deadline read a little
//!   earlier on another thread walks back a step or two). Up to [`LISTS`] timeouts get a
//!   list of their own; deadlines of any more go in one ordered set (a `BTreeSet`,
//!   O(log n) and an allocation now and then), as do the few registered out of order.
//! - One sweeper task per system, started at the first ask, sleeps until the earliest
//!   head of a list, expires what is due and wakes those asks. Registering a deadline later
//!   than the one the sweeper sleeps until (the common case: a newer ask with the same
//!   timeout) does not touch the sweeper at all, so with the default timeout of 5 seconds
//!   the sweeper wakes about once per 5 seconds, whatever the rate of asks.
//! - An ask answered in time parks its entry on its thread instead of removing it, and the
//!   next ask of the same task (same waker, same timeout) adopts it: its deadline is
//!   earlier than the new ask's, so it wakes the task in time for the ask to register
//!   again for the rest. The common asker, a task asking again and again, so takes no lock
//!   per ask: a clock read, a thread-local slot and an atomic load. Any other ask takes two
//!   short lock holds (register, remove). No timer, no wake, and no allocation once the
//!   slab has grown to the number of asks in flight.
//!
//! Deadlines are read on the system's clock (its runtime's, entered for the read), the one
//! the sweeper sleeps on, whatever runtime the asker is in: a paused test runtime and a
//! real one never mix.
//!
//! Granularity: the sweeper is a tokio sleep, so an ask times out no earlier than its
//! deadline and, on an idle runtime, within tokio's timer resolution of 1 ms after it.
//!
//! No lock here is held across user code or a call into tokio: wakers are cloned before
//! the lock is taken, and dropped or woken after it is released.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::clock::{deadline_after, Clock};

/// How many distinct timeouts get a list of their own.
const LISTS: usize = 8;

/// The list of an entry that is in `Wheel::overflow` instead: a deadline of a timeout
/// beyond the first [`LISTS`], or one registered again for the rest of an adopted entry's.
const OVERFLOW: u8 = u8::MAX;

/// No entry: the end of a list, or of the free list.
const NIL: u32 = u32::MAX;

/// Above this many entries, a slab with none in use is given back to the allocator.
const RETAINED_ENTRIES: usize = 4096;

/// The deadlines of one system's asks, and the sweeper that enforces them.
pub(crate) struct Deadlines {
    shared: Arc<Shared>,
}

/// Where an entry is, and which use of that slot it is (a slot is reused once freed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DeadlineKey {
    index: u32,
    generation: u32,
}

/// What an ask holds of its deadline: its entry, the deadline itself, and what the ask
/// knew when it last saw the entry waiting, so that a poll that finds nothing changed
/// takes no lock.
#[derive(Debug)]
pub(crate) struct Registration {
    key: DeadlineKey,
    /// The ask's own deadline. The entry's may be earlier (an adopted entry, see
    /// [`Parked`]): then it fires first, and the ask registers again for the rest.
    deadline: Instant,
    timeout: Duration,
    /// `Shared::fired` when the entry was last seen waiting.
    fired: u64,
    /// The waker the entry holds, by identity (`Waker::data`, `Waker::vtable`).
    waker: WakerId,
}

/// A waker's identity, as `Waker::will_wake` compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WakerId {
    data: usize,
    vtable: usize,
}

impl WakerId {
    fn of(waker: &Waker) -> Self {
        WakerId {
            data: waker.data() as usize,
            vtable: std::ptr::from_ref(waker.vtable()) as usize,
        }
    }
}

struct Shared {
    /// Which wheel this is, for the thread-local parked entry (an address can be reused).
    id: u64,
    /// How many times the sweeper expired entries: a registration that saw this number
    /// and sees it unchanged knows its entry is still waiting, without the lock.
    fired: AtomicU64,
    wheel: Mutex<Wheel>,
}

/// The entry of the last ask answered on this thread, kept armed instead of removed.
///
/// The common asker asks again and again from one task (an actor asking another, a
/// client loop). Its next ask, with the same timeout and the same waker, adopts the
/// parked entry: its deadline is earlier than the new ask's, so it wakes the task in time
/// to register again for the rest. An ask answered in time then takes no lock at all,
/// neither to register nor to remove its entry. What a parked entry costs: one slot per
/// thread, and a task kept allocated for at most one timeout after it ended.
struct Parked {
    wheel: Arc<Shared>,
    registration: Option<Registration>,
}

impl Drop for Parked {
    fn drop(&mut self) {
        if let Some(registration) = self.registration.take() {
            self.wheel.remove(registration.key);
        }
    }
}

thread_local! {
    static PARKED: std::cell::RefCell<Option<Parked>> = const { std::cell::RefCell::new(None) };
}

static WHEEL_IDS: AtomicU64 = AtomicU64::new(0);

struct Wheel {
    entries: Vec<Entry>,
    /// The first free entry; the free ones are linked through `next`.
    free: u32,
    /// Entries waiting or expired, not yet freed.
    in_use: usize,
    lists: Vec<List>,
    /// Deadlines not in order of registration, by deadline: O(log n) each, where a list
    /// would be walked.
    overflow: BTreeSet<(Instant, u32)>,
    /// Whether a sweeper task exists (or is being spawned).
    sweeper_started: bool,
    /// Where to wake the sweeper, if it is waiting.
    sweeper_waker: Option<Waker>,
    /// The deadline the sweeper sleeps until; `None` while it has nothing to wait for.
    armed_until: Option<Instant>,
    /// The system is gone: the sweeper ends.
    closed: bool,
}

struct List {
    timeout: Duration,
    head: u32,
    tail: u32,
}

struct Entry {
    deadline: Instant,
    waker: Option<Waker>,
    prev: u32,
    next: u32,
    list: u8,
    state: EntryState,
    generation: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryState {
    Free,
    Waiting,
    Expired,
}

impl Deadlines {
    pub(crate) fn new() -> Self {
        Deadlines {
            shared: Arc::new(Shared {
                id: WHEEL_IDS.fetch_add(1, Ordering::Relaxed),
                fired: AtomicU64::new(0),
                wheel: Mutex::new(Wheel {
                    entries: Vec::new(),
                    free: NIL,
                    in_use: 0,
                    lists: Vec::new(),
                    overflow: BTreeSet::new(),
                    sweeper_started: false,
                    sweeper_waker: None,
                    armed_until: None,
                    closed: false,
                }),
            }),
        }
    }

    /// Registers a deadline `timeout` from now on `clock`, the system's (paused or not,
    /// whatever runtime the caller is in), for `waker` to be woken when it passes; `None`
    /// if it has passed already (a zero timeout). `clock` is also where the sweeper runs,
    /// started here at the system's first ask.
    pub(crate) fn register(
        &self,
        clock: &Clock,
        timeout: Duration,
        waker: &Waker,
    ) -> Option<Registration> {
        let now = clock.now();
        let deadline = deadline_after(now, timeout);
        if deadline <= now {
            return None;
        }
        let waker_id = WakerId::of(waker);
        // The parked entry of this thread, if this ask can adopt it; any other is left
        // there (for the asker it belongs to) unless it can be freed in the lock below.
        let mut stale = None;
        let adopted = PARKED
            .try_with(|parked| {
                let mut parked = parked.try_borrow_mut().ok()?;
                let slot = parked.as_mut()?;
                if slot.wheel.id != self.shared.id {
                    return None;
                }
                let candidate = slot.registration.as_ref()?;
                if candidate.fired != self.shared.fired.load(Ordering::Acquire) {
                    // It may have fired: freed below, under the lock this needs anyway.
                    stale = slot.registration.take();
                    return None;
                }
                if candidate.waker != waker_id
                    || candidate.timeout != timeout
                    || candidate.deadline > deadline
                {
                    return None;
                }
                slot.registration.take()
            })
            .ok()
            .flatten();
        if let Some(mut registration) = adopted {
            registration.deadline = deadline;
            return Some(registration);
        }
        let waker = waker.clone();
        let mut wheel = self.shared.lock();
        let stale_waker = stale.and_then(|stale| wheel.remove(stale.key));
        let key = wheel.insert(deadline, timeout, waker);
        let fired = self.shared.fired.load(Ordering::Acquire);
        let start = !wheel.sweeper_started;
        wheel.sweeper_started = true;
        let sweeper = wheel.arm(deadline);
        drop(wheel);
        drop(stale_waker);
        if let Some(sweeper) = sweeper {
            sweeper.wake();
        }
        if start {
            // Spawned unlocked: a runtime that is shutting down drops the task at once, and
            // its drop takes the lock (it expires everything: see `Sweeper`'s drop).
            drop(clock.spawn(Sweeper::new(Arc::clone(&self.shared))));
        }
        Some(Registration {
            key,
            deadline,
            timeout,
            fired,
            waker: waker_id,
        })
    }

    /// Whether the deadline of `registration` has passed; if not, `cx` is woken when it
    /// does. Once it says `Ready`, the registration is spent (its entry is freed).
    pub(crate) fn poll_expired(
        &self,
        registration: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let waker_id = WakerId::of(cx.waker());
        if registration.fired == self.shared.fired.load(Ordering::Acquire)
            && registration.waker == waker_id
        {
            // Nothing expired since the entry was seen waiting, for the same waker.
            return Poll::Pending;
        }
        let waker = cx.waker().clone();
        let mut wheel = self.shared.lock();
        let entry = wheel.entry(registration.key);
        let (state, entry_deadline) = (entry.state, entry.deadline);
        let (old, poll) = match state {
            // Its own deadline, or the sweeper is gone (its runtime shut down) and no
            // entry would expire again: the ask times out.
            EntryState::Expired
                if entry_deadline >= registration.deadline || !wheel.sweeper_started =>
            {
                wheel.release(registration.key.index);
                (Some(waker), Poll::Ready(()))
            }
            EntryState::Expired => {
                // An adopted entry, due before this ask: waiting again, for the rest.
                wheel.unlinked_expired_to_waiting(registration, waker);
                (None, Poll::Pending)
            }
            EntryState::Waiting | EntryState::Free => (
                wheel.entry(registration.key).waker.replace(waker),
                Poll::Pending,
            ),
        };
        let sweeper = match poll {
            Poll::Pending => wheel.arm(registration.deadline),
            Poll::Ready(()) => None,
        };
        registration.fired = self.shared.fired.load(Ordering::Acquire);
        registration.waker = waker_id;
        drop(wheel);
        drop(old);
        if let Some(sweeper) = sweeper {
            sweeper.wake();
        }
        poll
    }

    /// The ask of `registration` has ended: its entry is parked on this thread for the
    /// next ask of the same asker to adopt (see [`Parked`]), and the entry parked before
    /// it, if any, is removed.
    pub(crate) fn release(&self, registration: Registration) {
        let mut registration = Some(registration);
        // What parking pushed out: an entry of this wheel, or the slot of another wheel.
        let mut evicted = None;
        let mut other = None;
        let _ = PARKED.try_with(|parked| {
            let Ok(mut parked) = parked.try_borrow_mut() else {
                return;
            };
            match parked.as_mut() {
                Some(slot) if slot.wheel.id == self.shared.id => {
                    evicted = std::mem::replace(&mut slot.registration, registration.take());
                }
                _ => {
                    other = parked.replace(Parked {
                        wheel: Arc::clone(&self.shared),
                        registration: registration.take(),
                    });
                }
            }
        });
        // Not parked (the thread is ending, or this runs inside the slot's own drop):
        // removed at once.
        if let Some(registration) = registration {
            self.shared.remove(registration.key);
        }
        if let Some(evicted) = evicted {
            self.shared.remove(evicted.key);
        }
        // Its drop removes its entry from its own wheel.
        drop(other);
    }

    /// How many deadlines are registered and not yet freed (a parked one included), for
    /// tests.
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> usize {
        self.shared.lock().in_use
    }
}

impl Drop for Deadlines {
    fn drop(&mut self) {
        let mut wheel = self.shared.lock();
        wheel.closed = true;
        let sweeper = wheel.sweeper_waker.take();
        drop(wheel);
        if let Some(sweeper) = sweeper {
            sweeper.wake();
        }
    }
}

impl Shared {
    /// Frees the entry of `key`, whatever its state.
    fn remove(&self, key: DeadlineKey) {
        let mut wheel = self.lock();
        let waker = wheel.remove(key);
        drop(wheel);
        drop(waker);
    }

    /// The wheel; a panic while it was held (none of its code panics but an allocation
    /// failure) leaves it consistent, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Wheel> {
        self.wheel.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Wheel {
    fn entry(&mut self, key: DeadlineKey) -> &mut Entry {
        let entry = &mut self.entries[key.index as usize];
        debug_assert!(
            entry.generation == key.generation && entry.state != EntryState::Free,
            "a deadline key is used once its entry was freed"
        );
        entry
    }

    fn insert(&mut self, deadline: Instant, timeout: Duration, waker: Waker) -> DeadlineKey {
        let list = self.list_for(timeout);
        let index = if self.free == NIL {
            let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 asks in flight");
            self.entries.push(Entry {
                deadline,
                waker: None,
                prev: NIL,
                next: NIL,
                list: 0,
                state: EntryState::Free,
                generation: 0,
            });
            index
        } else {
            let index = self.free;
            self.free = self.entries[index as usize].next;
            index
        };
        self.in_use += 1;
        let entry = &mut self.entries[index as usize];
        entry.deadline = deadline;
        entry.waker = Some(waker);
        entry.list = list;
        entry.state = EntryState::Waiting;
        entry.generation = entry.generation.wrapping_add(1);
        let generation = entry.generation;
        self.link(index);
        DeadlineKey { index, generation }
    }

    /// Frees the entry of `key`, whatever its state, handing out its waker to drop once
    /// the lock is released.
    fn remove(&mut self, key: DeadlineKey) -> Option<Waker> {
        let entry = self.entry(key);
        let waker = entry.waker.take();
        if entry.state == EntryState::Waiting {
            self.unlink(key.index);
        }
        self.release(key.index);
        waker
    }

    /// Makes sure the sweeper looks at the wheel by `deadline`: the sweeper's waker, to
    /// wake once the lock is released, if it sleeps until later (or not at all).
    fn arm(&mut self, deadline: Instant) -> Option<Waker> {
        match self.armed_until {
            Some(armed) if armed <= deadline => None,
            _ => {
                self.armed_until = Some(deadline);
                self.sweeper_waker.take()
            }
        }
    }

    /// Puts an expired entry back to waiting, for what is left of `registration`'s
    /// deadline.
    fn unlinked_expired_to_waiting(&mut self, registration: &Registration, waker: Waker) {
        let index = registration.key.index;
        let entry = &mut self.entries[index as usize];
        entry.deadline = registration.deadline;
        entry.waker = Some(waker);
        // Its deadline is older than those registered since it began: not at a list's end.
        entry.list = OVERFLOW;
        entry.state = EntryState::Waiting;
        self.link(index);
    }

    /// The list for deadlines of `timeout`: its own, an empty one re-keyed, a new one, or,
    /// when all are taken by other timeouts, the overflow.
    fn list_for(&mut self, timeout: Duration) -> u8 {
        let list = if let Some(found) = self.lists.iter().position(|list| list.timeout == timeout) {
            found
        } else if let Some(empty) = self.lists.iter().position(|list| list.head == NIL) {
            self.lists[empty].timeout = timeout;
            empty
        } else if self.lists.len() < LISTS {
            self.lists.push(List {
                timeout,
                head: NIL,
                tail: NIL,
            });
            self.lists.len() - 1
        } else {
            return OVERFLOW;
        };
        list as u8
    }

    /// Links the entry at `index` where its `list` says.
    fn link(&mut self, index: u32) {
        let entry = &self.entries[index as usize];
        if entry.list == OVERFLOW {
            self.overflow.insert((entry.deadline, index));
        } else {
            self.link_sorted(index, entry.list as usize);
        }
    }

    /// Links `index` into `list` after the last entry due no later than it: in a list of
    /// one timeout, almost always the last (a deadline read a little earlier on another
    /// thread walks back a step or two).
    fn link_sorted(&mut self, index: u32, list: usize) {
        let deadline = self.entries[index as usize].deadline;
        let mut after = self.lists[list].tail;
        while after != NIL && self.entries[after as usize].deadline > deadline {
            after = self.entries[after as usize].prev;
        }
        let before = if after == NIL {
            std::mem::replace(&mut self.lists[list].head, index)
        } else {
            std::mem::replace(&mut self.entries[after as usize].next, index)
        };
        if before == NIL {
            self.lists[list].tail = index;
        } else {
            self.entries[before as usize].prev = index;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = after;
        entry.next = before;
    }

    fn unlink(&mut self, index: u32) {
        let Entry {
            prev,
            next,
            list,
            deadline,
            ..
        } = self.entries[index as usize];
        if list == OVERFLOW {
            self.overflow.remove(&(deadline, index));
            return;
        }
        let list = &mut self.lists[list as usize];
        if prev == NIL {
            list.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            list.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Frees an unlinked entry.
    fn release(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        entry.state = EntryState::Free;
        entry.waker = None;
        entry.next = self.free;
        self.free = index;
        self.in_use -= 1;
        if self.in_use == 0 && self.entries.len() > RETAINED_ENTRIES {
            // A burst of asks in flight is over: its room is not kept for ever. Generations
            // restart too, which is sound: no key is alive when none is in use.
            self.entries = Vec::new();
            self.free = NIL;
        }
    }

    /// Expires every entry due at `now`, handing out their wakers.
    fn expire(&mut self, now: Instant, woken: &mut Vec<Waker>) -> bool {
        let mut expired = false;
        for list in 0..self.lists.len() {
            loop {
                let head = self.lists[list].head;
                if head == NIL || self.entries[head as usize].deadline > now {
                    break;
                }
                self.unlink(head);
                let entry = &mut self.entries[head as usize];
                entry.state = EntryState::Expired;
                woken.extend(entry.waker.take());
                expired = true;
            }
        }
        while let Some(&(deadline, index)) = self.overflow.first() {
            if deadline > now {
                break;
            }
            self.overflow.pop_first();
            let entry = &mut self.entries[index as usize];
            entry.state = EntryState::Expired;
            woken.extend(entry.waker.take());
            expired = true;
        }
        expired
    }

    /// Expires every waiting entry: the sweeper is gone, and nothing would.
    fn expire_all(&mut self, woken: &mut Vec<Waker>) {
        for entry in &mut self.entries {
            if entry.state == EntryState::Waiting {
                entry.state = EntryState::Expired;
                woken.extend(entry.waker.take());
            }
        }
        for list in &mut self.lists {
            list.head = NIL;
            list.tail = NIL;
        }
        self.overflow.clear();
    }

    fn earliest(&self) -> Option<Instant> {
        self.lists
            .iter()
            .filter(|list| list.head != NIL)
            .map(|list| self.entries[list.head as usize].deadline)
            .chain(self.overflow.first().map(|&(deadline, _)| deadline))
            .min()
    }
}

/// The task that expires a system's deadlines: it sleeps until the earliest one.
struct Sweeper {
    shared: Arc<Shared>,
    /// Made at the first poll, on the clock's runtime: the sweeper itself is made where
    /// the first ask is, which may be outside any runtime.
    sleep: Option<Pin<Box<Sleep>>>,
    /// Wakers of asks just expired, woken once the lock is released; kept for its room.
    woken: Vec<Waker>,
}

impl Sweeper {
    fn new(shared: Arc<Shared>) -> Self {
        Sweeper {
            shared,
            sleep: None,
            woken: Vec::new(),
        }
    }
}

impl Future for Sweeper {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            let now = Instant::now();
            let waker = cx.waker().clone();
            let mut wheel = this.shared.lock();
            if wheel.closed {
                return Poll::Ready(());
            }
            if wheel.expire(now, &mut this.woken) {
                // Under the lock, before any wake: an ask woken by it sees it changed.
                this.shared.fired.fetch_add(1, Ordering::Release);
            }
            let next = wheel.earliest();
            wheel.armed_until = next;
            let old = wheel.sweeper_waker.replace(waker);
            drop(wheel);
            drop(old);
            for waker in this.woken.drain(..) {
                waker.wake();
            }
            let Some(next) = next else {
                return Poll::Pending;
            };
            let sleep = match &mut this.sleep {
                Some(sleep) => {
                    if sleep.deadline() != next {
                        sleep.as_mut().reset(next);
                    }
                    sleep
                }
                None => this.sleep.insert(Box::pin(tokio::time::sleep_until(next))),
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        // Dropped without the system closing: its runtime shut down. Asks still waiting
        // would wait for ever, so they time out now; a later ask starts another sweeper
        // (and times out at once too if that runtime is gone as well).
        let mut wheel = self.shared.lock();
        wheel.sweeper_started = false;
        wheel.armed_until = None;
        let old = wheel.sweeper_waker.take();
        wheel.expire_all(&mut self.woken);
        self.shared.fired.fetch_add(1, Ordering::Release);
        drop(wheel);
        drop(old);
        for waker in self.woken.drain(..) {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use super::*;

    /// Counts its wakes.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter::default());
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn wakes(counter: &Counter) -> usize {
        counter.0.load(Ordering::SeqCst)
    }

    fn clock() -> Clock {
        Clock::for_runtime(&tokio::runtime::Handle::current())
    }

    /// Removes this thread's parked entry, as a thread's end does.
    fn unpark() {
        PARKED.with(|parked| drop(parked.borrow_mut().take()));
    }

    #[tokio::test(start_paused = true)]
    async fn released_deadlines_free_their_entries_but_the_last_one_parked() {
        unpark();
        let (deadlines, clock) = (Deadlines::new(), clock());
        // Distinct wakers: none adopts another's entry.
        let registrations: Vec<_> = (0..100)
            .map(|_| {
                let (_, waker) = counter();
                deadlines
                    .register(&clock, Duration::from_secs(5), &waker)
                    .unwrap()
            })
            .collect();
        assert_eq!(deadlines.in_use(), 100);
        for registration in registrations {
            deadlines.release(registration);
        }
        assert_eq!(deadlines.in_use(), 1, "only the last is parked");
        unpark();
        assert_eq!(deadlines.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_asker_adopts_its_parked_entry_and_is_still_timed_out_on_time() {
        unpark();
        let (deadlines, clock) = (Deadlines::new(), clock());
        let (count, waker) = counter();
        let start = Instant::now();
        let first = deadlines
            .register(&clock, Duration::from_secs(5), &waker)
            .unwrap();
        let first_key = first.key;
        deadlines.release(first);
        // A second later the same asker asks again: it adopts the entry due at 5 s.
        tokio::time::advance(Duration::from_secs(1)).await;
        let mut second = deadlines
            .register(&clock, Duration::from_secs(5), &waker)
            .unwrap();
        assert_eq!(second.key, first_key, "adopted");
        assert_eq!(deadlines.in_use(), 1);
        // Another asker's waker does not adopt it: it has an entry of its own.
        let (_, other) = counter();
        let third = deadlines
            .register(&clock, Duration::from_secs(5), &other)
            .unwrap();
        assert_ne!(third.key, first_key);

        // At 5 s the adopted entry fires, which is early for the second ask: it waits on.
        let mut cx = Context::from_waker(&waker);
        tokio::time::sleep_until(start + Duration::from_secs(5)).await;
        tokio::task::yield_now().await;
        assert_eq!(wakes(&count), 1);
        assert!(deadlines.poll_expired(&mut second, &mut cx).is_pending());
        // At its own deadline, 6 s, it expires.
        tokio::time::sleep_until(start + Duration::from_secs(6)).await;
        tokio::task::yield_now().await;
        assert_eq!(wakes(&count), 2);
        assert!(deadlines.poll_expired(&mut second, &mut cx).is_ready());
        deadlines.release(third);
        unpark();
        assert_eq!(deadlines.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_parked_entry_that_fired_is_not_adopted() {
        unpark();
        let (deadlines, clock) = (Deadlines::new(), clock());
        let (count, waker) = counter();
        let first = deadlines
            .register(&clock, Duration::from_millis(10), &waker)
            .unwrap();
        deadlines.release(first);
        tokio::time::sleep(Duration::from_millis(20)).await;
        tokio::task::yield_now().await;
        assert_eq!(wakes(&count), 1, "the parked entry fired");
        let mut second = deadlines
            .register(&clock, Duration::from_millis(10), &waker)
            .unwrap();
        assert_eq!(
            deadlines.in_use(),
            1,
            "the fired one was freed, a new one registered"
        );
        let mut cx = Context::from_waker(&waker);
        assert!(deadlines.poll_expired(&mut second, &mut cx).is_pending());
        tokio::time::sleep(Duration::from_millis(11)).await;
        tokio::task::yield_now().await;
        assert!(deadlines.poll_expired(&mut second, &mut cx).is_ready());
        assert_eq!(deadlines.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_expire_in_order_across_more_timeouts_than_lists() {
        unpark();
        let (deadlines, clock) = (Deadlines::new(), clock());
        let start = Instant::now();
        // Twelve timeouts for eight lists, registered longest first.
        let registered: Vec<_> = (1..=12u64)
            .rev()
            .map(|ms| {
                let (count, waker) = counter();
                let timeout = Duration::from_millis(ms * 10);
                let registration = deadlines.register(&clock, timeout, &waker).unwrap();
                (timeout, count, waker, registration)
            })
            .collect();
        for step in 1..=12u64 {
            tokio::time::sleep_until(start + Duration::from_millis(step * 10)).await;
            // Let the sweeper run at this instant.
            tokio::task::yield_now().await;
            for (timeout, count, _, _) in &registered {
                let due = *timeout <= Duration::from_millis(step * 10);
                assert_eq!(wakes(count), usize::from(due), "{timeout:?}");
            }
        }
        for (_, _, waker, mut registration) in registered {
            let mut cx = Context::from_waker(&waker);
            assert!(deadlines
                .poll_expired(&mut registration, &mut cx)
                .is_ready());
        }
        assert_eq!(deadlines.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_does_not_wake_the_sweeper_and_an_earlier_one_does() {
        unpark();
        let (deadlines, clock) = (Deadlines::new(), clock());
        let (_, waker) = counter();
        let first = deadlines
            .register(&clock, Duration::from_secs(5), &waker)
            .unwrap();
        tokio::task::yield_now().await;
        let armed = deadlines.shared.lock().armed_until;
        let later = deadlines
            .register(&clock, Duration::from_secs(6), &waker)
            .unwrap();
        assert_eq!(deadlines.shared.lock().armed_until, armed);
        assert!(deadlines.shared.lock().sweeper_waker.is_some());
        let (count, early_waker) = counter();
        let earlier = deadlines.register(&clock, Duration::from_millis(1), &early_waker);
        assert!(deadlines.shared.lock().sweeper_waker.is_none(), "woken");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(wakes(&count), 1);
        for registration in [first, later, earlier.unwrap()] {
            deadlines.release(registration);
        }
        unpark();
        assert_eq!(deadlines.in_use(), 0);
    }

    #[test]
    fn a_sweeper_whose_runtime_shut_down_expires_what_waits() {
        unpark();
        let deadlines = Deadlines::new();
        let (count, waker) = counter();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let clock = Clock::for_runtime(runtime.handle());
        let mut registration = runtime.block_on(async {
            let registration = deadlines.register(&clock, Duration::from_secs(3600), &waker);
            tokio::task::yield_now().await;
            registration.unwrap()
        });
        assert_eq!(wakes(&count), 0);
        drop(runtime);
        assert_eq!(wakes(&count), 1, "the ask is woken");
        let mut cx = Context::from_waker(&waker);
        assert!(deadlines
            .poll_expired(&mut registration, &mut cx)
            .is_ready());
        assert!(!deadlines.shared.lock().sweeper_started);
    }
}
