//! What travels between two nodes, one postcard value per frame.
//!
//! A connection carries three kinds of stream, so that a flood of ordinary messages never
//! delays a `Terminated` or a heartbeat:
//!
//! - the **control stream**: the one bi stream the dialer opens first, carrying [`Control`]
//!   both ways, starting with a [`Control::Hello`] from each side;
//! - the **ordinary stream**: a uni stream dialer to acceptor carrying [`Data`] tells and asks,
//!   and the **reply stream**: a uni stream acceptor to dialer carrying [`Data::Reply`];
//! - the **large stream**: a uni stream for messages over the ordinary frame limit.
//!
//! Each uni stream starts with one [`StreamKind`] byte. These enums are this crate's own and
//! change only together with [`PROTOCOL_VERSION`], so postcard's variant index is a fine tag
//! here (unlike for user messages, whose wire ids are derived from names).

use serde::{Deserialize, Serialize};

/// The protocol version a node speaks; sent in [`Control::Hello`]. A peer with another version
/// is refused at the hello.
pub(crate) const PROTOCOL_VERSION: u16 = 1;

/// A message on the control stream, in either direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Control {
    /// The first message each side sends: who it is.
    Hello {
        /// The sender's [`PROTOCOL_VERSION`].
        version: u16,
        /// The address the sender accepts connections on (its identity in the cluster).
        address: String,
        /// Distinguishes a restarted node at the same address from its previous life.
        incarnation: u64,
    },
    /// Asks for the actor registered under `name`.
    Lookup {
        /// Matches the [`Control::Found`] answer.
        request: u64,
        /// The registered name.
        name: String,
        /// The actor type the asker expects (its `#[actor(remote = "...")]` name).
        wire_name: String,
        /// A hash of the message signatures the asker was compiled with.
        signature: u64,
        /// Each of the asker's messages: its wire id and its own signature hash, for the
        /// answering node to compare with its own where the two differ.
        messages: Vec<(u64, u64)>,
    },
    /// Answers a [`Control::Lookup`].
    Found {
        /// The lookup's `request`.
        request: u64,
        /// The actor's exported id on the answering node, or why it cannot be used.
        result: Result<u64, LookupRefusal>,
    },
    /// Asks to be told (by [`Control::Terminated`]) when the exported actor stops.
    Watch {
        /// The exported id.
        actor: u64,
    },
    /// Withdraws a [`Control::Watch`].
    Unwatch {
        /// The exported id.
        actor: u64,
    },
    /// A watched actor stopped.
    Terminated {
        /// The exported id.
        actor: u64,
        /// Why it stopped.
        reason: WireStopReason,
    },
    /// Asks the exported actor to stop.
    Stop {
        /// The exported id.
        actor: u64,
        /// Stop now, dropping queued messages, rather than after the queue drains.
        immediate: bool,
    },
    /// A liveness probe; the peer answers with [`Control::HeartbeatAck`] carrying the nonce.
    Heartbeat {
        /// Echoed back, to match answer to probe.
        nonce: u64,
    },
    /// Answers a [`Control::Heartbeat`].
    HeartbeatAck {
        /// The probe's nonce.
        nonce: u64,
    },
}

/// Why a [`Control::Lookup`] found no usable actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum LookupRefusal {
    /// Nothing is registered under that name.
    NotFound,
    /// Something is registered, but of another actor type.
    WrongActor {
        /// The registered actor's wire name.
        wire_name: String,
    },
    /// The actor type matches but its messages differ (the two nodes run different builds).
    Incompatible {
        /// The registered actor's signature hash.
        signature: u64,
    },
}

/// Why an actor stopped, as a watcher on another node learns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WireStopReason {
    /// Someone asked it to stop.
    Requested,
    /// Every ref to it was dropped.
    RefsDropped,
    /// Its system shut down.
    Shutdown,
    /// It failed (and was not restarted), with the failure's description.
    Failed(String),
    /// It was stopped immediately, its queue dropped.
    Aborted,
    /// A reason this version has no variant for, described.
    Other(String),
}

