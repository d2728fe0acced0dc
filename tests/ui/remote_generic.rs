use actor_core::prelude::*;

#[actor]
pub struct Store<T: Send + 'static> {
    items: Vec<T>,
}

#[actor(remote = "kv.Store")]
impl<T: Send + 'static> Store<T> {
    #[message]
    pub fn count(&self) -> usize {
        self.items.len()
    }
}

fn main() {}
