//! The benchmark: actor-core against the least tokio code that does the same job, side by
//! side in one process, on one multi-thread runtime with 2 workers.
//!
//! ```text
//! cargo run --release -p benches -- [--quick] [--json PATH] [--only tell,ask,...]
//! ```
//!
//! `--only` runs the named workloads alone, for profiling one of them.
//!
//! Each workload runs a warm-up, then several rounds alternating ours and the baseline;
//! the figures are medians, and each ratio is ours against the baseline of the same run,
//! oriented so that 1.0 means "as good as the baseline" (see `docs/performance.md`).

mod baseline;
mod ours;

use std::fmt::Write as _;
use std::time::Duration;

/// One measured figure of one workload.
struct Figure {
    name: &'static str,
    unit: &'static str,
    ours: f64,
    baseline: f64,
    higher_is_better: bool,
}

impl Figure {
    fn ratio(&self) -> f64 {
        if self.higher_is_better {
            self.ours / self.baseline
        } else {
            self.baseline / self.ours
        }
    }
}

/// Sizes of the workloads; `--quick` divides them for a smoke run.
#[derive(Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) tells: u64,
    pub(crate) fan_in_senders: u64,
    pub(crate) asks: u64,
    pub(crate) ping_pongs: u64,
    pub(crate) spawns: usize,
    pub(crate) restarts: u64,
    rounds: usize,
}

const FULL: Sizes = Sizes {
    tells: 1_000_000,
    fan_in_senders: 8,
    asks: 100_000,
    ping_pongs: 100_000,
    spawns: 100_000,
    restarts: 10_000,
    rounds: 5,
};

const QUICK: Sizes = Sizes {
    tells: 100_000,
    fan_in_senders: 8,
    asks: 10_000,
    ping_pongs: 10_000,
    spawns: 10_000,
    restarts: 1_000,
    rounds: 2,
};

fn main() {
    let mut quick = false;
    let mut json_path = None;
    let mut only: Option<Vec<String>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // Internal: one memory measurement in a fresh process (see `spawning`).
            "--measure-idle" => {
                let side = args.next().unwrap_or_default();
                let count = args.next().and_then(|c| c.parse().ok()).unwrap_or(10_000);
                measure_idle(&side, count);
                return;
            }
            "--quick" => quick = true,
            "--json" => match args.next() {
                Some(path) => json_path = Some(path),
                None => exit_with_usage("--json needs a path"),
            },
            "--only" => match args.next() {
                Some(names) => only = Some(names.split(',').map(str::to_owned).collect()),
                None => exit_with_usage("--only needs workload names, comma-separated"),
            },
            "--help" | "-h" => exit_with_usage(""),
            other => exit_with_usage(&format!("unknown argument `{other}`")),
        }
    }
    let sizes = if quick { QUICK } else { FULL };
    let runtime = runtime();
    let wanted = |name: &str| {
        only.as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    };

    let mut figures = Vec::new();
    runtime.block_on(async {
        if wanted("tell") {
            figures.push(
                throughput(
                    "tell",
                    "msg/s",
                    sizes,
                    |s| ours::tell(s.tells),
                    |s| baseline::tell(s.tells),
                )
                .await,
            );
        }
        if wanted("fan_in") {
            figures.push(
                throughput(
                    "fan_in",
                    "msg/s",
                    sizes,
                    |s| ours::fan_in(s.fan_in_senders, s.tells / s.fan_in_senders),
                    |s| baseline::fan_in(s.fan_in_senders, s.tells / s.fan_in_senders),
                )
                .await,
            );
        }
        if wanted("ask") {
            let (ask, p50, p99) = latency(sizes).await;
            figures.extend([ask, p50, p99]);
        }
        if wanted("ping_pong") {
            figures.push(
                throughput(
                    "ping_pong",
                    "msg/s",
                    sizes,
                    |s| ours::ping_pong(s.ping_pongs),
                    |s| baseline::ping_pong(s.ping_pongs),
                )
                .await,
            );
        }
        if wanted("spawn") || wanted("idle_actor_bytes") {
            let (spawn, memory) = spawning(sizes).await;
            figures.extend([spawn, memory]);
        }
        // Thousands of deliberate panics: keep them off the terminal.
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        if wanted("restart") {
            figures.push(
                throughput(
                    "restart",
                    "restarts/s",
                    sizes,
                    |s| ours::restart(s.restarts),
                    |s| baseline::restart(s.restarts),
                )
                .await,
            );
        }
        std::panic::set_hook(default_hook);
    });

    print_table(&figures, quick);
    if let Some(path) = json_path {
        std::fs::write(&path, to_json(&figures)).unwrap_or_else(|err| {
            eprintln!("could not write {path}: {err}");
            std::process::exit(1);
        });
        println!("\nwrote {path}");
    }
}

