use actor_core::prelude::*;

/// Has no serde derives, so it cannot cross the wire.
pub struct Note(String);

#[actor]
pub struct Inbox {
    notes: Vec<Note>,
}

#[actor(remote = "mail.Inbox")]
impl Inbox {
    #[message]
    pub fn put(&mut self, note: Note) {
        self.notes.push(note);
    }

    #[message]
    pub fn count(&self) -> usize {
        self.notes.len()
    }
}

fn main() {}
