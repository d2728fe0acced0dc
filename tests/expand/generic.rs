//! A generic actor: the generated enums and client carry the impl's generics and bounds.

use actor_core::prelude::*;

/// An append-only store of values.
#[derive(Debug)]
#[actor(mailbox = unbounded)]
pub struct Store<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Clone + Send + 'static> Store<T> {
    /// Appends a value.
    #[message]
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// The value at `index`, if there is one.
    #[message]
    #[must_use]
    pub fn get(&self, index: usize) -> Option<T> {
        self.items.get(index).cloned()
    }

    /// How many values are stored.
    #[message]
    #[must_use]
    pub fn count(&self) -> usize {
        self.items.len()
    }
}

impl<T> Store<T> {
    /// An empty store.
    #[must_use]
    pub fn empty() -> Self {
        Store { items: Vec::new() }
    }
}
