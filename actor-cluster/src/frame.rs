//! Length-delimited frames: a `u32` little-endian body length, then the body (one postcard
//! value).
//!
//! QUIC streams are byte streams, so messages need boundaries. Every length is checked against
//! a limit before its body is buffered, so a peer cannot make us allocate more than the limit
//! by announcing a huge frame.

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The size of a frame's length prefix.
const LENGTH_PREFIX: usize = 4;

/// The default largest frame body accepted or produced: 1 MiB.
///
/// Messages larger than this belong on the large-message stream, with its own limit.
pub(crate) const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// Why a frame could not be written, split off, read or decoded.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The body is (or its length prefix announces) more than the limit.
    TooLarge {
        /// The body length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The stream ended inside a frame.
    Truncated,
    /// Reading the stream failed (the connection was lost, or the peer reset the stream).
    Read(quinn::ReadError),
    /// The value could not be serialized.
    Encode(String),
    /// The body is not one well-formed value of the expected type.
    Decode(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => {
                write!(f, "frame body of {len} bytes exceeds the limit of {max}")
            }
            Self::Truncated => f.write_str("stream ended inside a frame"),
            Self::Read(error) => write!(f, "reading a frame: {error}"),
            Self::Encode(reason) => write!(f, "encoding a frame: {reason}"),
            Self::Decode(reason) => write!(f, "decoding a frame: {reason}"),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(error) => Some(error),
            Self::TooLarge { .. } | Self::Truncated | Self::Encode(_) | Self::Decode(_) => None,
        }
    }
}

/// The limit that actually applies: a `u32` prefix cannot describe more, whatever `max` says.
fn effective_max(max: usize) -> usize {
    max.min(usize::try_from(u32::MAX).unwrap_or(usize::MAX))
}

/// Appends one frame holding the postcard encoding of `value` to `out`.
///
/// The value is encoded in place after a reserved prefix, which is then patched with the
/// length, so a batch of frames costs no copies and no allocation beyond `out`'s growth.
///
/// # Errors
///
/// [`FrameError::TooLarge`] if the body would exceed `max` (or `u32::MAX`), and
/// [`FrameError::Encode`] if serialization fails; in both cases `out` is left as it was.
pub(crate) fn encode_frame<T: Serialize>(
    value: &T,
    max: usize,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let start = out.len();
    out.extend_from_slice(&[0; LENGTH_PREFIX]);
    if let Err(error) = postcard::to_extend(value, AppendTo(out)) {
        out.truncate(start);
        return Err(FrameError::Encode(error.to_string()));
    }
    let len = out.len() - start - LENGTH_PREFIX;
    let max = effective_max(max);
    let prefix = match u32::try_from(len) {
        Ok(prefix) if len <= max => prefix,
        _ => {
            out.truncate(start);
            return Err(FrameError::TooLarge { len, max });
        }
    };
    out[start..start + LENGTH_PREFIX].copy_from_slice(&prefix.to_le_bytes());
    Ok(())
}

/// Lets postcard append to a borrowed `Vec` (its `to_extend` takes the writer by value and
/// drops it on error, which would lose the batch already in `out`).
struct AppendTo<'a>(&'a mut Vec<u8>);

impl Extend<u8> for AppendTo<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.0.extend(bytes);
    }
}

/// Splits the first whole frame off the front of `buf`.
///
/// Returns `Ok(Some((consumed, body)))` with the bytes the frame takes (prefix included) and
/// the range of its body within `buf`, or `Ok(None)` if `buf` does not yet hold a whole frame.
///
/// # Errors
///
/// [`FrameError::TooLarge`] as soon as the prefix announces more than `max`, before any of the
/// body has arrived.
pub(crate) fn next_frame(
    buf: &[u8],
    max: usize,
) -> Result<Option<(usize, Range<usize>)>, FrameError> {
    let Some(prefix) = buf.first_chunk::<LENGTH_PREFIX>() else {
        return Ok(None);
    };
    // On a 16-bit target a u32 may not fit; it is then certainly over any limit.
    let len = usize::try_from(u32::from_le_bytes(*prefix)).unwrap_or(usize::MAX);
    let max = effective_max(max);
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    // len <= max <= u32::MAX, so this cannot overflow on 32- or 64-bit targets; checked anyway.
    let end = LENGTH_PREFIX
        .checked_add(len)
        .ok_or(FrameError::TooLarge { len, max })?;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((end, LENGTH_PREFIX..end)))
}

