//! [`ActorSystem`]: spawns actors, finds them by name, shuts them all down.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::actor_ref::{ActorCell, ActorId, ActorRef, IdMap, RefCore, WeakActorRef};
use crate::error::{LookupError, SpawnError};
use crate::events::{Events, SystemEvent};
use crate::lifecycle::{actor_link, ActorLink};
use crate::lifecycle::{StopMode, StopReason, SystemSignal};
use crate::mailbox::mailbox;
use crate::props::Props;
use crate::runner;
use crate::supervision::{ChildEntry, SupervisorStrategy};
use crate::supervisor::SupervisorCell;

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
    /// Supervises the top-level actors.
    guardian: Arc<SupervisorCell>,
    events: Arc<Events>,
}

#[derive(Default)]
struct Registry {
    shutting_down: bool,
    actors: IdMap<Entry>,
    /// Named actors by path. An unnamed actor's path ends in `$` and its id, which is
    /// enough to find it in `actors`.
    named: HashMap<Arc<str>, ActorId>,
}

/// What the system keeps of each live actor: enough to stop it, wait for it, abort it and
/// find it by path, and nothing that keeps it alive.
struct Entry {
    top_level: bool,
    /// Its lane, status and path.
    link: ActorLink,
    abort: Option<AbortHandle>,
    /// The actor's `ActorCell<A>`, for typed lookups by name. Only strong refs keep an
    /// actor running, and this is not one.
    cell: Arc<dyn Any + Send + Sync>,
}

/// Configures an [`ActorSystem`].
#[derive(Debug, Clone)]
pub struct SystemBuilder {
    name: String,
    ask_timeout: Duration,
    shutdown_timeout: Duration,
    runtime: Option<Handle>,
    guardian: SupervisorStrategy,
    event_capacity: usize,
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

    /// How the guardian supervises top-level actors. The default stops a failed top-level
    /// actor ([`SupervisorStrategy::guardian_default`]): to restart actors, put them under a
    /// supervising actor, or set a restarting strategy here. A top-level `Escalate` has no
    /// one above to go to and stops the actor.
    pub fn guardian_strategy(mut self, strategy: SupervisorStrategy) -> Self {
        self.guardian = strategy;
        self
    }

