// Every bad method of an impl block is reported in one compile, each at its own token, and
// the good methods still expand: `main` uses the valid `count` message without an error.
use actor_core::prelude::*;

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Counter {
    #[message]
    pub fn count(&self) -> u32 {
        self.count
    }

    #[message]
    pub fn rename(&mut self, name: &str) {
        let _ = name;
    }

    #[message]
    pub fn finish(self) -> u32 {
        self.count
    }

    #[message]
    pub fn log<T: std::fmt::Debug>(&self, value: T) {
        println!("{value:?}");
    }

    #[message]
    pub fn stop(&mut self) {}

    #[message]
    pub fn peek(&self) -> &u32 {
        &self.count
    }
}

async fn use_the_valid_message(counter: ActorRef<Counter>) -> u32 {
    counter.count().await.unwrap()
}

fn main() {
    let _ = use_the_valid_message;
}
