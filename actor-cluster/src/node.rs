//! [`Node`]: an actor system plus a listening QUIC endpoint, its registered names, the
//! local actors other nodes can reach, and its links to them.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use actor_core::__private::remote::{
    inbound, local_ref, remote_ref, Imported, Inbound, RefCodec, RemoteLink, WireRef,
};
use actor_core::__private::wire::RemoteActor;
use actor_core::{ActorRef, ActorSystem, RemoteError};

use crate::error::{NodeError, RegisterError, RemoteLookupError};
use crate::link::{Link, LinkOwner, LinkSettings};
use crate::protocol::LookupRefusal;
use crate::tls::{client_config, server_config, Credentials, TransportSettings};

/// How a [`Node`] is set up: see [`Node::builder`].
#[must_use = "a builder does nothing until `start` is called"]
pub struct NodeBuilder {
    bind: SocketAddr,
    socket: Option<Arc<dyn quinn::AsyncUdpSocket>>,
    endpoint_seed: Option<[u8; 32]>,
    credentials: Option<Credentials>,
    system: Option<ActorSystem>,
    settings: Settings,
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) link: LinkSettings,
    pub(crate) transport: TransportSettings,
    pub(crate) lookup_timeout: Duration,
}

impl NodeBuilder {
    /// The address to listen on; `127.0.0.1:0` (the default) picks a free port.
    pub fn bind(mut self, address: SocketAddr) -> Self {
        self.bind = address;
        self
    }

    /// Runs the node on `socket` instead of binding a UDP socket: for a simulated network
    /// (turmoil). The node's address is the socket's local address. Not API.
    #[doc(hidden)]
    pub fn socket(mut self, socket: Arc<dyn quinn::AsyncUdpSocket>) -> Self {
        self.socket = Some(socket);
        self
    }

    /// Seeds the QUIC endpoint's own random choices (which packet numbers it skips, among
    /// others), so that a simulated run replays from its seed. Not API.
    #[doc(hidden)]
    pub fn rng_seed(mut self, seed: [u8; 32]) -> Self {
        self.endpoint_seed = Some(seed);
        self
    }

    /// The node's credentials: the cluster CA and this node's certificate. Required: there
    /// is no insecure default. [`Credentials::development`] makes them without any manual
    /// certificate work.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The actor system the node serves; a new one if not given.
    pub fn system(mut self, system: ActorSystem) -> Self {
        self.system = Some(system);
        self
    }

    /// The largest frame a link sends or accepts, in bytes (default 1 MiB). A larger
    /// message is refused at the sender with [`RemoteError::TooLarge`]; a peer that sends a
    /// larger frame has its link closed.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.settings.link.max_frame = bytes;
        self
    }

    /// How many messages a link queues for the network before it refuses more (default
    /// 8192); a full queue drops tells as dead letters, as Akka's outbound queue does.
    pub fn outbound_queue(mut self, messages: usize) -> Self {
        self.settings.link.outbound_queue = messages;
        self
    }

    /// How long a link may hear nothing from its peer before it is taken down, and every
    /// watch of an actor behind it fires (default 5 s). Keep-alives go out at a third of it.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.transport.idle_timeout = timeout;
        self.settings.transport.keep_alive = timeout / 3;
        self
    }

    /// How long a lookup waits for the peer's answer (default 5 s).
    pub fn lookup_timeout(mut self, timeout: Duration) -> Self {
        self.settings.lookup_timeout = timeout;
        self
    }

    /// Binds the endpoint and starts accepting links. Must be called inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`NodeError::NoCredentials`] without credentials, [`NodeError::Credentials`] if
    /// they are unusable, [`NodeError::Bind`] if the address cannot be bound.
    pub async fn start(self) -> Result<Node, NodeError> {
        let credentials = self.credentials.ok_or(NodeError::NoCredentials)?;
        let server = server_config(&credentials, &self.settings.transport)
            .map_err(NodeError::Credentials)?;
        let client = client_config(&credentials, &self.settings.transport)
            .map_err(NodeError::Credentials)?;
        let endpoint = match self.socket {
            None => quinn::Endpoint::server(server, self.bind),
            Some(socket) => quinn::Endpoint::new_with_abstract_socket(
                {
                    let mut config = quinn::EndpointConfig::default();
                    config.rng_seed(self.endpoint_seed);
                    config
                },
                Some(server),
                socket,
                Arc::new(quinn::TokioRuntime),
            ),
        };
        let mut endpoint = endpoint.map_err(|source| NodeError::Bind {
            address: self.bind,
            source,
        })?;
        endpoint.set_default_client_config(client.clone());
        let address = endpoint.local_addr().map_err(|source| NodeError::Bind {
            address: self.bind,
            source,
        })?;
        let system = self.system.unwrap_or_default();
        let shared = Arc::new_cyclic(|me: &Weak<NodeShared>| NodeShared {
            codec: Arc::new(NodeCodec {
                node: me.clone(),
                system: system.clone(),
            }),
            system,
            endpoint: endpoint.clone(),
            client,
            address,
            address_text: address.to_string(),
            incarnation: fresh_incarnation(),
            settings: self.settings,
            state: Mutex::new(NodeState::default()),
            me: me.clone(),
        });
        let accepting = Arc::downgrade(&shared);
        tokio::spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                let Some(node) = accepting.upgrade() else {
                    return;
                };
                tokio::spawn(crate::inbound::serve(node, incoming));
            }
        });
        Ok(Node {
            _last: Arc::new(CloseOnDrop(Arc::clone(&shared))),
            shared,
        })
    }
}