/// The runtime every measurement runs on: multi-thread, 2 workers.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn exit_with_usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: cargo run --release -p benches -- [--quick] [--json PATH] [--only tell,fan_in,ask,ping_pong,spawn,restart]"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}

/// A workload that reports `(operations, elapsed)`; the figure is operations per second.
async fn throughput<O, B, FO, FB>(
    name: &'static str,
    unit: &'static str,
    sizes: Sizes,
    ours: O,
    baseline: B,
) -> Figure
where
    O: Fn(Sizes) -> FO,
    B: Fn(Sizes) -> FB,
    FO: std::future::Future<Output = (u64, Duration)>,
    FB: std::future::Future<Output = (u64, Duration)>,
{
    let rate = |(ops, elapsed): &(u64, Duration)| *ops as f64 / elapsed.as_secs_f64();
    // Warm-up: first touches of the allocator, the timer wheel and the code.
    let _ = ours(sizes).await;
    let _ = baseline(sizes).await;
    let (ours_runs, baseline_runs) =
        alternate(sizes.rounds, || ours(sizes), || baseline(sizes)).await;
    Figure {
        name,
        unit,
        ours: median(ours_runs.iter().map(rate).collect()),
        baseline: median(baseline_runs.iter().map(rate).collect()),
        higher_is_better: true,
    }
}

/// Runs each side `rounds` times, alternating which goes first so that drift in the
/// machine's state hits both alike, and returns each side's results.
async fn alternate<T, FO, FB>(
    rounds: usize,
    mut ours: impl FnMut() -> FO,
    mut baseline: impl FnMut() -> FB,
) -> (Vec<T>, Vec<T>)
where
    FO: std::future::Future<Output = T>,
    FB: std::future::Future<Output = T>,
{
    let (mut ours_runs, mut baseline_runs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            ours_runs.push(ours().await);
            baseline_runs.push(baseline().await);
        } else {
            baseline_runs.push(baseline().await);
            ours_runs.push(ours().await);
        }
    }
    (ours_runs, baseline_runs)
}

/// Sequential asks: throughput and the median of each round's p50 and p99 latency.
async fn latency(sizes: Sizes) -> (Figure, Figure, Figure) {
    let _ = ours::ask(sizes.asks / 10).await;
    let _ = baseline::ask(sizes.asks / 10).await;
    let (ours_runs, baseline_runs) = alternate(
        sizes.rounds,
        || ours::ask(sizes.asks),
        || baseline::ask(sizes.asks),
    )
    .await;
    let summarize = |runs: &[Vec<Duration>]| {
        let rates: Vec<f64> = runs
            .iter()
            .map(|r| r.len() as f64 / r.iter().sum::<Duration>().as_secs_f64())
            .collect();
        let p50: Vec<f64> = runs.iter().map(|r| percentile(r, 0.50)).collect();
        let p99: Vec<f64> = runs.iter().map(|r| percentile(r, 0.99)).collect();
        (median(rates), median(p50), median(p99))
    };
    let (ours_rate, ours_p50, ours_p99) = summarize(&ours_runs);
    let (base_rate, base_p50, base_p99) = summarize(&baseline_runs);
    (
        Figure {
            name: "ask",
            unit: "asks/s",
            ours: ours_rate,
            baseline: base_rate,
            higher_is_better: true,
        },
        Figure {
            name: "ask_p50",
            unit: "µs",
            ours: ours_p50,
            baseline: base_p50,
            higher_is_better: false,
        },
        Figure {
            name: "ask_p99",
            unit: "µs",
            ours: ours_p99,
            baseline: base_p99,
            higher_is_better: false,
        },
    )
}

