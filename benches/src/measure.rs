//! How a workload is run and summarized: on a runtime worker, several sides in rotation,
//! medians of the rounds, and a count of the heap allocations it made.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

use crate::Sizes;

/// Counts every allocation of the process, for `allocs_per_spawn`; stats_alloc keeps the
/// `unsafe` of a global allocator out of this crate. Its cost is an uncontended atomic
/// add or two per allocation and free, on both sides alike.
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Allocations (reallocations included, as the allocation test counts them) made by the
/// whole process so far.
pub(crate) fn allocations() -> u64 {
    let stats = GLOBAL.stats();
    (stats.allocations + stats.reallocations) as u64
}

/// Set by `--client-outside-runtime`: run client sides on `block_on`'s thread instead, as
/// the benchmark did before issue 13, to show what the placement changes. Every figure of
/// such a run is labelled so.
static CLIENT_OUTSIDE_RUNTIME: AtomicBool = AtomicBool::new(false);

/// Runs every later client side on `block_on`'s thread, outside the runtime's workers.
pub(crate) fn put_client_outside_runtime() {
    CLIENT_OUTSIDE_RUNTIME.store(true, Ordering::Relaxed);
}

/// Whether client sides run outside the runtime's workers (see
/// [`put_client_outside_runtime`]).
pub(crate) fn client_outside_runtime() -> bool {
    CLIENT_OUTSIDE_RUNTIME.load(Ordering::Relaxed)
}

/// Runs a workload's client side (the sender, the asker, the spawner) as a task on a
/// runtime worker, as code inside an actor runs, and waits for it from `block_on`.
///
/// Run from `block_on`'s thread itself, every reply would need a cross-thread wake of a
/// parked thread (10-16 µs each here), which hides the costs the benchmark is for.
pub(crate) async fn on_worker<T, F>(workload: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    if client_outside_runtime() {
        return workload.await;
    }
    match tokio::spawn(workload).await {
        Ok(value) => value,
        // A failed check inside the workload fails the benchmark with its own message.
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => panic!("workload task: {err}"),
    }
}

/// One side of a comparison: a workload at the given sizes.
pub(crate) type Side<T> = Box<dyn Fn(Sizes) -> BoxFuture<'static, T>>;

/// Wraps a workload as a [`Side`].
pub(crate) fn side<T, F>(workload: impl Fn(Sizes) -> F + 'static) -> Side<T>
where
    F: Future<Output = T> + Send + 'static,
{
    Box::new(move |sizes| workload(sizes).boxed())
}

/// Runs each side once at `warm_up` sizes (first touches of the allocator, the timer wheel
/// and the code), then `sizes.rounds` rounds at `sizes`, rotating which side goes first so
/// that drift in the machine's state hits every side alike. Returns each side's runs, in
/// the order of `sides`. Every run is a task on a worker (see [`on_worker`]).
pub(crate) async fn rotate<T: Send + 'static>(
    sizes: Sizes,
    warm_up: Sizes,
    sides: &[Side<T>],
) -> Vec<Vec<T>> {
    for side in sides {
        let _ = on_worker(side(warm_up)).await;
    }
    let mut runs: Vec<Vec<T>> = sides.iter().map(|_| Vec::new()).collect();
    for round in 0..sizes.rounds {
        for k in 0..sides.len() {
            let i = (round + k) % sides.len();
            runs[i].push(on_worker(sides[i](sizes)).await);
        }
    }
    runs
}

/// The median of each side's runs, mapped to a figure by `value`.
pub(crate) fn medians<T>(runs: &[Vec<T>], value: impl Fn(&T) -> f64) -> Vec<f64> {
    runs.iter()
        .map(|side| median(side.iter().map(&value).collect()))
        .collect()
}

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The mean of the samples, in nanoseconds.
pub(crate) fn mean_ns(samples: &[Duration]) -> f64 {
    samples.iter().sum::<Duration>().as_secs_f64() * 1e9 / samples.len() as f64
}

/// The `q` quantile of the samples, in nanoseconds.
pub(crate) fn percentile_ns(samples: &[Duration], q: f64) -> f64 {
    let mut sorted: Vec<Duration> = samples.to_vec();
    sorted.sort_unstable();
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted
        .get(index)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e9)
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere, which makes the memory
/// figure meaningless but keeps the other figures).
pub(crate) fn resident_bytes() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0
}
