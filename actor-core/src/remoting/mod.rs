//! The typed half of remoting, which a transport (the `actor-cluster` crate) drives with
//! bytes: a local actor made reachable from other nodes ([`Inbound`]), a ref to an actor on
//! another node ([`remote_ref`]), and refs inside messages ([`WireRef`], the serde impls of
//! [`ActorRef`]).
//!
//! Everything here is generic over the actor and works on the functions that
//! `#[actor(remote = ...)]` generates; the transport sees only wire ids, bytes and the
//! erased traits, so it needs no generic code per actor type.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::core::{RefCore, Target};
use crate::address::remote::{RemoteCell, RemoteLink, RemoteOutcome, WireCodec};
use crate::error::{RemoteError, TrySendError};
use crate::id::ActorId;
use crate::lifecycle::{StopMode, StopReason};
use crate::mailbox::envelope::{reply_slot, Envelope, NoReply};
use crate::system::ActorSystem;
use crate::wire::{guarded, RemoteActor, WireId};

/// Where a ref points, as it travels inside a message: the node's address and
/// incarnation, and the actor's id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WireRef {
    /// The node's address, as it listens (`127.0.0.1:4001`).
    pub node: String,
    /// The node's incarnation: a ref to an earlier run of a node reaches nothing.
    pub incarnation: u64,
    /// The actor's id on that node.
    pub actor: u64,
    /// The actor's wire name, checked against the type the ref is read as.
    pub wire_name: String,
}

/// What a [`WireRef`] resolved to on this node.
pub enum Imported {
    /// An actor of this node, as it was exported.
    Local(Arc<dyn Inbound>),
    /// An actor on another node, through the link to it.
    Remote {
        /// The link to the actor's node.
        link: Arc<dyn RemoteLink>,
        /// The actor's id there.
        actor: u64,
    },
}

impl fmt::Debug for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Imported::Local(inbound) => f.debug_tuple("Local").field(&inbound.id()).finish(),
            Imported::Remote { link, actor } => f
                .debug_struct("Remote")
                .field("node", link.peer())
                .field("actor", actor)
                .finish(),
        }
    }
}

/// How refs inside messages are written and read on a node: implemented by the transport.
pub trait RefCodec: Send + Sync {
    /// The system the refs read here belong to (their timers, dead letters, ask timeout).
    fn system(&self) -> &ActorSystem;
    /// Makes a local actor reachable from other nodes, and says where it is.
    fn export(&self, actor: Arc<dyn Inbound>) -> WireRef;
    /// What `wire` points to, or why it cannot be read here.
    ///
    /// # Errors
    ///
    /// A sentence for the decode error: an earlier incarnation of this node, a node that
    /// cannot be linked to.
    fn import(&self, wire: &WireRef) -> Result<Imported, String>;
}

thread_local! {
    static CODEC: RefCell<Option<Arc<dyn RefCodec>>> = const { RefCell::new(None) };
}

/// Runs `f` with `codec` as the thread's ref codec: the serde impls of [`ActorRef`] read
/// it. Restores the one before, also if `f` panics.
pub fn with_ref_codec<R>(codec: Arc<dyn RefCodec>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<dyn RefCodec>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            CODEC.with(|slot| *slot.borrow_mut() = before);
        }
    }
    let before = CODEC.with(|slot| slot.borrow_mut().replace(codec));
    let _restore = Restore(before);
    f()
}

fn current_codec() -> Option<Arc<dyn RefCodec>> {
    CODEC.with(|slot| slot.borrow().clone())
}

/// A local actor as other nodes reach it: bytes in, bytes out. Built by [`inbound`] from a
/// ref; it holds the actor weakly, so being reachable does not keep an actor alive.
pub trait Inbound: Send + Sync + 'static {
    /// The actor's wire name.
    fn wire_name(&self) -> &'static str;
    /// The hash of its message signatures.
    fn signature(&self) -> u64;
    /// Each message's id and signature hash ([`RemoteActor::MESSAGES`]).
    fn messages(&self) -> &'static [(WireId, u64)];
    /// Its id on this node.
    fn id(&self) -> ActorId;
    /// Whether it is still running (it may stop any moment after).
    fn is_alive(&self) -> bool;
    /// Decodes and delivers a tell without waiting; a full mailbox or a stopped actor
    /// drops it, as a dead letter here (the link never stalls on one actor).
    ///
    /// # Errors
    ///
    /// Why it was not delivered, for the transport's log.
    fn tell(&self, wire_id: WireId, payload: &[u8]) -> Result<(), RemoteOutcome>;
    /// Decodes and delivers an ask without waiting for room, and resolves with the reply's
    /// bytes or why there is none; gives up after `timeout`.
    fn ask(
        &self,
        wire_id: WireId,
        payload: &[u8],
        timeout: Duration,
        codec: Arc<dyn RefCodec>,
    ) -> Pin<Box<dyn Future<Output = RemoteOutcome> + Send>>;
    /// Resolves when the actor has stopped, with why.
    fn terminated(&self) -> Pin<Box<dyn Future<Output = StopReason> + Send>>;
    /// Asks the actor to stop.
    fn stop(&self, mode: StopMode);
    /// For reading a ref back as its own type.
    fn as_any(&self) -> &dyn Any;
}