/// Decodes one postcard value from a whole frame body.
///
/// # Errors
///
/// [`FrameError::Decode`] if the body is not a well-formed `T`, or holds bytes after it
/// (a peer and we disagree about the type, which must not pass silently).
pub(crate) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    let (value, rest) =
        postcard::take_from_bytes(body).map_err(|error| FrameError::Decode(error.to_string()))?;
    if !rest.is_empty() {
        return Err(FrameError::Decode(format!(
            "{} bytes after the value",
            rest.len()
        )));
    }
    Ok(value)
}

/// Smallest read: small enough for a quiet stream, large enough that a busy one needs few
/// calls per batch.
const READ_CHUNK: usize = 16 * 1024;

/// Reads frames from a quinn receive stream, with one buffer reused for every frame.
///
/// Bodies are returned as slices into that buffer, so reading a frame allocates nothing once
/// the buffer has grown to the stream's usual batch size. The buffer never grows beyond one
/// frame of `max` plus one read chunk.
pub(crate) struct FrameReader {
    /// The stream frames arrive on.
    stream: quinn::RecvStream,
    /// Received bytes; `buf[start..end]` is not yet returned.
    buf: Vec<u8>,
    /// Where the first byte not yet returned is.
    start: usize,
    /// Where the received bytes end (the rest of `buf` is room for the next read).
    end: usize,
    /// The largest body accepted.
    max: usize,
}

impl FrameReader {
    /// A reader of `stream` accepting bodies of at most `max` bytes.
    pub(crate) fn new(stream: quinn::RecvStream, max: usize) -> Self {
        Self {
            stream,
            buf: Vec::new(),
            start: 0,
            end: 0,
            max,
        }
    }

    /// The next frame's body, or `None` when the stream ended cleanly between frames.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLarge`] as soon as a length prefix announces more than the limit,
    /// [`FrameError::Truncated`] if the stream ends inside a frame, [`FrameError::Read`] if the
    /// stream fails. After an error the stream is of no further use.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes read before the future is dropped stay buffered, and the next call
    /// continues from them (quinn's `read` is itself cancel safe).
    pub(crate) async fn next(&mut self) -> Result<Option<&[u8]>, FrameError> {
        loop {
            // Indices, not a slice, so the buffer is not borrowed across the read below.
            if let Some((consumed, body)) = next_frame(&self.buf[self.start..self.end], self.max)? {
                let body = self.start + body.start..self.start + body.end;
                self.start += consumed;
                return Ok(Some(&self.buf[body]));
            }
            self.make_room();
            match self.stream.read(&mut self.buf[self.end..]).await {
                Ok(Some(read)) => self.end += read,
                Ok(None) if self.start == self.end => return Ok(None),
                Ok(None) => return Err(FrameError::Truncated),
                Err(error) => return Err(FrameError::Read(error)),
            }
        }
    }

    /// Ensures there is room after `end` for the rest of the pending frame, or a read chunk.
    ///
    /// Only called when the pending bytes are not a whole frame and any length prefix among
    /// them is within the limit, so the growth is bounded by `max`.
    fn make_room(&mut self) {
        let pending = self.end - self.start;
        // Moving the partial frame to the front keeps the buffer from creeping forward; it is
        // at most one frame, and usually a few bytes.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = pending;
        }
        let frame_len = self.buf[..self.end]
            .first_chunk::<LENGTH_PREFIX>()
            .map_or(LENGTH_PREFIX, |prefix| {
                LENGTH_PREFIX + usize::try_from(u32::from_le_bytes(*prefix)).unwrap_or(0)
            });
        let wanted = frame_len.max(self.end + READ_CHUNK);
        if self.buf.len() < wanted {
            self.buf.resize(wanted, 0);
        }
    }
}

