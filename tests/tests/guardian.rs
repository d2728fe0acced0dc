//! The guardian of top-level actors, as Akka's `/user` guardian: a named top-level actor
//! lives until it is stopped, and a failed top-level actor is restarted within the
//! guardian's restart intensity.

mod support;

use actor_core::prelude::*;
use actor_core::supervision::Directive;
use actor_core::{ActorId, FailureKind, LookupError, SystemEvent};
use support::{bounded, patient_system};
use tokio::sync::broadcast;

#[actor]
pub struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    #[message]
    fn add(&mut self, n: u64) -> u64 {
        self.count += n;
        self.count
    }

    #[message]
    fn boom(&mut self) {
        panic!("counter boom");
    }
}

fn counter() -> Props<Counter> {
    Props::new(|| Counter { count: 0 })
}

/// Every event until one that `last` accepts, bounded.
async fn events_until(
    events: &mut broadcast::Receiver<SystemEvent>,
    what: &str,
    mut last: impl FnMut(&SystemEvent) -> bool,
) -> Vec<SystemEvent> {
    bounded(what, async {
        let mut seen = Vec::new();
        loop {
            let event = events
                .recv()
                .await
                .expect("the event stream lagged or closed");
            let done = last(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    })
    .await
}

fn guardian_directives(seen: &[SystemEvent], id: ActorId) -> Vec<Directive> {
    seen.iter()
        .filter_map(|event| match event {
            SystemEvent::Decided {
                supervisor: None,
                child,
                directive,
                ..
            } if *child == id => Some(*directive),
            _ => None,
        })
        .collect()
}

// ---- a named top-level actor lives until it is stopped ----

#[tokio::test]
async fn a_named_top_level_actor_outlives_its_refs() {
    let system = patient_system();
    let named = system.spawn(counter().name("tally")).unwrap();
    assert_eq!(named.add(1).await.unwrap(), 1);
    let weak = named.downgrade();
    drop(named);

    // Still there, by name, with its state.
    let found = system
        .lookup::<Counter>("tally")
        .expect("a named actor lives until it is stopped");
    assert_eq!(found.add(1).await.unwrap(), 2);
    drop(found);
    // Dropping the refs once more changes nothing: it handles what comes.
    let found = system.lookup::<Counter>("/user/tally").unwrap();
    assert_eq!(found.add(1).await.unwrap(), 3);
    assert!(weak.is_alive());

    // It stops when asked to, and its name is free again.
    found.stop();
    assert_eq!(
        bounded("the named actor to stop", weak.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        system.lookup::<Counter>("tally"),
        Err(LookupError::NotFound(_))
    ));
    system.spawn(counter().name("tally")).unwrap();
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.aborted), (1, 0));
}

#[tokio::test]
async fn an_unnamed_top_level_actor_still_stops_when_its_refs_are_dropped() {
    let system = patient_system();
    let unnamed = system.spawn(counter()).unwrap();
    let weak = unnamed.downgrade();
    drop(unnamed);
    assert_eq!(
        bounded("the unnamed actor to stop", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(system.actor_count(), 0);
}

// ---- the guardian restarts failed top-level actors ----

#[tokio::test]
async fn the_guardian_restarts_a_failed_top_level_actor_by_default() {
    let system = patient_system();
    let mut events = system.events();
    let counter = system.spawn(counter()).unwrap();
    assert_eq!(counter.add(5).await.unwrap(), 5);
    let Err(AskError::Failed(failure)) = counter.boom().await else {
        panic!("expected the ask to fail")
    };
    assert_eq!(failure.kind(), FailureKind::HandlerPanic);
    let seen = events_until(
        &mut events,
        "the restart",
        |event| matches!(event, SystemEvent::Restarted { actor, .. } if *actor == counter.id()),
    )
    .await;
    assert_eq!(
        guardian_directives(&seen, counter.id()),
        [Directive::Restart]
    );
    // Same ref, fresh state.
    assert_eq!(counter.add(1).await.unwrap(), 1);
    system.shutdown().await;
}

/// Within its intensity (three restarts in five seconds, counted over all top-level
/// actors): the fourth failure in a row stops the actor, with the failure as its reason.
#[tokio::test(start_paused = true)]
async fn the_guardian_stops_a_top_level_actor_past_its_intensity() {
    let system = patient_system();
    let mut events = system.events();
    let counter = system.spawn(counter()).unwrap();
    for round in 0..3 {
        let Err(AskError::Failed(_)) = counter.boom().await else {
            panic!("round {round}: expected the ask to fail")
        };
        events_until(
            &mut events,
            "the restart",
            |event| matches!(event, SystemEvent::Restarted { actor, .. } if *actor == counter.id()),
        )
        .await;
    }
    let Err(AskError::Failed(_)) = counter.boom().await else {
        panic!("expected the last ask to fail")
    };
    let StopReason::Failed(failure) = bounded("the actor to stop", counter.terminated()).await
    else {
        panic!("expected a failure")
    };
    assert_eq!(failure.message(), "counter boom");
    let seen = events_until(
        &mut events,
        "the stop",
        |event| matches!(event, SystemEvent::Stopped { actor, .. } if *actor == counter.id()),
    )
    .await;
    // Past the intensity the plan is an escalation, which at the top is a stop.
    assert_eq!(
        guardian_directives(&seen, counter.id()),
        [Directive::Escalate]
    );
    system.shutdown().await;
}

/// A restart re-creates the actor from its props: one spawned from a value cannot be
/// re-created, so the guardian's restart stops it, with a failure that says why.
#[tokio::test]
async fn a_top_level_actor_spawned_from_a_value_is_stopped_instead_of_restarted() {
    let system = patient_system();
    let counter = system.spawn(Counter { count: 0 }).unwrap();
    let Err(AskError::Failed(failure)) = counter.boom().await else {
        panic!("expected the ask to fail")
    };
    assert_eq!(failure.message(), "counter boom");
    let StopReason::Failed(failure) = bounded("the actor to stop", counter.terminated()).await
    else {
        panic!("expected a failure")
    };
    assert!(
        failure.message().contains("cannot be re-created"),
        "{failure}"
    );
    system.shutdown().await;
}

/// A named top-level actor that fails is restarted under the same name and ref.
#[tokio::test]
async fn a_named_top_level_actor_is_restarted_under_its_name() {
    let system = patient_system();
    let mut events = system.events();
    let named = system.spawn(counter().name("phoenix")).unwrap();
    let id = named.id();
    drop(named);
    let found = system.lookup::<Counter>("phoenix").unwrap();
    let Err(AskError::Failed(_)) = found.boom().await else {
        panic!("expected the ask to fail")
    };
    drop(found);
    events_until(
        &mut events,
        "the restart",
        |event| matches!(event, SystemEvent::Restarted { actor, .. } if *actor == id),
    )
    .await;
    let found = system.lookup::<Counter>("phoenix").unwrap();
    assert_eq!(found.id(), id);
    assert_eq!(found.add(2).await.unwrap(), 2);
    system.shutdown().await;
}
