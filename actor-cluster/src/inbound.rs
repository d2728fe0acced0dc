//! The accepting side of a link: a peer's connection into this node, serving its lookups,
//! watches, stops, tells and asks.
//!
//! Nothing here waits on an actor: a tell goes into the mailbox or, if it is full, to this
//! node's dead letters (Akka's choice; per-actor credit would cost a round trip per
//! window and still stall a sender behind one slow actor), and an ask's wait for its reply
//! runs in a task of its own. So one slow or full actor never stalls the link for the
//! others behind it.

use std::sync::Arc;
use std::time::Duration;

use actor_core::__private::remote::RemoteOutcome;
use tokio::sync::mpsc;

use crate::frame::{decode_body, encode_frame, FrameError, FrameReader};
use crate::link::{connection_closed, wire_failure, wire_stop_reason, write_control};
use crate::node::NodeShared;
use crate::protocol::{Control, Data, LookupRefusal, StreamKind, WireFailure, PROTOCOL_VERSION};

/// How many replies wait for the network on one incoming link before more are dropped.
const REPLY_QUEUE: usize = 8192;

/// Serves one accepted connection until it ends.
pub(crate) async fn serve(node: Arc<NodeShared>, incoming: quinn::Incoming) {
    let remote = incoming.remote_address();
    let connection =
        match tokio::time::timeout(node.settings.link.handshake_timeout, incoming).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(err)) => {
                tracing::info!(%remote, %err, "refused a connection");
                return;
            }
            Err(_) => {
                tracing::info!(%remote, "a connection's handshake timed out");
                return;
            }
        };
    if let Err(reason) = serve_connection(&node, &connection).await {
        tracing::info!(%remote, %reason, "incoming link closed");
        connection.close(2u32.into(), reason.as_bytes());
    }
}

async fn serve_connection(
    node: &Arc<NodeShared>,
    connection: &quinn::Connection,
) -> Result<(), String> {
    let max = node.settings.link.max_frame;
    let (mut control_send, control_recv) =
        tokio::time::timeout(node.settings.link.handshake_timeout, connection.accept_bi())
            .await
            .map_err(|_| "no control stream in time".to_owned())?
            .map_err(|err| format!("no control stream: {err}"))?;
    let mut control_reader = FrameReader::new(control_recv, max);
    let hello = tokio::time::timeout(node.settings.link.handshake_timeout, control_reader.next())
        .await
        .map_err(|_| "no handshake in time".to_owned())?
        .map_err(|err| format!("bad handshake: {err}"))?
        .ok_or_else(|| "closed before the handshake".to_owned())
        .and_then(|body| decode_body::<Control>(body).map_err(|err| err.to_string()))?;
    let Control::Hello { version, .. } = hello else {
        return Err("the first control frame is not a handshake".into());
    };
    let mut buf = Vec::new();
    encode_frame(
        &Control::Hello {
            version: PROTOCOL_VERSION,
            address: node.address.to_string(),
            incarnation: node.incarnation,
        },
        max,
        &mut buf,
    )
    .map_err(|err| err.to_string())?;
    control_send
        .write_all(&buf)
        .await
        .map_err(|err| format!("cannot answer the handshake: {err}"))?;
    if version != PROTOCOL_VERSION {
        return Err(format!("the peer speaks protocol {version}"));
    }

    let (control_tx, control_rx) = mpsc::unbounded_channel::<Control>();
    // Bounded: a peer that stops reading its replies must not grow this node's memory;
    // a reply that finds the queue full is dropped, and its asker times out.
    let (replies_tx, mut replies_rx) = mpsc::channel::<Data>(REPLY_QUEUE);
    let control_writer = write_control(control_rx, control_send, max);
    let replies_writer = async {
        let mut send = connection
            .open_uni()
            .await
            .map_err(|err| format!("cannot open the replies stream: {err}"))?;
        send.write_all(&[StreamKind::Replies.byte()])
            .await
            .map_err(|err| format!("replies stream: {err}"))?;
        let mut buf = Vec::new();
        let mut batch = Vec::new();
        while replies_rx.recv_many(&mut batch, 256).await > 0 {
            buf.clear();
            for frame in batch.drain(..) {
                if let Err(err) = encode_frame(&frame, max, &mut buf) {
                    // A reply too large for a frame: the asker hears why instead.
                    if let Data::Reply { correlation, .. } = frame {
                        let _ = encode_frame(
                            &Data::Reply {
                                correlation,
                                outcome: Err(WireFailure::Failed(format!(
                                    "the reply could not be sent: {err}"
                                ))),
                            },
                            max,
                            &mut buf,
                        );
                    }
                }
            }
            send.write_all(&buf)
                .await
                .map_err(|err| format!("replies stream: {err}"))?;
        }
        Ok::<(), String>(())
    };
    let control_reader = read_control(node, control_reader, control_tx);
    let data_reader = async {
        let recv = connection
            .accept_uni()
            .await
            .map_err(|err| format!("no ordinary stream: {err}"))?;
        let extra_streams = async {
            // A peer opens exactly one stream of its own: any other is a protocol error,
            // closed rather than left holding flow-control credit.
            match connection.accept_uni().await {
                Ok(_) => Err::<(), String>("the peer opened a second stream".into()),
                Err(err) => Err(format!("connection: {err}")),
            }
        };
        tokio::select! {
            result = read_data(node, recv, max, replies_tx.clone()) => result,
            result = extra_streams => result,
        }
    };
    let closed = connection_closed(connection);
    tokio::select! {
        result = control_writer => result,
        result = replies_writer => result,
        result = control_reader => result,
        result = data_reader => result,
        result = closed => result,
    }
}

