//! Entry points for the property tests (`tests/frames.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/frames.rs`), which cannot reach the crate-private frame and protocol
//! items they exercise.
//!
//! Not API: hidden from the docs, and free to change in any release. Messages are described by
//! `MessageSeed`s built of public types, and mapped onto every variant of the protocol here.

use std::ops::Range;

use crate::frame::{self, FrameError};
use crate::protocol::{Control, Data, LookupRefusal, WireFailure, WireStopReason};

/// Walks every whole frame at the front of `bytes` (limit `max`), decodes each body both as a
/// control and as a data message, and returns how many of those decodes succeeded.
///
/// Stops at the first incomplete or oversized frame. Never panics, whatever `bytes` holds.
pub fn decode_frames(bytes: &[u8], max: usize) -> usize {
    let mut rest = bytes;
    let mut decoded = 0;
    while let Ok(Some((consumed, body))) = frame::next_frame(rest, max) {
        let body = &rest[body];
        decoded += usize::from(frame::decode_body::<Control>(body).is_ok());
        decoded += usize::from(frame::decode_body::<Data>(body).is_ok());
        rest = &rest[consumed..];
    }
    decoded
}

/// What [`next_frame`] found at the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameOutcome {
    /// A whole frame: it takes `consumed` bytes, and its body is at `body`.
    Frame {
        /// Bytes the frame takes, length prefix included.
        consumed: usize,
        /// Where the body is in the buffer.
        body: Range<usize>,
    },
    /// The buffer does not yet hold a whole frame.
    NeedMore,
    /// The length prefix announces a body over the limit.
    TooLarge {
        /// The announced body length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// Any other refusal (the splitter has none today; a test should see one if it appears).
    Refused(String),
}

/// The crate's frame splitter on `bytes`, its answer in public types.
pub fn next_frame(bytes: &[u8], max: usize) -> FrameOutcome {
    match frame::next_frame(bytes, max) {
        Ok(Some((consumed, body))) => FrameOutcome::Frame { consumed, body },
        Ok(None) => FrameOutcome::NeedMore,
        Err(FrameError::TooLarge { len, max }) => FrameOutcome::TooLarge { len, max },
        Err(other) => FrameOutcome::Refused(other.to_string()),
    }
}

/// The raw material of one protocol message; [`roundtrip_data`] and [`roundtrip_control`] map
/// it onto their enums so that every variant (and every nested variant) gets generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSeed {
    /// Picks the variant (and a nested variant).
    pub variant: u8,
    /// Ids, correlations, nonces.
    pub number: u64,
    /// A second number, for variants with two.
    pub other_number: u64,
    /// Payloads.
    pub bytes: Vec<u8>,
    /// Names, addresses, failure descriptions.
    pub text: String,
}

/// The data message a seed stands for.
fn data_message(seed: &MessageSeed) -> Data {
    let payload = seed.bytes.clone();
    match seed.variant % 4 {
        0 => Data::Tell {
            actor: seed.number,
            wire_id: seed.other_number,
            payload,
        },
        1 => Data::Ask {
            actor: seed.number,
            wire_id: seed.other_number,
            correlation: seed.number ^ seed.other_number,
            timeout_ms: seed.other_number.rotate_left(17),
            payload,
        },
        2 => Data::Reply {
            correlation: seed.number,
            outcome: Ok(payload),
        },
        _ => Data::Reply {
            correlation: seed.number,
            outcome: Err(match seed.variant / 4 % 6 {
                0 => WireFailure::UnknownActor,
                1 => WireFailure::Stopped,
                2 => WireFailure::Failed(seed.text.clone()),
                3 => WireFailure::MailboxFull,
                4 => WireFailure::Undecodable(seed.text.clone()),
                5 => WireFailure::Unencodable(seed.text.clone()),
                _ => WireFailure::NoReply,
            }),
        },
    }
}

