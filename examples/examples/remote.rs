//! Remote actors across processes: this program starts two more copies of itself as node
//! processes on 127.0.0.1, talks to their actors through ordinary typed refs (tell, ask,
//! a ref sent inside a message, death watch), kills one node with SIGKILL, and shows the
//! watcher hear of it. It ends by itself and stops only the processes it started.
//!
//! ```sh
//! cargo run -p examples --example remote
//! ```
//!
//! Credentials: every node loads `Credentials::development(dir)` from one temporary
//! directory, so they share a development CA made on first use; no certificate work.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actor_cluster::{Credentials, Node};
use actor_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A statement line, as the bank sends it back: a type of the user's own, with serde.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub owner: String,
    pub balance: u64,
}

#[actor]
pub struct Account {
    owner: String,
    balance: u64,
}

#[actor(remote = "bank.Account")]
impl Account {
    #[message]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, String> {
        if amount > self.balance {
            return Err(format!("{} has only {}", self.owner, self.balance));
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    /// Sends the statement to `auditor`: a ref that travelled inside the message.
    #[message]
    pub fn send_statement(&self, auditor: ActorRef<Auditor>) {
        let _ = auditor
            .file(Statement {
                owner: self.owner.clone(),
                balance: self.balance,
            })
            .try_tell();
    }
}

#[actor]
pub struct Auditor {
    filed: Vec<Statement>,
}

#[actor(remote = "bank.Auditor")]
impl Auditor {
    #[message]
    pub fn file(&mut self, statement: Statement) {
        println!("  [auditor] filed {statement:?}");
        self.filed.push(statement);
    }

    #[message]
    pub fn filed(&self) -> Vec<Statement> {
        self.filed.clone()
    }
}

/// The client's watcher: prints each `Terminated` it gets.
#[actor]
pub struct Watcher {
    pub seen: Vec<Terminated>,
}

#[actor]
impl Watcher {
    #[message]
    pub fn watch(&mut self, ctx: &mut Context<Self>, account: ActorRef<Account>) {
        ctx.watch(&account);
    }

    #[message]
    pub fn seen(&self) -> usize {
        self.seen.len()
    }

    #[message]
    pub fn reasons(&self) -> Vec<StopReason> {
        self.seen.iter().map(|seen| seen.reason.clone()).collect()
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        println!(
            "  [client] Terminated: {} ({})",
            terminated.path, terminated.reason
        );
        self.seen.push(terminated);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--node") {
        let role = args.get(at + 1).ok_or("--node needs a role")?;
        let dir = args.get(at + 2).ok_or("--node needs a credentials dir")?;
        return run_node(role, Path::new(dir)).await;
    }
    run_client().await
}

/// A node process: serves one actor until its parent closes its stdin.
async fn run_node(role: &str, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder()
        .credentials(Credentials::development(dir)?)
        .start()
        .await?;
    // Each actor lives as long as this process: its ref is kept to the end, as an actor
    // whose last ref goes stops (and is unregistered).
    let (_account, _auditor) = match role {
        "bank" => {
            let account = node.system().spawn(Account {
                owner: "alice".into(),
                balance: 0,
            })?;
            node.register("alice", &account)?;
            (Some(account), None)
        }
        _ => {
            let auditor = node.system().spawn(Auditor { filed: Vec::new() })?;
            node.register("auditor", &auditor)?;
            (None, Some(auditor))
        }
    };
    // The parent reads this line to learn the port.
    println!("listening {}", node.address());
    // Ends when the parent does: its end of our stdin closes.
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    node.shutdown().await;
    Ok(())
}

/// A node process this program started, killed on drop if still running.
pub struct NodeProcess {
    pub child: Child,
    pub address: SocketAddr,
}

impl NodeProcess {
    /// Starts `program` (this example's binary) as the node `role` (`bank` or `audit`).
    pub fn start(
        program: &Path,
        role: &str,
        dir: &Path,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut child = Command::new(program)
            .args(["--node", role])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        lines.read_line(&mut line)?;
        // The rest of what the node prints is shown here, as it comes.
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                println!("{line}");
            }
        });
        let address = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| format!("unexpected first line from the {role} node: {line:?}"))?
            .parse()?;
        Ok(NodeProcess { child, address })
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        // Only our own child, by its handle (its pid).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn run_client() -> Result<(), Box<dyn std::error::Error>> {
    let dir = temp_dir();
    let program = std::env::current_exe()?;
    let bank = NodeProcess::start(&program, "bank", &dir)?;
    let audit = NodeProcess::start(&program, "audit", &dir)?;
    println!("bank node (pid {}) on {}", bank.child.id(), bank.address);
    println!("audit node (pid {}) on {}", audit.child.id(), audit.address);

    let client = Node::builder()
        .credentials(Credentials::development(&dir)?)
        .idle_timeout(Duration::from_secs(2))
        .start()
        .await?;
    let alice = client.lookup::<Account>(bank.address, "alice").await?;
    let auditor = client.lookup::<Auditor>(audit.address, "auditor").await?;
    println!("looked up {} and {}", alice.path(), auditor.path());

    alice.deposit(100).tell().await?;
    println!("ask deposit(20) -> {}", alice.deposit(20).await?);
    println!("ask withdraw(500) -> {:?}", alice.withdraw(500).await?);

    // A ref inside a message: the bank node tells the audit node directly.
    alice.send_statement(auditor.clone()).tell().await?;
    let filed = wait_until(Duration::from_secs(10), || async {
        let filed = auditor.filed().await.ok()?;
        (!filed.is_empty()).then_some(filed)
    })
    .await
    .ok_or("the statement never reached the auditor")?;
    println!("auditor has {} statement(s): {:?}", filed.len(), filed[0]);

    let watcher = client.system().spawn(Watcher { seen: Vec::new() })?;
    watcher.watch(alice.clone()).await?;
    alice.deposit(0).await?;

    println!("killing the bank node (SIGKILL, pid {})", bank.child.id());
    let killed_at = Instant::now();
    drop(bank);
    wait_until(Duration::from_secs(10), || async {
        (watcher.seen().await.ok()? > 0).then_some(())
    })
    .await
    .ok_or("no Terminated within 10 s")?;
    println!("the watcher heard within {:?}", killed_at.elapsed());
    match alice.deposit(1).await {
        Ok(balance) => println!("unexpected: the dead node answered {balance}"),
        Err(err) => println!("ask to the dead node -> {err}"),
    }

    client.shutdown().await;
    drop(audit);
    let _ = std::fs::remove_dir_all(&dir);
    println!("done: every node process stopped");
    Ok(())
}

async fn wait_until<T, F, Fut>(bound: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("actor-remote-example-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}
