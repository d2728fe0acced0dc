//! Generic actors, async handlers that await other actors, and what a handler can do with
//! its `Context`.

mod support;

use std::collections::HashMap;
use std::hash::Hash;

use actor_core::prelude::*;
use actor_core::{ActorId, LookupError, SpawnError};
use support::{bounded, patient_system};
use tokio::sync::oneshot;

/// An append-only store, generic over what it stores.
#[actor(mailbox = unbounded)]
struct Store<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Clone + Send + 'static> Store<T> {
    /// Appends and returns the new length.
    #[message]
    fn push(&mut self, item: T) -> usize {
        self.items.push(item);
        self.items.len()
    }

    #[message]
    fn get(&self, index: usize) -> Option<T> {
        self.items.get(index).cloned()
    }

    #[message]
    fn all(&self) -> Vec<T> {
        self.items.clone()
    }

    /// Appends one at a time, yielding to the runtime in between.
    #[message]
    async fn push_slowly(&mut self, items: Vec<T>) -> usize {
        for item in items {
            self.items.push(item);
            tokio::task::yield_now().await;
        }
        self.items.len()
    }
}

impl<T> Store<T> {
    fn empty() -> Self {
        Store { items: Vec::new() }
    }
}

/// A map, generic over two parameters.
#[actor]
struct Cache<K, V> {
    map: HashMap<K, V>,
}

#[actor]
impl<K, V> Cache<K, V>
where
    K: Eq + Hash + Send + 'static,
    V: Clone + Send + 'static,
{
    #[message]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.map.insert(key, value)
    }

    #[message]
    fn lookup(&self, key: K) -> Option<V> {
        self.map.get(&key).cloned()
    }
}

/// Keeps a running total.
#[actor]
struct Ledger {
    total: i64,
}

#[actor]
impl Ledger {
    #[message]
    fn record(&mut self, amount: i64) -> i64 {
        self.total += amount;
        self.total
    }

    #[message]
    async fn explode(&mut self) -> i64 {
        panic!("ledger on fire");
    }
}

/// Asks its ledger from inside its handlers.
#[actor]
struct Auditor {
    ledger: ActorRef<Ledger>,
    audits: u32,
}

#[actor]
impl Auditor {
    /// Reads the ledger's total by recording nothing.
    #[message]
    async fn audit(&mut self) -> Result<i64, String> {
        self.audits += 1;
        self.ledger.record(0).await.map_err(|err| err.to_string())
    }

    /// Asks the ledger to do something that fails, and reports what the ask said.
    #[message]
    async fn audit_badly(&mut self) -> Result<i64, String> {
        self.ledger.explode().await.map_err(|err| err.to_string())
    }

    /// Records `amount`, read-modify-write across an await: a second message must not run in
    /// between, or updates get lost.
    #[message]
    async fn add_slowly(&mut self, amount: u32) -> u32 {
        let before = self.audits;
        let _ = self.ledger.record(i64::from(amount)).await;
        tokio::task::yield_now().await;
        self.audits = before + amount;
        self.audits
    }

    #[message]
    async fn explode(&mut self) -> i64 {
        panic!("auditor on fire");
    }

    #[message]
    fn audits(&self) -> u32 {
        self.audits
    }
}

/// Asks an auditor, which asks a ledger: two levels of awaiting.
#[actor]
struct Frontend {
    auditor: ActorRef<Auditor>,
}

#[actor]
impl Frontend {
    #[message]
    async fn report(&self) -> String {
        match self.auditor.audit().await {
            Ok(Ok(total)) => format!("total {total}"),
            Ok(Err(err)) => format!("audit failed: {err}"),
            Err(err) => format!("auditor unreachable: {err}"),
        }
    }

    #[message]
    async fn relay_explosion(&self) -> String {
        match self.auditor.explode().await {
            Ok(_) => "no explosion".to_owned(),
            Err(AskError::Failed(failure)) => format!("auditor failed: {failure}"),
            Err(other) => format!("unexpected: {other}"),
        }
    }
}

