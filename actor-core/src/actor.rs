//! The `Actor` trait: what `#[actor]` implements for you.

use std::future::Future;

use crate::address::core::RefCore;
use crate::context::Context;
use crate::death_watch::Terminated;
use crate::error::Failure;
use crate::mailbox::MailboxConfig;
use crate::supervision::strategy::SupervisorStrategy;

/// An actor: state that handles one message at a time, reached only through its mailbox.
///
/// You rarely implement this by hand: `#[actor]` on a struct and its `impl` block generates
/// the message enum ([`Actor::Msg`]), the reply enum ([`Actor::Reply`]), the dispatch
/// ([`Actor::handle`]) and the typed client ([`Actor::Client`]). Implementing it by hand is
/// supported, for actors whose messages are an enum you already have:
///
/// ```
/// use actor_core::{Actor, ActorSystem, BasicClient, Context};
///
/// struct Counter(u64);
///
/// impl Actor for Counter {
///     type Msg = u64;
///     type Reply = u64;
///     type Client = BasicClient<Self>;
///
///     async fn handle(&mut self, add: u64, _ctx: &mut Context<Self>) -> u64 {
///         self.0 += add;
///         self.0
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let counter = system.spawn(Counter(0)).unwrap();
/// counter.tell(2).await.unwrap();
/// assert_eq!(counter.ask(3).await.unwrap(), 5);
/// # }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// The messages this actor handles: pure data, no channels inside.
    type Msg: Send + 'static;
    /// The replies it gives, one per message.
    type Reply: Send + 'static;
    /// What an [`ActorRef`](crate::ActorRef) to this actor dereferences to: the typed
    /// client methods (`account.deposit(5)`). [`BasicClient`] has none.
    type Client: Client<Self>;

    /// The mailbox an actor of this type gets unless its spawn says otherwise.
    fn mailbox() -> MailboxConfig {
        MailboxConfig::default()
    }

    /// How this actor supervises the children it spawns. Declared with
    /// `#[actor(supervisor = path::to::fn)]`.
    fn supervisor_strategy() -> SupervisorStrategy {
        SupervisorStrategy::default()
    }

    /// A short name for a message, for dead letters and logs. `#[actor]` returns the
    /// variant's name; the default is the message type's name.
    fn message_name(msg: &Self::Msg) -> &'static str {
        let _ = msg;
        std::any::type_name::<Self::Msg>()
    }

    /// Handles one message and produces its reply. For a tell, the reply is dropped.
    fn handle(
        &mut self,
        msg: Self::Msg,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Self::Reply> + Send;

    /// Runs once, before the first message.
    fn started(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs once when a stop begins. After a graceful stop it is followed by the messages
    /// still queued; after an immediate stop, by nothing.
    fn stopping(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs once after the last message and after its children have stopped, before the
    /// actor's state is dropped. Also runs when it stops after a failure.
    fn stopped(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs on the failed instance before a restart replaces it (Akka's `PreRestart`), with
    /// the failure that caused the restart. The default runs [`stopped`](Self::stopped), so
    /// cleanup written there also runs on every restart, as Akka's default `PreRestart`
    /// runs `PostStop`; a `pre_restart` of your own replaces that. Its children are stopped
    /// right after, whatever it does.
    fn pre_restart(
        &mut self,
        failure: &Failure,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = failure;
        self.stopped(ctx)
    }

    /// Runs on the new instance after a restart, instead of `started` (Akka's
    /// `PostRestart`), with the failure that caused the restart. The default runs
    /// [`started`](Self::started).
    fn post_restart(
        &mut self,
        failure: &Failure,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = failure;
        self.started(ctx)
    }

    /// Receives the death-watch signal of an actor watched with
    /// [`Context::watch`](crate::Context::watch), once per watch; `#[terminated]` declares
    /// it.
    ///
    /// The default is Akka's death pact: an actor that watches another and does not handle
    /// its end fails, with [`FailureKind::DeathPact`](crate::FailureKind::DeathPact) and
    /// the watched actor's path in the message, and its supervisor decides what follows.
    /// Override it (an empty hook will do) to outlive the actors it watches.
    fn terminated(
        &mut self,
        terminated: Terminated,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        ctx.death_pact(&terminated);
        async {}
    }
}

/// The typed face of an [`ActorRef`](crate::ActorRef): `#[actor]` generates one per actor,
/// holding one inherent method per message.
///
/// `ActorRef<A>` dereferences to `A::Client`, which is why `account.deposit(5)` works on a
/// ref without importing anything.
pub trait Client<A: Actor>: Send + Sync + 'static {
    /// Wraps the ref's core. For generated code: the core is named only in `__private`.
    #[doc(hidden)]
    fn from_core(core: RefCore<A>) -> Self;
    /// The core this client sends through.
    #[doc(hidden)]
    fn core(&self) -> &RefCore<A>;
}

/// A client with no typed methods, for actors that implement [`Actor`] by hand: talk to
/// them with [`ActorRef::tell`](crate::ActorRef::tell) and
/// [`ActorRef::ask`](crate::ActorRef::ask).
pub struct BasicClient<A: Actor> {
    core: RefCore<A>,
}

impl<A: Actor> std::fmt::Debug for BasicClient<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicClient")
            .field("core", &self.core)
            .finish()
    }
}

impl<A: Actor> Client<A> for BasicClient<A> {
    fn from_core(core: RefCore<A>) -> Self {
        BasicClient { core }
    }

    fn core(&self) -> &RefCore<A> {
        &self.core
    }
}