async fn read_control(
    node: &Arc<NodeShared>,
    mut reader: FrameReader,
    control: mpsc::UnboundedSender<Control>,
) -> Result<(), String> {
    // One watch per actor per link: a second one would only repeat the report, and a
    // peer that floods watches must not start a task for each.
    let mut watched = std::collections::HashSet::new();
    loop {
        let frame = match reader.next().await {
            Ok(Some(body)) => decode_body::<Control>(body).map_err(|err| err.to_string())?,
            Ok(None) => return Err("the peer closed the control stream".into()),
            Err(err) => return Err(format!("control stream: {err}")),
        };
        match frame {
            Control::Lookup {
                request,
                name,
                wire_name,
                signature,
                messages,
            } => {
                let result = match node.registered(&name) {
                    None => Err(LookupRefusal::NotFound),
                    Some(inbound) if inbound.wire_name() != wire_name => {
                        Err(LookupRefusal::WrongActor {
                            wire_name: inbound.wire_name().to_owned(),
                        })
                    }
                    // Compatible when every message both know agrees: one side may have
                    // messages the other lacks (those fail as unknown when sent).
                    Some(inbound)
                        if inbound.signature() != signature
                            && !actor_core::__private::wire::compatible(
                                inbound.messages(),
                                &messages,
                            ) =>
                    {
                        Err(LookupRefusal::Incompatible {
                            signature: inbound.signature(),
                        })
                    }
                    Some(inbound) => Ok(node.export(inbound)),
                };
                let _ = control.send(Control::Found { request, result });
            }
            Control::Watch { actor } if !watched.insert(actor) => {}
            Control::Watch { actor } => match node.exported(actor) {
                Some(inbound) => {
                    let control = control.clone();
                    let terminated = inbound.terminated();
                    tokio::spawn(async move {
                        let reason = terminated.await;
                        let _ = control.send(Control::Terminated {
                            actor,
                            reason: wire_stop_reason(&reason),
                        });
                    });
                }
                // Not here (any more): it is as good as stopped (Akka's Terminated with
                // existence not confirmed).
                None => {
                    let _ = control.send(Control::Terminated {
                        actor,
                        reason: crate::protocol::WireStopReason::Other(
                            "no such actor on that node".into(),
                        ),
                    });
                }
            },
            Control::Stop { actor, immediate } => {
                if let Some(inbound) = node.exported(actor) {
                    inbound.stop(if immediate {
                        actor_core::StopMode::Immediate
                    } else {
                        actor_core::StopMode::Graceful
                    });
                }
            }
            Control::Heartbeat { nonce } => {
                let _ = control.send(Control::HeartbeatAck { nonce });
            }
            Control::Unwatch { .. } | Control::HeartbeatAck { .. } => {}
            Control::Hello { .. } | Control::Found { .. } | Control::Terminated { .. } => {
                return Err("unexpected control frame on an incoming link".into());
            }
        }
    }
}

