//! [`Supervisor`]: the parent a failure is reported to, guardian or actor alike, shared by
//! the parent and its children.
//!
//! A child's failure is decided in the child's own task, from its supervisor's strategy,
//! which is static data: the decision never waits for the supervisor's handler, whatever
//! that handler is awaiting (OTP's supervisors run no user code; Akka handles system
//! messages while an async handler is suspended). What the decision needs of the
//! supervisor's state (its children, the restarts counted against the intensity) sits
//! behind a lock taken only for that bookkeeping: the decider, a user function, runs
//! before the lock is taken, and every signal is sent after it is released.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::address::handle::ActorHandle;
use crate::error::{Failure, FailureKind};
use crate::events::{Events, SystemEvent};
use crate::id::ActorId;
use crate::lifecycle::StopReason;
use crate::mailbox::signal::SystemSignal;
use crate::supervision::decision::{Child, ChildCommand, ChildExit, SupervisorState};
use crate::supervision::strategy::{ChildFailure, Directive, RestartPolicy, SupervisorStrategy};

/// A supervised child, as its parent knows it.
pub(crate) struct ChildEntry {
    pub(crate) id: ActorId,
    pub(crate) policy: RestartPolicy,
    /// Its lane (for commands), status (to wait for its end), and path.
    pub(crate) handle: ActorHandle,
    /// Whether it holds a strong ref to the child (counted by hand in the child's cell,
    /// given back when the entry drops): children of actors live as long as their parent
    /// wants them, named top-level actors until they are stopped; unnamed top-level
    /// actors live while someone else holds a ref.
    pub(crate) keeps_alive: bool,
}

impl Drop for ChildEntry {
    fn drop(&mut self) {
        if self.keeps_alive {
            self.handle.release_strong_ref();
        }
    }
}

impl Child for ChildEntry {
    fn id(&self) -> ActorId {
        self.id
    }

    fn policy(&self) -> RestartPolicy {
        self.policy
    }

    fn name(&self) -> Option<&str> {
        self.handle.name()
    }
}

/// A supervisor: its strategy, who it is, and its children's bookkeeping.
pub(crate) struct Supervisor {
    strategy: SupervisorStrategy,
    /// The supervising actor's id and lane; `None` for the guardian, which has no one
    /// above it to escalate to.
    owner: Option<(ActorId, ActorHandle)>,
    state: Mutex<SupervisorState<ChildEntry>>,
    /// Restarts of several siblings together: one at a time, in the order decided.
    together: Mutex<Together>,
}

/// The restarts together that are decided and not finished yet.
#[derive(Default)]
struct Together {
    /// Waiting their turn, oldest first.
    queued: VecDeque<Group>,
    /// Whether a task is carrying them out (it takes the queue until it is empty).
    running: bool,
    /// Children in a queued or running restart that have not been started again yet, and
    /// in how many: a failure of one of them is part of that restart (OTP takes the exit
    /// of a child it is restarting into the restart), not a new decision.
    restarting: HashMap<ActorId, usize>,
}

/// The siblings of one restart together, in start order, with each one's command.
type Group = Vec<(ActorId, ActorHandle, ChildCommand)>;

/// What a child does after its supervisor's decision about it.
#[derive(Debug)]
pub(crate) enum Verdict {
    Resume,
    Restart {
        delay: Duration,
        cause: Failure,
    },
    Stop(StopReason),
    /// Wait for a command: its supervisor's fate decides it (an escalation, a panicking
    /// decider), or a restart together with its siblings is under way.
    Wait,
}

