//! Remote actors on a simulated network: nodes on turmoil hosts, quinn on turmoil's UDP
//! through [`SimSocket`], seeded message latencies, partitions made and repaired at chosen
//! moments, and simulated time, so a scenario replays from its seed.
//!
//! turmoil's hosts have virtual addresses (192.168.0.0/16) that exist only inside the
//! simulation: no datagram leaves the process. Every wait is bounded in simulated time
//! (`within`), every retry loop by a count, and each simulation by its duration.
//!
//! What happens is recorded as (simulated milliseconds, event) pairs from every host in
//! one log, and the assertions read the log: a partition that outlasts the idle timeout
//! takes the link down on both sides within a stated bound, a shorter one loses nothing,
//! and the same seed gives the same log.

#[path = "turmoil/socket.rs"]
mod socket;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_cluster::{Credentials, Node};
use actor_core::prelude::*;
use actor_core::RemoteError;

use socket::SimSocket;

/// The port every node listens on: turmoil gives each host its own address.
const PORT: u16 = 4433;

/// The nodes' idle timeout: a link that hears nothing for this long is lost.
const IDLE: Duration = Duration::from_secs(2);

/// How long after a partition starts the link may take to be declared lost. QUIC restarts
/// the idle timer when it sends its first ack-eliciting packet after one it received
/// (RFC 9000, 10.1): a keep-alive, a third of the idle timeout into the partition at the
/// latest, then the idle timeout itself, plus a latency (50 ms at most) and ticks of slack.
const LOSS_BOUND: Duration = Duration::from_millis(IDLE.as_millis() as u64 * 4 / 3 + 200);

/// Bounds every single wait of a scenario, in simulated time.
const WAIT: Duration = Duration::from_secs(10);

/// Bounds each simulation, in simulated time.
const SIMULATION: Duration = Duration::from_secs(60);

/// A directory of development credentials shared by the nodes of one simulation, made on
/// the real filesystem before the simulation starts.
fn credentials(test: &str) -> Credentials {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "actor-cluster-turmoil-{}-{test}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Credentials::development(&dir).unwrap()
}

/// A simulation: seeded, bounded, latencies of 1 to 50 ms, and receive queues deep enough
/// that a QUIC burst is not dropped for want of room (turmoil's default is 64 datagrams).
fn simulation(seed: u64) -> turmoil::Sim<'static> {
    turmoil::Builder::new()
        .rng_seed(seed)
        .simulation_duration(SIMULATION)
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(50))
        .udp_capacity(4096)
        .build()
}

/// The address of the node on `host`.
fn node_address(host: &str) -> SocketAddr {
    SocketAddr::new(turmoil::lookup(host), PORT)
}

/// A node on the current host, `host`, on [`PORT`].
/// A fixed seed per host name, for the node's QUIC endpoint.
fn host_seed(host: &str) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (at, byte) in host.bytes().enumerate() {
        seed[at % 32] ^= byte;
    }
    seed
}

async fn start_node(host: &str, credentials: Credentials) -> turmoil::Result<Node> {
    let socket = SimSocket::bind(host, PORT).await?;
    let node = Node::builder()
        .socket(Arc::new(socket))
        // The endpoint's own RNG, seeded per host: with turmoil's seed, a run replays.
        .rng_seed(host_seed(host))
        .credentials(credentials)
        .idle_timeout(IDLE)
        .lookup_timeout(Duration::from_secs(1))
        .start()
        .await?;
    Ok(node)
}

/// What a scenario saw, from every host, in the order it happened.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(u128, String)>>>);

impl Log {
    fn record(&self, event: impl Into<String>) {
        let at = turmoil::sim_elapsed().unwrap_or_default().as_millis();
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((at, event.into()));
    }

    fn events(&self) -> Vec<(u128, String)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// When `event` was recorded, the first time.
fn when(events: &[(u128, String)], event: &str) -> u128 {
    match events.iter().find(|(_, seen)| seen == event) {
        Some((at, _)) => *at,
        None => panic!("no `{event}` in {events:#?}"),
    }
}

/// `future`, or a panic naming `what` if it takes longer than [`WAIT`] of simulated time.
async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not happen within {WAIT:?} of simulated time"),
    }
}

