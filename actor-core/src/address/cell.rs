//! [`ActorCell`]: what every handle to one local actor shares.

use std::sync::atomic::{self, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::actor::Actor;
use crate::address::handle::{ActorHandle, HandleParts};
use crate::death_watch::{Watched, WatchedBy};
use crate::error::Failure;
use crate::events::Events;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StatusCell, StopMode, StopReason};
use crate::mailbox::envelope::Envelope;
use crate::mailbox::lane::{ActorWaker, LaneHost, SignalLane};
use crate::mailbox::queue::{MailboxHost, MailboxSender};
use crate::mailbox::signal::SystemSignal;
use crate::mailbox::MailboxConfig;

/// What every handle to one local actor shares: its mailbox, its system lane, its status
/// and path, the count of strong refs, and who watches it.
///
/// One allocation for all of it: typed refs hold an `Arc<ActorCell<A>>`, untyped handles
/// the same `Arc` seen through [`HandleParts`], and the actor's task reaches its mailbox
/// and lane through it too.
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: MailboxSender<Envelope<A>>,
    /// Signals from its supervisor, its watchers and whoever stops it; they wake the actor
    /// through `mailbox`.
    lane: SignalLane,
    status: StatusCell,
    /// Where it sits in the tree, like `/user/bank/account-7`; its last segment is the
    /// actor's name, or `$` and its id for an unnamed actor. A named actor's is built at
    /// its spawn (the registry finds it by it); an unnamed one's only when first asked
    /// for, from `parent_path`: most actors are never asked for theirs, and building it
    /// was an allocation and a tenth of the cost of a spawn.
    path: OnceLock<Arc<str>>,
    /// An unnamed actor's parent's path; `None` for a named actor.
    parent_path: Option<Arc<str>>,
    /// Strong refs alive. Kept apart from the mailbox so that the actor can hand out a new
    /// strong ref to itself even after every outside ref was dropped.
    pub(crate) strong_refs: AtomicUsize,
    pub(crate) ask_timeout: Duration,
    pub(crate) watchers: WatchedBy<ActorHandle>,
    pub(crate) events: Arc<Events>,
}

impl<A: Actor> ActorCell<A> {
    /// The cell of a new actor under the actor at `parent_path`, with an empty mailbox
    /// configured by `mailbox`.
    pub(crate) fn new(
        id: ActorId,
        parent_path: Arc<str>,
        name: Option<&str>,
        mailbox: MailboxConfig,
        ask_timeout: Duration,
        events: Arc<Events>,
    ) -> Arc<Self> {
        let (path, parent_path) = match name {
            Some(name) => (
                OnceLock::from(child_path(&parent_path, Some(name), id)),
                None,
            ),
            None => (OnceLock::new(), Some(parent_path)),
        };
        Arc::new(ActorCell {
            id,
            mailbox: MailboxSender::new(mailbox),
            lane: SignalLane::new(),
            status: StatusCell::new(ActorStatus::Starting),
            path,
            parent_path,
            strong_refs: AtomicUsize::new(0),
            ask_timeout,
            watchers: WatchedBy::new(),
            events,
        })
    }

    /// Its untyped handle: the same allocation, seen without its type.
    pub(crate) fn handle(self: &Arc<Self>) -> ActorHandle {
        ActorHandle::new(Arc::clone(self) as Arc<dyn HandleParts>)
    }

    /// Where it sits in the tree, like `/user/bank/account-7`.
    pub(crate) fn path(&self) -> &Arc<str> {
        self.path.get_or_init(|| {
            let parent = self.parent_path.as_deref().unwrap_or_default();
            child_path(parent, None, self.id)
        })
    }

    /// The name it was spawned with: the path's last segment, unless the actor is unnamed.
    pub(crate) fn name(&self) -> Option<&str> {
        if self.parent_path.is_some() {
            return None;
        }
        Some(self.path().rsplit('/').next().unwrap_or_default())
    }

    pub(crate) fn status(&self) -> &StatusCell {
        &self.status
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
        let _ = self.lane.send(signal, &self.mailbox);
    }

    /// Fails the actor, also inside an async handler; see [`SignalLane::fail`].
    pub(crate) fn fail(&self, failure: Failure) -> Result<(), Failure> {
        self.lane.fail(failure, &self.mailbox)
    }

