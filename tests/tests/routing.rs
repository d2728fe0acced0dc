//! Routers: pools and groups behind a ref of the worker's own type. Each strategy's
//! distribution, supervision of a pool's workers (a failing worker restarted while jobs
//! flow, every worker failing), groups with stopped routees, asks, full mailboxes, stop,
//! drop and shutdown of a pool.
//!
//! Every wait is bounded; tests synchronize on replies, gates and `terminated()`, and count
//! what each worker handled.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::routing::{
    Broadcast, ConsistentHash, Group, Pool, Random, RoundRobin, RoutingLogic, SmallestMailbox,
};
use actor_core::supervision::SupervisorStrategy;
use actor_core::{ActorId, ActorStatus};
use support::{bounded, patient_system, poll_once, Gate};

// ---------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------

/// Which worker handled which job, in the order they were handled.
#[derive(Clone, Default)]
struct Tally(Arc<Mutex<Vec<(ActorId, u64)>>>);

impl Tally {
    fn push(&self, worker: ActorId, job: u64) {
        self.0.lock().unwrap().push((worker, job));
    }

    fn jobs(&self) -> Vec<(ActorId, u64)> {
        self.0.lock().unwrap().clone()
    }

    /// How many jobs each worker handled.
    fn per_worker(&self) -> HashMap<ActorId, usize> {
        let mut counts = HashMap::new();
        for (worker, _) in self.jobs() {
            *counts.entry(worker).or_insert(0) += 1;
        }
        counts
    }

    /// The jobs handled, sorted.
    fn sorted_jobs(&self) -> Vec<u64> {
        let mut jobs: Vec<u64> = self.jobs().into_iter().map(|(_, job)| job).collect();
        jobs.sort_unstable();
        jobs
    }
}

#[actor]
struct Worker {
    tally: Tally,
}

#[actor]
impl Worker {
    /// Records the job and answers which worker did it.
    #[message]
    fn job(&mut self, n: u64, ctx: &mut Context<Self>) -> ActorId {
        self.tally.push(ctx.id(), n);
        ctx.id()
    }

    /// Fails the worker.
    #[message]
    fn poison(&mut self) {
        panic!("poison job");
    }

    /// Holds the worker inside this handler until the gate is released.
    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[message]
    fn whoami(&self, ctx: &mut Context<Self>) -> ActorId {
        ctx.id()
    }
}

/// A pool of `size` workers recording into `tally`, routed by `logic`; the factory counts
/// the instances it made into `made`.
fn pool_of(
    system: &ActorSystem,
    size: usize,
    logic: impl Into<RoutingLogic<Worker>>,
    tally: &Tally,
    made: &Arc<AtomicU32>,
) -> ActorRef<Worker> {
    let tally = tally.clone();
    let made = Arc::clone(made);
    system
        .spawn_pool(
            Pool::new(size, move || {
                made.fetch_add(1, Ordering::SeqCst);
                Worker {
                    tally: tally.clone(),
                }
            })
            .routing(logic),
        )
        .unwrap()
}

