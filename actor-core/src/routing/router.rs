//! [`Router`]: a pool's or a group's routees and strategy, behind the router seam
//! (`address::router::Route`), and the watch that takes a stopped routee out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::runtime::Handle;

use crate::actor::Actor;
use crate::address::actor_ref::WeakActorRef;
use crate::address::core::RefCore;
use crate::address::router::{Route, RouterCell, Routing};
use crate::id::ActorId;
use crate::lifecycle::{ActorStatus, StopMode, StopReason};
use crate::routing::logic::{Choice, Logic};
use crate::routing::routees::Routees;

/// Whether a router owns its routees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A pool: its workers are its own; stopping it stops them, and it has stopped once
    /// the last one has.
    Pool,
    /// A group over refs that exist apart from it: stopping it stops routing, not them.
    Group,
}

/// A router's routees and strategy.
pub(crate) struct Router<A: Actor> {
    kind: Kind,
    logic: Box<dyn Logic<A>>,
    state: Mutex<State<A>>,
}

struct State<A: Actor> {
    /// The current snapshot; senders clone the `Arc` and pick from it unlocked.
    routees: Arc<Routees<A>>,
    /// Why it stops, once a stop was asked for (a stop, or the last ref's drop).
    stopping: Option<StopReason>,
    /// Whether its end was decided: the status is `Stopped`, or about to be.
    finished: bool,
}

impl<A: Actor> Router<A> {
    /// A router over `routees`, arranged for `logic`.
    pub(crate) fn new(kind: Kind, logic: Box<dyn Logic<A>>, mut routees: Routees<A>) -> Self {
        logic.arrange(&mut routees);
        Router {
            kind,
            logic,
            state: Mutex::new(State {
                routees: Arc::new(routees),
                stopping: None,
                finished: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<A>> {
        // Held only for bookkeeping that runs no user code and drops no ref.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn snapshot(&self) -> Arc<Routees<A>> {
        Arc::clone(&self.lock().routees)
    }

    /// Watches each of `routees` on `runtime`, to take it out of routing when it stops.
    pub(crate) fn watch_routees(
        self: &Arc<Self>,
        cell: &Arc<RouterCell<A>>,
        routees: Vec<WeakActorRef<A>>,
        runtime: &Handle,
    ) {
        for routee in routees {
            let router = Arc::clone(self);
            let cell = Arc::clone(cell);
            runtime.spawn(async move {
                let reason = tokio::select! {
                    biased;
                    reason = routee.terminated() => reason,
                    // The router is gone: nothing left to take the routee out of.
                    _ = cell.status.stopped() => return,
                };
                router.routee_stopped(&cell, routee.id(), reason);
            });
        }
    }

    /// Takes the stopped routee `id` out of routing; the router stops with the last one.
    fn routee_stopped(&self, cell: &RouterCell<A>, id: ActorId, reason: StopReason) {
        let (old, finish) = {
            let mut state = self.lock();
            let Some(mut routees) = state.routees.without(id) else {
                return;
            };
            self.logic.arrange(&mut routees);
            let finish = if routees.is_empty() && !state.finished {
                state.finished = true;
                // A stop asked for says why; otherwise the last routee's end does (a pool
                // whose every worker failed for good has failed).
                Some(state.stopping.clone().unwrap_or(reason))
            } else {
                None
            };
            (
                std::mem::replace(&mut state.routees, Arc::new(routees)),
                finish,
            )
        };
        // Outside the lock: the last ref to a routee may go with the old snapshot.
        drop(old);
        if let Some(reason) = finish {
            cell.finish(reason);
        }
    }

    /// A stop for `reason`: a pool stops its workers as `mode` says and ends with the last;
    /// a group stops routing at once and leaves its routees alone.
    fn stop_for(&self, cell: &RouterCell<A>, mode: StopMode, reason: StopReason) {
        let (routees, finish) = {
            let mut state = self.lock();
            if state.finished {
                return;
            }
            if state.stopping.is_none() {
                state.stopping = Some(reason.clone());
            }
            let reason = state.stopping.clone().unwrap_or(reason);
            match self.kind {
                Kind::Group => {
                    state.finished = true;
                    let old =
                        std::mem::replace(&mut state.routees, Arc::new(Routees::new(Vec::new())));
                    (old, Some(reason))
                }
                Kind::Pool if state.routees.is_empty() => {
                    state.finished = true;
                    (Arc::clone(&state.routees), Some(reason))
                }
                Kind::Pool => {
                    // Set under this lock, so that it never overwrites a `Stopped` that
                    // `finish` sets; it wakes no one (only `Stopped` does).
                    cell.status.set(ActorStatus::Stopping);
                    (Arc::clone(&state.routees), None)
                }
            }
        };
        if self.kind == Kind::Pool {
            for worker in routees.iter() {
                worker.stop(mode);
            }
        }
        drop(routees);
        if let Some(reason) = finish {
            cell.finish(reason);
        }
    }
}

impl<A: Actor> Route<A> for Router<A> {
    fn route(&self, msg: &A::Msg) -> Routing<A> {
        let routees = self.snapshot();
        if routees.is_empty() {
            return Routing::Nowhere;
        }
        match self.logic.pick(&routees, msg) {
            Choice::One(at) => match routees.get(at) {
                Some(routee) => Routing::To(routee.core.clone()),
                None => Routing::Nowhere,
            },
            Choice::Every(clone) => {
                let cells: Vec<_> = routees
                    .iter()
                    .filter_map(|target| target.local_for(msg))
                    .collect();
                if cells.is_empty() {
                    Routing::Nowhere
                } else {
                    Routing::Every(cells, clone)
                }
            }
        }
    }

    fn routees(&self) -> Vec<RefCore<A>> {
        self.snapshot().cores()
    }

    fn stop(&self, router: &RouterCell<A>, mode: StopMode) {
        self.stop_for(router, mode, StopReason::Requested);
    }

    fn refs_dropped(&self, router: &RouterCell<A>) {
        // As an unnamed actor does: what is queued is handled, then it stops.
        self.stop_for(router, StopMode::Graceful, StopReason::RefsDropped);
    }
}
