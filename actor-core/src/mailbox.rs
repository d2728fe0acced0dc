//! Mailboxes: the user lane (bounded or unbounded) and the envelope that travels in it.
//!
//! System signals (stop, and later supervision) travel on a separate, unbounded lane that
//! the actor polls first, so a stop is never stuck behind a full user mailbox.

use tokio::sync::{mpsc, oneshot};

use crate::actor::Actor;
use crate::error::{Failure, SendError, TrySendError};

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

/// Where a reply goes: the asker's slot, which learns of a failure too.
pub(crate) type ReplySender<A> = oneshot::Sender<Result<<A as Actor>::Reply, Failure>>;
pub(crate) type ReplyReceiver<A> = oneshot::Receiver<Result<<A as Actor>::Reply, Failure>>;

/// A message and, for an ask, the slot its reply goes to.
///
/// The reply channel lives here, not in the message enum, so messages stay pure data.
pub(crate) struct Envelope<A: Actor> {
    pub(crate) msg: A::Msg,
    pub(crate) reply: Option<ReplySender<A>>,
}

pub(crate) enum MailboxSender<A: Actor> {
    Bounded(mpsc::Sender<Envelope<A>>),
    Unbounded(mpsc::UnboundedSender<Envelope<A>>),
}

pub(crate) enum MailboxReceiver<A: Actor> {
    Bounded(mpsc::Receiver<Envelope<A>>),
    Unbounded(mpsc::UnboundedReceiver<Envelope<A>>),
}

pub(crate) fn mailbox<A: Actor>(config: MailboxConfig) -> (MailboxSender<A>, MailboxReceiver<A>) {
    match config {
        MailboxConfig::Bounded(capacity) => {
            let (tx, rx) = mpsc::channel(capacity.max(1));
            (MailboxSender::Bounded(tx), MailboxReceiver::Bounded(rx))
        }
        MailboxConfig::Unbounded => {
            let (tx, rx) = mpsc::unbounded_channel();
            (MailboxSender::Unbounded(tx), MailboxReceiver::Unbounded(rx))
        }
    }
}

impl<A: Actor> MailboxSender<A> {
    /// Waits for space, then enqueues.
    ///
    /// Cancel safety: if the future is dropped while waiting, the envelope is dropped
    /// and was not enqueued.
    pub(crate) async fn send(&self, envelope: Envelope<A>) -> Result<(), SendError<Envelope<A>>> {
        match self {
            MailboxSender::Bounded(tx) => tx.send(envelope).await.map_err(|e| SendError(e.0)),
            MailboxSender::Unbounded(tx) => tx.send(envelope).map_err(|e| SendError(e.0)),
        }
    }

    pub(crate) fn try_send(&self, envelope: Envelope<A>) -> Result<(), TrySendError<Envelope<A>>> {
        match self {
            MailboxSender::Bounded(tx) => tx.try_send(envelope).map_err(|e| match e {
                mpsc::error::TrySendError::Full(env) => TrySendError::Full(env),
                mpsc::error::TrySendError::Closed(env) => TrySendError::Closed(env),
            }),
            MailboxSender::Unbounded(tx) => {
                tx.send(envelope).map_err(|e| TrySendError::Closed(e.0))
            }
        }
    }

    /// The bounded sender, for waiting on space outside an `async fn`.
    pub(crate) fn bounded(&self) -> Option<&mpsc::Sender<Envelope<A>>> {
        match self {
            MailboxSender::Bounded(tx) => Some(tx),
            MailboxSender::Unbounded(_) => None,
        }
    }
}

impl<A: Actor> MailboxReceiver<A> {
    /// Cancel safe: a message is either returned or stays queued.
    pub(crate) async fn recv(&mut self) -> Option<Envelope<A>> {
        match self {
            MailboxReceiver::Bounded(rx) => rx.recv().await,
            MailboxReceiver::Unbounded(rx) => rx.recv().await,
        }
    }

    /// Polls for the next message; `Ready(None)` once closed and drained.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Envelope<A>>> {
        match self {
            MailboxReceiver::Bounded(rx) => rx.poll_recv(cx),
            MailboxReceiver::Unbounded(rx) => rx.poll_recv(cx),
        }
    }

    /// The next queued message, without waiting; `None` if there is none right now.
    pub(crate) fn try_recv(&mut self) -> Option<Envelope<A>> {
        match self {
            MailboxReceiver::Bounded(rx) => rx.try_recv().ok(),
            MailboxReceiver::Unbounded(rx) => rx.try_recv().ok(),
        }
    }

    /// Refuses new messages; those already queued can still be received.
    pub(crate) fn close(&mut self) {
        match self {
            MailboxReceiver::Bounded(rx) => rx.close(),
            MailboxReceiver::Unbounded(rx) => rx.close(),
        }
    }
}
