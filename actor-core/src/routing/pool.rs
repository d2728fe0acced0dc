//! [`Pool`]: N supervised workers of one actor type behind one ref, and
//! [`ActorSystem::spawn_pool`].

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use tokio::runtime::Handle;

use crate::actor::Actor;
use crate::address::actor_ref::{ActorRef, WeakActorRef};
use crate::address::core::RefCore;
use crate::address::router::{Route, RouterCell};
use crate::death_watch::WatchedBy;
use crate::error::SpawnError;
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StatusCell};
use crate::mailbox::MailboxConfig;
use crate::props::Props;
use crate::routing::logic::RoutingLogic;
use crate::routing::routees::{Routee, Routees};
use crate::routing::router::{Kind, Router};
use crate::supervision::strategy::{RestartPolicy, SupervisorStrategy};
use crate::supervision::supervisor::Supervisor;
use crate::system::ActorSystem;

/// How to build a pool: how many workers, how each is made, how messages are routed to
/// them and how their failures are handled. Spawn it with [`ActorSystem::spawn_pool`].
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::routing::{Pool, SmallestMailbox};
///
/// #[actor]
/// struct Worker;
///
/// #[actor]
/// impl Worker {
///     #[message]
///     fn square(&self, n: u64) -> u64 { n * n }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let pool = system
///     .spawn_pool(Pool::new(4, || Worker).routing(SmallestMailbox))
///     .unwrap();
/// assert_eq!(pool.routees().len(), 4);
/// assert_eq!(pool.square(7).await.unwrap(), 49); // the worker's own method
/// # }
/// ```
pub struct Pool<A: Actor> {
    size: usize,
    factory: Arc<dyn Fn() -> A + Send + Sync>,
    logic: RoutingLogic<A>,
    strategy: SupervisorStrategy,
    mailbox: Option<MailboxConfig>,
    restart: RestartPolicy,
}

impl<A: Actor> Pool<A> {
    /// A pool of `size` workers, each made by `factory`, now and on every restart; routed
    /// [`RoundRobin`](crate::routing::RoundRobin) unless [`routing`](Self::routing) says
    /// otherwise.
    pub fn new(size: usize, factory: impl Fn() -> A + Send + Sync + 'static) -> Self {
        Pool {
            size,
            factory: Arc::new(factory),
            logic: RoutingLogic::default(),
            strategy: SupervisorStrategy::default(),
            mailbox: None,
            restart: RestartPolicy::default(),
        }
    }

    /// How each message picks its worker.
    pub fn routing(mut self, logic: impl Into<RoutingLogic<A>>) -> Self {
        self.logic = logic.into();
        self
    }

    /// How the pool handles a failed worker (default: one-for-one, at most 3 restarts in 5
    /// seconds, as [`SupervisorStrategy::default`]). A restarted worker keeps its mailbox,
    /// so its place in routing; a worker the strategy stops (or gives up on) leaves the
    /// pool, and the pool stops with its last worker. There is no one above a pool to
    /// escalate to: an `Escalate` stops the worker.
    pub fn supervisor(mut self, strategy: SupervisorStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Each worker's mailbox, instead of the one declared on the actor type.
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = Some(mailbox);
        self
    }

    /// When a worker is restarted (default [`RestartPolicy::Transient`]: after a failure).
    /// [`RestartPolicy::Permanent`] also restarts a worker that stops itself, so that the
    /// pool keeps its size.
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }

    /// How many workers it starts with.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl<A: Actor> fmt::Debug for Pool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("type", &std::any::type_name::<A>())
            .field("size", &self.size)
            .field("mailbox", &self.mailbox)
            .field("restart", &self.restart)
            .finish_non_exhaustive()
    }
}

impl ActorSystem {
    /// Spawns a pool of workers and returns one ref to all of them, of the workers' own
    /// type: the workers' generated methods (`pool.process(job).await`) send through the
    /// pool's routing (Akka's `RoundRobinPool` and its siblings).
    ///
    /// The workers are top-level actors under a supervisor of the pool's own, with the
    /// pool's [`supervisor`](Pool::supervisor) strategy; their paths are the pool's plus
    /// `$` and their id. The pool lives while a strong ref to it is held: dropping the last
    /// one stops the workers gracefully, as [`ActorRef::stop`] does (they handle what is
    /// queued). [`ActorRef::routees`] lists the live workers; the pool's status is
    /// `Stopped` once the last has stopped, with the reason of the stop asked for, or, if
    /// none was, the last worker's (a pool whose every worker failed for good has
    /// `Failed`). Sends to a stopped pool fail with `Closed`, and so does a send that
    /// picked a worker at the moment it stopped for good.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NoRoutees`] for a pool of zero workers, and the errors of
    /// [`spawn`](Self::spawn); if a worker cannot be spawned, those spawned before it are
    /// stopped.
    pub fn spawn_pool<A: Actor>(&self, pool: Pool<A>) -> Result<ActorRef<A>, SpawnError> {
        let Pool {
            size,
            factory,
            logic,
            strategy,
            mailbox,
            restart,
        } = pool;
        if size == 0 {
            return Err(SpawnError::NoRoutees);
        }
        let runtime = router_runtime(self)?;
        let id = ActorId::next();
        let path: Arc<str> = Arc::from(format!("/user/${}", id.as_u64()));
        let supervisor = Supervisor::new(strategy, None, id.as_u64());
        let mut workers: Vec<ActorRef<A>> = Vec::with_capacity(size);
        for _ in 0..size {
            let make = Arc::clone(&factory);
            let mut props = Props::new(move || make()).restart(restart);
            if let Some(mailbox) = mailbox {
                props = props.mailbox(mailbox);
            }
            match self.spawn_under(Arc::clone(&supervisor), Arc::clone(&path), props) {
                Ok(worker) => workers.push(worker),
                Err(err) => {
                    for worker in &workers {
                        worker.stop_now();
                    }
                    return Err(err);
                }
            }
        }
        let watched = workers.iter().map(ActorRef::downgrade).collect();
        let routees = workers
            .into_iter()
            .zip(0..)
            .map(|(worker, key)| Routee {
                core: worker.core().clone(),
                key,
            })
            .collect();
        Ok(self.start_router(
            id,
            path,
            Router::new(Kind::Pool, logic.logic, Routees::new(routees)),
            watched,
            &runtime,
        ))
    }

    /// The cell of a router with this `id` and `path`, its first ref, and the watch of its
    /// routees.
    pub(crate) fn start_router<A: Actor>(
        &self,
        id: ActorId,
        path: Arc<str>,
        router: Router<A>,
        routees: Vec<WeakActorRef<A>>,
        runtime: &Handle,
    ) -> ActorRef<A> {
        let router = Arc::new(router);
        let cell = Arc::new(RouterCell {
            id,
            path,
            strong_refs: AtomicUsize::new(0),
            status: StatusCell::new(ActorStatus::Running),
            watchers: WatchedBy::new(),
            events: Arc::clone(self.shared_events()),
            ask_timeout: self.ask_timeout(),
            route: Arc::clone(&router) as Arc<dyn Route<A>>,
        });
        let pool = ActorRef::from_core(RefCore::new_router(Arc::clone(&cell)));
        router.watch_routees(&cell, routees, runtime);
        pool
    }
}

/// The runtime a router's watch of its routees runs on: the system's, or the current one.
pub(crate) fn router_runtime(system: &ActorSystem) -> Result<Handle, SpawnError> {
    match system.runtime() {
        Some(handle) => Ok(handle.clone()),
        None => Handle::try_current().map_err(|_| SpawnError::NoRuntime),
    }
}
