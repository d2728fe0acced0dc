//! Remote actors, nodes in one process on 127.0.0.1: tell, ask, per-pair order, refs in
//! messages, death watch across nodes, failures as data, a node shut down under asks, a
//! peer restarted on the same address, limits and authentication.
//!
//! Real sockets and real time: every wait is bounded by `within`, and the assertions are
//! on events and counts, not on how long things took.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actor_cluster::{Credentials, Node, RemoteLookupError};
use actor_core::prelude::*;
use actor_core::{FailureKind, RemoteError};

/// Bounds every wait of these tests: generous, since a loaded 2-core machine is slow, and
/// never reached when things work.
const BOUND: Duration = Duration::from_secs(20);

async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(BOUND, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not happen within {BOUND:?}"),
    }
}

/// A directory of development credentials shared by the nodes of one test.
fn dev_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "actor-cluster-test-{}-{test}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn node_in(dir: &PathBuf) -> Node {
    node_at(dir, "127.0.0.1:0".parse().unwrap()).await
}

async fn node_at(dir: &PathBuf, address: SocketAddr) -> Node {
    Node::builder()
        .bind(address)
        .credentials(Credentials::development(dir).unwrap())
        .idle_timeout(Duration::from_secs(3))
        .start()
        .await
        .unwrap()
}

#[actor]
struct Account {
    balance: u64,
    log: Vec<(u32, u64)>,
}

impl Account {
    fn new() -> Self {
        Account {
            balance: 0,
            log: Vec::new(),
        }
    }
}