/// A lookup, tried a few times: the peer's node may not have bound its socket yet.
async fn lookup<A: actor_core::__private::wire::RemoteActor>(
    node: &Node,
    host: &str,
    name: &str,
) -> ActorRef<A> {
    let mut last = None;
    for _ in 0..5 {
        match node.lookup::<A>(node_address(host), name).await {
            Ok(found) => return found,
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no `{name}` on {host}: {last:?}")
}

#[actor]
struct Account {
    balance: u64,
    records: Vec<u64>,
}

impl Account {
    fn new() -> Self {
        Account {
            balance: 0,
            records: Vec::new(),
        }
    }
}

#[actor(remote = "turmoil.Account")]
impl Account {
    #[message]
    fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    async fn slow(&self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }

    #[message]
    fn record(&mut self, seq: u64) {
        self.records.push(seq);
    }

    #[message]
    fn records(&self) -> Vec<u64> {
        self.records.clone()
    }
}

/// Watches what it is told to and logs each `Terminated` it gets, as `{host}: ...`.
#[actor]
struct Sentinel {
    host: &'static str,
    log: Log,
    terminated: usize,
}

#[actor(remote = "turmoil.Sentinel")]
impl Sentinel {
    #[message]
    fn watch_account(&mut self, ctx: &mut Context<Self>, target: ActorRef<Account>) {
        ctx.watch(&target);
    }

    /// Watches `target`, then makes a round trip to it on the link the watch went out on.
    #[message]
    async fn watch_sentinel(&mut self, ctx: &mut Context<Self>, target: ActorRef<Sentinel>) {
        ctx.watch(&target);
        let _ = target.ping().await;
    }

    #[message]
    fn ping(&self) {}

    #[message]
    fn terminated_count(&self) -> usize {
        self.terminated
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        self.terminated += 1;
        self.log
            .record(format!("{}: Terminated {:?}", self.host, terminated.reason));
    }
}

/// Host `b`: a node with an account, a slow account and a sentinel, registered by name.
fn serve_b(sim: &mut turmoil::Sim<'static>, credentials: Credentials, log: Log) {
    sim.host("b", move || {
        let (credentials, log) = (credentials.clone(), log.clone());
        async move {
            let node = start_node("b", credentials).await?;
            let system = node.system();
            // Held here: an actor whose refs are all dropped stops.
            let account = system.spawn(Account::new())?;
            let sloth = system.spawn(Account::new())?;
            let sentinel = system.spawn(Sentinel {
                host: "b",
                log,
                terminated: 0,
            })?;
            node.register("account", &account)?;
            node.register("sloth", &sloth)?;
            node.register("sentinel", &sentinel)?;
            std::future::pending::<()>().await;
            drop((account, sloth, sentinel));
            Ok(())
        }
    });
}

/// A partition that outlasts the idle timeout, then its repair, driven from host `a`.
fn long_partition(seed: u64) -> Vec<(u128, String)> {
    let log = Log::default();
    let credentials = credentials("long");
    let mut sim = simulation(seed);
    serve_b(&mut sim, credentials.clone(), log.clone());
    let client_log = log.clone();
    sim.client("a", async move {
        let log = client_log;
        let node = start_node("a", credentials).await?;
        let account = lookup::<Account>(&node, "b", "account").await;
        let sloth = lookup::<Account>(&node, "b", "sloth").await;
        let b_sentinel = lookup::<Sentinel>(&node, "b", "sentinel").await;
        account.deposit(5).tell().await?;
        let balance = within("an ask", account.deposit(10)).await?;
        log.record(format!("a: deposit -> {balance}"));

        // a watches b's account; b watches a's sentinel, over b's own link to a.
        let sentinel = node.system().spawn(Sentinel {
            host: "a",
            log: log.clone(),
            terminated: 0,
        })?;
        within("watch", sentinel.watch_account(account.clone())).await?;
        within("watch", b_sentinel.watch_sentinel(sentinel.clone())).await?;
        // The watches are in place once a round trip on each link has come back.
        within("an ask", account.deposit(0)).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;

        let in_flight = tokio::spawn(
            sloth
                .slow(30_000)
                .timeout(Duration::from_secs(60))
                .into_future(),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        turmoil::partition("a", "b");
        log.record("partition");

        let outcome = within("the ask in flight", in_flight).await?;
        log.record(format!("a: in-flight ask -> {outcome:?}"));
        assert!(
            matches!(outcome, Err(AskError::Remote(RemoteError::Unreachable))),
            "{outcome:?}"
        );
        let reason = within("remote terminated", account.terminated()).await;
        log.record(format!("a: terminated() -> {reason:?}"));
        // Until b's side has lost its link too.
        for _ in 0..100 {
            if log
                .events()
                .iter()
                .any(|(_, e)| e.starts_with("b: Terminated"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        turmoil::repair("a", "b");
        log.record("repair");
        // A lost link stays down: the old refs reach nothing, also now.
        let stale = within("an ask on an old ref", account.deposit(1)).await;
        log.record(format!("a: old ref -> {stale:?}"));
        assert!(stale.is_err(), "{stale:?}");
        // A new lookup makes a new link, to the same actor, which kept its state.
        let again = lookup::<Account>(&node, "b", "account").await;
        let balance = within("an ask on a new ref", again.deposit(0)).await?;
        log.record(format!("a: new ref -> {balance}"));
        let b_sentinel = lookup::<Sentinel>(&node, "b", "sentinel").await;
        let seen_there = within("an ask", b_sentinel.terminated_count()).await?;
        let seen_here = within("an ask", sentinel.terminated_count()).await?;
        log.record(format!(
            "a: Terminated counts: a {seen_here}, b {seen_there}"
        ));
        Ok(())
    });
    sim.run().unwrap();
    log.events()
}

#[test]
fn a_partition_longer_than_the_idle_timeout_takes_the_link_down_on_both_sides() {
    let events = long_partition(7);
    let (b, a) = (node_address_of(1), node_address_of(2));
    let partition = when(&events, "partition");
    let bound = partition + LOSS_BOUND.as_millis();
    // Nothing is declared lost before the idle timeout could have run out.
    let earliest = partition + (IDLE - IDLE / 3).as_millis() - 100;
    for event in [
        "a: in-flight ask -> Err(Remote(Unreachable))".to_owned(),
        format!("a: Terminated Unreachable({b:?})"),
        format!("b: Terminated Unreachable({a:?})"),
    ] {
        let at = when(&events, &event);
        assert!(
            (earliest..=bound).contains(&at),
            "`{event}` at {at} ms, partition at {partition} ms: {events:#?}"
        );
    }
    assert!(when(&events, "repair") > partition);
    for event in [
        "a: deposit -> 15".to_owned(),
        format!("a: terminated() -> Unreachable({b:?})"),
        // The ref's actor is gone for good: the message is handed back.
        "a: old ref -> Err(Closed(..))".to_owned(),
        "a: new ref -> 15".to_owned(),
        // Exactly once on each side, also after the repair.
        "a: Terminated counts: a 1, b 1".to_owned(),
    ] {
        when(&events, &event);
    }
}

/// The address turmoil gives the `n`th host made in a simulation (`b` is 1, `a` 2), as a
/// node's peer name reads.
fn node_address_of(n: u8) -> String {
    SocketAddr::from(([192, 168, 0, n], PORT)).to_string()
}

/// A partition shorter than the idle timeout, driven from host `a`: tells and an ask sent
/// during it, asks after its repair.
fn short_partition(seed: u64) -> Vec<(u128, String)> {
    const TELLS: u64 = 10;
    const ASKS: u64 = 20;
    let log = Log::default();
    let credentials = credentials("short");
    let mut sim = simulation(seed);
    serve_b(&mut sim, credentials.clone(), log.clone());
    let client_log = log.clone();
    sim.client("a", async move {
        let log = client_log;
        let node = start_node("a", credentials).await?;
        let account = lookup::<Account>(&node, "b", "account").await;
        let b_sentinel = lookup::<Sentinel>(&node, "b", "sentinel").await;
        let sentinel = node.system().spawn(Sentinel {
            host: "a",
            log: log.clone(),
            terminated: 0,
        })?;
        within("watch", sentinel.watch_account(account.clone())).await?;
        within("watch", b_sentinel.watch_sentinel(sentinel.clone())).await?;
        within("an ask", account.deposit(0)).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;

        turmoil::partition("a", "b");
        log.record("partition");
        for seq in 0..TELLS {
            account.record(seq).tell().await?;
        }
        let during = tokio::spawn(account.deposit(100).into_future());
        tokio::time::sleep(IDLE / 2).await;
        turmoil::repair("a", "b");
        log.record("repair");

        let mut answered = 0;
        for _ in 0..ASKS {
            within("an ask after the repair", account.deposit(1)).await?;
            answered += 1;
        }
        log.record(format!("a: asks after the repair answered: {answered}"));
        let during = within("the ask sent during the partition", during).await?;
        log.record(format!("a: ask during the partition -> {during:?}"));
        let records = within("an ask", account.records()).await?;
        log.record(format!(
            "a: tells during the partition arrived: {records:?}"
        ));
        // Long enough for a lost link to be noticed on either side.
        tokio::time::sleep(2 * IDLE).await;
        let balance = within("an ask", account.deposit(0)).await?;
        log.record(format!("a: the same ref, later -> {balance}"));
        let seen_there = within("an ask", b_sentinel.terminated_count()).await?;
        let seen_here = within("an ask", sentinel.terminated_count()).await?;
        log.record(format!(
            "a: Terminated counts: a {seen_here}, b {seen_there}"
        ));
        Ok(())
    });
    sim.run().unwrap();
    log.events()
}

#[test]
fn a_partition_shorter_than_the_idle_timeout_loses_nothing_and_keeps_the_link() {
    let events = short_partition(7);
    assert!(when(&events, "repair") > when(&events, "partition"));
    for event in [
        "a: asks after the repair answered: 20",
        // QUIC retransmits what the partition swallowed, on the same connection.
        "a: ask during the partition -> Ok(100)",
        "a: tells during the partition arrived: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]",
        "a: the same ref, later -> 120",
        "a: Terminated counts: a 0, b 0",
    ] {
        when(&events, event);
    }
    // Up to the last check: when the simulation ends, its nodes are dropped, and a
    // dropped node closes its links, which its watchers then hear of.
    let checked = events
        .iter()
        .position(|(_, event)| event.starts_with("a: Terminated counts"))
        .expect("the last check ran");
    assert!(
        !events[..checked]
            .iter()
            .any(|(_, event)| event.contains("Terminated U")),
        "{events:#?}"
    );
}

/// How far apart the same event of two runs from one seed may be, in simulated time.
///
/// Kept beside the exact replay below as the bound that holds even without the endpoint's
/// own seed: turmoil's seed drives the latencies and the order of hosts, but quinn's
/// endpoint draws from an RNG of its own (`EndpointConfig::rng_seed`). Among what it decides are the packet numbers quinn
/// skips (against optimistic ACKs); a gap makes the peer acknowledge at once, one datagram
/// more or less, and from there every later datagram draws another latency. Measured: up to
/// 174 ms apart over 48 runs of 4 seeds, never in another order. The link-loss events can
/// move by a keep-alive interval at most (the idle timer restarts at the first keep-alive
/// sent into the partition), which is the tolerance.
const REPLAY_TOLERANCE: Duration = Duration::from_millis(IDLE.as_millis() as u64 / 3);

/// Two runs saw the same events in the same order, each at about the same simulated time.
fn assert_replayed(first: &[(u128, String)], again: &[(u128, String)], seed: u64) {
    let events = |run: &[(u128, String)]| run.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>();
    assert_eq!(events(first), events(again), "seed {seed}");
    for ((at, event), (again_at, _)) in first.iter().zip(again) {
        assert!(
            at.abs_diff(*again_at) <= REPLAY_TOLERANCE.as_millis(),
            "seed {seed}: `{event}` at {at} ms, then at {again_at} ms"
        );
    }
}

#[test]
fn the_same_seed_replays_the_same_events() {
    let seed = 1234;
    assert_replayed(&long_partition(seed), &long_partition(seed), seed);
    assert_replayed(&short_partition(seed), &short_partition(seed), seed);
}

/// The replay to the millisecond that the tier is built for: it needs the node's QUIC
/// endpoint seeded too (`NodeBuilder::rng_seed`, see [`host_seed`]); without, it fails
/// every time, and only [`REPLAY_TOLERANCE`]'s looser replay holds.
#[test]
fn the_same_seed_replays_the_same_events_to_the_millisecond() {
    for seed in [3, 1234] {
        assert_eq!(long_partition(seed), long_partition(seed), "seed {seed}");
        assert_eq!(short_partition(seed), short_partition(seed), "seed {seed}");
    }
}

#[test]
fn a_long_partition_is_survived_the_same_way_under_other_seeds() {
    for seed in [1, 99] {
        let events = long_partition(seed);
        when(&events, "a: Terminated counts: a 1, b 1");
    }
}
