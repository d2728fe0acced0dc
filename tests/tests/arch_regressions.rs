//! What the restructure of issue 11 moved, pinned: a send's dead letters used to be counted
//! by each of `Tell`, `Ask` and `try_send`, and are now counted in one place, the target's
//! delivery. These tests hold the count to what it was for every way a send can end:
//! refused as closed (counted once), refused as full or given up while waiting (never
//! counted), and closed while waiting for a permit (counted once, with the queued messages
//! dropped by the stop counted apart). Each passes on the flat tree (9c43b71) too.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::SystemEvent;
use support::{bounded, patient_system, poll_once, Gate, GateControl};
use tokio::sync::broadcast;

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

    /// Waits at the gate, then replies with how many items there are.
    #[message]
    async fn hold(&mut self, gate: Gate) -> usize {
        gate.pass().await;
        self.items.len()
    }
}

/// The names of the dead letters published so far, without waiting: a send publishes its
/// dead letter before it returns.
fn dead_letters(events: &mut broadcast::Receiver<SystemEvent>) -> Vec<&'static str> {
    let mut names = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let SystemEvent::DeadLetter(letter) = event {
            names.push(letter.message);
        }
    }
    names
}

/// A log with a one-message mailbox, inside `hold` at its gate (asked from a task of its
/// own, returned), with one `append` queued behind it: its mailbox is full until the gate
/// is released.
async fn full_log(
    system: &ActorSystem,
) -> (
    ActorRef<Log>,
    GateControl,
    tokio::task::JoinHandle<Result<usize, AskError<LogMsg>>>,
) {
    let log = system
        .spawn(Props::new(Log::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    let hold = tokio::spawn({
        let log = log.clone();
        async move { log.hold(gate).await }
    });
    control.entered().await;
    log.append(1).try_tell().unwrap();
    (log, control, hold)
}

#[tokio::test]
async fn a_full_mailbox_refusal_is_not_a_dead_letter() {
    let system = patient_system();
    let mut events = system.events();
    let (log, control, hold) = full_log(&system).await;

    // try_tell on a full mailbox: refused as `Full`, not counted.
    match log.append(2).try_tell() {
        Err(TrySendError::Full(LogMsg::Append { n: 2 })) => {}
        other => panic!("expected Full(Append {{ n: 2 }}), got {other:?}"),
    }
    match log.try_tell(LogMsg::Append { n: 3 }) {
        Err(TrySendError::Full(LogMsg::Append { n: 3 })) => {}
        other => panic!("expected Full(Append {{ n: 3 }}), got {other:?}"),
    }

    // A tell and an ask that wait for a permit and are given up: not counted either.
    {
        let mut tell = pin!(log.append(4).tell());
        assert!(poll_once(tell.as_mut()).await.is_pending());
        let mut ask = pin!(log.ask(LogMsg::Append { n: 5 }).into_future());
        assert!(poll_once(ask.as_mut()).await.is_pending());
    }
    assert_eq!(
        system.dead_letter_count(),
        0,
        "a refusal as full was counted"
    );
    assert_eq!(dead_letters(&mut events), Vec::<&str>::new());

    control.release();
    assert_eq!(bounded("the held handler", hold).await.unwrap().unwrap(), 0);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_that_times_out_waiting_for_a_permit_is_not_a_dead_letter() {
    let system = patient_system();
    let (log, control, hold) = full_log(&system).await;

    let err = log
        .append(2)
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        AskError::MailboxFull(LogMsg::Append { n: 2 })
    ));
    assert_eq!(system.dead_letter_count(), 0, "a timed-out ask was counted");

    control.release();
    assert_eq!(bounded("the held handler", hold).await.unwrap().unwrap(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn senders_waiting_when_the_mailbox_closes_are_one_dead_letter_each() {
    let system = patient_system();
    let mut events = system.events();
    let (log, control, hold) = full_log(&system).await;

    // Both wait in line for a permit.
    let mut tell = pin!(log.append(2).tell());
    assert!(poll_once(tell.as_mut()).await.is_pending());
    let mut ask = pin!(log.append(3).into_future());
    assert!(poll_once(ask.as_mut()).await.is_pending());

    // A stop from outside closes the mailbox at once: both learn it, each counted once.
    log.stop_now();
    match poll_once(tell.as_mut()).await {
        Poll::Ready(Err(SendError(LogMsg::Append { n: 2 }))) => {}
        other => panic!("expected the tell refused, got {other:?}"),
    }
    match poll_once(ask.as_mut()).await {
        Poll::Ready(Err(AskError::Closed(LogMsg::Append { n: 3 }))) => {}
        other => panic!("expected the ask refused as closed, got {other:?}"),
    }
    assert_eq!(system.dead_letter_count(), 2);
    assert_eq!(dead_letters(&mut events), ["Append", "Append"]);

    // The `append` queued behind the held handler is dropped by the stop: one more.
    control.release();
    assert_eq!(bounded("the held handler", hold).await.unwrap().unwrap(), 0);
    bounded("the log to stop", log.terminated()).await;
    assert_eq!(system.dead_letter_count(), 3);
    assert_eq!(dead_letters(&mut events), ["Append"]);
    system.shutdown().await;
}

#[tokio::test]
async fn the_ref_methods_and_the_requests_count_a_closed_send_alike() {
    let system = patient_system();
    let log = system.spawn(Props::new(Log::default)).unwrap();
    log.stop();
    bounded("the log to stop", log.terminated()).await;

    assert!(log.try_tell(LogMsg::Append { n: 1 }).is_err());
    assert_eq!(system.dead_letter_count(), 1, "ActorRef::try_tell");
    assert!(log.append(2).try_tell().is_err());
    assert_eq!(system.dead_letter_count(), 2, "Request::try_tell");
    assert!(bounded("ActorRef::tell", log.tell(LogMsg::Append { n: 3 }))
        .await
        .is_err());
    assert!(bounded("Request::tell", log.append(4).tell())
        .await
        .is_err());
    assert!(matches!(
        bounded("ActorRef::ask", log.ask(LogMsg::Append { n: 5 })).await,
        Err(AskError::Closed(LogMsg::Append { n: 5 }))
    ));
    assert!(matches!(
        bounded("a generated ask", log.append(6)).await,
        Err(AskError::Closed(LogMsg::Append { n: 6 }))
    ));
    assert_eq!(system.dead_letter_count(), 6, "the tells and asks");
    system.shutdown().await;
}
