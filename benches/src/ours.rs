//! The workloads on actor-core, with `#[actor]` actors as a user would write them.

use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::supervision::SupervisorStrategy;
use actor_core::ActorStatus;
use tokio::sync::oneshot;

use crate::measure::{allocations, resident_bytes};
use crate::SpawnRun;

/// Sums what it is told.
#[actor]
pub(crate) struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    #[message]
    fn add(&mut self, n: u64) {
        self.total += n;
    }

    #[message]
    fn total(&self) -> u64 {
        self.total
    }
}

/// One million tells, then one ask that checks the total.
pub(crate) async fn tell(count: u64) -> (u64, Duration) {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { total: 0 }).expect("spawn");
    let start = Instant::now();
    for _ in 0..count {
        counter.add(1).tell().await.expect("tell");
    }
    let total = counter.total().await.expect("ask");
    let elapsed = start.elapsed();
    assert_eq!(total, count, "every tell arrived");
    system.shutdown().await;
    (count, elapsed)
}

/// `senders` tasks telling `each` messages to one actor.
pub(crate) async fn fan_in(senders: u64, each: u64) -> (u64, Duration) {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { total: 0 }).expect("spawn");
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    counter.add(1).tell().await.expect("tell");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender");
    }
    let total = counter.total().await.expect("ask");
    let elapsed = start.elapsed();
    assert_eq!(total, senders * each, "every tell arrived");
    system.shutdown().await;
    (senders * each, elapsed)
}

/// Sequential asks; each one's round-trip time.
pub(crate) async fn ask(count: u64) -> Vec<Duration> {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { total: 7 }).expect("spawn");
    let mut samples = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let start = Instant::now();
        let total = counter.total().await.expect("ask");
        samples.push(start.elapsed());
        assert_eq!(total, 7);
    }
    system.shutdown().await;
    samples
}

/// Bounces a ball to its peer until the count runs out.
#[actor]
pub(crate) struct Player {
    peer: Option<ActorRef<Player>>,
    done: Option<oneshot::Sender<()>>,
}

#[actor]
impl Player {
    #[message]
    fn meet(&mut self, peer: ActorRef<Player>) {
        self.peer = Some(peer);
    }

    #[message]
    async fn ball(&mut self, remaining: u64) {
        if remaining == 0 {
            if let Some(done) = self.done.take() {
                let _ = done.send(());
            }
        } else if let Some(peer) = &self.peer {
            peer.ball(remaining - 1).tell().await.expect("peer alive");
        }
    }
}

/// Two actors bouncing one message `count` times.
pub(crate) async fn ping_pong(count: u64) -> (u64, Duration) {
    let system = ActorSystem::new();
    let (done_tx, done_rx) = oneshot::channel();
    let ping = system
        .spawn(Player {
            peer: None,
            done: Some(done_tx),
        })
        .expect("spawn");
    let pong = system
        .spawn(Player {
            peer: None,
            done: None,
        })
        .expect("spawn");
    ping.meet(pong.clone()).await.expect("ask");
    pong.meet(ping.clone()).await.expect("ask");
    let start = Instant::now();
    // Even, so the ball ends at `ping`, which holds `done`.
    let bounces = count + count % 2;
    ping.ball(bounces).tell().await.expect("tell");
    done_rx.await.expect("the ball came back");
    let elapsed = start.elapsed();
    // The players hold refs to each other, so they stop on request, not by refs dropped.
    system.shutdown().await;
    (bounces, elapsed)
}

/// Does nothing; measures what an idle actor costs.
#[actor]
pub(crate) struct Idle;

#[actor]
impl Idle {
    #[message]
    fn poke(&self) {}
}

/// Spawns `count` idle actors, measures memory and allocations, then stops them all.
pub(crate) async fn spawn(count: usize) -> SpawnRun {
    let system = ActorSystem::new();
    let mut refs: Vec<ActorRef<Idle>> = Vec::with_capacity(count);
    let before = resident_bytes();
    let allocs_before = allocations();
    let start = Instant::now();
    for _ in 0..count {
        refs.push(system.spawn(Idle).expect("spawn"));
    }
    let elapsed = start.elapsed();
    // What an actor allocates as it starts counts too; reading its status allocates nothing.
    wait_until_started(&refs).await;
    let allocs_per_actor = (allocations() - allocs_before) as f64 / count as f64;
    // Make sure every actor has reached its mailbox and is idle before measuring.
    for actor in refs.iter().step_by((count / 100).max(1)) {
        actor.poke().await.expect("ask");
    }
    let bytes_per_actor = (resident_bytes() - before) / count as f64;
    drop(refs);
    system.shutdown().await;
    SpawnRun {
        elapsed,
        bytes_per_actor,
        allocs_per_actor,
    }
}

/// Yields until every actor has run its start (an idle one then waits on its mailbox).
async fn wait_until_started(refs: &[ActorRef<Idle>]) {
    for actor in refs {
        while matches!(actor.status(), ActorStatus::Starting) {
            tokio::task::yield_now().await;
        }
    }
}

/// How `stop_all` stops the actors.
#[derive(Clone, Copy)]
pub(crate) enum StopAll {
    /// `stop()` on each ref, then await each `terminated()`.
    EachRef,
    /// One `system.shutdown()`.
    Shutdown,
}

/// Spawns `count` idle actors, waits until they have started, then times stopping them
/// all and awaiting their end.
pub(crate) async fn stop_all(count: usize, how: StopAll) -> Duration {
    let system = ActorSystem::new();
    let refs: Vec<ActorRef<Idle>> = (0..count)
        .map(|_| system.spawn(Idle).expect("spawn"))
        .collect();
    wait_until_started(&refs).await;
    let start = Instant::now();
    match how {
        StopAll::EachRef => {
            for actor in &refs {
                actor.stop();
            }
            for actor in &refs {
                actor.terminated().await;
            }
        }
        StopAll::Shutdown => {
            system.shutdown().await;
        }
    }
    let elapsed = start.elapsed();
    assert!(
        refs.iter().all(|actor| actor.status().is_stopped()),
        "every actor stopped"
    );
    system.shutdown().await;
    elapsed
}

/// Panics on request; its supervisor restarts it.
#[actor]
pub(crate) struct Fragile {
    handled: u64,
}

#[actor]
impl Fragile {
    #[message]
    fn crash(&mut self) {
        self.handled += 1;
        panic!("restart me");
    }
}

fn restart_always() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one().max_restarts(u32::MAX)
}

/// Supervises one fragile child.
#[actor(supervisor = restart_always)]
pub(crate) struct Nanny {
    child: Option<ActorRef<Fragile>>,
}

#[actor]
impl Nanny {
    #[message]
    fn child(&self) -> Option<ActorRef<Fragile>> {
        self.child.clone()
    }

    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        self.child = ctx.spawn(Props::new(|| Fragile { handled: 0 })).ok();
    }
}

/// A supervised actor that panics and is restarted `count` times.
pub(crate) async fn restart(count: u64) -> (u64, Duration) {
    let system = ActorSystem::new();
    let nanny = system.spawn(Nanny { child: None }).expect("spawn");
    let child = nanny.child().await.expect("ask").expect("hired");
    let start = Instant::now();
    for _ in 0..count {
        // Each ask fails with the panic; the next one is handled by the restarted actor.
        let failed = child.crash().await;
        assert!(matches!(failed, Err(AskError::Failed(_))), "{failed:?}");
    }
    let elapsed = start.elapsed();
    system.shutdown().await;
    (count, elapsed)
}
