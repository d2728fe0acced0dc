//! The benchmark: actor-core against the least tokio code that does the same job, side by
//! side in one process, on one multi-thread runtime with 2 workers (and a current-thread
//! runtime for ask and ping-pong, the shape single-threaded frameworks run in); and the
//! `remote_*` workloads, two actor-cluster nodes in this process on loopback, against the
//! least quinn code that does the same job with the same TLS.
//!
//! ```text
//! cargo run --release -p benches -- [--quick] [--json PATH] [--only tell,ask,...]
//! ```
//!
//! `--only` runs the named workloads alone, for profiling one of them.
//! `--client-outside-runtime` sends from `block_on`'s thread instead, as the benchmark did
//! before issue 13; its figures are labelled so, and are not the ones to quote.
//!
//! Every workload's client side (the sender, the asker, the spawner) runs as a task on a
//! runtime worker, as code inside an actor does (see [`measure::on_worker`]). Each workload
//! runs a warm-up, then several rounds rotating which side goes first; the figures are
//! medians, and each ratio is ours against the baseline of the same run, oriented so that
//! 1.0 means "as good as the baseline" (see `docs/performance.md`).

mod baseline;
mod measure;
mod ours;
mod raw_quic;
mod remote;
mod report;

use std::time::Duration;

use measure::{mean_ns, median, medians, on_worker, percentile_ns, rotate, side};
use report::Figure;

/// Sizes of the workloads; `--quick` divides them for a smoke run.
#[derive(Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) tells: u64,
    pub(crate) fan_in_senders: u64,
    pub(crate) asks: u64,
    pub(crate) ping_pongs: u64,
    pub(crate) spawns: usize,
    pub(crate) restarts: u64,
    pub(crate) remote_tells: u64,
    pub(crate) remote_asks: u64,
    pub(crate) remote_ping_pongs: u64,
    rounds: usize,
}

impl Sizes {
    /// The sizes of a warm-up run: a tenth of the long workloads.
    fn warm_up(self) -> Sizes {
        Sizes {
            asks: self.asks / 10,
            spawns: self.spawns / 10,
            remote_tells: self.remote_tells / 10,
            remote_asks: self.remote_asks / 10,
            remote_ping_pongs: self.remote_ping_pongs / 10,
            ..self
        }
    }
}

const FULL: Sizes = Sizes {
    tells: 1_000_000,
    fan_in_senders: 8,
    asks: 100_000,
    ping_pongs: 100_000,
    spawns: 100_000,
    restarts: 10_000,
    remote_tells: 1_000_000,
    remote_asks: 20_000,
    remote_ping_pongs: 20_000,
    rounds: 5,
};

const QUICK: Sizes = Sizes {
    tells: 100_000,
    fan_in_senders: 8,
    asks: 10_000,
    ping_pongs: 10_000,
    spawns: 10_000,
    restarts: 1_000,
    remote_tells: 50_000,
    remote_asks: 1_000,
    remote_ping_pongs: 1_000,
    rounds: 2,
};

