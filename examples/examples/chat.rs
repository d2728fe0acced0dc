//! A chat room: a few kinds of actors working together.
//!
//! Users join a room found by name, talk, leave in two different ways, and the room
//! closes. Along the way it shows:
//!
//! - a generic actor, `Store<T>`, used twice: the room's history (`Store<Line>`) and its
//!   event log (`Store<String>`);
//! - `&self` handlers that only read, `&mut self` handlers that change the actor's state;
//! - lifecycle hooks: `#[started]`, `#[stopping]` and `#[stopped]`;
//! - the `Context`: `ctx.spawn(..)` for children, `ctx.actor_ref()` to hand out a ref to
//!   oneself, `ctx.stop()` to stop from inside a handler;
//! - names and paths: `Props::new(..).name("lobby")`, then `lookup::<Room>("lobby")`, and
//!   the room's child by its path, `/user/lobby/events`;
//! - weak refs: the room remembers its members without keeping them alive;
//! - fan-out: an async handler asks every member at once and awaits all the answers.
//!
//! Lines starting with `==` and `->` are printed by `main`; indented lines by the actors.
//! Actors run in parallel here (the multi-thread runtime), so two indented lines printed
//! at the same moment, such as the deliveries of one broadcast, may swap places between runs.
//!
//! Run it with:
//!
//! ```text
//! cargo run -p examples --example chat
//! ```

use std::fmt;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::LookupError;
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct Line {
    pub from: String,
    pub text: String,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}> {}", self.from, self.text)
    }
}

// ---------------------------------------------------------------------------------------
// Store<T>: one generic actor, any item type.

#[actor(mailbox = unbounded)]
pub struct Store<T> {
    items: Vec<T>,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store { items: Vec::new() }
    }
}

#[actor]
impl<T: Clone + Send + 'static> Store<T> {
    #[message]
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// The last `n` items, oldest first. `&self`: reading never changes the store.
    #[message]
    pub fn last(&self, n: usize) -> Vec<T> {
        self.items[self.items.len().saturating_sub(n)..].to_vec()
    }

    #[stopped]
    fn closed(&mut self, ctx: &mut Context<Self>) {
        let name = ctx.name().unwrap_or("a store");
        println!("   [{name}] stopped with {} items", self.items.len());
    }
}

// ---------------------------------------------------------------------------------------
// Room: members, history, and the fan-out of every line.

#[actor]
#[derive(Default)]
pub struct Room {
    name: String,
    // Weak refs: being in a room must not keep a user alive. A member whose last strong
    // ref is dropped stops, and the room finds out on its next broadcast.
    members: Vec<(String, WeakActorRef<User>)>,
    // Children spawned in `open`, so empty until the room has started.
    history: Option<ActorRef<Store<Line>>>,
    events: Option<ActorRef<Store<String>>>,
}

#[actor]
impl Room {
    #[started]
    fn open(&mut self, ctx: &mut Context<Self>) {
        self.name = ctx.name().unwrap_or("room").to_owned();
        let name = &self.name;
        // Named children, so that anyone can look them up by path (`/user/lobby/history`).
        // The room supervises them and stops them when it stops. A room without a history
        // still works, so a failed spawn only loses the feature.
        self.history = ctx.spawn(Props::new(Store::default).name("history")).ok();
        self.events = ctx.spawn(Props::new(Store::default).name("events")).ok();
        println!("   [{name}] open, with a history and an event log");
    }

