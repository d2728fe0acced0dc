//! Typed topics and typed adapters: a `Recipient<T>` maps a `T` to one of its actor's
//! messages and hands the `T` back when it is refused; a `Topic<T>` publishes to every
//! subscriber, in order, removes those that stopped, and either waits for a full
//! subscriber (`publish`) or drops to dead letters (`try_publish`).
//!
//! The allocations per tell through a recipient are counted in `pubsub_allocations.rs`,
//! a test binary of its own so that nothing else allocates while it counts.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actor_core::prelude::*;
use actor_core::{Published, SystemEvent, Topic, TopicError};
use support::{bounded, patient_system, poll_once, Gate, GateControl};

#[actor]
#[derive(Default)]
struct Inbox {
    got: Vec<u64>,
}

#[actor]
impl Inbox {
    #[message]
    fn value(&mut self, v: u64) {
        assert!(v != POISON, "poisoned");
        self.got.push(v);
    }

    #[message]
    fn got(&self) -> Vec<u64> {
        self.got.clone()
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.pass().await;
    }
}

/// Another actor type, with a message of another shape, to show the erasure.
#[actor]
#[derive(Default)]
struct Sum {
    total: u64,
}

#[actor]
impl Sum {
    #[message]
    fn add(&mut self, n: u64, label: &'static str) {
        let _ = label;
        self.total += n;
    }

    #[message]
    fn total(&self) -> u64 {
        self.total
    }
}

/// The value an `Inbox` fails on.
const POISON: u64 = 666;

fn inbox(system: &ActorSystem) -> ActorRef<Inbox> {
    system.spawn(Inbox::default()).unwrap()
}

fn small_inbox(system: &ActorSystem, capacity: usize) -> ActorRef<Inbox> {
    system
        .spawn(Props::new(Inbox::default).mailbox(MailboxConfig::bounded(capacity)))
        .unwrap()
}

fn to(inbox: &ActorRef<Inbox>) -> Recipient<u64> {
    inbox.recipient(|v| InboxMsg::Value { v })
}

/// Holds `inbox` in a handler and fills its mailbox of one with `filler`: from then on a
/// send to it waits (or, untried, is refused as full) until the gate is released.
async fn hold_full(inbox: &ActorRef<Inbox>, filler: u64) -> GateControl {
    let (gate, mut control) = Gate::new();
    inbox.hold(gate).tell().await.unwrap();
    control.entered().await;
    inbox.value(filler).try_tell().unwrap();
    assert!(inbox.value(0).try_tell().unwrap_err().is_full());
    control
}