/// The workloads, each with the names of the figures it gives; `--only` takes either.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("tell", &["tell"]),
    ("fan_in", &["fan_in"]),
    ("ask", &["ask", "ask_p50", "ask_p99"]),
    ("ping_pong", &["ping_pong"]),
    ("spawn", &["spawn", "idle_actor_bytes", "allocs_per_spawn"]),
    ("stop_all", &["stop_all", "stop_all_shutdown"]),
    ("restart", &["restart"]),
    (
        "ask_current_thread",
        &[
            "ask_current_thread",
            "ask_p50_current_thread",
            "ask_p99_current_thread",
        ],
    ),
    ("ping_pong_current_thread", &["ping_pong_current_thread"]),
    ("remote_tell", &["remote_tell", "remote_allocs_per_tell"]),
    (
        "remote_ask",
        &[
            "remote_ask",
            "remote_ask_p50",
            "remote_ask_p99",
            "remote_allocs_per_ask",
        ],
    ),
    ("remote_ping_pong", &["remote_ping_pong"]),
];

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
            "--client-outside-runtime" => measure::put_client_outside_runtime(),
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
    if let Some(names) = &only {
        let known = |name: &String| {
            WORKLOADS
                .iter()
                .any(|(workload, figures)| workload == name || figures.contains(&name.as_str()))
        };
        if let Some(unknown) = names.iter().find(|name| !known(name)) {
            exit_with_usage(&format!("unknown workload `{unknown}`"));
        }
    }
    let sizes = if quick { QUICK } else { FULL };
    let wanted = |workload: &str| {
        let figures = WORKLOADS
            .iter()
            .find(|(name, _)| *name == workload)
            .map_or(&[][..], |(_, figures)| figures);
        only.as_ref().is_none_or(|names| {
            names
                .iter()
                .any(|n| n == workload || figures.contains(&n.as_str()))
        })
    };

    let mut figures = Vec::new();
    multi_thread_runtime().block_on(async {
        if wanted("tell") {
            figures.push(
                rate(
                    "tell",
                    "msg/s",
                    sizes,
                    side(|s: Sizes| ours::tell(s.tells)),
                    side(|s: Sizes| baseline::tell(s.tells)),
                )
                .await,
            );
        }
        if wanted("fan_in") {
            figures.push(
                rate(
                    "fan_in",
                    "msg/s",
                    sizes,
                    side(|s: Sizes| ours::fan_in(s.fan_in_senders, s.tells / s.fan_in_senders)),
                    side(|s: Sizes| baseline::fan_in(s.fan_in_senders, s.tells / s.fan_in_senders)),
                )
                .await,
            );
        }
        if wanted("ask") {
            figures.extend(latency(sizes, ["ask", "ask_p50", "ask_p99"]).await);
        }
        if wanted("ping_pong") {
            figures.push(ping_pong(sizes, "ping_pong").await);
        }
        if wanted("spawn") {
            figures.extend(spawning(sizes).await);
        }
        if wanted("stop_all") {
            figures.extend(stop_all(sizes).await);
        }
        // Thousands of deliberate panics: keep them off the terminal.
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        if wanted("restart") {
            figures.push(
                rate(
                    "restart",
                    "restarts/s",
                    sizes,
                    side(|s: Sizes| ours::restart(s.restarts)),
                    side(|s: Sizes| baseline::restart(s.restarts)),
                )
                .await,
            );
        }
        std::panic::set_hook(default_hook);
        if wanted("remote_tell") {
            figures.extend(remote_tell(sizes).await);
        }
        if wanted("remote_ask") {
            figures.extend(remote_ask(sizes).await);
        }
        if wanted("remote_ping_pong") {
            figures.push(remote_ping_pong(sizes).await);
        }
    });
    remote::remove_credentials();
    if wanted("ask_current_thread") || wanted("ping_pong_current_thread") {
        current_thread_runtime().block_on(async {
            if wanted("ask_current_thread") {
                let names = [
                    "ask_current_thread",
                    "ask_p50_current_thread",
                    "ask_p99_current_thread",
                ];
                figures.extend(latency(sizes, names).await);
            }
            if wanted("ping_pong_current_thread") {
                figures.push(ping_pong(sizes, "ping_pong_current_thread").await);
            }
        });
    }

    report::print_table(&figures, quick);
    if let Some(path) = json_path {
        std::fs::write(&path, report::to_json(&figures)).unwrap_or_else(|err| {
            eprintln!("could not write {path}: {err}");
            std::process::exit(1);
        });
        println!("\nwrote {path}");
    }
}

/// The runtime of every workload but the `_current_thread` ones: multi-thread, 2 workers.
fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The runtime of the `_current_thread` workloads: `block_on`'s thread is the only worker,
/// so a spawned client side runs there too, beside the actors.
fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn exit_with_usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    let names: Vec<&str> = WORKLOADS.iter().map(|(name, _)| *name).collect();
    eprintln!(
        "usage: cargo run --release -p benches -- [--quick] [--json PATH] [--only NAME,...]\n\
         \x20      [--client-outside-runtime]\n\
         workloads: {}",
        names.join(", ")
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}

/// A workload that reports `(operations, elapsed)`; the figure is operations per second.
async fn rate(
    name: &'static str,
    unit: &'static str,
    sizes: Sizes,
    ours: measure::Side<(u64, Duration)>,
    baseline: measure::Side<(u64, Duration)>,
) -> Figure {
    let runs = rotate(sizes, sizes, &[ours, baseline]).await;
    let per_second = medians(&runs, |(ops, elapsed)| *ops as f64 / elapsed.as_secs_f64());
    Figure::new(name, unit, per_second[0], per_second[1], true)
}

