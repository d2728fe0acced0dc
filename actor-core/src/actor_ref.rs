//! Handles to actors: [`ActorRef`] (strong), [`WeakActorRef`], and their shared cell.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::{self, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::actor::{Actor, Client};
use crate::error::TrySendError;
use crate::events::Events;
use crate::lifecycle::{ActorLink, StatusCell};
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal, Terminated};
use crate::mailbox::{Envelope, MailboxSender};
use crate::request::{Request, Tell};

/// An actor's id: unique within the process for the process's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(u64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ActorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// Hashes actor ids for the maps keyed by them. Ids are sequential numbers that no
/// outsider chooses, so one multiplication spreads them well enough; the default SipHash
/// was a tenth of the cost of a spawn.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is reached from `ActorId`'s `Hash`; this is for completeness.
        for byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: the high bits, which the table's tags use, depend on all bits.
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by actor ids.
pub(crate) type IdMap<V> =
    std::collections::HashMap<ActorId, V, std::hash::BuildHasherDefault<IdHasher>>;

impl ActorId {
    /// Parses the id out of an unnamed actor's path segment (`$42`).
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        segment.strip_prefix('$')?.parse().ok().map(ActorId)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What every handle to one actor shares.
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: MailboxSender<A>,
    /// Its system lane, status and path, shared with whoever knows it untyped.
    pub(crate) link: ActorLink,
    /// Strong refs alive. Kept apart from the channel's own sender count so that the actor
    /// can hand out a new strong ref to itself even after every outside ref was dropped.
    pub(crate) strong_refs: AtomicUsize,
    pub(crate) ask_timeout: Duration,
    /// Who watches it. Boxed when first needed and dropped again when the last watcher
    /// goes: most actors are never watched, and an idle actor is lighter without it.
    pub(crate) watchers: Mutex<Option<Box<Watchers>>>,
    pub(crate) events: Arc<Events>,
}

/// Who watches an actor: each watcher's lane, keyed by its id, so that a watch, an unwatch
/// and a dying watcher's removal cost O(1). A watch that comes after the end (the status
/// says `Stopped`) is told at once and not recorded; the one lock over the map, taken after
/// the status is set, makes each watch told exactly once.
pub(crate) type Watchers = IdMap<ActorLink>;

/// The other end of a watch, as the watcher keeps it: the watched actor, whatever its type,
/// so that the watcher can take its watch back when it unwatches or dies.
pub(crate) trait Watched: Send + Sync {
    /// Forgets `watcher`'s watch; a no-op if there is none.
    fn remove_watcher(&self, watcher: ActorId);
}

impl<A: Actor> Watched for ActorCell<A> {
    fn remove_watcher(&self, watcher: ActorId) {
        ActorCell::remove_watcher(self, watcher);
    }
}

/// Removes `id` from a map that is boxed when first needed, and gives the room back as the
/// map empties: a map keeps its capacity, and one that 100,000 short-lived watchers once
/// filled would otherwise hold their room for as long as it lives. Shrinking to twice the
/// entries once they are down to a quarter keeps each removal O(1) amortised.
pub(crate) fn remove_shrinking<V>(map: &mut Option<Box<IdMap<V>>>, id: ActorId) -> Option<V> {
    let entries = map.as_deref_mut()?;
    let removed = entries.remove(&id)?;
    if entries.is_empty() {
        *map = None;
    } else if entries.capacity() > 16 && entries.len() * 4 < entries.capacity() {
        entries.shrink_to(entries.len() * 2);
    }
    Some(removed)
}

impl<A: Actor> ActorCell<A> {
    /// Where it sits in the tree, like `/user/bank/account-7`.
    pub(crate) fn path(&self) -> &Arc<str> {
        self.link.path()
    }

    pub(crate) fn status(&self) -> &StatusCell {
        self.link.status()
    }

    /// A stop from outside. Sends after it returns are refused at once, not only once the
    /// actor reads the signal: the mailbox closes right after the signal is sent.
    pub(crate) fn stop(&self, mode: StopMode) {
        self.signal(SystemSignal::Stop(mode, StopReason::Requested));
        self.mailbox.close();
    }

    pub(crate) fn signal(&self, signal: SystemSignal) {
        // The actor holds the receiving end until its task ends; an error means it
        // already stopped, and a stop of a stopped actor is a no-op.
        let _ = self.link.send(signal);
    }

    pub(crate) fn dead_letter(&self, msg: &A::Msg) {
        self.events
            .dead_letter(self.id, self.path(), A::message_name(msg));
    }

