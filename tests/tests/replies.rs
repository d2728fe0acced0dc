//! Replies that come later (a handler keeps its `ReplyTo`), forwards, and requests that own
//! their ref (spawned, stored, joined).

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::Request;

/// Keeps the reply slots of `get`s until a `put` answers them all, as a cache that waits for
/// a value would.
#[actor]
pub struct Waiter {
    waiting: Vec<ReplyTo<u64>>,
    handled: u32,
}

#[actor]
impl Waiter {
    /// Answers later: the caller's request still resolves with a `u64`.
    #[message]
    fn get(&mut self, reply: ReplyTo<u64>) {
        self.handled += 1;
        self.waiting.push(reply);
    }

    /// Answers every waiting `get` with `value`.
    #[message]
    fn put(&mut self, value: u64) -> usize {
        self.handled += 1;
        let answered = self.waiting.len();
        for reply in self.waiting.drain(..) {
            reply.send(value);
        }
        answered
    }

    /// Drops every waiting slot unanswered.
    #[message]
    fn forget(&mut self) {
        self.waiting.clear();
    }

    #[message]
    fn handled(&self) -> u32 {
        self.handled
    }

    /// Takes the slot and panics with it.
    #[message]
    fn explode(&mut self, reply: ReplyTo<u64>) {
        let _kept = reply;
        panic!("boom with the slot in hand");
    }

    /// Answers from a task, while the actor goes on.
    #[message]
    fn later(&mut self, value: u64, reply: ReplyTo<u64>) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            reply.send(value * 2);
        });
    }

    /// Whether a reply is wanted: `false` for a tell.
    #[message]
    fn wanted(&mut self, reply: ReplyTo<bool>) {
        let wanted = reply.wants_reply();
        reply.send(wanted);
        self.handled += u32::from(wanted) * 100;
    }
}

fn waiter() -> Waiter {
    Waiter {
        waiting: Vec::new(),
        handled: 0,
    }
}

#[tokio::test]
async fn a_deferred_reply_answers_the_ask_while_the_actor_handles_other_messages() {
    let system = ActorSystem::new();
    let actor = system.spawn(waiter()).unwrap();
    let first = tokio::spawn(actor.get().send());
    let second = tokio::spawn(actor.get().send());
    // Both gets were handled (the actor went on) before anything answered them.
    while actor.handled().await.unwrap() < 2 {
        tokio::task::yield_now().await;
    }
    assert!(!first.is_finished() && !second.is_finished());
    assert_eq!(actor.put(7).await.unwrap(), 2);
    assert_eq!(first.await.unwrap().unwrap(), 7);
    assert_eq!(second.await.unwrap().unwrap(), 7);
}

#[tokio::test]
async fn a_dropped_reply_slot_resolves_the_ask_at_once_with_no_reply() {
    let system = ActorSystem::new();
    let actor = system.spawn(waiter()).unwrap();
    let asked = tokio::spawn(actor.get().timeout(Duration::from_secs(3600)).send());
    while actor.handled().await.unwrap() < 1 {
        tokio::task::yield_now().await;
    }
    actor.forget().await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(30), asked)
        .await
        .expect("an ask whose slot was dropped does not wait for its timeout")
        .unwrap();
    assert!(matches!(result, Err(AskError::NoReply)), "{result:?}");
}

#[tokio::test]
async fn a_reply_slot_dropped_by_a_panicking_handler_resolves_the_ask() {
    let system = ActorSystem::new();
    let actor = system.spawn(waiter()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(30), actor.explode())
        .await
        .expect("the ask resolves");
    assert!(matches!(result, Err(AskError::NoReply)), "{result:?}");
    // Spawned from a value, it cannot be re-created: the panic stops it, with its failure.
    let reason = tokio::time::timeout(Duration::from_secs(30), actor.terminated())
        .await
        .expect("stops");
    assert!(matches!(reason, StopReason::Failed(_)), "{reason:?}");
}

#[tokio::test]
async fn a_reply_from_a_task_arrives_and_a_told_deferred_message_has_no_slot() {
    let system = ActorSystem::new();
    let actor = system.spawn(waiter()).unwrap();
    assert_eq!(actor.later(21).await.unwrap(), 42);
    assert!(actor.wanted().await.unwrap());
    actor.wanted().tell().await.unwrap();
    // The ask counted 100, the tell nothing: the tell's slot was empty.
    assert_eq!(actor.handled().await.unwrap(), 100);
}

