//! The task that runs one actor: its lifecycle, its message loop, and its part in
//! supervision (deciding its own failures from its supervisor's strategy, applying the
//! commands its siblings' failures bring, following its supervisor's fate).
//!
//! The task outlives restarts: a restart replaces the actor's state, never its task, its
//! mailbox or its context, which is why a ref stays valid across restarts.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::actor_ref::ActorCell;
use crate::context::Context;
use crate::error::{Failure, FailureKind};
use crate::events::SystemEvent;
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal, Terminated};
use crate::lifecycle::{SignalReceiver, Urgent};
use crate::mailbox::{Envelope, MailboxReceiver, SendersLine};
use crate::props::Factory;
use crate::supervision::{ChildCommand, ChildExit, RestartPolicy};
use crate::supervisor::{SupervisorCell, Verdict};
use crate::system::ActorSystem;

/// Marks the actor stopped, tells its watchers and its parent, and removes it from the
/// system however its task ends, including by abort, when this guard is dropped with the
/// task's future. It owns the actor's context, which knows all of those.
struct TerminationGuard<A: Actor> {
    ctx: Context<A>,
    reason: Option<StopReason>,
}

impl<A: Actor> TerminationGuard<A> {
    /// Records why the actor stopped, for the drop to announce; without it, the task was
    /// aborted.
    fn stopped(&mut self, reason: StopReason) {
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
        cell.status().set(ActorStatus::Stopped(reason.clone()));
        cell.notify_watchers(&reason);
        system.publish(SystemEvent::Stopped {
            actor: id,
            path: Arc::clone(cell.path()),
            reason,
        });
    }
}

/// The actor's task. Everything it keeps is built here, outside the `async` block, and
/// moved in once: arguments of an `async fn` take room in its future beside the locals
/// made from them, and this future is most of what an idle actor weighs.
pub(crate) fn run<A: Actor>(
    cell: Arc<ActorCell<A>>,
    factory: Factory<A>,
    mailbox: MailboxReceiver<A>,
    signals: SignalReceiver,
    system: ActorSystem,
    parent: Arc<SupervisorCell>,
    policy: RestartPolicy,
) -> impl Future<Output = ()> + Send + 'static {
    let mut guard = TerminationGuard {
        ctx: Context::new(cell, system, parent, policy),
        reason: None,
    };
    let senders_line = mailbox.senders_line();
    let mut runner = Runner {
        factory,
        mailbox,
        signals,
        rare: None,
    };
    let steps = async move {
        // The steps' loop is here rather than in a method of the runner, one future less
        // deep: each level of nesting keeps its own copies of its references.
        let ctx = &mut guard.ctx;
        let mut step = Step::Start { restart: None };
        let reason = loop {
            step = match step {
                Step::Start { restart } => Box::pin(runner.start(ctx, restart)).await,
                Step::Run(actor) => runner.message_loop(actor, ctx).await,
                Step::Exited(actor, exit) => Box::pin(runner.supervised(actor, exit, ctx)).await,
                Step::Suspended(actor, failure) => {
                    Box::pin(runner.suspended(actor, failure, ctx)).await
                }
                Step::Restart(actor, delay, cause) => {
                    Box::pin(runner.restart(actor, delay, cause, ctx)).await
                }
                Step::Teardown(actor, cause, done) => {
                    Box::pin(runner.teardown_together(actor, cause, done, ctx)).await
                }
                Step::Stop(actor, reason) => {
                    break Box::pin(runner.finish(actor, reason, ctx)).await
                }
            };
        };
        // What is still queued goes to dead letters; its asks resolve with `Stopped` when
        // the envelopes drop, before the status says `Stopped`. A send is atomic with
        // respect to `close`, so once closed, nothing more can land.
        runner.mailbox.close();
        while let Some(envelope) = runner.mailbox.try_recv() {
            guard.ctx.cell().dead_letter(&envelope.msg);
        }
        drop(runner);
        guard.stopped(reason);
    };
    ActorTask {
        steps,
        senders_line,
    }
}

