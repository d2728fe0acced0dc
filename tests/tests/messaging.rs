//! Messaging semantics: ask, tell and try_tell, per-sender FIFO order, timeouts, full
//! mailboxes, and the typed errors that hand an undelivered message back.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorStatus, FailureKind, LookupError, SpawnError};
use support::{bounded, patient_system, patient_system_stopping_failed, poll_once, Gate};
use tokio::time::Instant;

/// Appends numbers; can be held inside a handler, slowed down, or made to panic.
#[actor]
#[derive(Default)]
struct Log {
    items: Vec<u32>,
}

#[actor]
impl Log {
    #[message]
    fn append(&mut self, n: u32) {
        self.items.push(n);
    }

    #[message]
    fn items(&self) -> Vec<u32> {
        self.items.clone()
    }

    /// Waits at the gate, then replies with how many items there are.
    #[message]
    async fn hold(&mut self, gate: Gate) -> usize {
        gate.pass().await;
        self.items.len()
    }

    /// Sleeps (in tokio time), then replies with how many items there are.
    #[message]
    async fn slow(&self, delay: Duration) -> usize {
        tokio::time::sleep(delay).await;
        self.items.len()
    }

    /// Waits at the gate, then panics.
    #[message]
    async fn explode(&mut self, gate: Gate, code: u32) {
        gate.pass().await;
        panic!("boom {code}");
    }

    /// Panics with a payload that is not a string.
    #[message]
    async fn explode_with_number(&mut self) {
        std::panic::panic_any(42_u32);
    }

    /// Panics at once, in a synchronous handler.
    #[message]
    fn explode_now(&mut self, code: u32) {
        panic!("sync boom {code}");
    }
}

/// An actor whose messages are all synchronous: its dispatch is the plain (non-async) one.
#[actor]
struct Fragile {
    hits: u32,
}

#[actor]
impl Fragile {
    #[message]
    fn hit(&mut self) -> u32 {
        self.hits += 1;
        self.hits
    }