async fn read_data(
    node: &Arc<NodeShared>,
    mut recv: quinn::RecvStream,
    max: usize,
    replies: mpsc::Sender<Data>,
) -> Result<(), String> {
    let mut kind = [0u8; 1];
    recv.read_exact(&mut kind)
        .await
        .map_err(|err| format!("ordinary stream: {err}"))?;
    if StreamKind::from_byte(kind[0]) != Some(StreamKind::Ordinary) {
        return Err("the peer opened a stream that is not the ordinary stream".into());
    }
    let codec = node.codec();
    let mut reader = FrameReader::new(recv, max);
    // The actors this link has reached, kept here so that a message does not take the
    // node's lock: an entry of an actor that has stopped answers `Stopped` itself.
    let mut reached: std::collections::HashMap<
        u64,
        Arc<dyn actor_core::__private::remote::Inbound>,
    > = std::collections::HashMap::new();
    let mut find = |actor: u64| {
        if let Some(inbound) = reached.get(&actor) {
            return Some(Arc::clone(inbound));
        }
        let inbound = node.exported(actor)?;
        reached.insert(actor, Arc::clone(&inbound));
        Some(inbound)
    };
    loop {
        let frame = match reader.next().await {
            Ok(Some(body)) => decode_body::<Data>(body),
            Ok(None) => return Ok(()),
            Err(err @ FrameError::TooLarge { .. }) => {
                return Err(format!("oversized frame: {err}"));
            }
            Err(err) => return Err(format!("ordinary stream: {err}")),
        };
        let frame = frame.map_err(|err| format!("malformed frame: {err}"))?;
        match frame {
            Data::Tell {
                actor,
                wire_id,
                payload,
            } => match find(actor) {
                Some(inbound) => {
                    let told =
                        actor_core::__private::remote::with_ref_codec(Arc::clone(&codec), || {
                            inbound.tell(wire_id, &payload)
                        });
                    if let Err(outcome) = told {
                        tracing::debug!(
                            actor,
                            wire_id = format_args!("{wire_id:#018x}"),
                            ?outcome,
                            "a remote tell was dropped"
                        );
                    }
                }
                None => {
                    node.dead_letter_unknown(actor, wire_id);
                }
            },
            Data::Ask {
                actor,
                wire_id,
                correlation,
                timeout_ms,
                payload,
            } => {
                let Some(inbound) = find(actor) else {
                    node.dead_letter_unknown(actor, wire_id);
                    let _ = replies.try_send(Data::Reply {
                        correlation,
                        outcome: Err(WireFailure::UnknownActor),
                    });
                    continue;
                };
                let timeout = Duration::from_millis(timeout_ms);
                let pending =
                    actor_core::__private::remote::with_ref_codec(Arc::clone(&codec), || {
                        inbound.ask(wire_id, &payload, timeout, Arc::clone(&codec))
                    });
                let replies = replies.clone();
                tokio::spawn(async move {
                    let outcome: RemoteOutcome = pending.await;
                    if replies
                        .try_send(Data::Reply {
                            correlation,
                            outcome: wire_failure(outcome),
                        })
                        .is_err()
                    {
                        tracing::debug!(correlation, "a reply was dropped: the peer reads none");
                    }
                });
            }
            Data::Reply { .. } => {
                return Err("a reply on the ordinary stream".into());
            }
        }
    }
}
