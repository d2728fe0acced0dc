//! The task that runs one actor: its lifecycle, its message loop, and its part in
//! supervision (reporting its failures up, applying its supervisor's commands, deciding
//! for its own children).
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

use crate::actor::Actor;
use crate::actor_ref::ActorCell;
use crate::context::{Context, Parent};
use crate::error::{Failure, FailureKind};
use crate::events::SystemEvent;
use crate::lifecycle::SignalReceiver;
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal, Terminated};
use crate::mailbox::{Envelope, MailboxReceiver, SendersLine};
use crate::props::Factory;
use crate::supervision::{ChildCommand, ChildExit, RestartPolicy};
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
        match self.ctx.parent_link() {
            Parent::Guardian => system.guardian_forget(id),
            Parent::Actor { signals, .. } => {
                let _ = signals.send(SystemSignal::ChildTerminated { child: id });
            }
        }
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
    parent: Parent,
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
                Step::Restart(actor, delay, cause) => {
                    Box::pin(runner.restart(actor, delay, cause, ctx)).await
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
    catch_pinned(kind, std::pin::pin!(future)).await
}

/// As [`catch`], for a future pinned by the caller. The message loop uses it directly:
/// passing a handler's future by value copies all of its bytes, which callgrind showed as
/// a `memcpy` on every message.
fn catch_pinned<F: Future>(
    kind: FailureKind,
    mut future: Pin<&mut F>,
) -> impl Future<Output = Result<F::Output, Failure>> + '_ {
    // A plain function returning the `poll_fn`, not an `async fn`: the future is then
    // only the pin and the kind, which matters as it sits in every actor's task.
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(Failure::from_panic(kind, &*payload))),
        }
    })
}

struct Runner<A: Actor> {
    factory: Factory<A>,
    mailbox: MailboxReceiver<A>,
    signals: SignalReceiver,
    /// What only a stopping or suspended actor needs; boxed when first needed, so that an
    /// idle actor's task does not carry it.
    rare: Option<Box<Rare>>,
}

/// What a signal asks of a running actor.
enum Outcome {
    Continue,
    Stop(StopReason),
    Exited(ChildExit),
    Restart(Duration, Failure),
}

