use actor_core::prelude::*;
use std::future::{ready, Future};

#[actor]
pub struct Counter {
    count: u32,
}

#[actor]
impl Actor for Counter {
    type Msg = ();
    type Reply = u32;
    type Client = actor_core::BasicClient<Self>;

    fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> impl Future<Output = u32> + Send {
        ready(self.count)
    }
}

fn main() {}
