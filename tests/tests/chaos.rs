//! The chaos test: a few hundred actors in a supervision tree, handlers that panic at
//! random under steady load from many concurrent senders.
//!
//! It proves that every ask resolves (with its reply or a typed error, none hangs), that no
//! message is lost, duplicated or reordered (the mailbox survives restarts, so this holds
//! for the failing workers too, and a worker that never failed keeps its whole state), that
//! every failure is answered by exactly one restart while under the restart intensity, and
//! that shutdown completes with nothing aborted.
//!
//! Two more tests go beyond the restart intensity: a fragile mid-level supervisor next to
//! the loaded tree restarts its workers exactly up to its intensity, then escalates once
//! and is restarted by the root (whose new instance counts restarts afresh), while the
//! rest of the tree sees none of it. A last one races a stream of messages against the
//! stop of a failed actor: each is handled or a dead letter, none is stranded.
//!
//! The failure pattern comes from a seeded PRNG and is the same in every run (set
//! `CHAOS_SEED` to try another); only the interleaving varies. Nothing is timed: the
//! assertions are on counts and events, and the time limits only turn a hang into a
//! failure.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Directive, SupervisorStrategy};
use actor_core::{ActorId, Failure, FailureKind, SystemEvent};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::task::JoinSet;

/// Used when `CHAOS_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5EED_CA05_2024_0001;
/// Mid-level supervisors under the root.
const MIDS: usize = 20;
/// Workers under each mid-level supervisor.
const WORKERS_PER_MID: usize = 15;
/// Concurrent client tasks, each driving [`LANES`] sequential senders.
const CLIENTS: usize = 4;
const LANES: usize = 8;
/// Steps per sender: each step tells 0 to 3 messages to one worker, then asks it one.
const STEPS: usize = 1000;
/// Workers under the fragile mid of the intensity tests.
const FRAGILE_WORKERS: usize = 5;
/// The fragile mid, its workers and its echo.
const FRAGILE_ACTORS: usize = 1 + FRAGILE_WORKERS + 1;
/// The fragile mid's restart intensity (the window is longer than any run).
const FRAGILE_INTENSITY: u32 = 5;
/// The sender id of the fragile mid's driver, apart from the load's senders.
const FRAGILE_SENDER: u32 = 1000;
/// Every this-many-th worker is hot: half the steps go to one of them.
const HOT_ONE_IN: usize = 10;
/// A fragile worker fails one message in this many.
const FAIL_ONE_IN: u64 = 8;
/// Far above any real ask on a loaded machine: an ask that needs it is a hang.
const ASK_LIMIT: Duration = Duration::from_secs(20);
/// The whole test, likewise.
const TEST_LIMIT: Duration = Duration::from_secs(60);
/// Big enough to hold every event of a run without lagging.
const EVENT_CAPACITY: usize = 1 << 17;
/// Starts the message of every planned panic, so the panic hook can keep them quiet.
const PLANNED: &str = "chaos: planned failure";

// ---------------------------------------------------------------------------------------
// A small deterministic PRNG (xorshift64*, seeded through splitmix64).

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(z | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).expect("an index fits in usize")
    }
}

fn seed() -> u64 {
    let seed = match std::env::var("CHAOS_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("CHAOS_SEED={text:?} is not a u64"))
        }
        Err(_) => DEFAULT_SEED,
    };
    eprintln!("chaos seed: {seed:#x} (rerun with CHAOS_SEED={seed:#x})");
    seed
}

/// Keeps the planned panics out of the test output (there are hundreds); any other panic
/// still goes to the default hook.
fn quiet_planned_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            if !message.is_some_and(|message| message.starts_with(PLANNED)) {
                default(info);
            }
        }));
    });
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------
// The actors.

/// What outlives a worker's restarts: created by the test, captured by the worker's props.
#[derive(Debug)]
struct Probe {
    /// The worker's index among all workers.
    index: usize,
    /// Every message the worker handled without failing, as (sender, seq), across restarts.
    journal: Mutex<Vec<(u32, u64)>>,
    pre_restarts: AtomicU32,
    post_restarts: AtomicU32,
    /// Anything the worker saw that it should not have.
    anomalies: Mutex<Vec<String>>,
}

impl Probe {
    fn new(index: usize) -> Arc<Self> {
        Arc::new(Probe {
            index,
            journal: Mutex::new(Vec::new()),
            pre_restarts: AtomicU32::new(0),
            post_restarts: AtomicU32::new(0),
            anomalies: Mutex::new(Vec::new()),
        })
    }
}

/// Records what it is sent; panics when told to.
#[actor(mailbox = 16)]
struct Worker {
    probe: Arc<Probe>,
    /// What this instance handled: lost on restart, so it proves a worker that never
    /// failed kept its state all along.
    records: Vec<(u32, u64)>,
}

impl Worker {
    fn new(probe: Arc<Probe>) -> Self {
        Worker {
            probe,
            records: Vec::new(),
        }
    }

    fn handle_work(&mut self, sender: u32, seq: u64, fail: bool) -> u64 {
        if fail {
            panic!("{PLANNED}: sender {sender} seq {seq}");
        }
        self.records.push((sender, seq));
        lock(&self.probe.journal).push((sender, seq));
        seq
    }
}

#[actor]
impl Worker {
    /// Records `seq` from `sender`, or panics if `fail`.
    #[message]
    fn work(&mut self, sender: u32, seq: u64, fail: bool) -> u64 {
        self.handle_work(sender, seq, fail)
    }

    /// As `work`, after a round trip to `echo`: the panic happens in an async handler that
    /// awaited another actor first.
    #[message]
    async fn work_after_echo(
        &mut self,
        sender: u32,
        seq: u64,
        fail: bool,
        echo: ActorRef<Echo>,
    ) -> u64 {
        let index = self.probe.index;
        if let Err(err) = echo.ping(index).timeout(ASK_LIMIT).await {
            lock(&self.probe.anomalies).push(format!("ping {seq} from {sender}: {err:?}"));
        }
        self.handle_work(sender, seq, fail)
    }

    /// What this instance handled.
    #[message]
    fn records(&self) -> Vec<(u32, u64)> {
        self.records.clone()
    }

