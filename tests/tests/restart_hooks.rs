//! The hooks around a restart, as Akka runs them: the failed instance's `stopped` runs by
//! default before it is replaced (Akka's default `PreRestart` calls `PostStop`), the
//! restart hooks see the failure that caused the restart, a failure names the message that
//! was being handled, and the first instance ever created runs `started` even when it is
//! created by a restart (its factory panicked the first time).

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use actor_core::prelude::*;
use actor_core::supervision::SupervisorStrategy;
use actor_core::FailureKind;
use support::{bounded, patient_system, Events};

/// An actor with cleanup in `stopped` and no `pre_restart` of its own.
#[actor]
struct Cleaner {
    log: Events,
}

#[actor]
impl Cleaner {
    #[message]
    fn boom(&mut self) {
        panic!("boom");
    }

    #[message]
    fn ping(&self) -> u32 {
        1
    }

    #[started]
    fn on_started(&mut self) {
        self.log.push("started");
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("stopped");
    }
}

fn restarting_system() -> ActorSystem {
    ActorSystem::builder()
        .ask_timeout(support::LIMIT)
        .shutdown_timeout(support::LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_default_pre_restart_runs_stopped_so_cleanup_is_not_leaked() {
    let system = restarting_system();
    let log = Events::default();
    let for_factory = log.clone();
    let cleaner = system
        .spawn(Props::new(move || Cleaner {
            log: for_factory.clone(),
        }))
        .unwrap();
    assert_eq!(bounded("first ping", cleaner.ping()).await.unwrap(), 1);
    assert!(bounded("boom", cleaner.boom()).await.is_err());
    assert_eq!(
        bounded("ping after restart", cleaner.ping()).await.unwrap(),
        1
    );
    // started (first instance), stopped (its default pre_restart), started (the new one's
    // default post_restart).
    assert_eq!(log.snapshot(), ["started", "stopped", "started"]);
    system.shutdown().await;
    assert_eq!(log.snapshot(), ["started", "stopped", "started", "stopped"]);
}

/// Restart hooks that take the cause.
#[actor]
struct Witness {
    log: Events,
}

#[actor]
impl Witness {
    #[message]
    fn deposit(&mut self, amount: u32) {
        panic!("cannot deposit {amount}");
    }

    #[message]
    fn ping(&self) -> u32 {
        2
    }

    #[pre_restart]
    fn before(&mut self, failure: &Failure) {
        self.log.push(format!(
            "pre_restart {:?} {:?} {}",
            failure.kind(),
            failure.handling(),
            failure.message()
        ));
    }

    #[post_restart]
    async fn after(&mut self, ctx: &mut Context<Self>, failure: &Failure) {
        let _ = ctx.id();
        self.log
            .push(format!("post_restart {:?}", failure.handling()));
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("stopped");
    }
}

#[tokio::test]
async fn restart_hooks_receive_the_failure_which_names_the_message() {
    let system = restarting_system();
    let log = Events::default();
    let for_factory = log.clone();
    let witness = system
        .spawn(Props::new(move || Witness {
            log: for_factory.clone(),
        }))
        .unwrap();
    let failure = match bounded("deposit", witness.deposit(7)).await {
        Err(AskError::Failed(failure)) => failure,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(failure.handling(), Some("Deposit"));
    assert_eq!(
        failure.to_string(),
        "handler of `Deposit` panicked: cannot deposit 7"
    );
    assert_eq!(bounded("ping", witness.ping()).await.unwrap(), 2);
    // A pre_restart of the user's replaces the default: `stopped` does not run on restart.
    assert_eq!(
        log.snapshot(),
        [
            "pre_restart HandlerPanic Some(\"Deposit\") cannot deposit 7",
            "post_restart Some(\"Deposit\")"
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_failure_from_ctx_fail_names_the_message_too() {
    #[actor]
    struct Strict;

    #[actor]
    impl Strict {
        #[message]
        fn check(&mut self, ctx: &mut Context<Self>) {
            ctx.fail("not allowed");
        }
    }

    let system = patient_system();
    let strict = system.spawn(Strict).unwrap();
    let mut events = system.events();
    strict.check().tell().await.unwrap();
    let failure = loop {
        match bounded("the failure event", events.recv()).await.unwrap() {
            actor_core::SystemEvent::Failed { failure, .. } => break failure,
            _ => continue,
        }
    };
    assert_eq!(failure.kind(), FailureKind::Error);
    assert_eq!(failure.handling(), Some("Check"));
    system.shutdown().await;
}

/// Its factory panics the first time only.
#[actor]
struct Flaky {
    log: Events,
}

#[actor]
impl Flaky {
    #[message]
    fn ping(&self) -> u32 {
        3
    }

    #[started]
    fn on_started(&mut self) {
        self.log.push("started");
    }

    #[post_restart]
    fn on_post_restart(&mut self) {
        self.log.push("post_restart");
    }
}

/// Spawns a `Flaky` child whose factory panics on its first call, under a strategy that
/// restarts even a factory panic.
#[actor(supervisor = restart_everything)]
struct FlakyParent {
    log: Events,
    child: Option<ActorRef<Flaky>>,
}

fn restart_everything() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().decider(|_| actor_core::supervision::Directive::Restart)
}

#[actor]
impl FlakyParent {
    #[message]
    fn child(&self) -> Option<ActorRef<Flaky>> {
        self.child.clone()
    }

    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        let calls = Arc::new(AtomicU32::new(0));
        let log = self.log.clone();
        let props = Props::new(move || {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("no config yet");
            }
            Flaky { log: log.clone() }
        });
        self.child = ctx.spawn(props).ok();
    }
}

#[tokio::test]
async fn the_first_instance_ever_created_runs_started_even_after_a_factory_panic() {
    let system = patient_system();
    let log = Events::default();
    let parent = system
        .spawn(FlakyParent {
            log: log.clone(),
            child: None,
        })
        .unwrap();
    let child = bounded("the child", parent.child()).await.unwrap().unwrap();
    assert_eq!(bounded("ping", child.ping()).await.unwrap(), 3);
    assert_eq!(log.snapshot(), ["started"]);
    system.shutdown().await;
}
