//! The system's topics by name: `ActorSystem::topic`, type-checked.

use std::any::type_name;
use std::fmt;
use std::sync::Arc;

use crate::pubsub::topic::Topic;
use crate::system::ActorSystem;

/// The namespace of topics among the values a system shares by name.
const TOPICS: &str = "topic";

/// A topic could not be found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicError {
    /// The name is taken by a topic of another value type.
    WrongType {
        /// The topic's name.
        name: String,
        /// The value type asked for.
        expected: &'static str,
        /// The value type of the topic of that name.
        found: &'static str,
    },
    /// The name is empty.
    InvalidName,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicError::WrongType {
                name,
                expected,
                found,
            } => write!(f, "the topic `{name}` carries `{found}`, not `{expected}`"),
            TopicError::InvalidName => f.write_str("a topic's name cannot be empty"),
        }
    }
}

impl std::error::Error for TopicError {}

/// Topics shared by name.
impl ActorSystem {
    /// The system's topic named `name` that carries `T`s, created on first use: every
    /// part of a program that asks for the same name and type gets the same topic. The
    /// type is part of the topic, so asking for a name with another `T` is an error, not a
    /// second topic.
    ///
    /// ```
    /// # use actor_core::prelude::*;
    /// # use actor_core::TopicError;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let system = ActorSystem::new();
    /// let prices = system.topic::<u64>("prices").unwrap();
    /// assert_eq!(prices.name(), Some("prices"));
    /// assert!(matches!(
    ///     system.topic::<String>("prices"),
    ///     Err(TopicError::WrongType { .. })
    /// ));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`TopicError::WrongType`] if the topic of that name carries another type;
    /// [`TopicError::InvalidName`] for an empty name.
    pub fn topic<T: Clone + Send + 'static>(&self, name: &str) -> Result<Topic<T>, TopicError> {
        if name.is_empty() {
            return Err(TopicError::InvalidName);
        }
        self.extensions()
            .get_or_create(TOPICS, name, type_name::<T>(), || {
                Topic::<T>::with_name(Some(Arc::from(name)))
            })
            .map(|topic| Topic::clone(&topic))
            .map_err(|found| TopicError::WrongType {
                name: name.to_owned(),
                expected: type_name::<T>(),
                found,
            })
    }
}