#[tokio::test]
async fn a_deferred_reply_is_still_bound_by_the_ask_timeout() {
    let system = ActorSystem::new();
    let actor = system.spawn(waiter()).unwrap();
    tokio::time::pause();
    let result = actor.get().timeout(Duration::from_secs(2)).await;
    assert!(matches!(result, Err(AskError::Timeout)), "{result:?}");
    // The slot is still kept; answering it after the asker left is no error.
    assert_eq!(actor.put(1).await.unwrap(), 1);
}

/// Passes `lookup`s on to a backend whose reply type is the same: the backend answers the
/// original asker.
#[actor]
pub struct Front {
    backend: ActorRef<Backend>,
}

#[actor]
impl Front {
    #[message]
    async fn lookup(&mut self, key: u64, reply: ReplyTo<String>) {
        self.backend
            .find(key)
            .forward(reply)
            .await
            .expect("the backend is alive");
    }
}

#[actor]
pub struct Backend {
    served: u32,
}

#[actor]
impl Backend {
    #[message]
    fn find(&mut self, key: u64) -> String {
        self.served += 1;
        format!("value-{key}")
    }

    #[message]
    fn served(&self) -> u32 {
        self.served
    }
}

#[tokio::test]
async fn a_forwarded_ask_is_answered_by_the_other_actor() {
    let system = ActorSystem::new();
    let backend = system.spawn(Backend { served: 0 }).unwrap();
    let front = system
        .spawn(Front {
            backend: backend.clone(),
        })
        .unwrap();
    assert_eq!(front.lookup(5).await.unwrap(), "value-5");
    let joined = futures::future::join_all((0..10).map(|key| front.lookup(key).send())).await;
    for (key, result) in joined.into_iter().enumerate() {
        assert_eq!(result.unwrap(), format!("value-{key}"));
    }
    assert_eq!(backend.served().await.unwrap(), 11);
    // A forwarded tell is a tell at the backend. The ask after it goes through the front,
    // which forwards in order, so the backend has served the tell by the time it answers.
    front.lookup(99).tell().await.unwrap();
    assert_eq!(front.lookup(0).await.unwrap(), "value-0");
    assert_eq!(backend.served().await.unwrap(), 13);
}

#[tokio::test]
async fn a_forward_to_an_actor_that_is_gone_resolves_the_ask() {
    let system = ActorSystem::new();
    let backend = system.spawn(Backend { served: 0 }).unwrap();
    let front = system
        .spawn(Front {
            backend: backend.clone(),
        })
        .unwrap();
    backend.stop();
    backend.terminated().await;
    let result = tokio::time::timeout(Duration::from_secs(30), front.lookup(1))
        .await
        .expect("resolves");
    assert!(matches!(result, Err(AskError::Stopped)), "{result:?}");
}

#[actor]
pub struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[message]
    fn add(&mut self, k: u64) -> u64 {
        self.n += k;
        self.n
    }
}

#[tokio::test]
async fn requests_own_their_ref_and_can_be_spawned_stored_and_joined() {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { n: 0 }).unwrap();
    // Stored before the ref is dropped: each request owns a ref, and keeps the actor alive.
    let stored: Vec<Request<Counter, u64>> = (0..4).map(|_| counter.add(1)).collect();
    let spawned = tokio::spawn(counter.add(10).send());
    let weak = counter.downgrade();
    drop(counter);
    let mut replies: Vec<u64> = futures::future::join_all(stored.into_iter().map(Request::send))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    replies.push(spawned.await.unwrap().unwrap());
    replies.sort_unstable();
    assert_eq!(replies.last(), Some(&14));
    assert_eq!(replies.len(), 5);
    // The last request gone, the last ref is gone: the actor stops by itself.
    let reason = tokio::time::timeout(Duration::from_secs(30), weak.terminated())
        .await
        .expect("stops once its last ref, the requests', is dropped");
    assert_eq!(reason, StopReason::RefsDropped);
}

#[tokio::test]
async fn a_spawned_tell_is_delivered_after_the_ref_is_dropped() {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { n: 0 }).unwrap();
    let probe = counter.clone();
    let tell = tokio::spawn(counter.add(5).tell());
    drop(counter);
    tell.await.unwrap().unwrap();
    assert_eq!(probe.add(0).await.unwrap(), 5);
}
