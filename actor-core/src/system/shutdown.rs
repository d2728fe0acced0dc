//! [`ActorSystem::shutdown`]: every actor stopped, in tree order, within a timeout.

use std::collections::HashSet;
use std::pin::pin;
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::address::handle::ActorHandle;
use crate::id::ActorId;
use crate::lifecycle::{StopMode, StopReason};
use crate::mailbox::signal::SystemSignal;
use crate::system::ActorSystem;

/// What [`ActorSystem::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Actors that stopped within the timeout, running their hooks.
    pub stopped: usize,
    /// Actors whose tasks were aborted because they were still running at the timeout.
    pub aborted: usize,
    /// Actors not waited for, because shutdown was called from inside one of them: that
    /// actor, which cannot stop before its handler returns, its ancestors, which wait for
    /// it to stop, and its descendants, which it stops on its way out. They stop (hooks
    /// and all) once the caller's handler returns.
    pub deferred: usize,
}

impl ActorSystem {
    /// Stops every actor and waits for them: each top-level actor stops its children first
    /// (deepest first), each actor finishes the message it is handling and runs its
    /// `stopping` and `stopped` hooks; queued messages go to dead letters. Actors still
    /// running after the shutdown timeout (stuck inside a handler) have their tasks aborted
    /// and their hooks do not run. New spawns fail from the moment this is called.
    ///
    /// Every mailbox refuses new messages from the moment this is called, as after
    /// [`ActorRef::stop_now`](crate::ActorRef::stop_now): a sender waiting for room gets its message back at once, so
    /// that actors whose handlers wait for room in each other's mailboxes return from
    /// them and stop like the others. A child still handles what is already queued until
    /// its parent stops it, as before.
    ///
    /// Called from inside an actor (`ctx.system().shutdown().await` in a handler), it
    /// does not wait for that actor, which cannot stop before its handler returns, nor
    /// for its ancestors, which wait for it, nor for its descendants, which it stops on its
    /// way out: they stop, hooks and all, once the handler returns, and the report counts
    /// them as [`deferred`](ShutdownReport::deferred).
    ///
    /// Usable from a thread without a tokio runtime (blocking on it with any executor)
    /// when the system knows its runtime: its timeout is armed there.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the system shutting down: the stop signals are already
    /// sent, but stuck actors are not aborted.
    ///
    /// [`ActorRef::stop_now`]: crate::ActorRef::stop_now
    pub async fn shutdown(&self) -> ShutdownReport {
        let caller_task = tokio::task::try_id();
        let mut top_level = Vec::new();
        let mut children = Vec::new();
        let mut awaited: Vec<(ActorId, ActorHandle)> = Vec::new();
        let mut report = ShutdownReport::default();
        {
            let mut registry = self.registry();
            registry.shutting_down = true;
            let deferred = caller_task.map_or_else(HashSet::new, |task| registry.caller_line(task));
            for (id, entry) in &registry.actors {
                match entry.parent {
                    None => top_level.push(entry.handle.clone()),
                    Some(_) => children.push(entry.handle.clone()),
                }
                if deferred.contains(id) {
                    report.deferred += 1;
                } else {
                    awaited.push((*id, entry.handle.clone()));
                }
            }
        }
        // Outside the lock: a signal wakes the actor's task, a call into tokio.
        for handle in &top_level {
            let _ = handle.send(SystemSignal::Stop(
                StopMode::Immediate,
                StopReason::Shutdown,
            ));
            handle.close_mailbox(false);
        }
        // A child keeps receiving until its parent stops it, in tree order; only its
        // senders are turned away now.
        for handle in &children {
            handle.close_mailbox(true);
        }
        drop((top_level, children));
        if awaited.is_empty() {
            return report;
        }

        let clock = self.inner.events.clock();
        let mut deadline = pin!(clock.sleep(self.inner.shutdown_timeout));
        let mut stuck = Vec::new();
        for (id, handle) in awaited {
            // Most have stopped by the time the first is waited for: no wait to set up.
            if handle.status().is_stopped() {
                report.stopped += 1;
                continue;
            }
            let stopped = tokio::select! {
                biased;
                _ = handle.status().stopped() => true,
                () = deadline.as_mut() => false,
            };
            if stopped {
                report.stopped += 1;
            } else {
                stuck.push((id, handle));
            }
        }
        if stuck.is_empty() {
            return report;
        }
        // Abort the stuck ones, then let their tasks unwind (which marks them `Aborted`).
        let aborts: Vec<AbortHandle> = {
            let registry = self.registry();
            stuck
                .iter()
                .filter_map(|(id, _)| registry.actors.get(id)?.abort.clone())
                .collect()
        };
        for abort in &aborts {
            abort.abort();
        }
        let mut unwinding = pin!(clock.sleep(Duration::from_secs(1)));
        for (_, handle) in stuck {
            tokio::select! {
                biased;
                _ = handle.status().stopped() => {}
                () = unwinding.as_mut() => {}
            }
            report.aborted += 1;
        }
        report
    }
}
