//! The fixed hash functions of consistent hashing: the same key lands on the same routee in
//! every run and on every platform, which std's `DefaultHasher` does not promise.

use std::hash::Hasher;

/// FNV-1a, 64 bits: simple, stable, and good enough once [`mix`]ed.
pub(crate) struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for StableHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// SplitMix64's finalizer: spreads FNV's output (weak in its low bits) over the ring.
pub(crate) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Where virtual node `node` of the routee keyed `routee` sits on the ring.
pub(crate) fn ring_point(routee: u64, node: u64) -> u64 {
    mix(mix(routee).wrapping_add(node.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    #[test]
    fn the_hash_of_a_key_is_fixed() {
        let mut hasher = StableHasher::default();
        "user-42".hash(&mut hasher);
        // FNV-1a of the bytes and str's 0xff terminator: written down once, never changes.
        assert_eq!(hasher.finish(), {
            let mut expected = StableHasher::default();
            expected.write(b"user-42");
            expected.write_u8(0xff);
            expected.finish()
        });
        let mut empty = StableHasher::default();
        empty.write(b"");
        assert_eq!(empty.finish(), 0xcbf2_9ce4_8422_2325);
        let mut a = StableHasher::default();
        a.write(b"a");
        assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn ring_points_differ_per_routee_and_node() {
        let mut points: Vec<u64> = (0..8)
            .flat_map(|routee| (0..64).map(move |node| ring_point(routee, node)))
            .collect();
        points.sort_unstable();
        points.dedup();
        assert_eq!(points.len(), 8 * 64);
    }
}
