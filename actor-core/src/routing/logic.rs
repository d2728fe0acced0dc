//! The routing strategies (Akka's routing logics): which routee a message goes to.
//!
//! Each strategy is a small public type that converts into [`RoutingLogic`], the boxed
//! strategy a pool or a group keeps. A strategy picks from a snapshot of the routees taken
//! without any lock held, so a consistent-hashing key function (user code) runs unlocked.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::actor::Actor;
use crate::routing::hash::{mix, ring_point, StableHasher};
use crate::routing::routees::Routees;

/// Which routee a strategy picked.
pub(crate) enum Choice<M> {
    /// The routee at this index of the snapshot.
    One(usize),
    /// Every routee, each with a copy made by this function.
    Every(fn(&M) -> M),
}

/// A strategy, as a router keeps it.
pub(crate) trait Logic<A: Actor>: Send + Sync + 'static {
    /// Picks where `msg` goes among `routees`, which are never empty.
    fn pick(&self, routees: &Routees<A>, msg: &A::Msg) -> Choice<A::Msg>;

    /// Prepares a new snapshot of the routees (a hash ring), under no lock of the router.
    fn arrange(&self, routees: &mut Routees<A>) {
        let _ = routees;
    }
}

/// How a pool or a group picks the routee of each message: built from [`RoundRobin`],
/// [`Random`], [`SmallestMailbox`], [`Broadcast`] or [`ConsistentHash`] by `.routing(..)`.
pub struct RoutingLogic<A: Actor> {
    pub(crate) logic: Box<dyn Logic<A>>,
}

impl<A: Actor> fmt::Debug for RoutingLogic<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutingLogic").finish_non_exhaustive()
    }
}

impl<A: Actor> Default for RoutingLogic<A> {
    /// [`RoundRobin`], Akka's default for pools.
    fn default() -> Self {
        RoundRobin.into()
    }
}

/// Each message to the next routee in turn (Akka's `RoundRobinPool` / `RoundRobinGroup`):
/// `n` messages in a row from one sender reach `n` routees once each.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin;

struct RoundRobinLogic {
    next: AtomicUsize,
}

impl<A: Actor> Logic<A> for RoundRobinLogic {
    fn pick(&self, routees: &Routees<A>, _msg: &A::Msg) -> Choice<A::Msg> {
        Choice::One(self.next.fetch_add(1, Ordering::Relaxed) % routees.len())
    }
}

impl<A: Actor> From<RoundRobin> for RoutingLogic<A> {
    fn from(_: RoundRobin) -> Self {
        RoutingLogic {
            logic: Box::new(RoundRobinLogic {
                next: AtomicUsize::new(0),
            }),
        }
    }
}

/// Each message to a routee picked at random, uniformly (Akka's `RandomPool`). The
/// generator is a xorshift seeded once per router from the process's random hasher keys;
/// it is not for cryptography.
#[derive(Debug, Clone, Copy, Default)]
pub struct Random;

struct RandomLogic {
    state: AtomicU64,
}

