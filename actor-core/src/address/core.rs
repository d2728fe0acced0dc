//! [`RefCore`]: the part of a strong ref that generated clients hold, and the seam between
//! a ref and the kind of target it reaches.
//!
//! Every question a ref answers and every send it makes goes through [`Target`], one
//! `match` per operation in this file. A target is a local actor, a router over other
//! targets (`address::router`, whose decisions `crate::routing` makes), or an actor on
//! another node (`address::remote`, through a transport's link); `request/`, `ActorRef`
//! and the generated clients are the same for all three.

use std::fmt;
use std::sync::atomic::{self, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::address::handle::ActorHandle;
use crate::address::remote::RemoteCell;
use crate::address::router::{RouterCell, Routing};
use crate::clock::Clock;
use crate::death_watch::Watched;
use crate::error::TrySendError;
use crate::events::Events;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::mailbox::envelope::Envelope;
use crate::mailbox::queue::{PermitSlot, SendSlot};

/// What a ref reaches.
pub(crate) enum Target<A: Actor> {
    /// An actor in this process: its mailbox, system lane and status, in its cell.
    Local(Arc<ActorCell<A>>),
    /// A router: each message goes to one of its routees (or to each), as its route says.
    Routed(Arc<RouterCell<A>>),
    /// An actor on another node, through a link of the transport's.
    Remote(Arc<RemoteCell<A>>),
}

impl<A: Actor> Target<A> {
    pub(crate) fn id(&self) -> ActorId {
        match self {
            Target::Local(cell) => cell.id,
            Target::Routed(router) => router.id,
            Target::Remote(remote) => remote.id,
        }
    }

    pub(crate) fn path(&self) -> &Arc<str> {
        match self {
            Target::Local(cell) => cell.path(),
            Target::Routed(router) => &router.path,
            Target::Remote(remote) => &remote.path,
        }
    }

    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Target::Local(cell) => cell.name(),
            // A router is unnamed: its path's last segment is `$` and its id.
            Target::Routed(_) => None,
            Target::Remote(remote) => remote.name(),
        }
    }

    pub(crate) fn status(&self) -> ActorStatus {
        match self {
            Target::Local(cell) => cell.status().get(),
            Target::Routed(router) => router.status.get(),
            Target::Remote(remote) => remote.status().get(),
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        match self {
            Target::Local(cell) => cell.status().is_stopped(),
            Target::Routed(router) => router.status.is_stopped(),
            Target::Remote(remote) => remote.status().is_stopped(),
        }
    }

    /// Waits until the actor has stopped, and says why. Cancel safe.
    pub(crate) async fn stopped(&self) -> StopReason {
        match self {
            Target::Local(cell) => cell.status().stopped().await,
            Target::Routed(router) => router.status.stopped().await,
            Target::Remote(remote) => remote.stopped().await,
        }
    }

    /// Asks the actor to stop as `mode` says; a no-op on a stopped actor.
    pub(crate) fn stop(&self, mode: StopMode) {
        match self {
            Target::Local(cell) => cell.stop(mode),
            Target::Routed(router) => router.route.stop(router, mode),
            Target::Remote(remote) => remote.stop(mode),
        }
    }

    /// How long an ask to it waits when the ask sets no timeout.
    pub(crate) fn ask_timeout(&self) -> Duration {
        match self {
            Target::Local(cell) => cell.ask_timeout,
            Target::Routed(router) => router.ask_timeout,
            Target::Remote(remote) => remote.ask_timeout,
        }
    }

    /// Where timers of its system are armed.
    pub(crate) fn clock(&self) -> &Clock {
        self.events().clock()
    }

    /// The system's events, clock and ask deadlines.
    #[inline]
    pub(crate) fn events(&self) -> &Events {
        match self {
            Target::Local(cell) => &cell.events,
            Target::Routed(router) => &router.events,
            Target::Remote(remote) => &remote.events,
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
            Target::Routed(router) => match router.route.route(&envelope.msg) {
                Routing::To(routee) => routee.target.try_deliver(envelope),
                Routing::Every(cells, clone) => try_deliver_to_every(&cells, clone, envelope),
                Routing::Nowhere => {
                    router.dead_letter(&envelope.msg);
                    Err(TrySendError::Closed(envelope.msg))
                }
            },
            Target::Remote(remote) => remote.send(envelope, None),
        }
    }

    /// A router's routees, in routing order; none for an actor.
    pub(crate) fn routees(&self) -> Vec<RefCore<A>> {
        match self {
            Target::Local(_) | Target::Remote(_) => Vec::new(),
            Target::Routed(router) => router.route.routees(),
        }
    }

    /// The local actor `msg` would reach through it: itself, or the routee a router picks
    /// (a broadcast router's routees are not flattened: `None`).
    pub(crate) fn local_for(&self, msg: &A::Msg) -> Option<Arc<ActorCell<A>>> {
        match self {
            Target::Local(cell) => Some(Arc::clone(cell)),
            Target::Routed(router) => match router.route.route(msg) {
                Routing::To(routee) => routee.target.local_for(msg),
                Routing::Every(..) | Routing::Nowhere => None,
            },
            Target::Remote(_) => None,
        }
    }

    /// How busy it is, for a smallest-mailbox router: the messages waiting in its mailbox,
    /// counted after every actor that is running (a suspended or restarting one handles
    /// nothing meanwhile); a router counts as the busiest of all.
    pub(crate) fn load(&self) -> usize {
        match self {
            Target::Local(cell) => {
                let waiting = cell.mailbox.len();
                if cell.status().get() == ActorStatus::Running {
                    waiting
                } else {
                    waiting.saturating_add(usize::MAX / 2)
                }
            }
            // Its mailbox is out of sight: counted after every local routee.
            Target::Routed(_) | Target::Remote(_) => usize::MAX,
        }
    }

    /// The count of strong refs to it.
    #[inline]
    fn strong_refs(&self) -> &AtomicUsize {
        match self {
            Target::Local(cell) => &cell.strong_refs,
            Target::Routed(router) => &router.strong_refs,
            Target::Remote(remote) => &remote.strong_refs,
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
            // A router has no room of its own, and its route may need the message to pick
            // a routee: the message is built first and tried at the routee it picks.
            // A link queues without waiting: the message is built and handed over.
            Target::Routed(_) | Target::Remote(_) => Poll::Ready(Ok(())),
        }
    }

    /// Reserves room without waiting.
    pub(crate) fn try_reserve(
        &self,
        reservation: &mut Reservation,
    ) -> Result<(), TrySendError<()>> {
        match self {
            Target::Local(cell) => reservation.permit.try_reserve(&cell.mailbox),
            Target::Routed(_) | Target::Remote(_) => Ok(()),
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
            // Without a reservation: a routee that is full drops it, as a dead letter (the
            // envelope is gone by then, so nothing is handed back).
            Target::Routed(router) => match self.try_deliver(envelope) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(msg)) => {
                    router.dead_letter(&msg);
                    Ok(())
                }
                // Counted as a dead letter where it was refused.
                Err(TrySendError::Closed(_)) => Ok(()),
            },
            Target::Remote(remote) => match remote.send(envelope, None) {
                Ok(()) | Err(TrySendError::Closed(_)) => Ok(()),
                Err(TrySendError::Full(msg)) => {
                    remote.dead_letter(&msg);
                    Ok(())
                }
            },
        }
    }

    /// Gives up a reservation: leaves the line, gives back the room it holds.
    pub(crate) fn leave(&self, reservation: &mut Reservation) {
        match self {
            Target::Local(cell) => reservation.permit.leave(&cell.mailbox),
            Target::Routed(_) | Target::Remote(_) => {}
        }
    }

    /// Counts a dead letter that never became one of the actor's messages (a value refused
    /// before an adapter built the message from it), under the name `message`.
    pub(crate) fn dead_letter_named(&self, message: &'static str) {
        match self {
            Target::Local(cell) => cell.events.dead_letter(cell.id, cell.path(), message),
            Target::Routed(router) => router.events.dead_letter(router.id, &router.path, message),
            Target::Remote(remote) => remote.events.dead_letter(remote.id, &remote.path, message),
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
            Target::Routed(router) => {
                router.add_watcher(watcher_id, watcher);
                Arc::clone(router) as Arc<dyn Watched>
            }
            Target::Remote(remote) => {
                remote.add_watcher(watcher_id, watcher);
                Arc::clone(remote) as Arc<dyn Watched>
            }
        }
    }
}

