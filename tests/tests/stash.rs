//! The stash: `ctx.stash(msg)` puts the message being handled aside with its reply slot,
//! `ctx.unstash_all()` gives the stash back in front of the mailbox in its order; the
//! stash is bounded; a restart puts it in front of the mailbox for the new instance; a stop
//! makes it dead letters and resolves its asks with `Stopped`.
//!
//! Every test orders its steps by what the actor has certainly received (a reply, a gate
//! it is held at), never by time.

mod support;
#[path = "support/tree.rs"]
mod tree;

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use actor_core::prelude::*;
use actor_core::supervision::{Directive, SupervisorStrategy};
use actor_core::{DeadLetter, SystemEvent};
use support::{bounded, patient_system, poll_once, Events, Gate};
use tokio::sync::broadcast::{self, error::TryRecvError};
use tree::{quiet_panics, PLANNED};

/// A queue that stashes every `push` while it is closed and handles them once it opens:
/// the state-machine pattern at its smallest.
#[actor]
struct Queue {
    open: bool,
    /// Which instance this is, counting restarts: 0 for the first.
    instance: usize,
    log: Events,
}

#[actor]
impl Queue {
    /// Handled while open; stashed while closed. The reply says which instance handled it.
    #[message]
    fn push(&mut self, n: u32, ctx: &mut Context<Self>) -> String {
        if !self.open {
            return match ctx.stash(QueueMsg::Push { n }) {
                // The slot went with the message: nobody ever receives this.
                Ok(()) => "stashed".to_owned(),
                Err(full) => match full.into_inner() {
                    QueueMsg::Push { n } => format!("full {n}"),
                    _ => "full, and another message came back".to_owned(),
                },
            };
        }
        self.log.push(n.to_string());
        format!("{n}@{}", self.instance)
    }

    /// Stashes itself while closed, then panics: the handler fails after the hand-over.
    #[message]
    fn stash_then_panic(&mut self, n: u32, ctx: &mut Context<Self>) -> String {
        if !self.open {
            ctx.stash(QueueMsg::StashThenPanic { n }).unwrap();
            panic!("{PLANNED} after stashing {n}");
        }
        self.log.push(format!("survived {n}"));
        format!("{n}@{}", self.instance)
    }

    #[message]
    fn open(&mut self, ctx: &mut Context<Self>) {
        self.open = true;
        ctx.unstash_all();
    }

    /// Held at `gate` first, so that the test can queue messages behind it.
    #[message]
    async fn open_after(&mut self, gate: Gate, ctx: &mut Context<Self>) {
        gate.pass().await;
        self.open = true;
        ctx.unstash_all();
    }

    #[message]
    fn open_and_stop(&mut self, ctx: &mut Context<Self>) {
        self.open = true;
        ctx.unstash_all();
        ctx.stop();
    }

    #[message]
    fn open_and_stop_now(&mut self, ctx: &mut Context<Self>) {
        self.open = true;
        ctx.unstash_all();
        ctx.stop_now();
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }

    #[message]
    fn set_capacity(&mut self, capacity: usize, ctx: &mut Context<Self>) {
        ctx.set_stash_capacity(capacity);
    }

    /// `(stash_len, stash_capacity, is_stash_full)`.
    #[message]
    fn stash_info(&self, ctx: &mut Context<Self>) -> (usize, usize, bool) {
        (ctx.stash_len(), ctx.stash_capacity(), ctx.is_stash_full())
    }

    #[message]
    fn boom(&mut self) {
        panic!("{PLANNED} queue on fire");
    }
}

fn closed_queue(log: &Events) -> Queue {
    Queue {
        open: false,
        instance: 0,
        log: log.clone(),
    }
}

/// Props of a queue whose first instance is closed and whose restarted ones are open.
fn closed_until_restarted(log: &Events) -> Props<Queue> {
    let log = log.clone();
    let instances = Arc::new(AtomicUsize::new(0));
    Props::new(move || {
        let instance = instances.fetch_add(1, Ordering::SeqCst);
        Queue {
            open: instance > 0,
            instance,
            log: log.clone(),
        }
    })
}

/// The dead letters received so far. A stop publishes them before the actor's status
/// says `Stopped`, so after `terminated()` they are all there.
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

fn names(letters: &[DeadLetter]) -> Vec<&'static str> {
    letters.iter().map(|letter| letter.message).collect()
}

