//! Typed topics: publish a `T` to every subscriber, each a [`Recipient<T>`] (a typed
//! adapter of any actor); and the system-wide topics found by name.
//!
//! - [`topic`]: [`Topic<T>`](topic::Topic), its subscriptions, and the two ways to publish
//!   (awaiting room in each subscriber's mailbox, or dropping to dead letters).
//! - [`registry`]: `ActorSystem::topic`, a topic per name, type-checked.
//!
//! [`Recipient<T>`]: crate::Recipient

pub(crate) mod registry;
pub(crate) mod topic;
