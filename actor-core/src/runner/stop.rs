//! The end of an actor: its last hooks, its children stopped first, and, however its task
//! ends, its end told to its watchers, its supervisor and the registry.

use std::sync::Arc;

use crate::actor::Actor;
use crate::context::Context;
use crate::error::FailureKind;
use crate::events::SystemEvent;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::mailbox::signal::SystemSignal;
use crate::runner::catch::{catch, drop_instance};
use crate::runner::Runner;

/// Marks the actor stopped, tells its watchers and its parent, and removes it from the
/// system however its task ends, including by abort, when this guard is dropped with the
/// task's future. It owns the actor's context, which knows all of those.
pub(super) struct TerminationGuard<A: Actor> {
    pub(super) ctx: Context<A>,
    pub(super) reason: Option<StopReason>,
}

impl<A: Actor> TerminationGuard<A> {
    /// Records why the actor stopped, for the drop to announce; without it, the task was
    /// aborted.
    pub(super) fn stopped(&mut self, reason: StopReason) {
        self.reason = Some(reason);
    }
}

impl<A: Actor> Drop for TerminationGuard<A> {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or(StopReason::Aborted);
        // The actors it watched forget it now, not when they stop.
        self.ctx.unwatch_all();
        let cell = self.ctx.cell();
        let system = self.ctx.system();
        let id = cell.id;
        // Unregister first: whoever wakes up on the status or the `Terminated` may spawn
        // under the same name at once.
        system.unregister(id);
        self.ctx.parent_supervisor().remove(id);
        // Published before the status says so: whoever awaited the end (`terminated`,
        // `shutdown`) finds its `Stopped` event in the channel already.
        if cell.events.is_observed() {
            system.publish(SystemEvent::Stopped {
                actor: id,
                path: Arc::clone(cell.path()),
                reason: reason.clone(),
            });
        }
        cell.status().set(ActorStatus::Stopped(reason.clone()));
        cell.notify_watchers(&reason);
    }
}

impl<A: Actor> Runner<A> {
    /// Runs the remaining hooks, stops the children, and says why the actor stopped.
    /// `stopping` runs unless a drain already ran it; a failure skips it, since the state
    /// that panicked may be broken, but `stopped` still runs (as Akka runs `PostStop`).
    pub(super) async fn finish(
        &mut self,
        actor: Option<A>,
        mut reason: StopReason,
        ctx: &mut Context<A>,
    ) -> StopReason {
        self.mailbox.close();
        ctx.toolbox_stopping();
        ctx.cell().status().set(ActorStatus::Stopping);
        let mode = if self.is_draining() {
            StopMode::Graceful
        } else {
            StopMode::Immediate
        };
        let Some(mut actor) = actor else {
            ctx.close();
            stop_children(ctx, mode, children_reason(&reason)).await;
            return reason;
        };
        let stopping_ran = self
            .lifecycle
            .as_ref()
            .is_some_and(|state| state.stopping_ran);
        if !stopping_ran && !matches!(reason, StopReason::Failed(_)) {
            self.lifecycle().stopping_ran = true;
            if let Err(failure) =
                catch(FailureKind::HookPanic, async { actor.stopping(ctx).await }).await
            {
                reason = StopReason::Failed(failure);
            }
        }
        // Children stop first, so `stopped` sees a parent with no children left, and it
        // can spawn no new ones that would outlive it.
        ctx.close();
        stop_children(ctx, mode, children_reason(&reason)).await;
        let stopped = catch(FailureKind::HookPanic, async { actor.stopped(ctx).await }).await;
        let dropped = drop_instance(actor);
        if let Err(failure) = stopped.and(dropped) {
            if !matches!(reason, StopReason::Failed(_)) {
                reason = StopReason::Failed(failure);
            }
        }
        reason
    }
}

/// Why a stopping parent's children stop: shutdown is passed down, anything else is the
/// parent's request.
pub(super) fn children_reason(parent_reason: &StopReason) -> StopReason {
    match parent_reason {
        StopReason::Shutdown => StopReason::Shutdown,
        _ => StopReason::Requested,
    }
}

/// Stops every child (each stops its own children first) and waits until they have.
pub(super) async fn stop_children<A: Actor>(
    ctx: &mut Context<A>,
    mode: StopMode,
    reason: StopReason,
) {
    let children = ctx.take_children();
    for child in &children {
        let _ = child
            .handle
            .send(SystemSignal::ParentStop(mode, reason.clone()));
    }
    for child in children {
        // A child's task always ends (or is aborted at shutdown), and its guard sets the
        // status, so this wait is bounded by the child's own stop.
        let _ = child.handle.status().stopped().await;
    }
}
