//! The typed errors of the runtime.
//!
//! Each error says what happened and, where the message was never delivered, hands it back
//! so the caller can retry, reroute or log it. `Debug` never requires the message to be
//! `Debug`, so these errors work with any message type (the same choice as
//! `tokio::sync::mpsc::error::SendError`).

use std::fmt;
use std::sync::Arc;

/// A tell could not be delivered because the actor no longer accepts messages.
///
/// The actor has stopped, is stopping, or has closed its mailbox; the message is handed
/// back in the field.
pub struct SendError<M>(pub M);

impl<M> SendError<M> {
    /// Takes the undelivered message back.
    pub fn into_inner(self) -> M {
        self.0
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the actor is not running, so the message was not delivered")
    }
}

impl<M> std::error::Error for SendError<M> {}

/// A non-waiting tell could not be delivered; the message is handed back.
pub enum TrySendError<M> {
    /// The mailbox is full (bounded mailboxes only); the actor is alive but behind.
    Full(M),
    /// The actor no longer accepts messages.
    Closed(M),
}

impl<M> TrySendError<M> {
    /// Takes the undelivered message back.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(msg) | TrySendError::Closed(msg) => msg,
        }
    }

    /// Whether the message was refused because the mailbox was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the actor's mailbox is full"),
            TrySendError::Closed(_) => {
                f.write_str("the actor is not running, so the message was not delivered")
            }
        }
    }
}

impl<M> std::error::Error for TrySendError<M> {}

impl<M> From<SendError<M>> for TrySendError<M> {
    fn from(err: SendError<M>) -> Self {
        TrySendError::Closed(err.0)
    }
}

/// An ask did not produce a reply.
///
/// An ask always resolves: with the reply, or with one of these. The variants that carry
/// `M` are the ones where the message was certainly never handled. More variants come
/// with remote asks, so a `match` needs a `_` arm.
#[non_exhaustive]
pub enum AskError<M> {
    /// The actor was not running; the message was not delivered and is handed back.
    Closed(M),
    /// The mailbox stayed full until the timeout; the message was not delivered and is
    /// handed back.
    MailboxFull(M),
    /// No reply arrived within the timeout. The message was delivered and may still be
    /// handled; its reply, if any, is discarded.
    Timeout,
    /// The actor stopped before it handled the message (an immediate stop drops what is
    /// queued), so no reply will come.
    Stopped,
    /// The handler failed (panicked) while handling this very message.
    Failed(Failure),
    /// The handler took the message's reply slot to answer later
    /// ([`ReplyTo`](crate::ReplyTo)) and dropped it without answering, also by panicking
    /// with it.
    NoReply,
    /// The ask went to an actor on another node, and what happened there (or to the link)
    /// means no reply will come; [`RemoteError`] says which.
    Remote(RemoteError),
}

/// What went wrong with a message to an actor on another node, beyond what a local actor
/// can do (a remote actor that stops or fails is [`AskError::Stopped`] or
/// [`AskError::Failed`], as a local one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteError {
    /// The node knows no actor by that ref: it was never there, it stopped and was
    /// forgotten, or the ref points at an earlier run (incarnation) of that node (Akka's
    /// `ActorNotFound`, or a message to dead letters there).
    UnknownActor,
    /// The actor's mailbox there was full, so the message went to that node's dead
    /// letters rather than stall every other actor behind it on the link.
    MailboxFull,
    /// The message could not be decoded there (or the reply here): the two nodes run
    /// different versions of the message. The text says what the decoder found.
    Undecodable(String),
    /// The message could not be encoded here: an argument's `Serialize` impl failed.
    Unencodable(String),
    /// The node could not be reached, or the link to it was lost before the reply came
    /// (Akka's `AssociationError` / `addressTerminated`).
    Unreachable,
    /// This node's outgoing queue to that node was full (the network or the peer is
    /// behind), so the message was not sent. Sends wait for room; only a send that lost
    /// a race for the last place meets this.
    OutboundFull,
    /// The encoded message is larger than the link's frame limit, so it was not sent.
    TooLarge {
        /// The encoded size, in bytes.
        size: usize,
        /// The link's limit.
        max: usize,
    },
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::UnknownActor => f.write_str("the remote node knows no such actor"),
            RemoteError::MailboxFull => f.write_str(
                "the remote actor's mailbox was full, so the message went to that node's dead letters",
            ),
            RemoteError::Undecodable(why) => {
                write!(f, "the message or its reply could not be decoded (version mismatch?): {why}")
            }
            RemoteError::Unencodable(why) => write!(f, "the message could not be encoded: {why}"),
            RemoteError::Unreachable => {
                f.write_str("the remote node could not be reached, or the link to it was lost")
            }
            RemoteError::OutboundFull => {
                f.write_str("the outgoing queue to the remote node was full, so the message was not sent")
            }
            RemoteError::TooLarge { size, max } => write!(
                f,
                "the message encodes to {size} bytes, more than the link's limit of {max}"
            ),
        }
    }
}

