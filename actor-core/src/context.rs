//! [`Context`]: what a running actor knows about itself.

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::actor_ref::{ActorCell, ActorId, ActorRef, RefCore, WeakActorRef};
use crate::lifecycle::StopMode;
use crate::system::ActorSystem;

/// The running actor's view of itself: its ref, its system, and how to stop itself.
///
/// A handler receives it by declaring a `ctx: &mut Context<Self>` argument (right after
/// `self`); `#[actor]` passes it in.
pub struct Context<A: Actor> {
    cell: Arc<ActorCell<A>>,
    system: ActorSystem,
    stop_request: Option<StopMode>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<ActorCell<A>>, system: ActorSystem) -> Self {
        Context {
            cell,
            system,
            stop_request: None,
        }
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// The name it was spawned with, if any.
    pub fn name(&self) -> Option<&str> {
        self.cell.name.as_deref()
    }

    /// A strong ref to this actor, to hand to others (for example so they can reply with a
    /// tell). Holding it keeps the actor alive: store a [`weak_ref`](Self::weak_ref) in
    /// the actor's own state instead, or the actor never stops for lack of refs.
    pub fn actor_ref(&self) -> ActorRef<A> {
        ActorRef::from_core(RefCore::new_strong(Arc::clone(&self.cell)))
    }

    /// A weak ref to this actor.
    pub fn weak_ref(&self) -> WeakActorRef<A> {
        WeakActorRef::from_cell(Arc::clone(&self.cell))
    }

    /// The system the actor runs in, for spawning other actors.
    pub fn system(&self) -> &ActorSystem {
        &self.system
    }

    /// Stops this actor gracefully once the current handler returns: new messages are
    /// refused, queued ones are still handled.
    pub fn stop(&mut self) {
        self.stop_request.get_or_insert(StopMode::Graceful);
    }

    /// Stops this actor once the current handler returns; queued messages are dropped.
    pub fn stop_now(&mut self) {
        self.stop_request = Some(StopMode::Immediate);
    }

    pub(crate) fn take_stop_request(&mut self) -> Option<StopMode> {
        self.stop_request.take()
    }

    pub(crate) fn cell(&self) -> &Arc<ActorCell<A>> {
        &self.cell
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("type", &std::any::type_name::<A>())
            .field("id", &self.cell.id)
            .field("name", &self.cell.name)
            .finish_non_exhaustive()
    }
}