impl Outcome {
    fn into_step<A>(self, actor: A) -> Step<A> {
        match self {
            Outcome::Continue => Step::Run(actor),
            Outcome::Stop(reason) => Step::Stop(Some(actor), reason),
            Outcome::Exited(exit) => Step::Exited(Some(actor), exit),
            Outcome::Restart(delay, cause) => Step::Restart(Some(actor), delay, cause),
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
    /// Report to the supervisor and wait for its command.
    Exited(Option<A>, ChildExit),
    /// Replace the instance after `delay`.
    Restart(Option<A>, Duration, Failure),
    /// Stop for good.
    Stop(Option<A>, StopReason),
}

/// The part of a runner's state that only stops and failures use.
#[derive(Default)]
struct Rare {
    /// The `stopping` hook runs at most once, when the stop begins.
    stopping_ran: bool,
    /// Set once a graceful stop has begun; the loop then drains the closed mailbox.
    draining: Option<StopReason>,
    /// Death-watch signals that arrived while the actor was suspended after a failure,
    /// delivered once it runs again.
    deferred: Vec<Terminated>,
    /// The factory has panicked every time so far: no instance was ever created, so the
    /// first one that is runs `started`, not `post_restart` (Akka).
    never_created: bool,
}

impl<A: Actor> Runner<A> {
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    fn is_draining(&self) -> bool {
        self.rare
            .as_ref()
            .is_some_and(|rare| rare.draining.is_some())
    }

    async fn start(&mut self, ctx: &mut Context<A>, restart: Option<Failure>) -> Step<A> {
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
        let hook = if let Some(cause) = &restart {
            catch(FailureKind::HookPanic, async {
                actor.post_restart(cause, ctx).await
            })
            .await
        } else {
            catch(FailureKind::HookPanic, async { actor.started(ctx).await }).await
        };
        if let Err(failure) = hook.and_then(|()| failed_by(ctx)) {
            return Step::Exited(Some(actor), ChildExit::Failed(failure));
        }
        if restart.is_some() {
            ctx.system().publish(SystemEvent::Restarted {
                actor: ctx.id(),
                path: Arc::clone(ctx.cell().path()),
            });
        }
        ctx.cell().status().set(ActorStatus::Running);
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
        if self
            .rare
            .as_ref()
            .is_some_and(|rare| !rare.deferred.is_empty())
        {
            if let Err(failure) = Box::pin(self.deliver_deferred(&mut actor, ctx)).await {
                return Step::Exited(Some(actor), ChildExit::Failed(failure));
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
                let handler = std::pin::pin!(async { actor.handle(msg, ctx).await });
                catch_pinned(FailureKind::HandlerPanic, handler).await
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

    /// Delivers the death-watch signals that arrived while the actor was suspended.
    async fn deliver_deferred(
        &mut self,
        actor: &mut A,
        ctx: &mut Context<A>,
    ) -> Result<(), Failure> {
        for terminated in std::mem::take(&mut self.rare().deferred) {
            deliver_terminated(actor, terminated, ctx).await?;
        }
        Ok(())
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
        self.on_signal(SystemSignal::Stop(mode, StopReason::Requested), actor, ctx)
            .await
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
            SystemSignal::Stop(StopMode::Immediate, reason) => Outcome::Stop(reason),
            SystemSignal::Stop(StopMode::Graceful, reason) => {
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
            SystemSignal::ChildExited { child, exit } => match ctx.supervise_child(child, exit) {
                Some(failure) => Outcome::Exited(ChildExit::Failed(failure)),
                None => Outcome::Continue,
            },
            SystemSignal::ChildTerminated { child } => {
                ctx.remove_child(child);
                Outcome::Continue
            }
            // Resume is for a suspended actor; a running one has nothing to resume.
            SystemSignal::Command(ChildCommand::Resume) => Outcome::Continue,
            SystemSignal::Command(ChildCommand::Restart { delay, cause }) => {
                Outcome::Restart(delay, cause)
            }
            SystemSignal::Command(ChildCommand::Stop) => Outcome::Stop(StopReason::Requested),
            SystemSignal::Terminated(terminated) => {
                match deliver_terminated(actor, terminated, ctx).await {
                    Ok(()) => Outcome::Continue,
                    Err(failure) => Outcome::Exited(ChildExit::Failed(failure)),
                }
            }
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

    /// After a failure (or a permanent child's self-stop): report to the supervisor and wait
    /// for its command, still deciding for this actor's own children meanwhile.
    async fn supervised(
        &mut self,
        actor: Option<A>,
        exit: ChildExit,
        ctx: &mut Context<A>,
    ) -> Step<A> {
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
        let stop_reason = || match &failure {
            Some(failure) => StopReason::Failed(failure.clone()),
            None => StopReason::Requested,
        };
        let reported = match ctx.parent_link() {
            Parent::Guardian => {
                ctx.system().guardian_decide(ctx.id(), exit);
                true
            }
            Parent::Actor { signals, .. } => signals
                .send(SystemSignal::ChildExited {
                    child: ctx.id(),
                    exit,
                })
                .is_ok(),
        };
        if !reported {
            // The supervisor is gone: nobody can decide, so stop.
            return Step::Stop(actor, stop_reason());
        }
        loop {
            let Some(signal) = self.signals.recv().await else {
                return Step::Stop(actor, stop_reason());
            };
            match signal {
                SystemSignal::Command(ChildCommand::Resume) => {
                    return match actor {
                        Some(actor) => {
                            // It may have failed in `started`, before it was marked running.
                            ctx.cell().status().set(ActorStatus::Running);
                            Step::Run(actor)
                        }
                        // Nothing to resume when the instance was never created.
                        None => Step::Stop(None, stop_reason()),
                    };
                }
                SystemSignal::Command(ChildCommand::Restart { delay, cause }) => {
                    return Step::Restart(actor, delay, cause)
                }
                SystemSignal::Command(ChildCommand::Stop) => {
                    return Step::Stop(actor, stop_reason())
                }
                SystemSignal::Stop(_, reason) => {
                    let reason = if failure.is_some() {
                        stop_reason()
                    } else {
                        reason
                    };
                    return Step::Stop(actor, reason);
                }
                SystemSignal::ChildExited { child, exit } => {
                    // Already failing: a child's escalation adds nothing to decide.
                    let _ = ctx.supervise_child(child, exit);
                }
                SystemSignal::ChildTerminated { child } => ctx.remove_child(child),
                SystemSignal::Terminated(terminated) => self.rare().deferred.push(terminated),
                SystemSignal::RefsDropped => {}
            }
        }
    }

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
        if let Some(mut actor) = actor {
            // A panic in `pre_restart` does not stop the restart: the instance is going anyway.
            let _ = catch(FailureKind::HookPanic, async {
                actor.pre_restart(&cause, ctx).await
            })
            .await;
        }
        // Akka's default: a restarted actor's children are stopped, and its new instance
        // spawns new ones in `post_restart` (or `started`).
        stop_children(ctx, StopMode::Immediate, StopReason::Requested).await;
        ctx.forget_restarts();
        ctx.cell().status().set(ActorStatus::Starting);
        if !delay.is_zero() {
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    biased;
                    Some(signal) = self.signals.recv() => match signal {
                        SystemSignal::Stop(_, reason) => return Step::Stop(None, reason),
                        SystemSignal::Command(ChildCommand::Stop) => {
                            return Step::Stop(None, StopReason::Requested);
                        }
                        SystemSignal::Terminated(terminated) => self.rare().deferred.push(terminated),
                        SystemSignal::ChildTerminated { child } => ctx.remove_child(child),
                        _ => {}
                    },
                    () = &mut sleep => break,
                }
            }
        }
        Step::Start {
            restart: Some(cause),
        }
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
        // Children stop first, so `stopped` sees a parent with no children left.
        stop_children(ctx, mode, children_reason(&reason)).await;
        if let Err(failure) =
            catch(FailureKind::HookPanic, async { actor.stopped(ctx).await }).await
        {
            if !matches!(reason, StopReason::Failed(_)) {
                reason = StopReason::Failed(failure);
            }
        }
        reason
    }
}

/// Delivers a death-watch signal to the `terminated` hook, unless its watch was undone
/// since it was sent; a panic in the hook, a `ctx.fail` from it, or the death pact of an
/// actor without one fails the actor.
async fn deliver_terminated<A: Actor>(
    actor: &mut A,
    terminated: Terminated,
    ctx: &mut Context<A>,
) -> Result<(), Failure> {
    if !ctx.take_watch(terminated.id) {
        return Ok(());
    }
    catch(FailureKind::HookPanic, async {
        actor.terminated(terminated, ctx).await
    })
    .await
    .and_then(|()| failed_by(ctx))
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

/// Stops every child (each stops its own children first) and waits until they have.
async fn stop_children<A: Actor>(ctx: &mut Context<A>, mode: StopMode, reason: StopReason) {
    let children = ctx.take_children();
    for child in &children {
        let _ = child.link.send(SystemSignal::Stop(mode, reason.clone()));
    }
    for child in children {
        // A child's task always ends (or is aborted at shutdown), and its guard sets the
        // status, so this wait is bounded by the child's own stop.
        let _ = child.link.status().stopped().await;
    }
}
