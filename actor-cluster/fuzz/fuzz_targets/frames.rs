//! Feeds arbitrary bytes to the frame splitter and both protocol decoders: a peer controls
//! every byte a node reads, so no input may panic or allocate past the frame limit.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // The production limit, and a tiny one so the refusal path is reached as often.
    actor_cluster::__fuzz::decode_frames(bytes, 1 << 20);
    actor_cluster::__fuzz::decode_frames(bytes, 16);
});