pin_project! {
    /// An actor's task: its steps, and the line of senders waiting for space in its
    /// mailbox, which gets the places the actor held back whenever the task stops running.
    struct ActorTask<F, A: Actor> {
        #[pin]
        steps: F,
        senders_line: SendersLine<A>,
    }
}

impl<F: Future<Output = ()>, A: Actor> Future for ActorTask<F, A> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.project();
        let poll = this.steps.poll(cx);
        if poll.is_pending() {
            this.senders_line.serve_held_places();
        }
        poll
    }
}

/// The next thing for the actor to do: a system signal first, else a message. A future
/// of its own rather than a `poll_fn`, so that it is inlined into the actor's task: it is
/// polled twice per message.
struct Next<'a, A: Actor> {
    mailbox: &'a mut MailboxReceiver<A>,
    signals: &'a mut SignalReceiver,
}

impl<A: Actor> Future for Next<'_, A> {
    type Output = Result<Option<Envelope<A>>, SystemSignal>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(signal) = this.signals.try_recv() {
            return Poll::Ready(Err(signal));
        }
        if let Poll::Ready(envelope) = this.mailbox.poll_recv(cx) {
            // Closed from outside: the stop signal was queued before the close, so it
            // is read first and the actor stops the way it says.
            if envelope.is_none() {
                if let Some(signal) = this.signals.try_recv() {
                    return Poll::Ready(Err(signal));
                }
            }
            return Poll::Ready(Ok(envelope));
        }
        // The mailbox registered the task, and a signal wakes it through the mailbox:
        // one check more catches a signal sent before that registration.
        match this.signals.try_recv() {
            Some(signal) => Poll::Ready(Err(signal)),
            None => Poll::Pending,
        }
    }
}

/// Runs a future that may panic; a panic becomes a [`Failure`] of `kind`.
///
/// Callers pass `async { actor.handle(..).await }`, not `actor.handle(..)`: a sync handler
/// generated by `#[actor]` runs when `handle` is called, so the call itself must happen
/// inside the caught future.
async fn catch<T>(kind: FailureKind, future: impl Future<Output = T>) -> Result<T, Failure> {
    catch_pinned(kind, std::pin::pin!(future), None)
        .await
        .map_err(|urgent| match urgent {
            Urgent::Failed(failure) => failure,
            // Never without a lane to interrupt from; its sender goes on when dropped.
            Urgent::Teardown { cause, .. } => cause,
            Urgent::Stop => Failure::error("stopped"),
        })
}

/// As [`catch`], and an urgent signal sent to the actor while the future waits (a child's
/// escalation, a restart together with its siblings) ends it at that await point: the
/// future is dropped and the signal returned, so that no await in user code holds up
/// supervision.
async fn catch_or_fail<T>(
    kind: FailureKind,
    future: impl Future<Output = T>,
    signals: &mut SignalReceiver,
) -> Result<T, Urgent> {
    catch_pinned(kind, std::pin::pin!(future), Some(signals)).await
}

/// As [`catch_or_fail`] (or [`catch`] without `signals`), for a future pinned by the
/// caller. The message loop uses it directly: passing a handler's future by value copies
/// all of its bytes, which callgrind showed as a `memcpy` on every message.
fn catch_pinned<'a, F: Future>(
    kind: FailureKind,
    mut future: Pin<&'a mut F>,
    mut signals: Option<&'a mut SignalReceiver>,
) -> impl Future<Output = Result<F::Output, Urgent>> + 'a {
    // A plain function returning the `poll_fn`, not an `async fn`: the future is then
    // only the pin, the lane and the kind, which matters as it sits in every actor's task.
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => {
                // Only a future that waits pays for the check: a sync handler is ready at
                // its first poll.
                if let Some(signals) = signals.as_deref_mut() {
                    if signals.poll_urgent(cx) {
                        if let Some(urgent) = signals.take_urgent() {
                            return Poll::Ready(Err(urgent));
                        }
                    }
                }
                Poll::Pending
            }
            Err(payload) => Poll::Ready(Err(Urgent::Failed(Failure::from_panic(kind, &*payload)))),
        }
    })
}