impl<A: Actor> Clone for Target<A> {
    fn clone(&self) -> Self {
        match self {
            Target::Local(cell) => Target::Local(Arc::clone(cell)),
            Target::Routed(router) => Target::Routed(Arc::clone(router)),
            Target::Remote(remote) => Target::Remote(Arc::clone(remote)),
        }
    }
}

/// A try-send of a broadcast: a copy to each of `cells` that has room, the original (and
/// with it an ask's reply slot) to the first that takes one. `Ok` if any took it; a copy
/// that found a full mailbox is dropped, as a dead letter of that routee.
fn try_deliver_to_every<A: Actor>(
    cells: &[Arc<ActorCell<A>>],
    clone: fn(&A::Msg) -> A::Msg,
    envelope: Envelope<A>,
) -> Result<(), TrySendError<A::Msg>> {
    let mut carried = Some(envelope);
    let mut delivered = false;
    let mut any_full = false;
    for (at, cell) in cells.iter().enumerate() {
        let envelope = match carried.take() {
            Some(envelope) => envelope,
            None => break,
        };
        // The envelope for the next routee: a copy of this one's message, made before this
        // one is sent; the last routee gets no copy.
        let next = (at + 1 < cells.len()).then(|| Envelope::tell(clone(&envelope.msg)));
        match cell.mailbox.try_send(envelope) {
            Ok(()) => {
                delivered = true;
                carried = next;
            }
            Err(TrySendError::Full(envelope) | TrySendError::Closed(envelope)) => {
                any_full |= !cell.status().is_stopped();
                if delivered {
                    // A copy: only the routee that refused it misses it.
                    cell.dead_letter(&envelope.msg);
                    carried = next;
                } else {
                    // Not delivered anywhere yet: the original goes on to the next routee.
                    carried = Some(envelope);
                }
            }
        }
    }
    match (delivered, carried) {
        (true, _) | (false, None) => Ok(()),
        (false, Some(envelope)) if any_full => Err(TrySendError::Full(envelope.msg)),
        (false, Some(envelope)) => {
            if let Some(last) = cells.last() {
                last.dead_letter(&envelope.msg);
            }
            Err(TrySendError::Closed(envelope.msg))
        }
    }
}

