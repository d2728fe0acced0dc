//! A recipient of an actor's ref: the actor's ref, strong or weak, and the closure that
//! maps a `T` to one of its messages; and the `recipient` methods of the refs.

use std::any::type_name;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::actor::Actor;
use crate::adapter::recipient::{Accept, Recipient};
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::core::{RefCore, Reservation, Target};
use crate::error::{SendError, TrySendError};
use crate::id::ActorId;
use crate::lifecycle::StopReason;
use crate::mailbox::envelope::Envelope;

/// How a recipient holds its actor.
enum Hold<A: Actor> {
    /// A strong ref: the recipient keeps the actor alive.
    Strong(RefCore<A>),
    /// A weak one: each send upgrades it for as long as it delivers.
    Weak(Target<A>),
}

/// An actor's ref and the closure that maps a `T` to one of its messages.
struct MappedRef<A: Actor, F> {
    hold: Hold<A>,
    map: F,
}

impl<A: Actor, F> MappedRef<A, F> {
    fn target(&self) -> &Target<A> {
        match &self.hold {
            Hold::Strong(core) => core.target(),
            Hold::Weak(target) => target,
        }
    }

    /// A strong ref for the length of one send: the recipient's own, or, for a weak one,
    /// an upgrade (`None` once no strong ref is left, the actor on its way out).
    fn strong(&self) -> Option<Strong<'_, A>> {
        match &self.hold {
            Hold::Strong(core) => Some(Strong::Borrowed(core)),
            Hold::Weak(target) => RefCore::upgrade(target).map(Strong::Upgraded),
        }
    }
}

/// A strong ref held while a send delivers.
enum Strong<'a, A: Actor> {
    Borrowed(&'a RefCore<A>),
    Upgraded(RefCore<A>),
}

impl<A: Actor> Strong<'_, A> {
    fn target(&self) -> &Target<A> {
        match self {
            Strong::Borrowed(core) => core.target(),
            Strong::Upgraded(core) => core.target(),
        }
    }
}

/// The name a refused `T` is counted under as a dead letter: its type, as for any message
/// that is not an `#[actor]` message (it never became one).
fn value_name<T>() -> &'static str {
    type_name::<T>()
}

impl<A, F, T> Accept<T> for MappedRef<A, F>
where
    A: Actor,
    F: Fn(T) -> A::Msg + Send + Sync + 'static,
    T: Send + 'static,
{
    fn id(&self) -> ActorId {
        self.target().id()
    }

    fn is_alive(&self) -> bool {
        !self.target().is_stopped()
    }

    fn keeps_alive(&self) -> bool {
        matches!(self.hold, Hold::Strong(_))
    }

    fn try_tell(&self, value: T) -> Result<(), TrySendError<T>> {
        let Some(strong) = self.strong() else {
            self.target().dead_letter_named(value_name::<T>());
            return Err(TrySendError::Closed(value));
        };
        let target = strong.target();
        let mut reservation = Reservation::default();
        match target.try_reserve(&mut reservation) {
            Ok(()) => {}
            Err(TrySendError::Full(())) => return Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => {
                target.dead_letter_named(value_name::<T>());
                return Err(TrySendError::Closed(value));
            }
        }
        // Gives the room back if the closure panics.
        let mut held = Held {
            target,
            reservation,
        };
        let msg = (self.map)(value);
        // A refusal now (closed since the room was reserved) is counted as a dead letter;
        // the value is consumed, so it reads as a message accepted and then dropped.
        let _ = target.deliver_reserved(&mut held.reservation, Envelope::tell(msg));
        Ok(())
    }

    fn poll_tell(
        &self,
        reservation: &mut Reservation,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        assert!(value.is_some(), "a tell polled after it completed");
        let Some(strong) = self.strong() else {
            self.target().leave(reservation);
            self.target().dead_letter_named(value_name::<T>());
            return Poll::Ready(Err(SendError(take(value))));
        };
        let target = strong.target();
        if ready!(target.poll_reserve(reservation, cx)).is_err() {
            target.dead_letter_named(value_name::<T>());
            return Poll::Ready(Err(SendError(take(value))));
        }
        // If the closure panics, the reservation is still held, and the tell's `Drop`
        // gives it back.
        let msg = (self.map)(take(value));
        // A refusal now is counted as a dead letter (see `try_tell`).
        let _ = target.deliver_reserved(reservation, Envelope::tell(msg));
        Poll::Ready(Ok(()))
    }

    fn leave(&self, reservation: &mut Reservation) {
        self.target().leave(reservation);
    }

    fn dead_letter(&self) {
        self.target().dead_letter_named(value_name::<T>());
    }

    fn terminated(&self) -> Pin<Box<dyn Future<Output = StopReason> + Send + '_>> {
        Box::pin(self.target().stopped())
    }
}

fn take<T>(value: &mut Option<T>) -> T {
    value
        .take()
        .expect("a tell holds its value until it completes")
}

/// Room reserved in a target, given back if it is dropped unused (a panicking closure).
struct Held<'a, A: Actor> {
    target: &'a Target<A>,
    reservation: Reservation,
}

impl<A: Actor> Drop for Held<'_, A> {
    fn drop(&mut self) {
        self.target.leave(&mut self.reservation);
    }
}

/// Typed adapters of an actor's ref.
impl<A: Actor> ActorRef<A> {
    /// A [`Recipient<T>`] of this actor: something that accepts a `T`, maps it with `map`
    /// to one of this actor's messages and tells it, without its holder knowing the actor
    /// type. It keeps the actor alive, as this ref does; see [`WeakActorRef::recipient`]
    /// for one that does not.
    ///
    /// One allocation, here; none per message sent through it.
    ///
    /// ```
    /// # use actor_core::prelude::*;
    /// # #[actor] pub struct Log { lines: Vec<String> }
    /// # #[actor] impl Log {
    /// #     #[message] fn line(&mut self, text: String) { self.lines.push(text); }
    /// #     #[message] fn count(&self) -> usize { self.lines.len() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let system = ActorSystem::new();
    /// let log = system.spawn(Log { lines: Vec::new() }).unwrap();
    /// let errors: Recipient<std::io::Error> =
    ///     log.recipient(|err: std::io::Error| LogMsg::Line { text: err.to_string() });
    /// errors.tell(std::io::Error::other("disk full")).await.unwrap();
    /// assert_eq!(log.count().await.unwrap(), 1);
    /// # }
    /// ```
    pub fn recipient<T, F>(&self, map: F) -> Recipient<T>
    where
        T: Send + 'static,
        F: Fn(T) -> A::Msg + Send + Sync + 'static,
    {
        Recipient::new(Arc::new(MappedRef {
            hold: Hold::Strong(self.core().clone()),
            map,
        }))
    }
}

/// Typed adapters of a weak ref.
impl<A: Actor> WeakActorRef<A> {
    /// A [`Recipient<T>`] of this actor that does not keep it alive: each send upgrades the
    /// weak ref for as long as it delivers, and is refused as `Closed` once no strong ref
    /// is left. What an actor hands out for itself (`ctx.weak_ref().recipient(..)`), and
    /// what a topic should hold when its subscriptions must not keep subscribers alive.
    pub fn recipient<T, F>(&self, map: F) -> Recipient<T>
    where
        T: Send + 'static,
        F: Fn(T) -> A::Msg + Send + Sync + 'static,
    {
        Recipient::new(Arc::new(MappedRef {
            hold: Hold::Weak(self.target().clone()),
            map,
        }))
    }
}
