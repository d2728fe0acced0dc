//! [`ActorSystem`]: spawns actors, finds them by name, shuts them all down.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::pin::pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::actor_ref::{ActorCell, ActorId, ActorRef, IdMap, RefCore, WeakActorRef};
use crate::error::{BuildError, LookupError, SpawnError};
use crate::events::{Events, SystemEvent, EVENT_SLOT_BYTES};
use crate::lifecycle::{actor_link, ActorLink};
use crate::lifecycle::{ActorStatus, StopMode, StopReason, SystemSignal};
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

impl Registry {
    /// The actor whose task is `task`, if it is an actor's, with its ancestors and its
    /// descendants: the actors a shutdown called from inside that actor cannot wait for.
    fn caller_line(&self, task: tokio::task::Id) -> HashSet<ActorId> {
        let Some(caller) = self.actors.iter().find_map(|(id, entry)| {
            let abort = entry.abort.as_ref()?;
            (abort.id() == task).then_some(*id)
        }) else {
            return HashSet::new();
        };
        let parent_of = |id: &ActorId| self.actors.get(id).and_then(|entry| entry.parent);
        let descends_from_caller = |id: &ActorId| {
            let mut at = parent_of(id);
            while let Some(ancestor) = at {
                if ancestor == caller {
                    return true;
                }
                at = parent_of(&ancestor);
            }
            false
        };
        let mut line: HashSet<ActorId> = self
            .actors
            .keys()
            .filter(|id| descends_from_caller(id))
            .copied()
            .collect();
        let mut at = Some(caller);
        while let Some(id) = at {
            line.insert(id);
            at = parent_of(&id);
        }
        line
    }
}

/// What the system keeps of each live actor: enough to stop it, wait for it, abort it and
/// find it by path, and nothing that keeps it alive.
struct Entry {
    /// Its parent, or `None` for a top-level actor: shutdown stops the top-level ones
    /// and, started from inside an actor, does not wait for that actor's line.
    parent: Option<ActorId>,
    /// Its lane, status and path.
    link: ActorLink,
    /// Its task's abort handle, which also tells its task's id.
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
    /// The largest [`event_capacity`](Self::event_capacity) that `build` accepts: the
    /// event stream's buffer (one slot per event, the capacity rounded up to a power of
    /// two) must fit in the address space. Capacities below it may still be more memory
    /// than a machine has; the buffer is allocated at the first
    /// [`events`](ActorSystem::events) subscription, not before.
    pub const MAX_EVENT_CAPACITY: usize = {
        let limit = isize::MAX as usize / EVENT_SLOT_BYTES;
        1 << (usize::BITS - 1 - limit.leading_zeros())
    };

    /// The system's name, for logs and (later) remote addresses. Default: `"system"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long an ask waits when it sets no timeout of its own. Default: 5 seconds.
    /// Every ask has a timeout, because an ask that can wait for ever is the most common
    /// way an actor program hangs. A timeout too long to add to the clock
    /// (`Duration::MAX`) is a deadline decades away.
    pub fn ask_timeout(mut self, timeout: Duration) -> Self {
        self.ask_timeout = timeout;
        self
    }

