//! Methods named like the `Actor` trait's own and like a user trait's, restart hooks that
//! take the failure (before or after the context), and a deprecated message. The dispatch
//! calls each user method by its path, `Self::name(self, ..)`, so no trait method of the
//! same name can take its place.

use actor_core::prelude::*;

/// Something that can be reset: a trait of the user's, with a method named like a message.
pub trait Reset {
    /// Resets by the trait's rule.
    fn reset(&mut self);
}

/// Records what happens to it.
#[derive(Debug)]
#[actor]
pub struct Namesake {
    events: Vec<String>,
}

impl Reset for Namesake {
    fn reset(&mut self) {
        self.events.clear();
    }
}

#[actor]
impl Namesake {
    /// Named like `Actor::handle`; its argument is named like `handle`'s.
    #[message]
    #[must_use]
    pub fn handle(&self, msg: u32) -> (u32, usize) {
        (msg, self.events.len())
    }

    /// Named like `Actor::stopping`, with the context.
    #[message]
    #[must_use]
    pub fn stopping(&self, ctx: &mut Context<Self>) -> String {
        format!("{} events at {}", self.events.len(), ctx.path())
    }

    /// Named like the user's `Reset::reset`, with `&self`: counts, clears nothing.
    #[message]
    #[must_use]
    pub fn reset(&self) -> usize {
        self.events.len()
    }

    /// What happened so far.
    #[message]
    #[must_use]
    pub fn events(&self) -> Vec<String> {
        self.events.clone()
    }

    /// The old name of `events`.
    #[deprecated = "use `events`"]
    #[message]
    #[must_use]
    pub fn history(&self) -> Vec<String> {
        self.events.clone()
    }

    /// Named like `Actor::started`.
    #[started]
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.events.push(format!("started at {}", ctx.path()));
    }

    /// Named like `Actor::pre_restart`; the failure first.
    #[pre_restart]
    fn pre_restart(&mut self, failure: &Failure, ctx: &mut Context<Self>) {
        self.events.push(format!(
            "pre_restart at {}: {}",
            ctx.path(),
            failure.message()
        ));
    }

    /// The context first.
    #[post_restart]
    fn after_restart(&mut self, ctx: &mut Context<Self>, failure: &Failure) {
        self.events.push(format!(
            "post_restart at {}: {}",
            ctx.path(),
            failure.message()
        ));
    }
}

impl Namesake {
    /// A namesake with nothing recorded.
    #[must_use]
    pub fn new() -> Self {
        Namesake { events: Vec::new() }
    }
}

impl Default for Namesake {
    fn default() -> Self {
        Self::new()
    }
}