    fn watchers(&self) -> std::sync::MutexGuard<'_, Option<Box<Watchers>>> {
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `watcher`'s watch, or tells it at once if this actor has already stopped.
    /// The watcher keeps its own record of what it watches, so a second watch while one is
    /// active never reaches here.
    pub(crate) fn add_watcher(&self, watcher: ActorId, signals: &ActorLink) {
        let ended = {
            let mut watchers = self.watchers();
            match self.status().get() {
                ActorStatus::Stopped(reason) => Some(reason),
                _ => {
                    let watchers = watchers.get_or_insert_with(Box::default);
                    watchers.insert(watcher, signals.clone());
                    None
                }
            }
        };
        if let Some(reason) = ended {
            // Decided under the lock, sent outside it: the watcher's lane has its own.
            let _ = signals.send(SystemSignal::Terminated(self.terminated(reason)));
        }
    }

    /// Forgets `watcher`'s watch: on an unwatch, and when the watcher stops.
    pub(crate) fn remove_watcher(&self, watcher: ActorId) {
        let removed = {
            let mut watchers = self.watchers();
            remove_shrinking(&mut watchers, watcher)
        };
        // Dropped outside the lock: it may be the last handle to the watcher's lane.
        drop(removed);
    }

    fn terminated(&self, reason: StopReason) -> Terminated {
        Terminated {
            id: self.id,
            path: Arc::clone(self.path()),
            reason,
        }
    }

    /// Tells every watcher of the end, once. Called after the status says `Stopped`, so a
    /// watch from now on is answered by `add_watcher` itself.
    pub(crate) fn notify_watchers(&self, reason: &StopReason) {
        // Never watched: nothing to tell, and nothing to allocate.
        let Some(watchers) = self.watchers().take() else {
            return;
        };
        let terminated = self.terminated(reason.clone());
        for signals in (*watchers).into_values() {
            let _ = signals.send(SystemSignal::Terminated(terminated.clone()));
        }
    }
}

/// The part of a strong ref that generated clients hold.
///
/// You do not use this directly: `#[actor]` puts one inside the generated client, and
/// [`ActorRef`] is a client plus the general methods. Holding one keeps the actor alive,
/// exactly like holding an [`ActorRef`].
pub struct RefCore<A: Actor> {
    pub(crate) cell: Arc<ActorCell<A>>,
}

impl<A: Actor> RefCore<A> {
    /// A new strong ref. Used by the actor itself, which is alive while it runs, so the
    /// count may go up from zero here.
    pub(crate) fn new_strong(cell: Arc<ActorCell<A>>) -> Self {
        cell.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore { cell }
    }

    /// A new strong ref, unless the count is already zero (the actor is on its way out).
    fn upgrade(cell: &Arc<ActorCell<A>>) -> Option<Self> {
        let mut count = cell.strong_refs.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            match cell.strong_refs.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(RefCore {
                        cell: Arc::clone(cell),
                    })
                }
                Err(actual) => count = actual,
            }
        }
    }

    pub(crate) fn tell(&self, msg: A::Msg) -> Tell<'_, A> {
        Tell::new(self, msg)
    }

    pub(crate) fn try_send(&self, msg: A::Msg) -> Result<(), TrySendError<A::Msg>> {
        self.cell
            .mailbox
            .try_send(Envelope { msg, reply: None })
            .map_err(|err| match err {
                TrySendError::Full(env) => TrySendError::Full(env.msg),
                TrySendError::Closed(env) => {
                    self.cell.dead_letter(&env.msg);
                    TrySendError::Closed(env.msg)
                }
            })
    }
}

