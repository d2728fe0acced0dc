//! The typed errors of nodes: starting one, registering a name, looking one up.

use std::fmt;
use std::net::SocketAddr;

use crate::tls::CredentialsError;

/// A node could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum NodeError {
    /// No credentials were given: every link is mutually authenticated, and there is no
    /// insecure default. [`Credentials::development`](crate::Credentials::development)
    /// makes some without manual certificate work.
    NoCredentials,
    /// The credentials could not be used.
    Credentials(CredentialsError),
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::NoCredentials => f.write_str(
                "a node needs credentials (`NodeBuilder::credentials`): every link is mutually authenticated; `Credentials::development(dir)` makes some for development",
            ),
            NodeError::Credentials(err) => write!(f, "unusable credentials: {err}"),
            NodeError::Bind { address, source } => write!(f, "cannot bind {address}: {source}"),
        }
    }
}

impl std::error::Error for NodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NodeError::NoCredentials => None,
            NodeError::Credentials(err) => Some(err),
            NodeError::Bind { source, .. } => Some(source),
        }
    }
}

/// A name could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// A live actor holds the name on this node already.
    NameTaken(String),
    /// This node has shut down.
    ShutDown,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::NameTaken(name) => {
                write!(f, "the name `{name}` is registered on this node already")
            }
            RegisterError::ShutDown => f.write_str("this node has shut down"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// A lookup found no actor to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteLookupError {
    /// Nothing is registered under that name there (Akka's `ActorNotFound`).
    NotFound {
        /// The node asked.
        node: SocketAddr,
        /// The name.
        name: String,
    },
    /// An actor of another type holds the name there.
    WrongActor {
        /// The name.
        name: String,
        /// The wire name looked up.
        expected: &'static str,
        /// The wire name found.
        found: String,
    },
    /// The actor there is of the same wire name but another version of its messages (their
    /// signature hashes differ): talking to it would fail at the first decode.
    Incompatible {
        /// The name.
        name: String,
        /// The actor's wire name.
        wire_name: &'static str,
    },
    /// The node could not be reached, or did not answer within the lookup timeout.
    Unreachable {
        /// The node asked.
        node: SocketAddr,
    },
    /// This node has shut down.
    ShutDown,
}

impl fmt::Display for RemoteLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteLookupError::NotFound { node, name } => {
                write!(f, "no actor is registered as `{name}` on {node}")
            }
            RemoteLookupError::WrongActor {
                name,
                expected,
                found,
            } => write!(f, "`{name}` is a `{found}`, not a `{expected}`"),
            RemoteLookupError::Incompatible { name, wire_name } => write!(
                f,
                "`{name}` is a `{wire_name}` built from another version of its messages"
            ),
            RemoteLookupError::Unreachable { node } => {
                write!(f, "the node {node} could not be reached in time")
            }
            RemoteLookupError::ShutDown => f.write_str("this node has shut down"),
        }
    }
}

impl std::error::Error for RemoteLookupError {}
