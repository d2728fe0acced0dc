//! [`SystemBuilder`]: an [`ActorSystem`]'s configuration.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;

use crate::error::BuildError;
use crate::events::{Events, EVENT_SLOT_BYTES};
use crate::supervision::strategy::SupervisorStrategy;
use crate::supervision::supervisor::Supervisor;
use crate::system::extensions::Extensions;
use crate::system::registry::Registry;
use crate::system::{ActorSystem, SystemInner};

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
    /// it too: spawn it from [`Props::new`](crate::Props::new) to have it restarted.
    pub fn guardian_strategy(mut self, strategy: SupervisorStrategy) -> Self {
        self.guardian = strategy;
        self
    }

    /// How many [`SystemEvent`](crate::SystemEvent)s a slow subscriber may lag behind before it misses some
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
    pub(super) fn assemble(self) -> ActorSystem {
        let runtime = self.runtime.or_else(|| Handle::try_current().ok());
        let events = Events::new(self.event_capacity);
        if let Some(runtime) = &runtime {
            events.clock_on(runtime);
        }
        ActorSystem {
            inner: Arc::new(SystemInner {
                name: self.name,
                ask_timeout: self.ask_timeout,
                shutdown_timeout: self.shutdown_timeout,
                runtime,
                registry: Mutex::new(Registry::default()),
                guardian: Supervisor::new(self.guardian, None, 0x9e37_79b9_7f4a_7c15),
                user_path: Arc::from("/user"),
                events,
                extensions: Extensions::default(),
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