/// Two actors bouncing one message; nanoseconds per round trip (two messages, there and
/// back).
async fn ping_pong(sizes: Sizes, name: &'static str) -> Figure {
    let runs = rotate(
        sizes,
        sizes,
        &[
            side(|s: Sizes| ours::ping_pong(s.ping_pongs)),
            side(|s: Sizes| baseline::ping_pong(s.ping_pongs)),
        ],
    )
    .await;
    let per_round_trip = medians(&runs, |(bounces, elapsed)| {
        elapsed.as_secs_f64() * 1e9 / (*bounces as f64 / 2.0)
    });
    Figure::new(
        name,
        "ns/round trip",
        per_round_trip[0],
        per_round_trip[1],
        false,
    )
}

/// Sequential asks: the median of each round's mean, p50 and p99 latency, against the raw
/// oneshot and the raw oneshot under `tokio::time::timeout`, named by `names`.
async fn latency(sizes: Sizes, names: [&'static str; 3]) -> Vec<Figure> {
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| ours::ask(s.asks)),
            side(|s: Sizes| baseline::ask(s.asks)),
            side(|s: Sizes| baseline::ask_timeout(s.asks)),
        ],
    )
    .await;
    let figure = |name, unit, value: &dyn Fn(&Vec<Duration>) -> f64| {
        let m = medians(&runs, value);
        Figure {
            baseline_timeout: Some(m[2]),
            ..Figure::new(name, unit, m[0], m[1], false)
        }
    };
    vec![
        figure(names[0], "ns (mean)", &|r| mean_ns(r)),
        figure(names[1], "ns", &|r| percentile_ns(r, 0.50)),
        figure(names[2], "ns", &|r| percentile_ns(r, 0.99)),
    ]
}

/// Prints the resident bytes per idle actor of one side, measured in this (fresh) process.
fn measure_idle(side: &str, count: usize) {
    let run = multi_thread_runtime().block_on(async {
        match side {
            "ours" => on_worker(ours::spawn(count)).await,
            _ => on_worker(baseline::spawn(count)).await,
        }
    });
    println!("{}", run.bytes_per_actor);
}

/// Resident bytes per idle actor, measured in a child process: in this one, memory freed
/// by earlier workloads is reused and would hide the growth.
fn idle_bytes_in_child(side: &str, count: usize) -> f64 {
    let exe = std::env::current_exe().expect("own path");
    let mut child = std::process::Command::new(exe);
    if measure::client_outside_runtime() {
        child.arg("--client-outside-runtime");
    }
    let output = child
        .args(["--measure-idle", side, &count.to_string()])
        .output()
        .expect("run the measurement");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN)
}

/// Spawn rate, resident memory and heap allocations per idle actor.
async fn spawning(sizes: Sizes) -> Vec<Figure> {
    // Rates and allocations here; memory in fresh processes (see `idle_bytes_in_child`).
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| ours::spawn(s.spawns)),
            side(|s: Sizes| baseline::spawn(s.spawns)),
        ],
    )
    .await;
    let rates = medians(&runs, |run| sizes.spawns as f64 / run.elapsed.as_secs_f64());
    let allocs = medians(&runs, |run| run.allocs_per_actor);
    let bytes = |side| {
        median(
            (0..sizes.rounds)
                .map(|_| idle_bytes_in_child(side, sizes.spawns))
                .collect(),
        )
    };
    vec![
        Figure::new("spawn", "actors/s", rates[0], rates[1], true),
        Figure::new(
            "idle_actor_bytes",
            "bytes/actor",
            bytes("ours"),
            bytes("baseline"),
            false,
        ),
        Figure::new(
            "allocs_per_spawn",
            "allocs/actor",
            allocs[0],
            allocs[1],
            false,
        ),
    ]
}

/// What a spawn run measured.
pub(crate) struct SpawnRun {
    pub(crate) elapsed: Duration,
    pub(crate) bytes_per_actor: f64,
    /// Heap allocations from the spawn until the actor has started, per actor.
    pub(crate) allocs_per_actor: f64,
}

