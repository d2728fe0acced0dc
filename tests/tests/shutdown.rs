//! System shutdown where actors cannot simply see the stop: actors blocked on each other's
//! full mailboxes, and a shutdown started from inside an actor's own handler.

mod support;

use std::sync::Arc;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::ShutdownReport;
use support::{bounded, Events};
use tokio::sync::Barrier;
use tokio::time::Instant;

// ---- 4: actors blocked on each other's full mailboxes ----

/// Floods its peer's mailbox from inside a handler. Two of them flooding each other at
/// once, with mailboxes of one message, wait for each other's room for ever.
#[actor(mailbox = 1)]
pub struct Flooder {
    label: &'static str,
    events: Events,
    peer: Option<ActorRef<Flooder>>,
}

#[actor]
impl Flooder {
    #[message]
    fn meet(&mut self, peer: ActorRef<Flooder>) {
        self.peer = Some(peer);
    }

    #[message]
    fn noop(&self) {}

    /// Meets the other flooder at `barrier`, so both are inside this handler, then sends
    /// more than the peer's mailbox holds.
    #[message]
    async fn flood(&mut self, barrier: Arc<Barrier>) {
        barrier.wait().await;
        let peer = self.peer.clone().expect("met");
        for _ in 0..3 {
            if peer.noop().tell().await.is_err() {
                self.events.push(format!("{} refused", self.label));
                break;
            }
        }
        self.events.push(format!("{} flood returned", self.label));
    }

    #[stopped]
    fn on_stopped(&mut self) {
        // Dropped here, so that the two do not keep each other's refs after the end.
        self.peer = None;
        self.events.push(format!("{} stopped", self.label));
    }
}

/// Shutdown closes every mailbox, as `stop_now` does, so that a wait for room ends at
/// once: the two flooders get their tells refused, return from their handlers, and stop
/// with their hooks run instead of being aborted at the timeout.
#[tokio::test(start_paused = true)]
async fn shutdown_ends_waits_for_mailbox_room() {
    let events = Events::default();
    let system = ActorSystem::new();
    let spawn = |label| {
        system
            .spawn(Flooder {
                label,
                events: events.clone(),
                peer: None,
            })
            .unwrap()
    };
    let (a, b) = (spawn("a"), spawn("b"));
    a.meet(b.clone()).await.unwrap();
    b.meet(a.clone()).await.unwrap();
    let barrier = Arc::new(Barrier::new(2));
    a.flood(Arc::clone(&barrier)).tell().await.unwrap();
    b.flood(barrier).tell().await.unwrap();
    // On a paused clock, time moves only once every task waits: here, once the two
    // flooders wait for each other's room.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        a.noop().try_tell().unwrap_err().is_full(),
        "a is not blocked"
    );
    assert!(
        b.noop().try_tell().unwrap_err().is_full(),
        "b is not blocked"
    );
    assert!(events.snapshot().is_empty(), "{:?}", events.snapshot());

    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!(
        (report.stopped, report.aborted),
        (2, 0),
        "{:?}",
        events.snapshot()
    );
    assert_eq!(a.terminated().await, StopReason::Shutdown);
    assert_eq!(b.terminated().await, StopReason::Shutdown);
    let mut seen = events.snapshot();
    seen.sort();
    assert_eq!(
        seen,
        [
            "a flood returned",
            "a refused",
            "a stopped",
            "b flood returned",
            "b refused",
            "b stopped"
        ]
    );
}

/// Children blocked on each other's mailboxes are freed too: shutdown closes the mailbox
/// of every actor, and they still stop in tree order, each after its handler returns.
#[tokio::test(start_paused = true)]
async fn shutdown_ends_waits_for_mailbox_room_between_children() {
    let events = Events::default();
    let system = ActorSystem::new();
    let parent = system
        .spawn(Parent {
            events: events.clone(),
        })
        .unwrap();
    let (a, b) = parent.spawn_pair().await.unwrap();
    a.meet(b.clone()).await.unwrap();
    b.meet(a.clone()).await.unwrap();
    let barrier = Arc::new(Barrier::new(2));
    a.flood(Arc::clone(&barrier)).tell().await.unwrap();
    b.flood(barrier).tell().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        a.noop().try_tell().unwrap_err().is_full(),
        "a is not blocked"
    );
    assert!(
        b.noop().try_tell().unwrap_err().is_full(),
        "b is not blocked"
    );
    drop((a, b));

    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!(
        (report.stopped, report.aborted),
        (3, 0),
        "{:?}",
        events.snapshot()
    );
    let seen = events.snapshot();
    // The parent's `stopped` comes last: its children stopped first.
    assert_eq!(seen.last().map(String::as_str), Some("parent stopped"));
    for label in ["a", "b"] {
        assert!(seen.contains(&format!("{label} stopped")), "{seen:?}");
    }
}