impl<A: Actor> Clone for RefCore<A> {
    fn clone(&self) -> Self {
        self.cell.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore {
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<A: Actor> Drop for RefCore<A> {
    fn drop(&mut self) {
        if self.cell.strong_refs.fetch_sub(1, Ordering::Release) == 1 {
            atomic::fence(Ordering::Acquire);
            self.cell.signal(SystemSignal::RefsDropped);
        }
    }
}

/// A typed, strong handle to an actor.
///
/// Cheap to clone (a reference count) and `Send + Sync`. It dereferences to the actor's
/// generated client, so the actor's messages are methods: `account.deposit(5).await?`.
///
/// # Lifetime
///
/// An actor runs until it is stopped ([`stop`](Self::stop), [`stop_now`](Self::stop_now),
/// its context, or system shutdown), fails for good, or, for an unnamed top-level actor,
/// the last strong handle to it is dropped. In the last case no new message can ever
/// arrive, so it handles what is queued and stops with [`StopReason::RefsDropped`], like a
/// tokio channel whose senders are all gone. A named top-level actor is kept by the
/// system's guardian, and a child by its parent, whoever else holds a handle. A
/// [`WeakActorRef`] does not keep it alive; the actor's own
/// [`Context::actor_ref`](crate::Context::actor_ref) does, while it is held.
pub struct ActorRef<A: Actor> {
    client: A::Client,
}

impl<A: Actor> ActorRef<A> {
    pub(crate) fn from_core(core: RefCore<A>) -> Self {
        ActorRef {
            client: A::Client::from_core(core),
        }
    }

    fn core(&self) -> &RefCore<A> {
        self.client.core()
    }

    pub(crate) fn cell(&self) -> &Arc<ActorCell<A>> {
        &self.core().cell
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell().id
    }

    /// The name it was spawned with, if any.
    pub fn name(&self) -> Option<&str> {
        self.cell().link.name()
    }

    /// Its path in the supervision tree, like `/user/bank/account-7` (unnamed actors get
    /// `$` and their id as the last segment).
    pub fn path(&self) -> &str {
        self.cell().path()
    }

    /// Whether the actor has not stopped yet. A `true` can be stale by the time you act on
    /// it; the result of a send is the reliable answer.
    pub fn is_alive(&self) -> bool {
        !self.cell().status().is_stopped()
    }

    /// Where the actor is in its life.
    pub fn status(&self) -> ActorStatus {
        self.cell().status().get()
    }

    /// Sends a message without waiting for its reply, waiting for mailbox space if the
    /// mailbox is full.
    ///
    /// # Errors
    ///
    /// [`SendError`](crate::SendError) with the message if the actor no longer accepts messages.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not enqueued and is
    /// dropped.
    pub fn tell(&self, msg: A::Msg) -> Tell<'_, A> {
        self.core().tell(msg)
    }

    /// Sends a message without waiting, neither for space nor for the reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] with the message if the mailbox is full,
    /// [`TrySendError::Closed`] with the message if the actor no longer accepts messages.
    pub fn try_tell(&self, msg: A::Msg) -> Result<(), TrySendError<A::Msg>> {
        self.core().try_send(msg)
    }

    /// Sends a message and returns a [`Request`] that, awaited, resolves with the reply.
    ///
    /// The generated client methods (`account.deposit(5)`) are the typed form of this:
    /// they build the message and unwrap the reply for you.
    pub fn ask(&self, msg: A::Msg) -> Request<'_, A, A::Reply> {
        Request::new(self.core(), msg, std::convert::identity)
    }

    /// Asks the actor to stop gracefully: it refuses new messages, handles those already
    /// queued, runs its `stopping` and `stopped` hooks and stops. Returns at once; await
    /// [`terminated`](Self::terminated) to wait for the end. A no-op on a stopped actor.
    pub fn stop(&self) {
        self.cell().stop(StopMode::Graceful);
    }

    /// Stops the actor after the message it is handling now; what is queued is dropped and
    /// pending asks resolve with [`AskError::Stopped`](crate::AskError::Stopped). The
    /// signal skips the user mailbox, so a full mailbox does not delay it.
    pub fn stop_now(&self) {
        self.cell().stop(StopMode::Immediate);
    }

    /// Waits until the actor has stopped, and says why.
    ///
    /// It waits as long as the actor runs, and this ref is itself a reason to run: an actor
    /// that would stop only when its refs are dropped never does while you await this.
    /// Ask it to [`stop`](Self::stop) first, await a [`WeakActorRef::terminated`], or bound
    /// the wait with `tokio::time::timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the actor.
    pub async fn terminated(&self) -> StopReason {
        self.cell().status().stopped().await
    }

    /// A handle that does not keep the actor alive.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef {
            cell: Arc::clone(&self.core().cell),
        }
    }
}

impl<A: Actor> Deref for ActorRef<A> {
    type Target = A::Client;

    fn deref(&self) -> &A::Client {
        &self.client
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef::from_core(self.core().clone())
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ActorRef");
        s.field("type", &std::any::type_name::<A>())
            .field("id", &self.id());
        if let Some(name) = self.name() {
            s.field("name", &name);
        }
        s.finish()
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> Hash for ActorRef<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

/// A handle that does not keep the actor alive; [`upgrade`](Self::upgrade) it to send.
pub struct WeakActorRef<A: Actor> {
    cell: Arc<ActorCell<A>>,
}

impl<A: Actor> WeakActorRef<A> {
    pub(crate) fn from_cell(cell: Arc<ActorCell<A>>) -> Self {
        WeakActorRef { cell }
    }

    /// A strong ref, or `None` if no strong ref is left (the actor is stopping or
    /// stopped).
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        RefCore::upgrade(&self.cell).map(ActorRef::from_core)
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// Whether the actor has not stopped yet.
    pub fn is_alive(&self) -> bool {
        !self.cell.status().is_stopped()
    }

    /// Waits until the actor has stopped, and says why. Does not keep it alive.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn terminated(&self) -> StopReason {
        self.cell.status().stopped().await
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        WeakActorRef {
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorRef")
            .field("type", &std::any::type_name::<A>())
            .field("id", &self.cell.id)
            .finish()
    }
}
