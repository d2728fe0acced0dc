//! The supervision tree: paths, lookup by path and by top-level name, sibling names, the
//! order in which a tree stops (deepest first), and system shutdown of a whole tree,
//! including one with a child stuck inside a handler.

mod support;

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorId, ActorStatus, LookupError, SpawnError, StopMode};
use support::{bounded, patient_system, Events, Gate, LIMIT};
use tokio::time::Instant;

/// A node of a tree: spawns children on request and records its stop hooks.
#[actor]
struct Node {
    label: String,
    log: Events,
}

/// Where a node sits, as its own context sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    path: String,
    parent: Option<ActorId>,
    children: Vec<ActorId>,
}

#[actor]
impl Node {
    /// Spawns a child node, named if `name` is given.
    #[message]
    fn spawn_child(
        &mut self,
        ctx: &mut Context<Self>,
        name: Option<String>,
    ) -> Result<ActorRef<Node>, SpawnError> {
        let label = name.clone().unwrap_or_else(|| "anon".to_owned());
        let mut props = node_props(&label, &self.log);
        if let Some(name) = name {
            props = props.name(name);
        }
        ctx.spawn(props)
    }

    /// Spawns a child of another type.
    #[message]
    fn spawn_leaf(
        &mut self,
        ctx: &mut Context<Self>,
        name: String,
    ) -> Result<ActorRef<Leaf>, SpawnError> {
        ctx.spawn(Props::new(|| Leaf).name(name))
    }

    #[message]
    fn place(&self, ctx: &mut Context<Self>) -> Place {
        Place {
            path: ctx.path().to_owned(),
            parent: ctx.parent(),
            children: ctx.children(),
        }
    }

    /// Waits at the gate.
    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[message]
    fn note(&mut self, text: String) {
        self.log.push(format!("{} noted {text}", self.label));
    }

    /// Never returns.
    #[message]
    async fn stuck(&mut self, gate: Gate) {
        self.log.push(format!("{} stuck", self.label));
        gate.hold_forever().await;
    }

    #[stopping]
    fn on_stopping(&mut self) {
        self.log.push(format!("{} stopping", self.label));
    }

    #[stopped]
    fn on_stopped(&mut self, ctx: &mut Context<Self>) {
        self.log.push(format!(
            "{} stopped children={}",
            self.label,
            ctx.children().len()
        ));
    }
}

/// Another actor type, for lookups of the wrong type.
#[actor]
struct Leaf;

