//! A link: this node's outgoing connection to one incarnation of one peer, and what refs to
//! that peer's actors send through.
//!
//! Each node dials its own outgoing link to each peer it sends to, as Akka Artery opens its
//! own outbound connection per peer: a link carries this node's messages out and their
//! replies and death-watch reports back, on the same connection, so nothing has to decide
//! which of two simultaneous dials wins. On it:
//!
//! - the **control** stream (bidirectional, opened first): the handshake, lookups, watches,
//!   `Terminated`, stops. Never behind a user message: a flood of tells cannot delay a
//!   `Terminated`.
//! - the **ordinary** stream (this node to the peer): tells and asks, in the order they
//!   were sent, which is what keeps each sender/receiver pair in order.
//! - the **replies** stream (the peer to this node): the answers to asks.
//!
//! A link is created at once, without waiting (a ref read from a message needs one on the
//! spot); it dials in its own task and queues what is sent meanwhile. Once it is down (the
//! peer went away, the handshake failed, this node shut down) it stays down: every ask
//! waiting on it resolves at once, every watch of an actor behind it fires with
//! [`StopReason::Unreachable`], and a new link is made for the next lookup. Refs through
//! the old link never reach the peer's next incarnation.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use actor_core::__private::remote::{
    new_actor_id, with_ref_codec, LinkRefusal, RefCodec, RemoteLink, RemoteOutcome, ReplyHook,
    WatchHook,
};
use actor_core::__private::wire::WireId;
use actor_core::{ActorId, RemoteError, StopMode, StopReason};
use tokio::sync::{mpsc, oneshot};

use crate::frame::{decode_body, encode_frame, FrameReader};
use crate::protocol::{
    Control, Data, LookupRefusal, StreamKind, WireFailure, WireStopReason, PROTOCOL_VERSION,
};

/// What the ordinary stream's writer is handed: a message to frame, its payload already
/// encoded by the sender.
type Outgoing = Data;

/// The handshake's answer, once the link is up: who answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    pub(crate) incarnation: u64,
}

/// A link's settings, from the node's builder.
#[derive(Debug, Clone)]
pub(crate) struct LinkSettings {
    pub(crate) max_frame: usize,
    pub(crate) outbound_queue: usize,
    pub(crate) handshake_timeout: Duration,
}

/// The node a link serves: for the ref codec it reads replies and reports with.
pub(crate) trait LinkOwner: Send + Sync + 'static {
    /// The codec refs inside replies are read with.
    fn codec(&self) -> Option<Arc<dyn RefCodec>>;
    /// This node's listening address and incarnation, for the handshake.
    fn hello(&self) -> (String, u64);
}

/// One outgoing link. See the module docs.
pub(crate) struct Link {
    peer_address: SocketAddr,
    peer_name: Arc<str>,
    settings: LinkSettings,
    /// The incarnation this link was made for, if known when it was made (a ref read from a
    /// message names one); the handshake must match it.
    expected: Option<u64>,
    peer: OnceLock<Peer>,
    up: AtomicBool,
    down: AtomicBool,
    ordinary: mpsc::Sender<Outgoing>,
    control: mpsc::UnboundedSender<Control>,
    state: Mutex<LinkState>,
    next_correlation: AtomicU64,
    owner: Weak<dyn LinkOwner>,
    /// Resolved when the link goes down, for whoever waits on it (lookups).
    closed: tokio::sync::watch::Sender<bool>,
    /// Senders waiting for room in the ordinary queue, woken by its writer.
    room_waiters: Arc<Mutex<Vec<std::task::Waker>>>,
}

#[derive(Default)]
struct LinkState {
    pending: HashMap<u64, ReplyHook>,
    watches: HashMap<u64, Vec<WatchHook>>,
    local_ids: HashMap<u64, ActorId>,
    lookups: HashMap<u64, oneshot::Sender<Result<u64, LookupRefusal>>>,
    connection: Option<quinn::Connection>,
}

