//! Routers: one ref of a worker's own type in front of many workers (Akka's routers).
//!
//! A [`Pool`] spawns and supervises its workers; a [`Group`] routes over refs that already
//! exist. Either gives back an `ActorRef<Worker>`, the same type as a ref to one worker, so
//! the worker's generated methods work on it unchanged: `pool.process(job).await`. The ref
//! reaches a router, a kind of target of its own (`address::router`), which picks a
//! routee for each message with a strategy ([`RoundRobin`], [`Random`],
//! [`SmallestMailbox`], [`Broadcast`], [`ConsistentHash`]) and delivers the message
//! straight into that routee's mailbox: there is no router actor and no extra hop.
//!
//! The guide's section on routers (`actor_core::guide::toolbox`) shows each one.

pub(crate) mod group;
pub(crate) mod hash;
pub(crate) mod logic;
pub(crate) mod pool;
pub(crate) mod routees;
pub(crate) mod router;

pub use crate::routing::group::Group;
pub use crate::routing::logic::{
    Broadcast, ConsistentHash, Random, RoundRobin, RoutingLogic, SmallestMailbox,
};
pub use crate::routing::pool::Pool;
