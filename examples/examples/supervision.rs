//! Supervision: a small bank whose actors fail on purpose, and what their supervisors do.
//!
//! The tree:
//!
//! ```text
//! /user/bank                 one-for-one, at most 3 restarts in 60 s (for all its children)
//!   account-1, account-2     accounts (transient: restarted after a failure)
//!   account-3                an account that is temporary: never restarted
//!   auditor                  permanent: restarted even when it stops itself
//!   clearing                 rest-for-one, at most 1 restart in 60 s, with back-off
//!     inbox, matcher, outbox
//! /user/monitor              a top-level actor that watches others die
//! /user/notifier             a top-level actor whose queue ends in dead letters
//! ```
//!
//! It injects one failure at a time and waits for its outcome, printing every
//! [`SystemEvent`] as it comes: a panic that restarts an account (state lost, ref and queued
//! messages kept), a `#[message(fail_on_err)]` error that the bank resumes (state kept), a
//! permanent child that stops itself and comes back, a temporary child that is not
//! restarted, a factory that panics, a rest-for-one restart, a child that exceeds its
//! supervisor's restart intensity so that the failure escalates, a death watch
//! (`#[terminated]`) and dead letters. At the end the bank itself runs out of restarts and
//! fails; the guardian restarts it (as Akka's `/user` guardian does), its whole subtree
//! stopped first and opened anew by the new bank, and the system shuts down.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p examples --example supervision
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::supervision::{Backoff, Directive, RestartPolicy, SupervisorStrategy};
use actor_core::{ActorId, FailureKind, SpawnError, SystemEvent};
use tokio::sync::{broadcast, mpsc, oneshot};

// ---------------------------------------------------------------------------------------
// A journal outside the actors. A restart throws the actor's state away, so whatever must
// survive it (here: what the restart hooks saw) lives outside, shared through the factory.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    fn note(&self, line: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

// ---------------------------------------------------------------------------------------
// Accounts: the workers.
// ---------------------------------------------------------------------------------------

/// A withdrawal larger than the balance.
#[derive(Debug)]
pub struct Overdrawn {
    pub balance: u64,
    pub requested: u64,
}

impl fmt::Display for Overdrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Overdrawn { balance, requested } = self;
        write!(f, "cannot withdraw {requested} from a balance of {balance}")
    }
}

#[actor]
pub struct Account {
    number: u32,
    balance: u64,
    journal: Journal,
}

impl Account {
    /// Loads an account from the (pretend) customer records. Only accounts 1 to 3 exist:
    /// for any other number this panics, inside the factory that `Props::new` calls.
    fn from_record(number: u32, journal: Journal) -> Account {
        assert!(
            (1..=3).contains(&number),
            "simulated: no customer record for account {number}"
        );
        Account {
            number,
            balance: 0,
            journal,
        }
    }
}

