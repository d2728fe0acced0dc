//! The running actor: its messages, and the system signals that come first.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context as TaskContext, Poll};

use crate::actor::Actor;
use crate::context::Context;
use crate::death_watch::Terminated;
use crate::error::FailureKind;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::mailbox::envelope::{Envelope, NoReply};
use crate::mailbox::signal::{SystemSignal, Urgent};
use crate::runner::catch::{catch, catch_or_fail, catch_pinned};
use crate::runner::{failed_by, Phase, Runner, Signals, Transition};
use crate::supervision::decision::ChildExit;
use crate::supervision::strategy::RestartPolicy;

/// The next thing for the actor to do: a system signal first, else a message. A future
/// of its own rather than a `poll_fn`, so that it is inlined into the actor's task: it is
/// polled twice per message.
struct Next<'a, A: Actor> {
    /// The runner whole rather than its mailbox and lane apart: a reference less in every
    /// idle actor's task.
    runner: &'a mut Runner<A>,
    ctx: &'a mut Context<A>,
}

impl<A: Actor> Future for Next<'_, A> {
    type Output = Result<Option<Envelope<A>>, SystemSignal>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Runner {
            mailbox, signals, ..
        } = &mut *this.runner;
        if let Some(signal) = signals.try_recv() {
            return Poll::Ready(Err(signal));
        }
        // Unstashed messages and the timers' come before the mailbox. A timer whose
        // message closure panicked fails the actor as a failure signal would.
        match this.ctx.poll_own_message(cx) {
            Poll::Ready(Ok(envelope)) => return Poll::Ready(Ok(Some(envelope))),
            Poll::Ready(Err(failure)) => return Poll::Ready(Err(SystemSignal::Failed(failure))),
            Poll::Pending => {}
        }
        if let Poll::Ready(envelope) = mailbox.poll_recv(cx) {
            // Closed from outside: the stop signal was queued before the close, so it
            // is read first and the actor stops the way it says.
            if envelope.is_none() {
                if let Some(signal) = signals.try_recv() {
                    return Poll::Ready(Err(signal));
                }
            }
            return Poll::Ready(Ok(envelope));
        }
        // The mailbox registered the task, and a signal wakes it through the mailbox:
        // one check more catches a signal sent before that registration.
        match signals.try_recv() {
            Some(signal) => Poll::Ready(Err(signal)),
            None => Poll::Pending,
        }
    }
}

impl<A: Actor> Runner<A> {
    /// Waits for the next signal or message. Signals come first, so a stop never waits
    /// behind user messages (checking the lane costs one atomic load while it is empty);
    /// then the mailbox, whose waker slot serves both: a signal wakes the actor through it.
    fn next<'a>(&'a mut self, ctx: &'a mut Context<A>) -> Next<'a, A> {
        Next { runner: self, ctx }
    }