    #[message]
    fn explode(&mut self, code: u32) {
        panic!("fragile boom {code}");
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Overdrawn {
    balance: u64,
    wanted: u64,
}

#[actor(mailbox = 2)]
struct Account {
    balance: u64,
}

#[actor]
impl Account {
    #[message]
    fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    fn withdraw(&mut self, amount: u64) -> Result<u64, Overdrawn> {
        if amount > self.balance {
            return Err(Overdrawn {
                balance: self.balance,
                wanted: amount,
            });
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }
}

/// Records `(sender, sequence)` pairs, to check order per sender.
#[actor(mailbox = unbounded)]
#[derive(Default)]
struct Journal {
    entries: Vec<(u32, u32)>,
}

#[actor]
impl Journal {
    #[message]
    fn record(&mut self, sender: u32, seq: u32) {
        self.entries.push((sender, seq));
    }

    #[message]
    fn entries(&self) -> Vec<(u32, u32)> {
        self.entries.clone()
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }
}

/// A hand-written actor with the basic client: messages and replies are plain numbers.
struct Adder(u64);

impl Actor for Adder {
    type Msg = u64;
    type Reply = u64;
    type Client = actor_core::BasicClient<Self>;

    async fn handle(&mut self, add: u64, _ctx: &mut Context<Self>) -> u64 {
        self.0 += add;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_after_many_tells_sees_all_of_them_in_order() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    for n in 0..1000 {
        bounded("a tell", log.append(n).tell()).await.unwrap();
    }
    let items = bounded("the ask", log.items()).await.unwrap();
    assert_eq!(items, (0..1000).collect::<Vec<_>>());
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_of_sending_keeps_one_senders_order() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::unbounded()))
        .unwrap();
    for n in 0..300 {
        match n % 4 {
            0 => bounded("a typed tell", log.append(n).tell()).await.unwrap(),
            1 => log.append(n).try_tell().unwrap(),
            2 => bounded("a raw tell", log.tell(LogMsg::Append { n }))
                .await
                .unwrap(),
            _ => log.try_tell(LogMsg::Append { n }).unwrap(),
        }
    }
    // The raw ask answers with the reply enum.
    match bounded("a raw ask", log.ask(LogMsg::Items)).await {
        Ok(LogReply::Items(items)) => assert_eq!(items, (0..300).collect::<Vec<_>>()),
        Ok(_) => panic!("a reply of another message"),
        Err(err) => panic!("ask failed: {err:?}"),
    }
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_each_keep_their_order() {
    senders_keep_their_order_through(MailboxConfig::unbounded()).await;
}

// One slot and three: senders wait for space nearly every time, and are woken as the
// actor frees it, so a wake-up lost between a sender and the actor would hang here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_through_a_tiny_mailbox_lose_nothing() {
    senders_keep_their_order_through(MailboxConfig::bounded(1)).await;
    senders_keep_their_order_through(MailboxConfig::bounded(3)).await;
}

async fn senders_keep_their_order_through(mailbox: MailboxConfig) {
    const SENDERS: u32 = 4;
    const PER_SENDER: u32 = 500;
    let system = patient_system();
    let journal = system
        .spawn(Props::new(Journal::default).mailbox(mailbox))
        .unwrap();
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let journal = journal.clone();
        tasks.push(tokio::spawn(async move {
            for seq in 0..PER_SENDER {
                if seq % 2 == 0 {
                    journal.record(sender, seq).tell().await.unwrap();
                } else {
                    // An ask in between tells: it must see this sender's earlier tells.
                    journal.record(sender, seq).await.unwrap();
                }
            }
        }));
    }
    for task in tasks {
        bounded("a sender", task).await.unwrap();
    }
    let entries = bounded("the ask", journal.entries()).await.unwrap();
    assert_eq!(entries.len(), (SENDERS * PER_SENDER) as usize);
    for sender in 0..SENDERS {
        let seqs: Vec<u32> = entries
            .iter()
            .filter(|(from, _)| *from == sender)
            .map(|(_, seq)| *seq)
            .collect();
        assert_eq!(
            seqs,
            (0..PER_SENDER).collect::<Vec<_>>(),
            "sender {sender}, {mailbox:?}"
        );
    }
    system.shutdown().await;
}

#[tokio::test]
async fn replies_are_typed_and_an_err_reply_is_not_a_failure() {
    let system = patient_system();
    let account = system.spawn(Account { balance: 10 }).unwrap();
    assert_eq!(account.deposit(5).await.unwrap(), 15);
    assert_eq!(
        account.withdraw(100).await.unwrap(),
        Err(Overdrawn {
            balance: 15,
            wanted: 100
        })
    );
    // The actor answered with an `Err`; it did not fail.
    assert_eq!(account.withdraw(5).await.unwrap(), Ok(10));
    assert_eq!(account.status(), ActorStatus::Running);
    system.shutdown().await;
}

#[tokio::test]
async fn a_hand_written_actor_is_reached_with_raw_tell_and_ask() {
    let system = patient_system();
    let adder = system.spawn(Adder(0)).unwrap();
    bounded("tell", adder.tell(2)).await.unwrap();
    adder.try_tell(3).unwrap();
    assert_eq!(bounded("ask", adder.ask(4)).await.unwrap(), 9);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_times_out_and_the_actor_still_answers_later_asks() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    log.append(1).tell().await.unwrap();

    let start = Instant::now();
    let err = log
        .slow(Duration::from_secs(10))
        .timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, AskError::Timeout), "{err:?}");
    assert!(err.is_timeout());
    assert!(
        err.into_message().is_none(),
        "a timed-out message was delivered"
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(10),
        "{waited:?}"
    );

    // The slow message is still being handled; the next ask is answered after it.
    assert_eq!(log.items().await.unwrap(), vec![1]);
    assert!(start.elapsed() >= Duration::from_secs(10));
    assert_eq!(log.status(), ActorStatus::Running);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_without_its_own_timeout_uses_the_systems() {
    let system = ActorSystem::builder()
        .ask_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    assert_eq!(system.ask_timeout(), Duration::from_secs(2));
    let log = system.spawn(Log::default()).unwrap();

    let start = Instant::now();
    let err = log.slow(Duration::from_secs(3)).await.unwrap_err();
    assert!(matches!(err, AskError::Timeout), "{err:?}");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // A per-ask timeout overrides the system's.
    let reply = log
        .slow(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .await;
    assert_eq!(reply.unwrap(), 0);
    system.shutdown().await;
}

/// `Request::timeout` documents the timeout as counted "from the first poll to the reply".
#[tokio::test(start_paused = true)]
async fn the_ask_timeout_counts_from_the_first_poll() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    let ask = log.items().timeout(Duration::from_secs(1)).into_future();
    tokio::time::advance(Duration::from_secs(5)).await;
    // First poll now: the actor is idle and answers at once, well within a second.
    let reply = bounded("the ask", ask).await;
    assert_eq!(reply.unwrap(), Vec::<u32>::new());
    system.shutdown().await;
}