    /// Gives back one strong ref: the last one gone tells the actor.
    pub(crate) fn release_strong(&self) {
        if self.strong_refs.fetch_sub(1, Ordering::Release) == 1 {
            atomic::fence(Ordering::Acquire);
            self.signal(SystemSignal::RefsDropped);
        }
    }

    /// Counts `msg` as a dead letter: it was refused, or dropped when the actor stopped.
    pub(crate) fn dead_letter(&self, msg: &A::Msg) {
        self.events
            .dead_letter(self.id, self.path(), A::message_name(msg));
    }

    /// Records `watcher`'s watch, or tells it at once if this actor has already stopped.
    pub(crate) fn add_watcher(&self, watcher_id: ActorId, watcher: &ActorHandle) {
        self.watchers.add(
            watcher_id,
            watcher,
            (self.id, || self.path()),
            self.status(),
        );
    }

    /// Tells every watcher of the end, once; after the status says `Stopped`.
    pub(crate) fn notify_watchers(&self, reason: &StopReason) {
        self.watchers.notify_all(self.id, || self.path(), reason);
    }
}

impl<A: Actor> HandleParts for ActorCell<A> {
    fn lane(&self) -> &SignalLane {
        &self.lane
    }

    fn waker(&self) -> &dyn ActorWaker {
        &self.mailbox
    }

    fn status(&self) -> &StatusCell {
        &self.status
    }

    fn path(&self) -> &Arc<str> {
        ActorCell::path(self)
    }

    fn name(&self) -> Option<&str> {
        ActorCell::name(self)
    }

    fn close_mailbox(&self, to_senders_only: bool) {
        self.mailbox.close_for_shutdown(to_senders_only);
    }

    fn release_strong_ref(&self) {
        self.release_strong();
    }
}

/// The actor's task reaches its lane and mailbox through its cell.
impl<A: Actor> LaneHost for ActorCell<A> {
    fn lane(&self) -> &SignalLane {
        &self.lane
    }

    fn waker(&self) -> &dyn ActorWaker {
        &self.mailbox
    }
}

impl<A: Actor> MailboxHost for Arc<ActorCell<A>> {
    type Item = Envelope<A>;

    fn mailbox(&self) -> &MailboxSender<Envelope<A>> {
        &self.mailbox
    }
}

impl<A: Actor> Watched for ActorCell<A> {
    fn remove_watcher(&self, watcher: ActorId) {
        self.watchers.remove(watcher);
    }
}

/// A child's path: its parent's, then its name or, unnamed, `$` and its id. Built by hand
/// rather than with `format!`, which was a seventh of the cost of a spawn, and on the
/// stack when it is short, so that the `Arc` is its one allocation.
pub(crate) fn child_path(parent_path: &str, name: Option<&str>, id: ActorId) -> Arc<str> {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    let segment: &[u8] = match name {
        Some(name) => name.as_bytes(),
        None => {
            let mut n = id.as_u64();
            loop {
                start -= 1;
                digits[start] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            &digits[start..]
        }
    };
    let marker: &[u8] = if name.is_none() { b"/$" } else { b"/" };
    let parts = [parent_path.as_bytes(), marker, segment];
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let mut short = [0_u8; 128];
    let mut long = Vec::new();
    let buffer: &mut [u8] = if len <= short.len() {
        &mut short[..len]
    } else {
        long.resize(len, 0);
        &mut long
    };
    let mut at = 0;
    for part in parts {
        buffer[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    // Only whole UTF-8 strings and ASCII went in.
    Arc::from(std::str::from_utf8(buffer).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_paths_are_parent_then_name_or_dollar_id() {
        let id = ActorId::next();
        let unnamed = format!("/user/bank/${}", id.as_u64());
        assert_eq!(&*child_path("/user/bank", None, id), unnamed);
        assert_eq!(
            &*child_path("/user/bank", Some("teller"), id),
            "/user/bank/teller"
        );
        // Longer than the stack buffer: built on the heap, same result.
        let deep = format!("/user{}", "/branch".repeat(30));
        assert_eq!(
            &*child_path(&deep, Some("leaf"), id),
            format!("{deep}/leaf")
        );
        assert_eq!(
            ActorId::from_segment(&format!("${}", id.as_u64())),
            Some(id)
        );
        assert_eq!(ActorId::from_segment("teller"), None);
        assert_eq!(ActorId::from_segment("$"), None);
    }
}