    #[pre_restart]
    fn before_restart(&mut self) {
        self.probe.pre_restarts.fetch_add(1, Ordering::Relaxed);
    }

    #[post_restart]
    fn after_restart(&mut self) {
        self.probe.post_restarts.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts pings per worker; never fails.
#[actor]
struct Echo {
    pings: HashMap<usize, u64>,
}

#[actor]
impl Echo {
    #[message]
    fn ping(&mut self, worker: usize) -> u64 {
        let count = self.pings.entry(worker).or_default();
        *count += 1;
        *count
    }

    #[message]
    fn pings(&self) -> HashMap<usize, u64> {
        self.pings.clone()
    }
}

/// Restarts every failure: the runs stay far under this intensity.
fn generous() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        .max_restarts(10_000)
        .within(Duration::from_secs(3600))
}

/// At most [`FRAGILE_INTENSITY`] restarts (the window is longer than any run), then the
/// failure escalates.
fn strict() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        .max_restarts(FRAGILE_INTENSITY)
        .within(Duration::from_secs(3600))
}

/// A supervisor's workers (one per probe) and its echo.
#[derive(Default)]
struct Staff {
    workers: Vec<ActorRef<Worker>>,
    echo: Option<ActorRef<Echo>>,
    errors: Vec<String>,
}

impl Staff {
    fn hire<A: Actor>(ctx: &mut Context<A>, probes: &[Arc<Probe>]) -> Self {
        let mut staff = Staff::default();
        for (slot, probe) in probes.iter().enumerate() {
            let probe = Arc::clone(probe);
            let props =
                Props::new(move || Worker::new(Arc::clone(&probe))).name(format!("w-{slot:02}"));
            match ctx.spawn(props) {
                Ok(worker) => staff.workers.push(worker),
                Err(err) => staff.errors.push(format!("worker {slot}: {err}")),
            }
        }
        let echo = Props::new(|| Echo {
            pings: HashMap::new(),
        });
        match ctx.spawn(echo.name("echo")) {
            Ok(echo) => staff.echo = Some(echo),
            Err(err) => staff.errors.push(format!("echo: {err}")),
        }
        staff
    }

    fn report(&self) -> Result<(Vec<ActorRef<Worker>>, ActorRef<Echo>), String> {
        match (&self.echo, self.errors.is_empty()) {
            (Some(echo), true) => Ok((self.workers.clone(), echo.clone())),
            _ => Err(self.errors.join("; ")),
        }
    }
}

/// A mid-level supervisor that restarts every failure.
#[actor(supervisor = generous)]
struct Mid {
    probes: Vec<Arc<Probe>>,
    staff: Staff,
}

#[actor]
impl Mid {
    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        self.staff = Staff::hire(ctx, &self.probes);
    }

    /// Its workers and its echo.
    #[message]
    fn staff(&self) -> Result<(Vec<ActorRef<Worker>>, ActorRef<Echo>), String> {
        self.staff.report()
    }
}

/// A mid-level supervisor that gives up after [`FRAGILE_INTENSITY`] restarts.
#[actor(supervisor = strict)]
struct FragileMid {
    probes: Vec<Arc<Probe>>,
    staff: Staff,
}

#[actor]
impl FragileMid {
    /// Also runs after a restart (there is no `post_restart`): the new instance hires anew.
    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        self.staff = Staff::hire(ctx, &self.probes);
    }

    /// Its workers and its echo.
    #[message]
    fn staff(&self) -> Result<(Vec<ActorRef<Worker>>, ActorRef<Echo>), String> {
        self.staff.report()
    }
}

/// Every worker of the mids, in probe order, and every echo.
type AllStaff = (Vec<ActorRef<Worker>>, Vec<ActorRef<Echo>>);

/// The root of the tree: the mid-level supervisors, and a fragile one if planned.
#[actor(supervisor = generous)]
struct Root {
    /// The probes of each mid's workers.
    plan: Vec<Vec<Arc<Probe>>>,
    /// The probes of the fragile mid's workers, if there is one.
    fragile: Option<Vec<Arc<Probe>>>,
    mids: Vec<ActorRef<Mid>>,
    errors: Vec<String>,
}

#[actor]
impl Root {
    #[started]
    fn open(&mut self, ctx: &mut Context<Self>) {
        for (index, probes) in self.plan.iter().enumerate() {
            let probes = probes.clone();
            let props = Props::new(move || Mid {
                probes: probes.clone(),
                staff: Staff::default(),
            });
            match ctx.spawn(props.name(format!("mid-{index:02}"))) {
                Ok(mid) => self.mids.push(mid),
                Err(err) => self.errors.push(format!("mid {index}: {err}")),
            }
        }
        if let Some(probes) = self.fragile.clone() {
            let props = Props::new(move || FragileMid {
                probes: probes.clone(),
                staff: Staff::default(),
            });
            if let Err(err) = ctx.spawn(props.name("fragile")) {
                self.errors.push(format!("fragile: {err}"));
            }
        }
    }

    /// Every worker of the mids (in probe order) and every echo.
    #[message]
    async fn staff(&self) -> Result<AllStaff, String> {
        if !self.errors.is_empty() {
            return Err(self.errors.join("; "));
        }
        let mut workers = Vec::new();
        let mut echoes = Vec::new();
        for mid in &self.mids {
            let (staff, echo) = mid
                .staff()
                .timeout(ASK_LIMIT)
                .await
                .map_err(|err| format!("{}: {err:?}", mid.path()))??;
            workers.extend(staff);
            echoes.push(echo);
        }
        Ok((workers, echoes))
    }
}

// ---------------------------------------------------------------------------------------
// The tree, the load, and the checks.

/// A running tree and what the test knows about it.
struct Tree {
    seed: u64,
    system: ActorSystem,
    /// Subscribed before the root was spawned, so it sees every event.
    events: broadcast::Receiver<SystemEvent>,
    root: ActorRef<Root>,
    /// The mids' workers, in probe order, and their probes.
    workers: Arc<Vec<ActorRef<Worker>>>,
    probes: Vec<Arc<Probe>>,
    /// Which of the mids' workers get failures; the others never do.
    fragile: Arc<Vec<bool>>,
    echoes: Arc<Vec<ActorRef<Echo>>>,
    /// The root and every mid (not the fragile one), by id.
    healthy_supervisors: HashMap<ActorId, String>,
}

