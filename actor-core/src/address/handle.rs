//! [`ActorHandle`]: an actor as those who know it without knowing its type see it.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::death_watch::{Terminated, Watcher};
use crate::error::Failure;
use crate::lifecycle::StatusCell;
use crate::mailbox::lane::{ActorWaker, SignalLane};
use crate::mailbox::signal::SystemSignal;

/// An untyped handle to an actor: signals it on its system lane, reads its status and
/// path. It does not keep the actor alive and cannot send it user messages. Cheap to
/// clone.
///
/// It points into the actor's own cell (an `ActorCell<A>`, seen through
/// [`HandleParts`]), so that the cell's one allocation serves its typed refs and its
/// untyped handles alike: its parent, the registry and its watchers all point there.
#[derive(Clone)]
pub(crate) struct ActorHandle(Arc<dyn HandleParts>);

/// What an untyped handle reaches in an actor's cell, whatever the actor's type. `Any`,
/// so that a lookup by name can get the typed cell back.
pub(crate) trait HandleParts: Any + Send + Sync {
    /// The system lane.
    fn lane(&self) -> &SignalLane;
    /// Where the actor's task waits: its mailbox, which a signal wakes it through.
    fn waker(&self) -> &dyn ActorWaker;
    fn status(&self) -> &StatusCell;
    /// Where it sits in the tree, like `/user/bank/account-7`; its last segment is the
    /// actor's name, or `$` and its id for an unnamed actor.
    fn path(&self) -> &Arc<str>;
    /// The name it was spawned with, if any.
    fn name(&self) -> Option<&str>;
    /// Closes the mailbox for a system shutdown; see
    /// [`MailboxSender::close_for_shutdown`](crate::mailbox::queue::MailboxSender::close_for_shutdown).
    fn close_mailbox(&self, to_senders_only: bool);
    /// Gives back a strong ref counted by hand (a parent's keep-alive of its child): the
    /// last one gone tells the actor, as the drop of an `ActorRef` does.
    fn release_strong_ref(&self);
}

impl ActorHandle {
    /// The handle of the actor whose cell is `parts`.
    pub(crate) fn new(parts: Arc<dyn HandleParts>) -> Self {
        ActorHandle(parts)
    }

    pub(crate) fn status(&self) -> &StatusCell {
        self.0.status()
    }

    pub(crate) fn path(&self) -> &Arc<str> {
        self.0.path()
    }

    /// The name it was spawned with, unless the actor is unnamed.
    pub(crate) fn name(&self) -> Option<&str> {
        self.0.name()
    }

    /// The actor's cell, for a typed lookup to downcast.
    pub(crate) fn cell(&self) -> Arc<dyn Any + Send + Sync> {
        Arc::clone(&self.0) as Arc<dyn Any + Send + Sync>
    }

    /// Closes the actor's mailbox, for a system shutdown.
    pub(crate) fn close_mailbox(&self, to_senders_only: bool) {
        self.0.close_mailbox(to_senders_only);
    }

    /// Gives back a strong ref counted by hand; see [`HandleParts::release_strong_ref`].
    pub(crate) fn release_strong_ref(&self) {
        self.0.release_strong_ref();
    }

    /// Queues `signal`; hands it back if the actor is gone.
    pub(crate) fn send(&self, signal: SystemSignal) -> Result<(), SystemSignal> {
        self.0.lane().send(signal, self.0.waker())
    }

    /// Fails the actor, also inside an async handler; see [`SignalLane::fail`].
    pub(crate) fn fail(&self, failure: Failure) -> Result<(), Failure> {
        self.0.lane().fail(failure, self.0.waker())
    }

    /// Stops the actor at once, also inside an async handler; see
    /// [`SignalLane::stop_urgently`].
    pub(crate) fn stop_urgently(&self) -> bool {
        self.0.lane().stop_urgently(self.0.waker())
    }

    /// Tears the actor down for a restart together with its siblings; see
    /// [`SignalLane::teardown`].
    pub(crate) fn teardown(&self, cause: Failure, done: oneshot::Sender<()>) -> bool {
        self.0.lane().teardown(cause, done, self.0.waker())
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
        f.debug_tuple("ActorHandle").field(self.0.path()).finish()
    }
}
