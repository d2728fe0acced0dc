//! Model tests of the mailbox's lock-free handshakes: `loom` runs each model under every
//! interleaving of its threads (within a preemption bound) and the values its loads may
//! see, so a lost wake-up or a lost permit shows as a deadlock (a waiter that no one
//! wakes), a permit counted twice as a wrong count. The rules are in the
//! [module docs](super), with the command that runs these.
//!
//! A thread that waits does so in `loom::future::block_on`, which parks until its waker is
//! woken: if no one wakes it, loom reports the deadlock with the interleaving that led to
//! it.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::lane::{ActorWaker, LaneHost, SignalLane, SignalReceiver};
use super::queue::{channel, Counts, MailboxReceiver, MailboxSender, PermitSlot, Sending};
use super::signal::{SystemSignal, Urgent};
use super::MailboxConfig;
use crate::error::Failure;

/// Runs `model` under loom, with a preemption bound of 3 unless `LOOM_MAX_PREEMPTIONS`
/// says otherwise: deep enough for every race below (each needs at most two preemptions),
/// small enough to finish in seconds.
fn check(model: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(model);
}

/// Sends `value` as a tell does, waiting for a permit if there is none.
fn send(mailbox: &MailboxSender<u32>, value: u32) -> Result<(), u32> {
    let mut sending = Sending::new(mailbox, value);
    block_on(poll_fn(|cx| sending.poll_send(cx)))
}

/// The counts of a mailbox holding `queued` messages, with no one waiting.
fn settled(queued: usize) -> Counts {
    Counts {
        permits_taken: queued,
        waiting: 0,
        assigned: 0,
        has_waiters: false,
    }
}

/// Takes every queued message, checking that each frees its permit.
fn drain(receiver: &mut MailboxReceiver<Arc<MailboxSender<u32>>>) -> Vec<u32> {
    let received: Vec<u32> = std::iter::from_fn(|| receiver.try_recv()).collect();
    assert_eq!(receiver.counts(), settled(0));
    received
}

/// M3: the one sender that finds a mailbox of one full joins the line while the actor
/// takes the queued message: whichever order the flag and the count are written and read
/// in, the sender takes the freed permit or is granted it, and is served.
#[test]
fn m3_a_sender_joining_the_line_gets_the_permit_freed_meanwhile() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        assert!(mailbox.try_send(0).is_ok());
        let sender = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || send(&mailbox, 1))
        };

        assert_eq!(receiver.try_recv(), Some(0));

        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(receiver.counts(), settled(1));
        assert_eq!(drain(&mut receiver), [1]);
    });
}

/// M5: a waiter gives up while the actor frees a permit, which may be granted to it; the
/// permit goes on to the waiter behind it (which is served), or back, and no permit is
/// lost or counted twice.
#[test]
fn m5_a_waiter_giving_up_while_granted_passes_its_permit_on() {
    check(|| {
        let (mailbox, receiver) = channel::<u32>(MailboxConfig::bounded(1));
        assert!(mailbox.try_send(0).is_ok());
        let mut giving_up = Sending::new(&*mailbox, 1);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(giving_up.poll_send(&mut cx).is_pending());

        let actor = thread::spawn(move || {
            let mut receiver = receiver;
            let first = receiver.try_recv();
            (receiver, first)
        });
        let behind = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || send(&mailbox, 2))
        };
        drop(giving_up);

        let (mut receiver, first) = actor.join().unwrap();
        assert_eq!(first, Some(0));
        assert_eq!(behind.join().unwrap(), Ok(()));
        assert_eq!(receiver.counts(), settled(1));
        assert_eq!(drain(&mut receiver), [2]);
    });
}

/// M5, with no one behind: the permit granted to the waiter that gives up goes back, so
/// the next sender finds it free.
#[test]
fn m5_a_waiter_giving_up_alone_gives_its_permit_back() {
    check(|| {
        let (mailbox, receiver) = channel::<u32>(MailboxConfig::bounded(1));
        assert!(mailbox.try_send(0).is_ok());
        let mut giving_up = Sending::new(&mailbox, 1);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(giving_up.poll_send(&mut cx).is_pending());

        let actor = thread::spawn(move || {
            let mut receiver = receiver;
            let first = receiver.try_recv();
            (receiver, first)
        });
        drop(giving_up);

        let (mut receiver, first) = actor.join().unwrap();
        assert_eq!(first, Some(0));
        assert_eq!(receiver.counts(), settled(0));
        assert!(mailbox.try_send(2).is_ok());
        assert_eq!(drain(&mut receiver), [2]);
    });
}

