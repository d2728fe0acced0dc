//! [`Topic`]: a typed topic, its subscribers, and publishing to them.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::adapter::recipient::Recipient;
use crate::error::TrySendError;
use crate::id::ActorId;

/// A typed topic: every value published to it goes to each of its subscribers, each a
/// [`Recipient<T>`] that maps it to one of its actor's messages.
///
/// Akka.NET's `EventStream` (in one system) and `DistributedPubSub` topics, kameo's
/// `PubSub`. Cheap to clone: clones are handles to the same topic. Make one with
/// [`Topic::new`] and pass it around, or find one by name with
/// [`ActorSystem::topic`](crate::ActorSystem::topic).
///
/// # Delivery
///
/// Each subscriber gets the values in the order they were published (by one publisher),
/// at most once, as any message. Two ways to publish, for the two answers to a full
/// subscriber's mailbox:
///
/// - [`publish`](Self::publish)`.await` waits for room in each subscriber's mailbox in
///   turn: backpressure, the mailbox rule of every `tell`. A slow subscriber slows the
///   publisher, and the subscribers after it wait for it.
/// - [`try_publish`](Self::try_publish) never waits: a subscriber whose mailbox is full
///   misses the value, which is counted as a dead letter (to that subscriber). This is
///   Akka's `DistributedPubSub`, which drops, and the choice for a publisher that must not
///   be held up, such as an actor publishing from its handler.
///
/// Prefer `try_publish` from inside an actor that is itself a subscriber: awaiting room in
/// its own full mailbox would wait for itself.
///
/// # Subscribers that stop
///
/// A subscriber whose actor has stopped is removed exactly: by the publish whose send to
/// it is refused, or by [`subscriber_count`](Self::subscriber_count), which counts only
/// live subscribers. A subscriber that stops in the middle of a publish does not fail it:
/// it is counted in [`Published::stopped`] and the others still get the value.
///
/// A topic holds its recipients: a strong one ([`ActorRef::recipient`]) keeps its actor
/// alive as a ref does; subscribe a weak one ([`WeakActorRef::recipient`]) if the
/// subscription must not.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::Topic;
///
/// #[derive(Clone, Debug, PartialEq)]
/// pub struct Price { pub symbol: &'static str, pub cents: u64 }
///
/// #[actor]
/// pub struct Ticker { seen: Vec<u64> }
///
/// #[actor]
/// impl Ticker {
///     #[message]
///     fn price(&mut self, price: Price) { self.seen.push(price.cents); }
///
///     #[message]
///     fn seen(&self) -> Vec<u64> { self.seen.clone() }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let prices: Topic<Price> = Topic::new();
/// let a = system.spawn(Ticker { seen: Vec::new() }).unwrap();
/// let b = system.spawn(Ticker { seen: Vec::new() }).unwrap();
/// prices.subscribe(a.recipient(|price| TickerMsg::Price { price }));
/// prices.subscribe(b.recipient(|price| TickerMsg::Price { price }));
///
/// let published = prices.publish(Price { symbol: "ACME", cents: 120 }).await;
/// assert_eq!(published.delivered, 2);
/// assert_eq!(a.seen().await.unwrap(), [120]);
/// assert_eq!(b.seen().await.unwrap(), [120]);
/// # }
/// ```
///
/// [`ActorRef::recipient`]: crate::ActorRef::recipient
/// [`WeakActorRef::recipient`]: crate::WeakActorRef::recipient
pub struct Topic<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    /// Its name in the system's registry, if it came from there.
    name: Option<Arc<str>>,
    /// The subscribers, copied on write: a publish takes the list (a reference count)
    /// and sends with no lock held, while a subscribe or an unsubscribe makes a new one.
    subscribers: Mutex<Arc<Vec<Subscriber<T>>>>,
    next_id: AtomicU64,
}

struct Subscriber<T> {
    id: SubscriptionId,
    recipient: Recipient<T>,
}

impl<T> Clone for Subscriber<T> {
    fn clone(&self) -> Self {
        Subscriber {
            id: self.id,
            recipient: self.recipient.clone(),
        }
    }
}

/// One subscription to a topic, to [`unsubscribe`](Topic::unsubscribe) it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

/// What became of one published value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// Subscribers whose mailbox took it.
    pub delivered: usize,
    /// Subscribers whose mailbox was full ([`Topic::try_publish`] only): each a dead
    /// letter.
    pub dropped: usize,
    /// Subscribers found stopped, now removed from the topic.
    pub stopped: usize,
}

