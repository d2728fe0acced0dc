//! Remote actors on a simulated network: nodes on turmoil hosts, quinn on turmoil's UDP
//! through [`SimSocket`], seeded message latencies, partitions made and repaired at chosen
//! moments, and simulated time, so a scenario replays from its seed.

#[path = "turmoil/socket.rs"]
mod socket;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actor_cluster::{Credentials, Node};
use actor_core::prelude::*;

use socket::SimSocket;

/// The port every node listens on: turmoil gives each host its own address.
const PORT: u16 = 4433;

/// A directory of development credentials shared by the nodes of one simulation, made on
/// the real filesystem before the simulation starts.
fn dev_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "actor-cluster-turmoil-{}-{test}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Credentials::write_development_files(&dir).unwrap();
    dir
}

/// A node on the current host, `host`, on [`PORT`].
async fn start_node(host: &str, credentials: Credentials) -> turmoil::Result<Node> {
    let socket = SimSocket::bind(host, PORT).await?;
    let node = Node::builder()
        .socket(std::sync::Arc::new(socket))
        .credentials(credentials)
        .idle_timeout(Duration::from_secs(2))
        .start()
        .await?;
    Ok(node)
}

#[actor]
struct Account {
    balance: u64,
}

#[actor(remote = "turmoil.Account")]
impl Account {
    #[message]
    fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }
}

#[test]
fn smoke() -> turmoil::Result {
    let dir = dev_dir("smoke");
    let credentials = Credentials::development(&dir).unwrap();
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .simulation_duration(Duration::from_secs(30))
        .build();
    let served = credentials.clone();
    sim.host("b", move || {
        let credentials = served.clone();
        async move {
            let node = start_node("b", credentials).await?;
            let account = node.system().spawn(Account { balance: 0 }).unwrap();
            node.register("account", &account).unwrap();
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    sim.client("a", async move {
        let node = start_node("a", credentials).await?;
        let peer = std::net::SocketAddr::new(turmoil::lookup("b"), PORT);
        let remote = node.lookup::<Account>(peer, "account").await?;
        println!("{:?} looked up", turmoil::sim_elapsed());
        assert_eq!(remote.deposit(5).await.unwrap(), 5);
        println!("{:?} asked", turmoil::sim_elapsed());
        Ok(())
    });
    sim.run()
}
