//! Spawning: a new actor's cell, mailbox, system lane and task, under the guardian
//! ([`ActorSystem::spawn`]) or under an actor ([`Context::spawn`]), one code path for both.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::runtime::Handle;

use crate::actor::Actor;
use crate::address::actor_ref::ActorRef;
use crate::address::cell::ActorCell;
use crate::address::core::RefCore;
use crate::context::Context;
use crate::error::SpawnError;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopReason};
use crate::props::Props;
use crate::runner;
use crate::supervision::supervisor::{ChildEntry, Supervisor};
use crate::system::registry::Entry;
use crate::system::ActorSystem;

impl ActorSystem {
    /// Spawns an actor, from a value or from [`Props`], and returns a ref to it.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[actor]
    /// struct Counter { count: u64 }
    ///
    /// #[actor]
    /// impl Counter {
    ///     #[message]
    ///     fn add(&mut self, n: u64) -> u64 { self.count += n; self.count }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let counter = system.spawn(Counter { count: 0 }).unwrap();
    /// let named = system.spawn(Props::new(|| Counter { count: 10 }).name("tens")).unwrap();
    /// assert_eq!(counter.add(1).await.unwrap(), 1);
    /// assert_eq!(named.add(1).await.unwrap(), 11);
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`SpawnError::NameTaken`] if a live actor has the same name,
    /// [`SpawnError::SystemShutDown`] once shutdown has begun, [`SpawnError::NoRuntime`]
    /// outside a tokio runtime, [`SpawnError::RuntimeShutDown`] if the system's runtime
    /// is gone.
    ///
    /// # Lifetime
    ///
    /// A named top-level actor lives until it is stopped, as in Akka: the guardian holds
    /// a ref to it, and [`lookup`](Self::lookup) finds it. An unnamed one, which nobody
    /// can look up, stops once its last strong ref is dropped
    /// ([`StopReason::RefsDropped`](crate::StopReason::RefsDropped)).
    pub fn spawn<A: Actor>(&self, props: impl Into<Props<A>>) -> Result<ActorRef<A>, SpawnError> {
        self.spawn_under(
            Arc::clone(self.guardian()),
            Arc::clone(self.user_path()),
            props.into(),
        )
    }

    /// Spawns an actor under `parent` (the guardian, or an actor's supervisor of its
    /// children) and registers it. The supervisor knows the child before its task starts:
    /// an actor that fails at once must find its supervisor already knowing it.
    pub(crate) fn spawn_under<A: Actor>(
        &self,
        parent: Arc<Supervisor>,
        parent_path: Arc<str>,
        props: Props<A>,
    ) -> Result<ActorRef<A>, SpawnError> {
        let Props {
            factory,
            name,
            mailbox: mailbox_config,
            restart,
        } = props;
        let runtime = match self.runtime() {
            Some(handle) => handle.clone(),
            None => Handle::try_current().map_err(|_| SpawnError::NoRuntime)?,
        };
        if let Some(name) = &name {
            // Names are path segments: `/` would forge a path, `$` is for unnamed actors.
            if name.is_empty() || name.contains('/') || name.starts_with('$') {
                return Err(SpawnError::InvalidName(name.clone()));
            }
        }
        self.shared_events().clock_on(&runtime);
        let id = ActorId::next();
        let cell = ActorCell::new(
            id,
            parent_path,
            name.as_deref(),
            mailbox_config.unwrap_or_else(A::mailbox),
            self.ask_timeout(),
            Arc::clone(self.shared_events()),
        );
        let handle = cell.handle();
        let actor_ref: ActorRef<A> = ActorRef::from_core(RefCore::new_strong(Arc::clone(&cell)));
        let parent_id = parent.owner_id();
        // A child lives as long as its parent wants it; a named top-level actor until it
        // is stopped (Akka's `/user` guardian keeps it). Only an unnamed top-level actor,
        // which nobody could look up again, lives while someone holds a ref.
        let keeps_alive = parent_id.is_some() || name.is_some();
        if keeps_alive {
            cell.strong_refs.fetch_add(1, Ordering::Relaxed);
        }
        let entry = ChildEntry {
            id,
            policy: restart,
            handle: handle.clone(),
            keeps_alive,
        };

        // The entry goes in before the task starts, so that a task that ends at once finds
        // it to remove. The lock is released before the spawn: a runtime that is gone
        // drops the task's future inside `spawn`, on this thread, and its guard takes the
        // lock again to unregister the actor.
        self.register(
            id,
            name,
            Entry {
                parent: parent_id,
                handle: handle.clone(),
                abort: None,
            },
        )?;
        parent.adopt(entry);
        let task = runtime.spawn(runner::run(cell, factory, self.clone(), parent, restart));
        // A task whose future was dropped before it ran ends `Aborted`; nothing else can
        // have aborted it, since its abort handle is not stored yet. tokio does that at
        // once to a task spawned on a runtime that has shut down, and the task's guard has
        // already unregistered the actor and told its supervisor.
        if task.is_finished() && handle.status().get() == ActorStatus::Stopped(StopReason::Aborted)
        {
            return Err(SpawnError::RuntimeShutDown);
        }
        self.record_abort(id, task.abort_handle());
        Ok(actor_ref)
    }
}

impl<A: Actor> Context<A> {
    /// Spawns a child: this actor supervises it with its
    /// [`supervisor_strategy`](Actor::supervisor_strategy), keeps it alive while it runs,
    /// and stops it before stopping itself (or restarting). Its path is this actor's path
    /// plus its name (names are unique among siblings).
    ///
    /// # Errors
    ///
    /// As [`ActorSystem::spawn`], with [`SpawnError::NameTaken`] for a sibling's name and
    /// [`SpawnError::ParentStopping`] once this actor is stopping its children for good.
    pub fn spawn<B: Actor>(
        &mut self,
        props: impl Into<Props<B>>,
    ) -> Result<ActorRef<B>, SpawnError> {
        let supervisor = Arc::clone(self.children_supervisor()?);
        let path = Arc::clone(self.cell().path());
        self.system().spawn_under(supervisor, path, props.into())
    }
}
