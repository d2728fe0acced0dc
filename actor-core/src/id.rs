//! [`ActorId`], and the maps keyed by it.

use std::fmt;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// An actor's id: unique within the process for the process's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(u64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ActorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Parses the id out of an unnamed actor's path segment (`$42`).
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        segment.strip_prefix('$')?.parse().ok().map(ActorId)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Hashes actor ids for the maps keyed by them. Ids are sequential numbers that no
/// outsider chooses, so one multiplication spreads them well enough; the default SipHash
/// was a tenth of the cost of a spawn.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is reached from `ActorId`'s `Hash`; this is for completeness.
        for byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: the high bits, which the table's tags use, depend on all bits.
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by actor ids.
pub(crate) type IdMap<V> =
    std::collections::HashMap<ActorId, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Removes `id` from a map that is boxed when first needed, and gives the room back as the
/// map empties: a map keeps its capacity, and one that 100,000 short-lived watchers once
/// filled would otherwise hold their room for as long as it lives. Shrinking to twice the
/// entries once they are down to a quarter keeps each removal O(1) amortised.
pub(crate) fn remove_shrinking<V>(map: &mut Option<Box<IdMap<V>>>, id: ActorId) -> Option<V> {
    let entries = map.as_deref_mut()?;
    let removed = entries.remove(&id)?;
    if entries.is_empty() {
        *map = None;
    } else if entries.capacity() > 16 && entries.len() * 4 < entries.capacity() {
        entries.shrink_to(entries.len() * 2);
    }
    Some(removed)
}