/// Drops a replaced or stopped instance; a panic in the state's `Drop` is a failure like
/// a hook's, and whatever was under way (a restart, a stop) goes on.
fn drop_instance<A>(actor: A) -> Result<(), Failure> {
    std::panic::catch_unwind(AssertUnwindSafe(move || drop(actor)))
        .map_err(|payload| Failure::from_panic(FailureKind::HookPanic, &*payload))
}

struct Runner<A: Actor> {
    factory: Factory<A>,
    mailbox: MailboxReceiver<A>,
    signals: SignalReceiver,
    /// What only a stopping, failing or restarting actor needs; boxed when first needed,
    /// so that an idle actor's task does not carry it.
    rare: Option<Box<Rare>>,
}

/// What a signal asks of a running actor.
enum Outcome {
    Continue,
    Stop(StopReason),
    Exited(ChildExit),
    Restart(Duration, Failure),
    Suspend,
    Teardown(Failure, oneshot::Sender<()>),
}

impl Outcome {
    fn into_step<A>(self, actor: A) -> Step<A> {
        match self {
            Outcome::Continue => Step::Run(actor),
            Outcome::Stop(reason) => Step::Stop(Some(actor), reason),
            Outcome::Exited(exit) => Step::Exited(Some(actor), exit),
            Outcome::Restart(delay, cause) => Step::Restart(Some(actor), delay, cause),
            Outcome::Suspend => Step::Suspended(Some(actor), None),
            Outcome::Teardown(cause, done) => Step::Teardown(Some(actor), cause, done),
        }
    }
}

/// The actor's life as a state machine; each step returns the next.
enum Step<A> {
    /// Create an instance from the factory and run `started`, or `post_restart` with the
    /// failure that caused the restart.
    Start { restart: Option<Failure> },
    /// Handle messages and signals.
    Run(A),
    /// Failed (or, a permanent child, stopped itself): decide from the supervisor's
    /// strategy.
    Exited(Option<A>, ChildExit),
    /// Handle no messages until the supervisor says what to do: after this actor's own
    /// failure (`Some`), when the decision is its supervisor's fate or a restart together
    /// with its siblings; or because its supervisor failed (`None`).
    Suspended(Option<A>, Option<Failure>),
    /// Replace the instance after `delay`.
    Restart(Option<A>, Duration, Failure),
    /// Replace the instance together with its siblings: tear down, say so, wait for the
    /// signal to start.
    Teardown(Option<A>, Failure, oneshot::Sender<()>),
    /// Stop for good.
    Stop(Option<A>, StopReason),
}

/// The part of a runner's state that only stops, failures and restarts use.
#[derive(Default)]
struct Rare {
    /// The `stopping` hook runs at most once, when the stop begins.
    stopping_ran: bool,
    /// Set once a graceful stop has begun; the loop then drains the closed mailbox.
    draining: Option<StopReason>,
    /// A graceful stop that arrived while the actor could not run (suspended, or between
    /// two instances): its drain begins once the actor runs again.
    drain_later: Option<StopReason>,
    /// Every strong ref was dropped while the actor could not run: it stops once it runs
    /// again, unless a new ref was made meanwhile.
    refs_dropped: bool,
    /// Death-watch signals that arrived while the actor was suspended after a failure,
    /// delivered once it runs again.
    deferred: Vec<Terminated>,
    /// The factory has panicked every time so far: no instance was ever created, so the
    /// first one that is runs `started`, not `post_restart` (Akka).
    never_created: bool,
    /// Told once the new instance has started, in a restart together with siblings.
    started_ack: Option<oneshot::Sender<()>>,
}

