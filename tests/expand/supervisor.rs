//! A supervisor: a strategy from the struct options, children spawned in `started`, a
//! death watch, restart hooks, and a message whose `Err` fails the actor.

use actor_core::prelude::*;
use actor_core::supervision::{Directive, SupervisorStrategy};

/// Restarts a failed worker unless its failure says it is hopeless.
#[must_use]
pub fn worker_strategy() -> SupervisorStrategy {
    SupervisorStrategy::one_for_one()
        .max_restarts(5)
        .decider(|failure| {
            if failure.failure.message().contains("hopeless") {
                Directive::Stop
            } else {
                Directive::Restart
            }
        })
}

/// Parses numbers; fails on bad input.
#[derive(Debug)]
#[actor]
pub struct Parser;

#[actor]
impl Parser {
    /// Parses `text`; an `Err` also fails (and so restarts) the parser.
    ///
    /// # Errors
    ///
    /// The parse error, as text.
    #[message(fail_on_err)]
    pub fn parse(&mut self, text: String) -> Result<i64, String> {
        text.trim()
            .parse()
            .map_err(|err| format!("{text:?}: {err}"))
    }
}

/// Owns a parser and counts what happens to it.
#[derive(Debug)]
#[actor(supervisor = worker_strategy)]
pub struct Foreman {
    parser: Option<ActorRef<Parser>>,
    restarts: u32,
    gone: Vec<StopReason>,
}

#[actor]
impl Foreman {
    /// The parser, once started.
    #[message]
    #[must_use]
    pub fn parser(&self) -> Option<ActorRef<Parser>> {
        self.parser.clone()
    }

    /// How many times this foreman was restarted, and what it saw of its watched actors.
    #[message]
    #[must_use]
    pub fn report(&self) -> (u32, Vec<StopReason>) {
        (self.restarts, self.gone.clone())
    }

    /// Spawns and watches the parser.
    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        if let Ok(parser) = ctx.spawn(Props::new(|| Parser).name("parser")) {
            ctx.watch(&parser);
            self.parser = Some(parser);
        }
    }

    /// Counts restarts, then hires again.
    #[post_restart]
    fn rehire(&mut self, ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.hire(ctx);
    }

    /// Records why a watched actor stopped.
    #[terminated]
    fn on_terminated(&mut self, terminated: Terminated) {
        self.gone.push(terminated.reason);
    }
}
