//! Dead letters: a message that reaches no actor (sent to a stopped actor, or still queued
//! when its actor stopped immediately) is counted by `system.dead_letter_count()` and
//! published as `SystemEvent::DeadLetter` with its recipient and variant name.

mod support;

use std::future::IntoFuture;
use std::pin::pin;

use actor_core::prelude::*;
use actor_core::{ActorId, DeadLetter, SystemEvent};
use support::{bounded, patient_system, patient_system_stopping_failed, poll_once, Gate};
use tokio::sync::broadcast::{self, error::TryRecvError};

#[actor]
#[derive(Default)]
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
    fn balance(&self) -> u64 {
        self.balance
    }

    #[message]
    async fn hold(&mut self, gate: Gate) -> u64 {
        gate.pass().await;
        self.balance
    }

    #[message]
    fn close(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[message]
    fn explode(&mut self) {
        panic!("account on fire");
    }
}

fn account(system: &ActorSystem, name: &str) -> ActorRef<Account> {
    system
        .spawn(Props::new(Account::default).name(name))
        .unwrap()
}

/// The dead letters received so far, without waiting. Dead letters are published by the
/// call that makes them (a send, or the stop that drops the queue), so they are already
/// there when that call has returned.
fn dead_letters(events: &mut broadcast::Receiver<SystemEvent>) -> Vec<DeadLetter> {
    let mut letters = Vec::new();
    loop {
        match events.try_recv() {
            Ok(SystemEvent::DeadLetter(letter)) => letters.push(letter),
            Ok(_) => {}
            Err(TryRecvError::Empty) => return letters,
            Err(err) => panic!("event stream: {err}"),
        }
    }
}

fn letter(to: &ActorRef<Account>, message: &'static str) -> DeadLetter {
    DeadLetter {
        recipient: to.id(),
        path: to.path().into(),
        message,
    }
}

/// Sends one `Deposit` each way (tell, try_tell, ask) to a stopped `account` and checks
/// that each is refused, handed back, counted and published.
async fn each_send_is_a_dead_letter(
    system: &ActorSystem,
    events: &mut broadcast::Receiver<SystemEvent>,
    account: &ActorRef<Account>,
) {
    let before = system.dead_letter_count();
    dead_letters(events);

    let err = bounded("a tell", account.deposit(1).tell())
        .await
        .unwrap_err();
    assert!(matches!(err.0, AccountMsg::Deposit { amount: 1 }));
    assert_eq!(system.dead_letter_count(), before + 1, "tell not counted");

    match account.deposit(2).try_tell() {
        Err(TrySendError::Closed(AccountMsg::Deposit { amount: 2 })) => {}
        other => panic!("expected Closed(Deposit), got {other:?}"),
    }
    assert_eq!(
        system.dead_letter_count(),
        before + 2,
        "try_tell not counted"
    );

    match bounded("an ask", account.deposit(3)).await {
        Err(AskError::Closed(AccountMsg::Deposit { amount: 3 })) => {}
        other => panic!("expected AskError::Closed(Deposit), got {other:?}"),
    }
    assert_eq!(system.dead_letter_count(), before + 3, "ask not counted");

    let expected = vec![letter(account, "Deposit"); 3];
    assert_eq!(dead_letters(events), expected);
}

#[tokio::test]
async fn sends_to_an_actor_stopped_from_outside_are_dead_letters() {
    let system = patient_system();
    let mut events = system.events();
    let account = account(&system, "acct");
    assert_eq!(account.deposit(5).await.unwrap(), 5);
    assert_eq!(system.dead_letter_count(), 0);

    account.stop();
    bounded("the account to stop", account.terminated()).await;
    each_send_is_a_dead_letter(&system, &mut events, &account).await;
    system.shutdown().await;
}

#[tokio::test]
async fn sends_to_an_actor_that_stopped_itself_are_dead_letters() {
    let system = patient_system();
    let mut events = system.events();
    let account = account(&system, "acct");
    account.close().await.unwrap();
    assert_eq!(
        bounded("the account to stop", account.terminated()).await,
        StopReason::Requested
    );
    each_send_is_a_dead_letter(&system, &mut events, &account).await;
    system.shutdown().await;
}