    /// How many [`SystemEvent`]s a slow subscriber may lag behind before it misses some
    /// (default 1024).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
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
                guardian: SupervisorCell::new(self.guardian, None, 0x9e37_79b9_7f4a_7c15),
                events: Events::new(self.event_capacity),
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
            guardian: SupervisorStrategy::guardian_default(),
            event_capacity: 1024,
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
        let guardian = &self.inner.guardian;
        self.spawn_under(Arc::clone(guardian), "/user", props.into(), |entry| {
            guardian.adopt(entry);
        })
    }

    /// Spawns an actor under `parent` and registers it. `supervise` receives the entry the
    /// supervisor keeps before the task starts: an actor that fails at once must find its
    /// supervisor already knowing it.
    pub(crate) fn spawn_under<A: Actor>(
        &self,
        parent: Arc<SupervisorCell>,
        parent_path: &str,
        props: Props<A>,
        supervise: impl FnOnce(ChildEntry),
    ) -> Result<ActorRef<A>, SpawnError> {
        let Props {
            factory,
            name,
            mailbox: mailbox_config,
            restart,
        } = props;
        let runtime = match &self.inner.runtime {
            Some(handle) => handle.clone(),
            None => Handle::try_current().map_err(|_| SpawnError::NoRuntime)?,
        };
        if let Some(name) = &name {
            // Names are path segments: `/` would forge a path, `$` is for unnamed actors.
            if name.is_empty() || name.contains('/') || name.starts_with('$') {
                return Err(SpawnError::InvalidName(name.clone()));
            }
        }
        let id = ActorId::next();
        let path = child_path(parent_path, name.as_deref(), id);
        let (mailbox_tx, mailbox_rx) = mailbox::<A>(mailbox_config.unwrap_or_else(A::mailbox));
        let (link, signals_rx) = actor_link(Arc::clone(&path), mailbox_tx.actor_waker());
        let cell = Arc::new(ActorCell {
            id,
            mailbox: mailbox_tx,
            link: link.clone(),
            strong_refs: AtomicUsize::new(0),
            ask_timeout: self.inner.ask_timeout,
            watchers: Mutex::new(None),
            events: Arc::clone(&self.inner.events),
        });
        let actor_ref = ActorRef::from_core(RefCore::new_strong(Arc::clone(&cell)));
        let top_level = parent.owner_id().is_none();
        let keep_alive: Option<Box<dyn Any + Send + Sync>> = if top_level {
            None
        } else {
            Some(Box::new(actor_ref.clone()))
        };
        let entry = ChildEntry {
            id,
            policy: restart,
            link: link.clone(),
            keep_alive,
        };

        // The entry goes in before the task starts, and the lock is held until the abort
        // handle is stored, so a task that ends at once still finds its entry to remove.
        let mut registry = self.registry();
        if registry.shutting_down {
            return Err(SpawnError::SystemShutDown);
        }
        if let Some(name) = name {
            if registry.named.contains_key(&path) {
                return Err(SpawnError::NameTaken(name));
            }
            registry.named.insert(Arc::clone(&path), id);
        }
        registry.actors.insert(
            id,
            Entry {
                top_level,
                link,
                abort: None,
                cell: Arc::clone(&cell) as Arc<dyn Any + Send + Sync>,
            },
        );
        supervise(entry);
        let task = runtime.spawn(runner::run(
            cell,
            factory,
            mailbox_rx,
            signals_rx,
            self.clone(),
            parent,
            restart,
        ));
        if let Some(entry) = registry.actors.get_mut(&id) {
            entry.abort = Some(task.abort_handle());
        }
        Ok(actor_ref)
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
        let registry = self.registry();
        let not_found = || LookupError::NotFound(name.to_owned());
        let last = path.rsplit('/').next().unwrap_or_default();
        let id = match ActorId::from_segment(last) {
            Some(id) => id,
            None => *registry.named.get(path.as_str()).ok_or_else(not_found)?,
        };
        let entry = registry
            .actors
            .get(&id)
            .filter(|entry| **entry.link.path() == *path)
            .ok_or_else(not_found)?;
        let cell = Arc::clone(&entry.cell)
            .downcast::<ActorCell<A>>()
            .map_err(|_| LookupError::WrongType {
                name: name.to_owned(),
                expected: std::any::type_name::<A>(),
            })?;
        WeakActorRef::from_cell(cell)
            .upgrade()
            .ok_or_else(not_found)
    }

    /// Stops every actor and waits for them: each top-level actor stops its children first
    /// (deepest first), each actor finishes the message it is handling and runs its
    /// `stopping` and `stopped` hooks; queued messages go to dead letters. Actors still
    /// running after the shutdown timeout (stuck inside a handler) have their tasks aborted
    /// and their hooks do not run. New spawns fail from the moment this is called.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the system shutting down: the stop signals are already
    /// sent, but stuck actors are not aborted.
    pub async fn shutdown(&self) -> ShutdownReport {
        let all: Vec<(ActorLink, Option<AbortHandle>)> = {
            let mut registry = self.registry();
            registry.shutting_down = true;
            registry
                .actors
                .values()
                .map(|entry| {
                    if entry.top_level {
                        let _ = entry.link.send(SystemSignal::Stop(
                            StopMode::Immediate,
                            StopReason::Shutdown,
                        ));
                    }
                    (entry.link.clone(), entry.abort.clone())
                })
                .collect()
        };
        let deadline = tokio::time::Instant::now() + self.inner.shutdown_timeout;
        let mut report = ShutdownReport::default();
        let mut stuck = Vec::new();
        for (link, abort) in all {
            let stopped = tokio::time::timeout_at(deadline, link.status().stopped());
            if stopped.await.is_ok() {
                report.stopped += 1;
            } else {
                stuck.push((link, abort));
            }
        }
        // Abort the stuck ones, then let their tasks unwind (which marks them `Aborted`).
        for (_, abort) in &stuck {
            if let Some(abort) = abort {
                abort.abort();
            }
        }
        for (link, _) in stuck {
            let _ = tokio::time::timeout(Duration::from_secs(1), link.status().stopped()).await;
            report.aborted += 1;
        }
        report
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

    pub(crate) fn publish(&self, event: SystemEvent) {
        self.inner.events.publish(event);
    }

    /// Whether [`shutdown`](Self::shutdown) has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.registry().shutting_down
    }

    pub(crate) fn unregister(&self, id: ActorId) {
        let mut registry = self.registry();
        if let Some(entry) = registry.actors.remove(&id) {
            if entry.link.name().is_some() {
                registry.named.remove(entry.link.path());
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

/// A child's path: its parent's, then its name or, unnamed, `$` and its id. Built by hand
/// rather than with `format!`, which was a seventh of the cost of a spawn, and on the
/// stack when it is short, so that the `Arc` is its one allocation.
fn child_path(parent_path: &str, name: Option<&str>, id: ActorId) -> Arc<str> {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    let segment: &[u8] = match name {
        Some(name) => name.as_bytes(),
        None => {
            let mut n = id.as_u64();
            loop {
                start -= 1;
                digits[start] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            &digits[start..]
        }
    };
    let marker: &[u8] = if name.is_none() { b"/$" } else { b"/" };
    let parts = [parent_path.as_bytes(), marker, segment];
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let mut short = [0_u8; 128];
    let mut long = Vec::new();
    let buffer: &mut [u8] = if len <= short.len() {
        &mut short[..len]
    } else {
        long.resize(len, 0);
        &mut long
    };
    let mut at = 0;
    for part in parts {
        buffer[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    // Only whole UTF-8 strings and ASCII went in.
    Arc::from(std::str::from_utf8(buffer).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_paths_are_parent_then_name_or_dollar_id() {
        let id = ActorId::next();
        let unnamed = format!("/user/bank/${}", id.as_u64());
        assert_eq!(&*child_path("/user/bank", None, id), unnamed);
        assert_eq!(
            &*child_path("/user/bank", Some("teller"), id),
            "/user/bank/teller"
        );
        // Longer than the stack buffer: built on the heap, same result.
        let deep = format!("/user{}", "/branch".repeat(30));
        assert_eq!(
            &*child_path(&deep, Some("leaf"), id),
            format!("{deep}/leaf")
        );
        assert_eq!(
            ActorId::from_segment(&format!("${}", id.as_u64())),
            Some(id)
        );
        assert_eq!(ActorId::from_segment("teller"), None);
        assert_eq!(ActorId::from_segment("$"), None);
    }
}
