//! [`TimerKey`]: any `Hash + Eq` value, erased, so that one actor's timers can be keyed by
//! string literals, enums and ids alike (Akka keys a timer by any object).

use std::any::{Any, TypeId};
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A timer's key, compared by type and value: `"tick"` and `String::from("tick")` are two
/// keys. Shared (an `Arc`), since the key is both in the timer table and beside its
/// deadline.
#[derive(Clone)]
pub(crate) struct TimerKey(Arc<dyn ErasedKey>);

impl TimerKey {
    pub(crate) fn new<K: Hash + Eq + Send + Sync + 'static>(key: K) -> Self {
        TimerKey(Arc::new(key))
    }
}

/// What a key can do once its type is erased: compare and hash, its type included.
pub(crate) trait ErasedKey: Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
    fn hash_key(&self, state: &mut dyn Hasher);
    fn eq_key(&self, other: &dyn ErasedKey) -> bool;
}

impl<K: Hash + Eq + Send + Sync + 'static> ErasedKey for K {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn hash_key(&self, mut state: &mut dyn Hasher) {
        TypeId::of::<K>().hash(&mut state);
        self.hash(&mut state);
    }

    fn eq_key(&self, other: &dyn ErasedKey) -> bool {
        other
            .as_any()
            .downcast_ref::<K>()
            .is_some_and(|other| other == self)
    }
}

impl Hash for dyn ErasedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash_key(state);
    }
}

impl PartialEq for dyn ErasedKey {
    fn eq(&self, other: &Self) -> bool {
        self.eq_key(other)
    }
}

impl Eq for dyn ErasedKey {}

impl Hash for TimerKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (*self.0).hash(state);
    }
}

impl PartialEq for TimerKey {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

impl Eq for TimerKey {}

/// Lets the timer table be searched with a borrowed `&K`, without boxing it.
impl Borrow<dyn ErasedKey> for TimerKey {
    fn borrow(&self) -> &dyn ErasedKey {
        &*self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::timers::key::{ErasedKey, TimerKey};

    #[test]
    fn keys_of_different_types_differ_and_borrowed_lookups_find_them() {
        let mut table = HashMap::new();
        table.insert(TimerKey::new("tick"), 1);
        table.insert(TimerKey::new(String::from("tick")), 2);
        table.insert(TimerKey::new(7_u32), 3);
        assert_eq!(table.len(), 3);
        assert_eq!(table.get(&"tick" as &dyn ErasedKey), Some(&1));
        assert_eq!(table.get(&String::from("tick") as &dyn ErasedKey), Some(&2));
        assert_eq!(table.get(&7_u32 as &dyn ErasedKey), Some(&3));
        assert_eq!(table.get(&7_u64 as &dyn ErasedKey), None);
    }
}
