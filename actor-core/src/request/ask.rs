//! [`Ask`]: a message sent and its reply awaited, within a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use crate::actor::Actor;
use crate::address::core::{Delivery, Target};
use crate::error::AskError;
use crate::mailbox::envelope::{reply_slot, Envelope, ReplyReceiver};

enum AskState<'a, A: Actor> {
    Unsent {
        target: &'a Target<A>,
        msg: A::Msg,
    },
    /// Enqueuing: at once if there is space, or when the mailbox wakes this task to say
    /// there is. Costs no allocation either way; the reply slot is the ask's only one.
    WaitingForSpace {
        delivery: Delivery<'a, A>,
        reply: ReplyReceiver<A>,
    },
    WaitingForReply {
        reply: ReplyReceiver<A>,
    },
    Done,
}

pin_project! {
    /// The future of an ask: resolves with the reply, or an [`AskError`] saying why not.
    ///
    /// Created by awaiting a [`Request`](crate::Request).
    ///
    /// # Cancel safety
    ///
    /// Dropping it before the message was enqueued drops the message; after, the actor
    /// still handles the message and its reply is discarded.
    #[must_use = "futures do nothing unless polled"]
    pub struct Ask<'a, A: Actor, R> {
        #[pin]
        deadline: Option<Sleep>,
        timeout: Duration,
        state: AskState<'a, A>,
        extract: fn(A::Reply) -> R,
    }
}

impl<'a, A: Actor, R> Ask<'a, A, R> {
    pub(crate) fn new(
        target: &'a Target<A>,
        msg: A::Msg,
        extract: fn(A::Reply) -> R,
        timeout: Duration,
    ) -> Self {
        Ask {
            // Armed at the first poll, which is where the timeout counts from, and where
            // nothing panics: a request may be made outside any runtime.
            deadline: None,
            timeout,
            state: AskState::Unsent { target, msg },
            extract,
        }
    }
}

impl<A: Actor, R> Future for Ask<'_, A, R> {
    type Output = Result<R, AskError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match std::mem::replace(this.state, AskState::Done) {
                AskState::Unsent { target, msg } => {
                    this.deadline.set(Some(target.clock().sleep(*this.timeout)));
                    let (tx, rx) = reply_slot::<A>();
                    let envelope = Envelope {
                        msg,
                        reply: Some(tx),
                    };
                    *this.state = AskState::WaitingForSpace {
                        delivery: target.deliver(envelope),
                        reply: rx,
                    };
                }
                AskState::WaitingForSpace {
                    mut delivery,
                    reply,
                } => match delivery.poll(cx) {
                    Poll::Ready(Ok(())) => *this.state = AskState::WaitingForReply { reply },
                    Poll::Ready(Err(envelope)) => {
                        return Poll::Ready(Err(AskError::Closed(envelope.msg)));
                    }
                    Poll::Pending => {
                        if poll_deadline(this.deadline.as_mut(), cx).is_ready() {
                            let envelope = delivery
                                .abandon()
                                .expect("a send that is pending holds its envelope");
                            return Poll::Ready(Err(AskError::MailboxFull(envelope.msg)));
                        }
                        *this.state = AskState::WaitingForSpace { delivery, reply };
                        return Poll::Pending;
                    }
                },
                AskState::WaitingForReply { mut reply } => match Pin::new(&mut reply).poll(cx) {
                    Poll::Ready(Ok(Ok(value))) => return Poll::Ready(Ok((this.extract)(value))),
                    Poll::Ready(Ok(Err(failure))) => {
                        return Poll::Ready(Err(AskError::Failed(failure)));
                    }
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(AskError::Stopped)),
                    Poll::Pending => {
                        *this.state = AskState::WaitingForReply { reply };
                        ready!(poll_deadline(this.deadline.as_mut(), cx));
                        *this.state = AskState::Done;
                        return Poll::Ready(Err(AskError::Timeout));
                    }
                },
                AskState::Done => panic!("`Ask` polled after it completed"),
            }
        }
    }
}

/// Polls an ask's deadline, armed at its first poll.
fn poll_deadline(deadline: Pin<&mut Option<Sleep>>, cx: &mut Context<'_>) -> Poll<()> {
    match deadline.as_pin_mut() {
        Some(sleep) => sleep.poll(cx),
        // Unreachable: the first poll arms it before anything waits.
        None => Poll::Pending,
    }
}