impl<T: Clone + Send + 'static> Topic<T> {
    /// A topic with no subscribers, known to no registry.
    pub fn new() -> Self {
        Self::with_name(None)
    }

    pub(crate) fn with_name(name: Option<Arc<str>>) -> Self {
        Topic {
            shared: Arc::new(Shared {
                name,
                subscribers: Mutex::new(Arc::new(Vec::new())),
                next_id: AtomicU64::new(0),
            }),
        }
    }

    /// Its name, for a topic found with [`ActorSystem::topic`](crate::ActorSystem::topic).
    pub fn name(&self) -> Option<&str> {
        self.shared.name.as_deref()
    }

    /// Adds a subscriber; every value published from now on goes to it too. Subscribing
    /// the same actor twice makes two subscriptions, each of which gets every value.
    pub fn subscribe(&self, recipient: Recipient<T>) -> SubscriptionId {
        let id = SubscriptionId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let mut subscribers = self.lock();
        let mut next = Vec::with_capacity(subscribers.len() + 1);
        next.extend(subscribers.iter().cloned());
        next.push(Subscriber { id, recipient });
        let previous = std::mem::replace(&mut *subscribers, Arc::new(next));
        drop(subscribers);
        // Dropped unlocked, although it holds only clones of what the new list holds.
        drop(previous);
        id
    }

    /// Removes a subscription; `false` if it was not there (unsubscribed already, or
    /// removed because its actor stopped). A publish in progress may still deliver to it.
    pub fn unsubscribe(&self, subscription: SubscriptionId) -> bool {
        self.remove(|subscriber| subscriber.id == subscription) > 0
    }

    /// Removes every subscription of the actor `actor`, and says how many there were.
    pub fn unsubscribe_actor(&self, actor: ActorId) -> usize {
        self.remove(|subscriber| subscriber.recipient.id() == actor)
    }

    /// How many live subscribers it has. Subscribers whose actor has stopped are removed
    /// here, so the count goes down as soon as a subscriber has stopped.
    pub fn subscriber_count(&self) -> usize {
        let subscribers = self.snapshot();
        let stopped = subscribers
            .iter()
            .filter(|subscriber| !subscriber.recipient.is_alive())
            .count();
        if stopped > 0 {
            self.remove(|subscriber| !subscriber.recipient.is_alive());
        }
        subscribers.len() - stopped
    }

    /// Sends `value` to every subscriber, in the order they subscribed, waiting for room
    /// in each one's mailbox (backpressure). A subscriber that has stopped, also one that
    /// stops while this runs, is skipped and removed.
    ///
    /// Each subscriber but the last gets a clone; the publish allocates nothing else
    /// (unless it finds stopped subscribers, whose removal makes a new list).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the subscribers before the one it
    /// waited for got the value, that one and those after it did not.
    pub async fn publish(&self, value: T) -> Published {
        let subscribers = self.snapshot();
        let mut published = Published::default();
        let mut stopped = Vec::new();
        let mut value = Some(value);
        let last = subscribers.len().saturating_sub(1);
        for (index, subscriber) in subscribers.iter().enumerate() {
            let Some(copy) = next_copy(&mut value, index == last) else {
                break;
            };
            match subscriber.recipient.tell(copy).await {
                Ok(()) => published.delivered += 1,
                Err(_) => stopped.push(subscriber.id),
            }
        }
        self.remove_stopped(&stopped, &mut published);
        published
    }

    /// Sends `value` to every subscriber whose mailbox has room now, in the order they
    /// subscribed, without waiting. A subscriber whose mailbox is full misses it: counted
    /// in [`Published::dropped`] and as a dead letter. A stopped one is removed.
    pub fn try_publish(&self, value: T) -> Published {
        let subscribers = self.snapshot();
        let mut published = Published::default();
        let mut stopped = Vec::new();
        let mut value = Some(value);
        let last = subscribers.len().saturating_sub(1);
        for (index, subscriber) in subscribers.iter().enumerate() {
            let Some(copy) = next_copy(&mut value, index == last) else {
                break;
            };
            match subscriber.recipient.try_tell(copy) {
                Ok(()) => published.delivered += 1,
                Err(TrySendError::Full(_)) => {
                    published.dropped += 1;
                    subscriber.recipient.dead_letter();
                }
                Err(TrySendError::Closed(_)) => stopped.push(subscriber.id),
            }
        }
        self.remove_stopped(&stopped, &mut published);
        published
    }

    /// The subscribers now: a reference count, under the lock for that long only.
    fn snapshot(&self) -> Arc<Vec<Subscriber<T>>> {
        Arc::clone(&self.lock())
    }

    fn remove_stopped(&self, stopped: &[SubscriptionId], published: &mut Published) {
        published.stopped = stopped.len();
        if !stopped.is_empty() {
            self.remove(|subscriber| stopped.contains(&subscriber.id));
        }
    }

    /// Removes the subscribers `which` picks, and says how many. Those removed are dropped
    /// once the lock is released: a recipient holds the user's closure.
    fn remove(&self, which: impl Fn(&Subscriber<T>) -> bool) -> usize {
        let mut subscribers = self.lock();
        if !subscribers.iter().any(&which) {
            return 0;
        }
        let kept: Vec<_> = subscribers
            .iter()
            .filter(|subscriber| !which(subscriber))
            .cloned()
            .collect();
        let removed = subscribers.len() - kept.len();
        let previous = std::mem::replace(&mut *subscribers, Arc::new(kept));
        drop(subscribers);
        drop(previous);
        removed
    }

    fn lock(&self) -> MutexGuard<'_, Arc<Vec<Subscriber<T>>>> {
        // No user code runs under this lock; recovering keeps a topic usable even so.
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The value for the next subscriber: a clone, or the value itself for the last one.
fn next_copy<T: Clone>(value: &mut Option<T>, last: bool) -> Option<T> {
    if last {
        value.take()
    } else {
        value.clone()
    }
}

impl<T: Clone + Send + 'static> Default for Topic<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Topic {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subscribers = self
            .shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Topic")
            .field("name", &self.shared.name)
            .field("type", &std::any::type_name::<T>())
            .field("subscribers", &subscribers)
            .finish()
    }
}