/// Stopping every one of many idle actors and awaiting their end, in milliseconds per
/// 100,000 actors: ours by `stop()` on each ref (`stop_all`) and by one `shutdown()`
/// (`stop_all_shutdown`), each against the same baseline runs (every sender dropped,
/// every `JoinHandle` awaited).
async fn stop_all(sizes: Sizes) -> Vec<Figure> {
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| ours::stop_all(s.spawns, ours::StopAll::EachRef)),
            side(|s: Sizes| ours::stop_all(s.spawns, ours::StopAll::Shutdown)),
            side(|s: Sizes| baseline::stop_all(s.spawns)),
        ],
    )
    .await;
    let per_100k = medians(&runs, |elapsed| {
        elapsed.as_secs_f64() * 1e3 * 100_000.0 / sizes.spawns as f64
    });
    vec![
        Figure::new(
            "stop_all",
            "ms/100k actors",
            per_100k[0],
            per_100k[2],
            false,
        ),
        Figure::new(
            "stop_all_shutdown",
            "ms/100k actors",
            per_100k[1],
            per_100k[2],
            false,
        ),
    ]
}

/// What a remote throughput run measured: messages, the time they took, and the heap
/// allocations of the whole process (both nodes, or both raw ends) per message.
pub(crate) struct RateRun {
    pub(crate) ops: u64,
    pub(crate) elapsed: std::time::Duration,
    pub(crate) allocs_per_op: f64,
}

/// What a remote ask run measured: each ask's round trip, and the process's heap
/// allocations per ask.
pub(crate) struct AskRun {
    pub(crate) samples: Vec<Duration>,
    pub(crate) allocs_per_op: f64,
}

/// Remote tells against raw frames on one quinn stream: msg/s and allocations per message.
async fn remote_tell(sizes: Sizes) -> Vec<Figure> {
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| remote::tell(s.remote_tells)),
            side(|s: Sizes| raw_quic::tell(s.remote_tells)),
        ],
    )
    .await;
    let rates = medians(&runs, |run| run.ops as f64 / run.elapsed.as_secs_f64());
    let allocs = medians(&runs, |run| run.allocs_per_op);
    vec![
        Figure::new("remote_tell", "msg/s", rates[0], rates[1], true).against_quinn(),
        Figure::new(
            "remote_allocs_per_tell",
            "allocs/msg",
            allocs[0],
            allocs[1],
            false,
        )
        .against_quinn(),
    ]
}

/// Sequential remote asks against request/response frames on a raw quinn bi stream: mean,
/// p50 and p99 in ns, and allocations per ask.
async fn remote_ask(sizes: Sizes) -> Vec<Figure> {
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| remote::ask(s.remote_asks)),
            side(|s: Sizes| raw_quic::ask(s.remote_asks)),
        ],
    )
    .await;
    let figure = |name, unit, value: &dyn Fn(&AskRun) -> f64| {
        let m = medians(&runs, value);
        Figure::new(name, unit, m[0], m[1], false).against_quinn()
    };
    vec![
        figure("remote_ask", "ns (mean)", &|r| mean_ns(&r.samples)),
        figure("remote_ask_p50", "ns", &|r| percentile_ns(&r.samples, 0.50)),
        figure("remote_ask_p99", "ns", &|r| percentile_ns(&r.samples, 0.99)),
        figure("remote_allocs_per_ask", "allocs/ask", &|r| r.allocs_per_op),
    ]
}

/// Two actors on two nodes bouncing one message, against a counter bounced between the
/// two ends of a raw quinn bi stream: messages across a link per second.
async fn remote_ping_pong(sizes: Sizes) -> Figure {
    let runs = rotate(
        sizes,
        sizes.warm_up(),
        &[
            side(|s: Sizes| remote::ping_pong(s.remote_ping_pongs)),
            side(|s: Sizes| raw_quic::ping_pong(s.remote_ping_pongs)),
        ],
    )
    .await;
    let rates = medians(&runs, |run| run.ops as f64 / run.elapsed.as_secs_f64());
    Figure::new("remote_ping_pong", "msg/s", rates[0], rates[1], true).against_quinn()
}