#[actor(remote = "test.Account")]
impl Account {
    #[message]
    fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    fn withdraw(&mut self, amount: u64) -> Result<u64, String> {
        if amount > self.balance {
            return Err(format!("only {} left", self.balance));
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    #[message]
    fn record(&mut self, sender: u32, seq: u64) {
        self.log.push((sender, seq));
    }

    #[message]
    fn log(&self) -> Vec<(u32, u64)> {
        self.log.clone()
    }

    #[message]
    fn boom(&mut self) -> u64 {
        panic!("boom at {}", self.balance)
    }

    #[message]
    async fn slow(&self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }

    #[message]
    fn size_of(&self, blob: Vec<u8>) -> usize {
        blob.len()
    }

    /// Tells `listener` the balance: a ref that came inside the message.
    #[message]
    fn notify(&self, listener: ActorRef<Listener>) {
        let _ = listener.heard(self.balance).try_tell();
    }

    /// Hands out a ref to a new account, in the reply.
    #[message]
    fn open_sub_account(&self, ctx: &mut Context<Self>) -> ActorRef<Account> {
        ctx.spawn(Account::new()).expect("a child")
    }
}

#[actor]
struct Listener {
    heard: Vec<u64>,
}

#[actor(remote = "test.Listener")]
impl Listener {
    #[message]
    fn heard(&mut self, value: u64) {
        self.heard.push(value);
    }

    #[message]
    fn values(&self) -> Vec<u64> {
        self.heard.clone()
    }
}

/// Watches what it is told to and keeps every `Terminated`.
#[actor]
struct Watcher {
    seen: Vec<Terminated>,
}

#[actor]
impl Watcher {
    #[message]
    fn watch_account(&mut self, ctx: &mut Context<Self>, target: ActorRef<Account>) {
        ctx.watch(&target);
    }

    #[message]
    fn seen(&self) -> Vec<Terminated> {
        self.seen.clone()
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        self.seen.push(terminated);
    }
}

async fn wait_for_terminated(watcher: &ActorRef<Watcher>, count: usize) -> Vec<Terminated> {
    within("a Terminated at the watcher", async {
        loop {
            let seen = watcher.seen().await.unwrap();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tell_and_ask_reach_an_actor_on_another_node() {
    let dir = dev_dir("tell-ask");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();

    let remote = within("lookup", here.lookup::<Account>(there.address(), "account"))
        .await
        .unwrap();
    assert!(actor_core::__private::remote::is_remote(&remote));
    assert!(
        remote.path().contains(&there.address().to_string()),
        "{}",
        remote.path()
    );

    remote.deposit(5).tell().await.unwrap();
    assert_eq!(within("ask", remote.deposit(10)).await.unwrap(), 15);
    // A business error travels as data.
    assert_eq!(
        within("ask", remote.withdraw(100)).await.unwrap(),
        Err("only 15 left".to_owned())
    );
    assert_eq!(within("ask", remote.withdraw(5)).await.unwrap(), Ok(10));
    // The same ref type: the local ref answers the same.
    assert_eq!(account.deposit(0).await.unwrap(), 10);

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_on_this_node_gives_the_local_ref_and_errors_are_typed() {
    let dir = dev_dir("lookup");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = here.system().spawn(Account::new()).unwrap();
    here.register("account", &account).unwrap();
    let listener = there.system().spawn(Listener { heard: vec![] }).unwrap();
    there.register("listener", &listener).unwrap();

    let local = here
        .lookup::<Account>(here.address(), "account")
        .await
        .unwrap();
    assert!(!actor_core::__private::remote::is_remote(&local));
    assert_eq!(local.id(), account.id());

    assert!(matches!(
        here.register("account", &account),
        Err(actor_cluster::RegisterError::NameTaken(_))
    ));
    assert!(matches!(
        within("lookup", here.lookup::<Account>(there.address(), "nobody")).await,
        Err(RemoteLookupError::NotFound { .. })
    ));
    assert!(matches!(
        within(
            "lookup",
            here.lookup::<Account>(there.address(), "listener")
        )
        .await,
        Err(RemoteLookupError::WrongActor { .. })
    ));

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_one_sender_arrive_in_order_under_concurrency() {
    const SENDERS: u32 = 4;
    const EACH: u64 = 500;
    let dir = dev_dir("order");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there
        .system()
        .spawn(Props::new(Account::new).mailbox(MailboxConfig::unbounded()))
        .unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();

    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let remote = remote.clone();
        senders.push(tokio::spawn(async move {
            for seq in 0..EACH {
                remote.record(sender, seq).tell().await.unwrap();
            }
        }));
    }
    for sender in senders {
        within("senders", sender).await.unwrap();
    }
    // An ask after every tell on the same link arrives after them.
    let log = within("log", remote.log()).await.unwrap();
    assert_eq!(
        log.len() as u64,
        u64::from(SENDERS) * EACH,
        "none lost on a healthy link"
    );
    for sender in 0..SENDERS {
        let seqs: Vec<u64> = log
            .iter()
            .filter(|(s, _)| *s == sender)
            .map(|(_, q)| *q)
            .collect();
        assert_eq!(
            seqs,
            (0..EACH).collect::<Vec<_>>(),
            "sender {sender} in order"
        );
    }

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refs_travel_in_messages_and_replies() {
    let dir = dev_dir("refs");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();
    remote.deposit(7).await.unwrap();

    // A local ref in a message: the remote actor answers through it (reply-to).
    let listener = here.system().spawn(Listener { heard: vec![] }).unwrap();
    remote.notify(listener.clone()).tell().await.unwrap();
    let heard = within("the listener hears back", async {
        loop {
            let values = listener.values().await.unwrap();
            if !values.is_empty() {
                return values;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(heard, vec![7]);

    // A ref in a reply: a remote ref to an actor there that was never registered.
    let sub = within("ask", remote.open_sub_account()).await.unwrap();
    assert!(actor_core::__private::remote::is_remote(&sub));
    assert_eq!(within("ask", sub.deposit(3)).await.unwrap(), 3);

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_gets_one_terminated_when_a_remote_actor_stops() {
    let dir = dev_dir("watch");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();
    let watcher = here.system().spawn(Watcher { seen: vec![] }).unwrap();
    watcher.watch_account(remote.clone()).await.unwrap();
    // Watching twice is one watch.
    watcher.watch_account(remote.clone()).await.unwrap();
    // The watch is in place once a round trip on the same link has come back.
    remote.deposit(1).await.unwrap();

    account.stop();
    let seen = wait_for_terminated(&watcher, 1).await;
    assert_eq!(seen[0].reason, StopReason::Requested);
    assert_eq!(seen[0].id, remote.id());
    assert_eq!(
        within("terminated", remote.terminated()).await,
        StopReason::Requested
    );
    // Exactly once: another round trip later, still one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(watcher.seen().await.unwrap().len(), 1);
    // A message now is refused or answered as stopped, never hangs.
    let after = within("ask after stop", remote.deposit(1)).await;
    assert!(
        matches!(
            after,
            Err(AskError::Closed(_)
                | AskError::Stopped
                | AskError::Remote(RemoteError::UnknownActor))
        ),
        "{after:?}"
    );

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_there_are_typed_errors_here() {
    let dir = dev_dir("failures");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    // From a factory, so that the guardian can restart it.
    let account = there.system().spawn(Props::new(Account::new)).unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();

    match within("ask", remote.boom()).await {
        Err(AskError::Failed(failure)) => {
            assert_eq!(failure.kind(), FailureKind::Remote);
            assert!(failure.message().contains("boom at 0"), "{failure}");
        }
        other => panic!("expected a remote failure, got {other:?}"),
    }
    // The guardian restarted it there: it answers again.
    assert_eq!(within("ask", remote.deposit(2)).await.unwrap(), 2);

    // A message over the frame limit is refused here, with its size.
    let big = vec![0u8; 2 << 20];
    match within("ask", remote.size_of(big)).await {
        Err(AskError::Remote(RemoteError::TooLarge { size, max })) => {
            assert!(size > max, "{size} > {max}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Under the limit it goes.
    assert_eq!(
        within("ask", remote.size_of(vec![1; 100_000]))
            .await
            .unwrap(),
        100_000
    );

    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asks_in_flight_resolve_when_the_peer_shuts_down() {
    let dir = dev_dir("shutdown");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();
    let watcher = here.system().spawn(Watcher { seen: vec![] }).unwrap();
    watcher.watch_account(remote.clone()).await.unwrap();
    remote.deposit(1).await.unwrap();

    let mut asks = Vec::new();
    for _ in 0..20 {
        let remote = remote.clone();
        asks.push(tokio::spawn(async move {
            remote.slow(60_000).timeout(Duration::from_secs(120)).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    there.shutdown().await;
    for ask in asks {
        let outcome = within("an ask in flight resolves", ask).await.unwrap();
        assert!(outcome.is_err(), "{outcome:?}");
    }
    let seen = wait_for_terminated(&watcher, 1).await;
    assert!(
        // Stopped by the shutdown, aborted by its timeout (it was inside a 60 s handler),
        // or its node unreachable first: each says the actor is gone.
        matches!(
            seen[0].reason,
            StopReason::Shutdown | StopReason::Aborted | StopReason::Unreachable(_)
        ),
        "{:?}",
        seen[0].reason
    );
    here.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_peer_is_a_new_incarnation_old_refs_do_not_reach_it() {
    let dir = dev_dir("restart");
    let here = node_in(&dir).await;
    let there = node_in(&dir).await;
    let address = there.address();
    let first = there.system().spawn(Account::new()).unwrap();
    there.register("account", &first).unwrap();
    let old = here.lookup::<Account>(address, "account").await.unwrap();
    old.deposit(100).await.unwrap();
    let watcher = here.system().spawn(Watcher { seen: vec![] }).unwrap();
    watcher.watch_account(old.clone()).await.unwrap();
    old.deposit(0).await.unwrap();
    let first_incarnation = there.incarnation();
    there.shutdown().await;
    drop(there);

    // The same address again: a new process as far as anyone can tell.
    let again = within("rebind", async {
        loop {
            match Node::builder()
                .bind(address)
                .credentials(Credentials::development(&dir).unwrap())
                .start()
                .await
            {
                Ok(node) => return node,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await;
    assert_ne!(again.incarnation(), first_incarnation);
    let second = again.system().spawn(Account::new()).unwrap();
    again.register("account", &second).unwrap();

    let seen = wait_for_terminated(&watcher, 1).await;
    assert_eq!(seen.len(), 1);
    // The old ref reaches nothing, and never the new actor.
    let stale = within("ask on a stale ref", old.deposit(1)).await;
    assert!(stale.is_err(), "{stale:?}");
    let fresh = here.lookup::<Account>(address, "account").await.unwrap();
    assert_eq!(
        within("ask", fresh.deposit(1)).await.unwrap(),
        1,
        "a fresh account"
    );
    assert_eq!(second.deposit(0).await.unwrap(), 1);

    here.shutdown().await;
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_of_another_cluster_cannot_reach_anything() {
    let (ours, theirs) = (dev_dir("auth-ours"), dev_dir("auth-theirs"));
    let there = node_in(&ours).await;
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let intruder = Node::builder()
        .credentials(Credentials::development(&theirs).unwrap())
        .lookup_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let refused = within(
        "lookup",
        intruder.lookup::<Account>(there.address(), "account"),
    )
    .await;
    assert!(
        matches!(refused, Err(RemoteLookupError::Unreachable { .. })),
        "{refused:?}"
    );
    assert_eq!(account.deposit(0).await.unwrap(), 0, "nothing arrived");

    intruder.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_remote_mailbox_drops_to_dead_letters_without_stalling_the_link() {
    let dir = dev_dir("full");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    // A small mailbox behind a slow handler, and a fast actor beside it.
    let slow = there
        .system()
        .spawn(Props::new(Account::new).mailbox(MailboxConfig::bounded(4)))
        .unwrap();
    let fast = there.system().spawn(Account::new()).unwrap();
    there.register("slow", &slow).unwrap();
    there.register("fast", &fast).unwrap();
    let slow_remote = here
        .lookup::<Account>(there.address(), "slow")
        .await
        .unwrap();
    let fast_remote = here
        .lookup::<Account>(there.address(), "fast")
        .await
        .unwrap();

    let busy = slow_remote.slow(1_000).timeout(Duration::from_secs(30));
    let busy = tokio::spawn(busy.into_future());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = there.system().dead_letter_count();
    for seq in 0..50 {
        slow_remote.record(0, seq).tell().await.unwrap();
    }
    // The fast actor is answered while the slow one's mailbox overflows.
    assert_eq!(
        within("ask the fast actor", fast_remote.deposit(1))
            .await
            .unwrap(),
        1
    );
    within("busy", busy).await.unwrap().unwrap();
    let log = within("log", slow_remote.log()).await.unwrap();
    assert!(log.len() < 50, "some were dropped: {}", log.len());
    assert!(
        there.system().dead_letter_count() > before,
        "counted as dead letters there"
    );

    here.shutdown().await;
    there.shutdown().await;
}

/// `test.Account` as another version of the code declares it: `deposit` takes a `u32`.
#[actor]
struct AccountV2 {
    balance: u64,
}

#[actor(remote = "test.Account")]
impl AccountV2 {
    #[message]
    fn deposit(&mut self, amount: u32) -> u64 {
        self.balance += u64::from(amount);
        self.balance
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_with_another_version_of_the_messages_is_refused_at_lookup() {
    let dir = dev_dir("versions");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let refused = within(
        "lookup",
        here.lookup::<AccountV2>(there.address(), "account"),
    )
    .await;
    assert!(
        matches!(refused, Err(RemoteLookupError::Incompatible { .. })),
        "{refused:?}"
    );
    // The right version is found.
    assert!(here
        .lookup::<Account>(there.address(), "account")
        .await
        .is_ok());
    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_timeout_longer_than_the_system_default_holds_remotely() {
    let dir = dev_dir("timeout");
    let short = ActorSystem::builder()
        .ask_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let here = Node::builder()
        .credentials(Credentials::development(&dir).unwrap())
        .system(short)
        .start()
        .await
        .unwrap();
    let there = node_in(&dir).await;
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();
    // The far side waits as long as this ask does, not the asker's system default.
    let slow = within("ask", remote.slow(600).timeout(Duration::from_secs(10))).await;
    assert!(matches!(slow, Ok(600)), "{slow:?}");
    // And the default still applies without one: the asker's timer, never the far
    // side giving up first.
    let default = within("ask", remote.slow(5_000)).await;
    assert!(matches!(default, Err(AskError::Timeout)), "{default:?}");
    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_wait_for_room_in_a_full_outbound_queue_and_lose_nothing() {
    const COUNT: u64 = 20_000;
    let dir = dev_dir("backpressure");
    let here = Node::builder()
        .credentials(Credentials::development(&dir).unwrap())
        .outbound_queue(4)
        .start()
        .await
        .unwrap();
    let there = node_in(&dir).await;
    let account = there
        .system()
        .spawn(Props::new(Account::new).mailbox(MailboxConfig::unbounded()))
        .unwrap();
    there.register("account", &account).unwrap();
    let remote = here
        .lookup::<Account>(there.address(), "account")
        .await
        .unwrap();
    let dead_before = here.system().dead_letter_count();
    within("tells", async {
        for seq in 0..COUNT {
            remote.record(0, seq).tell().await.unwrap();
        }
    })
    .await;
    let log = within("log", remote.log()).await.unwrap();
    assert_eq!(log.len() as u64, COUNT, "none dropped");
    assert!(log.iter().map(|(_, seq)| *seq).eq(0..COUNT), "in order");
    assert_eq!(here.system().dead_letter_count(), dead_before);
    here.shutdown().await;
    there.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_dropped_without_shutdown_stops_serving() {
    let dir = dev_dir("dropped");
    let here = node_in(&dir).await;
    let there = node_in(&dir).await;
    let address = there.address();
    let account = there.system().spawn(Account::new()).unwrap();
    there.register("account", &account).unwrap();
    let remote = here.lookup::<Account>(address, "account").await.unwrap();
    remote.deposit(1).await.unwrap();
    drop(there);
    let after = within("ask after the drop", remote.deposit(1)).await;
    assert!(after.is_err(), "{after:?}");
    let lookup = within(
        "lookup after the drop",
        here.lookup::<Account>(address, "account"),
    )
    .await;
    assert!(lookup.is_err(), "{lookup:?}");
    here.shutdown().await;
}

/// `test.Listener` as a later version declares it: one message more.
#[actor]
struct ListenerV2 {
    heard: Vec<u64>,
}

#[actor(remote = "test.Listener")]
impl ListenerV2 {
    #[message]
    fn heard(&mut self, value: u64) {
        self.heard.push(value);
    }

    #[message]
    fn values(&self) -> Vec<u64> {
        self.heard.clone()
    }

    #[message]
    fn clear(&mut self) {
        self.heard.clear();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_message_keeps_versions_compatible() {
    let dir = dev_dir("added");
    let (here, there) = (node_in(&dir).await, node_in(&dir).await);
    let listener = there.system().spawn(Listener { heard: vec![] }).unwrap();
    there.register("listener", &listener).unwrap();
    let newer = within(
        "lookup",
        here.lookup::<ListenerV2>(there.address(), "listener"),
    )
    .await
    .expect("a version with one message more is compatible");
    newer.heard(4).tell().await.unwrap();
    assert_eq!(within("ask", newer.values()).await.unwrap(), vec![4]);
    // The message the older node lacks is refused there, as data.
    let unknown = within("ask", newer.clear()).await;
    assert!(
        matches!(unknown, Err(AskError::Remote(RemoteError::Undecodable(_)))),
        "{unknown:?}"
    );
    here.shutdown().await;
    there.shutdown().await;
}
