//! A TCP chat server: one actor per connection, and a room that broadcasts.
//!
//! - `Server` listens on 127.0.0.1 (port 0: the system picks one). Its listener is
//!   attached to it as a stream of accepted sockets (`ctx.attach_try_stream`): each socket
//!   comes in as a message, and the server spawns a `Connection` child for it.
//! - `Connection` owns its socket's write half. Its read half is attached as a stream of
//!   lines, so each line the client types is a message, read only as fast as the actor
//!   handles them (backpressure), and the end of the socket is a message too. No reader
//!   task, no `JoinHandle` field: the stream ends with the actor.
//! - `Room` keeps weak refs to its members and tells each of them every line said.
//!
//! `main` runs its own clients: three connect, each sends two lines and reads the six lines
//! said in the room, then disconnects; the server then shuts down and the program exits.
//! Lines from different clients may arrive in either order between runs.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p examples --example tcp_chat
//! ```

use std::io;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorId, StreamEnd};
use futures::stream::{self, Stream};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

const CLIENTS: usize = 3;
const LINES_PER_CLIENT: usize = 2;
/// A bound on every wait of the clients, so that a bug ends the example instead of hanging.
const LIMIT: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------
// The room: who is in it, and what is said.

#[actor]
pub struct Room {
    members: Vec<(ActorId, WeakActorRef<Connection>)>,
}

#[actor]
impl Room {
    #[message]
    fn join(&mut self, member: WeakActorRef<Connection>) {
        self.members.push((member.id(), member));
    }

    #[message]
    fn leave(&mut self, member: ActorId, name: String) {
        self.members.retain(|(id, _)| *id != member);
        println!("  room: {name} left, {} still in", self.members.len());
    }

    /// Tells every member. A member whose mailbox is full misses the line (a chat server
    /// drops a slow reader rather than let it hold up the room); one that is gone is
    /// forgotten.
    #[message]
    fn say(&mut self, from: String, text: String) {
        let line = format!("<{from}> {text}");
        self.members.retain(|(_, member)| match member.upgrade() {
            Some(member) => {
                if let Err(err) = member.deliver(line.clone()).try_tell() {
                    println!("  room: dropped a line for a slow member ({err})");
                }
                true
            }
            None => false,
        });
    }

    #[message]
    fn size(&self) -> usize {
        self.members.len()
    }
}

// ---------------------------------------------------------------------------------------
// One connection: the socket's lines come in as messages, broadcasts go out on its writer.

#[actor]
pub struct Connection {
    name: String,
    room: ActorRef<Room>,
    /// Taken by `started`, which attaches it as a stream.
    reader: Option<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

#[actor]
impl Connection {
    #[started]
    async fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(reader) = self.reader.take() {
            ctx.attach_try_stream(
                lines(reader),
                |text| ConnectionMsg::Heard { text },
                |end: StreamEnd<io::Error>| ConnectionMsg::Closed {
                    error: end.into_error().map(|err| err.to_string()),
                },
            );
        }
        let _ = self.room.join(ctx.weak_ref()).await;
        let welcome = format!("welcome {}\n", self.name);
        if self.writer.write_all(welcome.as_bytes()).await.is_err() {
            ctx.stop();
        }
    }

    /// A line from the client: say it in the room.
    #[message]
    async fn heard(&mut self, text: String) {
        let _ = self.room.say(self.name.clone(), text).tell().await;
    }

    /// A line said in the room: write it to the client.
    #[message]
    async fn deliver(&mut self, line: String, ctx: &mut Context<Self>) {
        let line = line + "\n";
        if self.writer.write_all(line.as_bytes()).await.is_err() {
            ctx.stop();
        }
    }

    /// The client closed its side (or the socket failed): leave, and stop.
    #[message]
    async fn closed(&mut self, error: Option<String>, ctx: &mut Context<Self>) {
        match error {
            None => println!("  {}: disconnected", self.name),
            Some(error) => println!("  {}: connection failed: {error}", self.name),
        }
        let _ = self.room.leave(ctx.id(), self.name.clone()).tell().await;
        ctx.stop();
    }
}