impl std::error::Error for RemoteError {}

impl<M> AskError<M> {
    /// Takes the undelivered message back, if it was never delivered.
    pub fn into_message(self) -> Option<M> {
        match self {
            AskError::Closed(msg) | AskError::MailboxFull(msg) => Some(msg),
            AskError::Timeout
            | AskError::Stopped
            | AskError::Failed(_)
            | AskError::NoReply
            | AskError::Remote(_) => None,
        }
    }

    /// Whether the ask timed out (waiting for mailbox space or for the reply).
    pub fn is_timeout(&self) -> bool {
        matches!(self, AskError::Timeout | AskError::MailboxFull(_))
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::Closed(_) => f.write_str("Closed(..)"),
            AskError::MailboxFull(_) => f.write_str("MailboxFull(..)"),
            AskError::Timeout => f.write_str("Timeout"),
            AskError::Stopped => f.write_str("Stopped"),
            AskError::Failed(failure) => f.debug_tuple("Failed").field(failure).finish(),
            AskError::NoReply => f.write_str("NoReply"),
            AskError::Remote(err) => f.debug_tuple("Remote").field(err).finish(),
        }
    }
}

impl<M> fmt::Display for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::Closed(_) => {
                f.write_str("the actor is not running, so the message was not delivered")
            }
            AskError::MailboxFull(_) => f.write_str(
                "the actor's mailbox stayed full until the ask timed out; the message was not delivered",
            ),
            AskError::Timeout => f.write_str("the actor did not reply within the ask timeout"),
            AskError::Stopped => {
                f.write_str("the actor stopped before it handled the message")
            }
            AskError::Failed(failure) => {
                write!(f, "the actor failed while handling the message: {failure}")
            }
            AskError::NoReply => f.write_str(
                "the actor took the message's reply slot to answer later and dropped it unanswered",
            ),
            AskError::Remote(err) => fmt::Display::fmt(err, f),
        }
    }
}

impl<M> std::error::Error for AskError<M> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AskError::Failed(failure) => Some(failure),
            AskError::Remote(err) => Some(err),
            _ => None,
        }
    }
}

/// A message could not be stashed: the actor's stash is full. The message is handed back,
/// and the reply slot of the message being handled stays with the handler, so its return
/// value still answers the ask.
///
/// A full stash is the actor's own backpressure limit, not a failure: handle the message
/// now, drop it, or fail the actor (`ctx.fail(err)`), as fits. The capacity is
/// [`Context::stash_capacity`](crate::Context::stash_capacity).
pub struct StashFull<M>(pub M);

impl<M> StashFull<M> {
    /// Takes the message that was not stashed back.
    pub fn into_inner(self) -> M {
        self.0
    }
}

impl<M> fmt::Debug for StashFull<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StashFull").finish_non_exhaustive()
    }
}

impl<M> fmt::Display for StashFull<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the actor's stash is full, so the message was not stashed")
    }
}

impl<M> std::error::Error for StashFull<M> {}