impl Tree {
    /// Spawns the root, which spawns [`MIDS`] mids of [`WORKERS_PER_MID`] workers and one
    /// echo each, plus a fragile mid with workers for `fragile_probes`, if given.
    async fn build(seed: u64, fragile_probes: Option<Vec<Arc<Probe>>>) -> Tree {
        let system = ActorSystem::builder()
            .name("chaos")
            .ask_timeout(ASK_LIMIT)
            .shutdown_timeout(ASK_LIMIT)
            .event_capacity(EVENT_CAPACITY)
            .build()
            .unwrap();
        let events = system.events();
        let total = MIDS * WORKERS_PER_MID;
        let probes: Vec<Arc<Probe>> = (0..total).map(Probe::new).collect();
        let plan: Vec<Vec<Arc<Probe>>> = probes
            .chunks(WORKERS_PER_MID)
            .map(<[Arc<Probe>]>::to_vec)
            .collect();
        let root = system
            .spawn(
                Props::new(move || Root {
                    plan: plan.clone(),
                    fragile: fragile_probes.clone(),
                    mids: Vec::new(),
                    errors: Vec::new(),
                })
                .name("root"),
            )
            .expect("spawn the root");
        let (workers, echoes) = root
            .staff()
            .timeout(ASK_LIMIT)
            .await
            .expect("ask the root for its staff")
            .expect("build the tree");
        assert_eq!(workers.len(), total);
        assert_eq!(echoes.len(), MIDS);
        let mut healthy_supervisors: HashMap<ActorId, String> = (0..MIDS)
            .map(|index| {
                let path = format!("/user/root/mid-{index:02}");
                let mid = system.lookup::<Mid>(&path).expect("look up a mid");
                (mid.id(), path)
            })
            .collect();
        healthy_supervisors.insert(root.id(), root.path().to_owned());
        let mut rng = Rng::new(seed, u64::MAX);
        let fragile: Vec<bool> = (0..total).map(|_| rng.below(2) == 0).collect();
        Tree {
            seed,
            system,
            events,
            root,
            workers: Arc::new(workers),
            probes,
            fragile: Arc::new(fragile),
            echoes: Arc::new(echoes),
            healthy_supervisors,
        }
    }

    /// Actors in the tree of mids: the root, and each mid with its workers and echo.
    fn healthy_actors() -> usize {
        1 + MIDS * (1 + WORKERS_PER_MID + 1)
    }

    /// Takes every event already published.
    fn drain_events(&mut self, counts: &mut EventCounts) {
        loop {
            match self.events.try_recv() {
                Ok(event) => counts.add(event),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
                Err(TryRecvError::Lagged(missed)) => {
                    panic!("the event stream lagged by {missed}: raise EVENT_CAPACITY")
                }
            }
        }
    }

