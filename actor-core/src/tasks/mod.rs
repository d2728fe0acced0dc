//! Tasks and streams tied to an actor's life: a future whose output comes back as a
//! message (Akka's `PipeTo`), a stream whose items come in as messages with backpressure.
//!
//! Each runs as a tokio task of its own, beside the actor's, and sends to the actor's
//! mailbox like any sender: it waits for room, so a slow actor slows its stream down. It
//! holds the actor's cell, not a strong ref, so it does not keep the actor alive. The
//! actor's context keeps an abort handle of each, and aborts them all when the actor stops
//! or restarts; a panic inside one fails the actor (see [`guard`]).

pub(crate) mod deliver;
pub(crate) mod stream;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::error::{Failure, FailureKind};
use crate::tasks::deliver::deliver;

/// The tasks an actor runs beside itself. Lives in its context's toolbox.
pub(crate) struct Tasks<A: Actor> {
    /// The abort handles of the tasks it spawned; finished ones are pruned as it grows.
    running: Vec<AbortHandle>,
    _actor: std::marker::PhantomData<fn() -> A>,
}

impl<A: Actor> Default for Tasks<A> {
    fn default() -> Self {
        Tasks {
            running: Vec::new(),
            _actor: std::marker::PhantomData,
        }
    }
}

impl<A: Actor> Tasks<A> {
    /// Spawns `task` on `runtime`, to be aborted with the others.
    pub(crate) fn spawn(
        &mut self,
        runtime: &Handle,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> TaskHandle {
        // Pruned only when the vector would grow, so the cost per spawn stays constant and
        // the vector holds at most about twice the most tasks ever running at once.
        if self.running.len() == self.running.capacity() {
            self.running.retain(|task| !task.is_finished());
        }
        let abort = runtime.spawn(task).abort_handle();
        self.running.push(abort.clone());
        TaskHandle { abort }
    }

    /// Aborts every task and drops every stream: the actor stops or restarts.
    pub(crate) fn abort_all(&mut self) {
        for task in self.running.drain(..) {
            task.abort();
        }
    }

    /// How many tasks it keeps a handle of (finished ones not yet pruned included).
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.running.len()
    }
}

impl<A: Actor> Drop for Tasks<A> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// A handle to a task or a stream that an actor runs beside itself
/// ([`Context::spawn_task`](crate::Context::spawn_task),
/// [`Context::attach_stream`](crate::Context::attach_stream)), to abort that one alone.
///
/// Dropping it does not abort the task (as with tokio's `JoinHandle`): the task lives
/// until it ends, is aborted, or the actor stops or restarts.
#[derive(Debug, Clone)]
pub struct TaskHandle {
    abort: AbortHandle,
}

impl TaskHandle {
    /// Aborts the task: its future (or stream) is dropped at its next await point, and its
    /// output is not sent. A message it had already put in the mailbox is still handled.
    /// A no-op on a finished task.
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has ended: its message sent (or refused, the actor being gone),
    /// aborted, or panicked.
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }
}

/// A pipe-to task: awaits `future`, makes its output a message with `to_message`, and sends
/// it to the actor, waiting for room in its mailbox.
pub(crate) fn pipe<A, F, M>(
    cell: Arc<ActorCell<A>>,
    future: F,
    to_message: M,
) -> impl Future<Output = ()> + Send + 'static
where
    A: Actor,
    F: Future + Send + 'static,
    M: FnOnce(F::Output) -> A::Msg + Send + 'static,
{
    let owner = Arc::clone(&cell);
    guard(owner, async move {
        let msg = to_message(future.await);
        // Refused only when the actor no longer takes messages; it was counted as a
        // dead letter, and there is no one to tell.
        let _ = deliver(&cell, msg).await;
    })
}

/// Runs `task` so that a panic in it (the user's future, stream or closure) fails the
/// actor, as a crashed linked process fails its OTP partner, instead of vanishing into a
/// tokio `JoinError` nobody reads. The actor's supervisor then decides, as for a panic in
/// a handler. A panic that arrives after the actor is gone is dropped.
pub(crate) fn guard<A: Actor>(
    cell: Arc<ActorCell<A>>,
    task: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    AssertUnwindSafe(task).catch_unwind().map(move |outcome| {
        if let Err(payload) = outcome {
            let failure = Failure::from_panic(FailureKind::TaskPanic, &*payload);
            let _ = cell.fail(failure);
        }
    })
}
