//! [`ActorSystem`]: spawns actors, finds them by name, shuts them all down.
//!
//! One file per concern: `builder` (its configuration), `registry` (the live actors, by id
//! and by path) and `shutdown`. Spawning is a module of its own (`crate::spawn`), above
//! the runner it starts.

mod builder;
pub(crate) mod extensions;
pub(crate) mod registry;
mod shutdown;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::cell::ActorCell;
use crate::address::core::Target;
use crate::error::{LookupError, SpawnError};
use crate::events::{Events, SystemEvent};
use crate::id::ActorId;
use crate::supervision::supervisor::Supervisor;

pub use self::builder::SystemBuilder;
use self::extensions::Extensions;
use self::registry::{Entry, Registry};
pub use self::shutdown::ShutdownReport;

/// A group of actors that share configuration and shut down together.
///
/// Cheap to clone: clones are handles to the same system. Build one inside a tokio runtime
/// (actors are tokio tasks), or give it a runtime [`Handle`] with
/// [`SystemBuilder::runtime`].
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::builder()
///     .name("bank")
///     .ask_timeout(Duration::from_secs(2))
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(system.name(), "bank");
/// let report = system.shutdown().await;
/// assert_eq!(report.aborted, 0);
/// # }
/// ```
#[derive(Clone)]
pub struct ActorSystem {
    inner: Arc<SystemInner>,
}

struct SystemInner {
    name: String,
    ask_timeout: Duration,
    shutdown_timeout: Duration,
    runtime: Option<Handle>,
    registry: Mutex<Registry>,
    /// Supervises the top-level actors.
    guardian: Arc<Supervisor>,
    /// The guardian's path, `/user`, which every top-level actor's path begins with.
    user_path: Arc<str>,
    events: Arc<Events>,
    /// Values shared under a name by the modules above the system (topics).
    extensions: Extensions,
}

impl ActorSystem {
    /// A system with the default configuration, which is always valid.
    pub fn new() -> Self {
        Self::builder().assemble()
    }

    /// A builder to configure a system.
    pub fn builder() -> SystemBuilder {
        SystemBuilder::default()
    }

    /// The system's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The default ask timeout.
    pub fn ask_timeout(&self) -> Duration {
        self.inner.ask_timeout
    }

    /// How many actors are alive.
    pub fn actor_count(&self) -> usize {
        self.registry().actors.len()
    }

    /// Finds a live actor by its path (`/user/bank/account-7`), or a top-level actor by
    /// its name (`bank`, short for `/user/bank`).
    ///
    /// # Errors
    ///
    /// [`LookupError::NotFound`] if no live actor has the path, [`LookupError::WrongType`]
    /// if the one that has it is not an `A`.
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, LookupError> {
        let path = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/user/{name}")
        };
        let not_found = || LookupError::NotFound(name.to_owned());
        let last = path.rsplit('/').next().unwrap_or_default();
        let cell = {
            let registry = self.registry();
            let id = match ActorId::from_segment(last) {
                Some(id) => id,
                None => *registry.named.get(path.as_str()).ok_or_else(not_found)?,
            };
            let entry = registry
                .actors
                .get(&id)
                .filter(|entry| **entry.handle.path() == *path)
                .ok_or_else(not_found)?;
            entry.handle.cell()
        };
        let cell = cell
            .downcast::<ActorCell<A>>()
            .map_err(|_| LookupError::WrongType {
                name: name.to_owned(),
                expected: std::any::type_name::<A>(),
            })?;
        WeakActorRef::from_target(Target::Local(cell))
            .upgrade()
            .ok_or_else(not_found)
    }

    /// Subscribes to the system's events: failures, supervision decisions, restarts, stops
    /// and dead letters. Only events after the call are seen.
    pub fn events(&self) -> broadcast::Receiver<SystemEvent> {
        self.inner.events.subscribe()
    }

    /// How many messages went to dead letters so far: sent to actors that no longer accepted
    /// them, or dropped from a mailbox when its actor stopped.
    pub fn dead_letter_count(&self) -> u64 {
        self.inner.events.dead_letter_count()
    }

    /// A sleep on the system's timers, which work also when its runtime has no time
    /// driver: for restart back-offs.
    pub(crate) fn sleep(&self, duration: Duration) -> tokio::time::Sleep {
        self.inner.events.clock().sleep(duration)
    }

    /// The guardian: the supervisor of the top-level actors.
    pub(crate) fn guardian(&self) -> &Arc<Supervisor> {
        &self.inner.guardian
    }

    /// The path of the top-level actors' parent, `/user`.
    pub(crate) fn user_path(&self) -> &Arc<str> {
        &self.inner.user_path
    }

    /// The runtime actors are spawned on, if the system was given or found one.
    pub(crate) fn runtime(&self) -> Option<&Handle> {
        self.inner.runtime.as_ref()
    }

    /// Registers a new actor (by path too, if `name`d) before its task starts, so that a
    /// task that ends at once finds its entry to remove. The lock is released before the
    /// task is spawned: a runtime that is gone drops the task's future inside its `spawn`,
    /// on this thread, and the task's guard takes the lock again to unregister the actor.
    ///
    /// # Errors
    ///
    /// [`SpawnError::SystemShutDown`] once shutdown has begun, [`SpawnError::NameTaken`]
    /// if a live actor has the path.
    pub(crate) fn register(
        &self,
        id: ActorId,
        name: Option<String>,
        entry: Entry,
    ) -> Result<(), SpawnError> {
        let mut registry = self.registry();
        if registry.shutting_down {
            return Err(SpawnError::SystemShutDown);
        }
        if let Some(name) = name {
            let path = entry.handle.path();
            if registry.named.contains_key(path) {
                return Err(SpawnError::NameTaken(name));
            }
            registry.named.insert(Arc::clone(path), id);
        }
        registry.actors.insert(id, entry);
        Ok(())
    }

    /// Records the abort handle of an actor's task, once it is spawned: shutdown aborts
    /// the tasks of actors stuck past its timeout.
    pub(crate) fn record_abort(&self, id: ActorId, abort: AbortHandle) {
        if let Some(entry) = self.registry().actors.get_mut(&id) {
            entry.abort = Some(abort);
        }
    }

    /// What the system shares with its actors' cells and supervisors: the event stream,
    /// the dead-letter count and the clock.
    /// The values shared under a name by the modules above the system (topics).
    pub(crate) fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    pub(crate) fn shared_events(&self) -> &Arc<Events> {
        &self.inner.events
    }

    pub(crate) fn publish(&self, event: SystemEvent) {
        self.inner.events.publish(event);
    }

    /// Whether [`shutdown`](Self::shutdown) has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.registry().shutting_down
    }

    pub(crate) fn unregister(&self, id: ActorId) {
        let entry = {
            let mut registry = self.registry();
            let entry = registry.actors.remove(&id);
            if let Some(entry) = &entry {
                if entry.handle.name().is_some() {
                    registry.named.remove(entry.handle.path());
                }
            }
            entry
        };
        // Dropped outside the lock: its abort handle may be its task's last reference.
        drop(entry);
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // The registry is only edited in small, panic-free sections; a poisoned lock still
        // holds consistent data.
        self.inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ActorSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorSystem")
            .field("name", &self.inner.name)
            .field("actors", &self.actor_count())
            .finish_non_exhaustive()
    }
}
