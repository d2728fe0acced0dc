//! A ref's third kind of target: an actor on another node, reached through a
//! [`RemoteLink`] that a transport (the `actor-cluster` crate) implements.
//!
//! This crate knows no sockets. A remote target turns a message into its wire id and
//! bytes with the functions `#[actor(remote = ...)]` generated, hands them to the link, and
//! turns the reply's bytes back into the actor's reply type; the link moves bytes and
//! reports what became of them. Death watch and the ref's status are kept here, fed by the
//! link's reports, so that a watcher of a remote actor is told exactly once, as a watcher
//! of a local one is.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::handle::ActorHandle;
use crate::death_watch::{Watched, WatchedBy};
use crate::error::{Failure, FailureKind, RemoteError, TrySendError};
use crate::events::Events;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StatusCell, StopMode, StopReason};
use crate::mailbox::envelope::{Envelope, NoReply};
use crate::wire::{guarded, WireError, WireId};

/// What became of an ask on the far side, as the link reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteOutcome {
    /// The reply's bytes, for the asking side to decode.
    Reply(Vec<u8>),
    /// The actor there stopped before it handled the message.
    Stopped,
    /// The handler there failed while handling it; the text is its failure.
    Failed(String),
    /// The handler there took the reply slot and dropped it unanswered.
    NoReply,
    /// Something only a remote message can meet.
    Error(RemoteError),
}

/// Called once with what became of an ask: its reply, or why there is none.
pub type ReplyHook = Box<dyn FnOnce(RemoteOutcome) + Send>;

/// Called once when a watched remote actor stops, with why, or when its link is lost
/// ([`StopReason::Unreachable`]).
pub type WatchHook = Box<dyn FnOnce(StopReason) + Send>;

/// The link refused a message: it no longer reaches the node it was made for, or its
/// outgoing queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The link is down for good (the node went away or this node shut down).
    Down,
    /// The link's outgoing queue is full: the network or the peer is behind.
    Full,
    /// The encoded message is larger than the link's frame limit.
    TooLarge {
        /// The encoded size, in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// A connection to one incarnation of one node, as a remote ref uses it. Implemented by the
/// transport; every method returns without waiting (bytes are queued, never sent inline).
pub trait RemoteLink: Send + Sync + 'static {
    /// The peer's address, as paths show it (`127.0.0.1:4001`).
    fn peer(&self) -> &Arc<str>;
    /// The peer's incarnation: a new one each time its process starts.
    fn incarnation(&self) -> u64;
    /// The local id that stands for the peer's actor `actor` (the same one for every ref
    /// to it through this link), so that watches and equality work by id as locally.
    fn local_id(&self, actor: u64) -> ActorId;
    /// Queues a tell of the message `wire_id`, its fields encoded as `payload`.
    ///
    /// # Errors
    ///
    /// If the link refuses it; nothing was sent.
    fn tell(&self, actor: u64, wire_id: WireId, payload: Vec<u8>) -> Result<(), LinkRefusal>;
    /// Queues an ask; `reply` is called exactly once, also when the link is lost first.
    ///
    /// # Errors
    ///
    /// If the link refuses it, with `reply` handed back uncalled.
    fn ask(
        &self,
        actor: u64,
        wire_id: WireId,
        payload: Vec<u8>,
        timeout: Duration,
        reply: ReplyHook,
    ) -> Result<(), (LinkRefusal, ReplyHook)>;
    /// Asks to be told once when `actor` stops; `hook` is called at once if the link is
    /// already down.
    fn watch(&self, actor: u64, hook: WatchHook);
    /// Asks `actor` to stop as `mode` says.
    fn stop(&self, actor: u64, mode: StopMode);
    /// `Ready` once the outgoing queue has room (or the link is down, which the send then
    /// says); `Pending` with `cx`'s waker kept, to be woken when the writer makes room.
    fn poll_room(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()>;
    /// Runs `f`, an encode or a decode of a message through this link, with the
    /// transport's ref codec in place, so that refs inside the message can be written
    /// and read (see `__private::remote::with_ref_codec`).
    fn enter(&self, f: &mut dyn FnMut());
}

/// The generated wire functions of an actor, kept as plain function pointers so that a
/// target of any `A: Actor` can hold them (only remote-capable actors have them).
pub(crate) struct WireCodec<A: Actor> {
    pub(crate) wire_id: fn(&A::Msg) -> WireId,
    pub(crate) encode_msg: fn(&A::Msg, &mut Vec<u8>) -> Result<(), WireError>,
    pub(crate) decode_reply: fn(WireId, &[u8]) -> Result<A::Reply, WireError>,
}

/// An actor on another node, as refs here reach it.
pub(crate) struct RemoteCell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) path: Arc<str>,
    name: Option<Box<str>>,
    pub(crate) link: Arc<dyn RemoteLink>,
    /// The actor's id on its node, as the link addresses it.
    pub(crate) actor: u64,
    pub(crate) strong_refs: AtomicUsize,
    pub(crate) events: Arc<Events>,
    pub(crate) ask_timeout: Duration,
    /// `Running` until the link reports the end (only asked for once someone watches or
    /// waits for it).
    status: Arc<StatusCell>,
    watchers: Arc<WatchedBy<ActorHandle>>,
    watching: AtomicBool,
    codec: WireCodec<A>,
}

