//! Typed, supervised actors on tokio, written as plain Rust.
//!
//! Write an ordinary struct and `impl` block, add `#[actor]`, and each `#[message]` method
//! becomes a message: the macro generates the message and reply enums, the dispatch, and
//! typed methods on the actor's [`ActorRef`].
//!
//! ```
//! use actor_core::prelude::*;
//!
//! #[actor]
//! pub struct Account { balance: u64 }
//!
//! #[actor]
//! impl Account {
//!     /// Adds to the balance and returns the new one.
//!     #[message]
//!     pub fn deposit(&mut self, amount: u64) -> u64 {
//!         self.balance += amount;
//!         self.balance
//!     }
//!
//!     #[message]
//!     pub fn balance(&self) -> u64 { self.balance }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let system = ActorSystem::new();
//!     let account = system.spawn(Account { balance: 0 })?;
//!     account.deposit(5).tell().await?;           // fire and forget
//!     assert_eq!(account.deposit(10).await?, 15); // ask: awaits the reply
//!     assert_eq!(account.balance().await?, 15);
//!     system.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! The guide (concepts, the macro reference, and what `#[actor]` expands to) is in the
//! [`guide`] module.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

// The architecture, layer by layer: each module uses only those below it (checked by the
// `architecture` test, which also makes files import from the file that defines a name),
// except that every module may name the `Actor` trait, whose signatures name the context
// and the client.
//
//   remoting/              the typed half of remoting: local actors reachable from other
//                          nodes, refs to theirs, refs inside messages (a transport drives it)
//   pubsub/                typed topics, and the system's topics by name (toolbox)
//   adapter/               Recipient<T>: a typed adapter of a ref, erased of the actor type
//   routing/               pools and groups behind one ref; strategies (toolbox)
//   spawn                  a new actor's cell, mailbox, lane and task, under any parent
//   runner/                the actor's task: start, message loop, failure, stop
//   context                a running actor's view of itself, and its toolbox's state
//   timers/                keyed timers, receive timeout, send_after (toolbox)
//   tasks/                 tasks and streams tied to the actor's life (toolbox)
//   stash/                 the stash (toolbox)
//   system/                ActorSystem: builder, registry, lookup, shutdown
//   props                  how an actor is created
//   supervision/           strategy (public), the pure decision, the Supervisor
//   request/               Request, Tell, ReplyTo; ActorRef's send methods
//   address/               ActorRef, WeakActorRef, RefCore and its Target seam, the cell,
//                          the untyped ActorHandle, the remote target and its RemoteLink
//   events                 SystemEvent, dead letters (names supervision's Directive)
//   mailbox/               the user queue, the system lane and its signals, the envelope
//   death_watch            Terminated, who watches whom
//   clock, lifecycle, id, error, wire (the wire form generated code implements)
//
// A router is a kind of target in `address::core` (its cell in `address::router`), and so
// is an actor on another node (`address::remote`).
mod actor;
mod adapter;
mod address;
mod clock;
mod context;
mod death_watch;
mod error;
mod events;
mod id;
mod lifecycle;
mod mailbox;
mod props;
mod pubsub;
mod remoting;
mod request;
pub mod routing;
mod runner;
mod spawn;
mod stash;
pub mod supervision;
mod system;
mod tasks;
mod timers;
mod wire;

pub mod guide;

pub use crate::actor::{Actor, BasicClient, Client};
pub use crate::adapter::recipient::{Recipient, RecipientTell};
pub use crate::address::actor_ref::{ActorRef, WeakActorRef};
pub use crate::context::Context;
pub use crate::death_watch::Terminated;
pub use crate::error::{
    AskError, BuildError, Failure, FailureKind, LookupError, RemoteError, SendError, SpawnError,
    StashFull, TrySendError,
};
pub use crate::events::{DeadLetter, SystemEvent};
pub use crate::id::ActorId;
pub use crate::lifecycle::{ActorStatus, StopMode, StopReason};
pub use crate::mailbox::MailboxConfig;
pub use crate::props::Props;
pub use crate::pubsub::registry::TopicError;
pub use crate::pubsub::topic::{Published, SubscriptionId, Topic};
pub use crate::request::ask::Ask;
pub use crate::request::reply::ReplyTo;
pub use crate::request::tell::Tell;
pub use crate::request::Request;
pub use crate::system::{ActorSystem, ShutdownReport, SystemBuilder};
pub use crate::tasks::stream::StreamEnd;
pub use crate::tasks::TaskHandle;
pub use crate::timers::send_after::{ScheduledSend, ScheduledSendError};
pub use crate::wire::WireError;

