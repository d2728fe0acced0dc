//! The remote workloads on actor-cluster: two nodes in this process on 127.0.0.1, of one
//! development cluster, with `#[actor(remote = ...)]` actors as a user would write them.
//!
//! A remote tell never waits (a link's full outgoing queue or a receiver's full mailbox
//! drops it, as a dead letter), so the throughput workloads give the sending link an
//! outgoing queue and the receiver a mailbox large enough for the whole run, and check that
//! no message became a dead letter on either node.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use actor_cluster::{Credentials, Node};
use actor_core::prelude::*;
use tokio::sync::mpsc;

use crate::measure::allocations;
use crate::{AskRun, RateRun};

/// The development directory both nodes share (one CA), made once per process.
fn credentials_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| std::env::temp_dir().join(format!("actor-benches-{}", std::process::id())))
}

/// Removes the development directory, if this run made one.
pub(crate) fn remove_credentials() {
    let _ = std::fs::remove_dir_all(credentials_dir());
}

/// A node on `127.0.0.1:0` whose links queue up to `outbound_queue` messages.
async fn node(outbound_queue: usize) -> Node {
    Node::builder()
        .credentials(Credentials::development(credentials_dir()).expect("dev credentials"))
        .outbound_queue(outbound_queue)
        .start()
        .await
        .expect("a node")
}

/// Panics with both nodes' dead-letter counts unless both are 0.
fn assert_no_dead_letters(here: &Node, there: &Node) {
    let (here_lost, there_lost) = (
        here.system().dead_letter_count(),
        there.system().dead_letter_count(),
    );
    assert!(
        here_lost == 0 && there_lost == 0,
        "dead letters: {here_lost} on the sending node, {there_lost} on the receiving one"
    );
}

/// Sums what it is told; answers a number with the next one.
#[actor]
pub(crate) struct RemoteCounter {
    total: u64,
}

#[actor(remote = "benches.Counter")]
impl RemoteCounter {
    #[message]
    fn add(&mut self, n: u64) {
        self.total += n;
    }

    #[message]
    fn total(&self) -> u64 {
        self.total
    }

    #[message]
    fn next(&self, n: u64) -> u64 {
        n + 1
    }
}

/// Two nodes, a counter on the second and a ref to it from the first, with the link up.
struct CounterPair {
    here: Node,
    there: Node,
    /// The counter's local ref: a registered actor is held weakly by its node, so an
    /// unnamed one stops (refs dropped) once its last local ref is gone, remote refs or not.
    _local: ActorRef<RemoteCounter>,
    remote: ActorRef<RemoteCounter>,
}

async fn counter_pair(outbound_queue: usize) -> CounterPair {
    let (here, there) = (node(outbound_queue).await, node(outbound_queue).await);
    let counter = there
        .system()
        .spawn(Props::from_value(RemoteCounter { total: 0 }).mailbox(MailboxConfig::unbounded()))
        .expect("spawn");
    there.register("counter", &counter).expect("register");
    let remote = here
        .lookup::<RemoteCounter>(there.address(), "counter")
        .await
        .expect("lookup");
    // The ordinary and replies streams are open once an ask has come back.
    assert_eq!(remote.next(0).await.expect("ask"), 1);
    CounterPair {
        here,
        there,
        _local: counter,
        remote,
    }
}

/// One sender telling `count` numbers to an actor on the other node, then one ask on the
/// same link, which arrives after them, for the total.
pub(crate) async fn tell(count: u64) -> RateRun {
    // Room for every tell: the sender never waits, and a full queue would drop them.
    let pair = counter_pair(count as usize + 16).await;
    let (here, there, counter) = (&pair.here, &pair.there, &pair.remote);
    let allocs_before = allocations();
    let start = Instant::now();
    for _ in 0..count {
        counter.add(1).tell().await.expect("tell");
    }
    let total = counter.total().await.expect("ask");
    let elapsed = start.elapsed();
    let allocs = allocations() - allocs_before;
    assert_no_dead_letters(here, there);
    assert_eq!(total, count, "every tell arrived");
    here.shutdown().await;
    there.shutdown().await;
    RateRun {
        ops: count,
        elapsed,
        allocs_per_op: allocs as f64 / count as f64,
    }
}

/// Sequential asks of an actor on the other node: each one's round-trip time.
pub(crate) async fn ask(count: u64) -> AskRun {
    let pair = counter_pair(8192).await;
    let (here, there, counter) = (&pair.here, &pair.there, &pair.remote);
    let mut samples = Vec::with_capacity(count as usize);
    let allocs_before = allocations();
    for n in 0..count {
        let start = Instant::now();
        let reply = counter.next(n).await.expect("ask");
        samples.push(start.elapsed());
        assert_eq!(reply, n + 1);
    }
    let allocs = allocations() - allocs_before;
    assert_no_dead_letters(here, there);
    here.shutdown().await;
    there.shutdown().await;
    AskRun {
        samples,
        allocs_per_op: allocs as f64 / count as f64,
    }
}

/// Bounces a ball to its peer on the other node until the count runs out.
#[actor]
pub(crate) struct RemotePlayer {
    peer: Option<ActorRef<RemotePlayer>>,
    /// Told each time the ball stops here.
    done: Option<mpsc::UnboundedSender<()>>,
}

#[actor(remote = "benches.Player")]
impl RemotePlayer {
    #[message]
    fn meet(&mut self, peer: ActorRef<RemotePlayer>) {
        self.peer = Some(peer);
    }

    #[message]
    async fn ball(&mut self, remaining: u64) {
        if remaining == 0 {
            if let Some(done) = &self.done {
                let _ = done.send(());
            }
        } else if let Some(peer) = &self.peer {
            peer.ball(remaining - 1).tell().await.expect("peer alive");
        }
    }
}

/// Two actors on two nodes bouncing one message: `count` messages cross a link, half of
/// them each way, each node sending on its own link to the other.
pub(crate) async fn ping_pong(count: u64) -> RateRun {
    let (here, there) = (node(8192).await, node(8192).await);
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let ping = here
        .system()
        .spawn(RemotePlayer {
            peer: None,
            done: Some(done_tx),
        })
        .expect("spawn");
    let pong = there
        .system()
        .spawn(RemotePlayer {
            peer: None,
            done: None,
        })
        .expect("spawn");
    there.register("pong", &pong).expect("register");
    let remote_pong = here
        .lookup::<RemotePlayer>(there.address(), "pong")
        .await
        .expect("lookup");
    ping.meet(remote_pong.clone()).await.expect("ask");
    // `ping`'s ref travels in the message and resolves there as a ref to this node.
    remote_pong.meet(ping.clone()).await.expect("ask");
    // One untimed round trip, so that the link back is dialed and up.
    ping.ball(2).tell().await.expect("tell");
    done.recv().await.expect("the ball came back");

    let bounces = count + count % 2;
    let allocs_before = allocations();
    let start = Instant::now();
    ping.ball(bounces).tell().await.expect("tell");
    done.recv().await.expect("the ball came back");
    let elapsed = start.elapsed();
    let allocs = allocations() - allocs_before;
    assert_no_dead_letters(&here, &there);
    here.shutdown().await;
    there.shutdown().await;
    RateRun {
        ops: bounces,
        elapsed,
        allocs_per_op: allocs as f64 / bounces as f64,
    }
}
