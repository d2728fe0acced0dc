//! `Send`, `Sync` and `Unpin` of every public type, checked at compile time (in the style of
//! tokio's `tests/async_send_sync.rs`): a handle that silently stops being `Send` breaks
//! every user who moves it into `tokio::spawn`, so the suite should break first.
//!
//! The `require!` items fail to *compile* if a bound is missing. A property that is wanted
//! but not there yet is checked at run time with [`Probe`] instead, so it is an ignored test
//! rather than a broken build.

#![allow(dead_code)]

use std::cell::Cell;
use std::error::Error;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use actor_core::prelude::*;
// Generated clients hold a `RefCore`; it is not for users, so only `__private` names it.
use actor_core::__private::RefCore;
use actor_core::{
    ActorId, ActorStatus, Ask, BasicClient, Failure, FailureKind, LookupError, Request,
    ShutdownReport, SpawnError, StopMode, SystemBuilder, Tell,
};

/// Compile-time check that `$ty` meets every listed bound.
macro_rules! require {
    ($ty:ty: $($bound:path),+ $(,)?) => {
        const _: fn() = || {
            fn check<T: ?Sized $(+ $bound)+>() {}
            check::<$ty>();
        };
    };
}

/// The usual actor: what `#[actor]` generates for it is checked below.
#[actor]
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
    pub async fn audit(&self, ctx: &mut Context<Self>) -> String {
        format!("{} has {}", ctx.id(), self.balance)
    }
}

/// A generic actor.
#[actor]
pub struct Store<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Clone + Send + 'static> Store<T> {
    #[message]
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }
}

/// An actor whose state and messages are `Send` but not `Sync`: its handles must still be
/// `Send + Sync`, since the state lives in the actor's task and messages only move.
#[actor]
pub struct Solitary {
    hits: Cell<u32>,
}

#[actor]
impl Solitary {
    #[message]
    pub fn hit(&mut self, by: Cell<u32>) -> u32 {
        self.hits.set(self.hits.get() + by.get());
        self.hits.get()
    }
}

// Handles: shared freely between tasks and threads.
require!(ActorRef<Account>: Send, Sync, Unpin);
require!(ActorRef<Store<String>>: Send, Sync, Unpin);
require!(ActorRef<Solitary>: Send, Sync, Unpin);
require!(WeakActorRef<Account>: Send, Sync, Unpin);
require!(WeakActorRef<Solitary>: Send, Sync, Unpin);
require!(RefCore<Account>: Send, Sync, Unpin);
require!(RefCore<Solitary>: Send, Sync, Unpin);
require!(BasicClient<Account>: Send, Sync, Unpin);
require!(ActorId: Send, Sync, Unpin, Copy);

// The system and its configuration.
require!(ActorSystem: Send, Sync, Unpin, Clone);
require!(SystemBuilder: Send, Sync, Unpin);
require!(ShutdownReport: Send, Sync, Unpin, Copy);
require!(MailboxConfig: Send, Sync, Unpin, Copy);
require!(Props<Account>: Send, Sync, Unpin);
require!(Props<Store<String>>: Send, Sync, Unpin);
// Props own the actor value until it is spawned, so they are `Send` like the actor.
require!(Props<Solitary>: Send, Unpin);

// The running actor's context is handed to handlers whose futures must be `Send`.
require!(Context<Account>: Send, Sync, Unpin);
require!(Context<Solitary>: Send, Sync, Unpin);

// Lifecycle values.
require!(ActorStatus: Send, Sync, Unpin, Clone);
require!(StopReason: Send, Sync, Unpin, Clone);
require!(StopMode: Send, Sync, Unpin, Copy);
require!(Failure: Send, Sync, Unpin, Clone);
require!(FailureKind: Send, Sync, Unpin, Copy);

// Errors: `Send + Sync + 'static` so they fit `Box<dyn Error + Send + Sync>` and anyhow.
require!(SendError<AccountMsg>: Send, Sync, Unpin, Error);
require!(TrySendError<AccountMsg>: Send, Sync, Unpin, Error);
require!(AskError<AccountMsg>: Send, Sync, Unpin, Error);
require!(AskError<StoreMsg<String>>: Send, Sync, Unpin, Error);
require!(SpawnError: Send, Sync, Unpin, Error);
require!(LookupError: Send, Sync, Unpin, Error);
require!(Failure: Error);
// Errors of a `!Sync` message are still `Send`.
require!(AskError<SolitaryMsg>: Send, Unpin, Error);

