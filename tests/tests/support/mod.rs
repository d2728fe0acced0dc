//! Helpers shared by the runtime integration tests: bounded waits, gates that hold an actor
//! inside a handler until the test lets it go, a one-shot poll, and an event log.
//!
//! Every wait that a runtime bug could turn into a hang goes through [`bounded`], so a bug
//! fails the test instead of stalling the suite. Nothing here sleeps to "let things
//! settle": tests synchronize on gates, replies and `terminated()`.

#![allow(dead_code)]

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use actor_core::supervision::{Directive, SupervisorStrategy};
use actor_core::ActorSystem;
use tokio::sync::oneshot;

/// How long any single wait may take before the test calls it a hang. Generous, because
/// the machine is shared; with paused time it is reached only when everything is stuck.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Awaits `future`, failing the test with `what` if it takes longer than [`LIMIT`].
pub async fn bounded<F: IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(LIMIT, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("hung for {LIMIT:?}: {what}"),
    }
}

/// Polls `future` exactly once. Used to enqueue an ask (its first poll sends the message)
/// and keep the ask pending, without spawning a task whose scheduling the test can't see.
pub async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    std::future::poll_fn(move |cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// A system whose ask and shutdown timeouts are far longer than any test step, so only the
/// tests about timeouts ever see one.
pub fn patient_system() -> ActorSystem {
    ActorSystem::builder()
        .name("test")
        .ask_timeout(LIMIT)
        .shutdown_timeout(LIMIT)
        .build()
        .unwrap()
}

/// A [`patient_system`] whose guardian stops a failed top-level actor rather than
/// restarting it (the guardian's default before issue 10), for the tests about what a
/// failure that ends an actor leaves behind.
pub fn patient_system_stopping_failed() -> ActorSystem {
    ActorSystem::builder()
        .name("test")
        .ask_timeout(LIMIT)
        .shutdown_timeout(LIMIT)
        .guardian_strategy(SupervisorStrategy::one_for_one().decider(|_| Directive::Stop))
        .build()
        .unwrap()
}

/// Holds an actor inside a handler: the handler calls [`Gate::pass`], which reports that it
/// was entered and then waits until the test calls [`GateControl::release`] (or drops the
/// control).
pub struct Gate {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's side of a [`Gate`].
pub struct GateControl {
    entered: Option<oneshot::Receiver<()>>,
    release: oneshot::Sender<()>,
}

impl Gate {
    /// A gate and its control.
    pub fn new() -> (Gate, GateControl) {
        let (entered_tx, entered_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        (
            Gate {
                entered: entered_tx,
                release: release_rx,
            },
            GateControl {
                entered: Some(entered_rx),
                release: release_tx,
            },
        )
    }

    /// Reports that the handler got here, then waits to be released.
    pub async fn pass(self) {
        let _ = self.entered.send(());
        let _ = self.release.await;
    }

    /// Reports that the handler got here, then never returns (a stuck handler). Dropping
    /// the control does not free it.
    pub async fn hold_forever(self) {
        let _ = self.entered.send(());
        let _keep = self.release;
        std::future::pending::<()>().await;
    }
}

impl GateControl {
    /// Waits until the handler holding the gate is running.
    pub async fn entered(&mut self) {
        let entered = self.entered.take().expect("`entered` awaited twice");
        bounded("the handler to reach its gate", entered)
            .await
            .expect("the gate was dropped before the handler reached it");
    }

    /// Lets the handler go on.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

/// A shared, ordered record of what actors did, for asserting on order.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    /// Records one event.
    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    /// Everything recorded so far, in order.
    pub fn snapshot(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The events that start with `prefix`, in order.
    pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter(|event| event.starts_with(prefix))
            .collect()
    }
}
