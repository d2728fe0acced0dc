//! The guide, compiled: each chapter is a file in `docs/`, included here so that every code
//! block in it is a doctest and the guide cannot drift from the code.
//!
//! - [`concepts`]: actors, refs, mailboxes, sending, errors, lifecycle, stopping and
//!   shutdown, with the Akka.NET, Erlang/OTP and kameo name of each.
//! - [`macro_reference`]: every `#[actor]` option and method form, and every compile error.
//! - [`supervision`]: the supervision tree, failures, directives, strategies, restart
//!   intensity and back-off, restart policies, death watch, dead letters and events, with
//!   the Akka.NET and Erlang/OTP name of each.
//! - [`toolbox`]: timers, deferred replies and forward, tasks and streams tied to an
//!   actor's life, the stash, routers and pools, typed topics and adapters, with the
//!   Akka.NET, kameo and actix name of each.
//! - [`performance`]: the benchmark against raw tokio, a real run, and the design choices
//!   behind the figures.
//! - [`expansion`]: what `#[actor]` expands to, item by item.
//! - Remote actors, in the `actor-cluster` crate's guide: `actor_cluster::guide::remote`.

#[doc = include_str!("../../../docs/concepts.md")]
pub mod concepts {}

#[doc = include_str!("../../../docs/macro-reference.md")]
pub mod macro_reference {}

#[doc = include_str!("../../../docs/supervision.md")]
pub mod supervision {}

#[doc = include_str!("../../../docs/toolbox.md")]
#[doc = include_str!("../../../docs/toolbox/replies.md")]
#[doc = include_str!("../../../docs/toolbox/timers.md")]
#[doc = include_str!("../../../docs/toolbox/tasks.md")]
#[doc = include_str!("../../../docs/toolbox/stash.md")]
#[doc = include_str!("../../../docs/toolbox/routers.md")]
#[doc = include_str!("../../../docs/toolbox/pubsub.md")]
pub mod toolbox {}

#[doc = include_str!("../../../docs/performance.md")]
pub mod performance {}

#[doc = include_str!("../../../docs/expansion.md")]
pub mod expansion {}

/// The README's examples, compiled and run as doctests so that the first code a reader
/// sees cannot rot. Exists only under `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