#[actor]
impl Account {
    #[message]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// An overdraft means this account's books are off: the asker gets the `Err`, and the
    /// account also fails so that its supervisor decides what to do with it.
    #[message(fail_on_err)]
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, Overdrawn> {
        if amount > self.balance {
            return Err(Overdrawn {
                balance: self.balance,
                requested: amount,
            });
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    /// A bug, on purpose.
    #[message]
    pub fn crash(&mut self) {
        panic!("simulated: account-{} lost its ledger", self.number);
    }

    #[pre_restart]
    fn before_restart(&mut self) {
        self.journal.note(format!(
            "account-{}: pre_restart on the failed instance (balance {})",
            self.number, self.balance
        ));
    }

    #[post_restart]
    fn after_restart(&mut self, ctx: &mut Context<Self>) {
        self.journal.note(format!(
            "account-{}: post_restart on the new instance (balance {}), same path {}",
            self.number,
            self.balance,
            ctx.path()
        ));
    }
}

// ---------------------------------------------------------------------------------------
// The auditor: a permanent child. It stops itself when it retires, and its supervisor
// restarts it, as an OTP supervisor restarts a `permanent` child whatever its exit.
// ---------------------------------------------------------------------------------------

#[actor]
#[derive(Default)]
pub struct Auditor {
    audits: u32,
}

#[actor]
impl Auditor {
    /// Counts an audit and returns how many this instance has done.
    #[message]
    pub fn audit(&mut self) -> u32 {
        self.audits += 1;
        self.audits
    }

    #[message]
    pub fn retire(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

// ---------------------------------------------------------------------------------------
// The clearing house: a second supervisor, with a different strategy. Its stages form a
// pipeline, so when one fails the stages after it (which consume its output) restart too:
// rest-for-one. Its intensity is strict (one restart per minute): a stage that fails twice
// is beyond what a restart can fix, so the failure escalates to the bank.
// ---------------------------------------------------------------------------------------

fn clearing_strategy() -> SupervisorStrategy {
    SupervisorStrategy::rest_for_one()
        .max_restarts(1)
        .within(Duration::from_secs(60))
        // The n-th restart in the window waits 10 ms * 2^(n-1), at most 200 ms, plus up to
        // 10% at random, so that stages failing together do not all restart at once.
        .backoff(
            Backoff::exponential(Duration::from_millis(10), Duration::from_millis(200)).jitter(0.1),
        )
}

#[actor]
pub struct Stage {
    processed: u32,
}

#[actor]
impl Stage {
    /// Processes one item and returns how many this instance has processed.
    #[message]
    pub fn process(&mut self, item: String) -> u32 {
        assert!(item != "poison", "simulated: cannot process {item:?}");
        self.processed += 1;
        self.processed
    }

    #[message]
    pub fn processed(&self) -> u32 {
        self.processed
    }
}

#[actor(supervisor = clearing_strategy)]
#[derive(Default)]
pub struct Clearing {
    stages: Vec<ActorRef<Stage>>,
}

#[actor]
impl Clearing {
    /// The stages' paths and ids, in spawn order.
    #[message]
    pub fn tree(&self) -> Vec<(String, ActorId)> {
        self.stages
            .iter()
            .filter(|stage| stage.is_alive())
            .map(|stage| (stage.path().to_owned(), stage.id()))
            .collect()
    }

    // Also runs after a restart: the default `post_restart` calls `started`. That matters,
    // because a restart stops the old children: the new instance spawns new ones.
    #[started]
    fn open(&mut self, ctx: &mut Context<Self>) {
        for name in ["inbox", "matcher", "outbox"] {
            let stage = ctx
                .spawn(Props::new(|| Stage { processed: 0 }).name(name))
                .expect("stage names are unique among the clearing's children");
            self.stages.push(stage);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The bank: the first supervisor.
// ---------------------------------------------------------------------------------------

/// One-for-one: a failed child is dealt with alone. The directive depends on what failed.
fn bank_strategy() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        // At most 3 restarts within a minute, counted over all the bank's children
        // together (OTP's intensity); one more escalates to the bank's own supervisor.
        .max_restarts(3)
        .within(Duration::from_secs(60))
        .decider(|child| match child.failure.kind() {
            // An `Err` from `fail_on_err` (or `ctx.fail`): a broken business rule, not a
            // broken actor. Keep its state and go on with its next message.
            FailureKind::Error => Directive::Resume,
            // The actor could not even be created: restarting would only fail again.
            FailureKind::FactoryPanic => Directive::Stop,
            // A panic, or a failure a child supervisor escalated: start afresh.
            _ => Directive::Restart,
        })
}

#[actor(supervisor = bank_strategy)]
pub struct Bank {
    journal: Journal,
    accounts: Vec<ActorRef<Account>>,
    auditor: Option<ActorRef<Auditor>>,
    clearing: Option<ActorRef<Clearing>>,
    /// What the death watch reported, as `path: reason`.
    closed: Vec<String>,
}

impl Bank {
    fn new(journal: Journal) -> Bank {
        Bank {
            journal,
            accounts: Vec::new(),
            auditor: None,
            clearing: None,
            closed: Vec::new(),
        }
    }
}

#[actor]
impl Bank {
    /// Every live actor under the bank, as (path, id), in spawn order.
    #[message]
    pub async fn tree(&self) -> Vec<(String, ActorId)> {
        let mut nodes: Vec<(String, ActorId)> = self
            .accounts
            .iter()
            .filter(|account| account.is_alive())
            .map(|account| (account.path().to_owned(), account.id()))
            .collect();
        if let Some(auditor) = &self.auditor {
            nodes.push((auditor.path().to_owned(), auditor.id()));
        }
        if let Some(clearing) = &self.clearing {
            nodes.push((clearing.path().to_owned(), clearing.id()));
            // Awaiting a child from a handler is fine: the child never waits for the bank.
            nodes.extend(clearing.tree().await.unwrap_or_default());
        }
        nodes
    }

    /// Opens one more account under the bank, watched like the others.
    #[message]
    pub fn open_account(
        &mut self,
        ctx: &mut Context<Self>,
        number: u32,
    ) -> Result<ActorRef<Account>, SpawnError> {
        let journal = self.journal.clone();
        let account = ctx.spawn(
            Props::new(move || Account::from_record(number, journal.clone()))
                .name(format!("account-{number}")),
        )?;
        ctx.watch(&account);
        self.accounts.push(account.clone());
        Ok(account)
    }

    /// The accounts that stopped for good, as the death watch reported them.
    #[message]
    pub fn closed_accounts(&self) -> Vec<String> {
        self.closed.clone()
    }

    #[started]
    fn open(&mut self, ctx: &mut Context<Self>) {
        // Children are spawned through the context: the bank supervises them, keeps them
        // alive (nobody else needs to hold a ref), and stops them before it stops.
        let policies = [
            RestartPolicy::Transient,
            RestartPolicy::Transient,
            RestartPolicy::Temporary,
        ];
        for (number, policy) in (1..).zip(policies) {
            let journal = self.journal.clone();
            let account = ctx
                .spawn(
                    Props::new(move || Account::from_record(number, journal.clone()))
                        .name(format!("account-{number}"))
                        .restart(policy),
                )
                .expect("account names are unique among the bank's children");
            // Death watch: `on_closed` hears once when this account stops for good.
            ctx.watch(&account);
            self.accounts.push(account);
        }
        self.auditor = ctx
            .spawn(
                Props::new(Auditor::default)
                    .name("auditor")
                    .restart(RestartPolicy::Permanent),
            )
            .ok();
        self.clearing = ctx
            .spawn(Props::new(Clearing::default).name("clearing"))
            .ok();
    }

    #[terminated]
    fn on_closed(&mut self, terminated: Terminated) {
        self.closed
            .push(format!("{}: {}", terminated.path, terminated.reason));
    }
}

// ---------------------------------------------------------------------------------------
// Top-level actors: supervised by the system's guardian, which restarts them when they fail.
// ---------------------------------------------------------------------------------------

/// Watches actors it is told about and remembers how they ended.
#[actor]
#[derive(Default)]
pub struct Monitor {
    seen: Vec<String>,
}

#[actor]
impl Monitor {
    #[message]
    pub fn watch_account(&mut self, ctx: &mut Context<Self>, account: ActorRef<Account>) {
        ctx.watch(&account);
    }

    #[message]
    pub fn watch_bank(&mut self, ctx: &mut Context<Self>, bank: ActorRef<Bank>) {
        ctx.watch(&bank);
    }

    #[message]
    pub fn seen(&self) -> Vec<String> {
        self.seen.clone()
    }

    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        self.seen
            .push(format!("{}: {}", terminated.path, terminated.reason));
    }
}

#[actor]
pub struct Notifier;

#[actor]
impl Notifier {
    #[message]
    pub fn notify(&self, text: String) {
        let _ = text;
    }
}

// ---------------------------------------------------------------------------------------
// Watching the system's events.
// ---------------------------------------------------------------------------------------

/// One line per event. A supervisor's path is its child's path minus the last segment;
/// `/user` is the guardian.
fn describe(event: &SystemEvent) -> String {
    match event {
        SystemEvent::Failed { path, failure, .. } => format!("  [failed]     {path}: {failure}"),
        SystemEvent::Decided {
            path, directive, ..
        } => {
            let parent = match path.rsplit_once('/') {
                Some(("/user", _)) | None => "the guardian",
                Some((parent, _)) => parent,
            };
            format!("  [decided]    {parent}: {directive:?} {path}")
        }
        SystemEvent::Restarted { path, .. } => format!("  [restarted]  {path}"),
        SystemEvent::Stopped { path, reason, .. } => format!("  [stopped]    {path}: {reason}"),
        SystemEvent::DeadLetter(letter) => {
            format!("  [dead letter] {} to {}", letter.message, letter.path)
        }
        other => format!("  [event]      {other:?}"),
    }
}

/// Prints every event in a task of its own and forwards it to `main`, which waits for the
/// outcome of each step on the forwarded stream. Waiting there, rather than sleeping, is
/// what makes the run deterministic, and every event up to the awaited one is already
/// printed when `main` goes on.
struct EventLog {
    forwarded: mpsc::UnboundedReceiver<SystemEvent>,
    finish: Option<oneshot::Sender<()>>,
    printer: tokio::task::JoinHandle<()>,
}

impl EventLog {
    fn start(system: &ActorSystem) -> EventLog {
        // Subscribe before spawning anything: a receiver sees only later events.
        let mut events = system.events();
        let (forward, forwarded) = mpsc::unbounded_channel();
        let (finish, mut finished) = oneshot::channel::<()>();
        let printer = tokio::spawn(async move {
            let show = |event: SystemEvent| {
                println!("{}", describe(&event));
                let _ = forward.send(event);
            };
            loop {
                tokio::select! {
                    biased;
                    received = events.recv() => match received {
                        Ok(event) => show(event),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            println!("  ({missed} events missed)");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = &mut finished => break,
                }
            }
            // Print what is still buffered, then end.
            while let Ok(event) = events.try_recv() {
                show(event);
            }
        });
        EventLog {
            forwarded,
            finish: Some(finish),
            printer,
        }
    }

    /// Waits (at most 5 s) until every event in `expected` has been seen, in any order.
    async fn expect(&mut self, expected: &[Expect<'_>]) -> Result<(), String> {
        let mut missing: BTreeSet<usize> = (0..expected.len()).collect();
        let wait = async {
            while !missing.is_empty() {
                let event = self.forwarded.recv().await.ok_or("the event log ended")?;
                missing.retain(|&i| !expected[i].matches(&event));
            }
            Ok::<(), String>(())
        };
        match tokio::time::timeout(Duration::from_secs(5), wait).await {
            Ok(result) => result,
            Err(_) => Err(format!("timed out waiting for {expected:?}")),
        }
    }

    /// Prints the events still on their way, and stops the printer.
    async fn finish(mut self) {
        if let Some(finish) = self.finish.take() {
            let _ = finish.send(());
        }
        let _ = self.printer.await;
    }
}

/// An event `main` waits for: its kind and the path of the actor it is about.
#[derive(Debug, Clone, Copy)]
enum Expect<'a> {
    Decided(&'a str, Directive),
    Restarted(&'a str),
    Stopped(&'a str),
    DeadLetter(&'a str),
}

impl Expect<'_> {
    fn matches(&self, event: &SystemEvent) -> bool {
        match (*self, event) {
            (
                Expect::Decided(want, d),
                SystemEvent::Decided {
                    path, directive, ..
                },
            ) => &**path == want && *directive == d,
            (Expect::Restarted(want), SystemEvent::Restarted { path, .. })
            | (Expect::Stopped(want), SystemEvent::Stopped { path, .. }) => &**path == want,
            (Expect::DeadLetter(want), SystemEvent::DeadLetter(letter)) => &*letter.path == want,
            _ => false,
        }
    }
}

/// Prints a tree from paths: indentation by depth, last segment, id.
fn print_tree(root: (&str, ActorId), nodes: &[(String, ActorId)]) {
    println!("  {} {}", root.0, root.1);
    for (path, id) in nodes {
        let depth = path.matches('/').count() - 2;
        let name = path.rsplit('/').next().unwrap_or(path);
        println!("  {:indent$}{name} {id}", "", indent = depth * 2);
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

// One thread, so that the output comes in the same order every run. Actors behave the same
// on the multi-thread runtime.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every deliberate panic says "simulated"; the events below report them, so Rust's
    // default panic message on stderr would only repeat them. Any other panic still prints.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if !text.is_some_and(|text| text.contains("simulated")) {
            default_hook(info);
        }
    }));

    let system = ActorSystem::new();
    let mut log = EventLog::start(&system);
    let journal = Journal::default();

    step("the tree");
    let bank = system.spawn(
        Props::new({
            let journal = journal.clone();
            move || Bank::new(journal.clone())
        })
        .name("bank"),
    )?;
    // Named top-level actors live until they are stopped, whoever holds a ref to them.
    let monitor = system.spawn(Props::new(Monitor::default).name("monitor"))?;
    print_tree((bank.path(), bank.id()), &bank.tree().await?);
    println!("  {} {}", monitor.path(), monitor.id());

    // Children are found by path (`lookup("bank")` would be short for "/user/bank").
    let account1 = system.lookup::<Account>("/user/bank/account-1")?;
    let account2 = system.lookup::<Account>("/user/bank/account-2")?;
    let account3 = system.lookup::<Account>("/user/bank/account-3")?;
    let auditor = system.lookup::<Auditor>("/user/bank/auditor")?;

    step("account-1 panics: the bank restarts it");
    account1.deposit(100).await?;
    // Three messages in a row: the crash, then two that wait in the mailbox while the
    // account fails and restarts. The restart keeps the mailbox, so they are handled by the
    // new instance; it drops only the message that failed.
    account1.crash().tell().await?;
    account1.deposit(5).tell().await?;
    let balance = account1.balance().await?;
    log.expect(&[Expect::Restarted("/user/bank/account-1")])
        .await?;
    for line in journal.take() {
        println!("  {line}");
    }
    println!("  balance after the restart: {balance} (the 100 was state; the queued 5 was kept)");

    step("account-2 overdraws: fail_on_err fails it, the bank resumes it");
    account2.deposit(50).await?;
    match account2.withdraw(80).await? {
        Ok(left) => println!("  withdraw(80) -> Ok({left})"),
        Err(err) => println!("  withdraw(80) -> Err: {err} (the asker gets the Err)"),
    }
    log.expect(&[Expect::Decided("/user/bank/account-2", Directive::Resume)])
        .await?;
    println!(
        "  balance after resume: {} (Resume keeps the state)",
        account2.balance().await?
    );

    step("the auditor retires (stops itself): permanent, so it is restarted");
    auditor.audit().await?;
    println!("  audits before: {}", auditor.audit().await?);
    auditor.retire().await?;
    log.expect(&[Expect::Restarted("/user/bank/auditor")])
        .await?;
    println!(
        "  audits after: {} (a fresh instance, the same ref)",
        auditor.audit().await?
    );

    step("account-3 panics: temporary, so Restart becomes Stop");
    account3.crash().tell().await?;
    println!("  account-3 {}", account3.terminated().await);
    log.expect(&[Expect::Stopped("/user/bank/account-3")])
        .await?;

    step("account-4's factory panics: the bank stops it");
    let account4 = bank.open_account(4).await??;
    println!("  account-4 {}", account4.terminated().await);
    log.expect(&[Expect::Stopped("/user/bank/account-4")])
        .await?;
    for line in bank.closed_accounts().await? {
        println!("  the bank's death watch: {line}");
    }

    step("death watch on an actor that is already dead: Terminated comes at once");
    monitor.watch_account(account4.clone()).await?;
    for line in monitor.seen().await? {
        println!("  the monitor saw: {line}");
    }

    step("dead letters");
    // A message to a stopped actor is refused, handed back, and counted.
    if let Err(err) = account4.deposit(10).tell().await {
        println!("  account-4.deposit(10).tell() -> {err}");
    }
    log.expect(&[Expect::DeadLetter("/user/bank/account-4")])
        .await?;
    // Messages still queued when an actor stops immediately go to dead letters too. On this
    // one thread, the notifier does not run before `stop_now`, so all three are queued.
    let notifier = system.spawn(Props::new(|| Notifier).name("notifier"))?;
    for text in ["a", "b", "c"] {
        notifier.notify(text.into()).tell().await?;
    }
    notifier.stop_now();
    println!("  notifier {}", notifier.terminated().await);
    log.expect(&[Expect::Stopped("/user/notifier")]).await?;
    println!("  dead letters so far: {}", system.dead_letter_count());

    step("clearing/matcher panics: rest-for-one restarts it and the outbox, not the inbox");
    let inbox = system.lookup::<Stage>("/user/bank/clearing/inbox")?;
    let matcher = system.lookup::<Stage>("/user/bank/clearing/matcher")?;
    let outbox = system.lookup::<Stage>("/user/bank/clearing/outbox")?;
    for stage in [&inbox, &matcher, &outbox] {
        stage.process("payment".into()).await?;
    }
    if let Err(err) = matcher.process("poison".into()).await {
        println!("  matcher.process(\"poison\") -> {err}");
    }
    log.expect(&[
        Expect::Restarted("/user/bank/clearing/matcher"),
        Expect::Restarted("/user/bank/clearing/outbox"),
    ])
    .await?;
    println!(
        "  processed: inbox {}, matcher {}, outbox {}",
        inbox.processed().await?,
        matcher.processed().await?,
        outbox.processed().await?
    );

    step("matcher panics again: over the clearing's intensity, so it escalates to the bank");
    if let Err(err) = matcher.process("poison".into()).await {
        println!("  matcher.process(\"poison\") -> {err}");
    }
    // The clearing stops the matcher and fails; the bank restarts the clearing, which stops
    // its other children first and spawns new ones in `started`.
    log.expect(&[Expect::Restarted("/user/bank/clearing")])
        .await?;
    println!(
        "  the old matcher ref is alive: {}; the clearing keeps its id",
        matcher.is_alive()
    );
    print_tree((bank.path(), bank.id()), &bank.tree().await?);

    step("account-1 panics again: the bank has used its 3 restarts, so it escalates");
    // account-1, the auditor and the clearing used the bank's 3 restarts in the window:
    // the intensity counts per supervisor, not per child. The bank fails, and the
    // guardian's default strategy restarts a failed top-level actor: the bank stops its
    // subtree first, deepest first, and the new bank opens its accounts again. The monitor
    // watching the bank hears nothing: a restart is not an end.
    monitor.watch_bank(bank.clone()).await?;
    let seen_before = monitor.seen().await?.len();
    account1.crash().tell().await?;
    log.expect(&[
        Expect::Decided("/user/bank", Directive::Restart),
        Expect::Restarted("/user/bank"),
    ])
    .await?;
    print_tree((bank.path(), bank.id()), &bank.tree().await?);
    let seen_after = monitor.seen().await?.len();
    println!(
        "  the monitor heard of {} more end(s): the bank is the same actor, restarted",
        seen_after - seen_before
    );

    step("shutdown");
    let report = system.shutdown().await;
    log.finish().await;
    println!(
        "  {} stopped, {} aborted; {} dead letters in all",
        report.stopped,
        report.aborted,
        system.dead_letter_count()
    );
    Ok(())
}
