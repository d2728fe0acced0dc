//! The system signals: what travels on an actor's system lane, beside its user mailbox
//! (Akka's system messages).

use tokio::sync::oneshot;

use crate::death_watch::Terminated;
use crate::error::Failure;
use crate::lifecycle::{StopMode, StopReason};

/// Signals on the system lane, which the actor polls before its user mailbox.
#[derive(Debug)]
pub(crate) enum SystemSignal {
    /// Stop as `mode` says, for `reason`: from a ref, the system, or the supervisor (which
    /// stops a child at once, [`StopReason::Requested`]).
    Stop(StopMode, StopReason),
    /// The last strong ref was dropped; the actor checks the count again, since its own
    /// context may have handed out a new ref since.
    RefsDropped,
    /// From a child's task: this actor fails with this failure (a child's escalation, or
    /// a panic in this actor's decider). Sent with `ActorHandle::fail`, which also
    /// interrupts a handler waiting at an await point.
    Failed(Failure),
    /// From its supervisor: go on after a failure (its own, a sibling's or the
    /// supervisor's), with the same instance.
    Resume,
    /// From its supervisor, which failed: handle no messages until a `Resume` (or a stop).
    Suspend,
    /// A restart of several siblings, first step: run `pre_restart`, drop the instance,
    /// stop the children, say so on `done`, and wait for [`SystemSignal::Start`].
    Teardown {
        cause: Failure,
        done: oneshot::Sender<()>,
    },
    /// A restart of several siblings, second step, in start order: create the new
    /// instance, run `post_restart`, say so on `done`.
    Start { done: oneshot::Sender<()> },
    /// From a watched actor: it stopped.
    Terminated(Terminated),
    /// From its parent, which is stopping (or restarting): stop as `mode` says while
    /// running; if it cannot run (suspended, restarting), stop at once, since the parent
    /// that would let it run again is going.
    ParentStop(StopMode, StopReason),
}

/// What interrupts an actor even inside an async handler (cancelled at its await point):
/// its own failure, and its part of a restart together with its siblings, which must not
/// wait for whatever the handler awaits (OTP kills a sibling that does not stop).
#[derive(Debug)]
pub(crate) enum Urgent {
    Failed(Failure),
    Teardown {
        cause: Failure,
        done: oneshot::Sender<()>,
    },
    /// Stop at once: a temporary sibling in a restart together, or a child of an actor
    /// being restarted.
    Stop,
}

impl Urgent {
    pub(crate) fn into_signal(self) -> SystemSignal {
        match self {
            Urgent::Failed(failure) => SystemSignal::Failed(failure),
            Urgent::Teardown { cause, done } => SystemSignal::Teardown { cause, done },
            Urgent::Stop => SystemSignal::Stop(StopMode::Immediate, StopReason::Requested),
        }
    }
}
