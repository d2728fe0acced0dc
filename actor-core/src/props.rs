//! [`Props`]: how to create an actor, and with which options.

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::mailbox::MailboxConfig;
use crate::supervision::strategy::RestartPolicy;

/// How to create an actor, and the options of its spawn (name, mailbox).
///
/// The system keeps the props of every actor it spawns, because supervision re-creates a
/// failed actor from them. Two ways to build one:
///
/// - [`Props::new`] with a factory: the actor can be re-created as often as needed.
/// - [`Props::from_value`] (or simply passing the actor to
///   [`ActorSystem::spawn`](crate::ActorSystem::spawn)): created once; it cannot be
///   re-created, and [`can_recreate`](Self::can_recreate) says so. A `Restart` directive
///   stops such an actor instead (with its failure as the reason): give a factory to
///   any actor you want restarted.
///
/// ```
/// use actor_core::prelude::*;
///
/// #[actor]
/// struct Greeter { greeting: String }
///
/// #[actor]
/// impl Greeter {
///     #[message]
///     fn greet(&self, name: String) -> String { format!("{}, {name}!", self.greeting) }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let props = Props::new(|| Greeter { greeting: "Hello".into() })
///     .name("greeter")
///     .mailbox(MailboxConfig::bounded(16));
/// assert!(props.can_recreate());
/// let greeter = system.spawn(props).unwrap();
/// assert_eq!(greeter.greet("Ada".into()).await.unwrap(), "Hello, Ada!");
/// # }
/// ```
pub struct Props<A: Actor> {
    pub(crate) factory: Factory<A>,
    pub(crate) name: Option<String>,
    pub(crate) mailbox: Option<MailboxConfig>,
    pub(crate) restart: RestartPolicy,
}

pub(crate) enum Factory<A> {
    Once(Option<A>),
    Repeat(Arc<dyn Fn() -> A + Send + Sync>),
}

impl<A> Factory<A> {
    pub(crate) fn can_recreate(&self) -> bool {
        matches!(self, Factory::Repeat(_))
    }

    /// The next instance; `None` once a `from_value` actor has been handed out.
    pub(crate) fn create(&mut self) -> Option<A> {
        match self {
            Factory::Once(value) => value.take(),
            Factory::Repeat(make) => Some(make()),
        }
    }
}

impl<A: Actor> Props<A> {
    /// Props that create the actor by calling `factory`, now and on every restart.
    pub fn new(factory: impl Fn() -> A + Send + Sync + 'static) -> Self {
        Props {
            factory: Factory::Repeat(Arc::new(factory)),
            name: None,
            mailbox: None,
            restart: RestartPolicy::default(),
        }
    }

    /// Props that hand out `actor` once. It cannot be re-created after a failure.
    pub fn from_value(actor: A) -> Self {
        Props {
            factory: Factory::Once(Some(actor)),
            name: None,
            mailbox: None,
            restart: RestartPolicy::default(),
        }
    }

    /// Names the actor. Names are unique among the system's live actors; find a named actor
    /// with [`ActorSystem::lookup`](crate::ActorSystem::lookup).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Overrides the mailbox declared on the actor type (`#[actor(mailbox = ...)]`).
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = Some(mailbox);
        self
    }

    /// When the actor's supervisor restarts it (default [`RestartPolicy::Transient`]:
    /// after a failure only).
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }

    /// Whether these props can create the actor again (built with a factory). A
    /// supervisor's `Restart` of an actor that cannot be re-created stops it instead.
    pub fn can_recreate(&self) -> bool {
        self.factory.can_recreate()
    }
}

impl<A: Actor> From<A> for Props<A> {
    fn from(actor: A) -> Self {
        Props::from_value(actor)
    }
}

impl<A: Actor> fmt::Debug for Props<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Props")
            .field("type", &std::any::type_name::<A>())
            .field("can_recreate", &self.can_recreate())
            .field("name", &self.name)
            .field("mailbox", &self.mailbox)
            .field("restart", &self.restart)
            .finish()
    }
}