    /// Adds a member; returns the last lines said, for it to catch up on.
    #[message]
    pub async fn join(&mut self, name: String, user: ActorRef<User>) -> Vec<Line> {
        self.members.push((name.clone(), user.downgrade()));
        self.log(format!("{name} joined")).await;
        match &self.history {
            Some(history) => history.last(3).await.unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Records a line and delivers it to every other member; returns how many got it.
    #[message]
    pub async fn say(&mut self, from: String, text: String) -> usize {
        let line = Line { from, text };
        if let Some(history) = &self.history {
            let _ = history.push(line.clone()).tell().await;
        }
        self.broadcast(line).await
    }

    #[message]
    pub fn members(&self) -> Vec<String> {
        self.members.iter().map(|(name, _)| name.clone()).collect()
    }

    /// Closes the room once this handler returns.
    #[message]
    pub fn close(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    // The stop has begun: new messages are refused, but the room can still talk.
    #[stopping]
    async fn closing(&mut self) {
        let line = Line {
            from: "room".into(),
            text: "closing, bye!".into(),
        };
        self.broadcast(line).await;
    }

    // Last words, after its children (the two stores) have stopped: a parent stops its
    // children before it finishes stopping itself.
    #[stopped]
    fn closed(&mut self) {
        println!("   [{}] closed", self.name);
    }
}

// Plain helpers, not messages.
impl Room {
    async fn log(&self, event: String) {
        if let Some(events) = &self.events {
            let _ = events.push(event).tell().await;
        }
    }

    /// Delivers `line` to every member but its author, all at once, and waits for every
    /// answer. Members that are gone are removed.
    async fn broadcast(&mut self, line: Line) -> usize {
        let mut deliveries = JoinSet::new();
        let mut gone = Vec::new();
        for (name, member) in &self.members {
            // Skip the author: it is awaiting this very handler, so an ask to it could
            // only end in a timeout.
            if *name == line.from {
                continue;
            }
            // `upgrade` fails once no strong ref to the member is left.
            let Some(member) = member.upgrade() else {
                gone.push(name.clone());
                continue;
            };
            let (name, line) = (name.clone(), line.clone());
            deliveries.spawn(async move { (name, member.deliver(line).await) });
        }
        let mut delivered = 0;
        while let Some(Ok((name, answer))) = deliveries.join_next().await {
            match answer {
                Ok(()) => delivered += 1,
                // Alive a moment ago, but no longer takes messages: it stopped itself.
                Err(_) => gone.push(name),
            }
        }
        for name in gone {
            println!("   [{}] {name} is gone, removing them", self.name);
            self.members.retain(|(member, _)| *member != name);
            self.log(format!("{name} left")).await;
        }
        delivered
    }
}

// ---------------------------------------------------------------------------------------
// User: joins rooms by name, talks, receives lines.

#[actor]
pub struct User {
    name: String,
    room: Option<ActorRef<Room>>,
    seen: usize,
}

impl User {
    pub fn new(name: &str) -> Self {
        User {
            name: name.to_owned(),
            room: None,
            seen: 0,
        }
    }
}

#[actor]
impl User {
    /// Finds the room by name and joins it; returns how many old lines it caught up on.
    #[message]
    pub async fn join(
        &mut self,
        ctx: &mut Context<Self>,
        room: String,
    ) -> Result<usize, LookupError> {
        let room = ctx.system().lookup::<Room>(&room)?;
        // A ref to this very actor, for the room to deliver lines to.
        let me = ctx.actor_ref();
        let missed = room.join(self.name.clone(), me).await.unwrap_or_default();
        for line in &missed {
            println!("   {:>5} catches up: {line}", self.name);
        }
        self.room = Some(room);
        Ok(missed.len())
    }

    /// Says something in the room; returns how many others heard it. `&self`, yet async:
    /// it awaits the room, which awaits everyone else.
    #[message]
    pub async fn say(&self, text: String) -> usize {
        match &self.room {
            Some(room) => room.say(self.name.clone(), text).await.unwrap_or(0),
            None => 0,
        }
    }

    #[message]
    pub fn deliver(&mut self, line: Line) {
        self.seen += 1;
        println!("   {:>5} sees {line}", self.name);
    }

    /// Leaves by stopping: `ctx.stop()` takes effect when this handler returns.
    #[message]
    pub fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[stopped]
    fn offline(&mut self) {
        println!("   {:>5} is offline (lines seen: {})", self.name, self.seen);
    }
}

// ---------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A short default ask timeout: if something in here waited on the wrong actor, the
    // example would say so within a second instead of hanging.
    let system = ActorSystem::builder()
        .name("chat")
        .ask_timeout(Duration::from_secs(1))
        .build()?;

    println!("== a named room; users find it with a lookup");
    let lobby = system.spawn(Props::new(Room::default).name("lobby"))?;
    let alice = system.spawn(User::new("alice"))?;
    let bob = system.spawn(User::new("bob"))?;
    alice.join("lobby".into()).await??;
    bob.join("lobby".into()).await??;

    println!("== each line fans out to every other member");
    let heard = alice.say("hi bob!".into()).await?;
    println!("-> alice's line reached {heard} member");
    bob.say("hi alice".into()).await?;

    println!("== a late joiner catches up from the history store");
    let carol = system.spawn(User::new("carol"))?;
    let missed = carol.join("lobby".into()).await??;
    println!("-> carol caught up on {missed} lines");
    let heard = carol.say("what did I miss?".into()).await?;
    println!("-> carol's line reached {heard} members");
    println!("-> members: {:?}", lobby.members().await?);

    println!("== lookups are typed, down to the type parameter");
    if let Err(err) = system.lookup::<Store<Line>>("/user/lobby/events") {
        println!("-> lookup::<Store<Line>>(\"/user/lobby/events\"): {err}");
    }
    let events = {
        let events = system.lookup::<Store<String>>("/user/lobby/events")?;
        let all = events.last(10).await?;
        println!("-> lookup::<Store<String>>(\"/user/lobby/events\"): {all:?}");
        // Keep only a weak ref: the strong one, dropped at the end of this block, would
        // keep the store alive after the room is gone (and `terminated` below would wait
        // for ever).
        events.downgrade()
    };

    println!("== dropping bob's last ref stops him; the room notices");
    let bob_weak = bob.downgrade();
    drop(bob);
    println!("-> bob: {}", bob_weak.terminated().await);
    let heard = alice.say("bob?".into()).await?;
    println!("-> alice's line reached {heard} member");

    println!("== carol quits (ctx.stop() in her handler)");
    carol.quit().await?;
    println!("-> carol: {}", carol.terminated().await);

    println!("== the room closes; its children, the stores, stop first");
    let history = system
        .lookup::<Store<Line>>("/user/lobby/history")?
        .downgrade();
    lobby.close().await?;
    println!("-> lobby: {}", lobby.terminated().await);
    println!("-> /user/lobby/history: {}", history.terminated().await);
    println!("-> /user/lobby/events: {}", events.terminated().await);

    // Only alice is left.
    let report = system.shutdown().await;
    println!(
        "== shutdown: {} stopped, {} aborted",
        report.stopped, report.aborted
    );
    Ok(())
}
