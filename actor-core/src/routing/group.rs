//! [`Group`]: routing over refs that already exist, and [`ActorSystem::spawn_group`].

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::address::actor_ref::ActorRef;
use crate::error::SpawnError;
use crate::id::ActorId;
use crate::routing::logic::RoutingLogic;
use crate::routing::pool::router_runtime;
use crate::routing::routees::{Routee, Routees};
use crate::routing::router::{Kind, Router};
use crate::system::ActorSystem;

/// How to build a group router: the refs it routes over (Akka's `RoundRobinGroup`,
/// `BroadcastGroup`, ...). Spawn it with [`ActorSystem::spawn_group`].
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::routing::{Group, RoundRobin};
///
/// #[actor]
/// struct Replica { writes: u64 }
///
/// #[actor]
/// impl Replica {
///     #[message]
///     fn write(&mut self) -> u64 { self.writes += 1; self.writes }
///     #[message]
///     fn writes(&self) -> u64 { self.writes }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = ActorSystem::new();
/// let a = system.spawn(Replica { writes: 0 }).unwrap();
/// let b = system.spawn(Replica { writes: 0 }).unwrap();
/// let both = system
///     .spawn_group(Group::new([a.clone(), b.clone()]).routing(RoundRobin))
///     .unwrap();
/// both.write().await.unwrap();
/// both.write().await.unwrap();
/// assert_eq!((a.writes().await.unwrap(), b.writes().await.unwrap()), (1, 1));
/// # }
/// ```
pub struct Group<A: Actor> {
    routees: Vec<ActorRef<A>>,
    logic: RoutingLogic<A>,
}

impl<A: Actor> Group<A> {
    /// A group over `routees`, in this order; routed
    /// [`RoundRobin`](crate::routing::RoundRobin) unless [`routing`](Self::routing) says
    /// otherwise.
    pub fn new(routees: impl IntoIterator<Item = ActorRef<A>>) -> Self {
        Group {
            routees: routees.into_iter().collect(),
            logic: RoutingLogic::default(),
        }
    }

    /// How each message picks its routee.
    pub fn routing(mut self, logic: impl Into<RoutingLogic<A>>) -> Self {
        self.logic = logic.into();
        self
    }
}

impl<A: Actor> fmt::Debug for Group<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("routees", &self.routees)
            .finish_non_exhaustive()
    }
}

impl ActorSystem {
    /// Starts routing over a [`Group`]'s refs, and returns one ref to all of them, of the
    /// routees' own type.
    ///
    /// The group holds strong refs to its routees (so it keeps unnamed ones alive) but does
    /// not supervise them: a routee that stops is taken out of routing, and once every one
    /// has stopped the group has stopped too, with the last one's reason, and sends fail
    /// with `Closed`. [`ActorRef::stop`] on the group (or dropping its last strong ref)
    /// ends the routing at once and leaves the routees running, as in Akka.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NoRoutees`] for a group of no refs; [`SpawnError::NoRuntime`] outside
    /// a tokio runtime (the group watches its routees from a task).
    pub fn spawn_group<A: Actor>(&self, group: Group<A>) -> Result<ActorRef<A>, SpawnError> {
        let Group { routees, logic } = group;
        if routees.is_empty() {
            return Err(SpawnError::NoRoutees);
        }
        let runtime = router_runtime(self)?;
        let id = ActorId::next();
        let path: Arc<str> = Arc::from(format!("/user/${}", id.as_u64()));
        let watched = routees.iter().map(ActorRef::downgrade).collect();
        let list = routees
            .into_iter()
            .zip(0..)
            .map(|(routee, key)| Routee {
                core: routee.core().clone(),
                key,
            })
            .collect();
        Ok(self.start_router(
            id,
            path,
            Router::new(Kind::Group, logic.logic, Routees::new(list)),
            watched,
            &runtime,
        ))
    }
}
