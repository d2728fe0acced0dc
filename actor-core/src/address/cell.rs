//! [`ActorCell`]: what every handle to one local actor shares.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::handle::ActorHandle;
use crate::death_watch::{Watched, WatchedBy};
use crate::events::Events;
use crate::id::ActorId;
use crate::lifecycle::{StatusCell, StopMode, StopReason};
use crate::mailbox::envelope::Envelope;
use crate::mailbox::queue::MailboxSender;
use crate::mailbox::signal::SystemSignal;

/// What every handle to one local actor shares: its mailbox's senders' side, its untyped
/// handle, the count of strong refs, and who watches it.
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: MailboxSender<Envelope<A>>,
    /// Its system lane, status and path, shared with whoever knows it untyped.
    pub(crate) handle: ActorHandle,
    /// Strong refs alive. Kept apart from the mailbox so that the actor can hand out a new
    /// strong ref to itself even after every outside ref was dropped.
    pub(crate) strong_refs: AtomicUsize,
    pub(crate) ask_timeout: Duration,
    pub(crate) watchers: WatchedBy<ActorHandle>,
    pub(crate) events: Arc<Events>,
}

impl<A: Actor> ActorCell<A> {
    /// Where it sits in the tree, like `/user/bank/account-7`.
    pub(crate) fn path(&self) -> &Arc<str> {
        self.handle.path()
    }

    pub(crate) fn status(&self) -> &StatusCell {
        self.handle.status()
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
        let _ = self.handle.send(signal);
    }

    /// Counts `msg` as a dead letter: it was refused, or dropped when the actor stopped.
    pub(crate) fn dead_letter(&self, msg: &A::Msg) {
        self.events
            .dead_letter(self.id, self.path(), A::message_name(msg));
    }

    /// Records `watcher`'s watch, or tells it at once if this actor has already stopped.
    pub(crate) fn add_watcher(&self, watcher_id: ActorId, watcher: &ActorHandle) {
        self.watchers
            .add(watcher_id, watcher, (self.id, self.path()), self.status());
    }

    /// Tells every watcher of the end, once; after the status says `Stopped`.
    pub(crate) fn notify_watchers(&self, reason: &StopReason) {
        self.watchers.notify_all(self.id, self.path(), reason);
    }
}

impl<A: Actor> Watched for ActorCell<A> {
    fn remove_watcher(&self, watcher: ActorId) {
        self.watchers.remove(watcher);
    }
}
