//! [`ActorSystem`]: spawns actors, finds them by name, shuts them all down.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::actor_ref::{ActorCell, ActorId, ActorRef, RefCore, WeakActorRef};
use crate::error::{LookupError, SpawnError};
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal};
use crate::mailbox::mailbox;
use crate::props::Props;
use crate::runner;

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
///     .build();
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
}

#[derive(Default)]
struct Registry {
    shutting_down: bool,
    actors: HashMap<ActorId, Entry>,
    names: HashMap<Arc<str>, ActorId>,
}

/// What the system keeps of each live actor: enough to stop it, wait for it, abort it and
/// find it by name, and nothing that keeps it alive.
struct Entry {
    name: Option<Arc<str>>,
    signals: mpsc::UnboundedSender<SystemSignal>,
    status: watch::Receiver<ActorStatus>,
    abort: Option<AbortHandle>,
    /// A `WeakActorRef<A>`, for typed lookups by name.
    weak: Box<dyn Any + Send + Sync>,
}

/// Configures an [`ActorSystem`].
#[derive(Debug, Clone)]
pub struct SystemBuilder {
    name: String,
    ask_timeout: Duration,
    shutdown_timeout: Duration,
    runtime: Option<Handle>,
}

impl SystemBuilder {
    /// The system's name, for logs and (later) remote addresses. Default: `"system"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long an ask waits when it sets no timeout of its own. Default: 5 seconds.
    /// Every ask has a timeout, because an ask that can wait for ever is the most common
    /// way an actor program hangs.
    pub fn ask_timeout(mut self, timeout: Duration) -> Self {
        self.ask_timeout = timeout;
        self
    }

    /// How long [`ActorSystem::shutdown`] waits for actors to stop before it aborts the
    /// tasks of those still running. Default: 5 seconds.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The runtime actors are spawned on. Default: the runtime current when the system is
    /// built, or, if there is none, the one current at each spawn.
    pub fn runtime(mut self, handle: Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Builds the system.
    pub fn build(self) -> ActorSystem {
        ActorSystem {
            inner: Arc::new(SystemInner {
                name: self.name,
                ask_timeout: self.ask_timeout,
                shutdown_timeout: self.shutdown_timeout,
                runtime: self.runtime.or_else(|| Handle::try_current().ok()),
                registry: Mutex::new(Registry::default()),
            }),
        }
    }
}

impl Default for SystemBuilder {
    fn default() -> Self {
        SystemBuilder {
            name: "system".to_owned(),
            ask_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(5),
            runtime: None,
        }
    }
}

/// What [`ActorSystem::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Actors that stopped within the timeout, running their hooks.
    pub stopped: usize,
    /// Actors whose tasks were aborted because they were still running at the timeout.
    pub aborted: usize,
}

impl ActorSystem {
    /// A system with the default configuration.
    pub fn new() -> Self {
        Self::builder().build()
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
    /// outside a tokio runtime.
    pub fn spawn<A: Actor>(&self, props: impl Into<Props<A>>) -> Result<ActorRef<A>, SpawnError> {
        let Props {
            factory,
            name,
            mailbox: mailbox_config,
        } = props.into();
        let runtime = match &self.inner.runtime {
            Some(handle) => handle.clone(),
            None => Handle::try_current().map_err(|_| SpawnError::NoRuntime)?,
        };
        let name: Option<Arc<str>> = name.map(Arc::from);
        let (mailbox_tx, mailbox_rx) = mailbox::<A>(mailbox_config.unwrap_or_else(A::mailbox));
        let (signals_tx, signals_rx) = mpsc::unbounded_channel();
        let (status_tx, status_rx) = watch::channel(ActorStatus::Starting);
        let cell = Arc::new(ActorCell {
            id: ActorId::next(),
            name: name.clone(),
            mailbox: mailbox_tx,
            signals: signals_tx.clone(),
            strong_refs: AtomicUsize::new(0),
            status: status_tx,
            ask_timeout: self.inner.ask_timeout,
            accepting: AtomicBool::new(true),
        });
        let actor_ref = ActorRef::from_core(RefCore::new_strong(Arc::clone(&cell)));

        // The entry goes in before the task starts, and the lock is held until the abort
        // handle is stored, so a task that ends at once still finds its entry to remove.
        let mut registry = self.registry();
        if registry.shutting_down {
            return Err(SpawnError::SystemShutDown);
        }
        if let Some(name) = &name {
            if registry.names.contains_key(name) {
                return Err(SpawnError::NameTaken(name.to_string()));
            }
            registry.names.insert(Arc::clone(name), cell.id);
        }
        registry.actors.insert(
            cell.id,
            Entry {
                name,
                signals: signals_tx,
                status: status_rx,
                abort: None,
                weak: Box::new(WeakActorRef::from_cell(Arc::clone(&cell))),
            },
        );
        let task = runtime.spawn(runner::run(
            Arc::clone(&cell),
            factory,
            mailbox_rx,
            signals_rx,
            self.clone(),
        ));
        if let Some(entry) = registry.actors.get_mut(&cell.id) {
            entry.abort = Some(task.abort_handle());
        }
        Ok(actor_ref)
    }

    /// Finds a live actor by the name it was spawned with.
    ///
    /// # Errors
    ///
    /// [`LookupError::NotFound`] if no live actor has the name, [`LookupError::WrongType`]
    /// if the one that has it is not an `A`.
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, LookupError> {
        let registry = self.registry();
        let not_found = || LookupError::NotFound(name.to_owned());
        let id = registry.names.get(name).ok_or_else(not_found)?;
        let entry = registry.actors.get(id).ok_or_else(not_found)?;
        let weak = entry
            .weak
            .downcast_ref::<WeakActorRef<A>>()
            .ok_or_else(|| LookupError::WrongType {
                name: name.to_owned(),
                expected: std::any::type_name::<A>(),
            })?;
        weak.upgrade().ok_or_else(not_found)
    }

    /// Stops every actor and waits for them: each finishes the message it is handling and
    /// runs its `stopping` and `stopped` hooks; queued messages are dropped. An actor still
    /// running after the shutdown timeout has its task aborted (its hooks do not run).
    /// New spawns fail from the moment this is called.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the system shutting down: the stop signals are already
    /// sent, but stuck actors are not aborted.
    pub async fn shutdown(&self) -> ShutdownReport {
        let pending: Vec<(watch::Receiver<ActorStatus>, Option<AbortHandle>)> = {
            let mut registry = self.registry();
            registry.shutting_down = true;
            registry
                .actors
                .values()
                .map(|entry| {
                    let _ = entry.signals.send(SystemSignal::Stop(
                        StopMode::Immediate,
                        StopReason::Shutdown,
                    ));
                    (entry.status.clone(), entry.abort.clone())
                })
                .collect()
        };
        let deadline = tokio::time::Instant::now() + self.inner.shutdown_timeout;
        let mut report = ShutdownReport::default();
        for (mut status, abort) in pending {
            let stopped =
                tokio::time::timeout_at(deadline, status.wait_for(ActorStatus::is_stopped));
            if stopped.await.is_ok() {
                report.stopped += 1;
            } else {
                if let Some(abort) = abort {
                    abort.abort();
                }
                report.aborted += 1;
            }
        }
        report
    }

    /// Whether [`shutdown`](Self::shutdown) has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.registry().shutting_down
    }

    pub(crate) fn unregister(&self, id: ActorId) {
        let mut registry = self.registry();
        if let Some(entry) = registry.actors.remove(&id) {
            if let Some(name) = entry.name {
                registry.names.remove(&name);
            }
        }
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