/// A message on the ordinary, reply or large stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Data {
    /// A message that wants no reply.
    Tell {
        /// The exported id of the receiving actor.
        actor: u64,
        /// Which message of the actor's type (its compile-time wire id).
        wire_id: u64,
        /// The message's fields, postcard-encoded by the generated code.
        #[serde(with = "bytes")]
        payload: Vec<u8>,
    },
    /// A message that wants a reply, sent back as a [`Data::Reply`] with the same correlation.
    Ask {
        /// The exported id of the receiving actor.
        actor: u64,
        /// Which message of the actor's type.
        wire_id: u64,
        /// Matches the reply to the waiting asker.
        correlation: u64,
        /// How long the asker waits; the receiver need not answer after it.
        timeout_ms: u64,
        /// The message's fields, postcard-encoded by the generated code.
        #[serde(with = "bytes")]
        payload: Vec<u8>,
    },
    /// The answer to a [`Data::Ask`].
    Reply {
        /// The ask's correlation.
        correlation: u64,
        /// The encoded reply, or why there is none.
        #[serde(with = "bytes_or_failure")]
        outcome: Result<Vec<u8>, WireFailure>,
    },
}

/// Why an ask got no reply value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WireFailure {
    /// No actor is exported under that id.
    UnknownActor,
    /// The actor stopped before answering.
    Stopped,
    /// The handler failed, with the failure's description.
    Failed(String),
    /// The actor's mailbox was full.
    MailboxFull,
    /// The message (or the reply) could not be decoded, with why.
    Undecodable(String),
    /// The handler dropped its reply slot without answering.
    NoReply,
    /// The reply could not be encoded there (its `Serialize` impl failed), with why.
    Unencodable(String),
}

/// Which stream a uni stream is, given by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum StreamKind {
    /// Tells and asks, dialer to acceptor.
    Ordinary = 1,
    /// Replies, acceptor to dialer.
    Replies = 2,
    /// Reserved for a large-message stream (Artery's), not opened yet: a peer that opens
    /// one has its link closed, as for any stream it should not open.
    Large = 3,
}

impl StreamKind {
    /// The kind a stream's first byte names, or `None` for a byte no kind has (a peer of
    /// another protocol, or garbage).
    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Ordinary),
            2 => Some(Self::Replies),
            3 => Some(Self::Large),
            _ => None,
        }
    }

    /// The byte that starts a stream of this kind.
    pub(crate) fn byte(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_kind_round_trips_through_its_byte_and_no_other_byte_is_a_kind() {
        for kind in [StreamKind::Ordinary, StreamKind::Replies, StreamKind::Large] {
            assert_eq!(StreamKind::from_byte(kind.byte()), Some(kind));
        }
        let kinds = (0..=u8::MAX).filter_map(StreamKind::from_byte).count();
        assert_eq!(kinds, 3);
    }

    #[test]
    fn a_tell_costs_its_payload_plus_a_few_bytes() {
        // The wire form is what the benchmarks' per-message cost rests on: tag, two small
        // varints, a length varint, the raw payload.
        let tell = Data::Tell {
            actor: 3,
            wire_id: 5,
            payload: vec![0xAB; 10],
        };
        let encoded = postcard::to_allocvec(&tell).expect("encode");
        assert_eq!(encoded.len(), 1 + 1 + 1 + 1 + 10);
        assert_eq!(
            postcard::from_bytes::<Data>(&encoded).expect("decode"),
            tell
        );
    }
}

/// A payload as one run of bytes: postcard writes it as a length and the bytes, the same
/// bytes as a `Vec<u8>` written as a sequence, but copied in one go rather than element
/// by element (the encoding of a tell took a third of the sender's time that way).
mod bytes {
    use serde::de::{Deserializer, Error, Visitor};
    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

/// A reply's outcome, its payload as one run of bytes (see [`bytes`]).
mod bytes_or_failure {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::WireFailure;

    #[derive(Serialize)]
    enum Ref<'a> {
        Ok(#[serde(with = "super::bytes")] &'a Vec<u8>),
        Err(&'a WireFailure),
    }

    #[derive(Deserialize)]
    enum Owned {
        Ok(#[serde(with = "super::bytes")] Vec<u8>),
        Err(WireFailure),
    }

    pub(super) fn serialize<S: Serializer>(
        outcome: &Result<Vec<u8>, WireFailure>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match outcome {
            Ok(bytes) => Ref::Ok(bytes),
            Err(failure) => Ref::Err(failure),
        }
        .serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Result<Vec<u8>, WireFailure>, D::Error> {
        Ok(match Owned::deserialize(deserializer)? {
            Owned::Ok(bytes) => Ok(bytes),
            Owned::Err(failure) => Err(failure),
        })
    }
}
