//! A private actor in a binary whose messages are sent only as enum values (as a timer
//! would send them), never through the client methods: no `dead_code` warning, under
//! `deny(warnings)`, and `#[allow(dead_code)]` on a method or on the block is accepted.
//! (trybuild passes `-A dead_code`; the attribute below turns the lint back on.)

#![deny(warnings, dead_code)]

use actor_core::prelude::*;

#[actor]
struct Ticker {
    ticks: u32,
}

#[actor]
impl Ticker {
    #[message]
    fn tick(&mut self) {
        self.ticks += 1;
    }

    #[message]
    fn ticks(&self) -> u32 {
        self.ticks
    }
}

#[actor]
struct Quiet;

#[actor]
#[allow(dead_code)]
impl Quiet {
    #[message]
    fn hush(&self) {}

    fn helper(&self) {}
}

#[actor]
struct Silent;

#[actor]
impl Silent {
    #[message]
    #[allow(dead_code)]
    fn mute(&self) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = ActorSystem::new();
    let ticker = system.spawn(Ticker { ticks: 0 }).unwrap();
    ticker.tell(TickerMsg::Tick).await.unwrap();
    ticker.tell(TickerMsg::Tick).await.unwrap();
    match ticker.ask(TickerMsg::Ticks).await.unwrap() {
        TickerReply::Ticks(ticks) => assert_eq!(ticks, 2),
        TickerReply::Tick => unreachable!("the reply of a `ticks` message"),
    }
    let quiet = system.spawn(Quiet).unwrap();
    quiet.tell(QuietMsg::Hush).await.unwrap();
    let silent = system.spawn(Silent).unwrap();
    silent.tell(SilentMsg::Mute).await.unwrap();
    system.shutdown().await;
}