/// Prints the resident bytes per idle actor of one side, measured in this (fresh) process.
fn measure_idle(side: &str, count: usize) {
    let run = runtime().block_on(async {
        match side {
            "ours" => ours::spawn(count).await,
            _ => baseline::spawn(count).await,
        }
    });
    println!("{}", run.bytes_per_actor);
}

/// Resident bytes per idle actor, measured in a child process: in this one, memory freed
/// by earlier workloads is reused and would hide the growth.
fn idle_bytes_in_child(side: &str, count: usize) -> f64 {
    let exe = std::env::current_exe().expect("own path");
    let output = std::process::Command::new(exe)
        .args(["--measure-idle", side, &count.to_string()])
        .output()
        .expect("run the measurement");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN)
}

/// Spawn rate and resident memory per idle actor.
async fn spawning(sizes: Sizes) -> (Figure, Figure) {
    let _ = ours::spawn(sizes.spawns / 10).await;
    let _ = baseline::spawn(sizes.spawns / 10).await;
    // Rates here; memory in fresh processes (see `idle_bytes_in_child`).
    let (ours_runs, base_runs) = alternate(
        sizes.rounds,
        || ours::spawn(sizes.spawns),
        || baseline::spawn(sizes.spawns),
    )
    .await;
    let rate = |run: &SpawnRun| sizes.spawns as f64 / run.elapsed.as_secs_f64();
    let ours_rates = ours_runs.iter().map(rate).collect();
    let base_rates = base_runs.iter().map(rate).collect();
    let bytes = |side| {
        (0..sizes.rounds)
            .map(|_| idle_bytes_in_child(side, sizes.spawns))
            .collect()
    };
    let (ours_bytes, base_bytes) = (bytes("ours"), bytes("baseline"));
    (
        Figure {
            name: "spawn",
            unit: "actors/s",
            ours: median(ours_rates),
            baseline: median(base_rates),
            higher_is_better: true,
        },
        Figure {
            name: "idle_actor_bytes",
            unit: "bytes",
            ours: median(ours_bytes),
            baseline: median(base_bytes),
            higher_is_better: false,
        },
    )
}

/// What a spawn run measured.
pub(crate) struct SpawnRun {
    pub(crate) elapsed: Duration,
    pub(crate) bytes_per_actor: f64,
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The `q` quantile of the samples, in microseconds.
fn percentile(samples: &[Duration], q: f64) -> f64 {
    let mut sorted: Vec<Duration> = samples.to_vec();
    sorted.sort_unstable();
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted
        .get(index)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

fn print_table(figures: &[Figure], quick: bool) {
    println!(
        "actor-core vs raw tokio (2 workers){}",
        if quick { ", --quick" } else { "" }
    );
    println!(
        "{:<18} {:>14} {:>14} {:>8}  unit",
        "workload", "ours", "baseline", "ratio"
    );
    for figure in figures {
        println!(
            "{:<18} {:>14} {:>14} {:>8.2}  {}",
            figure.name,
            human(figure.ours),
            human(figure.baseline),
            figure.ratio(),
            figure.unit
        );
    }
    println!("ratio: 1.0 = as good as the baseline; above is better, below is worse");
}

fn human(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.1}")
    }
}

fn to_json(figures: &[Figure]) -> String {
    let mut out = String::from("{\"workloads\": [\n");
    for (i, f) in figures.iter().enumerate() {
        let sep = if i + 1 == figures.len() { "" } else { "," };
        let _ = writeln!(
            out,
            "  {{\"name\": \"{}\", \"unit\": \"{}\", \"ours\": {}, \"baseline\": {}, \"ratio\": {}, \"higher_is_better\": {}}}{sep}",
            f.name,
            f.unit,
            json_number(f.ours),
            json_number(f.baseline),
            json_number(f.ratio()),
            f.higher_is_better
        );
    }
    out.push_str("]}\n");
    out
}

fn json_number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.6e}")
    } else {
        "null".to_owned()
    }
}