    /// Handles messages until something else is to be done. Only the handler's future is
    /// awaited in place; the rare ones (signals, hooks, stops) are boxed, so that their
    /// futures do not make every idle actor's task bigger.
    pub(super) async fn message_loop(&mut self, mut actor: A, ctx: &mut Context<A>) -> Phase<A> {
        if self.lifecycle.is_some() {
            let transition = Box::pin(self.catch_up(&mut actor, ctx)).await;
            if !matches!(transition, Transition::Continue) {
                return transition.into_phase(actor);
            }
        }
        loop {
            let msg = match self.next(ctx).await {
                Ok(Some(envelope)) => {
                    ctx.set_reply(envelope.reply);
                    envelope.msg
                }
                // Only after the mailbox was closed and drained: the cell keeps a sender.
                // The drain's reason stays set: `finish` stops the children the same way.
                Ok(None) => {
                    let reason = self
                        .lifecycle
                        .as_ref()
                        .and_then(|state| state.draining.clone())
                        .unwrap_or(StopReason::Requested);
                    return Phase::Stop(Some(actor), reason);
                }
                Err(signal) => {
                    let transition = Box::pin(self.on_signal(signal, &mut actor, ctx)).await;
                    if matches!(transition, Transition::Continue) {
                        continue;
                    }
                    return transition.into_phase(actor);
                }
            };
            // Named before the handler takes the message, for a failure to say what it was
            // handling: a `match` on the variant, no allocation.
            let name = A::message_name(&msg);
            let handled = {
                // In an `Option`, so that a handler cancelled at an await point is dropped
                // inside the panic guard: its locals' `Drop` is user code.
                let mut slot = std::pin::pin!(Some(async { actor.handle(msg, ctx).await }));
                let handled = match slot.as_mut().as_pin_mut() {
                    Some(handler) => {
                        catch_pinned(FailureKind::HandlerPanic, handler, Some(&mut self.signals))
                            .await
                    }
                    None => continue,
                };
                if handled.is_err() {
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| slot.set(None)));
                }
                handled
            };
            // A slot the handler stashed with a message of another variant comes back.
            ctx.settle_stashed_reply(name);
            // Unless the handler took it to answer later.
            let reply = ctx.take_reply();
            let handled = match handled {
                Err(Urgent::Teardown { cause, done }) => {
                    // Torn down with its siblings in the middle of this message: the
                    // ask resolves as for any message an actor stopped before finishing.
                    drop(reply);
                    return Phase::Teardown(Some(actor), cause, done);
                }
                Err(Urgent::Stop) => {
                    drop(reply);
                    return Phase::Stop(Some(actor), StopReason::Requested);
                }
                Err(Urgent::Failed(failure)) => Err(failure),
                Ok(value) => Ok(value),
            };
            match handled {
                Ok(value) => {
                    if let Some(reply) = reply {
                        reply.send(Ok(value));
                    }
                }
                Err(failure) => {
                    let failure = failure.while_handling(name);
                    if let Some(reply) = reply {
                        reply.send(Err(NoReply::Failed(failure.clone())));
                    }
                    return Phase::Exited(Some(actor), ChildExit::Failed(failure));
                }
            }
            ctx.message_handled();
            if let Some(failure) = ctx.take_failure() {
                let failure = failure.while_handling(name);
                return Phase::Exited(Some(actor), ChildExit::Failed(failure));
            }
            if let Some(mode) = ctx.take_stop_request() {
                let transition = Box::pin(self.stop_requested(mode, &mut actor, ctx)).await;
                if !matches!(transition, Transition::Continue) {
                    return transition.into_phase(actor);
                }
            }
        }
    }

    /// What arrived while the actor could not run, applied now that it runs again: the
    /// death-watch signals, a graceful stop, the loss of its last ref.
    pub(super) async fn catch_up(&mut self, actor: &mut A, ctx: &mut Context<A>) -> Transition {
        let deferred = std::mem::take(&mut self.lifecycle().deferred);
        for terminated in deferred {
            let transition = self.terminated(terminated, actor, ctx).await;
            if !matches!(transition, Transition::Continue) {
                return transition;
            }
        }
        if let Some(reason) = self.lifecycle().drain_later.take() {
            return self.begin_drain(actor, ctx, reason).await;
        }
        if std::mem::take(&mut self.lifecycle().refs_dropped) {
            return self.on_signal(SystemSignal::RefsDropped, actor, ctx).await;
        }
        Transition::Continue
    }

    /// Delivers a death-watch signal; a stop the hook asks for takes effect right after it.
    pub(super) async fn terminated(
        &mut self,
        terminated: Terminated,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Transition {
        match deliver_terminated(actor, terminated, ctx, &mut self.signals).await {
            Ok(()) => {}
            Err(Urgent::Failed(failure)) => return Transition::Exited(ChildExit::Failed(failure)),
            Err(Urgent::Teardown { cause, done }) => return Transition::Teardown(cause, done),
            Err(Urgent::Stop) => return Transition::Stop(StopReason::Requested),
        }
        match ctx.take_stop_request() {
            Some(mode) => self.stop_requested(mode, actor, ctx).await,
            None => Transition::Continue,
        }
    }

    /// The actor asked to stop itself (`ctx.stop()` or `ctx.stop_now()`).
    pub(super) async fn stop_requested(
        &mut self,
        mode: StopMode,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Transition {
        if self.restarts_when_stopping_itself(ctx) {
            return Transition::Exited(ChildExit::StoppedItself);
        }
        match mode {
            StopMode::Immediate => Transition::Stop(StopReason::Requested),
            StopMode::Graceful => self.begin_drain(actor, ctx, StopReason::Requested).await,
        }
    }

    /// A permanent child that stops itself is restarted by its supervisor (OTP), so the
    /// stop goes to the supervisor instead of closing the mailbox.
    pub(super) fn restarts_when_stopping_itself(&self, ctx: &Context<A>) -> bool {
        ctx.restart_policy() == RestartPolicy::Permanent && self.factory.can_recreate()
    }

    /// Handles one system signal while running.
    pub(super) async fn on_signal(
        &mut self,
        signal: SystemSignal,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Transition {
        match signal {
            SystemSignal::Stop(StopMode::Immediate, reason)
            | SystemSignal::ParentStop(StopMode::Immediate, reason) => Transition::Stop(reason),
            SystemSignal::Stop(StopMode::Graceful, reason)
            | SystemSignal::ParentStop(StopMode::Graceful, reason) => {
                self.begin_drain(actor, ctx, reason).await
            }
            SystemSignal::RefsDropped => {
                // The actor may have handed out a new ref to itself since the signal was sent.
                if ctx.cell().strong_refs.load(Ordering::Acquire) == 0 {
                    self.begin_drain(actor, ctx, StopReason::RefsDropped).await
                } else {
                    Transition::Continue
                }
            }
            SystemSignal::Failed(failure) => Transition::Exited(ChildExit::Failed(failure)),
            // Resume is for a suspended actor; a running one has nothing to resume.
            SystemSignal::Resume => Transition::Continue,
            SystemSignal::Suspend => Transition::Suspend,
            SystemSignal::Teardown { cause, done } => Transition::Teardown(cause, done),
            // Only a torn-down actor starts; the sender goes on at once.
            SystemSignal::Start { done } => {
                let _ = done.send(());
                Transition::Continue
            }
            SystemSignal::Terminated(terminated) => self.terminated(terminated, actor, ctx).await,
        }
    }

    pub(super) async fn begin_drain(
        &mut self,
        actor: &mut A,
        ctx: &mut Context<A>,
        reason: StopReason,
    ) -> Transition {
        if self.is_draining() {
            return Transition::Continue;
        }
        self.mailbox.close();
        ctx.cell().status().set(ActorStatus::Stopping);
        self.lifecycle().stopping_ran = true;
        if let Err(failure) =
            catch(FailureKind::HookPanic, async { actor.stopping(ctx).await }).await
        {
            return Transition::Stop(StopReason::Failed(failure));
        }
        self.lifecycle().draining = Some(reason);
        Transition::Continue
    }
}

/// Delivers a death-watch signal to the `terminated` hook, unless its watch was undone
/// since it was sent; a panic in the hook, a `ctx.fail` from it, or the death pact of an
/// actor without one fails the actor.
pub(super) async fn deliver_terminated<A: Actor>(
    actor: &mut A,
    terminated: Terminated,
    ctx: &mut Context<A>,
    signals: &mut Signals<A>,
) -> Result<(), Urgent> {
    if !ctx.take_watch(terminated.id) {
        return Ok(());
    }
    catch_or_fail(
        FailureKind::HookPanic,
        async { actor.terminated(terminated, ctx).await },
        signals,
    )
    .await?;
    failed_by(ctx).map_err(Urgent::Failed)
}