/// An actor could not be spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// A live sibling (another child of the same parent, or another top-level actor)
    /// already has this name.
    NameTaken(String),
    /// The name is empty, contains `/`, or starts with `$`: names are segments of an
    /// actor's path, and `$` marks unnamed actors.
    InvalidName(String),
    /// The system is shutting down or has shut down.
    SystemShutDown,
    /// There is no tokio runtime to run the actor on: spawn from inside a runtime (for
    /// example in `#[tokio::main]`), or build the system inside one.
    NoRuntime,
    /// The tokio runtime the system spawns its actors on has shut down (it was dropped),
    /// so the actor could not start. This happens to a system that outlives the runtime it
    /// was built in, such as a `static` system shared by several `#[tokio::test]`s, each
    /// of which has a runtime of its own: build one system per runtime, or give the system
    /// a runtime that lives as long as it does with
    /// [`SystemBuilder::runtime`](crate::SystemBuilder::runtime).
    RuntimeShutDown,
    /// The actor spawning the child has stopped its children for good (it is in its
    /// `stopped` hook, or past it): a child spawned now would outlive its parent.
    ParentStopping,
    /// A router was asked for with no routee: a pool of zero workers, or a group of no
    /// refs. A router with nothing to route to would refuse every message.
    NoRoutees,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::ParentStopping => f.write_str(
                "this actor is stopping and has stopped its children: it spawns no new ones",
            ),
            SpawnError::NameTaken(name) => {
                write!(
                    f,
                    "an actor named `{name}` is already running in this system"
                )
            }
            SpawnError::InvalidName(name) => write!(
                f,
                "`{name}` is not a valid actor name: it must be non-empty, without `/`, and not start with `$`"
            ),
            SpawnError::SystemShutDown => {
                f.write_str("the actor system is shutting down and spawns no new actors")
            }
            SpawnError::NoRuntime => {
                f.write_str("no tokio runtime is running: spawn actors from inside a tokio runtime")
            }
            SpawnError::NoRoutees => f.write_str(
                "a router needs at least one routee: a pool of one worker or more, a group of one ref or more",
            ),
            SpawnError::RuntimeShutDown => f.write_str(
                "the tokio runtime of this actor system has shut down, so it can start no actor: \
                 build the system in a runtime that outlives it, or give it one with `SystemBuilder::runtime`",
            ),
        }
    }
}

impl std::error::Error for SpawnError {}

/// An [`ActorSystem`](crate::ActorSystem) could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// [`SystemBuilder::event_capacity`](crate::SystemBuilder::event_capacity) was 0: an
    /// event stream that holds no event could deliver none.
    EventCapacityZero,
    /// [`SystemBuilder::event_capacity`](crate::SystemBuilder::event_capacity) was more
    /// than any machine can allocate: the event stream's buffer would exceed the address
    /// space.
    EventCapacityTooLarge {
        /// The capacity asked for.
        capacity: usize,
        /// The largest capacity accepted,
        /// [`SystemBuilder::MAX_EVENT_CAPACITY`](crate::SystemBuilder::MAX_EVENT_CAPACITY).
        max: usize,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::EventCapacityZero => {
                f.write_str("the event capacity must be at least 1 event")
            }
            BuildError::EventCapacityTooLarge { capacity, max } => write!(
                f,
                "an event capacity of {capacity} events can never be allocated; the most is {max}"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// A named actor could not be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No live actor has this name.
    NotFound(String),
    /// An actor has this name, but it is of another type than the one asked for.
    WrongType {
        /// The name looked up.
        name: String,
        /// The type that was asked for.
        expected: &'static str,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NotFound(name) => write!(f, "no running actor is named `{name}`"),
            LookupError::WrongType { name, expected } => {
                write!(f, "the actor named `{name}` is not a `{expected}`")
            }
        }
    }
}

impl std::error::Error for LookupError {}

/// Why an actor failed: a panic caught in a handler or hook.
///
/// Cheap to clone: one shared allocation, so one failure can be reported to the asker, the
/// actor's status and its parent; and one pointer wide, since the actor's task keeps one
/// in the states it can be in.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure(Arc<FailureInner>);

#[derive(Clone, PartialEq, Eq)]
struct FailureInner {
    kind: FailureKind,
    message: Box<str>,
    /// The message being handled when it failed, by its variant name.
    handling: Option<&'static str>,
}

