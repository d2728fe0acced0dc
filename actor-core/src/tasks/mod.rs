//! Tasks and streams tied to an actor's life: a future whose output comes back as a
//! message (Akka's `PipeTo`), a stream whose items come in as messages with backpressure.

use crate::actor::Actor;

/// The tasks an actor runs beside itself. Lives in its context's toolbox.
pub(crate) struct Tasks<A: Actor> {
    _actor: std::marker::PhantomData<fn() -> A>,
}

impl<A: Actor> Default for Tasks<A> {
    fn default() -> Self {
        Tasks {
            _actor: std::marker::PhantomData,
        }
    }
}

impl<A: Actor> Tasks<A> {
    /// Aborts every task and drops every stream: the actor stops or restarts.
    pub(crate) fn abort_all(&mut self) {}
}