/// A delivery in progress, to whatever kind of target: resolves once the message is in,
/// or hands it back, counted as a dead letter, if the target no longer accepts messages.
///
/// It owns a strong ref, so that a request that owns it is `'static` and keeps the actor
/// alive until the message is in (a spawned request whose ref was dropped meanwhile is
/// still delivered). A delivery to a router is routed when it is made: from then on its
/// ref is the chosen routee's, a local actor, and it is polled as any other; only a
/// broadcast, or a router with no routee left, keeps the router's.
pub(crate) struct Delivery<A: Actor> {
    core: RefCore<A>,
    slot: SendSlot<Envelope<A>>,
    /// A broadcast's routees: `Some` only while `core` is a router's.
    fanout: Option<Box<Fanout<A>>>,
}

/// A broadcast on its way: the routee whose mailbox `Delivery::slot` is sending to now,
/// the ones after it, and what their copies are made from.
struct Fanout<A: Actor> {
    current: Arc<ActorCell<A>>,
    /// The routees still to send to, the next one last.
    rest: Vec<Arc<ActorCell<A>>>,
    /// A copy of the message, to clone for each routee still to come (the last gets it).
    copy: Option<A::Msg>,
    clone: fn(&A::Msg) -> A::Msg,
    /// Whether any routee has taken the message.
    delivered: bool,
}

