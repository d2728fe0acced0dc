//! [`SimSocket`]: `quinn::AsyncUdpSocket` over `turmoil::net::UdpSocket`, so that a node's
//! QUIC endpoint runs on turmoil's simulated network (seeded latencies, partitions) and on
//! its simulated clock.
//!
//! turmoil's socket has what QUIC needs and nothing more: one datagram per send and per
//! receive (no GSO/GRO), no ECN, no source-address selection, never full on send. Its
//! receive side is async only (a `readable` future behind an async mutex), so the adapter
//! keeps one boxed `readable` future between polls, owned by the single task that
//! receives (quinn's endpoint driver).

use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};

type Readable = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// A turmoil UDP socket as quinn sees it. See the module docs.
pub(crate) struct SimSocket {
    socket: Arc<turmoil::net::UdpSocket>,
    /// The host's own address and the port: what peers dial. turmoil binds only the
    /// unspecified address (or loopback), so the socket itself reports `0.0.0.0:port`.
    address: SocketAddr,
    readable: Mutex<Option<Readable>>,
}

impl SimSocket {
    /// Binds `port` on the current turmoil host, which is `host` (turmoil gives software no
    /// way to ask which host it runs on). Must be called inside the host's software.
    pub(crate) async fn bind(host: &str, port: u16) -> io::Result<SimSocket> {
        let socket = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).await?;
        let address = SocketAddr::new(turmoil::lookup(host), socket.local_addr()?.port());
        Ok(SimSocket {
            socket: Arc::new(socket),
            address,
            readable: Mutex::new(None),
        })
    }

    fn send_one(&self, contents: &[u8], destination: SocketAddr) {
        // As quinn-udp does with a real socket, an error (turmoil refuses a send to an
        // address no host has) loses the datagram and nothing else: returned to quinn, it
        // would fail the whole connection.
        if let Err(err) = self.socket.try_send_to(contents, destination) {
            tracing::debug!(%destination, %err, "a datagram was lost");
        }
    }
}

impl fmt::Debug for SimSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimSocket")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl AsyncUdpSocket for SimSocket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(AlwaysWritable)
    }

    fn try_send(&self, transmit: &Transmit<'_>) -> io::Result<()> {
        // `max_transmit_segments` is 1, so quinn sends one datagram at a time; a batch is
        // split all the same, should a later quinn send one.
        match transmit.segment_size {
            Some(size) if size > 0 && size < transmit.contents.len() => {
                for datagram in transmit.contents.chunks(size) {
                    self.send_one(datagram, transmit.destination);
                }
            }
            _ => self.send_one(transmit.contents, transmit.destination),
        }
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let (Some(buf), Some(meta)) = (bufs.first_mut(), meta.first_mut()) else {
            return Poll::Ready(Ok(0));
        };
        let mut readable = self.readable.lock().unwrap_or_else(PoisonError::into_inner);
        // Twice at most: a datagram buffered already, or one that `readable` just buffered.
        for _ in 0..2 {
            match self.socket.try_recv_from(buf) {
                Ok((len, from)) => {
                    *meta = RecvMeta {
                        addr: from,
                        len,
                        stride: len,
                        ecn: None,
                        dst_ip: Some(self.address.ip()),
                    };
                    return Poll::Ready(Ok(1));
                }
                // Also while the `readable` future holds the socket's receive lock.
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Poll::Ready(Err(err)),
            }
            let future = readable.get_or_insert_with(|| {
                let socket = Arc::clone(&self.socket);
                Box::pin(async move { socket.readable().await })
            });
            match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    // Dropped, so that its lock is released before the next try.
                    *readable = None;
                    result?;
                }
            }
        }
        // `readable` said yes and the try said no: asked again on the next poll.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.address)
    }

    fn may_fragment(&self) -> bool {
        false
    }
}

/// turmoil's sends never wait: its socket has no send buffer to fill.
#[derive(Debug)]
struct AlwaysWritable;

impl UdpPoller for AlwaysWritable {
    fn poll_writable(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