#[actor]
pub struct Parent {
    events: Events,
}

#[actor]
impl Parent {
    #[message]
    fn spawn_pair(&mut self, ctx: &mut Context<Self>) -> (ActorRef<Flooder>, ActorRef<Flooder>) {
        let mut spawn = |label| {
            ctx.spawn(Flooder {
                label,
                events: self.events.clone(),
                peer: None,
            })
            .unwrap()
        };
        (spawn("a"), spawn("b"))
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.events.push("parent stopped");
    }
}

// ---- 5: shutdown from inside a handler ----

/// A node of a small tree whose handler can shut the whole system down.
#[actor]
pub struct Node {
    label: String,
    events: Events,
}

#[actor]
impl Node {
    #[message]
    fn child(&mut self, ctx: &mut Context<Self>, label: String) -> ActorRef<Node> {
        let events = self.events.clone();
        ctx.spawn(Props::new(move || Node {
            label: label.clone(),
            events: events.clone(),
        }))
        .unwrap()
    }

    #[message]
    async fn shut_down(&mut self, ctx: &mut Context<Self>) -> ShutdownReport {
        let report = ctx.system().shutdown().await;
        self.events
            .push(format!("{} saw shutdown return", self.label));
        report
    }

    #[stopped]
    fn on_stopped(&mut self) {
        self.events.push(format!("{} stopped", self.label));
    }
}

fn node(label: &str, events: &Events) -> Props<Node> {
    let (label, events) = (label.to_owned(), events.clone());
    Props::new(move || Node {
        label: label.clone(),
        events: events.clone(),
    })
}

/// `ctx.system().shutdown().await` in a handler: shutdown does not wait for the actor
/// that called it (which cannot stop before its handler returns), nor for its ancestors
/// and descendants (which wait for it, or for its stop), so it returns at once with no
/// actor aborted; the caller's ask gets its reply, and every actor's `stopped` hook runs,
/// the caller's after its handler returned.
#[tokio::test(start_paused = true)]
async fn shutdown_from_inside_a_handler_does_not_wait_for_its_caller() {
    let events = Events::default();
    let system = ActorSystem::new();
    let root = system.spawn(node("root", &events)).unwrap();
    let other = system.spawn(node("other", &events)).unwrap();
    let caller = root.child("caller".into()).await.unwrap();
    let grandchild = caller.child("grandchild".into()).await.unwrap();

    let started = Instant::now();
    let report = bounded("shutdown from inside a handler", caller.shut_down())
        .await
        .expect("the caller's ask is answered");
    // Paused time moves only when everything waits for a timer: a shutdown that waited for
    // its timeout would have moved it by 5 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited for the timeout"
    );
    assert_eq!(report.aborted, 0, "{report:?}");
    // `other` was waited for; the caller, its parent and its child stop after.
    assert_eq!((report.stopped, report.deferred), (1, 3), "{report:?}");

    for actor in [&root, &other, &caller, &grandchild] {
        assert_eq!(
            bounded("the tree to stop", actor.terminated()).await,
            StopReason::Shutdown
        );
    }
    let seen = events.snapshot();
    let at = |event: &str| {
        seen.iter()
            .position(|seen| seen == event)
            .unwrap_or_else(|| panic!("no `{event}` in {seen:?}"))
    };
    assert!(
        at("other stopped") < at("caller saw shutdown return"),
        "{seen:?}"
    );
    assert!(
        at("caller saw shutdown return") < at("caller stopped"),
        "{seen:?}"
    );
    assert!(at("grandchild stopped") < at("caller stopped"), "{seen:?}");
    assert!(at("caller stopped") < at("root stopped"), "{seen:?}");
    assert_eq!(system.actor_count(), 0);
}

/// A top-level actor that shuts the system down from its handler.
#[tokio::test(start_paused = true)]
async fn shutdown_from_a_top_level_handler_completes() {
    let events = Events::default();
    let system = ActorSystem::new();
    let caller = system.spawn(node("caller", &events)).unwrap();
    let report = bounded("shutdown from a top-level handler", caller.shut_down())
        .await
        .expect("the caller's ask is answered");
    assert_eq!(
        (report.stopped, report.aborted, report.deferred),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(caller.terminated().await, StopReason::Shutdown);
    assert_eq!(
        events.snapshot(),
        ["caller saw shutdown return", "caller stopped"]
    );
}
