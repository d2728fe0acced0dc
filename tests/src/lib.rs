//! Shared items of the integration tests.

/// The runtime under another path, to test `#[actor(crate = ...)]` the way a crate that
/// re-exports `actor-core` would use it.
pub use actor_core as runtime;