impl<A: Actor> RemoteCell<A> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        link: Arc<dyn RemoteLink>,
        actor: u64,
        name: Option<&str>,
        wire_name: &str,
        events: Arc<Events>,
        ask_timeout: Duration,
        codec: WireCodec<A>,
    ) -> Self {
        let id = link.local_id(actor);
        let path: Arc<str> = match name {
            Some(name) => format!("actor://{}/{name}", link.peer()).into(),
            None => format!("actor://{}/${wire_name}-{actor}", link.peer()).into(),
        };
        RemoteCell {
            id,
            path,
            name: name.map(Into::into),
            link,
            actor,
            strong_refs: AtomicUsize::new(0),
            events,
            ask_timeout,
            status: Arc::new(StatusCell::new(ActorStatus::Running)),
            watchers: Arc::new(WatchedBy::new()),
            watching: AtomicBool::new(false),
            codec,
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub(crate) fn status(&self) -> &StatusCell {
        &self.status
    }

    /// Asks the link, once, to report the actor's end; the report sets the status and
    /// tells every watcher.
    fn watch_remotely(&self) {
        if self.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        let status = Arc::clone(&self.status);
        let watchers = Arc::clone(&self.watchers);
        let (id, path) = (self.id, Arc::clone(&self.path));
        self.link.watch(
            self.actor,
            Box::new(move |reason| {
                status.set(ActorStatus::Stopped(reason.clone()));
                watchers.notify_all(id, || &path, &reason);
            }),
        );
    }

    /// Waits until the actor is known to have stopped, and says why.
    pub(crate) async fn stopped(&self) -> StopReason {
        self.watch_remotely();
        self.status.stopped().await
    }

    pub(crate) fn poll_room(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.link.poll_room(cx)
    }

    pub(crate) fn stop(&self, mode: StopMode) {
        self.link.stop(self.actor, mode);
    }

    pub(crate) fn add_watcher(&self, watcher_id: ActorId, watcher: &ActorHandle) {
        self.watchers
            .add(watcher_id, watcher, (self.id, || &self.path), &self.status);
        self.watch_remotely();
    }

    pub(crate) fn dead_letter(&self, msg: &A::Msg) {
        self.events
            .dead_letter(self.id, &self.path, A::message_name(msg));
    }

    /// Encodes `envelope`'s message and queues it on the link: a tell as a tell, an ask
    /// with a hook that decodes the reply into the asker's slot. Never waits.
    pub(crate) fn send(
        &self,
        envelope: Envelope<A>,
        timeout: Option<Duration>,
    ) -> Result<(), TrySendError<A::Msg>> {
        if self.status.is_stopped() {
            self.dead_letter(&envelope.msg);
            return Err(TrySendError::Closed(envelope.msg));
        }
        let Envelope { msg, reply } = envelope;
        let wire_id = (self.codec.wire_id)(&msg);
        let mut payload = Vec::new();
        let mut encoded = Ok(());
        self.link.enter(&mut || {
            encoded = guarded(true, || (self.codec.encode_msg)(&msg, &mut payload));
        });
        if let Err(err) = encoded {
            self.dead_letter(&msg);
            if let Some(slot) = reply {
                slot.send(Err(NoReply::remote(RemoteError::Unencodable(
                    err.to_string(),
                ))));
                return Ok(());
            }
            return Err(TrySendError::Closed(msg));
        }
        let refused = match reply {
            None => self.link.tell(self.actor, wire_id, payload).err(),
            Some(slot) => {
                let decode = self.codec.decode_reply;
                let link = Arc::clone(&self.link);
                let hook: ReplyHook = Box::new(move |outcome| {
                    let outcome = match outcome {
                        RemoteOutcome::Reply(bytes) => {
                            let mut decoded = None;
                            link.enter(&mut || {
                                decoded = Some(guarded(false, || decode(wire_id, &bytes)))
                            });
                            match decoded {
                                Some(Ok(reply)) => Ok(reply),
                                Some(Err(err)) => {
                                    Err(NoReply::remote(RemoteError::Undecodable(err.to_string())))
                                }
                                None => Err(NoReply::remote(RemoteError::Undecodable(
                                    "the transport ran no decoder".into(),
                                ))),
                            }
                        }
                        RemoteOutcome::Stopped => Err(NoReply::Stopped),
                        RemoteOutcome::Failed(message) => {
                            Err(NoReply::Failed(Failure::new(FailureKind::Remote, message)))
                        }
                        RemoteOutcome::NoReply => Err(NoReply::Dropped),
                        RemoteOutcome::Error(err) => Err(NoReply::remote(err)),
                    };
                    slot.send(outcome);
                });
                match self.link.ask(
                    self.actor,
                    wire_id,
                    payload,
                    timeout.unwrap_or(self.ask_timeout),
                    hook,
                ) {
                    Ok(()) => None,
                    Err((refusal, hook)) => {
                        // The message is gone (encoded and dropped): the asker learns why.
                        let error = match refusal {
                            LinkRefusal::Down => RemoteError::Unreachable,
                            LinkRefusal::Full => RemoteError::OutboundFull,
                            LinkRefusal::TooLarge { size, max } => {
                                RemoteError::TooLarge { size, max }
                            }
                        };
                        hook(RemoteOutcome::Error(error));
                        self.dead_letter(&msg);
                        return Ok(());
                    }
                }
            }
        };
        match refused {
            None => Ok(()),
            Some(LinkRefusal::Full) => Err(TrySendError::Full(msg)),
            Some(LinkRefusal::Down | LinkRefusal::TooLarge { .. }) => {
                self.dead_letter(&msg);
                Err(TrySendError::Closed(msg))
            }
        }
    }
}

impl<A: Actor> Watched for RemoteCell<A> {
    fn remove_watcher(&self, watcher: ActorId) {
        self.watchers.remove(watcher);
    }
}

impl<A: Actor> fmt::Debug for RemoteCell<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteCell")
            .field("path", &self.path)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}
