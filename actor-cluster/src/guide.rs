//! The guide's chapter on remote actors, compiled: the chapter is `docs/remote.md`, included
//! here so that every code block in it is a doctest of this crate and cannot drift from the
//! code. The rest of the guide is in [`actor_core::guide`].
//!
//! - [`remote`]: the model, declaring a remote actor, nodes, evolving messages safely,
//!   security setup, failure semantics, and what is not done yet, with the Akka.Remote
//!   name of each.

#[doc = include_str!("../../docs/remote.md")]
pub mod remote {}