impl fmt::Debug for FrameReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffer's bytes are message payloads: neither useful nor safe in a log.
        f.debug_struct("FrameReader")
            .field("stream", &self.stream)
            .field("buffered", &(self.end - self.start))
            .field("capacity", &self.buf.len())
            .field("max", &self.max)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::test_support::{loopback, TempDir};
    use crate::tls::{client_config, server_config, Credentials, TransportSettings, SERVER_NAME};
    use std::time::Duration;
    use tokio::time::timeout;

    const STEP: Duration = Duration::from_secs(10);

    #[test]
    fn an_encoded_frame_is_its_length_then_its_postcard_body() {
        let mut out = vec![0xAA];
        encode_frame(&(7u8, String::from("hi")), 64, &mut out).expect("encode");
        assert_eq!(out, [0xAA, 4, 0, 0, 0, 7, 2, b'h', b'i']);
        let (consumed, body) = next_frame(&out[1..], 64).expect("valid").expect("whole");
        assert_eq!(consumed, 8);
        let value: (u8, String) = decode_body(&out[1..][body]).expect("decode");
        assert_eq!(value, (7, "hi".to_owned()));
    }

    #[test]
    fn a_body_over_the_limit_is_refused_and_leaves_the_batch_as_it_was() {
        let mut out = Vec::new();
        encode_frame(&1u8, 8, &mut out).expect("first frame");
        let before = out.clone();
        let error = encode_frame(&vec![0u8; 9], 9, &mut out).expect_err("10-byte body");
        assert!(
            matches!(error, FrameError::TooLarge { len: 10, max: 9 }),
            "{error}"
        );
        assert_eq!(out, before);
    }

    #[test]
    fn an_oversized_prefix_is_refused_before_its_body_arrives() {
        let prefix = 11u32.to_le_bytes();
        assert!(matches!(
            next_frame(&prefix, 10),
            Err(FrameError::TooLarge { len: 11, max: 10 })
        ));
        assert!(matches!(next_frame(&prefix[..3], 10), Ok(None)));
        assert!(matches!(next_frame(&prefix, 11), Ok(None)));
    }

    #[test]
    fn trailing_bytes_after_a_value_are_a_decode_error() {
        assert!(matches!(
            decode_body::<u8>(&[1, 2]),
            Err(FrameError::Decode(_))
        ));
        assert!(matches!(
            decode_body::<String>(&[5, b'a']),
            Err(FrameError::Decode(_))
        ));
    }

    #[test]
    fn a_reader_and_its_next_future_can_move_to_another_task() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_send_unpin<T: Send + Unpin>() {}
        assert_send_unpin::<FrameReader>();
        assert_send_unpin::<FrameError>();
        // Only typechecked: the future must be Send so a link can spawn its read loop.
        #[allow(dead_code)]
        fn next_is_send(reader: &mut FrameReader) {
            assert_send(&reader.next());
        }
    }

    /// A connected pair of endpoints: the dialer's connection and the acceptor's.
    async fn connected_pair() -> (
        quinn::Connection,
        quinn::Connection,
        [quinn::Endpoint; 2],
        TempDir,
    ) {
        let dir = TempDir::new("frames");
        let settings = TransportSettings::default();
        let credentials = Credentials::development(dir.path()).expect("credentials");
        let server = quinn::Endpoint::server(
            server_config(&credentials, &settings).expect("server config"),
            loopback(),
        )
        .expect("server endpoint");
        let client = quinn::Endpoint::client(loopback()).expect("client endpoint");
        let address = server.local_addr().expect("address");
        let accepting = async {
            let incoming = server.accept().await.expect("an incoming connection");
            incoming.await.expect("accepted")
        };
        let dialing = async {
            client
                .connect_with(
                    client_config(&credentials, &settings).expect("config"),
                    address,
                    SERVER_NAME,
                )
                .expect("connect")
                .await
                .expect("connected")
        };
        let (accepted, dialed) = timeout(STEP, async { tokio::join!(accepting, dialing) })
            .await
            .expect("connects in time");
        (dialed, accepted, [client, server], dir)
    }

    #[tokio::test]
    async fn frames_written_in_odd_pieces_are_read_back_whole_and_in_order() {
        let (dialed, accepted, _endpoints, _dir) = connected_pair().await;
        let values: Vec<Vec<u8>> = (0..60usize)
            .map(|i| vec![i as u8; i * 677 % 40_000])
            .collect();
        let mut batch = Vec::new();
        for value in &values {
            encode_frame(value, DEFAULT_MAX_FRAME, &mut batch).expect("encode");
        }
        let writer = tokio::spawn(async move {
            let mut send = dialed.open_uni().await.expect("open");
            // Uneven writes, so frames and prefixes straddle the reader's reads.
            for piece in batch.chunks(1_237) {
                send.write_all(piece).await.expect("write");
            }
            send.finish().expect("finish");
            let _ = send.stopped().await;
            dialed
        });

        let recv = timeout(STEP, accepted.accept_uni())
            .await
            .expect("in time")
            .expect("stream");
        let mut reader = FrameReader::new(recv, DEFAULT_MAX_FRAME);
        let mut received = Vec::new();
        while let Some(body) = timeout(STEP, reader.next())
            .await
            .expect("in time")
            .expect("frame")
        {
            received.push(decode_body::<Vec<u8>>(body).expect("decode"));
        }

        assert_eq!(received, values);
        assert!(
            reader.buf.len() <= 40_100 + READ_CHUNK,
            "buffer grew to {}",
            reader.buf.len()
        );
        let _ = writer.await;
    }

    #[tokio::test]
    async fn a_stream_ending_inside_a_frame_is_truncated() {
        let (dialed, accepted, _endpoints, _dir) = connected_pair().await;
        let mut send = dialed.open_uni().await.expect("open");
        let mut frame = Vec::new();
        encode_frame(&"whole", 64, &mut frame).expect("encode");
        encode_frame(&"cut short", 64, &mut frame).expect("encode");
        send.write_all(&frame[..frame.len() - 3])
            .await
            .expect("write");
        send.finish().expect("finish");

        let recv = timeout(STEP, accepted.accept_uni())
            .await
            .expect("in time")
            .expect("stream");
        let mut reader = FrameReader::new(recv, 64);
        let first = timeout(STEP, reader.next())
            .await
            .expect("in time")
            .expect("frame");
        assert_eq!(
            decode_body::<String>(first.expect("a frame")).expect("decode"),
            "whole"
        );
        let second = timeout(STEP, reader.next()).await.expect("in time");
        assert!(matches!(second, Err(FrameError::Truncated)), "{second:?}");
    }

    #[tokio::test]
    async fn an_announced_giant_is_refused_without_waiting_for_or_buffering_its_body() {
        let (dialed, accepted, _endpoints, _dir) = connected_pair().await;
        let mut send = dialed.open_uni().await.expect("open");
        // Only the prefix, and the stream stays open: the reader must not wait for the body.
        send.write_all(&u32::MAX.to_le_bytes())
            .await
            .expect("write");

        let recv = timeout(STEP, accepted.accept_uni())
            .await
            .expect("in time")
            .expect("stream");
        let mut reader = FrameReader::new(recv, DEFAULT_MAX_FRAME);
        let result = timeout(STEP, reader.next())
            .await
            .expect("refused without waiting");

        assert!(
            matches!(
                result,
                Err(FrameError::TooLarge {
                    max: DEFAULT_MAX_FRAME,
                    ..
                })
            ),
            "{result:?}"
        );
        assert!(
            reader.buf.len() <= READ_CHUNK + LENGTH_PREFIX,
            "buffer grew to {}",
            reader.buf.len()
        );
        drop(send);
    }

    #[tokio::test]
    async fn an_empty_stream_ends_cleanly() {
        let (dialed, accepted, _endpoints, _dir) = connected_pair().await;
        let mut send = dialed.open_uni().await.expect("open");
        // A uni stream is announced to the peer only once it carries data or its end.
        send.finish().expect("finish");
        let recv = timeout(STEP, accepted.accept_uni())
            .await
            .expect("in time")
            .expect("stream");
        let mut reader = FrameReader::new(recv, 64);
        let result = timeout(STEP, reader.next()).await.expect("in time");
        assert!(matches!(result, Ok(None)), "{result:?}");
    }
}