#[actor]
impl Leaf {
    #[message]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

fn node_props(label: &str, log: &Events) -> Props<Node> {
    let label = label.to_owned();
    let log = log.clone();
    Props::new(move || Node {
        label: label.clone(),
        log: log.clone(),
    })
}

/// A top-level node named `name`.
fn root(system: &ActorSystem, name: &str, log: &Events) -> ActorRef<Node> {
    system.spawn(node_props(name, log).name(name)).unwrap()
}

async fn child(parent: &ActorRef<Node>, name: &str) -> ActorRef<Node> {
    parent
        .spawn_child(Some(name.to_owned()))
        .await
        .unwrap()
        .unwrap_or_else(|err| panic!("spawning {name}: {err}"))
}

/// The position of `event` in `log`, failing the test if it is missing.
fn at(log: &[String], event: &str) -> usize {
    log.iter()
        .position(|e| e == event)
        .unwrap_or_else(|| panic!("no `{event}` in {log:?}"))
}

#[tokio::test]
async fn paths_follow_the_tree() {
    let system = patient_system();
    let log = Events::default();
    let top = root(&system, "root", &log);
    let kid = child(&top, "kid").await;
    let grandkid = child(&kid, "grandkid").await;
    let anon = top.spawn_child(None).await.unwrap().unwrap();
    let unnamed_top = system.spawn(node_props("x", &log)).unwrap();

    assert_eq!(top.path(), "/user/root");
    assert_eq!(kid.path(), "/user/root/kid");
    assert_eq!(grandkid.path(), "/user/root/kid/grandkid");
    assert_eq!(anon.path(), format!("/user/root/${}", anon.id().as_u64()));
    assert_eq!(
        unnamed_top.path(),
        format!("/user/${}", unnamed_top.id().as_u64())
    );
    assert_eq!(kid.name(), Some("kid"));
    assert_eq!(anon.name(), None);

    // The actors' own contexts agree, and know their parents and children.
    assert_eq!(
        top.place().await.unwrap(),
        Place {
            path: "/user/root".into(),
            parent: None,
            children: vec![kid.id(), anon.id()],
        }
    );
    assert_eq!(
        kid.place().await.unwrap(),
        Place {
            path: "/user/root/kid".into(),
            parent: Some(top.id()),
            children: vec![grandkid.id()],
        }
    );
    assert_eq!(
        grandkid.place().await.unwrap(),
        Place {
            path: "/user/root/kid/grandkid".into(),
            parent: Some(kid.id()),
            children: vec![],
        }
    );
    system.shutdown().await;
}

#[tokio::test]
async fn lookup_finds_actors_by_path_and_top_level_ones_by_name() {
    let system = patient_system();
    let log = Events::default();
    let top = root(&system, "root", &log);
    let kid = child(&top, "kid").await;
    let grandkid = child(&kid, "grandkid").await;
    let leaf = kid.spawn_leaf("leaf".into()).await.unwrap().unwrap();

    assert_eq!(system.lookup::<Node>("root").unwrap().id(), top.id());
    assert_eq!(system.lookup::<Node>("/user/root").unwrap().id(), top.id());
    assert_eq!(
        system.lookup::<Node>("/user/root/kid").unwrap().id(),
        kid.id()
    );
    let found = system.lookup::<Node>("/user/root/kid/grandkid").unwrap();
    assert_eq!(found.id(), grandkid.id());
    assert_eq!(found.place().await.unwrap().path, "/user/root/kid/grandkid");
    let found_leaf = system.lookup::<Leaf>("/user/root/kid/leaf").unwrap();
    assert_eq!(found_leaf.id(), leaf.id());
    assert_eq!(found_leaf.ping().await.unwrap(), "pong");

    // A bare name is a top-level name: `kid` is not at `/user/kid`.
    assert!(matches!(
        system.lookup::<Node>("kid"),
        Err(LookupError::NotFound(name)) if name == "kid"
    ));
    assert!(matches!(
        system.lookup::<Node>("/user/root/nobody"),
        Err(LookupError::NotFound(_))
    ));
    assert!(matches!(
        system.lookup::<Leaf>("/user/root/kid"),
        Err(LookupError::WrongType { .. })
    ));

    // Once stopped, a subtree is gone from the registry.
    kid.stop();
    bounded("the kid to stop", kid.terminated()).await;
    bounded("the grandkid to stop", grandkid.terminated()).await;
    assert!(matches!(
        system.lookup::<Node>("/user/root/kid"),
        Err(LookupError::NotFound(_))
    ));
    assert!(matches!(
        system.lookup::<Node>("/user/root/kid/grandkid"),
        Err(LookupError::NotFound(_))
    ));
    assert!(matches!(
        system.lookup::<Leaf>("/user/root/kid/leaf"),
        Err(LookupError::NotFound(_))
    ));
    assert_eq!(system.lookup::<Node>("root").unwrap().id(), top.id());
    system.shutdown().await;
}

#[tokio::test]
async fn unnamed_actors_are_found_by_their_path() {
    let system = patient_system();
    let log = Events::default();
    let top = root(&system, "top", &log);
    let unnamed_kid = top.spawn_child(None).await.unwrap().unwrap();
    let unnamed_top = system.spawn(Leaf).unwrap();

    let kid_path = unnamed_kid.path().to_owned();
    assert_eq!(
        kid_path,
        format!("/user/top/${}", unnamed_kid.id().as_u64())
    );
    let top_path = unnamed_top.path().to_owned();
    assert_eq!(top_path, format!("/user/${}", unnamed_top.id().as_u64()));
    assert_eq!(
        system.lookup::<Node>(&kid_path).unwrap().id(),
        unnamed_kid.id()
    );
    assert_eq!(
        system.lookup::<Leaf>(&top_path).unwrap().id(),
        unnamed_top.id()
    );
    // The right id under the wrong parent, or a malformed id, is not found.
    let misplaced = format!("/user/${}", unnamed_kid.id().as_u64());
    assert!(matches!(
        system.lookup::<Node>(&misplaced),
        Err(LookupError::NotFound(_))
    ));
    assert!(matches!(
        system.lookup::<Node>("/user/top/$x1"),
        Err(LookupError::NotFound(_))
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn names_are_unique_among_siblings_only() {
    let system = patient_system();
    let log = Events::default();
    let first = root(&system, "first", &log);
    let second = root(&system, "second", &log);
    let kid = child(&first, "kid").await;

    assert_eq!(
        first
            .spawn_child(Some("kid".into()))
            .await
            .unwrap()
            .unwrap_err(),
        SpawnError::NameTaken("kid".into())
    );
    // A leaf of another type cannot take a sibling's name either.
    assert_eq!(
        first.spawn_leaf("kid".into()).await.unwrap().unwrap_err(),
        SpawnError::NameTaken("kid".into())
    );
    // The same name under another parent is another path.
    let cousin = child(&second, "kid").await;
    assert_eq!(cousin.path(), "/user/second/kid");
    assert_ne!(cousin.id(), kid.id());
    // And under a child of the same name.
    let nested = child(&kid, "kid").await;
    assert_eq!(nested.path(), "/user/first/kid/kid");
    // Top-level names are siblings under the guardian.
    assert_eq!(
        system
            .spawn(node_props("dup", &log).name("first"))
            .unwrap_err(),
        SpawnError::NameTaken("first".into())
    );
    assert_eq!(first.place().await.unwrap().children, [kid.id()]);

    // A stopped actor's name is free again.
    kid.stop();
    bounded("the kid to stop", kid.terminated()).await;
    let again = child(&first, "kid").await;
    assert_eq!(again.path(), "/user/first/kid");
    assert_ne!(again.id(), kid.id());
    system.shutdown().await;
}

#[tokio::test]
async fn stopping_a_parent_stops_its_children_first() {
    let system = patient_system();
    let log = Events::default();
    let top = root(&system, "root", &log);
    let a = child(&top, "a").await;
    let b = child(&top, "b").await;
    let a1 = child(&a, "a1").await;
    let a2 = child(&a, "a2").await;
    let b1 = child(&b, "b1").await;
    let a1x = child(&a1, "a1x").await;

    top.stop();
    assert_eq!(
        bounded("the root to stop", top.terminated()).await,
        StopReason::Requested
    );
    for node in [&a, &b, &a1, &a2, &b1, &a1x] {
        assert!(
            node.status().is_stopped(),
            "{} is still running",
            node.path()
        );
    }
    assert_eq!(system.actor_count(), 0);

    let log = log.snapshot();
    let stopped = |label: &str| at(&log, &format!("{label} stopped children=0"));
    // Every `stopped` hook ran, deepest first, each with no children left.
    for (parent, children) in [
        ("root", &["a", "b"][..]),
        ("a", &["a1", "a2"][..]),
        ("b", &["b1"][..]),
        ("a1", &["a1x"][..]),
    ] {
        for child in children {
            assert!(
                stopped(child) < stopped(parent),
                "{child} stopped after its parent {parent}: {log:?}"
            );
        }
    }
    assert_eq!(
        log.iter().filter(|e| e.contains(" stopped ")).count(),
        7,
        "{log:?}"
    );
    for label in ["root", "a", "b", "a1", "a2", "b1", "a1x"] {
        assert!(at(&log, &format!("{label} stopping")) < stopped(label));
    }
    system.shutdown().await;
}

/// Stops a parent whose child has two notes queued behind a held message, and returns
/// what the child did with them.
async fn child_queue_after_parent_stop(mode: StopMode) -> Vec<String> {
    let system = patient_system();
    let log = Events::default();
    let top = root(&system, "root", &log);
    let kid = child(&top, "kid").await;
    let (gate, mut control) = Gate::new();
    kid.hold(gate).tell().await.unwrap();
    control.entered().await;
    kid.note("1".to_owned()).tell().await.unwrap();
    kid.note("2".to_owned()).tell().await.unwrap();

    match mode {
        StopMode::Graceful => top.stop(),
        StopMode::Immediate => top.stop_now(),
    }
    // The parent sends its children the stop in the same step as its `stopping` hook, so
    // once that ran, the child will see the stop before its queued notes.
    bounded("the parent's stopping hook", async {
        while !log.snapshot().contains(&"root stopping".to_owned()) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    control.release();
    assert_eq!(
        bounded("the parent to stop", top.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(kid.terminated().await, StopReason::Requested);
    system.shutdown().await;
    log.snapshot()
        .into_iter()
        .filter(|event| event.starts_with("kid "))
        .collect()
}

#[tokio::test]
async fn a_graceful_stop_of_a_parent_lets_its_children_handle_their_queues() {
    assert_eq!(
        child_queue_after_parent_stop(StopMode::Graceful).await,
        [
            "kid stopping",
            "kid noted 1",
            "kid noted 2",
            "kid stopped children=0"
        ]
    );
}

#[tokio::test]
async fn an_immediate_stop_of_a_parent_drops_its_childrens_queues() {
    assert_eq!(
        child_queue_after_parent_stop(StopMode::Immediate).await,
        ["kid stopping", "kid stopped children=0"]
    );
}

#[tokio::test]
async fn shutdown_stops_a_three_level_tree_deepest_first() {
    let system = patient_system();
    let log = Events::default();
    let one = root(&system, "one", &log);
    let two = root(&system, "two", &log);
    let one_a = child(&one, "one_a").await;
    let one_a_x = child(&one_a, "one_a_x").await;
    let one_b = child(&one, "one_b").await;
    let two_a = child(&two, "two_a").await;
    let two_a_x = child(&two_a, "two_a_x").await;
    assert_eq!(system.actor_count(), 7);

    let report = bounded("the shutdown", system.shutdown()).await;
    assert_eq!(report.stopped, 7, "{report:?}");
    assert_eq!(report.aborted, 0, "{report:?}");
    assert_eq!(system.actor_count(), 0);
    assert!(system.is_shutting_down());
    for node in [&one, &two] {
        assert_eq!(node.status(), ActorStatus::Stopped(StopReason::Shutdown));
    }
    for node in [&one_a, &one_a_x, &one_b, &two_a, &two_a_x] {
        assert!(
            node.status().is_stopped(),
            "{} is still running",
            node.path()
        );
    }

    let log = log.snapshot();
    let stopped = |label: &str| at(&log, &format!("{label} stopped children=0"));
    for (parent, child) in [
        ("one", "one_a"),
        ("one", "one_b"),
        ("one_a", "one_a_x"),
        ("two", "two_a"),
        ("two_a", "two_a_x"),
    ] {
        assert!(
            stopped(child) < stopped(parent),
            "{child} stopped after its parent {parent}: {log:?}"
        );
    }
    assert!(matches!(
        system.spawn(node_props("late", &Events::default())),
        Err(SpawnError::SystemShutDown)
    ));
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_a_child_stuck_in_a_handler_after_the_timeout() {
    let timeout = Duration::from_secs(5);
    let system = ActorSystem::builder()
        .name("stuck")
        .ask_timeout(LIMIT)
        .shutdown_timeout(timeout)
        .build()
        .unwrap();
    let log = Events::default();
    let top = root(&system, "root", &log);
    let stuck = child(&top, "stuck").await;
    let healthy = child(&top, "healthy").await;

    let (gate, mut control) = Gate::new();
    stuck.stuck(gate).tell().await.unwrap();
    control.entered().await;

    let start = Instant::now();
    let report = bounded("the shutdown", system.shutdown()).await;
    assert!(
        start.elapsed() >= timeout,
        "gave up after {:?}",
        start.elapsed()
    );
    assert_eq!(report.stopped + report.aborted, 3, "{report:?}");
    assert!(report.aborted >= 1, "{report:?}");
    assert_eq!(stuck.status(), ActorStatus::Stopped(StopReason::Aborted));
    assert!(top.status().is_stopped());
    assert!(healthy.status().is_stopped());
    assert_eq!(system.actor_count(), 0);

    let log = log.snapshot();
    // The healthy sibling stopped properly; the stuck one's hooks never ran.
    at(&log, "healthy stopped children=0");
    assert!(!log.iter().any(|e| e.starts_with("stuck stopp")), "{log:?}");
    drop(control);
}