impl Link {
    /// A new link to `peer_address`, dialing in the background on `endpoint`.
    pub(crate) fn dial(
        endpoint: quinn::Endpoint,
        client: quinn::ClientConfig,
        peer_address: SocketAddr,
        expected: Option<u64>,
        settings: LinkSettings,
        owner: Weak<dyn LinkOwner>,
    ) -> Arc<Link> {
        let (ordinary, ordinary_rx) = mpsc::channel(settings.outbound_queue.max(1));
        let (control, control_rx) = mpsc::unbounded_channel();
        let link = Arc::new(Link {
            peer_address,
            peer_name: peer_address.to_string().into(),
            settings,
            expected,
            peer: OnceLock::new(),
            up: AtomicBool::new(false),
            down: AtomicBool::new(false),
            ordinary,
            control,
            state: Mutex::new(LinkState::default()),
            next_correlation: AtomicU64::new(1),
            owner,
            closed: tokio::sync::watch::channel(false).0,
            room_waiters: Arc::default(),
        });
        let running = Arc::clone(&link);
        tokio::spawn(async move {
            let reason = running.run(endpoint, client, ordinary_rx, control_rx).await;
            if let Err(reason) = reason {
                tracing::info!(peer = %running.peer_name, %reason, "link down");
            }
            running.go_down();
        });
        link
    }