/// M3, for a reservation (a typed adapter's send): the one that finds a mailbox of one
/// full joins the line while the actor takes the queued message; it takes the freed permit
/// or is granted it, and the message it then builds goes in under that permit.
#[test]
fn m3_a_reservation_joining_the_line_gets_the_permit_freed_meanwhile() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        assert!(mailbox.try_send(0).is_ok());
        let sender = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                let mut slot = PermitSlot::default();
                block_on(poll_fn(|cx| slot.poll_reserve(&mailbox, cx))).unwrap();
                slot.send(&mailbox, 1)
            })
        };

        assert_eq!(receiver.try_recv(), Some(0));

        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(receiver.counts(), settled(1));
        assert_eq!(drain(&mut receiver), [1]);
    });
}

/// M5, for a reservation: one that holds the only permit gives it back unused while a
/// sender joins the line behind it; whichever comes first, the sender is served (taking
/// the permit given back, or granted it), and no permit is lost or counted twice.
#[test]
fn m5_a_reservation_given_back_passes_its_permit_on() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        let mut reserved = PermitSlot::default();
        assert!(reserved.try_reserve(&*mailbox).is_ok());

        let behind = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || send(&mailbox, 2))
        };
        reserved.leave(&*mailbox);

        assert_eq!(behind.join().unwrap(), Ok(()));
        assert_eq!(receiver.counts(), settled(1));
        assert_eq!(drain(&mut receiver), [2]);
    });
}

/// M4: a mailbox of three, full; the actor takes one message, which leaves more than half
/// of it taken, so it holds the permit back, then its task stops running and releases what
/// it holds: the sender that joined the line meanwhile is served either way.
#[test]
fn m4_permits_held_back_go_to_the_line_when_the_task_stops_running() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::bounded(3));
        for msg in 0..3 {
            assert!(mailbox.try_send(msg).is_ok());
        }
        let held = receiver.held_permits();
        let sender = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || send(&mailbox, 3))
        };

        assert_eq!(receiver.try_recv(), Some(0));
        held.release();

        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(receiver.counts(), settled(3));
        assert_eq!(drain(&mut receiver), [1, 2, 3]);
    });
}

/// A waker that counts its wakes, in a loom atomic so that loom sees them.
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// M7: a send races the actor finding its (bounded) mailbox empty and registering its
/// waker: the actor is woken (it receives the message).
#[test]
fn m7_a_send_racing_the_actors_registration_wakes_it() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::bounded(1));
        let sender = thread::spawn(move || mailbox.try_send(1).is_ok());

        let received = block_on(poll_fn(|cx| receiver.poll_recv(cx)));

        assert_eq!(received, Some(1));
        assert!(sender.join().unwrap());
    });
}

/// M7: two sends race one poll of the actor on its empty (unbounded) mailbox: if the poll
/// registered its waker, the first message after it wakes the actor and the second finds
/// it awake (one wake, none lost, none wasted); if it took a message, no one woke it.
#[test]
fn m7_an_idle_actor_is_woken_once_by_the_first_message() {
    check(|| {
        let (mailbox, mut receiver) = channel::<u32>(MailboxConfig::unbounded());
        let sender = thread::spawn(move || {
            assert!(mailbox.try_send(1).is_ok());
            assert!(mailbox.try_send(2).is_ok());
        });
        let waker = Arc::new(CountingWaker::default());
        let polled = receiver.poll_recv(&mut Context::from_waker(&Waker::from(Arc::clone(&waker))));
        sender.join().unwrap();

        let wakes = waker.wakes.load(Ordering::SeqCst);
        match polled {
            Poll::Pending => assert_eq!(wakes, 1),
            Poll::Ready(first) => {
                assert_eq!(first, Some(1));
                assert_eq!(wakes, 0);
            }
        }
        let rest: Vec<u32> = std::iter::from_fn(|| receiver.try_recv()).collect();
        let expected: &[u32] = if polled.is_pending() { &[1, 2] } else { &[2] };
        assert_eq!(rest, expected);
    });
}