    /// How long [`ActorSystem::shutdown`] waits for actors to stop before it aborts the
    /// tasks of those still running. Default: 5 seconds. `Duration::MAX` is a deadline
    /// decades away.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The runtime actors are spawned on, and the timers of asks and shutdown armed on.
    /// Default: the runtime current when the system is built, or, if there is none, the
    /// one current at each spawn (and for timers, the one of the first spawn).
    ///
    /// With a runtime, the system can be used from threads that run none: a plain thread
    /// may spawn, ask (blocking on the ask with any executor) and shut down. A runtime
    /// built without `enable_time` has no timers: the system then arms them on a runtime
    /// of its own, on a thread of its own, after tokio's panic message ("timers are
    /// disabled") is printed once, when the system checks.
    pub fn runtime(mut self, handle: Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// How the guardian supervises top-level actors. The default,
    /// [`SupervisorStrategy::guardian_default`], restarts a failed top-level actor (as
    /// Akka's `/user` guardian does) within its restart intensity, counted over all
    /// top-level actors together: at most 3 restarts within 5 seconds, after which the
    /// failed actor is stopped. A top-level `Escalate` has no one above to go to and stops
    /// the actor. An actor spawned from a value cannot be re-created, so a restart stops
    /// it too: spawn it from [`Props::new`] to have it restarted.
    pub fn guardian_strategy(mut self, strategy: SupervisorStrategy) -> Self {
        self.guardian = strategy;
        self
    }

    /// How many [`SystemEvent`]s a slow subscriber may lag behind before it misses some
    /// (default 1024). The buffer is allocated at the first subscription to
    /// [`ActorSystem::events`]: a system nobody observes pays nothing for it. From 1 to
    /// [`MAX_EVENT_CAPACITY`](Self::MAX_EVENT_CAPACITY); `build` refuses others.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Builds the system.
    ///
    /// # Errors
    ///
    /// [`BuildError::EventCapacityZero`] and [`BuildError::EventCapacityTooLarge`] for an
    /// [`event_capacity`](Self::event_capacity) of 0 or above
    /// [`MAX_EVENT_CAPACITY`](Self::MAX_EVENT_CAPACITY).
    pub fn build(self) -> Result<ActorSystem, BuildError> {
        match self.event_capacity {
            0 => return Err(BuildError::EventCapacityZero),
            capacity if capacity > Self::MAX_EVENT_CAPACITY => {
                return Err(BuildError::EventCapacityTooLarge {
                    capacity,
                    max: Self::MAX_EVENT_CAPACITY,
                })
            }
            _ => {}
        }
        Ok(self.assemble())
    }

    /// Builds a system from a configuration known to be valid.
    fn assemble(self) -> ActorSystem {
        let runtime = self.runtime.or_else(|| Handle::try_current().ok());
        let events = Events::new(self.event_capacity);
        if let Some(runtime) = &runtime {
            events.timers_on(runtime);
        }
        ActorSystem {
            inner: Arc::new(SystemInner {
                name: self.name,
                ask_timeout: self.ask_timeout,
                shutdown_timeout: self.shutdown_timeout,
                runtime,
                registry: Mutex::new(Registry::default()),
                guardian: SupervisorCell::new(self.guardian, None, 0x9e37_79b9_7f4a_7c15),
                events,
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
    /// Actors not waited for, because shutdown was called from inside one of them: that
    /// actor, which cannot stop before its handler returns, its ancestors, which wait for
    /// it to stop, and its descendants, which it stops on its way out. They stop (hooks
    /// and all) once the caller's handler returns.
    pub deferred: usize,
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
        self.inner.events.timers_on(&runtime);
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
        let parent_id = parent.owner_id();
        // A child lives as long as its parent wants it; a named top-level actor until it
        // is stopped (Akka's `/user` guardian keeps it). Only an unnamed top-level actor,
        // which nobody could look up again, lives while someone holds a ref.
        let keep_alive: Option<Box<dyn Any + Send + Sync>> =
            if parent_id.is_none() && name.is_none() {
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

        // The entry goes in before the task starts, so that a task that ends at once finds
        // it to remove. The lock is released before the spawn: a runtime that is gone
        // drops the task's future inside `spawn`, on this thread, and its guard takes the
        // lock again to unregister the actor.
        {
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
                    parent: parent_id,
                    link: link.clone(),
                    abort: None,
                    cell: Arc::clone(&cell) as Arc<dyn Any + Send + Sync>,
                },
            );
        }
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
        // A task whose future was dropped before it ran ends `Aborted`; nothing else can
        // have aborted it, since its abort handle is not stored yet. tokio does that at
        // once to a task spawned on a runtime that has shut down, and the task's guard has
        // already unregistered the actor and told its supervisor.
        if task.is_finished() && link.status().get() == ActorStatus::Stopped(StopReason::Aborted) {
            return Err(SpawnError::RuntimeShutDown);
        }
        let abort = task.abort_handle();
        if let Some(entry) = self.registry().actors.get_mut(&id) {
            entry.abort = Some(abort);
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
                .filter(|entry| **entry.link.path() == *path)
                .ok_or_else(not_found)?;
            Arc::clone(&entry.cell)
        };
        let cell = cell
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
    /// Every mailbox refuses new messages from the moment this is called, as after
    /// [`ActorRef::stop_now`]: a sender waiting for room gets its message back at once, so
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
    pub async fn shutdown(&self) -> ShutdownReport {
        let caller_task = tokio::task::try_id();
        let mut top_level = Vec::new();
        let mut children = Vec::new();
        let mut awaited: Vec<(ActorId, ActorLink)> = Vec::new();
        let mut report = ShutdownReport::default();
        {
            let mut registry = self.registry();
            registry.shutting_down = true;
            let deferred = caller_task.map_or_else(HashSet::new, |task| registry.caller_line(task));
            for (id, entry) in &registry.actors {
                match entry.parent {
                    None => top_level.push(entry.link.clone()),
                    Some(_) => children.push(entry.link.clone()),
                }
                if deferred.contains(id) {
                    report.deferred += 1;
                } else {
                    awaited.push((*id, entry.link.clone()));
                }
            }
        }
        // Outside the lock: a signal wakes the actor's task, a call into tokio.
        for link in &top_level {
            let _ = link.send(SystemSignal::Stop(
                StopMode::Immediate,
                StopReason::Shutdown,
            ));
            link.close_mailbox(false);
        }
        // A child keeps receiving until its parent stops it, in tree order; only its
        // senders are turned away now.
        for link in &children {
            link.close_mailbox(true);
        }
        drop((top_level, children));
        if awaited.is_empty() {
            return report;
        }

        let timers = self.inner.events.timers();
        let mut deadline = pin!(timers.sleep(self.inner.shutdown_timeout));
        let mut stuck = Vec::new();
        for (id, link) in awaited {
            let stopped = tokio::select! {
                biased;
                _ = link.status().stopped() => true,
                () = deadline.as_mut() => false,
            };
            if stopped {
                report.stopped += 1;
            } else {
                stuck.push((id, link));
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
        let mut unwinding = pin!(timers.sleep(Duration::from_secs(1)));
        for (_, link) in stuck {
            tokio::select! {
                biased;
                _ = link.status().stopped() => {}
                () = unwinding.as_mut() => {}
            }
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

    /// A sleep on the system's timers, which work also when its runtime has no time
    /// driver: for restart back-offs.
    pub(crate) fn sleep(&self, duration: Duration) -> tokio::time::Sleep {
        self.inner.events.timers().sleep(duration)
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
                if entry.link.name().is_some() {
                    registry.named.remove(entry.link.path());
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