    /// A link that is down from the start: for a ref to an incarnation that is gone.
    pub(crate) fn dead(peer_address: SocketAddr, owner: Weak<dyn LinkOwner>) -> Arc<Link> {
        let (ordinary, _) = mpsc::channel(1);
        let (control, _) = mpsc::unbounded_channel();
        Arc::new(Link {
            peer_address,
            peer_name: peer_address.to_string().into(),
            settings: LinkSettings {
                max_frame: 0,
                outbound_queue: 1,
                handshake_timeout: Duration::ZERO,
            },
            expected: None,
            peer: OnceLock::new(),
            up: AtomicBool::new(false),
            down: AtomicBool::new(true),
            ordinary,
            control,
            state: Mutex::new(LinkState::default()),
            next_correlation: AtomicU64::new(1),
            owner,
            closed: tokio::sync::watch::channel(true).0,
            room_waiters: Arc::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the link is down for good.
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// The peer's incarnation, once the handshake is done.
    pub(crate) fn peer_incarnation(&self) -> Option<u64> {
        self.peer
            .get()
            .map(|peer| peer.incarnation)
            .or(self.expected)
    }

    /// Closes the link (this node shuts down, or the peer broke the protocol).
    pub(crate) fn close(&self, why: &'static str) {
        if let Some(connection) = self.lock().connection.clone() {
            connection.close(1u32.into(), why.as_bytes());
        }
        self.go_down();
    }

    /// Asks the peer for the actor registered as `name`; resolves with its id there.
    pub(crate) async fn lookup(
        &self,
        name: &str,
        wire_name: &str,
        signature: u64,
        messages: &[(u64, u64)],
        timeout: Duration,
    ) -> Result<Result<u64, LookupRefusal>, RemoteError> {
        let request = self.next_correlation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.lock();
            if self.is_down() {
                return Err(RemoteError::Unreachable);
            }
            state.lookups.insert(request, tx);
        }
        if self
            .control
            .send(Control::Lookup {
                request,
                name: name.to_owned(),
                wire_name: wire_name.to_owned(),
                signature,
                messages: messages.to_vec(),
            })
            .is_err()
        {
            self.lock().lookups.remove(&request);
            return Err(RemoteError::Unreachable);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(found)) => Ok(found),
            // Dropped by `go_down`.
            Ok(Err(_)) => Err(RemoteError::Unreachable),
            Err(_elapsed) => {
                self.lock().lookups.remove(&request);
                Err(RemoteError::Unreachable)
            }
        }
    }

    /// The link's life: dial, handshake, then serve its streams until the connection ends.
    async fn run(
        self: &Arc<Self>,
        endpoint: quinn::Endpoint,
        client: quinn::ClientConfig,
        ordinary_rx: mpsc::Receiver<Outgoing>,
        control_rx: mpsc::UnboundedReceiver<Control>,
    ) -> Result<(), String> {
        let connecting = endpoint
            .connect_with(client, self.peer_address, crate::tls::SERVER_NAME)
            .map_err(|err| format!("cannot dial: {err}"))?;
        let connection = tokio::time::timeout(self.settings.handshake_timeout, connecting)
            .await
            .map_err(|_| "the TLS handshake timed out".to_owned())?
            .map_err(|err| format!("cannot connect: {err}"))?;
        self.lock().connection = Some(connection.clone());
        if self.is_down() {
            // Closed while dialing.
            connection.close(1u32.into(), b"closed");
            return Ok(());
        }
        let max = self.settings.max_frame;
        let (mut control_send, control_recv) = connection
            .open_bi()
            .await
            .map_err(|err| format!("cannot open the control stream: {err}"))?;
        let (address, incarnation) = match self.owner.upgrade() {
            Some(owner) => owner.hello(),
            None => return Err("the node is gone".into()),
        };
        let mut buf = Vec::new();
        encode_frame(
            &Control::Hello {
                version: PROTOCOL_VERSION,
                address,
                incarnation,
            },
            max,
            &mut buf,
        )
        .map_err(|err| err.to_string())?;
        control_send
            .write_all(&buf)
            .await
            .map_err(|err| format!("cannot send the handshake: {err}"))?;
        let mut control_reader = FrameReader::new(control_recv, max);
        let hello = tokio::time::timeout(self.settings.handshake_timeout, control_reader.next())
            .await
            .map_err(|_| "the handshake timed out".to_owned())?
            .map_err(|err| format!("bad handshake: {err}"))?
            .ok_or_else(|| "the peer closed before its handshake".to_owned())
            .and_then(|body| decode_body::<Control>(body).map_err(|err| err.to_string()))?;
        let Control::Hello {
            version,
            incarnation: peer_incarnation,
            ..
        } = hello
        else {
            connection.close(2u32.into(), b"expected a handshake");
            return Err("the peer's first control frame is not a handshake".into());
        };
        if version != PROTOCOL_VERSION {
            connection.close(2u32.into(), b"protocol version");
            return Err(format!(
                "the peer speaks protocol {version}, this node {PROTOCOL_VERSION}"
            ));
        }
        if self
            .expected
            .is_some_and(|expected| expected != peer_incarnation)
        {
            connection.close(3u32.into(), b"another incarnation");
            return Err("the peer has restarted since the ref was made".into());
        }
        let _ = self.peer.set(Peer {
            incarnation: peer_incarnation,
        });
        let mut ordinary_send = connection
            .open_uni()
            .await
            .map_err(|err| format!("cannot open the ordinary stream: {err}"))?;
        ordinary_send
            .write_all(&[StreamKind::Ordinary.byte()])
            .await
            .map_err(|err| format!("cannot open the ordinary stream: {err}"))?;
        self.up.store(true, Ordering::Release);

        // The writers: each drains its queue in batches, one write per batch.
        let control_writer = write_control(control_rx, control_send, max);
        let ordinary_writer = Self::write_ordinary(
            ordinary_rx,
            ordinary_send,
            max,
            Arc::clone(&self.room_waiters),
        );
        let control_reader = self.read_control(control_reader);
        let replies_reader = self.read_replies(&connection, max);
        let closed = connection_closed(&connection);
        tokio::select! {
            result = control_writer => result,
            result = ordinary_writer => result,
            result = control_reader => result,
            result = replies_reader => result,
            result = closed => result,
        }
    }

    async fn write_ordinary(
        mut rx: mpsc::Receiver<Outgoing>,
        mut send: quinn::SendStream,
        max: usize,
        room_waiters: Arc<Mutex<Vec<std::task::Waker>>>,
    ) -> Result<(), String> {
        let mut buf = Vec::new();
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, 256).await > 0 {
            // The batch left the queue: whoever waits for room may go on.
            let waiting =
                std::mem::take(&mut *room_waiters.lock().unwrap_or_else(PoisonError::into_inner));
            for waker in waiting {
                waker.wake();
            }
            buf.clear();
            for frame in batch.drain(..) {
                // Sizes were checked when the message was queued.
                if let Err(err) = encode_frame(&frame, max, &mut buf) {
                    tracing::warn!(%err, "a message was not sent");
                }
            }
            send.write_all(&buf)
                .await
                .map_err(|err| format!("ordinary stream: {err}"))?;
        }
        Ok(())
    }