#[tokio::test]
async fn sends_to_an_actor_that_failed_are_dead_letters() {
    let system = patient_system_stopping_failed();
    let mut events = system.events();
    let account = account(&system, "acct");
    assert!(matches!(
        bounded("the failing ask", account.explode()).await,
        Err(AskError::Failed(_))
    ));
    assert!(matches!(
        bounded("the account to stop", account.terminated()).await,
        StopReason::Failed(_)
    ));
    each_send_is_a_dead_letter(&system, &mut events, &account).await;
    system.shutdown().await;
}

#[tokio::test]
async fn messages_queued_at_an_immediate_stop_are_dead_letters() {
    let system = patient_system();
    let mut events = system.events();
    let account = account(&system, "acct");

    let (gate, mut control) = Gate::new();
    let mut hold = pin!(account.hold(gate).into_future());
    assert!(poll_once(hold.as_mut()).await.is_pending());
    control.entered().await;
    for amount in 1..=3 {
        account.deposit(amount).try_tell().unwrap();
    }
    let mut queued_ask = pin!(account.balance().into_future());
    assert!(poll_once(queued_ask.as_mut()).await.is_pending());
    assert_eq!(system.dead_letter_count(), 0);

    account.stop_now();
    control.release();
    // The message being handled finishes; the queue is dropped.
    assert_eq!(bounded("the held ask", hold).await.unwrap(), 0);
    assert!(matches!(
        bounded("the queued ask", queued_ask).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(
        bounded("the account to stop", account.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(system.dead_letter_count(), 4);
    let mut expected = vec![letter(&account, "Deposit"); 3];
    expected.push(letter(&account, "Balance"));
    assert_eq!(dead_letters(&mut events), expected);
    system.shutdown().await;
}

#[tokio::test]
async fn a_graceful_stop_handles_the_queue_and_makes_no_dead_letters() {
    let system = patient_system();
    let mut events = system.events();
    let account = account(&system, "acct");

    let (gate, mut control) = Gate::new();
    let mut hold = pin!(account.hold(gate).into_future());
    assert!(poll_once(hold.as_mut()).await.is_pending());
    control.entered().await;
    for amount in 1..=3 {
        account.deposit(amount).try_tell().unwrap();
    }
    let mut queued_ask = pin!(account.balance().into_future());
    assert!(poll_once(queued_ask.as_mut()).await.is_pending());

    account.stop();
    control.release();
    assert_eq!(bounded("the held ask", hold).await.unwrap(), 0);
    assert_eq!(bounded("the queued ask", queued_ask).await.unwrap(), 6);
    bounded("the account to stop", account.terminated()).await;
    assert_eq!(system.dead_letter_count(), 0);
    assert_eq!(dead_letters(&mut events), []);
    system.shutdown().await;
}

#[tokio::test]
async fn dead_letters_name_their_recipient() {
    // Two stopped actors: each letter names its own recipient and path.
    let system = patient_system();
    let mut events = system.events();
    let first = account(&system, "first");
    let second = account(&system, "second");
    for account in [&first, &second] {
        account.close().await.unwrap();
        bounded("an account to stop", account.terminated()).await;
    }
    let _ = second.deposit(1).try_tell();
    let _ = first.deposit(1).try_tell();
    let _ = second.balance().try_tell();
    let letters = dead_letters(&mut events);
    let recipients: Vec<(ActorId, &str, &str)> = letters
        .iter()
        .map(|l| (l.recipient, &*l.path, l.message))
        .collect();
    assert_eq!(
        recipients,
        [
            (second.id(), "/user/second", "Deposit"),
            (first.id(), "/user/first", "Deposit"),
            (second.id(), "/user/second", "Balance"),
        ]
    );
    assert_eq!(system.dead_letter_count(), 3);
    system.shutdown().await;
}
