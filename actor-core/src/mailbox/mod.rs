//! Where an actor's messages wait: its user mailbox ([`queue`]) of [`envelope`]s (a
//! message and its reply slot), its system lane ([`lane`]) and the system signals that
//! travel on it ([`signal`]).
//!
//! The user mailbox is a queue of our own rather than a `tokio::sync::mpsc` channel, for
//! three measured reasons (see `docs/performance.md`):
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
//! # The rules
//!
//! Senders, the actor's task and whoever signals it meet here without a lock held across
//! any of them, so the handshakes follow these rules. The code names the rule each step
//! keeps, `debug_assert!`s check them in every test run, and the `loom` model tests in
//! `loom.rs` explore the interleavings of the lock-free ones (M3, M4, M5, M7, L1 to L3);
//! see [Model tests](#model-tests).
//!
//! The user mailbox, for a capacity of `N` (an unbounded one keeps only M6 and M7):
//!
//! - **M1. Permits count everything not yet handed out.** A message needs a permit to
//!   enter. `permits_taken` counts the messages sent and not yet handed to the actor
//!   (queued, or in the batch it took) plus the permits assigned to waiting senders not
//!   yet used, plus those reserved by a sender that builds its message only once it has
//!   room (`PermitSlot`, a typed adapter's send); it never exceeds `N`. Only a holder of
//!   the lock raises it. The actor lowers it without the lock, by one per message handed
//!   out; a waiter that gives up with a permit assigned (M5), a reservation given back
//!   unused or refused by a mailbox closed since, and closing (M6) lower it under the
//!   lock.
//! - **M2. Waiters are served in order.** A sender that finds no permit waits in line,
//!   with a rising key that finds its entry by binary search. The first `assigned` waiters
//!   hold a permit; while any waiter holds none, no newcomer takes a permit ahead of it,
//!   not even a `try_send` (tokio's semaphore is fair the same way).
//! - **M3. No sender sleeps through a free permit.** `has_waiters` says whether a waiter
//!   holds no permit; it is written only under the lock. A sender that joins the line
//!   stores `has_waiters = true` and then reads `permits_taken` again; the actor lowers
//!   `permits_taken` and then reads `has_waiters` (when it hands the message out, or, if
//!   it holds the permit back, when its task stops running, M4). All four are `SeqCst`,
//!   so at least one of the two reads sees the other side's write: the sender takes the
//!   freed permit, or the actor grants it.
//! - **M4. Permits held back go out when the actor's task stops running.** While it runs,
//!   the actor grants freed permits only once half the mailbox is free, so that waiters
//!   refill it in runs; whenever its task returns `Pending` it grants every free permit
//!   (`HeldPermits::release`), so that a handler waiting on a sender to its own mailbox
//!   never waits on a permit nobody may take.
//! - **M5. A sender that gives up leaves the line.** Dropping a send in progress removes
//!   its entry; a permit assigned to it goes to the next waiter without one, or, if there
//!   is none, back to the free permits. So does a reservation given back unused.
//! - **M6. Closing refuses, hands back and wakes.** A closed mailbox refuses every new
//!   message with the message handed back; the permits assigned to waiters return, the
//!   line is emptied and every waiter is woken to learn it. Queued messages stay for the
//!   actor to receive; once they are gone it is told the mailbox is closed, unless it was
//!   closed to senders only (by a system shutdown): then it waits, as on an open mailbox,
//!   until it closes the mailbox itself.
//! - **M7. The actor's waker is stored under the lock that every send takes to push,**
//!   by the actor when it finds the queue empty (in that same lock) or when it waits for a
//!   signal (L2): the first message after that takes the waker and wakes it (no wake-up is
//!   lost), and the ones after it find the actor awake (no wake-up is wasted).
//!
//! The system lane:
//!
//! - **L1. `pending` is set whenever a signal is queued.** It is set with each signal
//!   under the lane's lock, before the actor is woken, and cleared only under that lock
//!   when the lane is empty; the message loop reads it lock-free before every message.
//! - **L2. A signal wakes the actor through its mailbox's waker slot**, after it is
//!   queued; the actor registers its waker there and then looks at the lane once more, so
//!   a signal sent between the first look and the registration is found. The wake and the
//!   registration meet under the mailbox's lock, which orders them.
//! - **L3. `urgent` is set whenever a failure, a teardown or an urgent stop is queued,**
//!   with the same discipline as L1, and such a signal wakes, besides the actor's task,
//!   the lane's own `urgent_waker`: a handler waiting at an await point registers there,
//!   looks again, and is cancelled once it is set.
//! - **L4. A closed lane takes nothing.** Once the actor's end is dropped (`closed` set
//!   under the lock), every send is refused and its signal handed back.
//!
//! # Model tests
//!
//! `loom.rs` holds `loom` models of the races above: a sender joining the line against
//! the hand-out that frees its permit (M3, also for a reservation), the permits held back
//! and released (M4), a waiter giving up while it is granted a permit and a reservation
//! given back while a sender joins the line (M5), a send against the actor's
//! registration (M7), a signal and a failure against the actor's and a handler's
//! registrations (L1 to L3). They are built only with `--cfg loom` (as tokio's are),
//! which swaps the atomics, locks and `AtomicWaker` of `sync.rs` for loom's, in a target
//! folder of their own so that the flag does not rebuild the normal one:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p actor-core --lib mailbox::loom
//! ```
//!
//! The flag reaches every crate of the build. tokio reads it too, but swaps in loom only
//! in its own tests (it changes a few details of its runtime, which no model starts), and
//! its cooperative budget, which a send and a receive ask, lets everything through outside
//! a runtime. Each model is explored up to 3 preemptions (`LOOM_MAX_PREEMPTIONS=4` or more
//! explores deeper, slower): about 15 s in all, after a build of a minute and a half, on
//! two cores. A failing model prints loom's message first (a deadlock is a lost wake-up
//! or a lost permit), then aborts on a destructor's panic: read the first;
//! `LOOM_LOG=1 LOOM_LOCATION=1` print the interleaving.
//!
//! loom treats a `SeqCst` load or store as only `AcqRel`, which would make M3's
//! store-then-load pairs look racy when they are not; `sync::seq_cst_store_load` puts the
//! `SeqCst` fence loom does model between them, in loom builds only.

pub(crate) mod envelope;
pub(crate) mod lane;
#[cfg(all(test, loom))]
mod loom;
pub(crate) mod queue;
pub(crate) mod signal;
mod sync;

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
