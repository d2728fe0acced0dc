//! Values a system shares under a name, whose type only the module that made them knows:
//! the topics of `ActorSystem::topic` (Akka's extensions, of which its pub/sub is one).
//!
//! The system stores them as `Any`, so it depends on none of the modules above it; each
//! caller downcasts, and a name taken by a value of another type is an error it types.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The named values of one system, by kind (the module's own namespace) and name.
#[derive(Default)]
pub(crate) struct Extensions {
    values: Mutex<HashMap<(&'static str, String), Named>>,
}

/// A value and the name its creator gave its type, for the error of a lookup with
/// another type.
struct Named {
    value: Arc<dyn Any + Send + Sync>,
    label: &'static str,
}

impl Extensions {
    /// The value of `kind` named `name`, created by `create` if there is none yet; or, if
    /// the one there is not a `V`, the `label` its creator gave it (the name of a type).
    ///
    /// `create` runs under the lock, so it must be the caller's own code, never a user's;
    /// no value is dropped under it (entries are only ever added, and dropped with the
    /// system).
    pub(crate) fn get_or_create<V: Any + Send + Sync>(
        &self,
        kind: &'static str,
        name: &str,
        label: &'static str,
        create: impl FnOnce() -> V,
    ) -> Result<Arc<V>, &'static str> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let named = values
            .entry((kind, name.to_owned()))
            .or_insert_with(|| Named {
                value: Arc::new(create()),
                label,
            });
        let value = Arc::clone(&named.value);
        let found = named.label;
        drop(values);
        value.downcast::<V>().map_err(|_| found)
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Extensions").field("count", &count).finish()
    }
}