impl RandomLogic {
    /// The next number of a xorshift64* generator; racing senders may draw the same one,
    /// which only makes two picks equal.
    fn next(&self) -> u64 {
        let mut x = self.state.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.store(x, Ordering::Relaxed);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl<A: Actor> Logic<A> for RandomLogic {
    fn pick(&self, routees: &Routees<A>, _msg: &A::Msg) -> Choice<A::Msg> {
        // The high half of a widening multiply: uniform over `0..len` without a division.
        let at = (u128::from(self.next()) * routees.len() as u128) >> 64;
        Choice::One(usize::try_from(at).unwrap_or(0))
    }
}

impl<A: Actor> From<Random> for RoutingLogic<A> {
    fn from(_: Random) -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(0);
        // Never zero: zero is a fixed point of xorshift.
        let seed = hasher.finish() | 1;
        RoutingLogic {
            logic: Box::new(RandomLogic {
                state: AtomicU64::new(seed),
            }),
        }
    }
}

/// Each message to the routee with the fewest messages waiting (Akka's
/// `SmallestMailboxPool`): a routee that is handling messages (running) beats one that is
/// suspended or restarting, then the shortest mailbox wins, then the first in order. A
/// routee that is itself a router counts as busiest. The counts are read without a lock and
/// are stale at once: under contention two senders can pick the same routee.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmallestMailbox;

struct SmallestMailboxLogic;

impl<A: Actor> Logic<A> for SmallestMailboxLogic {
    fn pick(&self, routees: &Routees<A>, _msg: &A::Msg) -> Choice<A::Msg> {
        let mut best = (usize::MAX, 0);
        for (at, routee) in routees.iter().enumerate() {
            let load = routee.load();
            if load < best.0 {
                best = (load, at);
                if load == 0 {
                    break;
                }
            }
        }
        Choice::One(best.1)
    }
}

impl<A: Actor> From<SmallestMailbox> for RoutingLogic<A> {
    fn from(_: SmallestMailbox) -> Self {
        RoutingLogic {
            logic: Box::new(SmallestMailboxLogic),
        }
    }
}

/// Every message to every routee (Akka's `BroadcastPool` / `BroadcastGroup`), so the
/// message type must be `Clone`.
///
/// A tell resolves once each live routee has its copy (waiting for room in each mailbox in
/// turn), and fails only if no routee took it. An ask is delivered to every routee too, but
/// only the first routee that accepts the message gets the reply slot: the ask resolves
/// with that routee's reply, and the others' replies are dropped. A `try_tell` succeeds if
/// any routee took the message; a routee whose mailbox is full misses its copy (a dead
/// letter).
#[derive(Debug, Clone, Copy, Default)]
pub struct Broadcast;

struct BroadcastLogic;

impl<A: Actor> Logic<A> for BroadcastLogic
where
    A::Msg: Clone,
{
    fn pick(&self, _routees: &Routees<A>, _msg: &A::Msg) -> Choice<A::Msg> {
        Choice::Every(<A::Msg as Clone>::clone)
    }
}

impl<A: Actor> From<Broadcast> for RoutingLogic<A>
where
    A::Msg: Clone,
{
    fn from(_: Broadcast) -> Self {
        RoutingLogic {
            logic: Box::new(BroadcastLogic),
        }
    }
}

/// Messages with the same key to the same routee (Akka's `ConsistentHashingPool`), on a
/// hash ring with virtual nodes: when a routee leaves, only the keys it had move (to the
/// routees next on the ring), and the others keep theirs.
///
/// The key comes from the message, by a function you give:
///
/// ```
/// # use actor_core::prelude::*;
/// # use actor_core::routing::ConsistentHash;
/// # #[actor] struct Cache;
/// # #[actor] impl Cache { #[message] fn get(&self, user: u64) -> u64 { user } }
/// let by_user = ConsistentHash::by(|msg: &CacheMsg| match msg {
///     CacheMsg::Get { user } => *user,
/// });
/// # let _ = by_user;
/// ```
///
/// The key is hashed with a fixed hash function (FNV-1a, then a mixer), so a key goes to
/// the same routee in every run of the same program. The function runs in the sender's
/// task for each message; a panic in it is the sender's panic, and the router is unharmed.
pub struct ConsistentHash<M> {
    key: Arc<dyn Fn(&M) -> u64 + Send + Sync>,
    virtual_nodes: usize,
}

impl<M> ConsistentHash<M> {
    /// Routes by the key `key` takes from each message.
    pub fn by<K: Hash>(key: impl Fn(&M) -> K + Send + Sync + 'static) -> Self {
        ConsistentHash {
            key: Arc::new(move |msg| {
                let mut hasher = StableHasher::default();
                key(msg).hash(&mut hasher);
                mix(hasher.finish())
            }),
            virtual_nodes: 64,
        }
    }

    /// Points each routee has on the ring (default 64, at least 1): more spread the keys
    /// more evenly, at a little memory per routee.
    pub fn virtual_nodes(mut self, count: usize) -> Self {
        self.virtual_nodes = count.max(1);
        self
    }
}

impl<M> fmt::Debug for ConsistentHash<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsistentHash")
            .field("virtual_nodes", &self.virtual_nodes)
            .finish_non_exhaustive()
    }
}

struct ConsistentHashLogic<M> {
    key: Arc<dyn Fn(&M) -> u64 + Send + Sync>,
    virtual_nodes: usize,
}

impl<A: Actor> Logic<A> for ConsistentHashLogic<A::Msg> {
    fn pick(&self, routees: &Routees<A>, msg: &A::Msg) -> Choice<A::Msg> {
        let point = (self.key)(msg);
        let ring = routees.ring();
        let at = ring.partition_point(|(on_ring, _)| *on_ring < point);
        // Past the last point: round the ring to the first.
        let (_, routee) = ring
            .get(at)
            .or_else(|| ring.first())
            .copied()
            .unwrap_or((0, 0));
        Choice::One(routee)
    }

    fn arrange(&self, routees: &mut Routees<A>) {
        let mut ring = Vec::with_capacity(routees.len() * self.virtual_nodes);
        for (at, key) in routees.keys().enumerate() {
            for node in 0..self.virtual_nodes {
                ring.push((ring_point(key, node as u64), at));
            }
        }
        ring.sort_unstable();
        routees.set_ring(ring);
    }
}

impl<A: Actor> From<ConsistentHash<A::Msg>> for RoutingLogic<A> {
    fn from(strategy: ConsistentHash<A::Msg>) -> Self {
        RoutingLogic {
            logic: Box::new(ConsistentHashLogic {
                key: strategy.key,
                virtual_nodes: strategy.virtual_nodes,
            }),
        }
    }
}
