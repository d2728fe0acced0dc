use actor_core::prelude::*;
use actor_core::supervision::SupervisorStrategy;
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<String>>>;

#[actor]
pub struct Worker { count: u32, log: Log }

#[actor]
impl Worker {
    #[message]
    fn add(&mut self) -> u32 { self.count += 1; self.count }
    #[message]
    fn boom(&mut self) { panic!("boom") }
    #[message(fail_on_err)]
    fn risky(&mut self, ok: bool) -> Result<u32, String> { if ok { Ok(1) } else { Err("bad".into()) } }
    #[started]
    fn up(&mut self) { self.log.lock().unwrap().push("started".into()) }
    #[pre_restart]
    fn pre(&mut self) { self.log.lock().unwrap().push("pre_restart".into()) }
    #[stopped]
    fn down(&mut self) { self.log.lock().unwrap().push("stopped".into()) }
}

fn restart_all() -> SupervisorStrategy { SupervisorStrategy::one_for_one() }

#[actor(supervisor = restart_all)]
pub struct Boss { log: Log, worker: Option<ActorRef<Worker>> }

#[actor]
impl Boss {
    #[message]
    fn worker(&self) -> Option<ActorRef<Worker>> { self.worker.clone() }
    #[started]
    fn hire(&mut self, ctx: &mut Context<Self>) {
        let log = self.log.clone();
        self.worker = Some(ctx.spawn(Props::new(move || Worker { count: 0, log: log.clone() }).name("w")).unwrap());
    }
}

#[tokio::test]
async fn restart_keeps_ref_and_queue() {
    let system = ActorSystem::new();
    let log: Log = Default::default();
    let boss = system.spawn(Boss { log: log.clone(), worker: None }).unwrap();
    let w = boss.worker().await.unwrap().unwrap();
    assert_eq!(w.path(), format!("{}/w", boss.path()));
    assert_eq!(w.add().await.unwrap(), 1);
    let id = w.id();
    let err = w.boom().await.unwrap_err();
    assert!(matches!(err, AskError::Failed(_)), "{err:?}");
    assert_eq!(w.add().await.unwrap(), 1, "fresh state after restart");
    assert_eq!(w.id(), id);
    assert_eq!(w.risky(false).await.unwrap(), Err("bad".to_string()));
    assert_eq!(w.add().await.unwrap(), 1, "fail_on_err restarted it");
    let looked: ActorRef<Worker> = system.lookup(&format!("{}/w", boss.path())).unwrap();
    assert_eq!(looked.id(), id);
    system.shutdown().await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log, ["started", "pre_restart", "started", "pre_restart", "started", "stopped"]);
}

#[tokio::test]
async fn debug_events() {
    let system = ActorSystem::new();
    let mut events = system.events();
    let log: Log = Default::default();
    let boss = system.spawn(Boss { log: log.clone(), worker: None }).unwrap();
    let w = boss.worker().await.unwrap().unwrap();
    let _ = w.boom().await;
    let r = w.add().await;
    println!("add: {r:?}");
    while let Ok(Ok(e)) = tokio::time::timeout(std::time::Duration::from_millis(100), events.recv()).await {
        println!("{e:?}");
    }
    println!("{:?}", log.lock().unwrap());
}