impl fmt::Debug for NodeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeBuilder")
            .field("bind", &self.bind)
            .field("credentials", &self.credentials.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A node: an [`ActorSystem`] plus a listening endpoint through which other nodes reach
/// the actors registered on it, and through which it reaches theirs.
///
/// Cheap to clone: clones share the node.
///
/// ```no_run
/// # use actor_cluster::{Credentials, Node};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .bind("127.0.0.1:0".parse()?)
///     .credentials(Credentials::development("target/dev-cluster")?)
///     .start()
///     .await?;
/// println!("listening on {}", node.address());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    shared: Arc<NodeShared>,
    /// Closes the node when the last clone of it goes, if `shutdown` was not called: the
    /// node's own tasks hold `shared`, so without this a dropped node would serve on.
    _last: Arc<CloseOnDrop>,
}

struct CloseOnDrop(Arc<NodeShared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close_now("node dropped");
    }
}

pub(crate) struct NodeShared {
    pub(crate) system: ActorSystem,
    endpoint: quinn::Endpoint,
    client: quinn::ClientConfig,
    pub(crate) address: SocketAddr,
    address_text: String,
    pub(crate) incarnation: u64,
    pub(crate) settings: Settings,
    state: Mutex<NodeState>,
    me: Weak<NodeShared>,
    codec: Arc<dyn RefCodec>,
}

#[derive(Default)]
struct NodeState {
    names: HashMap<String, Arc<dyn Inbound>>,
    exported: HashMap<u64, Arc<dyn Inbound>>,
    links: HashMap<SocketAddr, Arc<Link>>,
    shut_down: bool,
}

impl Node {
    /// A builder: bind address, credentials, limits.
    pub fn builder() -> NodeBuilder {
        NodeBuilder {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            socket: None,
            endpoint_seed: None,
            credentials: None,
            system: None,
            settings: Settings {
                link: LinkSettings {
                    max_frame: crate::frame::DEFAULT_MAX_FRAME,
                    outbound_queue: 8192,
                    handshake_timeout: Duration::from_secs(5),
                },
                transport: TransportSettings {
                    idle_timeout: Duration::from_secs(5),
                    keep_alive: Duration::from_millis(1666),
                },
                lookup_timeout: Duration::from_secs(5),
            },
        }
    }

    /// The node's actor system.
    pub fn system(&self) -> &ActorSystem {
        &self.shared.system
    }

    /// The address the node listens on (with the port picked, if it bound port 0).
    pub fn address(&self) -> SocketAddr {
        self.shared.address
    }

    /// This run of the node: a new value each time a node starts, so that refs to an
    /// earlier run of a node on the same address never reach the new one's actors.
    pub fn incarnation(&self) -> u64 {
        self.shared.incarnation
    }

    /// Makes `actor` reachable from other nodes as `name` (Akka's remote actor path by
    /// name). The name is forgotten when the actor stops.
    ///
    /// The node holds the actor weakly, as a name in the system's registry is held:
    /// being reachable does not keep an actor alive, so keep a ref to it (or let its parent
    /// own it) for as long as it should serve.
    ///
    /// # Errors
    ///
    /// [`RegisterError::NameTaken`] if a live actor holds `name` already,
    /// [`RegisterError::ShutDown`] after [`shutdown`](Self::shutdown).
    pub fn register<A: RemoteActor>(
        &self,
        name: &str,
        actor: &ActorRef<A>,
    ) -> Result<(), RegisterError> {
        let entry = inbound(actor);
        {
            let mut state = self.shared.lock();
            if state.shut_down {
                return Err(RegisterError::ShutDown);
            }
            // A holder that has stopped gives the name up at once, not when its
            // clean-up task gets to it.
            if state.names.get(name).is_some_and(|held| held.is_alive()) {
                return Err(RegisterError::NameTaken(name.to_owned()));
            }
            state.names.insert(name.to_owned(), Arc::clone(&entry));
        }
        self.shared.export(entry);
        let shared = Arc::downgrade(&self.shared);
        let name = name.to_owned();
        let terminated = actor.downgrade();
        let id = actor.id();
        tokio::spawn(async move {
            terminated.terminated().await;
            if let Some(shared) = shared.upgrade() {
                let mut state = shared.lock();
                if state.names.get(&name).is_some_and(|held| held.id() == id) {
                    state.names.remove(&name);
                }
            }
        });
        Ok(())
    }