// Requests, the ask future and tells: built in one task, awaited in a spawned one. All
// own their ref, so they are `'static`.
require!(Request<Account, u64>: Send, Sync, Unpin, IntoFuture);
require!(Request<Store<String>, ()>: Send, Sync, Unpin);
require!(Request<Solitary, u32>: Send, Unpin);
require!(Ask<Account, u64>: Send, Sync, Future);
require!(Ask<Store<String>, ()>: Send, Sync);
require!(Ask<Solitary, u32>: Send);
require!(Tell<Account>: Send, Sync, Unpin, Future);
require!(Tell<Solitary>: Send, Unpin, Future);
require!(ReplyTo<u64>: Send, Sync, Unpin);

// What `#[actor]` generates.
require!(AccountMsg: Send, Sync, Unpin);
require!(AccountReply: Send, Sync, Unpin);
require!(AccountClient: Send, Sync, Unpin);
require!(StoreMsg<String>: Send, Sync, Unpin);
require!(StoreReply<String>: Send, Sync, Unpin);
require!(StoreClient<String>: Send, Sync, Unpin);
require!(SolitaryMsg: Send, Unpin);
require!(SolitaryReply: Send, Unpin);
require!(SolitaryClient: Send, Sync, Unpin);
require!(Account: Actor);
require!(Store<u8>: Actor);

/// The futures of the public async methods are `Send`, so they can be awaited inside
/// `tokio::spawn`. Type-checked, never run.
fn futures_are_send(
    account: &ActorRef<Account>,
    weak: &WeakActorRef<Account>,
    system: &ActorSystem,
    solitary: &ActorRef<Solitary>,
) {
    fn send<T: Send>(_: &T) {}
    send(&account.tell(AccountMsg::Deposit { amount: 1 }));
    send(&account.deposit(1).tell());
    send(&account.terminated());
    send(&weak.terminated());
    send(&system.shutdown());
    send(&solitary.hit(Cell::new(1)).tell());
    send(&solitary.terminated());
}

/// The errors convert into the boxed error that applications propagate with `?`.
fn errors_box_up() -> Result<(), Box<dyn Error + Send + Sync + 'static>> {
    Err(AskError::<AccountMsg>::Timeout)?;
    Err(SendError(AccountMsg::Deposit { amount: 1 }))?;
    Err(TrySendError::Full(AccountMsg::Deposit { amount: 1 }))?;
    Err(SpawnError::SystemShutDown)?;
    Err(LookupError::NotFound(String::new()))?;
    Ok(())
}

/// Whether a type implements `Sync`, answered at run time for a concrete type: the inherent
/// constant applies only when the bound holds, otherwise the trait's default does.
struct Probe<T: ?Sized>(PhantomData<T>);

trait NotSync {
    const SYNC: bool = false;
}

impl<T: ?Sized> NotSync for Probe<T> {}

impl<T: ?Sized + Sync> Probe<T> {
    const SYNC: bool = true;
}

// The probe itself tells the two apart.
const _: () = assert!(Probe::<u32>::SYNC);
const _: () = assert!(!Probe::<Cell<u32>>::SYNC);

// Props of a `!Sync` actor are `!Sync`: expected and harmless, props are moved into
// `spawn`, not shared.
const _: () = assert!(!Probe::<Props<Solitary>>::SYNC);

/// tokio keeps its futures `Sync` where it can (`Sleep`, `Sender::send`'s future, ...), since
/// a `!Sync` future makes every `async` block that holds a `&` to it across an await `!Send`.
/// tokio keeps its futures `Sync` where it can (`Sleep`, `Sender::send`'s future, ...), since
/// a `!Sync` future makes every `async` block that holds a `&` to it across an await `!Send`.
#[test]
fn the_ask_future_is_sync() {
    assert!(std::hint::black_box(Probe::<Ask<Account, u64>>::SYNC));
}

#[tokio::test]
async fn refs_and_asks_move_into_spawned_tasks() {
    let system = ActorSystem::new();
    let account = system.spawn(Account { balance: 0 }).unwrap();
    let solitary = system.spawn(Solitary { hits: Cell::new(0) }).unwrap();
    let task = {
        let account = account.clone();
        let system = system.clone();
        tokio::spawn(async move {
            let weak = account.downgrade();
            let deposited = account.deposit(5).await.unwrap();
            let audit = account.audit().await.unwrap();
            let upgraded = weak.upgrade().unwrap();
            assert_eq!(upgraded, account);
            (deposited, audit, system.actor_count())
        })
    };
    let (deposited, audit, actors) = tokio::time::timeout(std::time::Duration::from_secs(60), task)
        .await
        .expect("the spawned task hung")
        .unwrap();
    assert_eq!(deposited, 5);
    assert!(audit.ends_with("has 5"), "{audit}");
    assert_eq!(actors, 2);
    let hits = tokio::spawn(async move { solitary.hit(Cell::new(3)).await.unwrap() });
    assert_eq!(hits.await.unwrap(), 3);
    system.shutdown().await;
}
