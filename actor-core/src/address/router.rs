//! [`RouterCell`]: what every handle to one router shares, and [`Route`], the seam through
//! which a router's owner (`crate::routing`) decides where each message goes.
//!
//! A router is a kind of target of its own (`Target::Routed` in `address::core`): a ref to
//! it has the type of a ref to one of its routees, so the routees' generated client methods
//! work on it unchanged. This file knows nothing of strategies or pools; it holds what any
//! target answers (id, path, status, watchers, the ask timeout) and asks its [`Route`] the
//! rest.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::address::core::RefCore;
use crate::address::handle::ActorHandle;
use crate::death_watch::{Watched, WatchedBy};
use crate::events::Events;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StatusCell, StopMode, StopReason};

/// Where a router sends one message.
pub(crate) enum Routing<A: Actor> {
    /// To this routee (a strong ref, which may itself be a router).
    To(RefCore<A>),
    /// A copy to each of these local routees, in this order; the first that accepts the
    /// message gets the original (and with it an ask's reply slot), the others a clone made
    /// with the function.
    Every(Vec<Arc<ActorCell<A>>>, fn(&A::Msg) -> A::Msg),
    /// Nowhere: no routee is left.
    Nowhere,
}

/// A router's decisions, implemented by `crate::routing`: where a message goes, and what a
/// stop, the last ref's drop and a routee's end do to the routees.
///
/// No method is called with a lock of the router held; each may run user code (a
/// consistent-hashing key function) and send signals.
pub(crate) trait Route<A: Actor>: Send + Sync + 'static {
    /// Where `msg` goes.
    fn route(&self, msg: &A::Msg) -> Routing<A>;

    /// The routees, in routing order.
    fn routees(&self) -> Vec<RefCore<A>>;

    /// A stop of the router asked by one of its refs.
    fn stop(&self, router: &RouterCell<A>, mode: StopMode);

    /// The last strong ref to the router was dropped.
    fn refs_dropped(&self, router: &RouterCell<A>);
}

/// What every handle to one router shares.
pub(crate) struct RouterCell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) path: Arc<str>,
    /// Strong refs alive: when the last goes, [`Route::refs_dropped`] says what follows.
    pub(crate) strong_refs: AtomicUsize,
    pub(crate) status: StatusCell,
    pub(crate) watchers: WatchedBy<ActorHandle>,
    pub(crate) events: Arc<Events>,
    pub(crate) ask_timeout: Duration,
    /// Shared with the routing that made it, which keeps its own typed handle to it.
    pub(crate) route: Arc<dyn Route<A>>,
}

impl<A: Actor> RouterCell<A> {
    /// Counts `msg` as a dead letter of the router: no routee could take it.
    pub(crate) fn dead_letter(&self, msg: &A::Msg) {
        self.events
            .dead_letter(self.id, &self.path, A::message_name(msg));
    }

    /// Records `watcher`'s watch, or tells it at once if the router has already stopped.
    pub(crate) fn add_watcher(&self, watcher_id: ActorId, watcher: &ActorHandle) {
        self.watchers
            .add(watcher_id, watcher, (self.id, || &self.path), &self.status);
    }

    /// Marks the router stopped for `reason` and tells its watchers, once: a second call
    /// changes nothing.
    pub(crate) fn finish(&self, reason: StopReason) {
        if self.status.is_stopped() {
            return;
        }
        self.status.set(ActorStatus::Stopped(reason.clone()));
        self.watchers.notify_all(self.id, || &self.path, &reason);
    }
}

impl<A: Actor> Watched for RouterCell<A> {
    fn remove_watcher(&self, watcher: ActorId) {
        self.watchers.remove(watcher);
    }
}