#[tokio::test]
async fn publish_reaches_every_subscriber_in_order() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let inboxes: Vec<_> = (0..3).map(|_| inbox(&system)).collect();
    for inbox in &inboxes {
        topic.subscribe(to(inbox));
    }
    assert_eq!(topic.subscriber_count(), 3);
    for v in 1..=50 {
        let published = topic.publish(v).await;
        assert_eq!(published.delivered, 3);
    }
    for v in 51..=60 {
        assert_eq!(topic.try_publish(v).delivered, 3);
    }
    let expected: Vec<u64> = (1..=60).collect();
    for inbox in &inboxes {
        assert_eq!(bounded("got", inbox.got()).await.unwrap(), expected);
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_topic_with_no_subscribers_publishes_to_no_one() {
    let topic = Topic::<String>::new();
    assert_eq!(
        topic.publish("nobody".to_owned()).await,
        Published::default()
    );
    assert_eq!(topic.try_publish("nobody".to_owned()), Published::default());
    assert_eq!(topic.subscriber_count(), 0);
}

#[tokio::test]
async fn unsubscribe_ends_delivery_to_that_subscription_only() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let (a, b) = (inbox(&system), inbox(&system));
    let from_a = topic.subscribe(to(&a));
    topic.subscribe(to(&b));
    // The same actor twice: two subscriptions, each delivered.
    topic.subscribe(to(&b));
    topic.publish(1).await;

    assert!(topic.unsubscribe(from_a));
    assert!(!topic.unsubscribe(from_a), "already gone");
    topic.publish(2).await;
    assert_eq!(topic.unsubscribe_actor(b.id()), 2);
    assert_eq!(topic.subscriber_count(), 0);
    topic.publish(3).await;

    assert_eq!(a.got().await.unwrap(), [1]);
    assert_eq!(b.got().await.unwrap(), [1, 1, 2, 2]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_stopped_subscriber_is_removed() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let (a, b, c) = (inbox(&system), inbox(&system), inbox(&system));
    for inbox in [&a, &b, &c] {
        topic.subscribe(to(inbox));
    }
    b.stop();
    bounded("b stops", b.terminated()).await;
    // The count sees it at once.
    assert_eq!(topic.subscriber_count(), 2);

    c.stop();
    bounded("c stops", c.terminated()).await;
    // So does a publish, which removes it exactly: only c, once.
    let published = topic.publish(1).await;
    assert_eq!((published.delivered, published.stopped), (1, 1));
    assert_eq!(topic.publish(2).await.stopped, 0);
    assert_eq!(topic.subscriber_count(), 1);
    assert_eq!(a.got().await.unwrap(), [1, 2]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_subscriber_that_stops_mid_publish_does_not_fail_it() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let slow = small_inbox(&system, 1);
    let after = inbox(&system);
    topic.subscribe(to(&slow));
    topic.subscribe(to(&after));
    let control = hold_full(&slow, 100).await;

    let mut publish = pin!(topic.publish(7));
    assert!(
        poll_once(publish.as_mut()).await.is_pending(),
        "waits for slow"
    );
    // The subscriber stops while the publish waits for room in its mailbox.
    slow.stop_now();
    let published = bounded("the publish", publish).await;
    assert_eq!(
        (published.delivered, published.stopped, published.dropped),
        (1, 1, 0)
    );
    assert_eq!(after.got().await.unwrap(), [7]);
    assert_eq!(topic.subscriber_count(), 1);
    drop(control);
    system.shutdown().await;
}

#[tokio::test]
async fn publish_waits_for_a_full_subscriber_in_turn() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let slow = small_inbox(&system, 1);
    let after = inbox(&system);
    topic.subscribe(to(&slow));
    topic.subscribe(to(&after));
    let control = hold_full(&slow, 100).await;

    let mut publish = pin!(topic.publish(7));
    assert!(poll_once(publish.as_mut()).await.is_pending());
    // Backpressure, in order: the subscriber after the full one has not got it yet.
    assert_eq!(after.got().await.unwrap(), Vec::<u64>::new());
    assert!(poll_once(publish.as_mut()).await.is_pending());

    control.release();
    let published = bounded("the publish", publish).await;
    assert_eq!(published.delivered, 2);
    assert_eq!(slow.got().await.unwrap(), [100, 7]);
    assert_eq!(after.got().await.unwrap(), [7]);
    system.shutdown().await;
}

#[tokio::test]
async fn try_publish_drops_to_dead_letters_on_a_full_subscriber() {
    let system = patient_system();
    let mut events = system.events();
    let topic = Topic::<u64>::new();
    let slow = small_inbox(&system, 1);
    let after = inbox(&system);
    topic.subscribe(to(&slow));
    topic.subscribe(to(&after));
    let control = hold_full(&slow, 100).await;
    let before = system.dead_letter_count();

    let published = topic.try_publish(7);
    assert_eq!(
        (published.delivered, published.dropped, published.stopped),
        (1, 1, 0)
    );
    assert_eq!(system.dead_letter_count(), before + 1);
    let dead: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|event| match event {
            SystemEvent::DeadLetter(letter) => Some(letter),
            _ => None,
        })
        .collect();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].recipient, dead[0].message), (slow.id(), "u64"));
    // A full subscriber stays subscribed.
    assert_eq!(topic.subscriber_count(), 2);

    control.release();
    assert_eq!(slow.got().await.unwrap(), [100]);
    assert_eq!(after.got().await.unwrap(), [7]);
    system.shutdown().await;
}

