//! Creating an instance and running its `started` (or, after a restart, `post_restart`)
//! hook.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::actor::Actor;
use crate::context::Context;
use crate::error::{Failure, FailureKind};
use crate::events::SystemEvent;
use crate::lifecycle::StopReason;
use crate::mailbox::signal::Urgent;
use crate::runner::catch::catch_or_fail;
use crate::runner::{failed_by, Phase, Runner, Transition};
use crate::supervision::decision::ChildExit;

impl<A: Actor> Runner<A> {
    pub(super) async fn start(
        &mut self,
        ctx: &mut Context<A>,
        restart: Option<Failure>,
    ) -> Phase<A> {
        let phase = self.create_and_start(ctx, restart).await;
        // A restart together with siblings goes on to the next sibling once this one has
        // started (or failed to).
        if let Some(ack) = self
            .lifecycle
            .as_mut()
            .and_then(|state| state.started_ack.take())
        {
            let _ = ack.send(());
        }
        phase
    }

    pub(super) async fn create_and_start(
        &mut self,
        ctx: &mut Context<A>,
        restart: Option<Failure>,
    ) -> Phase<A> {
        // The factory is user code too: a panic in it fails the actor like a panic in a hook.
        let created = std::panic::catch_unwind(AssertUnwindSafe(|| self.factory.create()));
        let mut actor = match created {
            Ok(Some(actor)) => actor,
            // Only a one-shot factory runs dry, and `restart` checks that first.
            Ok(None) => return Phase::Stop(None, StopReason::Aborted),
            Err(payload) => {
                if restart.is_none() {
                    self.lifecycle().never_created = true;
                }
                let failure = Failure::from_panic(FailureKind::FactoryPanic, &*payload);
                return Phase::Exited(None, ChildExit::Failed(failure));
            }
        };
        let first_instance = self
            .lifecycle
            .as_mut()
            .is_some_and(|state| std::mem::take(&mut state.never_created));
        let restart = restart.filter(|_| !first_instance);
        let signals = &mut self.signals;
        let hook = if let Some(cause) = &restart {
            catch_or_fail(
                FailureKind::HookPanic,
                async { actor.post_restart(cause, ctx).await },
                signals,
            )
            .await
        } else {
            catch_or_fail(
                FailureKind::HookPanic,
                async { actor.started(ctx).await },
                signals,
            )
            .await
        };
        match hook {
            Ok(()) => {}
            Err(Urgent::Failed(failure)) => {
                return Phase::Exited(Some(actor), ChildExit::Failed(failure))
            }
            Err(Urgent::Teardown { cause, done }) => {
                return Phase::Teardown(Some(actor), cause, done)
            }
            Err(Urgent::Stop) => return Phase::Stop(Some(actor), StopReason::Requested),
        }
        if let Err(failure) = failed_by(ctx) {
            return Phase::Exited(Some(actor), ChildExit::Failed(failure));
        }
        if restart.is_some() {
            ctx.system().publish(SystemEvent::Restarted {
                actor: ctx.id(),
                path: Arc::clone(ctx.cell().path()),
            });
        }
        self.mark_running(ctx);
        // `ctx.stop()` in `started` takes effect before the first message.
        if let Some(mode) = ctx.take_stop_request() {
            let transition = self.stop_requested(mode, &mut actor, ctx).await;
            if !matches!(transition, Transition::Continue) {
                return transition.into_phase(actor);
            }
        }
        Phase::Run(actor)
    }
}
