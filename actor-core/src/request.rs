//! A message on its way to an actor: awaited, it is an ask; or it can be told.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use crate::actor::Actor;
use crate::actor_ref::RefCore;
use crate::error::{AskError, SendError, TrySendError};
use crate::mailbox::{Envelope, ReplyReceiver, Sending};

/// A message addressed to an actor, not sent yet.
///
/// Returned by the generated client methods (`account.deposit(5)`) and by
/// [`ActorRef::ask`](crate::ActorRef::ask). Choose how to send it:
///
/// - `.await` it: an ask, resolving with the typed reply, within the ask timeout (the
///   system's default unless [`timeout`](Self::timeout) sets one);
/// - [`tell`](Self::tell): fire and forget, waiting for mailbox space;
/// - [`try_tell`](Self::try_tell): fire and forget, never waiting.
///
/// Dropping it unsent sends nothing.
#[must_use = "a request does nothing until it is awaited, told or try-told"]
pub struct Request<'a, A: Actor, R> {
    target: &'a RefCore<A>,
    msg: A::Msg,
    extract: fn(A::Reply) -> R,
    timeout: Option<Duration>,
}

impl<'a, A: Actor, R> Request<'a, A, R> {
    /// A request of `msg` to `target`; `extract` turns the actor's reply enum into the
    /// reply this request resolves with. Generated client methods call this.
    pub fn new(target: &'a RefCore<A>, msg: A::Msg, extract: fn(A::Reply) -> R) -> Self {
        Request {
            target,
            msg,
            extract,
            timeout: None,
        }
    }

    /// Sets how long the ask may take, from the first poll to the reply, waiting for
    /// mailbox space included. Overrides the system's default ask timeout. A timeout too
    /// long to add to the clock (`Duration::MAX`) is a deadline decades away.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The message this request carries.
    pub fn message(&self) -> &A::Msg {
        &self.msg
    }

    /// Sends the message without waiting for a reply (the reply is dropped), waiting for
    /// mailbox space if it is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if the actor no longer accepts messages.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not enqueued and is
    /// dropped.
    pub fn tell(self) -> Tell<'a, A> {
        self.target.tell(self.msg)
    }

    /// Sends the message without waiting for space or for a reply.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each with the message.
    pub fn try_tell(self) -> Result<(), TrySendError<A::Msg>> {
        self.target.try_send(self.msg)
    }
}

impl<A: Actor, R> fmt::Debug for Request<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("actor", &self.target.cell.id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a, A: Actor, R> IntoFuture for Request<'a, A, R> {
    type Output = Result<R, AskError<A::Msg>>;
    type IntoFuture = Ask<'a, A, R>;

    fn into_future(self) -> Ask<'a, A, R> {
        let timeout = self.timeout.unwrap_or(self.target.cell.ask_timeout);
        Ask {
            // Armed at the first poll, which is where the timeout counts from, and where
            // nothing panics: a request may be made outside any runtime.
            deadline: None,
            timeout,
            state: AskState::Unsent {
                target: self.target,
                msg: self.msg,
            },
            extract: self.extract,
        }
    }
}

pin_project! {
    /// The future of a tell: resolves once the message is in the mailbox, or with a
    /// [`SendError`] that hands it back if the actor no longer accepts messages.
    ///
    /// Created by [`Request::tell`] and [`ActorRef::tell`](crate::ActorRef::tell). One
    /// small state machine, polled straight into the mailbox: a tell to a mailbox with
    /// space completes in its first poll.
    ///
    /// # Cancel safety
    ///
    /// If it is dropped before it completes, the message was not enqueued and is dropped.
    #[must_use = "futures do nothing unless polled"]
    pub struct Tell<'a, A: Actor> {
        target: &'a RefCore<A>,
        sending: Sending<'a, A>,
    }
}

impl<'a, A: Actor> Tell<'a, A> {
    pub(crate) fn new(target: &'a RefCore<A>, msg: A::Msg) -> Self {
        Tell {
            target,
            sending: Sending::new(&target.cell.mailbox, Envelope { msg, reply: None }),
        }
    }
}

impl<A: Actor> Future for Tell<'_, A> {
    type Output = Result<(), SendError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match ready!(this.sending.poll_send(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(envelope) => {
                this.target.cell.dead_letter(&envelope.msg);
                Poll::Ready(Err(SendError(envelope.msg)))
            }
        }
    }
}

impl<A: Actor> fmt::Debug for Tell<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tell")
            .field("actor", &self.target.cell.id)
            .field("done", &self.sending.is_done())
            .finish()
    }
}