/// The `#[actor]` attribute: on a struct, the actor's options; on its `impl` block, the
/// messages. See the [macro reference](guide::macro_reference).
pub use actor_macros::actor;
/// Marks a method of an `#[actor]` impl block as a message. Only valid there.
pub use actor_macros::message;
/// Marks a method of an `#[actor]` impl block as the `post_restart` hook. Only valid there.
pub use actor_macros::post_restart;
/// Marks a method of an `#[actor]` impl block as the `pre_restart` hook. Only valid there.
pub use actor_macros::pre_restart;
/// Marks a method of an `#[actor]` impl block as the `started` hook. Only valid there.
pub use actor_macros::started;
/// Marks a method of an `#[actor]` impl block as the `stopped` hook. Only valid there.
pub use actor_macros::stopped;
/// Marks a method of an `#[actor]` impl block as the `stopping` hook. Only valid there.
pub use actor_macros::stopping;
/// Marks a method of an `#[actor]` impl block as the death-watch handler, receiving a
/// [`Terminated`]. Only valid there.
pub use actor_macros::terminated;

/// Everything a typical actor program uses: `use actor_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        actor, message, post_restart, pre_restart, started, stopped, stopping, terminated, Actor,
        ActorRef, ActorSystem, AskError, Context, Failure, LookupError, MailboxConfig, Props,
        Recipient, ReplyTo, SendError, SpawnError, StashFull, StopReason, Terminated, Topic,
        TrySendError, WeakActorRef,
    };
}

/// Paths that generated code uses. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::actor::{Actor, Client};
    pub use crate::address::core::RefCore;
    pub use crate::context::Context;
    pub use crate::death_watch::Terminated;
    pub use crate::error::Failure;
    pub use crate::mailbox::MailboxConfig;
    pub use crate::request::reply::ReplyTo;
    pub use crate::request::Request;
    pub use crate::supervision::strategy::SupervisorStrategy;

    /// The wire form of remote-capable actors (`#[actor(remote = ...)]`), and serde for
    /// the generated code, so that a user's crate needs serde only for its own derives.
    pub mod wire {
        pub use crate::wire::{
            compatible, decode, decode_field, encode, encode_field, finish, signature, wire_id,
            RemoteActor, WireError, WireId, WireValue,
        };
        pub use serde;
    }

    /// The seam a transport (the `actor-cluster` crate) implements and drives: links to
    /// other nodes, local actors made reachable from them, refs inside messages.
    pub mod remote {
        pub use crate::address::remote::{
            LinkRefusal, RemoteLink, RemoteOutcome, ReplyHook, WatchHook,
        };
        pub use crate::remoting::{
            inbound, is_remote, local_ref, new_actor_id, remote_ref, with_ref_codec, Imported,
            Inbound, RefCodec, WireRef,
        };
    }

    /// The options `#[actor]` on a struct declares, read by the `#[actor]` on its impl.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has an `#[actor]` impl block but its struct has no `#[actor]` attribute",
        label = "add `#[actor]` to the definition of `{Self}`",
        note = "`#[actor]` on the struct carries the actor's options (mailbox, crate path)"
    )]
    pub trait ActorOptions {
        /// The mailbox declared with `#[actor(mailbox = ...)]`.
        const MAILBOX: MailboxConfig;

        /// The strategy declared with `#[actor(supervisor = ...)]`.
        fn supervisor_strategy() -> SupervisorStrategy {
            SupervisorStrategy::default()
        }
    }

    /// Turns a `#[message(fail_on_err)]` handler's `Err` into a failure of the actor, after
    /// the `Err` is handed to the asker as the reply.
    pub fn fail_on_err<A: Actor, T, E: ::core::fmt::Display>(
        ctx: &mut Context<A>,
        result: &::core::result::Result<T, E>,
    ) {
        if let ::core::result::Result::Err(err) = result {
            ctx.fail(err);
        }
    }
}