/// Waits until `router` has `count` routees: a stopped routee leaves routing when the
/// router's watch of it runs, soon after its end. Bounded in yields, not in time.
async fn routees_become(router: &ActorRef<Worker>, count: usize) {
    for _ in 0..10_000 {
        if router.routees().len() == count {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!(
        "the router still has {} routees, expected {count}",
        router.routees().len()
    );
}

/// A replica whose messages are `Clone`, for broadcasts.
#[actor]
struct Replica {
    notes: Arc<Mutex<Vec<(ActorId, u64)>>>,
}

#[actor]
impl Replica {
    #[message]
    fn note(&mut self, n: u64, ctx: &mut Context<Self>) -> ActorId {
        self.notes.lock().unwrap().push((ctx.id(), n));
        ctx.id()
    }

    #[message]
    async fn wait(&mut self, gate: SharedGate) {
        gate.pass().await;
    }
}

/// A gate a broadcast can carry: cloned into every replica, released once for all.
#[derive(Clone)]
struct SharedGate(tokio::sync::watch::Receiver<bool>);

impl SharedGate {
    async fn pass(mut self) {
        let _ = self.0.wait_for(|open| *open).await;
    }
}

// `#[actor]` does not derive traits on the message enum; a broadcast needs `Clone`.
impl Clone for ReplicaMsg {
    fn clone(&self) -> Self {
        match self {
            ReplicaMsg::Note { n } => ReplicaMsg::Note { n: *n },
            ReplicaMsg::Wait { gate } => ReplicaMsg::Wait { gate: gate.clone() },
        }
    }
}

type Notes = Arc<Mutex<Vec<(ActorId, u64)>>>;

fn notes_by_replica(notes: &Notes) -> BTreeMap<ActorId, Vec<u64>> {
    let mut by = BTreeMap::new();
    for (replica, n) in notes.lock().unwrap().iter() {
        by.entry(*replica).or_insert_with(Vec::new).push(*n);
    }
    by
}

// ---------------------------------------------------------------------------------------
// The same type, the same methods
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_pool_is_a_ref_of_the_workers_type_with_their_methods() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool: ActorRef<Worker> = pool_of(&system, 3, RoundRobin, &tally, &made);
    let worker = bounded("an ask through the pool", pool.job(7))
        .await
        .unwrap();
    assert!(pool.routees().iter().any(|routee| routee.id() == worker));
    assert_ne!(pool.id(), worker, "the pool has an id of its own");
    assert_eq!(pool.status(), ActorStatus::Running);
    assert!(pool.is_alive());
    assert_eq!(made.load(Ordering::SeqCst), 3);
    // A request through a pool is `'static` like any other: spawned and joined.
    let spawned = tokio::spawn(pool.job(8).send());
    bounded("a spawned ask", spawned).await.unwrap().unwrap();
    assert_eq!(tally.sorted_jobs(), vec![7, 8]);
    // A worker's path is under the pool's.
    for routee in pool.routees() {
        assert!(routee.path().starts_with(&format!("{}/$", pool.path())));
    }
    system.shutdown().await;
}

#[tokio::test]
async fn an_empty_pool_or_group_is_a_typed_error() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let err = system
        .spawn_pool(Pool::new(0, move || {
            made.fetch_add(1, Ordering::SeqCst);
            Worker {
                tally: Tally::default(),
            }
        }))
        .unwrap_err();
    assert_eq!(err, SpawnError::NoRoutees);
    let err = system
        .spawn_group(Group::<Worker>::new(Vec::new()))
        .unwrap_err();
    assert_eq!(err, SpawnError::NoRoutees);
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn round_robin_gives_each_worker_its_turn_exactly() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 4, RoundRobin, &tally, &made);
    let order: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    for job in 0..40 {
        let worker = bounded("a round-robin ask", pool.job(job)).await.unwrap();
        assert_eq!(worker, order[job as usize % 4], "job {job}");
    }
    let counts = tally.per_worker();
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|count| *count == 10), "{counts:?}");
    system.shutdown().await;
}

#[tokio::test]
async fn random_spreads_jobs_over_every_worker_within_bounds() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 4, Random, &tally, &made);
    for job in 0..2000 {
        pool.job(job).tell().await.unwrap();
    }
    // Each worker answers after the jobs queued before this ask.
    for routee in pool.routees() {
        bounded("a worker to drain", routee.whoami()).await.unwrap();
    }
    let counts = tally.per_worker();
    assert_eq!(counts.len(), 4, "{counts:?}");
    // Expected 500 each; the standard deviation is about 19, so 350..650 is beyond 7 of
    // them, and a generator that favoured one worker by a fifth would fail.
    for count in counts.values() {
        assert!((350..=650).contains(count), "{counts:?}");
    }
    assert_eq!(tally.sorted_jobs(), (0..2000).collect::<Vec<_>>());
    system.shutdown().await;
}