/// What kind of failure an actor had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// A panic inside a message handler.
    HandlerPanic,
    /// A panic inside a lifecycle hook (`started`, `stopping` or `stopped`).
    HookPanic,
    /// A panic inside the factory of [`Props::new`](crate::Props::new), creating the actor.
    FactoryPanic,
    /// An `Err` from a `#[message(fail_on_err)]` handler, or [`Context::fail`](crate::Context::fail).
    Error,
    /// A child's failure that its supervisor escalated to this actor.
    Escalated,
    /// An actor this one watched has stopped, and this one has no `#[terminated]` hook to
    /// receive the [`Terminated`](crate::Terminated) (Akka's `DeathPactException`). The
    /// message names the watched actor's path.
    DeathPact,
    /// A panic inside this actor's supervisor strategy's decider, while it decided about
    /// a failed child: a failure of the supervisor, which its own parent decides.
    DeciderPanic,
    /// A panic inside a task or an attached stream of this actor
    /// ([`Context::spawn_task`](crate::Context::spawn_task),
    /// [`Context::attach_stream`](crate::Context::attach_stream)): in the future, the
    /// stream, or the closure that makes its output a message. Like a crashed linked
    /// process in OTP, it fails the actor, and its supervisor decides.
    TaskPanic,
    /// A failure on another node, known here by its kind's name and message only.
    Remote,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<Box<str>>) -> Self {
        Failure(Arc::new(FailureInner {
            kind,
            message: message.into(),
            handling: None,
        }))
    }

    pub(crate) fn from_panic(kind: FailureKind, payload: &(dyn std::any::Any + Send)) -> Self {
        let message: &str = if let Some(text) = payload.downcast_ref::<&'static str>() {
            text
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text
        } else {
            "a panic with a non-string payload"
        };
        Failure::new(kind, message)
    }

    /// A failure with a message of the user's (from `Err` or [`Context::fail`](crate::Context::fail)).
    pub fn error(message: impl fmt::Display) -> Self {
        Failure::new(FailureKind::Error, message.to_string())
    }

    pub(crate) fn escalated(child: &str, failure: &Failure) -> Self {
        Failure::new(FailureKind::Escalated, format!("child {child} {failure}"))
    }

    pub(crate) fn death_pact(watched: &str, reason: &dyn fmt::Display) -> Self {
        Failure::new(
            FailureKind::DeathPact,
            format!(
                "watched actor {watched} terminated ({reason}), and this actor has no `#[terminated]` hook"
            ),
        )
    }

    /// The supervisor's decider panicked (`panic`) deciding about its child at `child`,
    /// which had failed with `failure`.
    pub(crate) fn decider_panicked(child: &str, failure: &Failure, panic: &Failure) -> Self {
        Failure::new(
            FailureKind::DeciderPanic,
            format!(
                "{} (deciding about child {child}, which {failure})",
                panic.message()
            ),
        )
    }

    pub(crate) fn not_recreatable() -> Self {
        Failure::new(FailureKind::Error, "restart asked, but the actor was spawned from a value and cannot be re-created; spawn it with `Props::new(factory)`")
    }

    /// The cause given to the restart hooks of a permanent child restarted after it stopped
    /// itself: no failure, but the hooks take one.
    pub(crate) fn stopped_itself() -> Self {
        Failure::new(
            FailureKind::Error,
            "stopped itself, and is restarted as a permanent child",
        )
    }

    pub(crate) fn intensity_exceeded(child: impl fmt::Display) -> Self {
        Failure::new(
            FailureKind::Escalated,
            format!("child {child} exceeded its restart intensity"),
        )
    }

    /// Names the message that was being handled when the actor failed.
    pub(crate) fn while_handling(mut self, message: &'static str) -> Self {
        if self.0.handling.is_none() {
            Arc::make_mut(&mut self.0).handling = Some(message);
        }
        self
    }

    /// The message the actor was handling when it failed, by its variant's name
    /// (`"Deposit"`), or `None` if it failed outside a handler (in a hook or its factory).
    pub fn handling(&self) -> Option<&'static str> {
        self.0.handling
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        self.0.kind
    }

    /// The panic's message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("handling", &self.0.handling)
            .finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.kind {
            FailureKind::HandlerPanic => match self.0.handling {
                Some(name) => write!(f, "handler of `{name}` panicked: {}", self.0.message),
                None => write!(f, "handler panicked: {}", self.0.message),
            },
            FailureKind::HookPanic => write!(f, "lifecycle hook panicked: {}", self.0.message),
            FailureKind::Error => match self.0.handling {
                Some(name) => write!(f, "handler of `{name}` failed: {}", self.0.message),
                None => write!(f, "handler failed: {}", self.0.message),
            },
            FailureKind::Escalated => write!(f, "escalated: {}", self.0.message),
            FailureKind::FactoryPanic => write!(f, "actor factory panicked: {}", self.0.message),
            FailureKind::DeathPact => write!(f, "death pact: {}", self.0.message),
            FailureKind::DeciderPanic => write!(f, "decider panicked: {}", self.0.message),
            FailureKind::TaskPanic => write!(f, "task or stream panicked: {}", self.0.message),
            FailureKind::Remote => write!(f, "on a remote node: {}", self.0.message),
        }
    }
}

impl std::error::Error for Failure {}
