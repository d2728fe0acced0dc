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
//!   list of their own; any more share the last one, whose insertion walks back further.
//! - One sweeper task per system, started at the first ask, sleeps until the earliest
//!   head of a list, expires what is due and wakes those asks. Registering a deadline later
//!   than the one the sweeper sleeps until (the common case: a newer ask with the same
//!   timeout) does not touch the sweeper at all, so with the default timeout of 5 seconds
//!   the sweeper wakes about once per 5 seconds, whatever the rate of asks.
//! - An ask answered in time removes its entry: two short, uncontended lock holds per ask
//!   (register, cancel), no timer, no wake, no allocation once the slab has grown to the
//!   number of asks in flight.
//!
//! Granularity: the sweeper is a tokio sleep, so an ask times out no earlier than its
//! deadline and, on an idle runtime, within tokio's timer resolution of 1 ms after it.
//!
//! No lock here is held across user code or a call into tokio: wakers are cloned before
//! the lock is taken, and dropped or woken after it is released.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::clock::{deadline_after, Clock};

/// How many distinct timeouts get a list of their own.
const LISTS: usize = 8;

/// No entry: the end of a list, or of the free list.
const NIL: u32 = u32::MAX;

/// Above this many entries, a slab with none in use is given back to the allocator.
const RETAINED_ENTRIES: usize = 4096;

/// The deadlines of one system's asks, and the sweeper that enforces them.
pub(crate) struct Deadlines {
    shared: Arc<Shared>,
}

/// What an ask holds of its registration: where its entry is, and which use of that slot
/// it was (a slot is reused once freed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeadlineKey {
    index: u32,
    generation: u32,
}

struct Shared {
    wheel: Mutex<Wheel>,
}

struct Wheel {
    entries: Vec<Entry>,
    /// The first free entry; the free ones are linked through `next`.
    free: u32,
    /// Entries waiting or expired, not yet freed.
    in_use: usize,
    lists: Vec<List>,
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

/// What a registration found.
pub(crate) enum Registered {
    /// Waiting; the sweeper wakes the waker given when the deadline passes.
    Waiting(DeadlineKey),
    /// The deadline had passed already (a zero timeout): nothing was registered.
    Expired,
}

impl Deadlines {
    pub(crate) fn new() -> Self {
        Deadlines {
            shared: Arc::new(Shared {
                wheel: Mutex::new(Wheel {
                    entries: Vec::new(),
                    free: NIL,
                    in_use: 0,
                    lists: Vec::new(),
                    sweeper_started: false,
                    sweeper_waker: None,
                    armed_until: None,
                    closed: false,
                }),
            }),
        }
    }

    /// Registers a deadline `timeout` from now, read on the clock of the runtime the
    /// caller runs in (the system's own, paused or not, when an actor or a task of the
    /// system asks), for `waker` to be woken when it passes. `clock` is where the sweeper
    /// runs, started here at the system's first ask.
    pub(crate) fn register(&self, clock: &Clock, timeout: Duration, waker: &Waker) -> Registered {
        let now = Instant::now();
        let deadline = deadline_after(now, timeout);
        if deadline <= now {
            return Registered::Expired;
        }
        let waker = waker.clone();
        let mut wheel = self.shared.lock();
        let key = wheel.insert(deadline, timeout, waker);
        let start = !wheel.sweeper_started;
        wheel.sweeper_started = true;
        let sweeper = match wheel.armed_until {
            Some(armed) if armed <= deadline => None,
            _ => {
                wheel.armed_until = Some(deadline);
                wheel.sweeper_waker.take()
            }
        };
        drop(wheel);
        if let Some(sweeper) = sweeper {
            sweeper.wake();
        }
        if start {
            // Spawned unlocked: a runtime that is shutting down drops the task at once, and
            // its drop takes the lock (it expires everything: see `Sweeper`'s drop).
            drop(clock.spawn(Sweeper::new(Arc::clone(&self.shared))));
        }
        Registered::Waiting(key)
    }

    /// Whether the deadline of `key` has passed; if not, `cx` is woken when it does. Once
    /// it says `Ready`, the key is spent.
    pub(crate) fn poll_expired(&self, key: DeadlineKey, cx: &mut Context<'_>) -> Poll<()> {
        let waker = cx.waker().clone();
        let mut wheel = self.shared.lock();
        let entry = wheel.entry(key);
        match entry.state {
            EntryState::Expired => {
                wheel.release(key.index);
                Poll::Ready(())
            }
            _ => {
                let old = entry.waker.replace(waker);
                drop(wheel);
                drop(old);
                Poll::Pending
            }
        }
    }

    /// Forgets `key`: its ask has ended.
    pub(crate) fn cancel(&self, key: DeadlineKey) {
        let mut wheel = self.shared.lock();
        let entry = wheel.entry(key);
        let waker = entry.waker.take();
        if entry.state == EntryState::Waiting {
            wheel.unlink(key.index);
        }
        wheel.release(key.index);
        drop(wheel);
        drop(waker);
    }