#[tokio::test]
async fn the_adapter_maps_and_hands_back_on_a_stopped_actor() {
    let system = patient_system();
    let sum = system.spawn(Sum::default()).unwrap();
    let mapped = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&mapped);
    let recipient: Recipient<u64> = sum.recipient(move |n| {
        counted.fetch_add(1, Ordering::SeqCst);
        SumMsg::Add {
            n,
            label: "adapter",
        }
    });
    assert_eq!(recipient.id(), sum.id());
    assert!(recipient.is_alive() && recipient.keeps_alive());
    recipient.tell(2).await.unwrap();
    recipient.try_tell(3).unwrap();
    assert_eq!(sum.total().await.unwrap(), 5);

    sum.stop();
    assert_eq!(
        bounded("terminated", recipient.terminated()).await,
        StopReason::Requested
    );
    assert!(!recipient.is_alive());
    let before = system.dead_letter_count();
    assert_eq!(recipient.tell(5).await.unwrap_err().into_inner(), 5);
    match recipient.try_tell(6) {
        Err(TrySendError::Closed(6)) => {}
        other => panic!("expected Closed(6), got {other:?}"),
    }
    assert_eq!(system.dead_letter_count(), before + 2);
    // The refused values were handed back unmapped.
    assert_eq!(mapped.load(Ordering::SeqCst), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn the_adapter_hands_back_unmapped_on_a_full_mailbox_and_keeps_the_line() {
    let system = patient_system();
    let slow = small_inbox(&system, 1);
    let mapped = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&mapped);
    let recipient = slow.recipient(move |v| {
        counted.fetch_add(1, Ordering::SeqCst);
        InboxMsg::Value { v }
    });
    let control = hold_full(&slow, 100).await;
    match recipient.try_tell(7) {
        Err(TrySendError::Full(7)) => {}
        other => panic!("expected Full(7), got {other:?}"),
    }
    // A waiting tell through the recipient takes its turn in the mailbox's line: a plain
    // try_tell does not overtake it once room is freed.
    let mut waiting = pin!(recipient.tell(8));
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    assert_eq!(
        mapped.load(Ordering::SeqCst),
        0,
        "nothing mapped while full"
    );
    control.release();
    bounded("the waiting tell", waiting).await.unwrap();
    assert_eq!(slow.got().await.unwrap(), [100, 8]);
    assert_eq!(mapped.load(Ordering::SeqCst), 1);
    system.shutdown().await;
}

