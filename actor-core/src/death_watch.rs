//! Death watch (Akka's `Watch`, OTP's `monitor`): an actor asks to be told, once, when
//! another one stops for good.
//!
//! Both ends keep a record, keyed by id. The watched actor keeps its watchers
//! ([`WatchedBy`]), to tell each of them once when it stops; the watcher keeps what it
//! watches ([`Watching`]), so that a [`Terminated`] is delivered only while its watch is
//! still there (one per watch, none after an unwatch, also for one already on its way), and
//! so that a watcher that stops takes its watches back at once. The delivery itself (the
//! `terminated` hook, and the signals held while an actor is suspended) is the runner's.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::id::{remove_shrinking, ActorId, IdMap};
use crate::lifecycle::{ActorStatus, StatusCell, StopReason};

/// The death-watch signal: a watched actor has stopped. Delivered exactly once per watch,
/// also when the actor was already dead when the watch began, and never after an unwatch;
/// see [`Context::watch`](crate::Context::watch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The actor that stopped.
    pub id: ActorId,
    /// Its path in the tree, like `/user/bank/account-7`.
    pub path: Arc<str>,
    /// Why it stopped.
    pub reason: StopReason,
}

/// A watcher, as the actor it watches keeps it: whatever carries a [`Terminated`] to it
/// (its system lane).
pub(crate) trait Watcher: Clone + Send + Sync {
    /// Hands `terminated` to the watcher; nothing happens if the watcher is gone.
    fn deliver(&self, terminated: Terminated);
}

/// Who watches an actor, keyed by the watcher's id, so that a watch, an unwatch and a
/// dying watcher's removal cost O(1).
///
/// A watch that comes after the end (the status says `Stopped`) is told at once and not
/// recorded; the one lock over the map, taken after the status is set, makes each watch
/// told exactly once. The map is boxed when first needed and dropped again when the last
/// watcher goes: most actors are never watched, and an idle actor is lighter without it.
pub(crate) struct WatchedBy<W> {
    watchers: Mutex<Option<Box<IdMap<W>>>>,
}

impl<W: Watcher> WatchedBy<W> {
    pub(crate) fn new() -> Self {
        WatchedBy {
            watchers: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Box<IdMap<W>>>> {
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `watcher`'s watch of the actor `id` at `path` (asked for only then: an
    /// unnamed actor's is built when first needed), or tells it at once if that
    /// actor has already stopped (as `status` says). The watcher keeps its own record of
    /// what it watches, so a second watch while one is active never reaches here.
    pub(crate) fn add<'p>(
        &self,
        watcher_id: ActorId,
        watcher: &W,
        (id, path): (ActorId, impl FnOnce() -> &'p Arc<str>),
        status: &StatusCell,
    ) {
        let ended = {
            let mut watchers = self.lock();
            match status.get() {
                ActorStatus::Stopped(reason) => Some(reason),
                _ => {
                    let watchers = watchers.get_or_insert_with(Box::default);
                    watchers.insert(watcher_id, watcher.clone());
                    None
                }
            }
        };
        if let Some(reason) = ended {
            // Decided under the lock, delivered outside it: the watcher's lane has its own.
            watcher.deliver(Terminated {
                id,
                path: Arc::clone(path()),
                reason,
            });
        }
    }

    /// Forgets `watcher_id`'s watch: on an unwatch, and when the watcher stops.
    pub(crate) fn remove(&self, watcher_id: ActorId) {
        let removed = {
            let mut watchers = self.lock();
            remove_shrinking(&mut watchers, watcher_id)
        };
        // Dropped outside the lock: it may be the last handle to the watcher's lane.
        drop(removed);
    }

    /// Tells every watcher of the end of the actor `id` at `path`, once. Called after the
    /// status says `Stopped`, so a watch from now on is answered by [`add`](Self::add).
    pub(crate) fn notify_all<'p>(
        &self,
        id: ActorId,
        path: impl FnOnce() -> &'p Arc<str>,
        reason: &StopReason,
    ) {
        // Never watched: nothing to tell, and nothing to allocate.
        let Some(watchers) = self.lock().take() else {
            return;
        };
        let terminated = Terminated {
            id,
            path: Arc::clone(path()),
            reason: reason.clone(),
        };
        for watcher in (*watchers).into_values() {
            watcher.deliver(terminated.clone());
        }
    }
}

/// The other end of a watch, as the watcher keeps it: the watched actor, whatever its type,
/// so that the watcher can take its watch back when it unwatches or dies.
pub(crate) trait Watched: Send + Sync {
    /// Forgets `watcher`'s watch; a no-op if there is none.
    fn remove_watcher(&self, watcher: ActorId);
}

/// What an actor watches, keyed by the watched actor's id. Boxed when first needed.
#[derive(Default)]
pub(crate) struct Watching {
    watched: Option<Box<IdMap<Arc<dyn Watched>>>>,
}

impl Watching {
    /// Records a watch of `target`, unless one is active already; returns whether it is
    /// new, in which case the caller registers it with `target` too.
    pub(crate) fn insert(
        &mut self,
        target_id: ActorId,
        target: impl FnOnce() -> Arc<dyn Watched>,
    ) -> bool {
        let watched = self.watched.get_or_insert_with(Box::default);
        match watched.entry(target_id) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(target());
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
        }
    }

    /// Ends the watch of `target_id`; returns the watched actor, to take the watch back
    /// from it, if the watch was active.
    pub(crate) fn remove(&mut self, target_id: ActorId) -> Option<Arc<dyn Watched>> {
        remove_shrinking(&mut self.watched, target_id)
    }

    /// Whether a `Terminated` of `target_id` belongs to a watch still active; if so, that
    /// watch ends with it.
    pub(crate) fn take(&mut self, target_id: ActorId) -> bool {
        self.remove(target_id).is_some()
    }

    /// Takes back every watch, as the watcher `watcher_id` stops: the actors it watched
    /// forget it at once rather than keep its lane until they stop.
    pub(crate) fn unwatch_all(&mut self, watcher_id: ActorId) {
        for target in self
            .watched
            .take()
            .into_iter()
            .flat_map(|map| map.into_values())
        {
            target.remove_watcher(watcher_id);
        }
    }
}