/// What a wait outside the message loop does with the signals every such wait handles
/// alike, and which signals it leaves to its caller.
enum Waited {
    Stop(StopReason),
    Other(SystemSignal),
}

impl<A: Actor> Runner<A> {
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Marks the actor as handling messages again: `Running`, or `Stopping` while a
    /// graceful stop drains its mailbox.
    fn mark_running(&self, ctx: &Context<A>) {
        let status = if self.is_draining() {
            ActorStatus::Stopping
        } else {
            ActorStatus::Running
        };
        ctx.cell().status().set(status);
    }

    fn is_draining(&self) -> bool {
        self.rare
            .as_ref()
            .is_some_and(|rare| rare.draining.is_some())
    }

    async fn start(&mut self, ctx: &mut Context<A>, restart: Option<Failure>) -> Step<A> {
        let step = self.create_and_start(ctx, restart).await;
        // A restart together with siblings goes on to the next sibling once this one has
        // started (or failed to).
        if let Some(ack) = self.rare.as_mut().and_then(|rare| rare.started_ack.take()) {
            let _ = ack.send(());
        }
        step
    }

    async fn create_and_start(
        &mut self,
        ctx: &mut Context<A>,
        restart: Option<Failure>,
    ) -> Step<A> {
        // The factory is user code too: a panic in it fails the actor like a panic in a hook.
        let created = std::panic::catch_unwind(AssertUnwindSafe(|| self.factory.create()));
        let mut actor = match created {
            Ok(Some(actor)) => actor,
            // Only a one-shot factory runs dry, and `restart` checks that first.
            Ok(None) => return Step::Stop(None, StopReason::Aborted),
            Err(payload) => {
                if restart.is_none() {
                    self.rare().never_created = true;
                }
                let failure = Failure::from_panic(FailureKind::FactoryPanic, &*payload);
                return Step::Exited(None, ChildExit::Failed(failure));
            }
        };
        let first_instance = self
            .rare
            .as_mut()
            .is_some_and(|rare| std::mem::take(&mut rare.never_created));
        let restart = restart.filter(|_| !first_instance);
        let signals = &mut self.signals;
        let hook = if let Some(cause) = &restart {
            catch_or_fail(
                FailureKind::HookPanic,
                async { actor.post_restart(cause, ctx).await },
                signals,
            )
            .await
        } else {
            catch_or_fail(
                FailureKind::HookPanic,
                async { actor.started(ctx).await },
                signals,
            )
            .await
        };
        match hook {
            Ok(()) => {}
            Err(Urgent::Failed(failure)) => {
                return Step::Exited(Some(actor), ChildExit::Failed(failure))
            }
            Err(Urgent::Teardown { cause, done }) => {
                return Step::Teardown(Some(actor), cause, done)
            }
            Err(Urgent::Stop) => return Step::Stop(Some(actor), StopReason::Requested),
        }
        if let Err(failure) = failed_by(ctx) {
            return Step::Exited(Some(actor), ChildExit::Failed(failure));
        }
        if restart.is_some() {
            ctx.system().publish(SystemEvent::Restarted {
                actor: ctx.id(),
                path: Arc::clone(ctx.cell().path()),
            });
        }
        self.mark_running(ctx);
        // `ctx.stop()` in `started` takes effect before the first message.
        if let Some(mode) = ctx.take_stop_request() {
            let outcome = self.stop_requested(mode, &mut actor, ctx).await;
            if !matches!(outcome, Outcome::Continue) {
                return outcome.into_step(actor);
            }
        }
        Step::Run(actor)
    }

