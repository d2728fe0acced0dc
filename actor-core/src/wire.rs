//! The wire form of a remote-capable actor's messages and replies: what
//! `#[actor(remote = "...")]` generates against, and what a transport (the `actor-cluster`
//! crate) calls to turn bytes into typed messages and back.
//!
//! Only a variant's fields go on the wire (postcard over serde), under a [`WireId`] derived
//! from the actor's wire name and the message's name, never serde's enum index: reordering
//! methods changes the index, and it must not change what a peer decodes. The local path
//! never reaches this module.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::actor::Actor;

/// The id of one message of one remote-capable actor on the wire.
pub type WireId = u64;

/// The wire id of the message `message` of the actor whose wire name is `wire_name`:
/// 64-bit FNV-1a over `wire_name`, a `/`, and `message`. A `const fn`, so the generated
/// code derives each id at compile time, and a peer built from another version of the
/// code derives the same one from the same names.
#[must_use]
pub const fn wire_id(wire_name: &str, message: &str) -> WireId {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    hash = fnv1a(hash, wire_name.as_bytes(), PRIME);
    hash = fnv1a(hash, b"/", PRIME);
    fnv1a(hash, message.as_bytes(), PRIME)
}

const fn fnv1a(mut hash: u64, bytes: &[u8], prime: u64) -> u64 {
    let mut at = 0;
    while at < bytes.len() {
        hash ^= bytes[at] as u64;
        hash = hash.wrapping_mul(prime);
        at += 1;
    }
    hash
}

/// A hash of an actor's message signatures (each message's wire id, its argument types and
/// its reply type, as written), so that a peer built from incompatible code is refused when
/// it looks the actor up, not at its first message.
#[must_use]
pub const fn signature(parts: &[&str]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = 0xcbf2_9ce4_8422_2325;
    let mut at = 0;
    while at < parts.len() {
        hash = fnv1a(hash, parts[at].as_bytes(), PRIME);
        hash = fnv1a(hash, b"\0", PRIME);
        at += 1;
    }
    hash
}

/// Why a message or reply could not be put on the wire or taken off it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// A value could not be serialized (a serde `Serialize` impl returned an error).
    Encode(String),
    /// The bytes are not a valid encoding of what the wire id says (a peer on another
    /// version of the message, or a corrupt frame).
    Decode(String),
    /// The wire id names no message of this actor (a peer that knows a message this
    /// process does not).
    UnknownMessage(WireId),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Encode(why) => write!(f, "could not encode: {why}"),
            WireError::Decode(why) => write!(f, "could not decode: {why}"),
            WireError::UnknownMessage(id) => write!(f, "no message has the wire id {id:#018x}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Appends the postcard encoding of `value` to `out`.
///
/// # Errors
///
/// [`WireError::Encode`] if `value`'s `Serialize` impl fails.
pub fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), WireError> {
    let taken = std::mem::take(out);
    match postcard::to_extend(value, taken) {
        Ok(filled) => {
            *out = filled;
            Ok(())
        }
        Err(err) => Err(WireError::Encode(err.to_string())),
    }
}

/// Decodes a `T` from all of `bytes`: trailing bytes are an error too, as they mean the
/// peer encoded something else.
///
/// # Errors
///
/// [`WireError::Decode`] if `bytes` are not exactly one `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(WireError::Decode(format!(
            "{} bytes left over after the value",
            rest.len()
        ))),
        Err(err) => Err(WireError::Decode(err.to_string())),
    }
}

/// Appends the encoding of one field of a message (or a reply's value) to `out`. Fields
/// encoded one after another are exactly the encoding of their tuple, so a message's
/// bytes do not depend on how the generated code writes them. The `WireValue` bound is
/// what a type that cannot cross the wire fails, with that trait's message, at the type.
///
/// # Errors
///
/// [`WireError::Encode`] if the value's `Serialize` impl fails.
#[inline]
pub fn encode_field<T: WireValue>(value: &T, out: &mut Vec<u8>) -> Result<(), WireError> {
    encode(value, out)
}

/// Decodes one field from the front of `bytes`, leaving the rest there.
///
/// # Errors
///
/// [`WireError::Decode`] if the front of `bytes` is not a `T`.
#[inline]
pub fn decode_field<T: WireValue>(bytes: &mut &[u8]) -> Result<T, WireError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, rest)) => {
            *bytes = rest;
            Ok(value)
        }
        Err(err) => Err(WireError::Decode(err.to_string())),
    }
}

/// Checks that every byte was a field: trailing bytes mean the peer sent another shape.
///
/// # Errors
///
/// [`WireError::Decode`] if `rest` is not empty.
#[inline]
pub fn finish(rest: &[u8]) -> Result<(), WireError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(WireError::Decode(format!(
            "{} bytes left over after the fields",
            rest.len()
        )))
    }
}