#[tokio::test]
async fn smallest_mailbox_picks_the_idle_worker_then_the_least_loaded() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 3, SmallestMailbox, &tally, &made);
    let workers = pool.routees();
    let (a, b, c) = (&workers[0], &workers[1], &workers[2]);

    // A and B are busy, with 2 and 1 jobs waiting; C is idle.
    let (gate_a, mut control_a) = Gate::new();
    let (gate_b, mut control_b) = Gate::new();
    a.hold(gate_a).tell().await.unwrap();
    b.hold(gate_b).tell().await.unwrap();
    control_a.entered().await;
    control_b.entered().await;
    a.job(100).tell().await.unwrap();
    a.job(101).tell().await.unwrap();
    b.job(200).tell().await.unwrap();
    for job in 0..3 {
        let worker = bounded("an ask to the idle worker", pool.job(job))
            .await
            .unwrap();
        assert_eq!(worker, c.id(), "job {job} went to a busy worker");
    }

    // Now C is busy too, with 3 waiting: B, with 1, is the least loaded.
    let (gate_c, mut control_c) = Gate::new();
    c.hold(gate_c).tell().await.unwrap();
    control_c.entered().await;
    for job in 300..303 {
        c.job(job).tell().await.unwrap();
    }
    pool.job(7).tell().await.unwrap();
    control_a.release();
    control_b.release();
    control_c.release();
    for worker in &workers {
        bounded("a worker to drain", worker.whoami()).await.unwrap();
    }
    let seven = tally.jobs().into_iter().find(|(_, job)| *job == 7).unwrap();
    assert_eq!(
        seven.0,
        b.id(),
        "job 7 should go to the least loaded worker"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn broadcast_reaches_every_worker_and_an_ask_gets_the_first_reply() {
    let system = patient_system();
    let notes: Notes = Arc::default();
    let pool = {
        let notes = Arc::clone(&notes);
        system
            .spawn_pool(
                Pool::new(3, move || Replica {
                    notes: Arc::clone(&notes),
                })
                .routing(Broadcast),
            )
            .unwrap()
    };
    let replicas: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    pool.note(1).tell().await.unwrap();
    pool.note(2).try_tell().unwrap();
    let answered = bounded("a broadcast ask", pool.note(3)).await.unwrap();
    assert_eq!(
        answered, replicas[0],
        "the first routee holds the reply slot"
    );
    for replica in pool.routees() {
        bounded("a replica to drain", replica.note(99))
            .await
            .unwrap();
    }
    let by = notes_by_replica(&notes);
    assert_eq!(by.len(), 3);
    for (replica, got) in &by {
        assert_eq!(got, &vec![1, 2, 3, 99], "replica {replica}");
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_broadcast_skips_a_stopped_routee_and_hands_the_reply_slot_on() {
    let system = patient_system();
    let notes: Notes = Arc::default();
    let spawn = || {
        system
            .spawn(Replica {
                notes: Arc::clone(&notes),
            })
            .unwrap()
    };
    let (a, b, c) = (spawn(), spawn(), spawn());
    let group = system
        .spawn_group(Group::new([a.clone(), b.clone(), c.clone()]).routing(Broadcast))
        .unwrap();
    a.stop();
    bounded("a to stop", a.terminated()).await;
    // Whether or not the group has taken `a` out yet, the ask's slot goes to `b`.
    let answered = bounded("a broadcast ask", group.note(5)).await.unwrap();
    assert_eq!(answered, b.id());
    bounded("c to drain", c.note(99)).await.unwrap();
    let by = notes_by_replica(&notes);
    assert_eq!(by.get(&b.id()), Some(&vec![5]));
    assert_eq!(by.get(&c.id()), Some(&vec![5, 99]));
    assert_eq!(by.get(&a.id()), None);
    system.shutdown().await;
}

#[tokio::test]
async fn a_dropped_broadcast_tell_leaves_every_mailbox_usable() {
    let system = patient_system();
    let notes: Notes = Arc::default();
    let pool = {
        let notes = Arc::clone(&notes);
        system
            .spawn_pool(
                Pool::new(2, move || Replica {
                    notes: Arc::clone(&notes),
                })
                .mailbox(MailboxConfig::bounded(1))
                .routing(Broadcast),
            )
            .unwrap()
    };
    let (open, gate) = tokio::sync::watch::channel(false);
    let gate = SharedGate(gate);
    // Both replicas wait inside a handler, and each mailbox then fills up.
    pool.wait(gate.clone()).tell().await.unwrap();
    let mut filled = 0;
    while pool.note(1000 + filled).try_tell().is_ok() {
        filled += 1;
        assert!(filled < 10, "a bounded(1) mailbox took 10 messages");
    }
    // A broadcast tell now waits for room; dropped while it waits, it leaves the line.
    {
        let mut tell = pin!(pool.note(7).tell());
        assert!(poll_once(tell.as_mut()).await.is_pending());
    }
    open.send(true).unwrap();
    let answered = bounded("an ask after the dropped tell", pool.note(8))
        .await
        .unwrap();
    assert_eq!(answered, pool.routees()[0].id());
    for replica in pool.routees() {
        bounded("a replica to drain", replica.note(99))
            .await
            .unwrap();
    }
    let by = notes_by_replica(&notes);
    for got in by.values() {
        assert!(got.ends_with(&[8, 99]), "{got:?}");
        // The dropped tell reached at most the first replica (it had room for it).
        assert!(got.iter().filter(|n| **n == 7).count() <= 1, "{got:?}");
    }
    system.shutdown().await;
}

/// The key of a job: its number modulo 100, so that keys repeat.
fn job_key(msg: &WorkerMsg) -> u64 {
    match msg {
        WorkerMsg::Job { n } => n % 100,
        _ => 0,
    }
}

/// Which routee index each key 0..100 goes to in `pool`.
async fn owners(pool: &ActorRef<Worker>) -> Vec<usize> {
    let order: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    let mut owners = Vec::new();
    for key in 0..100 {
        let worker = bounded("a hashed ask", pool.job(key)).await.unwrap();
        owners.push(order.iter().position(|id| *id == worker).unwrap());
    }
    owners
}

#[tokio::test]
async fn consistent_hashing_keeps_each_key_on_one_worker_in_every_pool_alike() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let first = pool_of(
        &system,
        4,
        ConsistentHash::by(job_key),
        &Tally::default(),
        &made,
    );
    let second = pool_of(
        &system,
        4,
        ConsistentHash::by(job_key),
        &Tally::default(),
        &made,
    );
    let owners_first = owners(&first).await;
    // The same key, the same worker: jobs 100..200 have the keys 0..100 again.
    let order: Vec<ActorId> = first.routees().iter().map(ActorRef::id).collect();
    for job in 100..200 {
        let worker = bounded("a hashed ask", first.job(job)).await.unwrap();
        assert_eq!(
            worker,
            order[owners_first[(job % 100) as usize]],
            "job {job}"
        );
    }
    // A pool built alike sends each key to the worker in the same place: the ring depends
    // on the keys and the workers' places only, never on ids or the run.
    assert_eq!(owners(&second).await, owners_first);
    // Every worker has some of the 100 keys.
    for at in 0..4 {
        let keys = owners_first.iter().filter(|owner| **owner == at).count();
        assert!(keys >= 5, "worker {at} has {keys} keys: {owners_first:?}");
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_worker_leaving_the_ring_moves_only_its_own_keys() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(
        &system,
        4,
        ConsistentHash::by(job_key),
        &Tally::default(),
        &made,
    );
    let before: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    let owners_before: Vec<ActorId> = owners(&pool)
        .await
        .into_iter()
        .map(|at| before[at])
        .collect();
    let leaving = pool.routees()[2].clone();
    leaving.stop();
    bounded("the worker to stop", leaving.terminated()).await;
    routees_become(&pool, 3).await;
    let after: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    let owners_after: Vec<ActorId> = owners(&pool)
        .await
        .into_iter()
        .map(|at| after[at])
        .collect();
    let mut moved = 0;
    for key in 0..100 {
        if owners_before[key] == leaving.id() {
            assert_ne!(owners_after[key], leaving.id());
            moved += 1;
        } else {
            assert_eq!(owners_after[key], owners_before[key], "key {key} moved");
        }
    }
    assert!(moved > 0, "the leaving worker had no key");
    system.shutdown().await;
}

#[tokio::test]
async fn a_panicking_key_function_fails_the_sender_not_the_router() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let key = |msg: &WorkerMsg| match msg {
        WorkerMsg::Job { n: 13 } => panic!("unlucky key"),
        other => job_key(other),
    };
    let pool = pool_of(
        &system,
        2,
        ConsistentHash::by(key),
        &Tally::default(),
        &made,
    );
    let sender = tokio::spawn({
        let pool = pool.clone();
        async move { pool.job(13).await }
    });
    let err = bounded("the panicking sender", sender).await.unwrap_err();
    assert!(err.is_panic());
    bounded("an ask after the panic", pool.job(14))
        .await
        .unwrap();
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Supervision of a pool's workers
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_failing_worker_is_restarted_while_jobs_keep_flowing() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 3, RoundRobin, &tally, &made);
    let workers: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    for job in 0..30 {
        pool.job(job).tell().await.unwrap();
        if job % 10 == 4 {
            // Round robin: the 5th, 16th and 27th messages hit each worker once.
            pool.poison().tell().await.unwrap();
        }
    }
    for routee in pool.routees() {
        bounded("a worker to drain", routee.whoami()).await.unwrap();
    }
    // Every job was handled once, none lost behind a poison; three restarts.
    assert_eq!(tally.sorted_jobs(), (0..30).collect::<Vec<_>>());
    assert_eq!(made.load(Ordering::SeqCst), 3 + 3);
    // The same workers (a restart keeps the mailbox, so the ref), each still routed to.
    let after: Vec<ActorId> = pool.routees().iter().map(ActorRef::id).collect();
    assert_eq!(after, workers);
    assert_eq!(tally.per_worker().len(), 3);
    system.shutdown().await;
}

#[tokio::test]
async fn asks_a_worker_never_answered_resolve_with_an_error() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 1, RoundRobin, &tally, &made);
    // An ask whose handler fails: `Failed`.
    let failed = bounded("an ask of a poison job", pool.poison()).await;
    assert!(matches!(failed, Err(AskError::Failed(_))), "{failed:?}");
    // Asks queued behind a handler when the worker stops at once: `Stopped`.
    let worker = pool.routees()[0].clone();
    let (gate, mut control) = Gate::new();
    worker.hold(gate).tell().await.unwrap();
    control.entered().await;
    let mut first = pin!(pool.job(1).send());
    let mut second = pin!(pool.job(2).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());
    worker.stop_now();
    control.release();
    assert!(matches!(
        bounded("a queued ask", first).await,
        Err(AskError::Stopped)
    ));
    assert!(matches!(
        bounded("a queued ask", second).await,
        Err(AskError::Stopped)
    ));
    assert!(tally.jobs().is_empty());
    // Its only worker gone, the pool has stopped: sends are refused, with the message.
    bounded("the pool to stop", pool.terminated()).await;
    match bounded("an ask to a stopped pool", pool.job(3)).await {
        Err(AskError::Closed(WorkerMsg::Job { n: 3 })) => {}
        other => panic!("expected Closed with the job, got {other:?}"),
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_pool_whose_every_worker_keeps_failing_stops_with_the_failure() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = {
        let tally = tally.clone();
        let made = Arc::clone(&made);
        system
            .spawn_pool(
                Pool::new(2, move || {
                    made.fetch_add(1, Ordering::SeqCst);
                    Worker {
                        tally: tally.clone(),
                    }
                })
                .supervisor(
                    SupervisorStrategy::one_for_one()
                        .max_restarts(1)
                        .within(Duration::from_secs(60)),
                ),
            )
            .unwrap()
    };
    let weak = pool.downgrade();
    let mut failures = 0;
    for _ in 0..20 {
        if !pool.is_alive() {
            break;
        }
        match bounded("a poison ask", pool.poison()).await {
            Err(AskError::Failed(_)) => failures += 1,
            // A worker the pool gave up on, picked before the pool took it out.
            Err(AskError::Closed(_)) => {}
            other => panic!("a poison job answered {other:?}"),
        }
        if pool.routees().is_empty() {
            break;
        }
    }
    let reason = bounded("the pool to stop", weak.terminated()).await;
    assert!(matches!(reason, StopReason::Failed(_)), "{reason:?}");
    // One restart allowed within the window, counted over the pool (OTP's intensity, per
    // supervisor): the first failure restarts its worker; from then on each failure
    // exceeds the intensity and stops its worker for good. Two workers: three failures,
    // three instances.
    assert_eq!(failures, 3);
    assert_eq!(made.load(Ordering::SeqCst), 3);
    assert!(matches!(pool.status(), ActorStatus::Stopped(_)));
    assert!(pool.routees().is_empty());
    // A clear state: every send fails at once, with its message, and none hangs.
    assert!(matches!(
        bounded("an ask", pool.job(1)).await,
        Err(AskError::Closed(_))
    ));
    assert!(bounded("a tell", pool.job(2).tell()).await.is_err());
    assert!(matches!(
        pool.job(3).try_tell(),
        Err(TrySendError::Closed(WorkerMsg::Job { n: 3 }))
    ));
    assert!(tally.jobs().is_empty());
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Full mailboxes
// ---------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn sends_through_a_pool_of_full_mailboxes_wait_or_hand_the_message_back() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = {
        let tally = tally.clone();
        system
            .spawn_pool(
                Pool::new(2, move || Worker {
                    tally: tally.clone(),
                })
                .mailbox(MailboxConfig::bounded(1)),
            )
            .unwrap()
    };
    let _ = made;
    let workers = pool.routees();
    let mut controls = Vec::new();
    for worker in &workers {
        let (gate, mut control) = Gate::new();
        worker.hold(gate).tell().await.unwrap();
        control.entered().await;
        controls.push(control);
        let mut filled = 0;
        while worker.job(900 + filled).try_tell().is_ok() {
            filled += 1;
            assert!(filled < 10, "a bounded(1) mailbox took 10 messages");
        }
    }
    // try_tell: the message back, typed.
    match pool.job(1).try_tell() {
        Err(TrySendError::Full(WorkerMsg::Job { n: 1 })) => {}
        other => panic!("expected Full with the job, got {other:?}"),
    }
    // An ask with a timeout: `MailboxFull` with the message, once the time is up.
    match bounded("an ask", pool.job(2).timeout(Duration::from_millis(50))).await {
        Err(AskError::MailboxFull(WorkerMsg::Job { n: 2 })) => {}
        other => panic!("expected MailboxFull with the job, got {other:?}"),
    }
    // A tell waits for room, and gets in once the workers go on.
    let mut tell = pin!(pool.job(3).tell());
    assert!(poll_once(tell.as_mut()).await.is_pending());
    for control in controls {
        control.release();
    }
    bounded("the waiting tell", tell).await.unwrap();
    for worker in &workers {
        bounded("a worker to drain", worker.whoami()).await.unwrap();
    }
    let jobs = tally.sorted_jobs();
    assert!(
        jobs.contains(&3) && !jobs.contains(&1) && !jobs.contains(&2),
        "{jobs:?}"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_group_skips_a_stopped_routee_and_closes_when_all_have_stopped() {
    let system = patient_system();
    let tally = Tally::default();
    let spawn = || {
        system
            .spawn(Worker {
                tally: tally.clone(),
            })
            .unwrap()
    };
    let (a, b, c) = (spawn(), spawn(), spawn());
    let group = system
        .spawn_group(Group::new([a.clone(), b.clone(), c.clone()]).routing(RoundRobin))
        .unwrap();
    b.stop();
    bounded("b to stop", b.terminated()).await;
    routees_become(&group, 2).await;
    for job in 0..10 {
        bounded("an ask through the group", group.job(job))
            .await
            .unwrap();
    }
    let counts = tally.per_worker();
    assert_eq!(counts.get(&a.id()), Some(&5));
    assert_eq!(counts.get(&c.id()), Some(&5));
    assert_eq!(counts.get(&b.id()), None);
    a.stop();
    c.stop();
    let reason = bounded("the group to stop", group.terminated()).await;
    assert_eq!(reason, StopReason::Requested, "the last routee's reason");
    assert!(matches!(
        bounded("an ask", group.job(99)).await,
        Err(AskError::Closed(_))
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn stopping_a_group_ends_routing_and_leaves_its_routees_running() {
    let system = patient_system();
    let tally = Tally::default();
    let a = system
        .spawn(Worker {
            tally: tally.clone(),
        })
        .unwrap();
    let group = system.spawn_group(Group::new([a.clone()])).unwrap();
    group.stop();
    assert_eq!(
        bounded("the group to stop", group.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        group.job(1).try_tell(),
        Err(TrySendError::Closed(_))
    ));
    assert!(a.is_alive());
    bounded("the routee, still running", a.job(2))
        .await
        .unwrap();
    assert_eq!(tally.sorted_jobs(), vec![2]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_group_over_pools_routes_through_both() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let first = pool_of(&system, 2, RoundRobin, &tally, &made);
    let second = pool_of(&system, 2, RoundRobin, &tally, &made);
    let group = system
        .spawn_group(Group::new([first.clone(), second.clone()]))
        .unwrap();
    for job in 0..8 {
        bounded("an ask through the group", group.job(job))
            .await
            .unwrap();
    }
    let counts = tally.per_worker();
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|count| *count == 2), "{counts:?}");
    system.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Stop, drop, shutdown, death watch
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn stopping_a_pool_stops_its_workers_after_their_queued_jobs() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 3, RoundRobin, &tally, &made);
    let workers = pool.routees();
    for job in 0..9 {
        pool.job(job).tell().await.unwrap();
    }
    pool.stop();
    assert_eq!(
        bounded("the pool to stop", pool.terminated()).await,
        StopReason::Requested
    );
    for worker in &workers {
        assert_eq!(worker.status(), ActorStatus::Stopped(StopReason::Requested));
    }
    // A graceful stop: what was queued was handled.
    assert_eq!(tally.sorted_jobs(), (0..9).collect::<Vec<_>>());
    assert!(bounded("a tell", pool.job(9).tell()).await.is_err());
    pool.stop();
    pool.stop_now();
    system.shutdown().await;
}

#[tokio::test]
async fn dropping_the_last_ref_to_a_pool_stops_it() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 2, RoundRobin, &Tally::default(), &made);
    let weak_pool = pool.downgrade();
    let weak_workers: Vec<_> = pool.routees().iter().map(ActorRef::downgrade).collect();
    bounded("an ask", pool.job(1)).await.unwrap();
    drop(pool);
    assert_eq!(
        bounded("the pool to stop", weak_pool.terminated()).await,
        StopReason::RefsDropped
    );
    for worker in weak_workers {
        bounded("a worker to stop", worker.terminated()).await;
    }
    assert!(weak_pool.upgrade().is_none());
    system.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_every_pool_and_its_workers() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 3, RoundRobin, &Tally::default(), &made);
    let workers = pool.routees();
    bounded("an ask", pool.job(1)).await.unwrap();
    let report = bounded("shutdown", system.shutdown()).await;
    assert!(report.stopped >= 3, "{report:?}");
    assert_eq!(
        bounded("the pool to stop", pool.terminated()).await,
        StopReason::Shutdown
    );
    for worker in &workers {
        assert_eq!(worker.status(), ActorStatus::Stopped(StopReason::Shutdown));
    }
    assert!(matches!(
        pool.job(2).try_tell(),
        Err(TrySendError::Closed(_))
    ));
}