/// The control message a seed stands for.
fn control_message(seed: &MessageSeed) -> Control {
    let (number, other_number) = (seed.number, seed.other_number);
    match seed.variant % 9 {
        0 => Control::Hello {
            version: (other_number & 0xFFFF) as u16,
            address: seed.text.clone(),
            incarnation: number,
        },
        1 => Control::Lookup {
            request: number,
            name: seed.text.clone(),
            wire_name: seed.text.chars().rev().collect(),
            signature: other_number,
            messages: seed
                .bytes
                .iter()
                .map(|&byte| (u64::from(byte), number))
                .collect(),
        },
        2 => Control::Found {
            request: number,
            result: match seed.variant / 9 % 4 {
                0 => Ok(other_number),
                1 => Err(LookupRefusal::NotFound),
                2 => Err(LookupRefusal::WrongActor {
                    wire_name: seed.text.clone(),
                }),
                _ => Err(LookupRefusal::Incompatible {
                    signature: other_number,
                }),
            },
        },
        3 => Control::Watch { actor: number },
        4 => Control::Unwatch { actor: number },
        5 => Control::Terminated {
            actor: number,
            reason: match seed.variant / 9 % 6 {
                0 => WireStopReason::Requested,
                1 => WireStopReason::RefsDropped,
                2 => WireStopReason::Shutdown,
                3 => WireStopReason::Failed(seed.text.clone()),
                4 => WireStopReason::Aborted,
                _ => WireStopReason::Other(seed.text.clone()),
            },
        },
        6 => Control::Stop {
            actor: number,
            immediate: other_number % 2 == 1,
        },
        7 => Control::Heartbeat { nonce: number },
        _ => Control::HeartbeatAck { nonce: number },
    }
}

/// The frame stream (limit `max`) of the data messages the seeds stand for, one frame each.
///
/// # Errors
///
/// The frame error's description, if a message exceeds `max`.
pub fn encode_data(seeds: &[MessageSeed], max: usize) -> Result<Vec<u8>, String> {
    encode_all(seeds.iter().map(data_message), max)
}

/// Encodes the seeds' data messages into one frame stream, delivers it `chunk` bytes at a time
/// to a receiver that splits frames off as they complete, and checks that it gets back exactly
/// the messages sent, in order, with nothing left over. Returns how many it got back.
///
/// # Errors
///
/// What went wrong, for the test to show: a message over `max`, a frame refused or not
/// decodable, a message changed, or bytes left over.
pub fn roundtrip_data(seeds: &[MessageSeed], max: usize, chunk: usize) -> Result<usize, String> {
    roundtrip(seeds.iter().map(data_message).collect(), max, chunk)
}

/// As [`roundtrip_data`], for the seeds' control messages.
///
/// # Errors
///
/// As [`roundtrip_data`].
pub fn roundtrip_control(seeds: &[MessageSeed], max: usize, chunk: usize) -> Result<usize, String> {
    roundtrip(seeds.iter().map(control_message).collect(), max, chunk)
}

/// Encodes `messages` as consecutive frames.
fn encode_all<T: serde::Serialize>(
    messages: impl Iterator<Item = T>,
    max: usize,
) -> Result<Vec<u8>, String> {
    let mut stream = Vec::new();
    for message in messages {
        frame::encode_frame(&message, max, &mut stream).map_err(|error| error.to_string())?;
    }
    Ok(stream)
}

/// See [`roundtrip_data`].
fn roundtrip<T>(sent: Vec<T>, max: usize, chunk: usize) -> Result<usize, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let stream = encode_all(sent.iter(), max)?;
    let mut received = Vec::with_capacity(sent.len());
    let mut buffer = Vec::new();
    for arrival in stream.chunks(chunk.max(1)) {
        buffer.extend_from_slice(arrival);
        let mut start = 0;
        while let Some((consumed, body)) =
            frame::next_frame(&buffer[start..], max).map_err(|error| error.to_string())?
        {
            let body = &buffer[start..][body];
            received.push(frame::decode_body::<T>(body).map_err(|error| error.to_string())?);
            start += consumed;
        }
        buffer.drain(..start);
    }
    if !buffer.is_empty() {
        return Err(format!("{} bytes left after the last frame", buffer.len()));
    }
    if received != sent {
        return Err(format!("sent {sent:?}, received {received:?}"));
    }
    Ok(received.len())
}