/// An actor `A` of this node, as [`Inbound`].
struct InboundRef<A: RemoteActor> {
    id: ActorId,
    actor: WeakActorRef<A>,
}

impl<A: RemoteActor> InboundRef<A> {
    fn decode(&self, wire_id: WireId, payload: &[u8]) -> Result<A::Msg, RemoteOutcome> {
        guarded(false, || A::decode_msg(wire_id, payload)).map_err(|err| {
            if let Some(actor) = self.actor.upgrade() {
                actor.core().target().dead_letter_named("(undecodable)");
            }
            RemoteOutcome::Error(RemoteError::Undecodable(err.to_string()))
        })
    }
}

impl<A: RemoteActor> Inbound for InboundRef<A> {
    fn wire_name(&self) -> &'static str {
        A::WIRE_NAME
    }

    fn signature(&self) -> u64 {
        A::SIGNATURE
    }

    fn messages(&self) -> &'static [(WireId, u64)] {
        A::MESSAGES
    }

    fn id(&self) -> ActorId {
        self.id
    }

    fn is_alive(&self) -> bool {
        self.actor.is_alive()
    }

    fn tell(&self, wire_id: WireId, payload: &[u8]) -> Result<(), RemoteOutcome> {
        let Some(actor) = self.actor.upgrade() else {
            return Err(RemoteOutcome::Stopped);
        };
        let msg = self.decode(wire_id, payload)?;
        match actor.core().target().try_deliver(Envelope::tell(msg)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => {
                actor
                    .core()
                    .target()
                    .dead_letter_named(A::message_name(&msg));
                Err(RemoteOutcome::Error(RemoteError::MailboxFull))
            }
            // Counted as a dead letter where it was refused.
            Err(TrySendError::Closed(_)) => Err(RemoteOutcome::Stopped),
        }
    }

    fn ask(
        &self,
        wire_id: WireId,
        payload: &[u8],
        timeout: Duration,
        codec: Arc<dyn RefCodec>,
    ) -> Pin<Box<dyn Future<Output = RemoteOutcome> + Send>> {
        let Some(actor) = self.actor.upgrade() else {
            return Box::pin(std::future::ready(RemoteOutcome::Stopped));
        };
        let msg = match self.decode(wire_id, payload) {
            Ok(msg) => msg,
            Err(outcome) => return Box::pin(std::future::ready(outcome)),
        };
        let (slot, mut receiver) = reply_slot::<A>();
        match actor.core().target().try_deliver(Envelope::ask(msg, slot)) {
            Ok(()) => {}
            Err(TrySendError::Full(msg)) => {
                actor
                    .core()
                    .target()
                    .dead_letter_named(A::message_name(&msg));
                return Box::pin(std::future::ready(RemoteOutcome::Error(
                    RemoteError::MailboxFull,
                )));
            }
            Err(TrySendError::Closed(_)) => {
                return Box::pin(std::future::ready(RemoteOutcome::Stopped))
            }
        }
        // The ref is not kept while waiting: an actor whose last local ref goes may stop,
        // and the asker then hears `Stopped` from the dropped slot.
        drop(actor);
        // The asker's own timer decides; this side waits a grace longer, so that its
        // giving up never beats the asker's timeout to the asker (it only bounds how long
        // an abandoned ask holds anything here).
        let timeout = timeout.saturating_add((timeout / 4).max(Duration::from_secs(1)));
        Box::pin(async move {
            let outcome = tokio::time::timeout(
                timeout,
                std::future::poll_fn(|cx| receiver.poll_outcome(cx)),
            )
            .await;
            match outcome {
                // The asker's own timer has fired or is about to: nothing is sent back
                // that it could still use.
                Err(_elapsed) => RemoteOutcome::NoReply,
                Ok(Ok(reply)) => {
                    let mut bytes = Vec::new();
                    match with_ref_codec(codec, || {
                        guarded(true, || A::encode_reply(&reply, &mut bytes))
                    }) {
                        Ok(()) => RemoteOutcome::Reply(bytes),
                        Err(err) => RemoteOutcome::Error(RemoteError::Unencodable(err.to_string())),
                    }
                }
                Ok(Err(NoReply::Failed(failure))) => RemoteOutcome::Failed(failure.to_string()),
                Ok(Err(NoReply::Stopped)) => RemoteOutcome::Stopped,
                Ok(Err(NoReply::Dropped)) => RemoteOutcome::NoReply,
                Ok(Err(NoReply::Remote(err))) => RemoteOutcome::Error(*err),
                // A forward: the reply comes from wherever it was forwarded to.
                Ok(Err(NoReply::Forwarded(mut pending))) => loop {
                    match std::future::poll_fn(|cx| pending.as_mut().poll_reply(cx)).await {
                        Ok(reply) => {
                            let mut bytes = Vec::new();
                            break match with_ref_codec(Arc::clone(&codec), || {
                                guarded(true, || A::encode_reply(&reply, &mut bytes))
                            }) {
                                Ok(()) => RemoteOutcome::Reply(bytes),
                                Err(err) => {
                                    RemoteOutcome::Error(RemoteError::Unencodable(err.to_string()))
                                }
                            };
                        }
                        Err(NoReply::Forwarded(next)) => pending = next,
                        Err(NoReply::Failed(failure)) => {
                            break RemoteOutcome::Failed(failure.to_string())
                        }
                        Err(NoReply::Stopped) => break RemoteOutcome::Stopped,
                        Err(NoReply::Dropped) => break RemoteOutcome::NoReply,
                        Err(NoReply::Remote(err)) => break RemoteOutcome::Error(*err),
                    }
                },
            }
        })
    }

    fn terminated(&self) -> Pin<Box<dyn Future<Output = StopReason> + Send>> {
        let actor = self.actor.clone();
        Box::pin(async move { actor.terminated().await })
    }

    fn stop(&self, mode: StopMode) {
        if let Some(actor) = self.actor.upgrade() {
            match mode {
                StopMode::Graceful => actor.stop(),
                StopMode::Immediate => actor.stop_now(),
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `actor` as other nodes reach it.
pub fn inbound<A: RemoteActor>(actor: &ActorRef<A>) -> Arc<dyn Inbound> {
    Arc::new(InboundRef {
        id: actor.id(),
        actor: actor.downgrade(),
    })
}

/// The local ref an [`Inbound`] was made from, if it is an `A` and still alive.
pub fn local_ref<A: RemoteActor>(inbound: &dyn Inbound) -> Option<ActorRef<A>> {
    inbound
        .as_any()
        .downcast_ref::<InboundRef<A>>()
        .and_then(|inbound| inbound.actor.upgrade())
}

/// A ref to the actor `actor` on the node `link` reaches, registered there as `name` if
/// it was looked up by name; it belongs to `system` (its ask timeout, dead letters,
/// timers).
pub fn remote_ref<A: RemoteActor>(
    system: &ActorSystem,
    link: Arc<dyn RemoteLink>,
    actor: u64,
    name: Option<&str>,
) -> ActorRef<A> {
    let cell = RemoteCell::new(
        link,
        actor,
        name,
        A::WIRE_NAME,
        Arc::clone(system.shared_events()),
        system.ask_timeout(),
        WireCodec {
            wire_id: A::wire_id,
            encode_msg: A::encode_msg,
            decode_reply: A::decode_reply,
        },
    );
    ActorRef::from_core(RefCore::new_remote(Arc::new(cell)))
}

/// A fresh local id, for a transport's stand-ins of remote actors.
#[must_use]
pub fn new_actor_id() -> ActorId {
    ActorId::next()
}

/// Whether `actor` is a ref to another node's actor.
pub fn is_remote<A: Actor>(actor: &ActorRef<A>) -> bool {
    matches!(actor.core().target(), Target::Remote(_))
}

impl<A: RemoteActor> Serialize for ActorRef<A> {
    /// Writes where the actor is: a ref to another node's actor as it is, a local one
    /// exported through the node the message goes out of. Only inside a message to a
    /// remote actor (or its reply) is there such a node.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self.core().target() {
            Target::Remote(remote) => WireRef {
                node: remote.link.peer().to_string(),
                incarnation: remote.link.incarnation(),
                actor: remote.actor,
                wire_name: A::WIRE_NAME.to_owned(),
            },
            Target::Local(_) | Target::Routed(_) => match current_codec() {
                Some(codec) => codec.export(inbound(self)),
                None => {
                    return Err(S::Error::custom(
                        "an ActorRef is serialized only as part of a message to a remote actor or its reply",
                    ))
                }
            },
        };
        wire.serialize(serializer)
    }
}

impl<'de, A: RemoteActor> Deserialize<'de> for ActorRef<A> {
    /// Reads a ref back: a local ref if it points at this node, a remote one otherwise.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireRef::deserialize(deserializer)?;
        if wire.wire_name != A::WIRE_NAME {
            return Err(D::Error::custom(format!(
                "a ref to a `{}` read as a `{}`",
                wire.wire_name,
                A::WIRE_NAME
            )));
        }
        let Some(codec) = current_codec() else {
            return Err(D::Error::custom(
                "an ActorRef is deserialized only as part of a message from a remote node",
            ));
        };
        match codec.import(&wire).map_err(D::Error::custom)? {
            Imported::Local(inbound) => local_ref::<A>(&*inbound).ok_or_else(|| {
                D::Error::custom("the ref points at an actor of this node that has stopped")
            }),
            Imported::Remote { link, actor } => {
                Ok(remote_ref::<A>(codec.system(), link, actor, None))
            }
        }
    }
}
