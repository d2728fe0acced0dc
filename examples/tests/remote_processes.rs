//! Nodes as processes: the `remote` example's binary started as node processes, one killed
//! with SIGKILL, and a watcher in this process told within a stated bound.
//!
//! The bound: the link's idle timeout (2 s here) plus the time to notice and deliver,
//! stated as 10 s for a loaded 2-core machine. Only the processes this test started are
//! killed, through their own handles.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use actor_cluster::{Credentials, Node};
use actor_core::StopReason;

#[allow(dead_code)]
#[path = "../examples/remote.rs"]
mod remote;

use remote::{Account, NodeProcess, Watcher};

/// The example's binary, which `cargo test` builds beside this test.
fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let profile = deps.parent().unwrap().parent().unwrap();
    profile
        .join("examples")
        .join(format!("remote{}", std::env::consts::EXE_SUFFIX))
}

const DETECTION_BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_hears_of_a_killed_node_process_within_the_bound() {
    let program = example_binary();
    assert!(
        program.exists(),
        "{} is built by `cargo test -p examples`",
        program.display()
    );
    let dir = std::env::temp_dir().join(format!("actor-remote-processes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bank = NodeProcess::start(&program, "bank", &dir).unwrap();
    let audit = NodeProcess::start(&program, "audit", &dir).unwrap();

    let here = Node::builder()
        .credentials(Credentials::development(&dir).unwrap())
        .idle_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let alice = tokio::time::timeout(
        Duration::from_secs(20),
        here.lookup::<Account>(bank.address, "alice"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(alice.deposit(5).await.unwrap(), 5);
    let auditor = here
        .lookup::<remote::Auditor>(audit.address, "auditor")
        .await
        .unwrap();
    let watcher = here.system().spawn(Watcher { seen: Vec::new() }).unwrap();
    watcher.watch(alice.clone()).await.unwrap();
    alice.deposit(0).await.unwrap();

    let killed_at = Instant::now();
    drop(bank); // SIGKILL, then reaped.
    let reasons = loop {
        let reasons = watcher.reasons().await.unwrap();
        if !reasons.is_empty() {
            break reasons;
        }
        assert!(
            killed_at.elapsed() < DETECTION_BOUND,
            "no Terminated within {DETECTION_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let detected = killed_at.elapsed();
    assert_eq!(reasons.len(), 1, "exactly once");
    assert!(
        matches!(reasons[0], StopReason::Unreachable(_)),
        "{:?}",
        reasons[0]
    );
    eprintln!("Terminated {detected:?} after SIGKILL");
    // An ask to the dead node resolves (never hangs), with an error.
    let after = tokio::time::timeout(Duration::from_secs(10), alice.deposit(1))
        .await
        .unwrap();
    assert!(after.is_err());
    // The other node is unaffected.
    assert!(auditor.filed().await.unwrap().is_empty());

    here.shutdown().await;
    drop(audit);
    let _ = std::fs::remove_dir_all(&dir);
}
