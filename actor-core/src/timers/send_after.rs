//! [`ActorRef::send_after`]: a message sent to any actor after a delay, from anywhere (Akka's
//! `ScheduleTellOnce`), and its handle, [`ScheduledSend`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::actor::Actor;
use crate::address::actor_ref::ActorRef;
use crate::error::SendError;
use crate::mailbox::envelope::Envelope;
use crate::request::tell::Tell;

/// The send waits for its delay; [`ScheduledSend::cancel`] can still stop it.
const WAITING: u8 = 0;
/// The delay is over and the message is on its way: too late to cancel.
const SENDING: u8 = 1;
/// Cancelled before its delay was over: the message is never sent.
const CANCELLED: u8 = 2;

impl<A: Actor> ActorRef<A> {
    /// Sends `msg` to the actor after `delay` (Akka's `ScheduleTellOnce`), from anywhere:
    /// an actor, a task, or a thread outside any runtime. Returns at once with a handle
    /// that can [`cancel`](ScheduledSend::cancel) the send and, awaited, says how it went.
    ///
    /// The delay runs on the system's clock (tokio's paused time in tests). Dropping the
    /// handle does not cancel the send, as dropping a tokio `JoinHandle` does not abort its
    /// task: `actor.send_after(delay, msg);` is fire and forget.
    ///
    /// The send holds a strong ref to the actor until the message is sent, as a `Tell` in
    /// flight does, so an actor that would stop when its last ref is dropped stays alive
    /// until then, handles the message, and stops after. An actor stopped meanwhile ends
    /// the wait at once: the send resolves with the message handed back. Inside an actor,
    /// prefer its own timers ([`Context::start_single_timer`](crate::Context::start_single_timer)),
    /// which are exact to cancel and end with the actor.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use actor_core::prelude::*;
    /// use actor_core::ScheduledSendError;
    /// # #[actor] struct Alarm { rung: bool }
    /// # #[actor] impl Alarm {
    /// #     #[message] fn ring(&mut self) { self.rung = true; }
    /// #     #[message] fn rung(&self) -> bool { self.rung }
    /// # }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// # let system = ActorSystem::new();
    /// let alarm = system.spawn(Alarm { rung: false }).unwrap();
    /// let send = alarm.send_after(Duration::from_secs(60), AlarmMsg::Ring);
    /// send.await.unwrap(); // sixty (paused) seconds later, it is in the mailbox
    /// assert!(alarm.rung().await.unwrap());
    ///
    /// let snoozed = alarm.send_after(Duration::from_secs(60), AlarmMsg::Ring);
    /// assert!(snoozed.cancel());
    /// assert!(matches!(snoozed.await, Err(ScheduledSendError::Cancelled)));
    /// # }
    /// ```
    pub fn send_after(&self, delay: Duration, msg: A::Msg) -> ScheduledSend<A> {
        let core = self.core().clone();
        let state = Arc::new(AtomicU8::new(WAITING));
        let clock = self.target().clock();
        // Made here, so the delay counts from this call rather than from the task's start.
        let sleep = clock.sleep(delay);
        let task_state = Arc::clone(&state);
        let task = clock.spawn(async move {
            tokio::select! {
                biased;
                () = sleep => {}
                _ = core.target().stopped() => {}
            }
            if task_state
                .compare_exchange(WAITING, SENDING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return Err(ScheduledSendError::Cancelled);
            }
            Tell::new(core, Envelope::tell(msg))
                .await
                .map_err(|SendError(msg)| ScheduledSendError::Closed(msg))
        });
        ScheduledSend { state, task }
    }
}

/// A message on its way to an actor after a delay: made by
/// [`ActorRef::send_after`]. Cancel it with [`cancel`](Self::cancel); await it to learn
/// whether the message reached the mailbox. Dropping it lets the send go on.
///
/// # Cancel safety
///
/// Awaiting it is cancel safe: dropping the future (this handle) neither cancels the send
/// nor loses its message, which is sent or handed back inside the send's task.
pub struct ScheduledSend<A: Actor> {
    state: Arc<AtomicU8>,
    task: JoinHandle<Result<(), ScheduledSendError<A::Msg>>>,
}

impl<A: Actor> ScheduledSend<A> {
    /// Cancels the send if its delay is not over yet; whether it did. A `true` is exact:
    /// the message is never sent (it is dropped in the send's task). A `false` means it was
    /// sent, is being sent, or was cancelled before.
    pub fn cancel(&self) -> bool {
        let cancelled = self
            .state
            .compare_exchange(WAITING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if cancelled {
            // Frees the sleep and the ref now, not when the delay would have ended.
            self.task.abort();
        }
        cancelled
    }

    /// Whether the send has finished: sent, refused or cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl<A: Actor> Future for ScheduledSend<A> {
    type Output = Result<(), ScheduledSendError<A::Msg>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(Pin::new(&mut self.task).poll(cx)) {
            Ok(outcome) => Poll::Ready(outcome),
            // Aborted by `cancel`, or dropped with its runtime before the delay was over.
            Err(_) => Poll::Ready(Err(ScheduledSendError::Cancelled)),
        }
    }
}

impl<A: Actor> fmt::Debug for ScheduledSend<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Ordering::Acquire) {
            WAITING => "waiting",
            SENDING => "sending",
            _ => "cancelled",
        };
        f.debug_struct("ScheduledSend")
            .field("state", &state)
            .field("finished", &self.task.is_finished())
            .finish()
    }
}

/// Why a [`ScheduledSend`] did not put its message in the mailbox.
#[non_exhaustive]
pub enum ScheduledSendError<M> {
    /// The actor no longer accepted messages when the delay was over (or it stopped
    /// during the delay); the message is handed back.
    Closed(M),
    /// [`ScheduledSend::cancel`] cancelled it, or its runtime shut down during the delay:
    /// the message was dropped unsent.
    Cancelled,
}

impl<M> ScheduledSendError<M> {
    /// Takes the unsent message back, if the send has it.
    pub fn into_message(self) -> Option<M> {
        match self {
            ScheduledSendError::Closed(msg) => Some(msg),
            ScheduledSendError::Cancelled => None,
        }
    }
}

impl<M> fmt::Debug for ScheduledSendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduledSendError::Closed(_) => f.write_str("Closed(..)"),
            ScheduledSendError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl<M> fmt::Display for ScheduledSendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduledSendError::Closed(_) => {
                f.write_str("the actor is not running, so the scheduled message was not delivered")
            }
            ScheduledSendError::Cancelled => f.write_str("the scheduled send was cancelled"),
        }
    }
}

impl<M> std::error::Error for ScheduledSendError<M> {}
