//! Property tests of the frame layer and the protocol's wire form, through the hidden
//! `__fuzz` entry points (the items themselves are crate-private).
//!
//! The properties a peer relies on: no input makes a node panic; valid frame streams come
//! back exactly, however the bytes are split in transit; a cut-off stream only ever asks for
//! more; and an oversized frame is refused from its length prefix alone.

use actor_cluster::__fuzz::{self, FrameOutcome, MessageSeed};
use proptest::collection::vec;
use proptest::prelude::*;

/// The crate's default frame limit (1 MiB).
const MAX: usize = 1 << 20;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Failures are reproduced from the printed seed; a regressions file in the source tree
        // would be written by whoever ran the test, not reviewed.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn seed() -> impl Strategy<Value = MessageSeed> {
    (
        any::<u8>(),
        any::<u64>(),
        any::<u64>(),
        vec(any::<u8>(), 0..64),
        vec(any::<char>(), 0..16),
    )
        .prop_map(|(variant, number, other_number, bytes, text)| MessageSeed {
            variant,
            number,
            other_number,
            bytes,
            text: text.into_iter().collect(),
        })
}

/// Frame boundaries of a valid stream: the offsets where each frame ends.
fn frame_ends(stream: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while let FrameOutcome::Frame { consumed, .. } = __fuzz::next_frame(&stream[at..], MAX) {
        at += consumed;
        ends.push(at);
    }
    assert_eq!(at, stream.len(), "a valid stream is whole frames");
    ends
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512), max in prop_oneof![0..64usize, Just(MAX)]) {
        let decoded = __fuzz::decode_frames(&bytes, max);
        prop_assert!(decoded <= 2 * (bytes.len() / 4 + 1));
        let _ = __fuzz::next_frame(&bytes, max);
    }

    #[test]
    fn arbitrary_bodies_in_valid_frames_never_panic(bodies in vec(vec(any::<u8>(), 0..48), 0..12)) {
        // Valid prefixes, so every body reaches both decoders instead of stopping the walk.
        let mut stream = Vec::new();
        for body in &bodies {
            stream.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
            stream.extend_from_slice(body);
        }
        prop_assert!(__fuzz::decode_frames(&stream, MAX) <= 2 * bodies.len());
    }

    #[test]
    fn valid_streams_round_trip_exactly_however_they_arrive(seeds in vec(seed(), 0..16), chunk in 1..64usize) {
        prop_assert_eq!(__fuzz::roundtrip_data(&seeds, MAX, chunk), Ok(seeds.len()));
        prop_assert_eq!(__fuzz::roundtrip_control(&seeds, MAX, chunk), Ok(seeds.len()));
    }

    #[test]
    fn every_whole_frame_decodes_as_what_it_is(seeds in vec(seed(), 1..8)) {
        let stream = __fuzz::encode_data(&seeds, MAX).unwrap();
        // Each frame decodes as Data; as Control it may or may not, so at least one per frame.
        let decoded = __fuzz::decode_frames(&stream, MAX);
        prop_assert!(decoded >= seeds.len() && decoded <= 2 * seeds.len());
    }

    #[test]
    fn a_single_byte_mutation_never_panics(seeds in vec(seed(), 1..8), position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut stream = __fuzz::encode_data(&seeds, MAX).unwrap();
        let at = position.index(stream.len());
        stream[at] = byte;
        let _ = __fuzz::decode_frames(&stream, MAX);
        let _ = __fuzz::decode_frames(&stream, 16);
    }

    #[test]
    fn a_truncated_stream_yields_its_whole_frames_then_needs_more(seeds in vec(seed(), 1..8), cut in any::<prop::sample::Index>()) {
        let stream = __fuzz::encode_data(&seeds, MAX).unwrap();
        let ends = frame_ends(&stream);
        let cut = cut.index(stream.len());
        let truncated = &stream[..cut];

        let mut at = 0;
        let mut frames = 0;
        loop {
            match __fuzz::next_frame(&truncated[at..], MAX) {
                FrameOutcome::Frame { consumed, body } => {
                    prop_assert!(body.end == consumed && at + consumed <= cut);
                    at += consumed;
                    frames += 1;
                }
                FrameOutcome::NeedMore => break,
                other => return Err(TestCaseError::fail(format!("{other:?} at {at} of {cut}"))),
            }
        }
        // Exactly the frames that ended before the cut, and the rest is held back, not misread.
        prop_assert_eq!(frames, ends.iter().filter(|&&end| end <= cut).count());
        prop_assert_eq!(at, ends.iter().copied().filter(|&end| end <= cut).max().unwrap_or(0));
    }

    #[test]
    fn a_prefix_over_the_limit_is_refused_from_the_prefix_alone(
        max in 0..=MAX,
        excess in 1..=u64::from(u32::MAX),
        tail in vec(any::<u8>(), 0..8),
    ) {
        let len = (max as u64 + excess).min(u64::from(u32::MAX));
        prop_assume!(len > max as u64);
        // Only the prefix (and a few stray bytes): no body has arrived, nothing is buffered.
        let mut bytes = u32::try_from(len).unwrap().to_le_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        prop_assert_eq!(
            __fuzz::next_frame(&bytes, max),
            FrameOutcome::TooLarge { len: len as usize, max }
        );
        prop_assert_eq!(__fuzz::decode_frames(&bytes, max), 0);
    }
}

#[test]
fn a_message_over_the_limit_is_refused_when_encoding() {
    let seeds = [MessageSeed {
        variant: 0,
        number: 1,
        other_number: 2,
        bytes: vec![0; 100],
        text: String::new(),
    }];
    let error = __fuzz::encode_data(&seeds, 64).expect_err("over the limit");
    assert!(error.contains("exceeds the limit of 64"), "{error}");
    assert_eq!(__fuzz::roundtrip_data(&seeds, 64, 7), Err(error));
}
