//! [`RefCore`]: the part of a strong ref that generated clients hold, and the seam between
//! a ref and the kind of target it reaches.
//!
//! Every question a ref answers and every send it makes goes through [`Target`], one
//! `match` per operation in this file. Today a target is always a local actor; the
//! toolbox's routers and the cluster's remote refs become kinds of their own here, and
//! `request/`, `ActorRef` and the generated clients stay as they are.

use std::fmt;
use std::sync::atomic::{self, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::address::handle::ActorHandle;
use crate::clock::Clock;
use crate::death_watch::Watched;
use crate::error::TrySendError;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::mailbox::envelope::Envelope;
use crate::mailbox::queue::{PermitSlot, SendSlot};
use crate::mailbox::signal::SystemSignal;

/// What a ref reaches.
pub(crate) enum Target<A: Actor> {
    /// An actor in this process: its mailbox, system lane and status, in its cell.
    Local(Arc<ActorCell<A>>),
}

impl<A: Actor> Target<A> {
    pub(crate) fn id(&self) -> ActorId {
        match self {
            Target::Local(cell) => cell.id,
        }
    }

    pub(crate) fn path(&self) -> &Arc<str> {
        match self {
            Target::Local(cell) => cell.path(),
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Target::Local(cell) => cell.handle.name(),
        }
    }

    pub(crate) fn status(&self) -> ActorStatus {
        match self {
            Target::Local(cell) => cell.status().get(),
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        match self {
            Target::Local(cell) => cell.status().is_stopped(),
        }
    }

    /// Waits until the actor has stopped, and says why. Cancel safe.
    pub(crate) async fn stopped(&self) -> StopReason {
        match self {
            Target::Local(cell) => cell.status().stopped().await,
        }
    }

    /// Asks the actor to stop as `mode` says; a no-op on a stopped actor.
    pub(crate) fn stop(&self, mode: StopMode) {
        match self {
            Target::Local(cell) => cell.stop(mode),
        }
    }

    /// How long an ask to it waits when the ask sets no timeout.
    pub(crate) fn ask_timeout(&self) -> Duration {
        match self {
            Target::Local(cell) => cell.ask_timeout,
        }
    }

    /// Where the deadline of an ask to it is armed.
    pub(crate) fn clock(&self) -> &Clock {
        match self {
            Target::Local(cell) => cell.events.clock(),
        }
    }

    /// Delivers `envelope` if it can be without waiting; a refused one is a dead letter.
    pub(crate) fn try_deliver(&self, envelope: Envelope<A>) -> Result<(), TrySendError<A::Msg>> {
        match self {
            Target::Local(cell) => cell.mailbox.try_send(envelope).map_err(|err| match err {
                TrySendError::Full(envelope) => TrySendError::Full(envelope.msg),
                TrySendError::Closed(envelope) => {
                    cell.dead_letter(&envelope.msg);
                    TrySendError::Closed(envelope.msg)
                }
            }),
        }
    }

    /// Reserves room for a message to be built once there is room: `Ready(Ok(()))` once
    /// `reservation` holds it, `Ready(Err(()))` if the target no longer accepts messages,
    /// `Pending` while it waits its turn. Nothing is counted as a dead letter here: there
    /// is no message yet.
    pub(crate) fn poll_reserve(
        &self,
        reservation: &mut Reservation,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        match self {
            Target::Local(cell) => reservation.permit.poll_reserve(&cell.mailbox, cx),
        }
    }

    /// Reserves room without waiting.
    pub(crate) fn try_reserve(
        &self,
        reservation: &mut Reservation,
    ) -> Result<(), TrySendError<()>> {
        match self {
            Target::Local(cell) => reservation.permit.try_reserve(&cell.mailbox),
        }
    }

    /// Delivers `envelope` into the room `reservation` holds; if the target stopped
    /// accepting messages since, it is counted as a dead letter and handed back.
    pub(crate) fn deliver_reserved(
        &self,
        reservation: &mut Reservation,
        envelope: Envelope<A>,
    ) -> Result<(), Envelope<A>> {
        match self {
            Target::Local(cell) => reservation
                .permit
                .send(&cell.mailbox, envelope)
                .inspect_err(|envelope| cell.dead_letter(&envelope.msg)),
        }
    }

    /// Gives up a reservation: leaves the line, gives back the room it holds.
    pub(crate) fn leave(&self, reservation: &mut Reservation) {
        match self {
            Target::Local(cell) => reservation.permit.leave(&cell.mailbox),
        }
    }

    /// Counts a dead letter that never became one of the actor's messages (a value refused
    /// before an adapter built the message from it), under the name `message`.
    pub(crate) fn dead_letter_named(&self, message: &'static str) {
        match self {
            Target::Local(cell) => cell.events.dead_letter(cell.id, cell.path(), message),
        }
    }

    /// Records a watch by the actor `watcher_id`, whose lane is `watcher`; returns the
    /// watched end, for the watcher to take the watch back from.
    pub(crate) fn add_watcher(
        &self,
        watcher_id: ActorId,
        watcher: &ActorHandle,
    ) -> Arc<dyn Watched> {
        match self {
            Target::Local(cell) => {
                cell.add_watcher(watcher_id, watcher);
                Arc::clone(cell) as Arc<dyn Watched>
            }
        }
    }
}

impl<A: Actor> Clone for Target<A> {
    fn clone(&self) -> Self {
        match self {
            Target::Local(cell) => Target::Local(Arc::clone(cell)),
        }
    }
}

/// A delivery in progress, to whatever kind of target: resolves once the message is in,
/// or hands it back, counted as a dead letter, if the target no longer accepts messages.
///
/// It owns a strong ref, so that a request that owns it is `'static` and keeps the actor
/// alive until the message is in (a spawned request whose ref was dropped meanwhile is
/// still delivered).
pub(crate) struct Delivery<A: Actor> {
    core: RefCore<A>,
    slot: SendSlot<Envelope<A>>,
}

impl<A: Actor> Delivery<A> {
    /// Begins delivering `envelope` to what `core` reaches.
    #[inline]
    pub(crate) fn new(core: RefCore<A>, envelope: Envelope<A>) -> Self {
        Delivery {
            core,
            slot: SendSlot::new(envelope),
        }
    }

    /// `Ready(Ok(()))` once the message is in; `Ready(Err(envelope))`, after counting it
    /// as a dead letter, if the target refuses it; `Pending` while it waits for room.
    ///
    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    #[inline]
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Envelope<A>>> {
        match &self.core.target {
            Target::Local(cell) => match self.slot.poll_send(&cell.mailbox, cx) {
                Poll::Ready(Err(envelope)) => {
                    cell.dead_letter(&envelope.msg);
                    Poll::Ready(Err(envelope))
                }
                other => other,
            },
        }
    }

    /// What it delivers to.
    pub(crate) fn target(&self) -> &Target<A> {
        &self.core.target
    }

    /// Whether the message is in (or was handed back).
    pub(crate) fn is_done(&self) -> bool {
        self.slot.is_done()
    }

    /// Gives up, handing the message back if it was not delivered.
    pub(crate) fn abandon(mut self) -> Option<Envelope<A>> {
        match &self.core.target {
            Target::Local(cell) => self.slot.abandon(&cell.mailbox),
        }
    }
}

impl<A: Actor> Drop for Delivery<A> {
    #[inline]
    fn drop(&mut self) {
        match &self.core.target {
            Target::Local(cell) => self.slot.leave(&cell.mailbox),
        }
    }
}

/// Room in a target taken before the message that fills it is built: for a typed adapter,
/// which builds the actor's message from a value only once it has room, so that a refusal
/// hands back that value. Not tied to a target: each call names it, and the owner calls
/// [`Target::leave`] when it gives up.
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    permit: PermitSlot,
}

/// The part of a strong ref that generated clients hold.
///
/// You do not use this directly: `#[actor]` puts one inside the generated client, and
/// [`ActorRef`](crate::ActorRef) is a client plus the general methods. Holding one keeps
/// the actor alive, exactly like holding an `ActorRef`.
pub struct RefCore<A: Actor> {
    target: Target<A>,
}

impl<A: Actor> RefCore<A> {
    /// A new strong ref. Used by the actor itself, which is alive while it runs, so the
    /// count may go up from zero here.
    pub(crate) fn new_strong(cell: Arc<ActorCell<A>>) -> Self {
        cell.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore {
            target: Target::Local(cell),
        }
    }

    /// A new strong ref, unless the count is already zero (the actor is on its way out).
    pub(crate) fn upgrade(target: &Target<A>) -> Option<Self> {
        let Target::Local(cell) = target;
        let mut count = cell.strong_refs.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            match cell.strong_refs.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(RefCore {
                        target: target.clone(),
                    })
                }
                Err(actual) => count = actual,
            }
        }
    }

    /// What this ref reaches.
    #[inline]
    pub(crate) fn target(&self) -> &Target<A> {
        &self.target
    }
}

impl<A: Actor> fmt::Debug for RefCore<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefCore")
            .field("actor", &self.target.id())
            .field("path", self.target.path())
            .finish()
    }
}

impl<A: Actor> Clone for RefCore<A> {
    fn clone(&self) -> Self {
        let Target::Local(cell) = &self.target;
        cell.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore {
            target: self.target.clone(),
        }
    }
}

impl<A: Actor> Drop for RefCore<A> {
    fn drop(&mut self) {
        let Target::Local(cell) = &self.target;
        if cell.strong_refs.fetch_sub(1, Ordering::Release) == 1 {
            atomic::fence(Ordering::Acquire);
            cell.signal(SystemSignal::RefsDropped);
        }
    }
}
