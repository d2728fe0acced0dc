//! Typed adapters: "something that accepts a `T`", whatever actor is behind it.
//!
//! A [`Recipient<T>`](recipient::Recipient) is what a component holds when it needs to send
//! `T`s and must not know the actor type (Akka Typed's `messageAdapter`, kameo's and
//! actix's `Recipient`). It is made from a ref and a closure that maps `T` to one of the
//! actor's messages ([`local`]), and erased behind a small poll-based interface
//! ([`recipient::Accept`]), so that a tell through it allocates nothing.
//!
//! Why the closure runs only once the mailbox has room: it consumes the `T`, and a send
//! that is refused (full, or the actor gone) must hand the caller's `T` back. So a send
//! first reserves room in the target (`address::core::Reservation`), then maps, then
//! delivers into the room it holds.

pub(crate) mod local;
pub(crate) mod recipient;
