//! The task that runs one actor: its lifecycle and its message loop.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::mpsc;

use crate::actor::Actor;
use crate::actor_ref::ActorCell;
use crate::context::Context;
use crate::error::{Failure, FailureKind};
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal};
use crate::mailbox::{Envelope, MailboxReceiver};
use crate::props::Factory;
use crate::system::ActorSystem;

/// Marks the actor stopped and removes it from the system however its task ends,
/// including by abort, when this guard is dropped with the task's future.
struct TerminationGuard<A: Actor> {
    cell: Arc<ActorCell<A>>,
    system: ActorSystem,
    reason: Option<StopReason>,
}

impl<A: Actor> Drop for TerminationGuard<A> {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or(StopReason::Aborted);
        self.cell.status.send_replace(ActorStatus::Stopped(reason));
        self.system.unregister(self.cell.id);
    }
}

pub(crate) async fn run<A: Actor>(
    cell: Arc<ActorCell<A>>,
    mut factory: Factory<A>,
    mut mailbox: MailboxReceiver<A>,
    mut signals: mpsc::UnboundedReceiver<SystemSignal>,
    system: ActorSystem,
) {
    let mut guard = TerminationGuard {
        cell: Arc::clone(&cell),
        system: system.clone(),
        reason: None,
    };
    let mut ctx = Context::new(cell, system);
    // The factory is user code too: a panic in it fails the actor like a panic in a hook.
    let created = std::panic::catch_unwind(AssertUnwindSafe(|| factory.create()));
    let reason = match created {
        Ok(Some(actor)) => {
            let actor_loop = ActorLoop {
                actor,
                mailbox: &mut mailbox,
                signals: &mut signals,
                stopping_ran: false,
            };
            actor_loop.run(&mut ctx).await
        }
        // A one-shot factory asked twice; supervision will not restart such an actor.
        Ok(None) => StopReason::Aborted,
        Err(payload) => {
            StopReason::Failed(Failure::from_panic(FailureKind::FactoryPanic, &*payload))
        }
    };
    // Dropping the receiver drops what is still queued, so those asks resolve with
    // `Stopped` before the status says so.
    drop(mailbox);
    guard.reason = Some(reason);
}

/// Runs a future that may panic; a panic becomes a [`Failure`] of `kind`.
async fn catch<T>(kind: FailureKind, future: impl Future<Output = T>) -> Result<T, Failure> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|payload| Failure::from_panic(kind, &*payload))
}

struct ActorLoop<'a, A: Actor> {
    actor: A,
    mailbox: &'a mut MailboxReceiver<A>,
    signals: &'a mut mpsc::UnboundedReceiver<SystemSignal>,
    /// The `stopping` hook runs at most once, when the stop begins.
    stopping_ran: bool,
}

/// What the loop does after a signal or a message.
enum Next {
    Continue,
    /// Stop now: skip whatever is queued.
    StopNow(StopReason),
}

impl<A: Actor> ActorLoop<'_, A> {
    async fn run(mut self, ctx: &mut Context<A>) -> StopReason {
        if let Err(failure) = catch(FailureKind::HookPanic, self.actor.started(ctx)).await {
            return self.finish(ctx, StopReason::Failed(failure)).await;
        }
        ctx.cell().status.send_replace(ActorStatus::Running);

        // Set once a graceful stop has begun; the loop then drains the closed mailbox.
        let mut draining: Option<StopReason> = None;
        loop {
            let envelope = tokio::select! {
                // System signals first: a stop must not wait behind user messages.
                biased;
                Some(signal) = self.signals.recv() => {
                    match self.on_signal(signal, ctx, &mut draining).await {
                        Next::Continue => continue,
                        Next::StopNow(reason) => return self.finish(ctx, reason).await,
                    }
                }
                envelope = self.mailbox.recv() => envelope,
            };
            // `None` only after the mailbox was closed and drained: the cell keeps a sender.
            let Some(Envelope { msg, reply }) = envelope else {
                let reason = draining.take().unwrap_or(StopReason::Requested);
                return self.finish(ctx, reason).await;
            };
            match catch(FailureKind::HandlerPanic, self.actor.handle(msg, ctx)).await {
                Ok(value) => {
                    if let Some(reply) = reply {
                        // The asker may have timed out and gone; nothing to do then.
                        let _ = reply.send(Ok(value));
                    }
                }
                Err(failure) => {
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(failure.clone()));
                    }
                    return self.finish(ctx, StopReason::Failed(failure)).await;
                }
            }
            if let Some(mode) = ctx.take_stop_request() {
                let signal = SystemSignal::Stop(mode, StopReason::Requested);
                if let Next::StopNow(reason) = self.on_signal(signal, ctx, &mut draining).await {
                    return self.finish(ctx, reason).await;
                }
            }
        }
    }

    async fn on_signal(
        &mut self,
        signal: SystemSignal,
        ctx: &mut Context<A>,
        draining: &mut Option<StopReason>,
    ) -> Next {
        match signal {
            SystemSignal::Stop(StopMode::Immediate, reason) => Next::StopNow(reason),
            SystemSignal::Stop(StopMode::Graceful, reason) => {
                self.begin_drain(ctx, draining, reason).await
            }
            SystemSignal::RefsDropped => {
                // The actor may have handed out a new ref to itself since the signal was sent.
                if ctx.cell().strong_refs.load(Ordering::Acquire) == 0 {
                    self.begin_drain(ctx, draining, StopReason::RefsDropped)
                        .await
                } else {
                    Next::Continue
                }
            }
        }
    }

    async fn begin_drain(
        &mut self,
        ctx: &mut Context<A>,
        draining: &mut Option<StopReason>,
        reason: StopReason,
    ) -> Next {
        if draining.is_some() {
            return Next::Continue;
        }
        self.mailbox.close();
        ctx.cell().status.send_replace(ActorStatus::Stopping);
        self.stopping_ran = true;
        if let Err(failure) = catch(FailureKind::HookPanic, self.actor.stopping(ctx)).await {
            return Next::StopNow(StopReason::Failed(failure));
        }
        *draining = Some(reason);
        Next::Continue
    }

    /// Runs the remaining hooks and says why the actor stopped. `stopping` runs here
    /// unless a drain already ran it; a failure skips it, since the state that panicked
    /// may be broken, but still runs `stopped` (as Akka runs `PostStop`).
    async fn finish(mut self, ctx: &mut Context<A>, mut reason: StopReason) -> StopReason {
        self.mailbox.close();
        ctx.cell().status.send_replace(ActorStatus::Stopping);
        if !self.stopping_ran && !matches!(reason, StopReason::Failed(_)) {
            self.stopping_ran = true;
            if let Err(failure) = catch(FailureKind::HookPanic, self.actor.stopping(ctx)).await {
                reason = StopReason::Failed(failure);
            }
        }
        if let Err(failure) = catch(FailureKind::HookPanic, self.actor.stopped(ctx)).await {
            if !matches!(reason, StopReason::Failed(_)) {
                reason = StopReason::Failed(failure);
            }
        }
        reason
    }
}
