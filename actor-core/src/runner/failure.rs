//! A failure, as the failed actor's task carries it: reported to its supervisor, which
//! decides in this task (`supervision::supervisor`), then what the decision asks: go on,
//! wait suspended, restart alone or together with the siblings, or stop.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{Failure, FailureKind};
use crate::events::SystemEvent;
use crate::lifecycle::{ActorStatus, StopReason};
use crate::mailbox::signal::SystemSignal;
use crate::runner::catch::{catch, drop_instance};
use crate::runner::{stop_reason, Phase, Runner, Waited};
use crate::supervision::decision::ChildExit;
use crate::supervision::supervisor::Verdict;

impl<A: Actor> Runner<A> {
    /// After a failure (or a permanent child's self-stop): decide, in this task, from the
    /// supervisor's strategy, and carry the decision out.
    pub(super) async fn supervised(
        &mut self,
        actor: Option<A>,
        exit: ChildExit,
        ctx: &mut Context<A>,
    ) -> Phase<A> {
        // A child's escalation still waiting is moot: that child follows this actor's fate.
        self.signals.forget_failure();
        let failure = match &exit {
            ChildExit::Failed(failure) => Some(failure.clone()),
            ChildExit::StoppedItself => None,
        };
        if let Some(failure) = &failure {
            ctx.system().publish(SystemEvent::Failed {
                actor: ctx.id(),
                path: Arc::clone(ctx.cell().path()),
                failure: failure.clone(),
            });
        }
        // Its subtree waits with it until its supervisor decides (Akka suspends a failed
        // actor's children); a resume resumes them, a restart or a stop stops them.
        ctx.cell().status().set(ActorStatus::Suspended);
        ctx.tell_children(|| SystemSignal::Suspend);
        let verdict = ctx
            .parent_supervisor()
            .decide(ctx.id(), exit, ctx.system().shared_events());
        match verdict {
            Verdict::Resume => match actor {
                Some(actor) => {
                    ctx.tell_children(|| SystemSignal::Resume);
                    self.mark_running(ctx);
                    Phase::Run(actor)
                }
                // Nothing to resume when the instance was never created.
                None => Phase::Stop(None, stop_reason(failure.as_ref())),
            },
            Verdict::Restart { delay, cause } => Phase::Restart(actor, delay, cause),
            Verdict::Stop(reason) => Phase::Stop(actor, reason),
            Verdict::Wait => {
                Phase::Suspended(actor, Some(failure.unwrap_or_else(Failure::stopped_itself)))
            }
        }
    }

    /// Handles no messages until the supervisor decides: after this actor's own failure
    /// (`failure`), or because its supervisor failed (`None`). A resume resumes its
    /// children too; a restart or a stop stops them.
    pub(super) async fn suspended(
        &mut self,
        actor: Option<A>,
        failure: Option<Failure>,
        ctx: &mut Context<A>,
    ) -> Phase<A> {
        if failure.is_none() {
            ctx.cell().status().set(ActorStatus::Suspended);
            ctx.tell_children(|| SystemSignal::Suspend);
        }
        loop {
            let signal = match self.wait_signal().await {
                Waited::Stop(reason) => {
                    let reason = match &failure {
                        Some(failure) => StopReason::Failed(failure.clone()),
                        None => reason,
                    };
                    return Phase::Stop(actor, reason);
                }
                Waited::Other(signal) => signal,
            };
            match signal {
                SystemSignal::Resume => {
                    ctx.tell_children(|| SystemSignal::Resume);
                    return match actor {
                        Some(actor) => {
                            self.mark_running(ctx);
                            Phase::Run(actor)
                        }
                        None => Phase::Stop(None, stop_reason(failure.as_ref())),
                    };
                }
                SystemSignal::Teardown { cause, done } => {
                    return Phase::Teardown(actor, cause, done)
                }
                // A failure while its supervisor has failed is a failure of its own.
                SystemSignal::Failed(own) if failure.is_none() => {
                    return Phase::Exited(actor, ChildExit::Failed(own));
                }
                SystemSignal::Start { done } => {
                    let _ = done.send(());
                }
                // Already failed: a child's escalation adds nothing, and the child follows
                // this actor's fate. Already suspended: nothing more to suspend.
                _ => {}
            }
        }
    }

