//! A worker pool: four workers behind one ref of the worker's own type, one of which fails
//! on a poison job and is restarted while the jobs keep flowing.
//!
//! ```text
//! /user/$N            the pool (round-robin), the supervisor of its workers:
//!   $A $B $C $D       workers (one-for-one, at most 3 restarts in 5 s)
//! ```
//!
//! It sends 40 jobs through the pool with the worker's generated method
//! (`pool.process(job)`), job 13 among them poison: the worker that gets it panics, the
//! pool restarts it (a fresh instance, the same mailbox, so the jobs queued behind the
//! poison are kept), and every other job is handled. Then it asks a few jobs through a
//! consistent-hashing pool, to show that one key always lands on one worker, prints the
//! tallies and shuts down.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p examples --example worker_pool
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actor_core::prelude::*;
use actor_core::routing::{ConsistentHash, Pool, RoundRobin};
use actor_core::{ActorId, SystemEvent};

/// What every worker did, kept outside the workers: a restart throws a worker's state away.
#[derive(Clone, Default)]
struct Tallies(Arc<Mutex<BTreeMap<ActorId, Vec<u64>>>>);

impl Tallies {
    fn record(&self, worker: ActorId, job: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(worker)
            .or_default()
            .push(job);
    }

    fn snapshot(&self) -> BTreeMap<ActorId, Vec<u64>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[actor]
struct Worker {
    /// Which instance of the pool's workers this is (1, 2, ...): a restart makes a new one.
    instance: u32,
    handled: u32,
    tallies: Tallies,
}

#[actor]
impl Worker {
    /// Processes a job and answers with its result. Job 13 is poison.
    #[message]
    fn process(&mut self, job: u64, ctx: &mut Context<Self>) -> u64 {
        if job == 13 {
            panic!("job 13 is poison");
        }
        self.handled += 1;
        self.tallies.record(ctx.id(), job);
        job * job
    }

    /// Which worker and which instance of it answers, and how many jobs this instance did.
    #[message]
    fn report(&self, ctx: &mut Context<Self>) -> (ActorId, u32, u32) {
        (ctx.id(), self.instance, self.handled)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    quiet_poison_panics();
    let system = ActorSystem::new();
    let mut events = system.events();
    let tallies = Tallies::default();
    let instances = Arc::new(AtomicU32::new(0));

    let pool = {
        let tallies = tallies.clone();
        let instances = Arc::clone(&instances);
        system.spawn_pool(
            Pool::new(4, move || Worker {
                instance: instances.fetch_add(1, Ordering::SeqCst) + 1,
                handled: 0,
                tallies: tallies.clone(),
            })
            .routing(RoundRobin),
        )?
    };
    println!("pool {} with {} workers", pool.path(), pool.routees().len());

    // 40 jobs, told without waiting for their results: the poison among them.
    for job in 0..40 {
        pool.process(job).tell().await?;
    }
    // Each worker answers after the jobs queued before this ask: all 40 are done.
    for worker in pool.routees() {
        let (id, instance, handled) = worker.report().await?;
        println!("worker {id}: instance {instance}, {handled} jobs since it started");
    }
    while let Ok(event) = events.try_recv() {
        match event {
            SystemEvent::Failed { path, failure, .. } => println!("failed: {path}: {failure}"),
            SystemEvent::Restarted { path, .. } => println!("restarted: {path}"),
            _ => {}
        }
    }
    let done: usize = tallies.snapshot().values().map(Vec::len).sum();
    println!(
        "{done} of 40 jobs done (the poison one dropped), {} worker instances made",
        instances.load(Ordering::SeqCst)
    );

    // An ask through the pool is an ask of the worker: the reply is the worker's.
    println!("7 squared, by whichever worker: {}", pool.process(7).await?);

    // Consistent hashing: a job's key (here its number modulo 3) picks its worker.
    let hashed = {
        let tallies = tallies.clone();
        system.spawn_pool(
            Pool::new(3, move || Worker {
                instance: 0,
                handled: 0,
                tallies: tallies.clone(),
            })
            .routing(ConsistentHash::by(|msg: &WorkerMsg| match msg {
                WorkerMsg::Process { job } => job % 3,
                _ => 0,
            })),
        )?
    };
    for job in [100, 103, 106, 101, 104] {
        hashed.process(job).await?;
    }
    println!("tallies (worker: jobs):");
    for (worker, jobs) in tallies.snapshot() {
        println!("  {worker}: {jobs:?}");
    }

    let report = system.shutdown().await;
    println!("shut down: {} actors stopped", report.stopped);
    Ok(())
}

/// The poison job's panic is expected: its failure is printed from the events instead of
/// as a panic message with a backtrace. Every other panic still prints.
fn quiet_poison_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if !text.is_some_and(|text| text.contains("poison")) {
            default_hook(info);
        }
    }));
}
