//! The registry: every live actor of a system, by id and, for a named one, by path, with
//! enough to stop it, wait for it, abort it and find it, and nothing that keeps it alive.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::task::AbortHandle;

use crate::address::handle::ActorHandle;
use crate::id::{ActorId, IdMap};

#[derive(Default)]
pub(super) struct Registry {
    pub(super) shutting_down: bool,
    pub(super) actors: IdMap<Entry>,
    /// Named actors by path. An unnamed actor's path ends in `$` and its id, which is
    /// enough to find it in `actors`.
    pub(super) named: HashMap<Arc<str>, ActorId>,
}

impl Registry {
    /// The actor whose task is `task`, if it is an actor's, with its ancestors and its
    /// descendants: the actors a shutdown called from inside that actor cannot wait for.
    pub(super) fn caller_line(&self, task: tokio::task::Id) -> HashSet<ActorId> {
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
pub(crate) struct Entry {
    /// Its parent, or `None` for a top-level actor: shutdown stops the top-level ones
    /// and, started from inside an actor, does not wait for that actor's line.
    pub(crate) parent: Option<ActorId>,
    /// Its lane, status and path; its typed cell too, for lookups by name. Only strong
    /// refs keep an actor running, and this is not one.
    pub(crate) handle: ActorHandle,
    /// Its task's abort handle, which also tells its task's id.
    pub(crate) abort: Option<AbortHandle>,
}