#[tokio::test(start_paused = true)]
async fn unstash_all_replays_in_order_before_what_was_queued_meanwhile() {
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    for n in 1..=3 {
        queue.push(n).tell().await.unwrap();
    }
    let (gate, mut control) = Gate::new();
    queue.open_after(gate).tell().await.unwrap();
    control.entered().await;
    // 4 is in the mailbox before the stash is given back.
    queue.push(4).tell().await.unwrap();
    control.release();
    assert_eq!(bounded("push 5", queue.push(5)).await.unwrap(), "5@0");
    assert_eq!(log.snapshot(), ["1", "2", "3", "4", "5"]);
    assert_eq!(queue.stash_info().await.unwrap().0, 0);
}

/// A queue that handles only as many pushes as it was granted, stashing the rest again
/// while it replays: unstashing in the middle of a replay.
#[actor]
struct Rationed {
    budget: usize,
    /// Stashes this one and then panics, when it has no budget for it after a grant.
    panic_at: Option<u32>,
    granted: bool,
    log: Events,
}

#[actor]
impl Rationed {
    #[message]
    fn push(&mut self, n: u32, ctx: &mut Context<Self>) {
        if self.budget == 0 {
            ctx.stash(RationedMsg::Push { n }).unwrap();
            if self.granted && self.panic_at == Some(n) {
                panic!("{PLANNED} no budget for {n}");
            }
            return;
        }
        self.budget -= 1;
        self.log.push(n.to_string());
    }

    #[message]
    fn grant(&mut self, more: usize, ctx: &mut Context<Self>) -> usize {
        self.budget += more;
        self.granted = true;
        ctx.unstash_all();
        ctx.stash_len()
    }

    /// Unstashes the oldest `count` one by one, in one handler.
    #[message]
    fn grant_one_by_one(&mut self, count: usize, ctx: &mut Context<Self>) -> usize {
        self.budget += count;
        (0..count).filter(|_| ctx.unstash_one()).count()
    }

    #[message]
    fn stash_len(&self, ctx: &mut Context<Self>) -> usize {
        ctx.stash_len()
    }
}