    async fn read_control(&self, mut reader: FrameReader) -> Result<(), String> {
        loop {
            let frame = match reader.next().await {
                Ok(Some(body)) => decode_body::<Control>(body).map_err(|err| err.to_string()),
                Ok(None) => return Err("the peer closed the control stream".into()),
                Err(err) => Err(err.to_string()),
            };
            let frame = match frame {
                Ok(frame) => frame,
                Err(why) => {
                    self.close("malformed control frame");
                    return Err(format!("malformed control frame: {why}"));
                }
            };
            match frame {
                Control::Found { request, result } => {
                    if let Some(waiting) = self.lock().lookups.remove(&request) {
                        let _ = waiting.send(result);
                    }
                }
                Control::Terminated { actor, reason } => {
                    let hooks = self.lock().watches.remove(&actor).unwrap_or_default();
                    let reason = stop_reason(reason);
                    for hook in hooks {
                        hook(reason.clone());
                    }
                }
                Control::HeartbeatAck { .. } | Control::Heartbeat { .. } => {}
                other => {
                    tracing::debug!(?other, "unexpected control frame on an outgoing link");
                }
            }
        }
    }

    async fn read_replies(&self, connection: &quinn::Connection, max: usize) -> Result<(), String> {
        let mut recv = connection
            .accept_uni()
            .await
            .map_err(|err| format!("no replies stream: {err}"))?;
        let mut kind = [0u8; 1];
        recv.read_exact(&mut kind)
            .await
            .map_err(|err| format!("replies stream: {err}"))?;
        if StreamKind::from_byte(kind[0]) != Some(StreamKind::Replies) {
            self.close("unexpected stream");
            return Err("the peer opened a stream that is not the replies stream".into());
        }
        let mut reader = FrameReader::new(recv, max);
        loop {
            let frame = match reader.next().await {
                Ok(Some(body)) => decode_body::<Data>(body).map_err(|err| err.to_string()),
                Ok(None) => return Err("the peer closed the replies stream".into()),
                Err(err) => Err(err.to_string()),
            };
            match frame {
                Ok(Data::Reply {
                    correlation,
                    outcome,
                }) => {
                    let hook = self.lock().pending.remove(&correlation);
                    if let Some(hook) = hook {
                        let outcome = match outcome {
                            Ok(bytes) => RemoteOutcome::Reply(bytes),
                            Err(failure) => remote_outcome(failure),
                        };
                        self.in_codec(|| hook(outcome));
                    }
                }
                Ok(other) => {
                    self.close("unexpected frame on the replies stream");
                    return Err(format!("unexpected frame on the replies stream: {other:?}"));
                }
                Err(why) => {
                    self.close("malformed reply frame");
                    return Err(format!("malformed reply frame: {why}"));
                }
            }
        }
    }

    fn in_codec<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.owner.upgrade().and_then(|owner| owner.codec()) {
            Some(codec) => with_ref_codec(codec, f),
            None => f(),
        }
    }

    /// Takes the link down for good, once: resolves what waits on it.
    fn go_down(&self) {
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        self.up.store(false, Ordering::Release);
        let state = std::mem::take(&mut *self.lock());
        let _ = self.closed.send(true);
        let waiting = std::mem::take(
            &mut *self
                .room_waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for waker in waiting {
            waker.wake();
        }
        if let Some(connection) = state.connection {
            connection.close(0u32.into(), b"link down");
        }
        // Outside the lock: the hooks run the asker's and the watchers' code paths.
        for (_, hook) in state.pending {
            hook(RemoteOutcome::Error(RemoteError::Unreachable));
        }
        let reason = StopReason::Unreachable(Arc::new(self.peer_name.to_string()));
        for (_, hooks) in state.watches {
            for hook in hooks {
                hook(reason.clone());
            }
        }
        drop(state.lookups);
    }

    fn check_size(&self, payload: &[u8]) -> Result<(), LinkRefusal> {
        // The frame around the payload: a tag and a few varints.
        let size = payload.len() + 48;
        if size > self.settings.max_frame {
            return Err(LinkRefusal::TooLarge {
                size,
                max: self.settings.max_frame,
            });
        }
        Ok(())
    }
}