/// What an actor's cell holds of its lane and mailbox: the lane wakes the actor through
/// the mailbox, as in a spawned actor.
struct Host {
    lane: SignalLane,
    mailbox: Arc<MailboxSender<u32>>,
}

impl LaneHost for Host {
    fn lane(&self) -> &SignalLane {
        &self.lane
    }

    fn waker(&self) -> &dyn ActorWaker {
        &*self.mailbox
    }
}

impl Host {
    fn send(&self, signal: SystemSignal) -> Result<(), SystemSignal> {
        self.lane.send(signal, &*self.mailbox)
    }

    fn fail(&self, failure: Failure) -> Result<(), Failure> {
        self.lane.fail(failure, &*self.mailbox)
    }

    fn flags(&self) -> (bool, bool) {
        self.lane.flags()
    }
}

/// An actor's system lane waking it through its mailbox, as a spawn sets them up; the
/// mailbox's receiver is kept, as dropping it closes the mailbox.
fn lane() -> (
    Arc<Host>,
    SignalReceiver<Arc<Host>>,
    MailboxReceiver<Arc<MailboxSender<u32>>>,
) {
    let (mailbox, receiver) = channel::<u32>(MailboxConfig::bounded(1));
    let host = Arc::new(Host {
        lane: SignalLane::new(),
        mailbox,
    });
    let signals = SignalReceiver::new(Arc::clone(&host));
    (host, signals, receiver)
}

/// Runs `act` on the lane from a thread of the model, and returns whether the lane took it.
fn on_thread<T: Send + 'static>(
    lane: &Arc<Host>,
    act: impl FnOnce(&Host) -> Result<(), T> + Send + 'static,
) -> thread::JoinHandle<bool> {
    let lane = Arc::clone(lane);
    thread::spawn(move || act(&lane).is_ok())
}

/// L1, L2: a signal sent while the actor looks at its lane, finds it empty and registers
/// its waker: the actor gets the signal, and the lane's flags settle clear.
#[test]
fn l1_l2_a_signal_racing_the_actors_registration_wakes_it() {
    check(|| {
        let (lane, mut signals, _mailbox) = lane();
        let sender = on_thread(&lane, |lane| lane.send(SystemSignal::Resume));

        let signal = block_on(poll_fn(|cx| signals.poll_recv(cx)));

        assert!(matches!(signal, SystemSignal::Resume), "{signal:?}");
        assert!(sender.join().unwrap());
        assert_eq!(lane.flags(), (false, false));
        assert!(signals.try_recv().is_none());
    });
}

/// L3: a failure sent while a handler waits at an await point and registers for urgent
/// signals: the handler is woken and cancelled, the failure is taken, and the flags settle
/// clear.
#[test]
fn l3_a_failure_racing_a_waiting_handler_interrupts_it() {
    check(|| {
        let (lane, mut signals, _mailbox) = lane();
        let failing = on_thread(&lane, |lane| lane.fail(Failure::error("boom")));

        block_on(poll_fn(|cx| {
            if signals.poll_urgent(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));

        assert!(failing.join().unwrap());
        assert!(matches!(signals.take_urgent(), Some(Urgent::Failed(_))));
        assert_eq!(lane.flags(), (false, false));
        assert!(signals.try_recv().is_none());
    });
}

/// L1, L3: a failure and a plain signal sent from two threads while the actor takes
/// signals as they come: it gets both, whatever the order, and the flags settle clear only
/// once both are taken (a take between the two sends must leave them right for the other).
#[test]
fn l1_l3_a_failure_and_a_signal_racing_the_message_loop_are_both_taken() {
    check(|| {
        let (lane, mut signals, _mailbox) = lane();
        let failing = on_thread(&lane, |lane| lane.fail(Failure::error("boom")));
        let sending = on_thread(&lane, |lane| lane.send(SystemSignal::Resume));

        let mut failed = 0;
        let mut resumed = 0;
        for _ in 0..2 {
            match block_on(poll_fn(|cx| signals.poll_recv(cx))) {
                SystemSignal::Failed(_) => failed += 1,
                SystemSignal::Resume => resumed += 1,
                other => panic!("unexpected {other:?}"),
            }
        }

        assert!(failing.join().unwrap());
        assert!(sending.join().unwrap());
        assert_eq!((failed, resumed), (1, 1));
        assert_eq!(lane.flags(), (false, false));
        assert!(signals.try_recv().is_none());
    });
}
