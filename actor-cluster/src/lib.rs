//! Remote actors for `actor-core`: the same typed [`ActorRef`](actor_core::ActorRef) across
//! processes, over QUIC (quinn) with mutual TLS (rustls), messages in postcard over serde.
//!
//! A [`Node`] is an actor system plus a listening endpoint. Actors declared with
//! `#[actor(remote = "wire.Name")]` can be registered on it by name and looked up from
//! another node; the ref a lookup returns has the same type and the same generated methods
//! as a local one.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

mod error;
mod frame;
pub mod guide;
mod inbound;
mod link;
mod node;
mod protocol;
mod tls;

pub use crate::error::{NodeError, RegisterError, RemoteLookupError};
pub use crate::node::{Node, NodeBuilder};
pub use crate::tls::{Credentials, CredentialsError};

/// Entry points for the fuzz target and the property tests of the decoders. Not API.
#[doc(hidden)]
pub mod __fuzz;