/// Uses its context: its identity, its own refs, its system, stopping itself.
#[actor]
struct Introspective {
    count: u64,
    weak_self: Option<WeakActorRef<Introspective>>,
}

#[actor]
impl Introspective {
    #[message]
    fn whoami(&self, ctx: &mut Context<Self>) -> (ActorId, Option<String>) {
        (ctx.id(), ctx.name().map(str::to_owned))
    }

    #[message]
    fn myself(&self, ctx: &mut Context<Self>) -> ActorRef<Introspective> {
        ctx.actor_ref()
    }

    /// Stores a weak ref to itself, which must not keep it alive.
    #[message]
    fn remember_weakly(&mut self, ctx: &mut Context<Self>) {
        self.weak_self = Some(ctx.weak_ref());
    }

    #[message]
    fn add(&mut self, n: u64) -> u64 {
        self.count += n;
        self.count
    }

    /// Tells itself to add `n` later: handled after this message, before later senders'.
    #[message]
    fn add_later(&mut self, ctx: &mut Context<Self>, n: u64) -> bool {
        ctx.actor_ref().add(n).try_tell().is_ok()
    }

    #[message]
    fn system_name(&self, ctx: &mut Context<Self>) -> String {
        ctx.system().name().to_owned()
    }

    /// Spawns a ledger in its own system.
    #[message]
    fn spawn_ledger(
        &self,
        ctx: &mut Context<Self>,
        name: String,
        total: i64,
    ) -> Result<ActorRef<Ledger>, SpawnError> {
        ctx.system()
            .spawn(Props::from_value(Ledger { total }).name(name))
    }

    #[message]
    async fn stop_me(&mut self, ctx: &mut Context<Self>) {
        tokio::task::yield_now().await;
        ctx.stop();
    }
}

impl Introspective {
    fn new() -> Self {
        Introspective {
            count: 0,
            weak_self: None,
        }
    }
}

/// Plays ping-pong with tells, each side carrying the other's ref.
#[actor]
struct Ping {
    received: u32,
    done: Option<oneshot::Sender<u32>>,
}

#[actor]
impl Ping {
    #[message]
    async fn ball(&mut self, ctx: &mut Context<Self>, left: u32, pong: ActorRef<Pong>) {
        self.received += 1;
        if left == 0 {
            if let Some(done) = self.done.take() {
                let _ = done.send(self.received);
            }
            return;
        }
        let _ = pong.ball(left - 1, ctx.actor_ref()).tell().await;
    }
}

#[actor]
struct Pong {
    received: u32,
}

#[actor]
impl Pong {
    #[message]
    async fn ball(&mut self, ctx: &mut Context<Self>, left: u32, ping: ActorRef<Ping>) {
        self.received += 1;
        let _ = ping.ball(left, ctx.actor_ref()).tell().await;
    }

