//! A periodic job and an expiring cache, with the actors' own timers: no helper task, no
//! `JoinHandle` field, no abort in `#[stopped]`.
//!
//! A `Refresher` runs a job at a fixed rate (every 100 ms, eight times, then stops
//! itself). Each run puts fresh values into a `Cache`, whose entries expire 250 ms after
//! they were last written: one single timer per entry, keyed by the entry, so writing an
//! entry again replaces its expiry, and the old expiry is never delivered. `price` is
//! written on every run and never expires while the job runs; `news` is written every
//! third run and expires in between; `promo` is written twice and then expires for good.
//! When the job has stopped, everything left expires, and the cache, idle for half a
//! second, stops itself through its receive timeout.
//!
//! Run it with (it ends by itself, in about a second and a half):
//!
//! ```text
//! cargo run -p examples --example periodic_job
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use actor_core::prelude::*;
use tokio::time::Instant;

/// How long an entry lives after its last write.
const TIME_TO_LIVE: Duration = Duration::from_millis(250);

/// Milliseconds since the program started, for the log.
fn at(start: Instant) -> u128 {
    start.elapsed().as_millis()
}

#[actor]
pub struct Cache {
    entries: BTreeMap<String, u64>,
    start: Instant,
}

#[actor]
impl Cache {
    #[started]
    fn begin(&mut self, ctx: &mut Context<Self>) {
        // Half a second with no writes or reads: nobody needs the cache any more.
        ctx.set_receive_timeout(Duration::from_millis(500), || CacheMsg::Idle);
    }

    /// Writes an entry; its expiry starts again.
    #[message]
    pub fn put(&mut self, ctx: &mut Context<Self>, key: String, value: u64) {
        let replaced = ctx.is_timer_active(&key);
        ctx.start_single_timer(
            key.clone(),
            TIME_TO_LIVE,
            CacheMsg::Expire { key: key.clone() },
        );
        println!(
            "{:>5} ms  cache: put {key} = {value}{}",
            at(self.start),
            if replaced {
                " (expiry pushed back)"
            } else {
                ""
            }
        );
        self.entries.insert(key, value);
    }

    #[message]
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.entries.clone()
    }

    /// From the entry's own timer.
    #[message]
    fn expire(&mut self, key: String) {
        self.entries.remove(&key);
        println!("{:>5} ms  cache: {key} expired", at(self.start));
    }

    #[message]
    fn idle(&mut self, ctx: &mut Context<Self>) {
        println!("{:>5} ms  cache: idle, stopping", at(self.start));
        ctx.stop();
    }
}

#[actor]
pub struct Refresher {
    cache: ActorRef<Cache>,
    runs: u64,
    max_runs: u64,
    start: Instant,
}

#[actor]
impl Refresher {
    #[started]
    fn begin(&mut self, ctx: &mut Context<Self>) {
        ctx.start_timer_at_fixed_rate("job", Duration::from_millis(100), || RefresherMsg::Run);
    }

    /// One run of the job, from the fixed-rate timer.
    #[message]
    async fn run(&mut self, ctx: &mut Context<Self>) {
        self.runs += 1;
        let run = self.runs;
        println!("{:>5} ms  job: run {run}", at(self.start));
        let mut writes = vec![("price".to_owned(), 100 + run)];
        if run.is_multiple_of(3) {
            writes.push(("news".to_owned(), run));
        }
        if run <= 2 {
            writes.push(("promo".to_owned(), run));
        }
        for (key, value) in writes {
            if self.cache.put(key, value).await.is_err() {
                println!("the cache is gone");
            }
        }
        if run == self.max_runs {
            println!("{:>5} ms  job: done after {run} runs", at(self.start));
            // Its timer ends with it.
            ctx.stop();
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::new();
    let start = Instant::now();
    let cache = system.spawn(Cache {
        entries: BTreeMap::new(),
        start,
    })?;
    let job = system.spawn(Refresher {
        cache: cache.clone(),
        runs: 0,
        max_runs: 8,
        start,
    })?;

    job.terminated().await;
    println!("after the job: {:?}", cache.snapshot().await?);

    // The last entries expire 250 ms after the job's last run; the cache stops itself
    // half a second after its last message, through its receive timeout (its own expiry
    // timers do not count as messages).
    let reason = tokio::time::timeout(Duration::from_secs(5), cache.terminated()).await?;
    println!("{:>5} ms  cache stopped: {reason:?}", at(start));
    system.shutdown().await;
    Ok(())
}