#[tokio::test]
async fn a_dropped_tell_gives_its_place_to_the_next_sender() {
    let system = patient_system();
    let slow = small_inbox(&system, 1);
    let recipient = to(&slow);
    let control = hold_full(&slow, 100).await;
    {
        let mut waiting = pin!(recipient.tell(1));
        assert!(poll_once(waiting.as_mut()).await.is_pending());
        // Cancelled while it waits in line.
    }
    let mut next = pin!(recipient.tell(2));
    assert!(poll_once(next.as_mut()).await.is_pending());
    control.release();
    bounded("the next tell", next).await.unwrap();
    assert_eq!(slow.got().await.unwrap(), [100, 2]);
    // No permit was lost: the mailbox of one takes a message again.
    recipient.try_tell(3).unwrap();
    assert_eq!(slow.got().await.unwrap(), [100, 2, 3]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_panicking_adapter_closure_panics_the_sender_and_loses_no_room() {
    let system = patient_system();
    let one = small_inbox(&system, 1);
    let recipient = one.recipient(|v: u64| {
        assert!(v != 13, "unlucky");
        InboxMsg::Value { v }
    });
    let topic = Topic::<u64>::new();
    topic.subscribe(recipient.clone());

    assert!(catch_unwind(AssertUnwindSafe(|| recipient.try_tell(13))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| topic.try_publish(13))).is_err());
    let spawned = tokio::spawn(recipient.tell(13));
    assert!(bounded("the panicking tell", spawned).await.is_err());
    let published = tokio::spawn({
        let topic = topic.clone();
        async move { topic.publish(13).await }
    });
    assert!(bounded("the panicking publish", published).await.is_err());

    // The room of the mailbox of one was given back each time, and the topic still works.
    recipient.try_tell(1).unwrap();
    assert_eq!(one.got().await.unwrap(), [1]);
    assert_eq!(topic.try_publish(2).delivered, 1);
    assert_eq!(one.got().await.unwrap(), [1, 2]);
    system.shutdown().await;
}

#[tokio::test]
async fn a_mailbox_closed_while_the_adapter_maps_makes_a_dead_letter() {
    let system = patient_system();
    let victim = inbox(&system);
    let stopper = victim.downgrade();
    // The closure stops the actor: its mailbox closes between the room being reserved
    // and the message going in.
    let recipient = victim.recipient(move |v| {
        if let Some(victim) = stopper.upgrade() {
            victim.stop();
        }
        InboxMsg::Value { v }
    });
    let before = system.dead_letter_count();
    // The value was consumed by the closure, so the send reports it accepted.
    recipient.tell(1).await.unwrap();
    assert_eq!(system.dead_letter_count(), before + 1);
    assert_eq!(
        bounded("the victim stops", victim.terminated()).await,
        StopReason::Requested
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_weak_recipient_does_not_keep_its_actor_alive() {
    let system = patient_system();
    let kept = inbox(&system);
    let strong = to(&kept);
    let weak_of_kept = kept.downgrade().recipient(|v| InboxMsg::Value { v });
    assert!(!weak_of_kept.keeps_alive());
    drop(kept);
    // The strong recipient keeps it: it still takes messages, also through the weak one.
    strong.tell(1).await.unwrap();
    weak_of_kept.tell(2).await.unwrap();

    let loose = inbox(&system);
    let weak = loose.downgrade().recipient(|v| InboxMsg::Value { v });
    weak.tell(1).await.unwrap();
    drop(loose);
    assert_eq!(
        bounded("the unreferenced actor stops", weak.terminated()).await,
        StopReason::RefsDropped
    );
    assert_eq!(weak.tell(2).await.unwrap_err().into_inner(), 2);
    drop(strong);
    system.shutdown().await;
}

/// A component that needs "something that accepts a `u64`" and knows nothing else: it
/// takes readings and forwards those above a threshold.
struct Alarm {
    threshold: u64,
    out: Vec<Recipient<u64>>,
}

impl Alarm {
    async fn reading(&self, value: u64) -> Result<(), SendError<u64>> {
        if value > self.threshold {
            for out in &self.out {
                out.tell(value).await?;
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_component_that_knows_only_recipient_serves_any_actor() {
    let system = patient_system();
    let log = inbox(&system);
    let sum = system.spawn(Sum::default()).unwrap();
    let alarm = Alarm {
        threshold: 10,
        out: vec![
            to(&log),
            sum.recipient(|n| SumMsg::Add { n, label: "alarm" }),
        ],
    };
    for value in [5, 11, 9, 20] {
        alarm.reading(value).await.unwrap();
    }
    assert_eq!(log.got().await.unwrap(), [11, 20]);
    assert_eq!(sum.total().await.unwrap(), 31);
    // The recipients go where a `'static`, `Send` value goes.
    let spawned = tokio::spawn(async move { alarm.reading(30).await });
    bounded("the spawned alarm", spawned)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sum.total().await.unwrap(), 61);
    system.shutdown().await;
}

#[tokio::test]
async fn the_system_finds_a_topic_by_name_and_checks_its_type() {
    let system = patient_system();
    let a = inbox(&system);
    let prices = system.topic::<u64>("prices").unwrap();
    prices.subscribe(to(&a));
    // Another part of the program, the same name and type: the same topic.
    let again = system.topic::<u64>("prices").unwrap();
    assert_eq!(again.name(), Some("prices"));
    assert_eq!(again.subscriber_count(), 1);
    again.publish(42).await;
    assert_eq!(a.got().await.unwrap(), [42]);

    match system.topic::<String>("prices") {
        Err(TopicError::WrongType {
            name,
            expected,
            found,
        }) => {
            assert_eq!(name, "prices");
            assert!(expected.contains("String"), "{expected}");
            assert_eq!(found, "u64");
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert_eq!(
        system.topic::<u64>("").unwrap_err(),
        TopicError::InvalidName
    );
    // Another system has topics of its own.
    let other = patient_system();
    assert_eq!(other.topic::<u64>("prices").unwrap().subscriber_count(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn an_actor_subscribes_itself_through_a_weak_adapter() {
    #[actor]
    #[derive(Default)]
    struct Listener {
        got: Vec<u64>,
    }

    #[actor]
    impl Listener {
        #[message]
        fn join(&mut self, topic: Topic<u64>, ctx: &mut Context<Self>) {
            topic.subscribe(ctx.weak_ref().recipient(|v| ListenerMsg::Heard { v }));
        }

        #[message]
        fn heard(&mut self, v: u64) {
            self.got.push(v);
        }

        #[message]
        fn got(&self) -> Vec<u64> {
            self.got.clone()
        }
    }

    let system = patient_system();
    let topic = Topic::<u64>::new();
    let listener = system.spawn(Listener::default()).unwrap();
    listener.join(topic.clone()).await.unwrap();
    topic.publish(1).await;
    assert_eq!(listener.got().await.unwrap(), [1]);
    // The subscription does not keep the listener alive: dropping its last ref stops it,
    // and the topic forgets it.
    let weak = listener.downgrade();
    drop(listener);
    bounded("the listener stops", weak.terminated()).await;
    assert_eq!(topic.subscriber_count(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn a_subscriber_restarted_after_a_failure_stays_subscribed() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    // Spawned from a factory, so the guardian's default restart re-creates it.
    let flaky = system.spawn(Props::new(Inbox::default)).unwrap();
    // Another actor type, which takes the poison as any number.
    let steady = system.spawn(Sum::default()).unwrap();
    topic.subscribe(to(&flaky));
    topic.subscribe(steady.recipient(|n| SumMsg::Add { n, label: "steady" }));
    let mut events = system.events();

    topic.publish(1).await;
    // The flaky subscriber fails on this one and is restarted with its mailbox kept.
    assert_eq!(topic.publish(POISON).await.delivered, 2);
    assert_eq!(topic.publish(2).await.delivered, 2);
    assert_eq!(
        flaky.got().await.unwrap(),
        [2],
        "a new instance, still subscribed"
    );
    assert!(std::iter::from_fn(|| events.try_recv().ok())
        .any(|event| matches!(event, SystemEvent::Restarted { actor, .. } if actor == flaky.id())));
    assert_eq!(topic.subscriber_count(), 2);
    assert_eq!(steady.total().await.unwrap(), 1 + POISON + 2);
    system.shutdown().await;
}

#[tokio::test]
async fn a_publish_after_shutdown_finds_every_subscriber_stopped() {
    let system = patient_system();
    let topic = Topic::<u64>::new();
    let subscribers: Vec<_> = (0..3).map(|_| inbox(&system)).collect();
    for subscriber in &subscribers {
        topic.subscribe(to(subscriber));
    }
    system.shutdown().await;
    let published = topic.publish(1).await;
    assert_eq!((published.delivered, published.stopped), (0, 3));
    assert_eq!(topic.subscriber_count(), 0);
    assert_eq!(topic.try_publish(2), Published::default());
}

/// Publishers, a churning subscriber and small mailboxes on two worker threads: every
/// steady subscriber gets every value once, each publisher's in order, and the topic ends
/// with exactly the subscriptions that were not removed.
#[test]
fn concurrent_publishers_and_subscribers_lose_nothing_and_keep_order() {
    const PUBLISHERS: u64 = 4;
    const EACH: u64 = 300;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let system = patient_system();
        let topic = Topic::<u64>::new();
        let steady: Vec<_> = (0..3).map(|_| small_inbox(&system, 4)).collect();
        for subscriber in &steady {
            topic.subscribe(to(subscriber));
        }
        let churn = {
            let topic = topic.clone();
            let system = system.clone();
            tokio::spawn(async move {
                for round in 0..100 {
                    let passing = small_inbox(&system, 2);
                    let id = topic.subscribe(to(&passing));
                    tokio::task::yield_now().await;
                    if round % 2 == 0 {
                        assert!(topic.unsubscribe(id));
                    } else {
                        passing.stop();
                        passing.terminated().await;
                    }
                }
            })
        };
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|publisher| {
                let topic = topic.clone();
                tokio::spawn(async move {
                    for seq in 0..EACH {
                        let value = publisher << 32 | seq;
                        topic.publish(value).await;
                    }
                })
            })
            .collect();
        for publisher in publishers {
            bounded("a publisher", publisher).await.unwrap();
        }
        bounded("the churn", churn).await.unwrap();

        for subscriber in &steady {
            let got = bounded("got", subscriber.got()).await.unwrap();
            assert_eq!(got.len() as u64, PUBLISHERS * EACH);
            for publisher in 0..PUBLISHERS {
                let mine: Vec<u64> = got
                    .iter()
                    .filter(|value| *value >> 32 == publisher)
                    .map(|value| value & 0xffff_ffff)
                    .collect();
                assert_eq!(mine, (0..EACH).collect::<Vec<_>>(), "publisher {publisher}");
            }
        }
        assert_eq!(topic.subscriber_count(), 3);
        system.shutdown().await;
    });
}

/// The new public types are `Send`, `Sync` and `'static` where a user would move them
/// into a task, checked at compile time (as `send_sync.rs` does for the rest).
const _: fn() = || {
    fn send_sync_static<T: Send + Sync + 'static>() {}
    fn send_unpin_static<T: Send + Unpin + 'static>() {}
    struct NotSync(#[allow(dead_code)] std::cell::Cell<u8>);
    send_sync_static::<Recipient<u64>>();
    // A recipient of values that are only `Send` is still shareable.
    send_sync_static::<Recipient<NotSync>>();
    send_unpin_static::<actor_core::RecipientTell<NotSync>>();
    send_sync_static::<Topic<u64>>();
    send_sync_static::<actor_core::SubscriptionId>();
    send_sync_static::<Published>();
    send_sync_static::<TopicError>();
    fn publish_is_send(topic: &Topic<u64>) -> impl std::future::Future + Send + '_ {
        topic.publish(1)
    }
    let _ = publish_is_send;
};