impl RemoteLink for Link {
    fn peer(&self) -> &Arc<str> {
        &self.peer_name
    }

    fn incarnation(&self) -> u64 {
        self.peer_incarnation().unwrap_or(0)
    }

    fn local_id(&self, actor: u64) -> ActorId {
        *self
            .lock()
            .local_ids
            .entry(actor)
            .or_insert_with(new_actor_id)
    }

    fn tell(&self, actor: u64, wire_id: WireId, payload: Vec<u8>) -> Result<(), LinkRefusal> {
        if self.is_down() {
            return Err(LinkRefusal::Down);
        }
        self.check_size(&payload)?;
        self.ordinary
            .try_send(Data::Tell {
                actor,
                wire_id,
                payload,
            })
            .map_err(|err| match err {
                mpsc::error::TrySendError::Full(_) => LinkRefusal::Full,
                mpsc::error::TrySendError::Closed(_) => LinkRefusal::Down,
            })
    }

    fn ask(
        &self,
        actor: u64,
        wire_id: WireId,
        payload: Vec<u8>,
        timeout: Duration,
        reply: ReplyHook,
    ) -> Result<(), (LinkRefusal, ReplyHook)> {
        if self.is_down() {
            return Err((LinkRefusal::Down, reply));
        }
        if let Err(refusal) = self.check_size(&payload) {
            return Err((refusal, reply));
        }
        let correlation = self.next_correlation.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = self.lock();
            // Checked under the lock `go_down` takes: an entry made here is always seen.
            if self.is_down() {
                drop(state);
                return Err((LinkRefusal::Down, reply));
            }
            state.pending.insert(correlation, reply);
        }
        let sent = self.ordinary.try_send(Data::Ask {
            actor,
            wire_id,
            correlation,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            payload,
        });
        if let Err(err) = sent {
            let refusal = match err {
                mpsc::error::TrySendError::Full(_) => LinkRefusal::Full,
                mpsc::error::TrySendError::Closed(_) => LinkRefusal::Down,
            };
            // Taken back unless the link went down meanwhile and resolved it already.
            if let Some(reply) = self.lock().pending.remove(&correlation) {
                return Err((refusal, reply));
            }
        }
        Ok(())
    }

    fn watch(&self, actor: u64, hook: WatchHook) {
        let first = {
            let mut state = self.lock();
            if self.is_down() {
                drop(state);
                hook(StopReason::Unreachable(Arc::new(
                    self.peer_name.to_string(),
                )));
                return;
            }
            let hooks = state.watches.entry(actor).or_default();
            hooks.push(hook);
            hooks.len() == 1
        };
        if first {
            let _ = self.control.send(Control::Watch { actor });
        }
    }

    fn stop(&self, actor: u64, mode: StopMode) {
        let _ = self.control.send(Control::Stop {
            actor,
            immediate: mode == StopMode::Immediate,
        });
    }

    fn enter(&self, f: &mut dyn FnMut()) {
        self.in_codec(f);
    }

    fn poll_room(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.is_down() || self.ordinary.capacity() > 0 {
            return std::task::Poll::Ready(());
        }
        self.room_waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(cx.waker().clone());
        // Checked again after the waker is in: room made meanwhile is not missed.
        if self.is_down() || self.ordinary.capacity() > 0 {
            return std::task::Poll::Ready(());
        }
        std::task::Poll::Pending
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("peer", &self.peer_name)
            .field("up", &self.up.load(Ordering::Relaxed))
            .field("down", &self.is_down())
            .finish_non_exhaustive()
    }
}