/// Watches a pool and reports its end.
#[actor]
struct Watcher {
    ended: Option<tokio::sync::oneshot::Sender<(ActorId, StopReason)>>,
}

#[actor]
impl Watcher {
    #[message]
    fn watch_pool(&mut self, pool: ActorRef<Worker>, ctx: &mut Context<Self>) {
        ctx.watch(&pool);
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        if let Some(ended) = self.ended.take() {
            let _ = ended.send((terminated.id, terminated.reason));
        }
    }
}

#[tokio::test]
async fn a_watcher_of_a_pool_is_told_of_its_end() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 2, RoundRobin, &Tally::default(), &made);
    let (ended, end) = tokio::sync::oneshot::channel();
    let watcher = system.spawn(Watcher { ended: Some(ended) }).unwrap();
    bounded("the watch", watcher.watch_pool(pool.clone()))
        .await
        .unwrap();
    pool.stop();
    let (id, reason) = bounded("the Terminated", end).await.unwrap();
    assert_eq!((id, reason), (pool.id(), StopReason::Requested));
    system.shutdown().await;
}

#[test]
fn router_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Pool<Worker>>();
    send_sync::<Group<Worker>>();
    send_sync::<RoutingLogic<Worker>>();
    send_sync::<ConsistentHash<WorkerMsg>>();
    send_sync::<RoundRobin>();
    send_sync::<Random>();
    send_sync::<SmallestMailbox>();
    send_sync::<Broadcast>();
}