    /// Forgets the name; the actor stays reachable through refs already handed out.
    pub fn unregister(&self, name: &str) {
        let removed = self.shared.lock().names.remove(name);
        drop(removed);
    }

    /// A ref to the actor registered as `name` on the node at `peer`: the same type and
    /// methods as a local ref. A name registered on this node gives the local ref, and its
    /// messages are never serialized.
    ///
    /// # Errors
    ///
    /// [`RemoteLookupError`]: no such name, a different actor type or an incompatible
    /// version of it there, or the node could not be reached in time.
    pub async fn lookup<A: RemoteActor>(
        &self,
        peer: SocketAddr,
        name: &str,
    ) -> Result<ActorRef<A>, RemoteLookupError> {
        if self.shared.lock().shut_down {
            return Err(RemoteLookupError::ShutDown);
        }
        if peer == self.shared.address {
            let found = self.shared.registered(name);
            return match found {
                None => Err(RemoteLookupError::NotFound {
                    node: peer,
                    name: name.to_owned(),
                }),
                Some(entry) => {
                    local_ref::<A>(&*entry).ok_or_else(|| RemoteLookupError::WrongActor {
                        name: name.to_owned(),
                        expected: A::WIRE_NAME,
                        found: entry.wire_name().to_owned(),
                    })
                }
            };
        }
        let link = self
            .shared
            .link_to(peer, None)
            .ok_or(RemoteLookupError::ShutDown)?;
        let found = link
            .lookup(
                name,
                A::WIRE_NAME,
                A::SIGNATURE,
                A::MESSAGES,
                self.shared.settings.lookup_timeout,
            )
            .await;
        match found {
            Ok(Ok(actor)) => Ok(remote_ref::<A>(
                &self.shared.system,
                link as Arc<dyn RemoteLink>,
                actor,
                Some(name),
            )),
            Ok(Err(LookupRefusal::NotFound)) => Err(RemoteLookupError::NotFound {
                node: peer,
                name: name.to_owned(),
            }),
            Ok(Err(LookupRefusal::WrongActor { wire_name })) => {
                Err(RemoteLookupError::WrongActor {
                    name: name.to_owned(),
                    expected: A::WIRE_NAME,
                    found: wire_name,
                })
            }
            Ok(Err(LookupRefusal::Incompatible { .. })) => Err(RemoteLookupError::Incompatible {
                name: name.to_owned(),
                wire_name: A::WIRE_NAME,
            }),
            Err(RemoteError::Unreachable) | Err(_) => {
                Err(RemoteLookupError::Unreachable { node: peer })
            }
        }
    }

    /// Stops the node: its actor system shuts down (its actors' watchers elsewhere are
    /// told), then its links close and the endpoint stops accepting. Every ask waiting on
    /// one of its links resolves.
    pub async fn shutdown(&self) {
        self.shared.system.shutdown().await;
        // Gives the `Terminated` reports of the actors that just stopped a moment to leave.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.shared.close_now("node shut down");
        let _ =
            tokio::time::timeout(Duration::from_secs(2), self.shared.endpoint.wait_idle()).await;
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("address", &self.shared.address)
            .field("incarnation", &self.shared.incarnation)
            .finish_non_exhaustive()
    }
}

