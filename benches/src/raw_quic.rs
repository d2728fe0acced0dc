//! The remote workloads' baseline: the least quinn code that does the same job between two
//! endpoints on loopback, with the transport security of actor-cluster's links.
//!
//! actor-cluster's TLS configurations are private to it, so the baseline builds its own
//! the same way: rustls on ring, TLS 1.3 only, mutual authentication against one CA made
//! with rcgen (a node certificate per side, for the same server name), an ALPN protocol,
//! and the node's transport settings (idle timeout, keep-alives at a third of it, stream
//! limits). On the wire: one long-lived stream, each message a frame of a `u32`
//! little-endian length and a postcard body, as actor-cluster frames its messages. A
//! sender that has many messages writes them in batches of [`BATCH`] bytes.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::measure::allocations;
use crate::{AskRun, RateRun};

/// The name both certificates carry and the dialer checks, as actor-cluster's `actor-node`.
const SERVER_NAME: &str = "bench-node";
/// How many bytes of frames a busy sender gathers before one `write_all`.
pub(crate) const BATCH: usize = 16 * 1024;
/// How much a reader asks the stream for at once (actor-cluster's frame reader reads as
/// much).
const READ_CHUNK: usize = 16 * 1024;

/// The client and server configurations, made once per process (key generation is slow
/// and not what is measured).
fn configs() -> &'static (quinn::ServerConfig, quinn::ClientConfig) {
    static CONFIGS: OnceLock<(quinn::ServerConfig, quinn::ClientConfig)> = OnceLock::new();
    CONFIGS.get_or_init(|| make_configs().expect("the baseline's TLS configuration"))
}

fn make_configs() -> Result<(quinn::ServerConfig, quinn::ClientConfig), Box<dyn std::error::Error>>
{
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key)?;
    let issue =
        || -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
            let key = rcgen::KeyPair::generate()?;
            let mut params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
            params.is_ca = rcgen::IsCa::ExplicitNoCa;
            params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![
                rcgen::ExtendedKeyUsagePurpose::ServerAuth,
                rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            ];
            let cert = params.signed_by(&key, &ca, &ca_key)?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            Ok((vec![cert.der().clone()], key))
        };
    let (server_chain, server_key) = issue()?;
    let (client_chain, client_key) = issue()?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone())?;
    let roots = Arc::new(roots);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let alpn = vec![b"bench-raw/1".to_vec()];

    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
            .build()?;
    let mut server_tls = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(server_chain, server_key)?;
    server_tls.alpn_protocols = alpn.clone();
    let mut server =
        quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(server_tls)?));
    server.transport_config(Arc::new(transport()));

    let mut client_tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(Arc::clone(&roots))
        .with_client_auth_cert(client_chain, client_key)?;
    client_tls.alpn_protocols = alpn;
    let mut client = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(client_tls)?));
    client.transport_config(Arc::new(transport()));
    Ok((server, client))
}

/// A node's transport settings at their defaults: a 5 s idle timeout, keep-alives at a
/// third of it, 16 uni and 4 bidi streams.
fn transport() -> quinn::TransportConfig {
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_idle_timeout(Some(
            quinn::IdleTimeout::try_from(Duration::from_secs(5)).expect("a valid timeout"),
        ))
        .keep_alive_interval(Some(Duration::from_millis(1666)))
        .max_concurrent_uni_streams(16u32.into())
        .max_concurrent_bidi_streams(4u32.into());
    transport
}

/// Two endpoints on loopback and a connection between them, seen from both ends.
struct Pair {
    client: quinn::Endpoint,
    server: quinn::Endpoint,
    /// The dialer's end.
    dialed: quinn::Connection,
    /// The acceptor's end.
    accepted: quinn::Connection,
}

impl Pair {
    async fn connect() -> Pair {
        let (server_config, client_config) = configs();
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let server =
            quinn::Endpoint::server(server_config.clone(), loopback).expect("server endpoint");
        let mut client = quinn::Endpoint::client(loopback).expect("client endpoint");
        client.set_default_client_config(client_config.clone());
        let address = server.local_addr().expect("server address");
        let accepting = server.clone();
        let accept = tokio::spawn(async move {
            accepting
                .accept()
                .await
                .expect("an incoming connection")
                .await
                .expect("the acceptor's handshake")
        });
        let dialed = client
            .connect(address, SERVER_NAME)
            .expect("dial")
            .await
            .expect("the dialer's handshake");
        let accepted = accept.await.expect("accept task");
        Pair {
            client,
            server,
            dialed,
            accepted,
        }
    }

    async fn close(self) {
        self.dialed.close(0u32.into(), b"done");
        self.client.wait_idle().await;
        self.server.close(0u32.into(), b"done");
        self.server.wait_idle().await;
    }
}