    /// Waits for the next signal or message. Signals come first, so a stop never waits
    /// behind user messages (checking the lane costs one atomic load while it is empty);
    /// then the mailbox, whose waker slot serves both: a signal wakes the actor through it.
    fn next<'a>(
        mailbox: &'a mut MailboxReceiver<A>,
        signals: &'a mut SignalReceiver,
    ) -> Next<'a, A> {
        Next { mailbox, signals }
    }

    /// Handles messages until something else is to be done. Only the handler's future is
    /// awaited in place; the rare steps (signals, hooks, stops) are boxed, so that their
    /// futures do not make every idle actor's task bigger.
    async fn message_loop(&mut self, mut actor: A, ctx: &mut Context<A>) -> Step<A> {
        if self.rare.is_some() {
            let outcome = Box::pin(self.catch_up(&mut actor, ctx)).await;
            if !matches!(outcome, Outcome::Continue) {
                return outcome.into_step(actor);
            }
        }
        loop {
            let (msg, reply) = match Self::next(&mut self.mailbox, &mut self.signals).await {
                Ok(Some(Envelope { msg, reply })) => (msg, reply),
                // Only after the mailbox was closed and drained: the cell keeps a sender.
                // The drain's reason stays set: `finish` stops the children the same way.
                Ok(None) => {
                    let reason = self
                        .rare
                        .as_ref()
                        .and_then(|rare| rare.draining.clone())
                        .unwrap_or(StopReason::Requested);
                    return Step::Stop(Some(actor), reason);
                }
                Err(signal) => {
                    let outcome = Box::pin(self.on_signal(signal, &mut actor, ctx)).await;
                    if matches!(outcome, Outcome::Continue) {
                        continue;
                    }
                    return outcome.into_step(actor);
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
            let handled = match handled {
                Err(Urgent::Teardown { cause, done }) => {
                    // Torn down with its siblings in the middle of this message: the
                    // ask resolves as for any message an actor stopped before finishing.
                    drop(reply);
                    return Step::Teardown(Some(actor), cause, done);
                }
                Err(Urgent::Stop) => {
                    drop(reply);
                    return Step::Stop(Some(actor), StopReason::Requested);
                }
                Err(Urgent::Failed(failure)) => Err(failure),
                Ok(value) => Ok(value),
            };
            match handled {
                Ok(value) => {
                    if let Some(reply) = reply {
                        // The asker may have timed out and gone; nothing to do then.
                        let _ = reply.send(Ok(value));
                    }
                }
                Err(failure) => {
                    let failure = failure.while_handling(name);
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(failure.clone()));
                    }
                    return Step::Exited(Some(actor), ChildExit::Failed(failure));
                }
            }
            if let Some(failure) = ctx.take_failure() {
                let failure = failure.while_handling(name);
                return Step::Exited(Some(actor), ChildExit::Failed(failure));
            }
            if let Some(mode) = ctx.take_stop_request() {
                let outcome = Box::pin(self.stop_requested(mode, &mut actor, ctx)).await;
                if !matches!(outcome, Outcome::Continue) {
                    return outcome.into_step(actor);
                }
            }
        }
    }

    /// What arrived while the actor could not run, applied now that it runs again: the
    /// death-watch signals, a graceful stop, the loss of its last ref.
    async fn catch_up(&mut self, actor: &mut A, ctx: &mut Context<A>) -> Outcome {
        let deferred = std::mem::take(&mut self.rare().deferred);
        for terminated in deferred {
            let outcome = self.terminated(terminated, actor, ctx).await;
            if !matches!(outcome, Outcome::Continue) {
                return outcome;
            }
        }
        if let Some(reason) = self.rare().drain_later.take() {
            return self.begin_drain(actor, ctx, reason).await;
        }
        if std::mem::take(&mut self.rare().refs_dropped) {
            return self.on_signal(SystemSignal::RefsDropped, actor, ctx).await;
        }
        Outcome::Continue
    }

    /// Delivers a death-watch signal; a stop the hook asks for takes effect right after it.
    async fn terminated(
        &mut self,
        terminated: Terminated,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Outcome {
        match deliver_terminated(actor, terminated, ctx, &mut self.signals).await {
            Ok(()) => {}
            Err(Urgent::Failed(failure)) => return Outcome::Exited(ChildExit::Failed(failure)),
            Err(Urgent::Teardown { cause, done }) => return Outcome::Teardown(cause, done),
            Err(Urgent::Stop) => return Outcome::Stop(StopReason::Requested),
        }
        match ctx.take_stop_request() {
            Some(mode) => self.stop_requested(mode, actor, ctx).await,
            None => Outcome::Continue,
        }
    }

    /// The actor asked to stop itself (`ctx.stop()` or `ctx.stop_now()`).
    async fn stop_requested(
        &mut self,
        mode: StopMode,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Outcome {
        if self.restarts_when_stopping_itself(ctx) {
            return Outcome::Exited(ChildExit::StoppedItself);
        }
        match mode {
            StopMode::Immediate => Outcome::Stop(StopReason::Requested),
            StopMode::Graceful => self.begin_drain(actor, ctx, StopReason::Requested).await,
        }
    }

    /// A permanent child that stops itself is restarted by its supervisor (OTP), so the
    /// stop goes to the supervisor instead of closing the mailbox.
    fn restarts_when_stopping_itself(&self, ctx: &Context<A>) -> bool {
        ctx.restart_policy() == RestartPolicy::Permanent && self.factory.can_recreate()
    }

    /// Handles one system signal while running.
    async fn on_signal(
        &mut self,
        signal: SystemSignal,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Outcome {
        match signal {
            SystemSignal::Stop(StopMode::Immediate, reason)
            | SystemSignal::ParentStop(StopMode::Immediate, reason) => Outcome::Stop(reason),
            SystemSignal::Stop(StopMode::Graceful, reason)
            | SystemSignal::ParentStop(StopMode::Graceful, reason) => {
                self.begin_drain(actor, ctx, reason).await
            }
            SystemSignal::RefsDropped => {
                // The actor may have handed out a new ref to itself since the signal was sent.
                if ctx.cell().strong_refs.load(Ordering::Acquire) == 0 {
                    self.begin_drain(actor, ctx, StopReason::RefsDropped).await
                } else {
                    Outcome::Continue
                }
            }
            SystemSignal::Failed(failure) => Outcome::Exited(ChildExit::Failed(failure)),
            // Resume is for a suspended actor; a running one has nothing to resume.
            SystemSignal::Command(ChildCommand::Resume) => Outcome::Continue,
            SystemSignal::Command(ChildCommand::Restart { delay, cause }) => {
                Outcome::Restart(delay, cause)
            }
            SystemSignal::Command(ChildCommand::Stop) => Outcome::Stop(StopReason::Requested),
            SystemSignal::Suspend => Outcome::Suspend,
            SystemSignal::Teardown { cause, done } => Outcome::Teardown(cause, done),
            // Only a torn-down actor starts; the sender goes on at once.
            SystemSignal::Start { done } => {
                let _ = done.send(());
                Outcome::Continue
            }
            SystemSignal::Terminated(terminated) => self.terminated(terminated, actor, ctx).await,
        }
    }

    async fn begin_drain(
        &mut self,
        actor: &mut A,
        ctx: &mut Context<A>,
        reason: StopReason,
    ) -> Outcome {
        if self.is_draining() {
            return Outcome::Continue;
        }
        self.mailbox.close();
        ctx.cell().status().set(ActorStatus::Stopping);
        self.rare().stopping_ran = true;
        if let Err(failure) =
            catch(FailureKind::HookPanic, async { actor.stopping(ctx).await }).await
        {
            return Outcome::Stop(StopReason::Failed(failure));
        }
        self.rare().draining = Some(reason);
        Outcome::Continue
    }

    /// Waits for the next signal while the actor cannot handle messages, handling those
    /// that every such wait handles alike: an immediate stop ends the wait; a graceful stop
    /// refuses new messages at once and drains the queued ones once the actor runs again;
    /// the loss of the last ref and death-watch signals are kept for then too.
    async fn wait_signal(&mut self) -> Waited {
        loop {
            let Some(signal) = self.signals.recv().await else {
                return Waited::Stop(StopReason::Requested);
            };
            match signal {
                SystemSignal::Stop(StopMode::Immediate, reason)
                | SystemSignal::ParentStop(_, reason) => return Waited::Stop(reason),
                SystemSignal::Command(ChildCommand::Stop) => {
                    return Waited::Stop(StopReason::Requested)
                }
                SystemSignal::Stop(StopMode::Graceful, reason) => {
                    self.mailbox.close();
                    self.rare().drain_later.get_or_insert(reason);
                }
                SystemSignal::RefsDropped => self.rare().refs_dropped = true,
                SystemSignal::Terminated(terminated) => self.rare().deferred.push(terminated),
                other => return Waited::Other(other),
            }
        }
    }

    /// After a failure (or a permanent child's self-stop): decide, in this task, from the
    /// supervisor's strategy, and carry the decision out.
    async fn supervised(
        &mut self,
        actor: Option<A>,
        exit: ChildExit,
        ctx: &mut Context<A>,
    ) -> Step<A> {
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
        let verdict = ctx.parent_supervisor().decide(ctx.id(), exit, ctx.system());
        match verdict {
            Verdict::Resume => match actor {
                Some(actor) => {
                    ctx.tell_children(|| SystemSignal::Command(ChildCommand::Resume));
                    self.mark_running(ctx);
                    Step::Run(actor)
                }
                // Nothing to resume when the instance was never created.
                None => Step::Stop(None, stop_reason(failure.as_ref())),
            },
            Verdict::Restart { delay, cause } => Step::Restart(actor, delay, cause),
            Verdict::Stop(reason) => Step::Stop(actor, reason),
            Verdict::Wait => {
                Step::Suspended(actor, Some(failure.unwrap_or_else(Failure::stopped_itself)))
            }
        }
    }

    /// Handles no messages until the supervisor decides: after this actor's own failure
    /// (`failure`), or because its supervisor failed (`None`). A resume resumes its
    /// children too; a restart or a stop stops them.
    async fn suspended(
        &mut self,
        actor: Option<A>,
        failure: Option<Failure>,
        ctx: &mut Context<A>,
    ) -> Step<A> {
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
                    return Step::Stop(actor, reason);
                }
                Waited::Other(signal) => signal,
            };
            match signal {
                SystemSignal::Command(ChildCommand::Resume) => {
                    ctx.tell_children(|| SystemSignal::Command(ChildCommand::Resume));
                    return match actor {
                        Some(actor) => {
                            self.mark_running(ctx);
                            Step::Run(actor)
                        }
                        None => Step::Stop(None, stop_reason(failure.as_ref())),
                    };
                }
                SystemSignal::Command(ChildCommand::Restart { delay, cause }) => {
                    return Step::Restart(actor, delay, cause)
                }
                SystemSignal::Teardown { cause, done } => {
                    return Step::Teardown(actor, cause, done)
                }
                // A failure while its supervisor has failed is a failure of its own.
                SystemSignal::Failed(own) if failure.is_none() => {
                    return Step::Exited(actor, ChildExit::Failed(own));
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
    async fn restart(
        &mut self,
        actor: Option<A>,
        delay: Duration,
        cause: Failure,
        ctx: &mut Context<A>,
    ) -> Step<A> {
        if !self.factory.can_recreate() {
            // Stopped instead, and as any stop after a failure, with its `stopped` hook.
            return Step::Stop(actor, StopReason::Failed(Failure::not_recreatable()));
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
                Waited::Stop(reason) => return Step::Stop(None, reason),
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
                Waited::Other(SystemSignal::Command(ChildCommand::Resume)) => held = false,
                Waited::Other(_) => {}
            }
        }
        Step::Start {
            restart: Some(cause),
        }
    }

    /// Tears the instance down for a restart together with its siblings, says so, and
    /// waits for its turn to start.
    async fn teardown_together(
        &mut self,
        actor: Option<A>,
        cause: Failure,
        done: oneshot::Sender<()>,
        ctx: &mut Context<A>,
    ) -> Step<A> {
        if !self.factory.can_recreate() {
            let _ = done.send(());
            return Step::Stop(actor, StopReason::Failed(Failure::not_recreatable()));
        }
        self.tear_down(actor, &cause, ctx).await;
        let _ = done.send(());
        self.wait_to_start(cause).await
    }

    async fn wait_to_start(&mut self, cause: Failure) -> Step<A> {
        loop {
            match self.wait_signal().await {
                Waited::Stop(reason) => return Step::Stop(None, reason),
                Waited::Other(SystemSignal::Start { done }) => {
                    self.rare().started_ack = Some(done);
                    return Step::Start {
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
    async fn tear_down(&mut self, actor: Option<A>, cause: &Failure, ctx: &mut Context<A>) {
        ctx.cell().status().set(ActorStatus::Restarting);
        // The instance that an escalation was meant for is going; the new one must not
        // fail of it (its children are stopped below).
        self.signals.forget_failure();
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

    /// Runs the remaining hooks, stops the children, and says why the actor stopped.
    /// `stopping` runs unless a drain already ran it; a failure skips it, since the state
    /// that panicked may be broken, but `stopped` still runs (as Akka runs `PostStop`).
    async fn finish(
        &mut self,
        actor: Option<A>,
        mut reason: StopReason,
        ctx: &mut Context<A>,
    ) -> StopReason {
        self.mailbox.close();
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
        let stopping_ran = self.rare.as_ref().is_some_and(|rare| rare.stopping_ran);
        if !stopping_ran && !matches!(reason, StopReason::Failed(_)) {
            self.rare().stopping_ran = true;
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

/// Why an actor stops when its supervisor gives up on it: its failure, or, for a
/// self-stop, its own request.
fn stop_reason(failure: Option<&Failure>) -> StopReason {
    failure.map_or(StopReason::Requested, |failure| {
        StopReason::Failed(failure.clone())
    })
}

/// Delivers a death-watch signal to the `terminated` hook, unless its watch was undone
/// since it was sent; a panic in the hook, a `ctx.fail` from it, or the death pact of an
/// actor without one fails the actor.
async fn deliver_terminated<A: Actor>(
    actor: &mut A,
    terminated: Terminated,
    ctx: &mut Context<A>,
    signals: &mut SignalReceiver,
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

/// The failure a hook asked for with `ctx.fail`, as an `Err`.
fn failed_by<A: Actor>(ctx: &mut Context<A>) -> Result<(), Failure> {
    ctx.take_failure().map_or(Ok(()), Err)
}

/// Why a stopping parent's children stop: shutdown is passed down, anything else is the
/// parent's request.
fn children_reason(parent_reason: &StopReason) -> StopReason {
    match parent_reason {
        StopReason::Shutdown => StopReason::Shutdown,
        _ => StopReason::Requested,
    }
}

/// Stops every child for its parent's restart: at once, a handler waiting at an await
/// point included (Akka.NET handles a stop while an async handler waits), so that no
/// child's wait holds the restart up. Each stops its own children first; this waits until
/// they all have.
async fn stop_children_at_once<A: Actor>(ctx: &mut Context<A>) {
    let children = ctx.take_children();
    for child in &children {
        child.link.stop_urgently();
    }
    for child in children {
        let _ = child.link.status().stopped().await;
    }
}

/// Stops every child (each stops its own children first) and waits until they have.
async fn stop_children<A: Actor>(ctx: &mut Context<A>, mode: StopMode, reason: StopReason) {
    let children = ctx.take_children();
    for child in &children {
        let _ = child
            .link
            .send(SystemSignal::ParentStop(mode, reason.clone()));
    }
    for child in children {
        // A child's task always ends (or is aborted at shutdown), and its guard sets the
        // status, so this wait is bounded by the child's own stop.
        let _ = child.link.status().stopped().await;
    }
}
