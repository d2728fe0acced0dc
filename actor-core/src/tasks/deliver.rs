//! A message from one of the actor's own tasks to its mailbox, without a strong ref.
//!
//! A request's delivery (`address::core::Delivery`) owns a strong ref, so that a spawned
//! request keeps its actor alive until the message is in. The actor's own tasks must not:
//! an actor is not kept running by what it runs itself, and a child or a named actor may
//! run with no strong ref at all, which a weak ref could not upgrade. So they send through
//! the actor's cell directly; it is always a local actor's, their own.

use std::future::poll_fn;
use std::task::{Context, Poll};

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::mailbox::envelope::Envelope;
use crate::mailbox::queue::SendSlot;

/// The actor no longer accepts messages (it is stopping or stopped); the message was
/// counted as a dead letter and dropped.
#[derive(Debug)]
pub(crate) struct Refused;

/// Sends `msg` to the actor of `cell` as a tell, waiting for room in its mailbox.
///
/// Cancel safe in the way a tell is: dropped before it resolves, the message was either
/// put in the mailbox or is dropped with it, and its place in the line of waiting senders
/// is given up.
pub(crate) async fn deliver<A: Actor>(cell: &ActorCell<A>, msg: A::Msg) -> Result<(), Refused> {
    let mut sending = OwnSend {
        cell,
        slot: SendSlot::new(Envelope::tell(msg)),
    };
    poll_fn(|cx| sending.poll(cx)).await
}

/// A send in progress that leaves the line of waiting senders when dropped (M5).
struct OwnSend<'a, A: Actor> {
    cell: &'a ActorCell<A>,
    slot: SendSlot<Envelope<A>>,
}

impl<A: Actor> OwnSend<'_, A> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Refused>> {
        match self.slot.poll_send(&self.cell.mailbox, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(envelope)) => {
                self.cell.dead_letter(&envelope.msg);
                Poll::Ready(Err(Refused))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<A: Actor> Drop for OwnSend<'_, A> {
    fn drop(&mut self) {
        self.slot.leave(&self.cell.mailbox);
    }
}