impl<A: Actor> Delivery<A> {
    /// Begins delivering `envelope` to what `core` reaches.
    #[inline]
    pub(crate) fn new(core: RefCore<A>, envelope: Envelope<A>) -> Self {
        match &core.target {
            Target::Local(_) | Target::Remote(_) => Delivery {
                core,
                slot: SendSlot::new(envelope),
                fanout: None,
            },
            Target::Routed(_) => Self::routed(core, envelope),
        }
    }

    /// Asks the router `core` reaches where `envelope` goes.
    #[inline(never)]
    fn routed(core: RefCore<A>, envelope: Envelope<A>) -> Self {
        let Target::Routed(router) = &core.target else {
            return Delivery::new(core, envelope);
        };
        match router.route.route(&envelope.msg) {
            // The routee may be a router itself (a group over pools): routed again.
            Routing::To(routee) => Delivery::new(routee, envelope),
            Routing::Every(mut cells, clone) => {
                cells.reverse();
                let Some(current) = cells.pop() else {
                    return Delivery {
                        core,
                        slot: SendSlot::new(envelope),
                        fanout: None,
                    };
                };
                let copy = (!cells.is_empty()).then(|| clone(&envelope.msg));
                Delivery {
                    core,
                    slot: SendSlot::new(envelope),
                    fanout: Some(Box::new(Fanout {
                        current,
                        rest: cells,
                        copy,
                        clone,
                        delivered: false,
                    })),
                }
            }
            Routing::Nowhere => Delivery {
                core,
                slot: SendSlot::new(envelope),
                fanout: None,
            },
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
        self.poll_timed(cx, None)
    }

    /// As [`poll`](Self::poll), for an ask that gives up after `timeout`: a remote target
    /// sends it along, so that the far side waits as long as the asker does.
    #[inline]
    pub(crate) fn poll_ask(
        &mut self,
        cx: &mut Context<'_>,
        timeout: Duration,
    ) -> Poll<Result<(), Envelope<A>>> {
        self.poll_timed(cx, Some(timeout))
    }

    #[inline]
    fn poll_timed(
        &mut self,
        cx: &mut Context<'_>,
        timeout: Option<Duration>,
    ) -> Poll<Result<(), Envelope<A>>> {
        match &self.core.target {
            Target::Local(cell) => match self.slot.poll_send(&cell.mailbox, cx) {
                Poll::Ready(Err(envelope)) => {
                    cell.dead_letter(&envelope.msg);
                    Poll::Ready(Err(envelope))
                }
                other => other,
            },
            // A link's outgoing queue is bounded: a send waits for room in it, as a local
            // one waits for room in the mailbox (an ask until its timeout).
            Target::Remote(remote) => loop {
                ready!(remote.poll_room(cx));
                let envelope = self.slot.take().expect("a send polled after it completed");
                match remote.send(envelope, timeout) {
                    Ok(()) => return Poll::Ready(Ok(())),
                    // Taken by another sender since: wait for room again.
                    Err(TrySendError::Full(msg)) => self.slot = SendSlot::new(Envelope::tell(msg)),
                    Err(TrySendError::Closed(msg)) => return Poll::Ready(Err(Envelope::tell(msg))),
                }
            },
            Target::Routed(router) => match self.fanout.as_deref_mut() {
                Some(fanout) => fanout.poll(&mut self.slot, router, cx),
                // No routee left to take it.
                None => {
                    let envelope = self.slot.take().expect("a send polled after it completed");
                    router.dead_letter(&envelope.msg);
                    Poll::Ready(Err(envelope))
                }
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
            Target::Remote(_) => self.slot.take(),
            Target::Routed(_) => match &self.fanout {
                Some(fanout) => self.slot.abandon(&fanout.current.mailbox),
                None => self.slot.take(),
            },
        }
    }
}

impl<A: Actor> Fanout<A> {
    /// Sends to the current routee, then to each after it, until every one has been tried.
    fn poll(
        &mut self,
        slot: &mut SendSlot<Envelope<A>>,
        router: &RouterCell<A>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Envelope<A>>> {
        loop {
            let refused = match slot.poll_send(&self.current.mailbox, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => {
                    self.delivered = true;
                    None
                }
                Poll::Ready(Err(envelope)) => Some(envelope),
            };
            let Some(next) = self.rest.pop() else {
                return match refused {
                    Some(envelope) if !self.delivered => {
                        router.dead_letter(&envelope.msg);
                        Poll::Ready(Err(envelope))
                    }
                    Some(envelope) => {
                        self.current.dead_letter(&envelope.msg);
                        Poll::Ready(Ok(()))
                    }
                    None => Poll::Ready(Ok(())),
                };
            };
            let envelope = match refused {
                // Not taken anywhere yet: the message itself (with an ask's reply slot)
                // goes on to the next routee.
                Some(envelope) if !self.delivered => envelope,
                refused => {
                    if let Some(envelope) = refused {
                        self.current.dead_letter(&envelope.msg);
                    }
                    let msg = if self.rest.is_empty() {
                        self.copy.take()
                    } else {
                        self.copy.as_ref().map(self.clone)
                    };
                    match msg {
                        Some(msg) => Envelope::tell(msg),
                        // Unreachable: a copy is kept while a routee is still to come.
                        None => return Poll::Ready(Ok(())),
                    }
                }
            };
            self.current = next;
            *slot = SendSlot::new(envelope);
        }
    }
}

impl<A: Actor> Drop for Delivery<A> {
    #[inline]
    fn drop(&mut self) {
        match &self.core.target {
            Target::Local(cell) => self.slot.leave(&cell.mailbox),
            Target::Remote(_) => {}
            Target::Routed(_) => {
                if let Some(fanout) = &self.fanout {
                    self.slot.leave(&fanout.current.mailbox);
                }
            }
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

    /// The first strong ref to a new router.
    pub(crate) fn new_router(router: Arc<RouterCell<A>>) -> Self {
        router.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore {
            target: Target::Routed(router),
        }
    }

    /// A strong ref to an actor on another node.
    pub(crate) fn new_remote(remote: Arc<RemoteCell<A>>) -> Self {
        remote.strong_refs.fetch_add(1, Ordering::Relaxed);
        RefCore {
            target: Target::Remote(remote),
        }
    }

    /// A new strong ref, unless the count is already zero (the actor is on its way out).
    pub(crate) fn upgrade(target: &Target<A>) -> Option<Self> {
        let strong_refs = target.strong_refs();
        let mut count = strong_refs.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            match strong_refs.compare_exchange_weak(
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
        self.target.strong_refs().fetch_add(1, Ordering::Relaxed);
        RefCore {
            target: self.target.clone(),
        }
    }
}

impl<A: Actor> Drop for RefCore<A> {
    fn drop(&mut self) {
        match &self.target {
            Target::Local(cell) => cell.release_strong(),
            // The far actor is kept alive by its own node's refs, not by these.
            Target::Remote(remote) => {
                remote.strong_refs.fetch_sub(1, Ordering::Release);
            }
            Target::Routed(router) => {
                if router.strong_refs.fetch_sub(1, Ordering::Release) == 1 {
                    atomic::fence(Ordering::Acquire);
                    router.route.refs_dropped(router);
                }
            }
        }
    }
}
