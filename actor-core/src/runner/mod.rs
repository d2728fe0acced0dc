//! The task that runs one actor: its life as a state machine of [`Phase`]s.
//!
//! The task outlives restarts: a restart replaces the actor's state, never its task, its
//! mailbox or its context, which is why a ref stays valid across restarts.
//!
//! One file per part of that life: `start` (create an instance, run `started` or
//! `post_restart`), `message_loop` (messages and system signals while running), `failure`
//! (a failure reported to the supervisor, and what its decision asks: resume, restart,
//! restart together with the siblings, wait), `stop` (the last hooks, the children, and
//! the end told to everyone who waits for it), and `catch` (user code run under a panic
//! guard that an urgent signal can interrupt).

mod catch;
mod failure;
mod message_loop;
mod start;
mod stop;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::context::Context;
use crate::death_watch::Terminated;
use crate::error::Failure;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::mailbox::lane::SignalReceiver;
use crate::mailbox::queue::{HeldPermits, MailboxReceiver};
use crate::mailbox::signal::SystemSignal;
use crate::props::Factory;
use crate::supervision::decision::ChildExit;
use crate::supervision::strategy::RestartPolicy;
use crate::supervision::supervisor::Supervisor;
use crate::system::ActorSystem;

use self::stop::TerminationGuard;

/// The actor's end of its system lane, reached through its cell.
type Signals<A> = SignalReceiver<Arc<ActorCell<A>>>;

/// The actor's end of its mailbox, reached through its cell.
type Mailbox<A> = MailboxReceiver<Arc<ActorCell<A>>>;

/// The actor's task. Everything it keeps is built here, outside the `async` block, and
/// moved in once: arguments of an `async fn` take room in its future beside the locals
/// made from them, and this future is most of what an idle actor weighs.
pub(crate) fn run<A: Actor>(
    cell: Arc<ActorCell<A>>,
    factory: Factory<A>,
    system: ActorSystem,
    parent: Arc<Supervisor>,
    policy: RestartPolicy,
) -> impl Future<Output = ()> + Send + 'static {
    let mailbox = MailboxReceiver::new(Arc::clone(&cell));
    let signals = SignalReceiver::new(Arc::clone(&cell));
    let mut guard = TerminationGuard {
        ctx: Context::new(cell, system, parent, policy),
        reason: None,
    };
    let held_permits = mailbox.held_permits();
    let mut runner = Runner {
        factory,
        mailbox,
        signals,
        lifecycle: None,
    };
    let phases = async move {
        // The phases' loop is here rather than in a method of the runner, one future less
        // deep: each level of nesting keeps its own copies of its references.
        let ctx = &mut guard.ctx;
        let mut phase = Phase::Start { restart: None };
        let reason = loop {
            phase = match phase {
                Phase::Start { restart } => Box::pin(runner.start(ctx, restart)).await,
                Phase::Run(actor) => runner.message_loop(actor, ctx).await,
                Phase::Exited(actor, exit) => Box::pin(runner.supervised(actor, exit, ctx)).await,
                Phase::Suspended(actor, failure) => {
                    Box::pin(runner.suspended(actor, failure, ctx)).await
                }
                Phase::Restart(actor, delay, cause) => {
                    Box::pin(runner.restart(actor, delay, cause, ctx)).await
                }
                Phase::Teardown(actor, cause, done) => {
                    Box::pin(runner.teardown_together(actor, cause, done, ctx)).await
                }
                Phase::Stop(actor, reason) => {
                    break Box::pin(runner.finish(actor, reason, ctx)).await
                }
            };
        };
        // What is still queued goes to dead letters; its asks resolve with `Stopped` when
        // the envelopes drop, before the status says `Stopped`. A send is atomic with
        // respect to `close`, so once closed, nothing more can land.
        runner.mailbox.close();
        // The stash first: its messages came before anything still queued.
        guard.ctx.dead_letter_stash();
        while let Some(envelope) = runner.mailbox.try_recv() {
            guard.ctx.cell().dead_letter(&envelope.msg);
        }
        drop(runner);
        guard.stopped(reason);
    };
    ActorTask {
        phases,
        held_permits,
    }
}

pin_project! {
    /// An actor's task: its phases, and the permits of its mailbox that the actor holds
    /// back from waiting senders, released whenever the task stops running (M4).
    struct ActorTask<F, A: Actor> {
        #[pin]
        phases: F,
        held_permits: HeldPermits<Arc<ActorCell<A>>>,
    }
}

impl<F: Future<Output = ()>, A: Actor> Future for ActorTask<F, A> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.project();
        let poll = this.phases.poll(cx);
        if poll.is_pending() {
            this.held_permits.release();
        }
        poll
    }
}

struct Runner<A: Actor> {
    factory: Factory<A>,
    mailbox: Mailbox<A>,
    signals: Signals<A>,
    /// What only a stopping, failing or restarting actor needs; boxed when first needed,
    /// so that an idle actor's task does not carry it.
    lifecycle: Option<Box<LifecycleState>>,
}

/// What a signal asks of a running actor.
enum Transition {
    Continue,
    Stop(StopReason),
    Exited(ChildExit),
    Suspend,
    Teardown(Failure, oneshot::Sender<()>),
}

impl Transition {
    fn into_phase<A>(self, actor: A) -> Phase<A> {
        match self {
            Transition::Continue => Phase::Run(actor),
            Transition::Stop(reason) => Phase::Stop(Some(actor), reason),
            Transition::Exited(exit) => Phase::Exited(Some(actor), exit),
            Transition::Suspend => Phase::Suspended(Some(actor), None),
            Transition::Teardown(cause, done) => Phase::Teardown(Some(actor), cause, done),
        }
    }
}

/// The actor's life as a state machine; each phase returns the next.
enum Phase<A> {
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
struct LifecycleState {
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
    fn lifecycle(&mut self) -> &mut LifecycleState {
        self.lifecycle.get_or_insert_with(Box::default)
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
        self.lifecycle
            .as_ref()
            .is_some_and(|state| state.draining.is_some())
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
                SystemSignal::Stop(StopMode::Graceful, reason) => {
                    self.mailbox.close();
                    self.lifecycle().drain_later.get_or_insert(reason);
                }
                SystemSignal::RefsDropped => self.lifecycle().refs_dropped = true,
                SystemSignal::Terminated(terminated) => self.lifecycle().deferred.push(terminated),
                other => return Waited::Other(other),
            }
        }
    }
}

/// Why an actor stops when its supervisor gives up on it: its failure, or, for a
/// self-stop, its own request.
pub(super) fn stop_reason(failure: Option<&Failure>) -> StopReason {
    failure.map_or(StopReason::Requested, |failure| {
        StopReason::Failed(failure.clone())
    })
}

/// The failure a hook asked for with `ctx.fail`, as an `Err`.
pub(super) fn failed_by<A: Actor>(ctx: &mut Context<A>) -> Result<(), Failure> {
    ctx.take_failure().map_or(Ok(()), Err)
}