/// Appends one frame: a `u32` little-endian body length, then the postcard body.
fn encode_frame<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    // postcard's `to_extend` takes the writer by value and hands it back: a move, no copy.
    *out = postcard::to_extend(value, std::mem::take(out)).expect("encode");
    let len = u32::try_from(out.len() - start - 4).expect("a small frame");
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Reads frames off a receive stream through one reused buffer, as actor-cluster's frame
/// reader does.
struct Frames {
    stream: quinn::RecvStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Frames {
    fn new(stream: quinn::RecvStream) -> Frames {
        Frames {
            stream,
            buf: vec![0; 2 * READ_CHUNK],
            start: 0,
            end: 0,
        }
    }

    /// The next frame's value, or `None` at the end of the stream.
    async fn next<T: DeserializeOwned>(&mut self) -> Option<T> {
        loop {
            let pending = &self.buf[self.start..self.end];
            if let Some(prefix) = pending.first_chunk::<4>() {
                let len = u32::from_le_bytes(*prefix) as usize;
                if pending.len() >= 4 + len {
                    let value = postcard::from_bytes(&pending[4..4 + len]).expect("decode");
                    self.start += 4 + len;
                    return Some(value);
                }
            }
            // Move the partial frame to the front, then read after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < self.end + READ_CHUNK {
                self.buf.resize(self.end + READ_CHUNK, 0);
            }
            match self
                .stream
                .read(&mut self.buf[self.end..])
                .await
                .expect("read")
            {
                Some(read) => self.end += read,
                None => return None,
            }
        }
    }
}

/// One sender telling `count` numbers on one uni stream, in batches of [`BATCH`] bytes, to
/// a reader that adds them up; done when the reader has counted them all.
pub(crate) async fn tell(count: u64) -> RateRun {
    let pair = Pair::connect().await;
    let (counted_tx, counted) = oneshot::channel();
    let accepted = pair.accepted.clone();
    tokio::spawn(async move {
        let mut frames = Frames::new(accepted.accept_uni().await.expect("the stream"));
        let mut total = 0u64;
        while total < count {
            total += frames.next::<u64>().await.expect("a frame");
        }
        let _ = counted_tx.send(total);
    });
    let mut send = pair.dialed.open_uni().await.expect("a stream");
    let mut buf = Vec::with_capacity(BATCH + 64);
    let allocs_before = allocations();
    let start = Instant::now();
    for _ in 0..count {
        encode_frame(&1u64, &mut buf);
        if buf.len() >= BATCH {
            send.write_all(&buf).await.expect("write");
            buf.clear();
        }
    }
    send.write_all(&buf).await.expect("write");
    let total = counted.await.expect("the reader counted");
    let elapsed = start.elapsed();
    let allocs = allocations() - allocs_before;
    assert_eq!(total, count, "every frame arrived");
    drop(send);
    pair.close().await;
    RateRun {
        ops: count,
        elapsed,
        allocs_per_op: allocs as f64 / count as f64,
    }
}

/// Sequential request/response frames on one bi stream: each one's round-trip time.
pub(crate) async fn ask(count: u64) -> AskRun {
    let pair = Pair::connect().await;
    let accepted = pair.accepted.clone();
    let server = tokio::spawn(async move {
        let (mut send, recv) = accepted.accept_bi().await.expect("the stream");
        let mut frames = Frames::new(recv);
        let mut buf = Vec::with_capacity(64);
        while let Some(n) = frames.next::<u64>().await {
            buf.clear();
            encode_frame(&(n + 1), &mut buf);
            send.write_all(&buf).await.expect("reply");
        }
    });
    let (mut send, recv) = pair.dialed.open_bi().await.expect("a stream");
    let mut frames = Frames::new(recv);
    let mut buf = Vec::with_capacity(64);
    let mut samples = Vec::with_capacity(count as usize);
    let allocs_before = allocations();
    for n in 0..count {
        let start = Instant::now();
        buf.clear();
        encode_frame(&n, &mut buf);
        send.write_all(&buf).await.expect("request");
        let reply: u64 = frames.next().await.expect("a reply");
        samples.push(start.elapsed());
        assert_eq!(reply, n + 1);
    }
    let allocs = allocations() - allocs_before;
    send.finish().expect("finish");
    server.await.expect("server");
    pair.close().await;
    AskRun {
        samples,
        allocs_per_op: allocs as f64 / count as f64,
    }
}

/// A counter bounced between the two ends of one bi stream until it reaches 0, each end
/// answering a frame with the next; returns the number of messages that crossed.
pub(crate) async fn ping_pong(count: u64) -> RateRun {
    let pair = Pair::connect().await;
    let accepted = pair.accepted.clone();
    let pong = tokio::spawn(async move {
        let (mut send, recv) = accepted.accept_bi().await.expect("the stream");
        let mut frames = Frames::new(recv);
        let mut buf = Vec::with_capacity(64);
        // Until the other end finishes the stream.
        while let Some(remaining) = frames.next::<u64>().await {
            buf.clear();
            encode_frame(&(remaining - 1), &mut buf);
            send.write_all(&buf).await.expect("pong");
        }
    });
    let (mut send, recv) = pair.dialed.open_bi().await.expect("a stream");
    let mut frames = Frames::new(recv);
    let mut buf = Vec::with_capacity(64);
    // Even, so the ball ends here. This side takes the first turn, as ours does: `bounces`
    // messages cross the link, `bounces / 2` round trips.
    let bounces = count + count % 2;
    let allocs_before = allocations();
    let start = Instant::now();
    encode_frame(&(bounces - 1), &mut buf);
    send.write_all(&buf).await.expect("ping");
    loop {
        let remaining: u64 = frames.next().await.expect("the ball");
        if remaining == 0 {
            break;
        }
        buf.clear();
        encode_frame(&(remaining - 1), &mut buf);
        send.write_all(&buf).await.expect("ping");
    }
    let elapsed = start.elapsed();
    let allocs = allocations() - allocs_before;
    send.finish().expect("finish");
    pong.await.expect("pong");
    pair.close().await;
    RateRun {
        ops: bounces,
        elapsed,
        allocs_per_op: allocs as f64 / bounces as f64,
    }
}