    /// Waits for the next event, however long a hang takes to hit the test's limit.
    async fn next_event(&mut self, counts: &mut EventCounts) {
        match self.events.recv().await {
            Ok(event) => counts.add(event),
            Err(err) => panic!("the event stream failed: {err:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `work`: the panic happens in a sync handler.
    Sync,
    /// `work_after_echo`: the panic happens in an async handler, after awaiting an echo.
    AsyncAfterAsk,
}

/// What one sender did and saw.
struct Tally {
    sender: u32,
    /// Per worker: the seqs of the messages sent without `fail`, in sending order.
    sent: Vec<Vec<u64>>,
    /// Per worker: the messages sent with `fail`.
    failures: Vec<u32>,
    /// Per worker: all messages sent (each pings an echo once in the async mode).
    messages: Vec<u64>,
    asks: u64,
    replies: u64,
    failed: u64,
    tells: u64,
    /// Every outcome that was not the expected one.
    unexpected: Vec<String>,
}

impl Tally {
    fn new(sender: u32, workers: usize) -> Self {
        Tally {
            sender,
            sent: vec![Vec::new(); workers],
            failures: vec![0; workers],
            messages: vec![0; workers],
            asks: 0,
            replies: 0,
            failed: 0,
            tells: 0,
            unexpected: Vec::new(),
        }
    }

    /// Sends one message to `worker` (index `target`), as a tell or as an ask, and records
    /// it and any outcome that is not the planned one: an ask must get its reply, or
    /// `Failed` with the planned panic if `fail`.
    async fn send(
        &mut self,
        worker: &ActorRef<Worker>,
        target: usize,
        seq: u64,
        fail: bool,
        ask: bool,
        echo: Option<ActorRef<Echo>>,
    ) {
        let sender = self.sender;
        self.messages[target] += 1;
        if fail {
            self.failures[target] += 1;
        } else {
            self.sent[target].push(seq);
        }
        let request = match echo {
            None => worker.work(sender, seq, fail),
            Some(echo) => worker.work_after_echo(sender, seq, fail, echo),
        };
        if !ask {
            self.tells += 1;
            if let Err(err) = request.tell().await {
                let path = worker.path();
                self.unexpected
                    .push(format!("tell {seq} to {path}: {err:?}"));
            }
            return;
        }
        self.asks += 1;
        match (request.timeout(ASK_LIMIT).await, fail) {
            (Ok(reply), false) if reply == seq => self.replies += 1,
            (Err(AskError::Failed(failure)), true)
                if failure.kind() == FailureKind::HandlerPanic
                    && failure.message().starts_with(PLANNED) =>
            {
                self.failed += 1;
            }
            (outcome, fail) => self.unexpected.push(format!(
                "ask {seq} (fail: {fail}) to {}: {outcome:?}",
                worker.path()
            )),
        }
    }
}

/// One sender: [`STEPS`] times, picks a worker (a hot one half the time), tells it 0 to 3
/// messages and asks it one, each failing with probability `1 / FAIL_ONE_IN` if the worker
/// is fragile. Every tell and ask is awaited before the next, so the tells pile up in the
/// worker's mailbox in order, and the ask's reply says they were all handled.
async fn drive(
    sender: u32,
    mut rng: Rng,
    mode: Mode,
    workers: Arc<Vec<ActorRef<Worker>>>,
    fragile: Arc<Vec<bool>>,
    echoes: Arc<Vec<ActorRef<Echo>>>,
) -> Tally {
    let mut tally = Tally::new(sender, workers.len());
    let mut seq = 0u64;
    for _ in 0..STEPS {
        // Half the steps go to the hot tenth of the workers, so that messages queue up
        // behind the failing ones.
        let target = if rng.below(2) == 0 {
            rng.index(workers.len().div_ceil(HOT_ONE_IN)) * HOT_ONE_IN
        } else {
            rng.index(workers.len())
        };
        let tells = rng.below(4);
        for k in 0..=tells {
            seq += 1;
            let fail = fragile[target] && rng.below(FAIL_ONE_IN) == 0;
            let echo = match mode {
                Mode::Sync => None,
                Mode::AsyncAfterAsk => Some(echoes[rng.index(echoes.len())].clone()),
            };
            tally
                .send(&workers[target], target, seq, fail, k == tells, echo)
                .await;
        }
    }
    tally
}

/// Runs [`CLIENTS`] client tasks of [`LANES`] concurrent senders each, all at once, and
/// returns what each sender did, by sender.
async fn run_load(tree: &Tree, mode: Mode) -> Vec<Tally> {
    let mut clients = JoinSet::new();
    for client in 0..CLIENTS {
        let workers = Arc::clone(&tree.workers);
        let fragile = Arc::clone(&tree.fragile);
        let echoes = Arc::clone(&tree.echoes);
        let seed = tree.seed;
        clients.spawn(async move {
            let mut lanes = JoinSet::new();
            for lane in 0..LANES {
                let sender = u32::try_from(client * LANES + lane).expect("few senders");
                lanes.spawn(drive(
                    sender,
                    Rng::new(seed, u64::from(sender)),
                    mode,
                    Arc::clone(&workers),
                    Arc::clone(&fragile),
                    Arc::clone(&echoes),
                ));
            }
            let mut tallies = Vec::new();
            while let Some(tally) = lanes.join_next().await {
                tallies.push(tally.expect("a sender panicked"));
            }
            tallies
        });
    }
    let mut tallies = Vec::new();
    while let Some(client) = clients.join_next().await {
        tallies.extend(client.expect("a client panicked"));
    }
    tallies.sort_by_key(|tally| tally.sender);
    tallies
}

/// Checks that every ask resolved as planned, and returns the planned failures per worker.
fn check_outcomes(tallies: &[Tally], seed: u64, what: &str) -> Vec<u32> {
    let unexpected: Vec<&String> = tallies.iter().flat_map(|t| &t.unexpected).collect();
    assert!(
        unexpected.is_empty(),
        "{what}: {} unexpected outcomes (seed {seed:#x}), first: {:#?}",
        unexpected.len(),
        &unexpected[..unexpected.len().min(10)]
    );
    let asks: u64 = tallies.iter().map(|t| t.asks).sum();
    let replies: u64 = tallies.iter().map(|t| t.replies).sum();
    let failed: u64 = tallies.iter().map(|t| t.failed).sum();
    let tells: u64 = tallies.iter().map(|t| t.tells).sum();
    assert_eq!(replies + failed, asks, "{what}: every ask resolves");
    let workers = tallies.first().map_or(0, |t| t.failures.len());
    let failures: Vec<u32> = (0..workers)
        .map(|w| tallies.iter().map(|t| t.failures[w]).sum())
        .collect();
    let planned: u32 = failures.iter().sum();
    eprintln!(
        "{what}: {} senders, {asks} asks ({replies} replies, {failed} failed), {tells} tells, \
         {planned} planned failures",
        tallies.len()
    );
    failures
}

/// What the event stream said.
#[derive(Default)]
struct EventCounts {
    failed: HashMap<ActorId, Vec<Failure>>,
    /// (supervisor, child, directive), in order.
    decisions: Vec<(Option<ActorId>, ActorId, Directive)>,
    restarted: HashMap<ActorId, u32>,
    stopped: HashMap<ActorId, StopReason>,
    dead_letters: u64,
    unknown: Vec<String>,
}

impl EventCounts {
    fn add(&mut self, event: SystemEvent) {
        match event {
            SystemEvent::Failed { actor, failure, .. } => {
                self.failed.entry(actor).or_default().push(failure);
            }
            SystemEvent::Decided {
                supervisor,
                child,
                directive,
                ..
            } => self.decisions.push((supervisor, child, directive)),
            SystemEvent::Restarted { actor, .. } => {
                *self.restarted.entry(actor).or_default() += 1;
            }
            SystemEvent::Stopped { actor, reason, .. } => {
                if let Some(earlier) = self.stopped.insert(actor, reason) {
                    self.unknown
                        .push(format!("{actor} stopped twice, first {earlier:?}"));
                }
            }
            SystemEvent::DeadLetter(_) => self.dead_letters += 1,
            other => self.unknown.push(format!("{other:?}")),
        }
    }

    fn failed(&self, id: ActorId) -> usize {
        self.failed.get(&id).map_or(0, Vec::len)
    }

    fn restarted(&self, id: ActorId) -> u32 {
        self.restarted.get(&id).copied().unwrap_or(0)
    }

    fn decisions_about(&self, child: ActorId) -> Vec<(Option<ActorId>, Directive)> {
        self.decisions
            .iter()
            .filter(|(_, c, _)| *c == child)
            .map(|&(supervisor, _, directive)| (supervisor, directive))
            .collect()
    }
}

/// Checks the mids' workers after the load: nothing lost, restarts matching the failures,
/// and no decision in the healthy tree but the restarts of its workers.
async fn check_workers(
    tree: &mut Tree,
    tallies: &[Tally],
    failures: &[u32],
    counts: &mut EventCounts,
) {
    let seed = tree.seed;
    // Asked after all the load: each reply also means that the restarts after all of
    // that worker's failures are done, and their events published.
    let mut records = Vec::with_capacity(tree.workers.len());
    for worker in tree.workers.iter() {
        let path = worker.path();
        let handled = worker
            .records()
            .timeout(ASK_LIMIT)
            .await
            .unwrap_or_else(|err| panic!("records of {path}: {err:?}"));
        records.push(handled);
    }
    tree.drain_events(counts);
    let workers: HashMap<ActorId, usize> = tree
        .workers
        .iter()
        .enumerate()
        .map(|(w, worker)| (worker.id(), w))
        .collect();
    for (w, worker) in tree.workers.iter().enumerate() {
        let probe = &tree.probes[w];
        let path = worker.path();
        let anomalies = lock(&probe.anomalies);
        assert!(anomalies.is_empty(), "{path}: {anomalies:?}");

        // No message lost, duplicated or reordered: per sender, the journal holds exactly
        // the seqs sent without `fail`, in order. The mailbox outlives restarts, so this
        // holds for the workers that failed too.
        let journal = lock(&probe.journal);
        for tally in tallies {
            let got: Vec<u64> = journal
                .iter()
                .filter(|(sender, _)| *sender == tally.sender)
                .map(|&(_, seq)| seq)
                .collect();
            assert_eq!(
                got, tally.sent[w],
                "{path}: the messages handled from sender {} (seed {seed:#x})",
                tally.sender
            );
        }

        // Every failure restarted the worker once: in its hooks and in the events.
        let expected = failures[w];
        let id = worker.id();
        let restarts = counts
            .decisions_about(id)
            .iter()
            .filter(|(supervisor, directive)| {
                supervisor.is_some_and(|s| {
                    s != tree.root.id() && tree.healthy_supervisors.contains_key(&s)
                }) && *directive == Directive::Restart
            })
            .count();
        let seen = [
            ("pre_restart", probe.pre_restarts.load(Ordering::Relaxed)),
            ("post_restart", probe.post_restarts.load(Ordering::Relaxed)),
            (
                "Failed events",
                u32::try_from(counts.failed(id)).unwrap_or(u32::MAX),
            ),
            (
                "Restart decisions",
                u32::try_from(restarts).unwrap_or(u32::MAX),
            ),
            ("Restarted events", counts.restarted(id)),
        ];
        for (what, n) in seen {
            assert_eq!(
                n, expected,
                "{path}: {what} vs planned failures (seed {seed:#x})"
            );
        }

        // A worker that never failed was never restarted: its own state has it all.
        if expected == 0 {
            assert_eq!(
                records[w], *journal,
                "{path}: state of a worker that never failed"
            );
        }
    }
    // The mids decided only restarts, and only of their workers; none of the healthy
    // supervisors failed, stopped or restarted.
    for (supervisor, child, directive) in &counts.decisions {
        if supervisor
            .is_some_and(|s| s != tree.root.id() && tree.healthy_supervisors.contains_key(&s))
        {
            assert!(
                *directive == Directive::Restart && workers.contains_key(child),
                "unexpected decision {directive:?} about {child} by {supervisor:?}"
            );
        }
    }
    for (id, path) in &tree.healthy_supervisors {
        assert_eq!(counts.failed(*id), 0, "{path} failed");
        assert!(
            counts.decisions_about(*id).is_empty(),
            "{path} was decided about"
        );
        assert_eq!(counts.restarted(*id), 0, "{path} restarted");
        assert!(!counts.stopped.contains_key(id), "{path} stopped early");
    }
    for worker in tree.workers.iter() {
        assert!(
            !counts.stopped.contains_key(&worker.id()),
            "{} stopped early",
            worker.path()
        );
    }
    assert!(
        counts.unknown.is_empty(),
        "unexpected events: {:?}",
        counts.unknown
    );
}

/// In the async mode each message pinged one echo exactly once before its handler went on
/// (or panicked).
async fn check_echoes(tree: &Tree, tallies: &[Tally]) {
    let mut pinged = vec![0u64; tree.workers.len()];
    for echo in tree.echoes.iter() {
        let pings = echo.pings().timeout(ASK_LIMIT).await.expect("ask an echo");
        for (worker, n) in pings {
            pinged[worker] += n;
        }
    }
    for (w, n) in pinged.iter().enumerate() {
        let sent: u64 = tallies.iter().map(|t| t.messages[w]).sum();
        assert_eq!(*n, sent, "{}: echo pings", tree.workers[w].path());
    }
}

/// Shuts the system down and checks that every live actor stopped, none aborted and none
/// failed on the way.
async fn shutdown(mut tree: Tree, mut counts: EventCounts, dead_letters: u64) {
    tree.drain_events(&mut counts);
    assert_eq!(
        counts.dead_letters, dead_letters,
        "dead letters before shutdown"
    );
    assert_eq!(
        tree.system.dead_letter_count(),
        dead_letters,
        "dead letters before shutdown"
    );
    let alive = tree.system.actor_count();
    let stopped_before = counts.stopped.len();
    let report = tree.system.shutdown().await;
    assert_eq!(report.aborted, 0, "aborted at shutdown: {report:?}");
    assert_eq!(report.stopped, alive, "stopped at shutdown: {report:?}");
    assert_eq!(tree.system.actor_count(), 0, "alive after shutdown");
    assert!(!tree.root.is_alive());
    for worker in tree.workers.iter() {
        assert!(!worker.is_alive(), "{} outlived shutdown", worker.path());
    }
    // Each actor publishes its `Stopped` event just after it says it stopped.
    let before: Vec<ActorId> = counts.stopped.keys().copied().collect();
    while counts.stopped.len() < stopped_before + alive {
        tree.next_event(&mut counts).await;
    }
    tree.drain_events(&mut counts);
    assert_eq!(counts.stopped.len(), stopped_before + alive);
    let bad: Vec<_> = counts
        .stopped
        .iter()
        .filter(|(id, reason)| {
            !before.contains(id) && matches!(reason, StopReason::Failed(_) | StopReason::Aborted)
        })
        .collect();
    assert!(bad.is_empty(), "bad stop reasons at shutdown: {bad:?}");
    assert_eq!(
        counts.dead_letters, dead_letters,
        "dead letters at shutdown"
    );
    assert_eq!(
        tree.system.dead_letter_count(),
        dead_letters,
        "dead letters at shutdown"
    );
    assert!(
        counts.unknown.is_empty(),
        "unexpected events: {:?}",
        counts.unknown
    );
}

/// Random panics under load in the tree of mids, all within the restart intensity.
async fn chaos(mode: Mode) {
    quiet_planned_panics();
    let mut tree = Tree::build(seed(), None).await;
    assert_eq!(tree.system.actor_count(), Tree::healthy_actors());
    let tallies = run_load(&tree, mode).await;
    let failures = check_outcomes(&tallies, tree.seed, &format!("chaos {mode:?}"));
    assert!(
        failures.iter().sum::<u32>() > 0,
        "the seed planned no failure"
    );
    let mut counts = EventCounts::default();
    check_workers(&mut tree, &tallies, &failures, &mut counts).await;
    if mode == Mode::AsyncAfterAsk {
        check_echoes(&tree, &tallies).await;
    }
    let restarts = u32::try_from(counts.decisions.len()).unwrap_or(u32::MAX);
    assert_eq!(
        restarts,
        failures.iter().sum::<u32>(),
        "one decision per failure"
    );
    assert_eq!(
        tree.system.actor_count(),
        Tree::healthy_actors(),
        "all alive"
    );
    shutdown(tree, counts, 0).await;
}

async fn bounded<F: std::future::Future<Output = ()>>(what: &str, test: F) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("{what} hung for {TEST_LIMIT:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_panics_in_sync_handlers_under_load() {
    bounded("the chaos test", chaos(Mode::Sync)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_panics_in_async_handlers_after_an_ask_under_load() {
    bounded("the chaos test", chaos(Mode::AsyncAfterAsk)).await;
}

// ---------------------------------------------------------------------------------------
// Beyond the restart intensity.

/// What the fragile mid's sender did, and which worker its last failure hit.
struct FragileRun {
    tally: Tally,
    escalated_on: usize,
}

/// One sender on the fragile mid's workers: tells that never fail, asks that fail one in
/// three, until the failure that exceeds the intensity. Sequential, and it waits for each
/// failure's restart before going on, so which failure escalates is known exactly. (A
/// failed ask resolves before the worker reports to its mid, so without the wait a later
/// failure of another worker may reach the mid first.)
async fn drive_fragile(mut rng: Rng, workers: &[ActorRef<Worker>]) -> FragileRun {
    let mut tally = Tally::new(FRAGILE_SENDER, workers.len());
    let mut seq = 0;
    for _ in 0..10_000 {
        let target = rng.index(workers.len());
        let worker = &workers[target];
        let tells = rng.below(4);
        let mut failed = false;
        for k in 0..=tells {
            seq += 1;
            let ask = k == tells;
            failed = ask && rng.below(3) == 0;
            tally.send(worker, target, seq, failed, ask, None).await;
        }
        if tally.failures.iter().sum::<u32>() > FRAGILE_INTENSITY {
            return FragileRun {
                tally,
                escalated_on: target,
            };
        }
        if failed {
            // Handled by the restarted instance, so after the mid's decision.
            if let Err(err) = worker.records().timeout(ASK_LIMIT).await {
                let path = worker.path();
                tally.unexpected.push(format!("records of {path}: {err:?}"));
            }
        }
    }
    panic!("the seed planned too few failures for the fragile mid");
}

/// The fragile mid, its workers, and what it took to exceed its intensity.
struct Escalation {
    mid: ActorRef<FragileMid>,
    old_workers: Vec<ActorRef<Worker>>,
    old_echo: ActorRef<Echo>,
    run: FragileRun,
    new_workers: Vec<ActorRef<Worker>>,
    probes: Vec<Arc<Probe>>,
}

/// Builds a tree with a fragile mid, fails its workers one more time than its intensity
/// allows (while `load` runs on the rest of the tree), and waits until the root has
/// restarted the fragile mid.
async fn escalate(
    tree: &Tree,
    probes: Vec<Arc<Probe>>,
    load: Option<Mode>,
) -> (Escalation, Vec<Tally>) {
    let mid = tree
        .system
        .lookup::<FragileMid>("/user/root/fragile")
        .expect("look up the fragile mid");
    let (old_workers, old_echo) = mid
        .staff()
        .timeout(ASK_LIMIT)
        .await
        .expect("ask the fragile mid")
        .expect("staff the fragile mid");
    assert_eq!(old_workers.len(), FRAGILE_WORKERS);
    // Its reply also means that it has spawned its workers and echo.
    assert_eq!(
        tree.system.actor_count(),
        Tree::healthy_actors() + FRAGILE_ACTORS
    );
    let rng = Rng::new(tree.seed, u64::from(FRAGILE_SENDER));
    let load = async {
        match load {
            Some(mode) => run_load(tree, mode).await,
            None => Vec::new(),
        }
    };
    let (tallies, run) = tokio::join!(load, drive_fragile(rng, &old_workers));
    check_outcomes(std::slice::from_ref(&run.tally), tree.seed, "fragile mid");

    // The worker that failed once too often stops for good, after its mid gave up on it...
    let escalated = &old_workers[run.escalated_on];
    match escalated.terminated().await {
        StopReason::Failed(failure) if failure.message().starts_with(PLANNED) => {}
        other => panic!("{} stopped with {other:?}", escalated.path()),
    }
    // ... so the mid is failing now, and this ask is handled by its new instance.
    let (new_workers, _) = mid
        .staff()
        .timeout(ASK_LIMIT)
        .await
        .expect("ask the restarted fragile mid")
        .expect("staff the restarted fragile mid");
    (
        Escalation {
            mid,
            old_workers,
            old_echo,
            run,
            new_workers,
            probes,
        },
        tallies,
    )
}

fn fragile_probes() -> Vec<Arc<Probe>> {
    (0..FRAGILE_WORKERS)
        .map(|i| Probe::new(MIDS * WORKERS_PER_MID + i))
        .collect()
}

/// Chaos in the tree of mids while a fragile mid next to them exceeds its intensity: the
/// fragile mid restarts its workers exactly `FRAGILE_INTENSITY` times, then escalates
/// once and is restarted by the root with new workers; the rest of the tree sees none of
/// it.
async fn intensity_exceeded() {
    quiet_planned_panics();
    let probes = fragile_probes();
    let mut tree = Tree::build(seed(), Some(probes.clone())).await;
    let (escalation, tallies) = escalate(&tree, probes, Some(Mode::Sync)).await;
    let Escalation {
        mid,
        old_workers,
        old_echo,
        run,
        new_workers,
        probes,
    } = escalation;
    let seed = tree.seed;
    let mut counts = EventCounts::default();

    // The old workers are gone: the escalated one failed, its siblings were stopped with
    // their mid. An ask to them hands the message back (and counts as a dead letter).
    for (w, old) in old_workers.iter().enumerate() {
        let reason = old.terminated().await;
        if w != run.escalated_on {
            assert_eq!(reason, StopReason::Requested, "{}", old.path());
        }
        assert!(
            matches!(
                old.records().timeout(ASK_LIMIT).await,
                Err(AskError::Closed(_))
            ),
            "{} answered after it stopped",
            old.path()
        );
        let new = &new_workers[w];
        assert_ne!(old.id(), new.id());
        assert_eq!(old.path(), new.path());
    }
    let dead_letters = u64::try_from(FRAGILE_WORKERS).unwrap_or(u64::MAX);

    // Nothing the fragile mid's workers were sent before the escalation was lost, and each
    // failure before the one that escalated restarted its worker exactly once.
    let failures = &run.tally.failures;
    for (w, probe) in probes.iter().enumerate() {
        let path = old_workers[w].path();
        let journal: Vec<u64> = lock(&probe.journal).iter().map(|&(_, seq)| seq).collect();
        assert_eq!(
            journal, run.tally.sent[w],
            "{path}: handled (seed {seed:#x})"
        );
        let restarts = failures[w] - u32::from(w == run.escalated_on);
        assert_eq!(
            probe.pre_restarts.load(Ordering::Relaxed),
            restarts,
            "{path}"
        );
        assert_eq!(
            probe.post_restarts.load(Ordering::Relaxed),
            restarts,
            "{path}"
        );
    }

    // The events: per old worker, one `Failed` per failure and one decision each, all
    // restarts but the last, which escalated; the root restarted the fragile mid once.
    tree.drain_events(&mut counts);
    let mut restarts = 0;
    for (w, old) in old_workers.iter().enumerate() {
        let path = old.path();
        let expected = usize::try_from(failures[w]).unwrap_or(usize::MAX);
        assert_eq!(counts.failed(old.id()), expected, "{path}: Failed events");
        let decisions = counts.decisions_about(old.id());
        assert_eq!(decisions.len(), expected, "{path}: decisions {decisions:?}");
        for (i, (supervisor, directive)) in decisions.iter().enumerate() {
            assert_eq!(
                *supervisor,
                Some(mid.id()),
                "{path}: decided by {supervisor:?}"
            );
            let last = w == run.escalated_on && i + 1 == expected;
            let want = if last {
                Directive::Escalate
            } else {
                Directive::Restart
            };
            assert_eq!(*directive, want, "{path}: decision {i} of {expected}");
            restarts += u32::from(!last);
        }
        let restarted = counts.restarted(old.id()) as usize;
        assert_eq!(
            restarted,
            expected - usize::from(w == run.escalated_on),
            "{path}"
        );
    }
    assert_eq!(restarts, FRAGILE_INTENSITY, "restarts by the fragile mid");
    assert_eq!(
        counts.decisions_about(mid.id()),
        [(Some(tree.root.id()), Directive::Restart)],
        "the root's decisions about the fragile mid"
    );
    let mid_failures = counts.failed.get(&mid.id()).cloned().unwrap_or_default();
    assert!(
        matches!(&mid_failures[..], [failure] if failure.kind() == FailureKind::Escalated),
        "the fragile mid's failures: {mid_failures:?}"
    );
    assert_eq!(
        counts.restarted(mid.id()),
        1,
        "the fragile mid restarted once"
    );

    // The new workers start afresh and work.
    for (w, new) in new_workers.iter().enumerate() {
        let seq = 1_000_000 + w as u64;
        let reply = new
            .work(FRAGILE_SENDER, seq, false)
            .timeout(ASK_LIMIT)
            .await;
        assert_eq!(reply.ok(), Some(seq), "{}", new.path());
        let records = new
            .records()
            .timeout(ASK_LIMIT)
            .await
            .expect("ask a new worker");
        assert_eq!(records, [(FRAGILE_SENDER, seq)], "{}", new.path());
    }

    // The rest of the tree went through its own chaos untouched.
    let failures = check_outcomes(&tallies, seed, "chaos next to the fragile mid");
    check_workers(&mut tree, &tallies, &failures, &mut counts).await;
    let root_decisions: Vec<_> = counts
        .decisions
        .iter()
        .filter(|(supervisor, _, _)| *supervisor == Some(tree.root.id()))
        .collect();
    assert_eq!(
        root_decisions.len(),
        1,
        "the root decided only about the fragile mid"
    );
    assert_eq!(
        tree.system.actor_count(),
        Tree::healthy_actors() + FRAGILE_ACTORS,
        "the tree after the fragile mid's restart"
    );
    // The old fragile subtree's `Stopped` events: each publishes it just after it stopped.
    assert_eq!(old_echo.terminated().await, StopReason::Requested);
    let mut old_ids: Vec<ActorId> = old_workers.iter().map(ActorRef::id).collect();
    old_ids.push(old_echo.id());
    while !old_ids.iter().all(|id| counts.stopped.contains_key(id)) {
        tree.next_event(&mut counts).await;
    }
    shutdown(tree, counts, dead_letters).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceeding_the_intensity_escalates_once_and_spares_the_rest_of_the_tree() {
    bounded("the intensity chaos test", intensity_exceeded()).await;
}

/// After a supervisor is restarted for exceeding its intensity, its new instance (with new
/// children) starts with a fresh restart window, as a restarted OTP supervisor (a new
/// process) and an Akka parent (whose new children have new restart statistics) do.
async fn fresh_window_after_restart() {
    quiet_planned_panics();
    let probes = fragile_probes();
    let mut tree = Tree::build(seed(), Some(probes.clone())).await;
    let (escalation, _) = escalate(&tree, probes, None).await;
    let Escalation {
        mid, new_workers, ..
    } = escalation;
    let worker = &new_workers[0];
    let outcome = worker
        .work(FRAGILE_SENDER, 1, true)
        .timeout(ASK_LIMIT)
        .await;
    assert!(matches!(outcome, Err(AskError::Failed(_))), "{outcome:?}");
    let after = worker
        .work(FRAGILE_SENDER, 2, false)
        .timeout(ASK_LIMIT)
        .await;
    let mut counts = EventCounts::default();
    tree.drain_events(&mut counts);
    assert_eq!(
        counts.decisions_about(worker.id()),
        [(Some(mid.id()), Directive::Restart)],
        "the new instance's first failure of a child (after: {after:?})"
    );
    assert_eq!(after.ok(), Some(2), "the restarted worker answers");
    assert_eq!(
        counts.restarted(mid.id()),
        1,
        "the fragile mid restarted once only"
    );
    let report = tree.system.shutdown().await;
    assert_eq!(report.aborted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_restarted_for_its_intensity_starts_a_fresh_window() {
    bounded("the fresh window test", fresh_window_after_restart()).await;
}

// ---------------------------------------------------------------------------------------
// Messages racing a stop.

/// Rounds of the stop race: each spawns a worker, lets [`RACERS`] senders at it, and
/// fails it, so that the guardian stops it while they keep sending.
const STOP_RACES: u64 = 10_000;
const RACERS: u32 = 16;
/// A racer asks every this-many-th message, and tells the others.
const ASK_EVERY: u64 = 64;

/// What one racer sent to a worker that stops under it.
struct Race {
    sender: u32,
    /// `work` messages sent or refused, tells and asks.
    attempts: u64,
    /// The seqs of its asks that got their reply.
    replied: Vec<u64>,
    unexpected: Vec<String>,
}

/// Sends tells to `worker` as fast as it can, and every [`ASK_EVERY`]-th message an ask,
/// until the worker refuses them or an ask was dropped with its stop.
async fn race(sender: u32, worker: ActorRef<Worker>) -> Race {
    let mut race = Race {
        sender,
        attempts: 0,
        replied: Vec::new(),
        unexpected: Vec::new(),
    };
    for seq in 1..=1_000_000 {
        race.attempts += 1;
        let request = worker.work(sender, seq, false);
        if seq % ASK_EVERY != 0 {
            if request.tell().await.is_err() {
                return race;
            }
            continue;
        }
        match request.await {
            Ok(reply) if reply == seq => race.replied.push(seq),
            Err(AskError::Closed(_) | AskError::Stopped) => return race,
            outcome => {
                let status = worker.status();
                race.unexpected.push(format!(
                    "ask {seq} from {sender}: {outcome:?} (the worker is {status:?})"
                ));
                return race;
            }
        }
    }
    race.unexpected
        .push(format!("{sender}: the worker never stopped"));
    race
}

/// Every message sent to an actor that fails and is stopped under a stream of messages is
/// either handled or a dead letter, and every ask resolves with its reply or a typed
/// error.
async fn messages_racing_a_stop() {
    quiet_planned_panics();
    let system = ActorSystem::builder()
        .name("stop-race")
        .ask_timeout(ASK_LIMIT)
        .shutdown_timeout(ASK_LIMIT)
        // The guardian's default restarts a failed actor; this test is about a stop.
        .guardian_strategy(SupervisorStrategy::one_for_one().decider(|_| Directive::Stop))
        .build()
        .unwrap();
    let mut lost = Vec::new();
    for round in 0..STOP_RACES {
        let probe = Probe::new(0);
        let factory_probe = Arc::clone(&probe);
        let props = Props::new(move || Worker::new(Arc::clone(&factory_probe)))
            .mailbox(MailboxConfig::unbounded());
        let worker = system.spawn(props).expect("spawn a worker");
        let dead_before = system.dead_letter_count();
        let mut racers = JoinSet::new();
        for sender in 0..RACERS {
            racers.spawn(race(sender, worker.clone()));
        }
        // Let the racers start, more or less each round.
        for _ in 0..round % 16 {
            tokio::task::yield_now().await;
        }
        // It fails, and the guardian stops it (no `stop_now` from outside, which would
        // refuse new messages at once, before the mailbox closes).
        let _ = worker.work(u32::MAX, 0, true).tell().await;
        match worker.terminated().await {
            StopReason::Failed(_) => {}
            other => panic!("round {round}: the worker stopped with {other:?}"),
        }
        let journal = lock(&probe.journal).clone();
        let mut attempts = 0;
        while let Some(race) = racers.join_next().await {
            let race = race.expect("a racer panicked");
            attempts += race.attempts;
            lost.extend(race.unexpected);
            // An ask was handled exactly when it got its reply.
            let asked: Vec<u64> = journal
                .iter()
                .filter(|&&(sender, seq)| sender == race.sender && seq % ASK_EVERY == 0)
                .map(|&(_, seq)| seq)
                .collect();
            if asked != race.replied {
                lost.push(format!(
                    "round {round}, racer {}: asks handled {asked:?}, replied {:?}",
                    race.sender, race.replied
                ));
            }
        }
        let handled = journal.len() as u64;
        let dead = system.dead_letter_count() - dead_before;
        if handled + dead != attempts {
            lost.push(format!(
                "round {round}: {attempts} sent, {handled} handled, {dead} dead letters"
            ));
        }
        if lost.len() >= 5 {
            break;
        }
    }
    assert!(
        lost.is_empty(),
        "messages neither handled nor dead letters: {lost:#?}"
    );
    let report = system.shutdown().await;
    assert_eq!(report.aborted, 0);
}

// More threads than cores, so that a sender is preempted now and then in the middle of a
// send: that is the window of the race.
#[tokio::test(flavor = "multi_thread", worker_threads = 16)]
async fn messages_racing_the_stop_of_a_failed_actor_are_handled_or_dead_letters() {
    bounded("the stop race", messages_racing_a_stop()).await;
}