// ---------------------------------------------------------------------------------------
// Breaking it: panicking factories, shutdown races, dead routees, cancelled asks
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_pool_whose_factory_panics_stops_and_refuses_sends() {
    let system = patient_system();
    let pool = system
        .spawn_pool(Pool::new(2, || -> Worker { panic!("poison factory") }))
        .unwrap();
    let reason = bounded("the pool to stop", pool.terminated()).await;
    assert!(matches!(reason, StopReason::Failed(_)), "{reason:?}");
    assert!(pool.routees().is_empty());
    assert!(matches!(
        bounded("an ask", pool.job(1)).await,
        Err(AskError::Closed(_))
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn a_pool_spawned_during_shutdown_is_a_typed_error() {
    let system = patient_system();
    let made = Arc::new(AtomicU32::new(0));
    let _busy = pool_of(&system, 1, RoundRobin, &Tally::default(), &made);
    bounded("shutdown", system.shutdown()).await;
    let counted = Arc::clone(&made);
    let err = system
        .spawn_pool(Pool::new(3, move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Worker {
                tally: Tally::default(),
            }
        }))
        .unwrap_err();
    assert_eq!(err, SpawnError::SystemShutDown);
    assert_eq!(
        system.actor_count(),
        0,
        "no worker of the refused pool is left"
    );
}

#[tokio::test]
async fn a_group_of_stopped_refs_stops_and_refuses_sends() {
    let system = patient_system();
    let a = system
        .spawn(Worker {
            tally: Tally::default(),
        })
        .unwrap();
    a.stop();
    bounded("a to stop", a.terminated()).await;
    let group = system.spawn_group(Group::new([a.clone()])).unwrap();
    // Until the group has taken the stopped routee out, a send reaches its closed mailbox:
    // either way it is refused with the message.
    assert!(matches!(
        group.job(1).try_tell(),
        Err(TrySendError::Closed(WorkerMsg::Job { n: 1 }))
    ));
    assert_eq!(
        bounded("the group to stop", group.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        bounded("an ask", group.job(2)).await,
        Err(AskError::Closed(_))
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn an_ask_through_a_pool_dropped_before_its_reply_leaves_the_worker_serving() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = pool_of(&system, 1, RoundRobin, &tally, &made);
    let worker = pool.routees()[0].clone();
    let (gate, mut control) = Gate::new();
    worker.hold(gate).tell().await.unwrap();
    control.entered().await;
    {
        // Enqueued, then dropped while the worker is busy: handled, its reply discarded.
        let mut ask = pin!(pool.job(1).send());
        assert!(poll_once(ask.as_mut()).await.is_pending());
    }
    control.release();
    bounded("an ask after the dropped one", pool.job(2))
        .await
        .unwrap();
    assert_eq!(tally.sorted_jobs(), vec![1, 2]);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_senders_through_a_restarting_pool_lose_no_job_to_a_healthy_worker() {
    let system = patient_system();
    let tally = Tally::default();
    let made = Arc::new(AtomicU32::new(0));
    let pool = {
        let tally = tally.clone();
        let made = Arc::clone(&made);
        system
            .spawn_pool(
                Pool::new(4, move || {
                    made.fetch_add(1, Ordering::SeqCst);
                    Worker {
                        tally: tally.clone(),
                    }
                })
                // Room for every poison: each failure is a restart, never a stop.
                .supervisor(SupervisorStrategy::one_for_one().max_restarts(1000)),
            )
            .unwrap()
    };
    let mut senders = Vec::new();
    for sender in 0..4_u64 {
        let pool = pool.clone();
        senders.push(tokio::spawn(async move {
            for job in 0..250 {
                pool.job(sender * 1000 + job).tell().await.unwrap();
                if job % 50 == 25 {
                    pool.poison().tell().await.unwrap();
                }
            }
        }));
    }
    for sender in senders {
        bounded("a sender", sender).await.unwrap();
    }
    for routee in pool.routees() {
        bounded("a worker to drain", routee.whoami()).await.unwrap();
    }
    let mut expected: Vec<u64> = (0..4_u64)
        .flat_map(|sender| (0..250).map(move |job| sender * 1000 + job))
        .collect();
    expected.sort_unstable();
    assert_eq!(tally.sorted_jobs(), expected, "a job was lost or doubled");
    // 20 poisons, 20 restarts, the same 4 workers.
    assert_eq!(made.load(Ordering::SeqCst), 4 + 20);
    assert_eq!(pool.routees().len(), 4);
    system.shutdown().await;
}