    /// Replaces the instance after `delay`, with a new one from the factory.
    pub(super) async fn restart(
        &mut self,
        actor: Option<A>,
        delay: Duration,
        cause: Failure,
        ctx: &mut Context<A>,
    ) -> Phase<A> {
        if !self.factory.can_recreate() {
            // Stopped instead, and as any stop after a failure, with its `stopped` hook.
            return Phase::Stop(actor, StopReason::Failed(Failure::not_recreatable()));
        }
        self.tear_down(actor, &cause, ctx).await;
        // The back-off, boxed: only a strategy with one pays for the timer. And while its
        // supervisor has failed (`held`), the new instance waits for it to be resumed, as
        // the rest of the subtree does.
        let mut back_off = (!delay.is_zero()).then(|| Box::pin(ctx.system().sleep(delay)));
        let mut held = false;
        loop {
            let waited = match back_off.as_mut() {
                Some(sleep) => tokio::select! {
                    biased;
                    waited = self.wait_signal() => Some(waited),
                    () = sleep => None,
                },
                None if held => Some(self.wait_signal().await),
                None => break,
            };
            let Some(waited) = waited else {
                back_off = None;
                continue;
            };
            match waited {
                Waited::Stop(reason) => return Phase::Stop(None, reason),
                // Siblings restarted together: already torn down, it waits for its turn
                // to start instead.
                Waited::Other(SystemSignal::Teardown { done, .. }) => {
                    let _ = done.send(());
                    return self.wait_to_start(cause).await;
                }
                Waited::Other(SystemSignal::Start { done }) => {
                    let _ = done.send(());
                }
                Waited::Other(SystemSignal::Suspend) => held = true,
                Waited::Other(SystemSignal::Resume) => held = false,
                Waited::Other(_) => {}
            }
        }
        Phase::Start {
            restart: Some(cause),
        }
    }

    /// Tears the instance down for a restart together with its siblings, says so, and
    /// waits for its turn to start.
    pub(super) async fn teardown_together(
        &mut self,
        actor: Option<A>,
        cause: Failure,
        done: oneshot::Sender<()>,
        ctx: &mut Context<A>,
    ) -> Phase<A> {
        if !self.factory.can_recreate() {
            let _ = done.send(());
            return Phase::Stop(actor, StopReason::Failed(Failure::not_recreatable()));
        }
        self.tear_down(actor, &cause, ctx).await;
        let _ = done.send(());
        self.wait_to_start(cause).await
    }

    pub(super) async fn wait_to_start(&mut self, cause: Failure) -> Phase<A> {
        loop {
            match self.wait_signal().await {
                Waited::Stop(reason) => return Phase::Stop(None, reason),
                Waited::Other(SystemSignal::Start { done }) => {
                    self.lifecycle().started_ack = Some(done);
                    return Phase::Start {
                        restart: Some(cause),
                    };
                }
                Waited::Other(SystemSignal::Teardown { done, .. }) => {
                    let _ = done.send(());
                }
                Waited::Other(_) => {}
            }
        }
    }

    /// The old instance's part of a restart: its `pre_restart` (a panic in it, or in the
    /// state's `Drop`, does not stop the restart: the instance is going anyway), then its
    /// children are stopped, as Akka does; the new instance spawns new ones.
    pub(super) async fn tear_down(
        &mut self,
        actor: Option<A>,
        cause: &Failure,
        ctx: &mut Context<A>,
    ) {
        ctx.cell().status().set(ActorStatus::Restarting);
        // The instance that an escalation was meant for is going; the new one must not
        // fail of it (its children are stopped below).
        self.signals.forget_failure();
        // Its timers and tasks end before its `pre_restart`, so none fires into it.
        ctx.toolbox_restarting();
        if let Some(mut actor) = actor {
            let _ = catch(FailureKind::HookPanic, async {
                actor.pre_restart(cause, ctx).await
            })
            .await;
            let _ = drop_instance(actor);
        }
        // A stop or failure asked for by the old instance's hook dies with it.
        let _ = ctx.take_stop_request();
        let _ = ctx.take_failure();
        stop_children_at_once(ctx).await;
        ctx.forget_restarts();
    }
}

/// Stops every child for its parent's restart: at once, a handler waiting at an await
/// point included (Akka.NET handles a stop while an async handler waits), so that no
/// child's wait holds the restart up. Each stops its own children first; this waits until
/// they all have.
pub(super) async fn stop_children_at_once<A: Actor>(ctx: &mut Context<A>) {
    let children = ctx.take_children();
    for child in &children {
        child.handle.stop_urgently();
    }
    for child in children {
        let _ = child.handle.status().stopped().await;
    }
}
