//! Quickstart: a tiny bank run by actors.
//!
//! Each `Account` is an actor. Its balance is plain state that only its own handlers touch,
//! one message at a time, so there are no locks. A `Teller` moves money by asking two
//! accounts in turn. On the way, the program shows every way to send a message (ask, tell,
//! `try_tell`, ask with a timeout), what a full mailbox and a panic look like to the sender,
//! and how actors and the system stop.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p examples --example quickstart
//! ```

use std::fmt;
use std::time::Duration;

use actor_core::prelude::*;

/// A withdrawal larger than the balance. A business error: it travels back in the reply,
/// and the account keeps running.
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

impl std::error::Error for Overdrawn {}

// A tiny mailbox (the default holds 1024), so that the demo below can fill it.
#[actor(mailbox = 4)]
pub struct Account {
    balance: u64,
}

#[actor]
impl Account {
    #[message]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
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

    #[message]
    pub fn balance(&self) -> u64 {
        self.balance
    }
}

/// Why a transfer did not happen.
#[derive(Debug)]
pub enum TransferError {
    /// The source account said no.
    Overdrawn(Overdrawn),
    /// An account did not answer (stopped, failed or timed out).
    Unreachable(AskError<AccountMsg>),
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferError::Overdrawn(err) => write!(f, "refused: {err}"),
            TransferError::Unreachable(err) => write!(f, "account unreachable: {err}"),
        }
    }
}

impl std::error::Error for TransferError {}

impl From<Overdrawn> for TransferError {
    fn from(err: Overdrawn) -> Self {
        TransferError::Overdrawn(err)
    }
}

impl From<AskError<AccountMsg>> for TransferError {
    fn from(err: AskError<AccountMsg>) -> Self {
        TransferError::Unreachable(err)
    }
}

#[actor]
#[derive(Default)]
pub struct Teller {
    transfers: u64,
    moved: u64,
}

#[actor]
impl Teller {
    /// Moves `amount` between two accounts; returns their new balances.
    #[message]
    pub async fn transfer(
        &mut self,
        from: ActorRef<Account>,
        to: ActorRef<Account>,
        amount: u64,
    ) -> Result<(u64, u64), TransferError> {
        // Two `?`: the first says whether the account answered, the second what it answered.
        let left = from.withdraw(amount).await??;
        match to.deposit(amount).await {
            Ok(total) => {
                self.transfers += 1;
                self.moved += amount;
                Ok((left, total))
            }
            Err(err) => {
                // All or nothing: put the money back. (A real bank would also log a failed
                // refund for a human to look at.)
                let _ = from.deposit(amount).await;
                Err(err.into())
            }
        }
    }

    #[message]
    pub fn average_transfer(&self) -> u64 {
        // A bug, on purpose: a teller who has made no transfer yet has no average, and
        // panics (as `self.moved / self.transfers` would, dividing by zero).
        match self.moved.checked_div(self.transfers) {
            Some(average) => average,
            None => panic!("simulated bug: no transfer yet, so no average"),
        }
    }
}

// One thread, so the output comes in the same order every run (and so that nothing runs
// between the `try_tell`s below). Actors work the same on the multi-thread runtime.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    quiet_simulated_panics();
    let system = ActorSystem::new();
    let alice = system.spawn(Account { balance: 100 })?;
    let bob = system.spawn(Account { balance: 20 })?;
    let teller = system.spawn(Teller::default())?;

    // Ask: send, then await the typed reply.
    println!(
        "alice.deposit(50)          -> balance {}",
        alice.deposit(50).await?
    );

    // Tell: send, don't wait for the reply. Messages from one sender arrive in order, so
    // this deposit is handled before the withdrawal below.
    bob.deposit(5).tell().await?;
    println!("bob.deposit(5).tell()      -> sent, no reply awaited");

    // The handler's own `Result` is the reply: `Ok(Err(..))` means "delivered, and refused".
    match bob.withdraw(500).await? {
        Ok(left) => println!("bob.withdraw(500)          -> balance {left}"),
        Err(err) => println!("bob.withdraw(500)          -> {err}"),
    }

    // An async handler that awaits two other actors.
    let (a, b) = teller.transfer(alice.clone(), bob.clone(), 30).await??;
    println!("transfer 30 alice to bob   -> alice {a}, bob {b}");
    if let Err(err) = teller.transfer(bob.clone(), alice.clone(), 1_000).await? {
        println!("transfer 1000 bob to alice -> {err}");
    }

    // Every ask has a timeout (the system's default is 5 s); this one sets its own.
    let balance = alice.balance().timeout(Duration::from_millis(100)).await?;
    println!("alice.balance().timeout()  -> {balance}");

    // `try_tell` never waits. Bob's mailbox holds 4 messages, so the 5th comes back.
    for _ in 0..4 {
        bob.deposit(1).try_tell()?;
    }
    if let Err(TrySendError::Full(msg)) = bob.deposit(1).try_tell() {
        if let AccountMsg::Deposit { amount } = &msg {
            println!("5th deposit(1).try_tell()  -> mailbox full, Deposit({amount}) handed back");
        }
        // `tell` waits for room instead: backpressure rather than an error.
        bob.tell(msg).await?;
        println!("bob.tell(msg)              -> waited for room, delivered");
    }
    println!("bob.balance()              -> {}", bob.balance().await?);

    // A panic fails the actor that panicked, and only it; the ask that hit it gets
    // `AskError::Failed`. The trainee is top-level, so the system's guardian decides what
    // happens next: by default it restarts the actor from its props, a fresh instance
    // behind the same ref. (Rust's panic hook would also print the panic on stderr, which
    // reads as a crash: `quiet_simulated_panics` keeps this deliberate one quiet.)
    let trainee = system.spawn(Props::new(Teller::default))?;
    match trainee.average_transfer().await {
        Err(AskError::Failed(failure)) => println!("trainee.average_transfer() -> {failure}"),
        other => println!("trainee.average_transfer() -> unexpected: {other:?}"),
    }
    let (left, _) = trainee.transfer(alice.clone(), bob.clone(), 10).await??;
    println!(
        "trainee, restarted         -> moved 10 (alice {left}), average {}",
        trainee.average_transfer().await?
    );
    println!(
        "teller.average_transfer()  -> {}",
        teller.average_transfer().await?
    );

    // Graceful stop: alice handles what is already queued, and refuses anything new.
    alice.stop();
    println!("alice.stop()               -> {}", alice.terminated().await);
    if let Err(err @ AskError::Closed(_)) = alice.deposit(1).await {
        println!("alice.deposit(1)           -> {err}");
    }

    // Shutdown stops every actor still running (bob, the teller and the trainee) and says
    // how it went.
    let report = system.shutdown().await;
    println!(
        "system.shutdown()          -> {} stopped, {} aborted",
        report.stopped, report.aborted
    );
    Ok(())
}

/// Keeps the deliberate panic of this example off stderr, where Rust's default panic hook
/// prints every panic (with `RUST_BACKTRACE=1`, a whole backtrace), which would read as a
/// crash in the middle of the story. Its message says "simulated"; any other panic still
/// prints.
fn quiet_simulated_panics() {
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
}