    #[message]
    fn received(&self) -> u32 {
        self.received
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_actor_works_with_different_type_arguments() {
    let system = patient_system();
    let numbers = system
        .spawn(Props::new(Store::<u32>::empty).name("numbers"))
        .unwrap();
    let words = system.spawn(Store::<String>::empty()).unwrap();

    for n in 0..100 {
        numbers.push(n).tell().await.unwrap();
    }
    assert_eq!(words.push("hello".to_owned()).await.unwrap(), 1);
    assert_eq!(words.push("world".to_owned()).await.unwrap(), 2);
    assert_eq!(numbers.push(100).await.unwrap(), 101);

    assert_eq!(numbers.get(42).await.unwrap(), Some(42));
    assert_eq!(numbers.get(1000).await.unwrap(), None);
    assert_eq!(numbers.all().await.unwrap(), (0..=100).collect::<Vec<_>>());
    assert_eq!(words.get(1).await.unwrap().as_deref(), Some("world"));
    assert_eq!(
        words
            .push_slowly(vec!["a".to_owned(), "b".to_owned()])
            .await
            .unwrap(),
        4
    );
    assert_eq!(words.all().await.unwrap(), ["hello", "world", "a", "b"]);

    // The raw enums carry the type argument.
    words
        .tell(StoreMsg::Push {
            item: "c".to_owned(),
        })
        .await
        .unwrap();
    match words.ask(StoreMsg::Get { index: 4 }).await {
        Ok(StoreReply::Get(Some(word))) => assert_eq!(word, "c"),
        Ok(_) => panic!("the reply of another message"),
        Err(err) => panic!("ask failed: {err:?}"),
    }

    // `Store<u32>` and `Store<String>` are different actor types.
    assert_eq!(system.lookup::<Store<u32>>("numbers").unwrap(), numbers);
    assert!(matches!(
        system.lookup::<Store<String>>("numbers"),
        Err(LookupError::WrongType { .. })
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn a_generic_actor_with_two_parameters() {
    let system = patient_system();
    let cache = system
        .spawn(Cache::<String, Vec<u8>> {
            map: HashMap::new(),
        })
        .unwrap();
    assert_eq!(cache.insert("a".into(), vec![1]).await.unwrap(), None);
    assert_eq!(
        cache.insert("a".into(), vec![2, 3]).await.unwrap(),
        Some(vec![1])
    );
    assert_eq!(cache.lookup("a".into()).await.unwrap(), Some(vec![2, 3]));
    assert_eq!(cache.lookup("b".into()).await.unwrap(), None);

    let by_number = system
        .spawn(Cache::<u8, char> {
            map: HashMap::new(),
        })
        .unwrap();
    by_number.insert(1, 'x').tell().await.unwrap();
    assert_eq!(by_number.lookup(1).await.unwrap(), Some('x'));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handlers_await_asks_to_other_actors() {
    let system = patient_system();
    let ledger = system.spawn(Ledger { total: 10 }).unwrap();
    let auditor = system
        .spawn(Auditor {
            ledger: ledger.clone(),
            audits: 0,
        })
        .unwrap();
    let frontend = system
        .spawn(Frontend {
            auditor: auditor.clone(),
        })
        .unwrap();

    assert_eq!(frontend.report().await.unwrap(), "total 10");
    ledger.record(5).tell().await.unwrap();
    assert_eq!(auditor.audit().await.unwrap(), Ok(15));
    assert_eq!(frontend.report().await.unwrap(), "total 15");

    // Many concurrent asks through two levels of awaiting: all answered, none hang.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let frontend = frontend.clone();
        tasks.push(tokio::spawn(async move { frontend.report().await }));
    }
    for task in tasks {
        assert_eq!(
            bounded("a report", task).await.unwrap().unwrap(),
            "total 15"
        );
    }
    // Two reports and an audit before the fifty.
    assert_eq!(auditor.audits().await.unwrap(), 53);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_handles_one_message_at_a_time_across_awaits() {
    let system = patient_system();
    let ledger = system.spawn(Ledger { total: 0 }).unwrap();
    let auditor = system.spawn(Auditor { ledger, audits: 0 }).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let auditor = auditor.clone();
        tasks.push(tokio::spawn(async move { auditor.add_slowly(1).await }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(bounded("an add", task).await.unwrap().unwrap());
    }
    // No update was lost, and every handler saw a distinct state.
    assert_eq!(auditor.audits().await.unwrap(), 100);
    seen.sort_unstable();
    assert_eq!(seen, (1..=100).collect::<Vec<_>>());
    system.shutdown().await;
}

#[tokio::test]
async fn an_async_handler_sees_the_typed_error_of_the_actor_it_awaits() {
    let system = patient_system();
    let ledger = system.spawn(Ledger { total: 1 }).unwrap();
    let auditor = system
        .spawn(Auditor {
            ledger: ledger.clone(),
            audits: 0,
        })
        .unwrap();
    let frontend = system
        .spawn(Frontend {
            auditor: auditor.clone(),
        })
        .unwrap();

    // The ledger fails while the auditor awaits it; the auditor gets `Failed` and lives on.
    let err = auditor.audit_badly().await.unwrap().unwrap_err();
    assert!(err.contains("ledger on fire"), "{err}");
    assert!(matches!(
        bounded("terminated", ledger.terminated()).await,
        StopReason::Failed(_)
    ));
    assert!(auditor.is_alive());
    // Now the ledger is gone: the nested ask is refused with the message handed back.
    let report = frontend.report().await.unwrap();
    assert!(report.starts_with("audit failed: "), "{report}");
    assert!(report.contains("not running"), "{report}");

    // A panic two levels down reaches the outer handler as a typed error.
    let outcome = frontend.relay_explosion().await.unwrap();
    assert!(outcome.contains("auditor on fire"), "{outcome}");
    assert!(matches!(
        bounded("terminated", auditor.terminated()).await,
        StopReason::Failed(_)
    ));
    assert!(frontend.is_alive());
    let report = frontend.report().await.unwrap();
    assert!(report.starts_with("auditor unreachable: "), "{report}");
    system.shutdown().await;
}

#[tokio::test]
async fn a_handler_knows_its_identity_and_its_system() {
    let system = ActorSystem::builder()
        .name("introspection")
        .build()
        .unwrap();
    let named = system
        .spawn(Props::new(Introspective::new).name("me"))
        .unwrap();
    let anonymous = system.spawn(Introspective::new()).unwrap();

    assert_eq!(
        named.whoami().await.unwrap(),
        (named.id(), Some("me".to_owned()))
    );
    assert_eq!(anonymous.whoami().await.unwrap(), (anonymous.id(), None));
    assert_ne!(named.id(), anonymous.id());
    assert_eq!(named.system_name().await.unwrap(), "introspection");

    // The ref a handler hands out is a working ref to the same actor.
    let from_inside = named.myself().await.unwrap();
    assert_eq!(from_inside, named);
    assert_eq!(from_inside.add(2).await.unwrap(), 2);
    assert_eq!(named.add(0).await.unwrap(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn a_handler_can_tell_itself() {
    let system = patient_system();
    let actor = system.spawn(Introspective::new()).unwrap();
    assert!(actor.add_later(5).await.unwrap());
    // The self-told message was queued before this ask, so the ask sees it.
    assert_eq!(actor.add(1).await.unwrap(), 6);
    system.shutdown().await;
}

#[tokio::test]
async fn a_handler_can_spawn_actors_in_its_system() {
    let system = patient_system();
    let parent = system.spawn(Introspective::new()).unwrap();
    let child = parent
        .spawn_ledger("child".to_owned(), 40)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.record(2).await.unwrap(), 42);
    assert_eq!(system.lookup::<Ledger>("child").unwrap(), child);
    assert_eq!(
        parent
            .spawn_ledger("child".to_owned(), 0)
            .await
            .unwrap()
            .unwrap_err(),
        SpawnError::NameTaken("child".to_owned())
    );
    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!((report.stopped, report.aborted), (2, 0));
    assert_eq!(child.terminated().await, StopReason::Shutdown);
}

#[tokio::test]
async fn a_handler_can_stop_its_actor_and_a_weak_self_ref_does_not_keep_it_alive() {
    let system = patient_system();
    let stopped = system.spawn(Introspective::new()).unwrap();
    stopped.stop_me().await.unwrap();
    assert_eq!(
        bounded("terminated", stopped.terminated()).await,
        StopReason::Requested
    );

    let forgotten = system.spawn(Introspective::new()).unwrap();
    forgotten.remember_weakly().await.unwrap();
    let weak = forgotten.downgrade();
    drop(forgotten);
    assert_eq!(
        bounded("terminated", weak.terminated()).await,
        StopReason::RefsDropped
    );
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_actors_play_ping_pong_with_tells() {
    const ROUNDS: u32 = 500;
    let system = patient_system();
    let (done_tx, done_rx) = oneshot::channel();
    let ping = system
        .spawn(Ping {
            received: 0,
            done: Some(done_tx),
        })
        .unwrap();
    let pong = system.spawn(Pong { received: 0 }).unwrap();
    ping.ball(ROUNDS, pong.clone()).tell().await.unwrap();
    let received = bounded("the last ball", done_rx).await.unwrap();
    assert_eq!(received, ROUNDS + 1);
    assert_eq!(pong.received().await.unwrap(), ROUNDS);
    system.shutdown().await;
}