enum AskState<'a, A: Actor> {
    Unsent {
        target: &'a RefCore<A>,
        msg: A::Msg,
    },
    /// Enqueuing: at once if there is space, or when the mailbox wakes this task to say
    /// there is. Costs no allocation either way; the reply slot is the ask's only one.
    WaitingForSpace {
        target: &'a RefCore<A>,
        sending: Sending<'a, A>,
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
    /// Created by awaiting a [`Request`].
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

impl<A: Actor, R> Future for Ask<'_, A, R> {
    type Output = Result<R, AskError<A::Msg>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match std::mem::replace(this.state, AskState::Done) {
                AskState::Unsent { target, msg } => {
                    let timers = target.cell.events.timers();
                    this.deadline.set(Some(timers.sleep(*this.timeout)));
                    let (tx, rx) = oneshot::channel();
                    let envelope = Envelope {
                        msg,
                        reply: Some(tx),
                    };
                    *this.state = AskState::WaitingForSpace {
                        target,
                        sending: Sending::new(&target.cell.mailbox, envelope),
                        reply: rx,
                    };
                }
                AskState::WaitingForSpace {
                    target,
                    mut sending,
                    reply,
                } => match sending.poll_send(cx) {
                    Poll::Ready(Ok(())) => *this.state = AskState::WaitingForReply { reply },
                    Poll::Ready(Err(envelope)) => {
                        target.cell.dead_letter(&envelope.msg);
                        return Poll::Ready(Err(AskError::Closed(envelope.msg)));
                    }
                    Poll::Pending => {
                        if poll_deadline(this.deadline.as_mut(), cx).is_ready() {
                            let envelope = sending
                                .abandon()
                                .expect("a send that is pending holds its envelope");
                            return Poll::Ready(Err(AskError::MailboxFull(envelope.msg)));
                        }
                        *this.state = AskState::WaitingForSpace {
                            target,
                            sending,
                            reply,
                        };
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
fn poll_deadline(deadline: Pin<&mut Option<Sleep>>, cx: &mut TaskContext<'_>) -> Poll<()> {
    match deadline.as_pin_mut() {
        Some(sleep) => sleep.poll(cx),
        // Unreachable: the first poll arms it before anything waits.
        None => Poll::Pending,
    }
}

/// Where a system arms the timers of its asks and of its shutdown.
///
/// Not simply the runtime current where an ask is awaited: that may be none (a plain
/// thread blocking on the ask), or one built without `enable_time`, and tokio panics in
/// both cases. The system's own runtime is known to the system, and checked once.
#[derive(Debug, Clone)]
pub(crate) enum Timers {
    /// The system's runtime, which has a time driver.
    Runtime(Handle),
    /// The system's runtime has no time driver: a runtime of this crate's, with only a
    /// timer, on a thread of its own, started when first needed.
    Fallback,
}

impl Timers {
    /// Checks whether `runtime` has a time driver. tokio offers no way to ask, only to
    /// try, and a try that fails panics: that panic is caught, and the panic hook prints
    /// tokio's message ("timers are disabled") once, when the system learns its runtime.
    pub(crate) fn for_runtime(runtime: &Handle) -> Timers {
        let _entered = runtime.enter();
        let probe = std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO)));
        match probe {
            Ok(()) => Timers::Runtime(runtime.clone()),
            Err(_) => Timers::Fallback,
        }
    }

    /// A sleep of `timeout` from now, on this clock. A paused runtime's clock is the paused
    /// one: `now` is read inside the runtime, where the sleep is made.
    pub(crate) fn sleep(&self, timeout: Duration) -> Sleep {
        let runtime = match self {
            Timers::Runtime(runtime) => runtime,
            Timers::Fallback => fallback_timers(),
        };
        let _entered = runtime.enter();
        tokio::time::sleep_until(deadline_after(Instant::now(), timeout))
    }
}

/// `timeout` after `now`, or, for a timeout too long to add (`Duration::MAX`), a deadline
/// 30 years away, as tokio's own `sleep` does.
pub(crate) fn deadline_after(now: Instant, timeout: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    now.checked_add(timeout)
        .or_else(|| now.checked_add(FAR))
        // A clock 30 years from its own overflow: the deadline is as far as it gets.
        .unwrap_or(now)
}

/// The runtime that arms timers for systems whose runtime has none: a current-thread
/// runtime with only a time driver, run by a thread of its own for the life of the
/// process. Started the first time it is needed, so that programs that never need it
/// never pay for its thread.
fn fallback_timers() -> &'static Handle {
    static FALLBACK: OnceLock<Handle> = OnceLock::new();
    if let Some(handle) = FALLBACK.get() {
        return handle;
    }
    // Built outside the cell's initialisation, which would block other threads meanwhile;
    // of two threads that both build one, the first to settle it runs it, the other drops
    // its own. Only the operating system refusing a thread or a clock can fail these, as
    // it can fail any allocation; there is no timer to fall back to then.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("the operating system refused the resources of a timer runtime");
    if FALLBACK.set(runtime.handle().clone()).is_ok() {
        // Timers armed before this thread runs are kept, and fire once it does.
        std::thread::Builder::new()
            .name("actor-core timers".to_owned())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("the operating system refused a thread for the timer runtime");
    } else {
        // Not a plain drop: this may run inside an ask's poll, and dropping a runtime
        // where blocking is not allowed panics.
        runtime.shutdown_background();
    }
    FALLBACK.get().expect("settled just above")
}