#[tokio::test]
async fn an_ask_to_a_stopped_actor_hands_the_message_back() {
    let system = patient_system();
    let account = system.spawn(Account { balance: 0 }).unwrap();
    account.stop();
    assert_eq!(
        bounded("terminated", account.terminated()).await,
        StopReason::Requested
    );
    assert!(!account.is_alive());

    match account.deposit(5).await {
        Err(AskError::Closed(AccountMsg::Deposit { amount: 5 })) => {}
        other => panic!("expected Closed(Deposit {{ amount: 5 }}), got {other:?}"),
    }
    let err = account.withdraw(6).await.unwrap_err();
    assert!(!err.is_timeout());
    match err.into_message() {
        Some(AccountMsg::Withdraw { amount }) => assert_eq!(amount, 6),
        other => panic!("expected the withdraw back, got {other:?}"),
    }
    // Tells hand the message back too.
    match account.deposit(7).tell().await {
        Err(SendError(AccountMsg::Deposit { amount: 7 })) => {}
        other => panic!("expected SendError(Deposit {{ amount: 7 }}), got {other:?}"),
    }
    match account.deposit(8).try_tell() {
        Err(TrySendError::Closed(AccountMsg::Deposit { amount: 8 })) => {}
        other => panic!("expected TrySendError::Closed(Deposit {{ amount: 8 }}), got {other:?}"),
    }
    let err = account
        .try_tell(AccountMsg::Deposit { amount: 9 })
        .unwrap_err();
    assert!(!err.is_full());
    assert!(matches!(
        err.into_inner(),
        AccountMsg::Deposit { amount: 9 }
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_fails_its_ask_stops_the_actor_and_only_that_actor() {
    let system = patient_system_stopping_failed();
    let log = system.spawn(Log::default()).unwrap();
    let bystander = system.spawn(Log::default()).unwrap();
    log.append(1).tell().await.unwrap();

    let (gate, mut control) = Gate::new();
    let mut explode = pin!(log.explode(gate, 42).into_future());
    assert!(poll_once(explode.as_mut()).await.is_pending());
    control.entered().await;
    // Two asks queue behind the message that is about to panic.
    let mut queued_items = pin!(log.items().into_future());
    let mut queued_append = pin!(log.append(2).into_future());
    assert!(poll_once(queued_items.as_mut()).await.is_pending());
    assert!(poll_once(queued_append.as_mut()).await.is_pending());
    control.release();

    let failure = match bounded("the panicking ask", explode).await {
        Err(AskError::Failed(failure)) => failure,
        other => panic!("expected AskError::Failed, got {other:?}"),
    };
    assert_eq!(failure.kind(), FailureKind::HandlerPanic);
    assert_eq!(failure.message(), "boom 42");
    assert!(failure.to_string().contains("boom 42"), "{failure}");

    assert!(matches!(
        bounded("a queued ask", queued_items).await,
        Err(AskError::Stopped)
    ));
    assert!(matches!(
        bounded("a queued ask", queued_append).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(
        bounded("terminated", log.terminated()).await,
        StopReason::Failed(failure.clone())
    );
    assert_eq!(
        log.status(),
        ActorStatus::Stopped(StopReason::Failed(failure))
    );
    assert!(matches!(
        log.items().await,
        Err(AskError::Closed(LogMsg::Items))
    ));

    // Another actor is unaffected.
    bystander.append(7).tell().await.unwrap();
    assert_eq!(bystander.items().await.unwrap(), vec![7]);
    assert_eq!(bystander.status(), ActorStatus::Running);
    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!((report.stopped, report.aborted), (1, 0));
}

#[tokio::test]
async fn a_panic_in_a_sync_handler_of_an_actor_with_async_handlers_fails_its_ask() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    match bounded("the panicking ask", log.explode_now(3)).await {
        Err(AskError::Failed(failure)) => {
            assert_eq!(failure.kind(), FailureKind::HandlerPanic);
            assert_eq!(failure.message(), "sync boom 3");
        }
        other => panic!("expected AskError::Failed, got {other:?}"),
    }
    assert!(matches!(
        bounded("terminated", log.terminated()).await,
        StopReason::Failed(_)
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn a_panic_with_a_non_string_payload_still_fails_the_ask() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    match bounded("the panicking ask", log.explode_with_number()).await {
        Err(AskError::Failed(failure)) => {
            assert_eq!(failure.kind(), FailureKind::HandlerPanic);
            assert!(failure.message().contains("non-string"), "{failure}");
        }
        other => panic!("expected AskError::Failed, got {other:?}"),
    }
    assert!(matches!(
        bounded("terminated", log.terminated()).await,
        StopReason::Failed(_)
    ));
    system.shutdown().await;
}

/// An actor whose handlers are all synchronous gets a dispatch that runs the handler when
/// `Actor::handle` is *called*, before the runner's `catch_unwind` wraps the returned
/// future; the panic escapes and kills the actor's task.
#[tokio::test]
async fn a_panic_in_a_sync_only_actor_fails_its_ask() {
    let system = patient_system_stopping_failed();
    let fragile = system.spawn(Fragile { hits: 0 }).unwrap();
    assert_eq!(fragile.hit().await.unwrap(), 1);
    match bounded("the panicking ask", fragile.explode(9)).await {
        Err(AskError::Failed(failure)) => {
            assert_eq!(failure.kind(), FailureKind::HandlerPanic);
            assert_eq!(failure.message(), "fragile boom 9");
        }
        other => panic!("expected AskError::Failed, got {other:?}"),
    }
    match bounded("terminated", fragile.terminated()).await {
        StopReason::Failed(failure) => assert_eq!(failure.message(), "fragile boom 9"),
        other => panic!("expected StopReason::Failed, got {other:?}"),
    }
    system.shutdown().await;
}

#[tokio::test]
async fn try_tell_on_a_full_mailbox_hands_the_message_back() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    log.hold(gate).tell().await.unwrap();
    // The actor has taken `hold` out of the mailbox: its one slot is free.
    control.entered().await;
    log.append(1).try_tell().unwrap();

    match log.append(2).try_tell() {
        Err(TrySendError::Full(LogMsg::Append { n: 2 })) => {}
        other => panic!("expected Full(Append {{ n: 2 }}), got {other:?}"),
    }
    let err = log.try_tell(LogMsg::Append { n: 3 }).unwrap_err();
    assert!(err.is_full());
    assert!(matches!(err.into_inner(), LogMsg::Append { n: 3 }));

    control.release();
    // Only the message that fit was delivered.
    assert_eq!(bounded("ask", log.items()).await.unwrap(), vec![1]);
    system.shutdown().await;
}

#[tokio::test]
async fn the_mailbox_size_declared_on_the_struct_is_used() {
    let system = patient_system();
    let account = system.spawn(Account { balance: 0 }).unwrap();
    let (gate, mut control) = Gate::new();
    account.hold(gate).tell().await.unwrap();
    control.entered().await;
    account.deposit(1).try_tell().unwrap();
    account.deposit(2).try_tell().unwrap();
    assert!(matches!(
        account.deposit(4).try_tell(),
        Err(TrySendError::Full(AccountMsg::Deposit { amount: 4 }))
    ));
    control.release();
    assert_eq!(bounded("ask", account.deposit(0)).await.unwrap(), 3);
    system.shutdown().await;
}

#[tokio::test]
async fn a_full_mailbox_counts_the_messages_the_actor_took_but_has_not_handled() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(3)))
        .unwrap();
    // The actor has not run yet: all three wait in the mailbox, and it takes them together.
    let (gate, mut control) = Gate::new();
    log.hold(gate).try_tell().unwrap();
    log.append(1).try_tell().unwrap();
    log.append(2).try_tell().unwrap();
    assert!(log.append(0).try_tell().unwrap_err().is_full());
    control.entered().await;
    // `hold` is being handled, so one slot is free; `append(1)` and `append(2)` still count.
    log.append(3).try_tell().unwrap();
    match log.append(4).try_tell() {
        Err(TrySendError::Full(LogMsg::Append { n: 4 })) => {}
        other => panic!("expected Full(Append {{ n: 4 }}), got {other:?}"),
    }
    control.release();
    assert_eq!(bounded("ask", log.items()).await.unwrap(), vec![1, 2, 3]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_tell_waiting_for_space_gets_its_message_back_when_the_actor_stops() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    log.hold(gate).tell().await.unwrap();
    control.entered().await;
    log.append(1).try_tell().unwrap();
    let mut tell = pin!(log.append(2).tell());
    assert!(poll_once(tell.as_mut()).await.is_pending());

    log.stop_now();
    match bounded("the waiting tell", tell).await {
        Err(SendError(LogMsg::Append { n: 2 })) => {}
        other => panic!("expected SendError(Append {{ n: 2 }}), got {other:?}"),
    }
    drop(control);
    bounded("the stop", log.terminated()).await;
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_on_a_full_mailbox_times_out_with_the_message_back() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    let mut hold = pin!(log.hold(gate).into_future());
    assert!(poll_once(hold.as_mut()).await.is_pending());
    control.entered().await;
    log.append(1).try_tell().unwrap();

    let start = Instant::now();
    let err = log
        .append(2)
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert!(err.is_timeout());
    match err {
        AskError::MailboxFull(LogMsg::Append { n: 2 }) => {}
        other => panic!("expected MailboxFull(Append {{ n: 2 }}), got {other:?}"),
    }

    // An ask that waits for space is delivered once space frees up, in its turn.
    let mut waiting = pin!(log.items().into_future());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    control.release();
    assert_eq!(bounded("the held ask", hold).await.unwrap(), 0);
    assert_eq!(bounded("the waiting ask", waiting).await.unwrap(), vec![1]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_tell_waits_for_mailbox_space() {
    let system = patient_system();
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    log.hold(gate).tell().await.unwrap();
    control.entered().await;
    log.append(1).try_tell().unwrap();

    let mut tell = pin!(log.append(2).tell());
    assert!(
        poll_once(tell.as_mut()).await.is_pending(),
        "the mailbox is full"
    );
    control.release();
    bounded("the waiting tell", tell).await.unwrap();
    assert_eq!(bounded("ask", log.items()).await.unwrap(), vec![1, 2]);
    system.shutdown().await;
}

#[tokio::test]
async fn an_unbounded_mailbox_never_refuses_while_the_actor_is_busy() {
    let system = patient_system();
    let journal = system.spawn(Journal::default()).unwrap(); // `mailbox = unbounded`
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::unbounded()))
        .unwrap();
    let (journal_gate, mut journal_control) = Gate::new();
    let (log_gate, mut log_control) = Gate::new();
    journal.hold(journal_gate).tell().await.unwrap();
    log.hold(log_gate).tell().await.unwrap();
    journal_control.entered().await;
    log_control.entered().await;

    for n in 0..10_000 {
        journal.record(0, n).try_tell().unwrap();
        log.append(n).try_tell().unwrap();
    }
    journal_control.release();
    log_control.release();
    let entries = bounded("ask", journal.entries()).await.unwrap();
    assert_eq!(entries.len(), 10_000);
    assert!(entries.iter().map(|(_, seq)| *seq).eq(0..10_000));
    assert_eq!(
        bounded("ask", log.items()).await.unwrap(),
        (0..10_000).collect::<Vec<_>>()
    );
    system.shutdown().await;
}

#[tokio::test]
async fn names_are_unique_and_lookup_is_typed() {
    let system = patient_system();
    let account = system
        .spawn(Props::new(|| Account { balance: 100 }).name("acct"))
        .unwrap();
    assert_eq!(account.name(), Some("acct"));
    let anonymous = system.spawn(Log::default()).unwrap();
    assert_eq!(anonymous.name(), None);
    assert_ne!(account.id(), anonymous.id());

    let found = system.lookup::<Account>("acct").unwrap();
    assert_eq!(found, account);
    assert_eq!(found.id(), account.id());
    assert_eq!(found.deposit(1).await.unwrap(), 101);

    assert_eq!(
        system.lookup::<Account>("nobody").unwrap_err(),
        LookupError::NotFound("nobody".to_owned())
    );
    match system.lookup::<Log>("acct") {
        Err(LookupError::WrongType { name, expected }) => {
            assert_eq!(name, "acct");
            assert!(expected.ends_with("Log"), "{expected}");
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    // Names are unique across types too.
    assert_eq!(
        system
            .spawn(Props::new(Log::default).name("acct"))
            .unwrap_err(),
        SpawnError::NameTaken("acct".to_owned())
    );
    assert_eq!(
        system
            .spawn(Props::from_value(Account { balance: 0 }).name("acct"))
            .unwrap_err(),
        SpawnError::NameTaken("acct".to_owned())
    );
    assert_eq!(system.actor_count(), 2);

    // Once the actor has stopped, its name is free again.
    account.stop();
    bounded("terminated", account.terminated()).await;
    drop(found);
    assert!(matches!(
        system.lookup::<Account>("acct"),
        Err(LookupError::NotFound(_))
    ));
    let again = system
        .spawn(Props::new(|| Account { balance: 7 }).name("acct"))
        .unwrap();
    assert_ne!(again.id(), account.id());
    assert_eq!(
        system
            .lookup::<Account>("acct")
            .unwrap()
            .deposit(0)
            .await
            .unwrap(),
        7
    );
    system.shutdown().await;
}

#[tokio::test]
async fn spawning_after_shutdown_fails() {
    let system = patient_system();
    let log = system.spawn(Log::default()).unwrap();
    assert!(!system.is_shutting_down());
    let report = bounded("shutdown", system.shutdown()).await;
    assert_eq!((report.stopped, report.aborted), (1, 0));
    assert!(system.is_shutting_down());
    assert_eq!(
        system.spawn(Log::default()).unwrap_err(),
        SpawnError::SystemShutDown
    );
    // A clone of the system is the same system.
    assert_eq!(
        system.clone().spawn(Log::default()).unwrap_err(),
        SpawnError::SystemShutDown
    );
    assert_eq!(
        bounded("terminated", log.terminated()).await,
        StopReason::Shutdown
    );
    assert!(matches!(log.append(1).await, Err(AskError::Closed(_))));
}