    /// How many deadlines are registered and not yet spent, for tests.
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
        entry.list = list as u8;
        entry.state = EntryState::Waiting;
        entry.generation = entry.generation.wrapping_add(1);
        let generation = entry.generation;
        self.link_sorted(index, list);
        DeadlineKey { index, generation }
    }

    /// The list for deadlines of `timeout`: its own, an empty one re-keyed, a new one, or,
    /// when all are taken by other timeouts, the last.
    fn list_for(&mut self, timeout: Duration) -> usize {
        if let Some(found) = self.lists.iter().position(|list| list.timeout == timeout) {
            return found;
        }
        if let Some(empty) = self.lists.iter().position(|list| list.head == NIL) {
            self.lists[empty].timeout = timeout;
            return empty;
        }
        if self.lists.len() < LISTS {
            self.lists.push(List {
                timeout,
                head: NIL,
                tail: NIL,
            });
            return self.lists.len() - 1;
        }
        LISTS - 1
    }

    /// Links `index` into `list` after the last entry due no later than it.
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
            prev, next, list, ..
        } = self.entries[index as usize];
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
    fn expire(&mut self, now: Instant, woken: &mut Vec<Waker>) {
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
            }
        }
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
    }

    fn earliest(&self) -> Option<Instant> {
        self.lists
            .iter()
            .filter(|list| list.head != NIL)
            .map(|list| self.entries[list.head as usize].deadline)
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
            wheel.expire(now, &mut this.woken);
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
        drop(wheel);
        drop(old);
        for waker in self.woken.drain(..) {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
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

    fn key(registered: Registered) -> DeadlineKey {
        match registered {
            Registered::Waiting(key) => key,
            Registered::Expired => panic!("expired at once"),
        }
    }

    fn clock() -> Clock {
        Clock::for_runtime(&tokio::runtime::Handle::current())
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_and_spent_deadlines_free_their_entries_and_reuse_them() {
        let (deadlines, clock) = (Deadlines::new(), clock());
        let (_, waker) = counter();
        let keys: Vec<_> = (0..100)
            .map(|_| key(deadlines.register(&clock, Duration::from_secs(5), &waker)))
            .collect();
        assert_eq!(deadlines.in_use(), 100);
        for key in keys {
            deadlines.cancel(key);
        }
        assert_eq!(deadlines.in_use(), 0);
        // Freed entries are reused: the slab does not grow with the number of asks.
        for _ in 0..1000 {
            let key = key(deadlines.register(&clock, Duration::from_secs(5), &waker));
            deadlines.cancel(key);
        }
        assert_eq!(deadlines.shared.lock().entries.len(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_expire_in_order_across_more_timeouts_than_lists() {
        let (deadlines, clock) = (Deadlines::new(), clock());
        let start = Instant::now();
        // Twelve timeouts for eight lists, registered longest first.
        let registered: Vec<_> = (1..=12u64)
            .rev()
            .map(|ms| {
                let (count, waker) = counter();
                let timeout = Duration::from_millis(ms * 10);
                (
                    timeout,
                    count,
                    key(deadlines.register(&clock, timeout, &waker)),
                )
            })
            .collect();
        for step in 1..=12u64 {
            tokio::time::sleep_until(start + Duration::from_millis(step * 10)).await;
            // Let the sweeper run at this instant.
            tokio::task::yield_now().await;
            for (timeout, count, _) in &registered {
                let due = *timeout <= Duration::from_millis(step * 10);
                assert_eq!(
                    count.0.load(Ordering::SeqCst),
                    usize::from(due),
                    "{timeout:?}"
                );
            }
        }
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        for (_, _, key) in registered {
            assert!(deadlines.poll_expired(key, &mut cx).is_ready());
        }
        assert_eq!(deadlines.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_does_not_wake_the_sweeper_and_an_earlier_one_does() {
        let (deadlines, clock) = (Deadlines::new(), clock());
        let (_, waker) = counter();
        let first = key(deadlines.register(&clock, Duration::from_secs(5), &waker));
        tokio::task::yield_now().await;
        let armed = deadlines.shared.lock().armed_until;
        let later = key(deadlines.register(&clock, Duration::from_secs(6), &waker));
        assert_eq!(deadlines.shared.lock().armed_until, armed);
        assert!(deadlines.shared.lock().sweeper_waker.is_some());
        let (count, early_waker) = counter();
        let earlier = key(deadlines.register(&clock, Duration::from_millis(1), &early_waker));
        assert!(deadlines.shared.lock().sweeper_waker.is_none(), "woken");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        for key in [first, later, earlier] {
            deadlines.cancel(key);
        }
        assert_eq!(deadlines.in_use(), 0);
    }

    #[test]
    fn a_sweeper_whose_runtime_shut_down_expires_what_waits() {
        let deadlines = Deadlines::new();
        let (count, waker) = counter();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let clock = Clock::for_runtime(runtime.handle());
        let key = runtime.block_on(async {
            let key = key(deadlines.register(&clock, Duration::from_secs(3600), &waker));
            tokio::task::yield_now().await;
            key
        });
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        drop(runtime);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the ask is woken");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(deadlines.poll_expired(key, &mut cx).is_ready());
        assert!(!deadlines.shared.lock().sweeper_started);
    }
}
