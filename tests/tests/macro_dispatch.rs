//! The dispatch that `#[actor]` generates calls exactly the method that was annotated, even
//! when a trait method of the same name is in scope (a user trait, or `Actor` itself), and
//! whether the method takes `&self` or `&mut self`. Each actor here is spawned and asked,
//! and the test asserts on what the user's method recorded.

mod support;

use actor_core::prelude::*;
use actor_core::supervision::SupervisorStrategy;
use support::{bounded, patient_system, Events};

/// A user trait whose method has the name of a message and a `&mut self` receiver, which
/// method-call syntax on `&mut Panel` would prefer over the inherent `&self` method.
trait Reset {
    fn reset(&mut self);
}

#[actor]
struct Panel {
    log: Events,
}

impl Reset for Panel {
    fn reset(&mut self) {
        self.log.push("trait Reset::reset");
    }
}

#[actor]
impl Panel {
    #[message]
    fn reset(&self) {
        self.log.push("message reset");
    }
}

#[tokio::test]
async fn a_same_named_trait_method_does_not_win_over_the_message() {
    let system = patient_system();
    let log = Events::default();
    let panel = system.spawn(Panel { log: log.clone() }).unwrap();
    bounded("reset", panel.reset()).await.unwrap();
    assert_eq!(log.snapshot(), ["message reset"]);
    // The trait method is still there for whoever calls it by name.
    let mut direct = Panel { log: log.clone() };
    Reset::reset(&mut direct);
    assert_eq!(log.snapshot(), ["message reset", "trait Reset::reset"]);
    system.shutdown().await;
}

/// The same, for a generic actor: the call names the actor with its type parameters.
#[actor]
struct Bag<T> {
    items: Vec<T>,
    log: Events,
}

impl<T> Reset for Bag<T> {
    fn reset(&mut self) {
        self.log.push("trait Reset::reset");
    }
}

#[actor]
impl<T: Send + 'static> Bag<T> {
    #[message]
    fn reset(&self) -> usize {
        self.log.push("message reset");
        self.items.len()
    }

    #[message]
    fn put(&mut self, item: T) {
        self.items.push(item);
    }
}

#[tokio::test]
async fn a_generic_actor_calls_its_own_method_too() {
    let system = patient_system();
    let log = Events::default();
    let bag = system
        .spawn(Bag::<u8> {
            items: Vec::new(),
            log: log.clone(),
        })
        .unwrap();
    bounded("put", bag.put(1)).await.unwrap();
    assert_eq!(bounded("reset", bag.reset()).await.unwrap(), 1);
    assert_eq!(log.snapshot(), ["message reset"]);
    system.shutdown().await;
}

/// Messages and hooks named after methods of the `Actor` trait itself.
#[actor]
struct Namesake {
    log: Events,
}

#[actor]
impl Namesake {
    /// A message named like `Actor::stopping`, with `&self` and the context.
    #[message]
    fn stopping(&self, ctx: &mut Context<Self>) -> bool {
        self.log.push("message stopping");
        ctx.parent().is_none()
    }

    /// A message named like `Actor::handle`, whose argument is named like its message.
    #[message]
    fn handle(&self, msg: u32) -> u32 {
        self.log.push(format!("message handle {msg}"));
        msg * 2
    }

    /// A message named like `Actor::started`, without the context it takes.
    #[message]
    fn started(&mut self) -> &'static str {
        self.log.push("message started");
        "started"
    }

    /// A `#[stopping]` hook named like `Actor::stopped`, with `&self`.
    #[stopping]
    fn stopped(&self) {
        self.log.push("hook stopping (named stopped)");
    }
}

#[tokio::test]
async fn messages_named_like_actor_methods_run_the_users_method() {
    let system = patient_system();
    let log = Events::default();
    let namesake = system.spawn(Namesake { log: log.clone() }).unwrap();
    assert!(bounded("stopping", namesake.stopping()).await.unwrap());
    assert_eq!(bounded("handle", namesake.handle(21)).await.unwrap(), 42);
    assert_eq!(
        bounded("started", namesake.started()).await.unwrap(),
        "started"
    );
    namesake.stop();
    bounded("stop", namesake.terminated()).await;
    assert_eq!(
        log.snapshot(),
        [
            "message stopping",
            "message handle 21",
            "message started",
            "hook stopping (named stopped)"
        ]
    );
    system.shutdown().await;
}

/// Hooks named exactly like the trait methods they implement, with `&self` (which
/// method-call syntax would resolve to the trait method, recursing) and `&mut self`.
#[actor]
struct SelfNamed {
    log: Events,
}

#[actor]
impl SelfNamed {
    #[message]
    fn fail(&mut self) {
        panic!("deliberate failure");
    }

    #[message]
    fn ping(&self) -> u32 {
        7
    }

    #[started]
    fn started(&self, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        self.log.push("started");
    }

    #[stopped]
    fn stopped(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        self.log.push("stopped");
    }

    #[pre_restart]
    fn pre_restart(&self, failure: &Failure, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        self.log
            .push(format!("pre_restart after {:?}", failure.handling()));
    }

    #[post_restart]
    async fn post_restart(&self, ctx: &mut Context<Self>, failure: &Failure) {
        let _ = ctx.id();
        self.log
            .push(format!("post_restart after {:?}", failure.handling()));
    }
}

#[tokio::test]
async fn hooks_named_like_the_trait_methods_do_not_recurse() {
    let system = ActorSystem::builder()
        .ask_timeout(support::LIMIT)
        .shutdown_timeout(support::LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one())
        .build()
        .unwrap();
    let log = Events::default();
    let for_factory = log.clone();
    let actor = system
        .spawn(Props::new(move || SelfNamed {
            log: for_factory.clone(),
        }))
        .unwrap();
    assert_eq!(bounded("ping", actor.ping()).await.unwrap(), 7);
    assert!(bounded("fail", actor.fail()).await.is_err());
    assert_eq!(
        bounded("ping after restart", actor.ping()).await.unwrap(),
        7
    );
    actor.stop();
    bounded("stop", actor.terminated()).await;
    assert_eq!(
        log.snapshot(),
        [
            "started",
            "pre_restart after Some(\"Fail\")",
            "post_restart after Some(\"Fail\")",
            "stopped"
        ]
    );
    system.shutdown().await;
}