/// The lines of a socket's read half, as a stream of `Result`s that ends with the socket.
fn lines(reader: OwnedReadHalf) -> impl Stream<Item = io::Result<String>> {
    stream::unfold(BufReader::new(reader).lines(), |mut lines| async move {
        lines
            .next_line()
            .await
            .transpose()
            .map(|line| (line, lines))
    })
}

// ---------------------------------------------------------------------------------------
// The server: its listener is a stream of sockets, each one a child actor.

#[actor]
pub struct Server {
    room: ActorRef<Room>,
    listener: Option<TcpListener>,
    accepted: u32,
}

#[actor]
impl Server {
    #[started]
    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(listener) = self.listener.take() {
            let sockets = stream::unfold(listener, |listener| async move {
                let accepted = listener.accept().await.map(|(socket, _)| socket);
                Some((accepted, listener))
            });
            ctx.attach_try_stream(
                sockets,
                |socket| ServerMsg::Accepted { socket },
                |end: StreamEnd<io::Error>| ServerMsg::ListenerFailed {
                    error: end.into_error().map(|err| err.to_string()),
                },
            );
        }
    }

    #[message]
    fn accepted(&mut self, socket: TcpStream, ctx: &mut Context<Self>) {
        self.accepted += 1;
        let name = format!("guest-{}", self.accepted);
        println!("  server: {name} connected");
        let (reader, writer) = socket.into_split();
        let connection = Connection {
            name,
            room: self.room.clone(),
            reader: Some(reader),
            writer,
        };
        if let Err(err) = ctx.spawn(connection) {
            println!("  server: cannot serve a connection: {err}");
        }
    }

    #[message]
    fn listener_failed(&mut self, error: Option<String>, ctx: &mut Context<Self>) {
        println!("  server: the listener ended: {error:?}");
        ctx.stop();
    }
}

// ---------------------------------------------------------------------------------------
// main: start the server, run the clients, shut down.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let system = ActorSystem::new();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("== chat server on {address}");
    let room = system.spawn(Room {
        members: Vec::new(),
    })?;
    let _server = system.spawn(Server {
        room: room.clone(),
        listener: Some(listener),
        accepted: 0,
    })?;

    // Everyone is in before anyone talks, so each client hears every line.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let socket = TcpStream::connect(address).await?;
        let (reader, writer) = socket.into_split();
        let mut reader = BufReader::new(reader).lines();
        let welcome = tokio::time::timeout(LIMIT, reader.next_line()).await??;
        let name = welcome
            .and_then(|line| line.strip_prefix("welcome ").map(str::to_owned))
            .ok_or("no welcome")?;
        println!("-> {name} joined");
        clients.push((name, reader, writer));
    }

    let mut talks = tokio::task::JoinSet::new();
    for (name, mut reader, mut writer) in clients {
        talks.spawn(async move {
            for n in 1..=LINES_PER_CLIENT {
                writer
                    .write_all(format!("line {n} from {name}\n").as_bytes())
                    .await?;
            }
            let mut heard = Vec::new();
            while heard.len() < CLIENTS * LINES_PER_CLIENT {
                match tokio::time::timeout(LIMIT, reader.next_line()).await?? {
                    Some(line) => heard.push(line),
                    None => break,
                }
            }
            // Dropping both halves closes the socket: the server's connection sees its end.
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((name, heard))
        });
    }
    let mut results = Vec::new();
    while let Some(result) = talks.join_next().await {
        results.push(result??);
    }
    results.sort();
    for (name, heard) in &results {
        println!("-> {name} heard {} lines:", heard.len());
        for line in heard {
            println!("     {line}");
        }
    }
    let everyone_heard_everything = results
        .iter()
        .all(|(_, heard)| heard.len() == CLIENTS * LINES_PER_CLIENT);

    // Wait (bounded) until every connection has noticed its client left.
    for _ in 0..200 {
        if room.size().await? == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("-> room empty: {}", room.size().await? == 0);

    let report = system.shutdown().await;
    println!("== shut down: {report:?}");
    if !everyone_heard_everything {
        return Err("a client missed a line".into());
    }
    Ok(())
}
