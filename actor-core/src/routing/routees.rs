//! [`Routees`]: one snapshot of a router's routees, as its strategy picks from it.

use crate::actor::Actor;
use crate::address::core::{RefCore, Target};
use crate::id::ActorId;

/// One routee: a strong ref, and the key it has on a hash ring (its place in the pool or
/// group when it was made, so that a routee's key never changes while it lives).
pub(crate) struct Routee<A: Actor> {
    pub(crate) core: RefCore<A>,
    pub(crate) key: u64,
}

/// The routees at one moment, in routing order, with the hash ring of a consistent-hashing
/// router. Never changed once shared: a change makes a new snapshot.
pub(crate) struct Routees<A: Actor> {
    list: Vec<Routee<A>>,
    /// Points on the ring and the index of the routee at each, sorted by point.
    ring: Vec<(u64, usize)>,
}

impl<A: Actor> Routees<A> {
    pub(crate) fn new(list: Vec<Routee<A>>) -> Self {
        Routees {
            list,
            ring: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn get(&self, at: usize) -> Option<&Routee<A>> {
        self.list.get(at)
    }

    /// The routees' targets, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Target<A>> {
        self.list.iter().map(|routee| routee.core.target())
    }

    /// The routees' ring keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.list.iter().map(|routee| routee.key)
    }

    pub(crate) fn ring(&self) -> &[(u64, usize)] {
        &self.ring
    }

    pub(crate) fn set_ring(&mut self, ring: Vec<(u64, usize)>) {
        self.ring = ring;
    }

    /// Strong refs to every routee, in order.
    pub(crate) fn cores(&self) -> Vec<RefCore<A>> {
        self.list.iter().map(|routee| routee.core.clone()).collect()
    }

    /// A snapshot without the routee `id`, or `None` if it is not in this one. The refs
    /// are cloned: the caller drops the old snapshot where no lock is held.
    pub(crate) fn without(&self, id: ActorId) -> Option<Self> {
        if !self.iter().any(|target| target.id() == id) {
            return None;
        }
        let list = self
            .list
            .iter()
            .filter(|routee| routee.core.target().id() != id)
            .map(|routee| Routee {
                core: routee.core.clone(),
                key: routee.key,
            })
            .collect();
        Some(Routees::new(list))
    }
}
