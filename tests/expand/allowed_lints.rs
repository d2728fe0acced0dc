//! The inputs for which the generated code allows a lint, so the expansion lint test
//! (`tests/tests/expansion_lints.rs`, which denies warnings) proves each allow is needed
//! and enough: a private message with private argument and reply types, sent only as an
//! enum value (`private_interfaces`, `dead_code`), an actor without messages
//! (`unreachable_code`), and one whose only message taking the context is compiled out.

use actor_core::prelude::*;

/// The actor's secret: private, so more private than the generated `pub` message enum.
struct Secret(u8);

/// What the actor reveals: private too, in the generated `pub` reply enum.
struct Hidden(u8);

/// Keeps a number, through private messages of private types.
#[derive(Debug)]
#[actor]
pub struct Keeper {
    kept: u8,
}

#[actor]
impl Keeper {
    #[message]
    fn keep(&mut self, secret: Secret) {
        self.kept = secret.0;
    }

    #[message]
    fn reveal(&self) -> Hidden {
        Hidden(self.kept)
    }
}

impl Keeper {
    /// A keeper of nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Keeper { kept: 0 }
    }

    /// Keeps `value` and reveals it, with the messages sent as enum values, so that the
    /// generated client methods are never called.
    ///
    /// # Panics
    ///
    /// If the keeper is not alive, or answers with the other reply.
    pub async fn round_trip(keeper: &ActorRef<Keeper>, value: u8) -> u8 {
        keeper
            .tell(KeeperMsg::Keep {
                secret: Secret(value),
            })
            .await
            .expect("the keeper is alive");
        match keeper.ask(KeeperMsg::Reveal).await.expect("it answers") {
            KeeperReply::Reveal(hidden) => hidden.0,
            KeeperReply::Keep => unreachable!("the reply of `reveal`"),
        }
    }
}

impl Default for Keeper {
    fn default() -> Self {
        Self::new()
    }
}

/// An actor without messages: it only runs its hook.
#[derive(Debug)]
#[actor]
pub struct Idle {
    started: bool,
}

#[actor]
impl Idle {
    /// Notes that it started.
    #[started]
    fn begin(&mut self) {
        self.started = true;
    }
}

impl Idle {
    /// An idle actor, not yet started.
    #[must_use]
    pub fn new() -> Self {
        Idle { started: false }
    }
}

impl Default for Idle {
    fn default() -> Self {
        Self::new()
    }
}

/// Its only message that takes the context is compiled out (`cfg(any())` is never true).
#[derive(Debug)]
#[actor]
pub struct Hushed {
    count: u32,
}

#[actor]
impl Hushed {
    /// Compiled out.
    #[cfg(any())]
    #[message]
    pub fn stop_soon(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    /// Counts the call.
    #[message]
    pub fn count(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

impl Hushed {
    /// A count of zero.
    #[must_use]
    pub fn new() -> Self {
        Hushed { count: 0 }
    }
}

impl Default for Hushed {
    fn default() -> Self {
        Self::new()
    }
}
