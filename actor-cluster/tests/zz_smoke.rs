use std::time::Duration;
use actor_cluster::{Credentials, Node};
use actor_core::__private::wire::{self, RemoteActor, WireError, WireId};
use actor_core::{Actor, ActorSystem, BasicClient, Context};

struct Counter(u64);
impl Actor for Counter {
    type Msg = u64;
    type Reply = u64;
    type Client = BasicClient<Self>;
    async fn handle(&mut self, add: u64, _ctx: &mut Context<Self>) -> u64 { self.0 += add; self.0 }
}
impl RemoteActor for Counter {
    const WIRE_NAME: &'static str = "t.Counter";
    const SIGNATURE: u64 = 1;
    fn wire_id(_: &u64) -> WireId { 7 }
    fn encode_msg(m: &u64, out: &mut Vec<u8>) -> Result<(), WireError> { wire::encode(m, out) }
    fn decode_msg(_: WireId, b: &[u8]) -> Result<u64, WireError> { wire::decode(b) }
    fn encode_reply(m: &u64, out: &mut Vec<u8>) -> Result<(), WireError> { wire::encode(m, out) }
    fn decode_reply(_: WireId, b: &[u8]) -> Result<u64, WireError> { wire::decode(b) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke() {
    let dir = std::env::temp_dir().join(format!("smoke-{}", std::process::id()));
    let a = Node::builder().credentials(Credentials::development(&dir).unwrap()).start().await.unwrap();
    let b = Node::builder().credentials(Credentials::development(&dir).unwrap()).start().await.unwrap();
    let c = b.system().spawn(Counter(0)).unwrap();
    b.register("c", &c).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), a.lookup::<Counter>(b.address(), "c")).await.unwrap().unwrap();
    r.tell(5).await.unwrap();
    assert_eq!(tokio::time::timeout(Duration::from_secs(10), r.ask(2)).await.unwrap().unwrap(), 7);
    let t = std::time::Instant::now();
    for _ in 0..10000 { r.ask(1).await.unwrap(); }
    eprintln!("10k asks in {:?}", t.elapsed());
    let _ = ActorSystem::new;
    a.shutdown().await; b.shutdown().await;
}