impl NodeShared {
    /// Stops serving: forgets names and exports, closes every link and the endpoint.
    fn close_now(&self, why: &'static str) {
        let (links, names, exported) = {
            let mut state = self.lock();
            state.shut_down = true;
            (
                state
                    .links
                    .drain()
                    .map(|(_, link)| link)
                    .collect::<Vec<_>>(),
                std::mem::take(&mut state.names),
                std::mem::take(&mut state.exported),
            )
        };
        // Dropped and closed outside the lock: closing resolves what waits on a link.
        drop((names, exported));
        for link in links {
            link.close(why);
        }
        self.endpoint.close(0u32.into(), why.as_bytes());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NodeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn registered(&self, name: &str) -> Option<Arc<dyn Inbound>> {
        self.lock().names.get(name).cloned()
    }

    pub(crate) fn exported(&self, actor: u64) -> Option<Arc<dyn Inbound>> {
        self.lock().exported.get(&actor).cloned()
    }

    /// Makes `entry` reachable by its id; forgotten when it stops.
    pub(crate) fn export(&self, entry: Arc<dyn Inbound>) -> u64 {
        // Salted with the incarnation: actor ids restart from the same counter in every
        // run of a process, and a ref made for an earlier run must not name an actor of
        // this one, whatever link it arrives on.
        let id = entry.id().as_u64() ^ self.incarnation;
        let terminated = {
            let mut state = self.lock();
            if state.shut_down || state.exported.contains_key(&id) {
                return id;
            }
            let terminated = entry.terminated();
            state.exported.insert(id, entry);
            terminated
        };
        let me = self.me.clone();
        tokio::spawn(async move {
            terminated.await;
            // A moment for the watches of it to be answered before it is forgotten.
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some(shared) = me.upgrade() {
                let removed = shared.lock().exported.remove(&id);
                drop(removed);
            }
        });
        id
    }

    pub(crate) fn dead_letter_unknown(&self, actor: u64, wire_id: u64) {
        tracing::debug!(
            actor,
            wire_id = format_args!("{wire_id:#018x}"),
            "a remote message for an actor this node does not know"
        );
    }

    pub(crate) fn codec(&self) -> Arc<dyn RefCodec> {
        Arc::clone(&self.codec)
    }

    /// The live link to `peer`, made if there is none (or the one there is down); a link
    /// made for an incarnation that the live one is not gets a dead link. `None` once the
    /// node has shut down.
    fn link_to(&self, peer: SocketAddr, incarnation: Option<u64>) -> Option<Arc<Link>> {
        let owner: Weak<dyn LinkOwner> = self.me.clone();
        let mut state = self.lock();
        if state.shut_down {
            return None;
        }
        if let Some(link) = state.links.get(&peer) {
            if !link.is_down() {
                return match (incarnation, link.peer_incarnation()) {
                    (Some(wanted), Some(known)) if wanted != known => Some(Link::dead(peer, owner)),
                    _ => Some(Arc::clone(link)),
                };
            }
        }
        let link = Link::dial(
            self.endpoint.clone(),
            self.client.clone(),
            peer,
            incarnation,
            self.settings.link.clone(),
            owner,
        );
        state.links.insert(peer, Arc::clone(&link));
        Some(link)
    }
}

impl LinkOwner for NodeShared {
    fn codec(&self) -> Option<Arc<dyn RefCodec>> {
        Some(Arc::clone(&self.codec))
    }

    fn hello(&self) -> (String, u64) {
        (self.address_text.clone(), self.incarnation)
    }
}

/// How refs inside messages are written and read on this node. Made once per node and
/// shared by every encode and decode; it holds the node weakly (the node holds it).
struct NodeCodec {
    node: Weak<NodeShared>,
    system: ActorSystem,
}

impl RefCodec for NodeCodec {
    fn system(&self) -> &ActorSystem {
        &self.system
    }

    fn export(&self, actor: Arc<dyn Inbound>) -> WireRef {
        let wire_name = actor.wire_name().to_owned();
        match self.node.upgrade() {
            Some(node) => WireRef {
                node: node.address_text.clone(),
                incarnation: node.incarnation,
                actor: node.export(actor),
                wire_name,
            },
            // A node that is gone exports nothing: a ref that reaches no one.
            None => WireRef {
                node: String::new(),
                incarnation: 0,
                actor: 0,
                wire_name,
            },
        }
    }

    fn import(&self, wire: &WireRef) -> Result<Imported, String> {
        let node = self.node.upgrade().ok_or("this node has shut down")?;
        let address: SocketAddr = wire
            .node
            .parse()
            .map_err(|_| format!("`{}` is not a node address", wire.node))?;
        let owner: Weak<dyn LinkOwner> = node.me.clone();
        if address == node.address {
            if wire.incarnation != node.incarnation {
                // An earlier run of this node: nothing it pointed at exists.
                return Ok(Imported::Remote {
                    link: Link::dead(address, owner),
                    actor: wire.actor,
                });
            }
            return match node.exported(wire.actor) {
                Some(entry) => Ok(Imported::Local(entry)),
                None => Ok(Imported::Remote {
                    link: Link::dead(address, owner),
                    actor: wire.actor,
                }),
            };
        }
        let link = node
            .link_to(address, Some(wire.incarnation))
            .unwrap_or_else(|| Link::dead(address, owner));
        Ok(Imported::Remote {
            link,
            actor: wire.actor,
        })
    }
}

/// A number that differs between runs of a node: the time it started, in nanoseconds,
/// mixed with its process id (two nodes in one process differ by their start times).
fn fresh_incarnation() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(nanos);
    hasher.write_u32(std::process::id());
    hasher.finish() | 1
}
