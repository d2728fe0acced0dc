//! How an actor is reached: the typed refs ([`actor_ref`]) and the core they
//! share ([`core`], the seam between a ref and its kind of target), the local actor's
//! [`cell`], a [`router`]'s cell and the seam to its routing, and the untyped [`handle`]
//! that parents, watchers and the registry keep.

pub(crate) mod actor_ref;
pub(crate) mod cell;
pub(crate) mod core;
pub(crate) mod handle;
pub(crate) mod remote;
pub(crate) mod router;
