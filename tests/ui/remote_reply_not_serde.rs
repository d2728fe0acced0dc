use actor_core::prelude::*;

/// Has no serde derives, so it cannot cross the wire.
pub struct Summary {
    pub count: usize,
}

#[actor]
pub struct Inbox {
    count: usize,
}

#[actor(remote = "mail.Inbox")]
impl Inbox {
    #[message]
    pub fn summary(&self) -> Summary {
        Summary { count: self.count }
    }

    #[message]
    pub fn count(&self) -> usize {
        self.count
    }
}

fn main() {}
