//! [`ActorHandle`]: an actor as those who know it without knowing its type see it.

use std::fmt;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::death_watch::{Terminated, Watcher};
use crate::error::Failure;
use crate::lifecycle::{ActorStatus, StatusCell};
use crate::mailbox::lane::{ActorWaker, SignalLane, SignalReceiver};
use crate::mailbox::signal::SystemSignal;

/// An untyped handle to an actor: signals it on its system lane, reads its status and
/// path. It does not keep the actor alive and cannot send it user messages. Cheap to
/// clone.
///
/// Its parent, the registry, its watchers and its own cell all point at this one
/// allocation, rather than each keeping copies.
#[derive(Clone)]
pub(crate) struct ActorHandle(Arc<Shared>);

struct Shared {
    lane: SignalLane,
    status: StatusCell,
    /// Where it sits in the tree, like `/user/bank/account-7`; its last segment is the
    /// actor's name, or `$` and its id for an unnamed actor.
    path: Arc<str>,
}

impl ActorHandle {
    /// The handle of a new actor at `path`, woken through `waker` (its mailbox), and the
    /// actor's end of its system lane.
    pub(crate) fn new(
        path: Arc<str>,
        waker: Arc<dyn ActorWaker>,
    ) -> (ActorHandle, SignalReceiver<ActorHandle>) {
        let handle = ActorHandle(Arc::new(Shared {
            lane: SignalLane::new(waker),
            status: StatusCell::new(ActorStatus::Starting),
            path,
        }));
        (handle.clone(), SignalReceiver::new(handle))
    }

    pub(crate) fn status(&self) -> &StatusCell {
        &self.0.status
    }

    pub(crate) fn path(&self) -> &Arc<str> {
        &self.0.path
    }

    /// The name it was spawned with: the path's last segment, unless the actor is unnamed
    /// (`$` and its id, which no name may start with).
    pub(crate) fn name(&self) -> Option<&str> {
        let last = self.0.path.rsplit('/').next().unwrap_or_default();
        (!last.starts_with('$')).then_some(last)
    }

    /// Closes the actor's mailbox (see [`ActorWaker::close`]), for a system shutdown.
    pub(crate) fn close_mailbox(&self, to_senders_only: bool) {
        self.0.lane.close_mailbox(to_senders_only);
    }

    /// Queues `signal`; hands it back if the actor is gone.
    pub(crate) fn send(&self, signal: SystemSignal) -> Result<(), SystemSignal> {
        self.0.lane.send(signal)
    }

    /// Fails the actor, also inside an async handler; see [`SignalLane::fail`].
    pub(crate) fn fail(&self, failure: Failure) -> Result<(), Failure> {
        self.0.lane.fail(failure)
    }

    /// Stops the actor at once, also inside an async handler; see
    /// [`SignalLane::stop_urgently`].
    pub(crate) fn stop_urgently(&self) -> bool {
        self.0.lane.stop_urgently()
    }

    /// Tears the actor down for a restart together with its siblings; see
    /// [`SignalLane::teardown`].
    pub(crate) fn teardown(&self, cause: Failure, done: oneshot::Sender<()>) -> bool {
        self.0.lane.teardown(cause, done)
    }
}

impl AsRef<SignalLane> for ActorHandle {
    fn as_ref(&self) -> &SignalLane {
        &self.0.lane
    }
}

impl Watcher for ActorHandle {
    fn deliver(&self, terminated: Terminated) {
        // A watcher that is gone has nothing left to learn.
        let _ = self.send(SystemSignal::Terminated(terminated));
    }
}

impl fmt::Debug for ActorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ActorHandle").field(&self.0.path).finish()
    }
}
