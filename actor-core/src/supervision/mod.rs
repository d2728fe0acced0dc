//! Supervision: what a parent does when a child fails.
//!
//! The vocabulary is Akka's and OTP's: a parent's [`SupervisorStrategy`] maps each failure
//! of a child to a [`Directive`] (`Resume`, `Restart`, `Stop`, `Escalate`), applies it to
//! the failed child alone (one-for-one), to all children (all-for-one) or to the failed
//! child and those spawned after it (rest-for-one), and bounds restarts by an intensity (at
//! most N within T) with optional exponential back-off.

// Inside, three parts: the public vocabulary (`strategy`); the pure decision (`decision`:
// no tasks, no channels, tested against a model); and the `Supervisor` shared by a parent
// (an actor or the system's guardian, one type) and its children, which runs the decider,
// takes the decision under its lock and carries it out. A plain comment, not module docs:
// this module is public, and its rustdoc must not point users at private items.

pub(crate) mod decision;
pub(crate) mod strategy;
pub(crate) mod supervisor;

pub use self::strategy::{
    default_decider, Backoff, ChildFailure, Directive, RestartPolicy, StrategyKind,
    SupervisorStrategy,
};