#[tokio::test(start_paused = true)]
async fn a_replay_that_stashes_again_keeps_the_original_order() {
    let system = patient_system();
    let log = Events::default();
    let rationed = system
        .spawn(Rationed {
            budget: 0,
            panic_at: None,
            granted: false,
            log: log.clone(),
        })
        .unwrap();
    for n in 1..=4 {
        rationed.push(n).tell().await.unwrap();
    }
    // Everything is given back at once; 3 and 4 are stashed again during the replay.
    assert_eq!(rationed.grant(2).await.unwrap(), 0);
    assert_eq!(rationed.stash_len().await.unwrap(), 2);
    assert_eq!(log.snapshot(), ["1", "2"]);
    rationed.push(5).tell().await.unwrap();
    assert_eq!(rationed.grant(1).await.unwrap(), 0);
    assert_eq!(log.snapshot(), ["1", "2", "3"]);
    assert_eq!(rationed.stash_len().await.unwrap(), 2);
    // One by one, in one handler: 4 then 5, not 5 then 4.
    assert_eq!(rationed.grant_one_by_one(5).await.unwrap(), 2);
    assert_eq!(rationed.stash_len().await.unwrap(), 0);
    assert_eq!(log.snapshot(), ["1", "2", "3", "4", "5"]);
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_of_a_replay_keeps_the_original_order() {
    quiet_panics();
    let system = patient_system();
    let log = Events::default();
    let factory_log = log.clone();
    let instances = Arc::new(AtomicUsize::new(0));
    // The first instance panics on 3, while 4 is still to be replayed and 2 is stashed
    // again; the next has budget for everything.
    let rationed = system
        .spawn(Props::new(move || {
            let first = instances.fetch_add(1, Ordering::SeqCst) == 0;
            Rationed {
                budget: if first { 0 } else { 100 },
                panic_at: first.then_some(3),
                granted: false,
                log: factory_log.clone(),
            }
        }))
        .unwrap();
    for n in 1..=4 {
        rationed.push(n).tell().await.unwrap();
    }
    rationed.grant(1).tell().await.unwrap();
    rationed.push(5).tell().await.unwrap();
    assert_eq!(
        bounded("the replay", rationed.stash_len()).await.unwrap(),
        0
    );
    assert_eq!(log.snapshot(), ["1", "2", "3", "4", "5"]);
}

#[tokio::test(start_paused = true)]
async fn a_stashed_ask_is_answered_by_the_handler_after_unstash() {
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    let mut second = pin!(queue.push(2).send());
    assert!(poll_once(second.as_mut()).await.is_pending());
    // Both are stashed: the handler returned, and neither ask was answered.
    assert_eq!(queue.stash_info().await.unwrap().0, 2);
    assert!(matches!(poll_once(first.as_mut()).await, Poll::Pending));
    queue.open().tell().await.unwrap();
    assert_eq!(bounded("the first ask", first).await.unwrap(), "1@0");
    assert_eq!(bounded("the second ask", second).await.unwrap(), "2@0");
}

#[tokio::test(start_paused = true)]
async fn a_stashed_ask_whose_asker_gave_up_is_handled_quietly() {
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    {
        let mut gone = pin!(queue.push(1).send());
        assert!(poll_once(gone.as_mut()).await.is_pending());
    }
    queue.open().tell().await.unwrap();
    assert_eq!(queue.push(2).await.unwrap(), "2@0");
    assert_eq!(log.snapshot(), ["1", "2"]);
    assert!(queue.is_alive());
}

#[tokio::test(start_paused = true)]
async fn a_full_stash_hands_the_message_back_and_the_handler_answers() {
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    queue.set_capacity(2).tell().await.unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    let mut second = pin!(queue.push(2).send());
    assert!(poll_once(second.as_mut()).await.is_pending());
    // The third does not fit: the handler gets it back, and its return value answers.
    assert_eq!(bounded("push 3", queue.push(3)).await.unwrap(), "full 3");
    assert_eq!(queue.stash_info().await.unwrap(), (2, 2, true));
    queue.open().tell().await.unwrap();
    assert_eq!(bounded("push 1", first).await.unwrap(), "1@0");
    assert_eq!(bounded("push 2", second).await.unwrap(), "2@0");
    assert_eq!(log.snapshot(), ["1", "2"]);
    assert_eq!(queue.stash_info().await.unwrap(), (0, 2, false));
}

#[tokio::test(start_paused = true)]
async fn a_zero_capacity_refuses_every_stash() {
    let system = patient_system();
    let queue = system.spawn(closed_queue(&Events::default())).unwrap();
    queue.set_capacity(0).tell().await.unwrap();
    assert_eq!(queue.stash_info().await.unwrap(), (0, 0, true));
    assert_eq!(queue.push(1).await.unwrap(), "full 1");
}

#[actor(mailbox = 8)]
struct Small;

#[actor]
impl Small {
    /// `(stash_len, stash_capacity, is_stash_full)`.
    #[message]
    fn stash_info(&self, ctx: &mut Context<Self>) -> (usize, usize, bool) {
        (ctx.stash_len(), ctx.stash_capacity(), ctx.is_stash_full())
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_capacity_is_the_mailbox_capacity() {
    let system = patient_system();
    let small = system.spawn(Small).unwrap();
    assert_eq!(small.stash_info().await.unwrap(), (0, 8, false));
    let wide = system
        .spawn(Props::from_value(Small).mailbox(MailboxConfig::bounded(3)))
        .unwrap();
    assert_eq!(wide.stash_info().await.unwrap(), (0, 3, false));
    let unbounded = system
        .spawn(Props::from_value(Small).mailbox(MailboxConfig::unbounded()))
        .unwrap();
    assert_eq!(
        unbounded.stash_info().await.unwrap(),
        (0, MailboxConfig::DEFAULT_CAPACITY, false)
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_restart_the_new_instance_handles_the_stash_first() {
    quiet_panics();
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_until_restarted(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    queue.push(2).tell().await.unwrap();
    queue.boom().tell().await.unwrap();
    queue.push(3).tell().await.unwrap();
    // Stashed by instance 0, answered by instance 1, before 3 that waited in the mailbox.
    assert_eq!(bounded("the stashed ask", first).await.unwrap(), "1@1");
    assert_eq!(bounded("push 4", queue.push(4)).await.unwrap(), "4@1");
    assert_eq!(log.snapshot(), ["1", "2", "3", "4"]);
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_panics_after_stashing_leaves_its_message_to_the_new_instance() {
    quiet_panics();
    let system = patient_system();
    let log = Events::default();
    let queue = system.spawn(closed_until_restarted(&log)).unwrap();
    queue.push(1).tell().await.unwrap();
    // The slot went into the stash with the message before the panic, so the failure
    // does not answer this ask: the new instance does.
    let answer = bounded(
        "the ask of the handler that panicked",
        queue.stash_then_panic(7),
    )
    .await;
    assert_eq!(answer.unwrap(), "7@1");
    assert_eq!(log.snapshot(), ["1", "survived 7"]);
}

#[tokio::test(start_paused = true)]
async fn an_immediate_stop_makes_the_stash_dead_letters_before_the_queue() {
    let system = patient_system();
    let mut events = system.events();
    let queue = system.spawn(closed_queue(&Events::default())).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    queue.push(2).tell().await.unwrap();
    let (gate, mut control) = Gate::new();
    queue.hold(gate).tell().await.unwrap();
    control.entered().await;
    // Queued behind the held handler: never handled.
    let mut queued = pin!(queue.push(3).send());
    assert!(poll_once(queued.as_mut()).await.is_pending());
    queue.open().tell().await.unwrap();
    let before = system.dead_letter_count();
    queue.stop_now();
    control.release();
    assert_eq!(
        bounded("the stop", queue.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        bounded("the stashed ask", first).await,
        Err(AskError::Stopped)
    ));
    assert!(matches!(
        bounded("the queued ask", queued).await,
        Err(AskError::Stopped)
    ));
    let letters = dead_letters(&mut events);
    assert_eq!(names(&letters), ["Push", "Push", "Push", "Open"]);
    assert!(letters.iter().all(|letter| letter.recipient == queue.id()));
    assert_eq!(system.dead_letter_count() - before, 4);
}

#[tokio::test(start_paused = true)]
async fn a_graceful_stop_stashes_what_it_drains_and_dead_letters_it_all() {
    let system = patient_system();
    let mut events = system.events();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    let (gate, mut control) = Gate::new();
    queue.hold(gate).tell().await.unwrap();
    control.entered().await;
    let mut second = pin!(queue.push(2).send());
    assert!(poll_once(second.as_mut()).await.is_pending());
    queue.stop();
    control.release();
    // 2 is drained, and the closed queue stashes it too.
    assert_eq!(
        bounded("the stop", queue.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        bounded("push 1", first).await,
        Err(AskError::Stopped)
    ));
    assert!(matches!(
        bounded("push 2", second).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(names(&dead_letters(&mut events)), ["Push", "Push"]);
    assert!(log.snapshot().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_graceful_stop_handles_what_was_unstashed_before_it() {
    let system = patient_system();
    let mut events = system.events();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    queue.push(2).tell().await.unwrap();
    queue.open_and_stop().tell().await.unwrap();
    assert_eq!(bounded("push 1", first).await.unwrap(), "1@0");
    assert_eq!(
        bounded("the stop", queue.terminated()).await,
        StopReason::Requested
    );
    assert_eq!(log.snapshot(), ["1", "2"]);
    assert!(dead_letters(&mut events).is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_immediate_stop_during_a_replay_makes_the_rest_dead_letters() {
    let system = patient_system();
    let mut events = system.events();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    queue.push(2).tell().await.unwrap();
    queue.open_and_stop_now().tell().await.unwrap();
    assert_eq!(
        bounded("the stop", queue.terminated()).await,
        StopReason::Requested
    );
    assert!(matches!(
        bounded("push 1", first).await,
        Err(AskError::Stopped)
    ));
    assert_eq!(names(&dead_letters(&mut events)), ["Push", "Push"]);
    assert!(log.snapshot().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_resumed_actor_keeps_its_stash() {
    quiet_panics();
    let system = ActorSystem::builder()
        .ask_timeout(support::LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one().decider(|_| Directive::Resume))
        .build()
        .unwrap();
    let log = Events::default();
    let queue = system.spawn(closed_queue(&log)).unwrap();
    let mut first = pin!(queue.push(1).send());
    assert!(poll_once(first.as_mut()).await.is_pending());
    queue.boom().tell().await.unwrap();
    assert_eq!(queue.stash_info().await.unwrap().0, 1);
    queue.open().tell().await.unwrap();
    assert_eq!(bounded("push 1", first).await.unwrap(), "1@0");
    assert_eq!(log.snapshot(), ["1"]);
}

/// Stashes a message of another variant than the one it handles.
#[actor]
struct Mixer {
    open: bool,
    log: Events,
}

#[actor]
impl Mixer {
    /// While closed, stashes a `Note` instead of itself.
    #[message]
    fn count(&mut self, ctx: &mut Context<Self>) -> u32 {
        if !self.open {
            ctx.stash(MixerMsg::Note {
                text: "from count".to_owned(),
            })
            .unwrap();
        }
        7
    }

    #[message]
    fn note(&mut self, text: String) -> String {
        self.log.push(text.clone());
        text
    }

    #[message]
    fn open(&mut self, ctx: &mut Context<Self>) {
        self.open = true;
        ctx.unstash_all();
    }
}

#[tokio::test(start_paused = true)]
async fn a_stashed_message_of_another_variant_leaves_the_reply_to_the_handler() {
    let system = patient_system();
    let log = Events::default();
    let mixer = system
        .spawn(Mixer {
            open: false,
            log: log.clone(),
        })
        .unwrap();
    // The `Note`'s reply could not answer an ask for `count`: the handler's return does,
    // and the asker neither panics nor waits.
    assert_eq!(bounded("count", mixer.count()).await.unwrap(), 7);
    mixer.open().tell().await.unwrap();
    assert_eq!(mixer.note("after".to_owned()).await.unwrap(), "after");
    assert_eq!(log.snapshot(), ["from count", "after"]);
}

/// Stashes a message of its own making in `started`: no one waits for it.
#[actor]
struct Greeter {
    log: Events,
}

#[actor]
impl Greeter {
    #[started]
    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.stash(GreeterMsg::Greet {
            who: "from started".to_owned(),
        })
        .unwrap();
    }

    #[message]
    fn greet(&mut self, who: String) -> usize {
        self.log.push(who);
        self.log.snapshot().len()
    }

    #[message]
    fn ready(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.unstash_one()
    }
}

#[tokio::test(start_paused = true)]
async fn a_message_stashed_outside_a_handler_is_a_tell() {
    let system = patient_system();
    let log = Events::default();
    let greeter = system.spawn(Greeter { log: log.clone() }).unwrap();
    assert!(greeter.ready().await.unwrap());
    assert!(!greeter.ready().await.unwrap());
    assert_eq!(greeter.greet("ada".to_owned()).await.unwrap(), 2);
    assert_eq!(log.snapshot(), ["from started", "ada"]);
}

#[test]
fn stash_full_is_send_sync_unpin_and_debug_without_a_debug_message() {
    fn assert_traits<T: Send + Sync + Unpin + std::fmt::Debug + std::error::Error>() {}
    assert_traits::<StashFull<QueueMsg>>();
    let full = StashFull(QueueMsg::Push { n: 9 });
    assert_eq!(format!("{full:?}"), "StashFull { .. }");
    assert!(full.to_string().contains("stash is full"));
    assert!(matches!(full.into_inner(), QueueMsg::Push { n: 9 }));
}

/// Stashes its message and unstashes it again, forever: a replay that never ends.
#[actor]
struct Spinner {
    spins: Arc<AtomicUsize>,
    spinning: Option<tokio::sync::oneshot::Sender<()>>,
}

#[actor]
impl Spinner {
    #[message]
    fn spin(&mut self, ctx: &mut Context<Self>) {
        if let Some(spinning) = self.spinning.take() {
            let _ = spinning.send(());
        }
        self.spins.fetch_add(1, Ordering::SeqCst);
        ctx.stash(SpinnerMsg::Spin).unwrap();
        ctx.unstash_all();
    }
}

/// Unstashed messages count against tokio's cooperative budget as mailbox messages do: an
/// actor that replays without end still lets other tasks run, here the one that stops it,
/// on a runtime with one thread. Run on a thread of its own, so that a regression fails
/// the test instead of hanging it.
#[test]
fn an_endless_replay_still_yields_to_other_tasks() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let spins = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&spins);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let system = patient_system();
            let (spinning_tx, spinning_rx) = tokio::sync::oneshot::channel();
            let spinner = system
                .spawn(Spinner {
                    spins: counted,
                    spinning: Some(spinning_tx),
                })
                .unwrap();
            spinner.spin().tell().await.unwrap();
            spinning_rx.await.unwrap();
            spinner.stop_now();
            let reason = spinner.terminated().await;
            let _ = done_tx.send(reason);
        });
    });
    let reason = done_rx
        .recv_timeout(support::LIMIT)
        .expect("the spinning actor never let the task that stops it run");
    assert_eq!(reason, StopReason::Requested);
    assert!(spins.load(Ordering::SeqCst) > 1);
}