/// Resolves when `connection` ends, with why: the last of a link's tasks, at either end.
pub(crate) async fn connection_closed(connection: &quinn::Connection) -> Result<(), String> {
    Err(format!("connection closed: {}", connection.closed().await))
}

/// Writes the control frames queued on `rx` to `send`, in batches, one write per batch;
/// ends with the stream.
pub(crate) async fn write_control(
    mut rx: mpsc::UnboundedReceiver<Control>,
    mut send: quinn::SendStream,
    max: usize,
) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 64).await > 0 {
        buf.clear();
        for frame in batch.drain(..) {
            if let Err(err) = encode_frame(&frame, max, &mut buf) {
                tracing::warn!(%err, "a control frame was not sent");
            }
        }
        send.write_all(&buf)
            .await
            .map_err(|err| format!("control stream: {err}"))?;
    }
    Ok(())
}

/// A stop reason as it travels.
pub(crate) fn wire_stop_reason(reason: &StopReason) -> WireStopReason {
    match reason {
        StopReason::Requested => WireStopReason::Requested,
        StopReason::RefsDropped => WireStopReason::RefsDropped,
        StopReason::Shutdown => WireStopReason::Shutdown,
        StopReason::Failed(failure) => WireStopReason::Failed(failure.to_string()),
        StopReason::Aborted => WireStopReason::Aborted,
        other => WireStopReason::Other(other.to_string()),
    }
}

fn stop_reason(reason: WireStopReason) -> StopReason {
    match reason {
        WireStopReason::Requested => StopReason::Requested,
        WireStopReason::RefsDropped => StopReason::RefsDropped,
        WireStopReason::Shutdown => StopReason::Shutdown,
        WireStopReason::Failed(message) => StopReason::Failed(actor_core::Failure::error(
            format_args!("on a remote node: {message}"),
        )),
        WireStopReason::Aborted => StopReason::Aborted,
        WireStopReason::Other(why) => StopReason::Failed(actor_core::Failure::error(format_args!(
            "on a remote node: {why}"
        ))),
    }
}

/// An ask's failure as it travels.
pub(crate) fn wire_failure(outcome: RemoteOutcome) -> Result<Vec<u8>, WireFailure> {
    match outcome {
        RemoteOutcome::Reply(bytes) => Ok(bytes),
        RemoteOutcome::Stopped => Err(WireFailure::Stopped),
        RemoteOutcome::Failed(message) => Err(WireFailure::Failed(message)),
        RemoteOutcome::NoReply => Err(WireFailure::NoReply),
        RemoteOutcome::Error(RemoteError::UnknownActor) => Err(WireFailure::UnknownActor),
        RemoteOutcome::Error(RemoteError::MailboxFull) => Err(WireFailure::MailboxFull),
        RemoteOutcome::Error(RemoteError::Undecodable(why)) => Err(WireFailure::Undecodable(why)),
        RemoteOutcome::Error(RemoteError::Unencodable(why)) => Err(WireFailure::Unencodable(why)),
        RemoteOutcome::Error(other) => Err(WireFailure::Failed(other.to_string())),
        other => Err(WireFailure::Failed(format!("{other:?}"))),
    }
}

fn remote_outcome(failure: WireFailure) -> RemoteOutcome {
    match failure {
        WireFailure::UnknownActor => RemoteOutcome::Error(RemoteError::UnknownActor),
        WireFailure::Stopped => RemoteOutcome::Stopped,
        WireFailure::Failed(message) => RemoteOutcome::Failed(message),
        WireFailure::MailboxFull => RemoteOutcome::Error(RemoteError::MailboxFull),
        WireFailure::Undecodable(why) => RemoteOutcome::Error(RemoteError::Undecodable(why)),
        WireFailure::NoReply => RemoteOutcome::NoReply,
        WireFailure::Unencodable(why) => RemoteOutcome::Error(RemoteError::Unencodable(why)),
    }
}