/// Runs a generated encode or decode, turning a panic in a user's `Serialize` or
/// `Deserialize` impl into an error: on the receiving side such a panic would otherwise
/// take down the link's task, for every actor behind it. `encoding` says which error.
pub(crate) fn guarded<T>(
    encoding: bool,
    run: impl FnOnce() -> Result<T, WireError>,
) -> Result<T, WireError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            let why = format!("a serde impl panicked: {why}");
            Err(if encoding {
                WireError::Encode(why)
            } else {
                WireError::Decode(why)
            })
        }
    }
}

/// What a message argument or a reply of a remote-capable actor must be: serde's
/// `Serialize` and `DeserializeOwned`. [`encode_field`] and [`decode_field`] require it, and
/// the generated code calls them spanned on each argument's and reply's type, so that the
/// error points there.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the wire: a remote actor's arguments and replies must be `Serialize + DeserializeOwned`",
    label = "not `Serialize + DeserializeOwned`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}` (with `serde` in your crate's dependencies), or pass a type that has them"
)]
pub trait WireValue: Serialize + DeserializeOwned {}

impl<T: Serialize + DeserializeOwned> WireValue for T {}

/// An actor whose messages can cross the wire: generated by `#[actor(remote = "...")]`.
///
/// Not implemented by hand: the ids, the encodings and the signature hash must agree with
/// what a peer built from the same code derives.
pub trait RemoteActor: Actor {
    /// The explicit, stable name of the actor on the wire, like `"bank.Account"`.
    const WIRE_NAME: &'static str;
    /// A hash of every message's wire id, argument types and reply type.
    const SIGNATURE: u64;
    /// Each message's wire id with a hash of its own argument and reply types: two
    /// versions of an actor are compatible when every message both know has the same
    /// hash in both (one may have messages the other lacks).
    const MESSAGES: &'static [(WireId, u64)];

    /// The wire id of `msg`.
    fn wire_id(msg: &Self::Msg) -> WireId;

    /// Appends the encoding of `msg`'s fields (not its variant) to `out`.
    ///
    /// # Errors
    ///
    /// If an argument's `Serialize` impl fails.
    fn encode_msg(msg: &Self::Msg, out: &mut Vec<u8>) -> Result<(), WireError>;

    /// The message whose wire id is `id`, from its fields' encoding.
    ///
    /// # Errors
    ///
    /// [`WireError::UnknownMessage`] for an id of no message, [`WireError::Decode`] for
    /// bytes that are not its fields.
    fn decode_msg(id: WireId, bytes: &[u8]) -> Result<Self::Msg, WireError>;

    /// Appends the encoding of `reply`'s value (not its variant) to `out`.
    ///
    /// # Errors
    ///
    /// If the reply's `Serialize` impl fails.
    fn encode_reply(reply: &Self::Reply, out: &mut Vec<u8>) -> Result<(), WireError>;

    /// The reply to the message whose wire id is `id`, from its value's encoding.
    ///
    /// # Errors
    ///
    /// As [`decode_msg`](Self::decode_msg).
    fn decode_reply(id: WireId, bytes: &[u8]) -> Result<Self::Reply, WireError>;
}

/// Whether two versions of an actor, each given by its [`RemoteActor::MESSAGES`], agree
/// on every message both know.
#[must_use]
pub fn compatible(ours: &[(WireId, u64)], theirs: &[(WireId, u64)]) -> bool {
    ours.iter().all(|(id, hash)| {
        theirs
            .iter()
            .all(|(other_id, other_hash)| other_id != id || other_hash == hash)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_both_names_and_are_fixed() {
        assert_ne!(
            wire_id("bank.Account", "deposit"),
            wire_id("bank.Account", "withdraw")
        );
        assert_ne!(
            wire_id("bank.Account", "deposit"),
            wire_id("bank.Ledger", "deposit")
        );
        // The separator keeps ("a.b", "c") and ("a", "b/c")-like splits apart.
        assert_ne!(wire_id("ab", "c"), wire_id("a", "bc"));
        // Pinned: a change to the derivation breaks every deployed peer.
        assert_eq!(wire_id("", ""), 0xaf63_a24c_8601_89fe);
        assert_eq!(wire_id("bank.Account", "deposit"), 0x9baf_4ad1_04b4_3257);
    }

    #[test]
    fn versions_are_compatible_when_shared_messages_agree() {
        let v1 = [(1, 10), (2, 20)];
        assert!(
            compatible(&v1, &[(1, 10), (2, 20), (3, 30)]),
            "a message added"
        );
        assert!(compatible(&v1, &[(2, 20)]), "a message removed");
        assert!(!compatible(&v1, &[(1, 11), (2, 20)]), "an argument changed");
        assert!(compatible(&[], &v1));
    }

    #[test]
    fn decode_refuses_trailing_bytes_and_garbage() {
        let mut out = Vec::new();
        encode(&(7u64, String::from("x")), &mut out).unwrap();
        assert_eq!(decode::<(u64, String)>(&out).unwrap(), (7, "x".into()));
        out.push(0);
        assert!(matches!(
            decode::<(u64, String)>(&out),
            Err(WireError::Decode(_))
        ));
        assert!(matches!(
            decode::<(u64, String)>(&[0xff; 3]),
            Err(WireError::Decode(_))
        ));
    }
}