impl Supervisor {
    pub(crate) fn new(
        strategy: SupervisorStrategy,
        owner: Option<(ActorId, ActorHandle)>,
        seed: u64,
    ) -> Arc<Self> {
        Arc::new(Supervisor {
            state: Mutex::new(SupervisorState::new(strategy.clone(), seed)),
            strategy,
            owner,
            together: Mutex::new(Together::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SupervisorState<ChildEntry>> {
        // Edited only in short sections that run no user code; a poisoned lock still
        // holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn together(&self) -> MutexGuard<'_, Together> {
        self.together.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The supervising actor, or `None` for the guardian.
    pub(crate) fn owner_id(&self) -> Option<ActorId> {
        self.owner.as_ref().map(|(id, _)| *id)
    }

    pub(crate) fn adopt(&self, entry: ChildEntry) {
        self.lock().children.push(entry);
    }

    /// Forgets a child that has stopped.
    pub(crate) fn remove(&self, child: ActorId) {
        let entry = self.lock().children.remove(child);
        // Dropped unlocked: its keep-alive ref signals the child when it goes.
        drop(entry);
    }

    /// Takes every child out, in spawn order, to stop them.
    pub(crate) fn take_all(&self) -> Vec<ChildEntry> {
        self.lock().children.take_all()
    }

    /// The children's ids, in spawn order.
    pub(crate) fn child_ids(&self) -> Vec<ActorId> {
        self.lock().children.iter().map(|child| child.id).collect()
    }

    /// Sends `signal()` to every child: a failed supervisor suspends its children, and
    /// resumes them with itself.
    pub(crate) fn tell_children(&self, signal: impl Fn() -> SystemSignal) {
        let handles: Vec<ActorHandle> = self
            .lock()
            .children
            .iter()
            .map(|child| child.handle.clone())
            .collect();
        for handle in handles {
            let _ = handle.send(signal());
        }
    }

    /// A new instance of the supervisor is a new supervisor, as a restarted OTP
    /// supervisor is a new process: its children's restarts count afresh.
    pub(crate) fn forget_restarts(&self) {
        self.lock().forget_restarts();
    }

    /// Decides what `child` does after `exit`: called by the child's own task, so that a
    /// decision never waits for the supervisor. Publishes the decision, sends the siblings
    /// their commands, and fails the supervisor when the decision escalates.
    pub(crate) fn decide(
        self: &Arc<Self>,
        child: ActorId,
        exit: ChildExit,
        events: &Arc<Events>,
    ) -> Verdict {
        if self.together().restarting.contains_key(&child) {
            // Its restart together with its siblings is under way: this failure is part of
            // it, and the restart tears it down and starts it again.
            return Verdict::Wait;
        }
        let directive = match &exit {
            ChildExit::Failed(failure) => {
                let name = match self.lock().children.get(child) {
                    Some(entry) => entry.name().map(Arc::from),
                    // Taken out: the supervisor is stopping it. The stop may be one the
                    // child already read (it failed handling its queue for a graceful stop),
                    // so nothing more would come to a child that waited: it stops now, as
                    // a child that cannot run when its parent stops does.
                    None => return Verdict::Stop(StopReason::Failed(failure.clone())),
                };
                let seen = ChildFailure {
                    child,
                    name,
                    failure: failure.clone(),
                };
                // The decider is user code: it runs unlocked, and a panic in it is a
                // failure of the supervisor, decided by the supervisor's own parent.
                let decided =
                    std::panic::catch_unwind(AssertUnwindSafe(|| self.strategy.decide(&seen)));
                match decided {
                    Ok(directive) => directive,
                    Err(payload) => {
                        let panic = Failure::from_panic(FailureKind::DeciderPanic, &*payload);
                        return self.decider_panicked(child, failure, &panic);
                    }
                }
            }
            // A self-stop is decided by the child's restart policy alone.
            ChildExit::StoppedItself => Directive::Stop,
        };
        let failure = match &exit {
            ChildExit::Failed(failure) => Some(failure.clone()),
            ChildExit::StoppedItself => None,
        };
        let (plan, path, targets) = {
            let mut state = self.lock();
            let plan = state.plan(Instant::now(), child, directive, exit);
            let path = state
                .children
                .get(child)
                .map(|entry| Arc::clone(entry.handle.path()));
            let targets: Group = plan
                .commands
                .iter()
                .filter_map(|(id, command)| {
                    let entry = state.children.get(*id)?;
                    Some((*id, entry.handle.clone(), command.clone()))
                })
                .collect();
            (plan, path, targets)
        };
        let Some(path) = path else {
            return Verdict::Wait;
        };
        let together = plan.restarts_together();
        let own = plan.command_for(child).cloned();
        if let Some(directive) = plan.directive {
            events.publish(SystemEvent::Decided {
                supervisor: self.owner_id(),
                child,
                path: Arc::clone(&path),
                directive,
            });
        }
        let stop_reason = || match &failure {
            Some(failure) => StopReason::Failed(failure.clone()),
            None => StopReason::Requested,
        };
        let mut verdict = Verdict::Wait;
        if let Some(escalated) = plan.escalate {
            let escalated = Failure::escalated(&path, &escalated);
            let reached = match &self.owner {
                Some((_, owner)) => owner.fail(escalated).is_ok(),
                // The guardian has no one above it: the child stops.
                None => false,
            };
            if !reached {
                verdict = Verdict::Stop(stop_reason());
            }
        }
        if together {
            // Siblings restarted together, as OTP does: every one is stopped, in reverse
            // start order, before any is started again, in start order.
            let start = {
                let mut together = self.together();
                for (id, _, _) in &targets {
                    *together.restarting.entry(*id).or_insert(0) += 1;
                }
                together.queued.push_back(targets);
                !std::mem::replace(&mut together.running, true)
            };
            if start {
                tokio::spawn(Arc::clone(self).restart_queued(Arc::clone(events)));
            }
            return Verdict::Wait;
        }
        // A plan that does not restart siblings together commands the failed child alone
        // (the decision's model test states it), so the child carries its command out
        // itself, in this task: there is no sibling to signal.
        debug_assert!(
            targets.iter().all(|(id, _, _)| *id == child),
            "a plan that is not a restart together commanded a sibling"
        );
        match own {
            Some(ChildCommand::Resume) => Verdict::Resume,
            Some(ChildCommand::Restart { delay, cause }) => Verdict::Restart { delay, cause },
            Some(ChildCommand::Stop) => Verdict::Stop(stop_reason()),
            // No command of its own: escalated (it waits, or stops if that reached no one).
            None => verdict,
        }
    }

    /// The decider panicked while deciding about `child`'s `failure`: the supervisor fails,
    /// and the child waits for its fate. The guardian cannot fail, so its child stops.
    fn decider_panicked(&self, child: ActorId, failure: &Failure, panic: &Failure) -> Verdict {
        let path = self
            .lock()
            .children
            .get(child)
            .map(|entry| Arc::clone(entry.handle.path()));
        let path = path.map_or_else(|| child.to_string(), |path| path.to_string());
        let supervisor_failure = Failure::decider_panicked(&path, failure, panic);
        match &self.owner {
            Some((_, owner)) if owner.fail(supervisor_failure.clone()).is_ok() => Verdict::Wait,
            _ => Verdict::Stop(StopReason::Failed(supervisor_failure)),
        }
    }
}

impl Supervisor {
    /// Carries out the queued restarts together, one after the other, until none is left.
    async fn restart_queued(self: Arc<Self>, events: Arc<Events>) {
        loop {
            let group = {
                let mut together = self.together();
                match together.queued.pop_front() {
                    Some(group) => group,
                    None => {
                        together.running = false;
                        return;
                    }
                }
            };
            self.restart_together(group, &events).await;
        }
    }

    /// Restarts several siblings together: each is torn down (its `pre_restart` runs, its
    /// instance is dropped, its children are stopped) in reverse start order, and a
    /// temporary one is stopped, before any is started again, in start order. A teardown
    /// interrupts a handler waiting at an await point, so that no sibling's wait holds
    /// up the restart (OTP kills a child that does not stop). A sibling that stops
    /// meanwhile is skipped: its lane refuses the signal, or drops the reply.
    async fn restart_together(&self, group: Group, events: &Events) {
        let mut delay = Duration::ZERO;
        for (_, handle, command) in group.iter().rev() {
            match command {
                ChildCommand::Restart { delay: wait, cause } => {
                    delay = *wait;
                    let (done, torn_down) = oneshot::channel();
                    if handle.teardown(cause.clone(), done) {
                        let _ = torn_down.await;
                    }
                }
                ChildCommand::Stop => {
                    if handle.stop_urgently() {
                        handle.status().stopped().await;
                    }
                }
                ChildCommand::Resume => {
                    let _ = handle.send(SystemSignal::Resume);
                }
            }
        }
        if !delay.is_zero() {
            events.clock().sleep(delay).await;
        }
        for (id, handle, command) in &group {
            // From here on, a failure of this sibling is a failure of its new instance,
            // decided as any other.
            {
                let mut together = self.together();
                if let Some(count) = together.restarting.get_mut(id) {
                    *count -= 1;
                    if *count == 0 {
                        together.restarting.remove(id);
                    }
                }
            }
            if matches!(command, ChildCommand::Restart { .. }) {
                let (done, started) = oneshot::channel();
                if handle.send(SystemSignal::Start { done }).is_ok() {
                    let _ = started.await;
                }
            }
        }
    }
}
