//! `#[actor(crate = path)]`: generated code reaches the runtime through the given path, so
//! the macro works when `actor-core` is renamed or re-exported by another crate.

// `#[message]` needs no import: `#[actor]` consumes it before name resolution.
use tests::runtime::{actor, ActorSystem};

/// A counter whose runtime is reached as `tests::runtime`.
#[actor(crate = tests::runtime, mailbox = 4)]
pub struct Counter {
    count: u32,
}

#[actor(crate = tests::runtime)]
impl Counter {
    #[message]
    fn increment(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

/// The string form, as serde and tokio accept it.
#[actor(crate = "tests::runtime")]
pub struct Echo;

#[actor(crate = "tests::runtime")]
impl Echo {
    #[message]
    fn echo(&self, text: String) -> String {
        text
    }
}

#[tokio::test]
async fn generated_code_uses_the_given_crate_path() {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { count: 0 }).unwrap();
    counter.increment().tell().await.unwrap();
    assert_eq!(counter.increment().await.unwrap(), 2);
    assert_eq!(
        <Counter as tests::runtime::Actor>::mailbox(),
        tests::runtime::MailboxConfig::Bounded(4)
    );
    let echo = system.spawn(Echo).unwrap();
    assert_eq!(echo.echo("hi".to_owned()).await.unwrap(), "hi");
    system.shutdown().await;
}
