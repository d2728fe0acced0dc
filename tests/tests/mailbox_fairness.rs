//! Senders waiting for space in a full mailbox are served in the order they came, as by
//! tokio's semaphore: a place that frees goes to the oldest waiter, not to a `try_tell`
//! or a later sender that happens to look first, and a waiter that gives up leaves the
//! line, handing on any place it was given.

mod support;

use std::future::IntoFuture;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use actor_core::prelude::*;
use support::{bounded, patient_system, poll_once, Gate};

/// Records the numbers it is sent, in the order it handles them.
#[actor]
#[derive(Default)]
struct Line {
    handled: Vec<u32>,
    hits: u32,
}

#[actor]
impl Line {
    #[message]
    fn push(&mut self, n: u32) {
        self.handled.push(n);
    }

    #[message]
    fn handled(&self) -> Vec<u32> {
        self.handled.clone()
    }

    #[message]
    fn hit(&mut self) {
        self.hits += 1;
    }

    /// Replies with how many hits were handled before it.
    #[message]
    fn hits(&self) -> u32 {
        self.hits
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    /// Asks `helper`, which tells this actor 999 before it answers; records
    /// [`CONSULTED`] if the answer came in time.
    #[message]
    async fn consult(&mut self, helper: ActorRef<Helper>, ctx: &mut Context<Self>) {
        let answered = helper
            .push_then_answer(ctx.actor_ref())
            .timeout(Duration::from_secs(1))
            .await;
        if answered.is_ok() {
            self.handled.push(CONSULTED);
        }
    }
}

/// What `consult` records when the helper answered.
const CONSULTED: u32 = 1000;

/// Sends to the actor that asked it, while that actor waits inside a handler.
#[actor]
struct Helper;

#[actor]
impl Helper {
    #[message]
    async fn push_then_answer(&mut self, line: ActorRef<Line>) {
        line.push(999).tell().await.unwrap();
    }
}

/// An actor with a one-place mailbox, inside `hold` at its first gate, with `hold` at its
/// second gate filling the mailbox: the next message anyone sends has to wait.
async fn full_line(system: &ActorSystem) -> (ActorRef<Line>, GateHeld, GateHeld) {
    let line = system
        .spawn(Props::new(Line::default).mailbox(MailboxConfig::bounded(1)))
        .unwrap();
    let (first, mut first_control) = Gate::new();
    let (second, second_control) = Gate::new();
    line.hold(first).tell().await.unwrap();
    first_control.entered().await;
    line.hold(second).try_tell().unwrap();
    assert!(line.push(0).try_tell().unwrap_err().is_full());
    (line, first_control, second_control)
}

type GateHeld = support::GateControl;

#[tokio::test]
async fn a_freed_place_goes_to_the_waiting_sender_not_to_a_try_tell() {
    let system = patient_system();
    let (line, first, mut second) = full_line(&system).await;
    let mut waiting = pin!(line.push(1).into_future());
    assert!(poll_once(waiting.as_mut()).await.is_pending());

    // The actor takes `hold` out of the mailbox: the place it frees is the waiting ask's,
    // although the ask has not run since.
    first.release();
    second.entered().await;
    assert!(
        line.push(2).try_tell().unwrap_err().is_full(),
        "a try_tell took the place a sender was waiting for"
    );

    second.release();
    bounded("the waiting ask", waiting).await.unwrap();
    assert_eq!(bounded("ask", line.handled()).await.unwrap(), vec![1]);
    system.shutdown().await;
}

#[tokio::test]
async fn waiting_senders_are_served_in_the_order_they_came() {
    let system = patient_system();
    let (line, first, mut second) = full_line(&system).await;
    let mut earlier = pin!(line.push(1).into_future());
    let mut later = pin!(line.push(2).tell());
    assert!(poll_once(earlier.as_mut()).await.is_pending());
    assert!(poll_once(later.as_mut()).await.is_pending());

    first.release();
    second.entered().await;
    // One place freed, and it is the earlier sender's, even if the later one looks first.
    assert!(
        poll_once(later.as_mut()).await.is_pending(),
        "the later sender took the place of the earlier one"
    );
    second.release();
    bounded("the earlier ask", earlier).await.unwrap();
    bounded("the later tell", later).await.unwrap();
    assert_eq!(bounded("ask", line.handled()).await.unwrap(), vec![1, 2]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_sender_that_gives_up_hands_its_place_to_the_next_in_line() {
    let system = patient_system();
    let (line, first, mut second) = full_line(&system).await;
    let mut earlier = Box::pin(line.push(1).tell());
    let mut later = pin!(line.push(2).tell());
    assert!(poll_once(earlier.as_mut()).await.is_pending());
    assert!(poll_once(later.as_mut()).await.is_pending());

    first.release();
    second.entered().await;
    // The freed place was given to `earlier`, which gives up without using it.
    drop(earlier);
    assert!(
        poll_once(later.as_mut()).await.is_ready(),
        "the place of the sender that gave up was not handed on"
    );
    assert!(line.push(3).try_tell().unwrap_err().is_full());
    second.release();
    assert_eq!(bounded("ask", line.handled()).await.unwrap(), vec![2]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_that_timed_out_waiting_for_space_leaves_the_line() {
    let system = patient_system();
    let (line, first, second) = full_line(&system).await;
    let err = line
        .push(1)
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, AskError::MailboxFull(LineMsg::Push { n: 1 })));

    first.release();
    second.release();
    // Were the timed-out ask still in line, every later sender would queue behind it, and
    // no `try_tell` would ever get in.
    assert_eq!(bounded("ask", line.handled()).await.unwrap(), vec![]);
    line.push(2).try_tell().unwrap();
    assert_eq!(bounded("ask", line.handled()).await.unwrap(), vec![2]);
    system.shutdown().await;
}

/// Keeps `try_tell`ing `hit` until `count` got in, yielding whenever the mailbox is full.
async fn hit_until(line: ActorRef<Line>, count: u32, done: Arc<AtomicBool>) {
    let mut sent = 0;
    while sent < count {
        match line.hit().try_tell() {
            Ok(()) => sent += 1,
            Err(err) => {
                assert!(err.is_full(), "the actor stopped under the test");
                tokio::task::yield_now().await;
            }
        }
    }
    done.store(true, Ordering::SeqCst);
}

/// Two tasks `try_tell` as fast as they can into a mailbox of 8 while an ask waits for a
/// place; the ask must not wait for them to run out.
async fn try_tells_do_not_starve_an_ask() -> u32 {
    const CAPACITY: usize = 8;
    const HITS_EACH: u32 = 20_000;
    let system = patient_system();
    let line = system
        .spawn(Props::new(Line::default).mailbox(MailboxConfig::bounded(CAPACITY)))
        .unwrap();
    let (gate, mut control) = Gate::new();
    line.hold(gate).tell().await.unwrap();
    control.entered().await;
    while line.hit().try_tell().is_ok() {}

    let done = [
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    ];
    let spammers = done
        .iter()
        .map(|done| tokio::spawn(hit_until(line.clone(), HITS_EACH, Arc::clone(done))))
        .collect::<Vec<_>>();
    let mut ask = pin!(line.hits().into_future());
    assert!(poll_once(ask.as_mut()).await.is_pending());
    control.release();

    let hits_before = bounded("the ask", ask).await.unwrap();
    assert!(
        done.iter().any(|done| !done.load(Ordering::SeqCst)),
        "the ask got in only once the try_tells stopped ({hits_before} hits before it)"
    );
    for spammer in spammers {
        bounded("a spammer", spammer).await.unwrap();
    }
    system.shutdown().await;
    hits_before
}

#[tokio::test]
async fn try_tells_do_not_starve_an_ask_on_one_thread() {
    let hits_before = try_tells_do_not_starve_an_ask().await;
    // The 8 that filled the mailbox, and at most the 7 places not given to the ask that
    // the spammers fill before the ask's task runs again.
    assert!(hits_before <= 15, "{hits_before} hits went before the ask");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_tells_do_not_starve_an_ask_on_two_threads() {
    try_tells_do_not_starve_an_ask().await;
}

/// Records `(sender, sequence)` pairs.
#[actor(mailbox = 2)]
#[derive(Default)]
struct Ledger {
    entries: Vec<(u32, u32)>,
}

#[actor]
impl Ledger {
    #[message]
    fn record(&mut self, sender: u32, seq: u32) {
        self.entries.push((sender, seq));
    }

    #[message]
    fn entries(&self) -> Vec<(u32, u32)> {
        self.entries.clone()
    }
}

/// Sends `count` records: most are awaited, every third is polled once and given up if it
/// has to wait, and every fifth is try-told. Returns the sequence numbers that got in.
async fn send_and_give_up_some(ledger: ActorRef<Ledger>, sender: u32, count: u32) -> Vec<u32> {
    let mut sent = Vec::new();
    for seq in 0..count {
        let got_in = if seq % 5 == 0 {
            ledger.record(sender, seq).try_tell().is_ok()
        } else if seq % 3 == 0 {
            let mut tell = pin!(ledger.record(sender, seq).tell());
            match poll_once(tell.as_mut()).await {
                std::task::Poll::Ready(result) => result.is_ok(),
                // Dropped while in line: its message must never arrive.
                std::task::Poll::Pending => false,
            }
        } else {
            bounded("a tell", ledger.record(sender, seq).tell())
                .await
                .is_ok()
        };
        if got_in {
            sent.push(seq);
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_that_give_up_lose_no_place_and_deliver_nothing() {
    const SENDERS: u32 = 4;
    const EACH: u32 = 3_000;
    let system = patient_system();
    let ledger = system.spawn(Ledger::default()).unwrap();
    let senders = (0..SENDERS)
        .map(|sender| tokio::spawn(send_and_give_up_some(ledger.clone(), sender, EACH)))
        .collect::<Vec<_>>();
    let mut sent = Vec::new();
    for sender in senders {
        sent.push(bounded("a sender", sender).await.unwrap());
    }
    let entries = bounded("the ask", ledger.entries()).await.unwrap();
    for (sender, sent) in sent.iter().enumerate() {
        let arrived = entries
            .iter()
            .filter(|(from, _)| *from == sender as u32)
            .map(|(_, seq)| *seq)
            .collect::<Vec<_>>();
        // Exactly what the sender saw get in, in its order: nothing given up arrived.
        assert_eq!(&arrived, sent, "sender {sender}");
        assert!(
            sent.len() as u32 >= EACH / 2,
            "sender {sender}: only {} got in",
            sent.len()
        );
    }
    system.shutdown().await;
}

/// An actor with a mailbox of 8, inside `hold` at a first gate, with what `before` sends
/// queued ahead of pushes of 0, 1, ... that fill it: the next message anyone sends has
/// to wait.
async fn full_line_of_eight(
    system: &ActorSystem,
    before: impl FnOnce(&ActorRef<Line>),
) -> (ActorRef<Line>, GateHeld) {
    let line = system
        .spawn(Props::new(Line::default).mailbox(MailboxConfig::bounded(8)))
        .unwrap();
    let (first, mut first_control) = Gate::new();
    line.hold(first).tell().await.unwrap();
    first_control.entered().await;
    before(&line);
    let mut filler = 0;
    while line.push(filler).try_tell().is_ok() {
        filler += 1;
    }
    (line, first_control)
}

/// With time paused, a sender left asleep would end `bounded` at once instead of hanging.
/// A task that tells `line` to push `n` and, the mailbox being full, waits in line.
async fn wait_to_push(line: &ActorRef<Line>, n: u32) -> JoinHandle<Result<(), SendError<LineMsg>>> {
    let waiter = tokio::spawn({
        let line = line.clone();
        async move { line.push(n).tell().await }
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "the sender did not have to wait");
    waiter
}

#[tokio::test(start_paused = true)]
async fn a_place_freed_while_the_actor_is_busy_goes_to_the_line_at_once() {
    let system = patient_system();
    let (second, mut second_control) = Gate::new();
    let (line, first) = full_line_of_eight(&system, |line| {
        line.push(100).try_tell().unwrap();
        line.hold(second).try_tell().unwrap();
    })
    .await;
    let waiter = wait_to_push(&line, 200).await;

    // The actor handles `push` and takes `hold`, then waits inside it: two places are
    // free although most of the mailbox is still full. The sender in line is woken for
    // the first without polling again, and the second is anyone's.
    first.release();
    second_control.entered().await;
    bounded("the sender in line", waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(
        line.push(300).try_tell().is_ok(),
        "the second freed place was held back"
    );
    second_control.release();
    assert_eq!(
        bounded("ask", line.handled()).await.unwrap(),
        vec![100, 0, 1, 2, 3, 4, 5, 200, 300]
    );
    system.shutdown().await;
}

/// A handler that asks someone who sends to its own mailbox finishes while a sender is in
/// line: the places it frees are not held back from either of them.
#[tokio::test(start_paused = true)]
async fn a_handler_waiting_on_a_sender_to_its_own_full_mailbox_is_not_stuck() {
    let system = patient_system();
    let helper = system.spawn(Helper).unwrap();
    let (line, first) = full_line_of_eight(&system, |line| {
        line.push(1).try_tell().unwrap();
        line.push(2).try_tell().unwrap();
        line.consult(helper).try_tell().unwrap();
    })
    .await;
    let waiter = wait_to_push(&line, 4).await;

    // The actor handles two pushes and takes `consult`, freeing three places; the helper
    // must get one of them while the first goes to the waiting sender. With time paused,
    // a deadlock would end the helper's ask by its timeout at once instead of hanging.
    first.release();
    bounded("the waiting sender", waiter)
        .await
        .unwrap()
        .unwrap();
    let handled = bounded("ask", line.handled()).await.unwrap();
    assert!(
        handled.contains(&CONSULTED),
        "the helper's answer never came: {handled:?}"
    );
    assert!(
        handled.contains(&999),
        "the helper's message was lost: {handled:?}"
    );
    system.shutdown().await;
}
