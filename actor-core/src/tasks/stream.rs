//! A stream attached to an actor: its items come in as messages, one send at a time, so
//! the stream is polled only as fast as the actor's mailbox has room.

use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};

use crate::actor::Actor;
use crate::address::cell::ActorCell;
use crate::tasks::deliver::deliver;
use crate::tasks::guard;

/// How an attached stream ended: the last message it sends to its actor.
///
/// A plain stream ([`Context::attach_stream`](crate::Context::attach_stream)) only ever
/// ends [`Finished`](StreamEnd::Finished) (its `E` is [`Infallible`](std::convert::Infallible));
/// a stream of `Result`s ([`Context::attach_try_stream`](crate::Context::attach_try_stream))
/// ends [`Failed`](StreamEnd::Failed) at its first `Err`, which it is not polled past. A
/// stream aborted with its actor's stop or restart sends nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd<E = std::convert::Infallible> {
    /// The stream returned `None`: every item was sent.
    Finished,
    /// The stream yielded this error; the items before it were sent, none after.
    Failed(E),
}

impl<E> StreamEnd<E> {
    /// The error it failed with, or `None` if it finished.
    pub fn into_error(self) -> Option<E> {
        match self {
            StreamEnd::Finished => None,
            StreamEnd::Failed(error) => Some(error),
        }
    }
}

/// The task of an attached stream of `Result`s: each `Ok` item made a message with
/// `on_item` and sent (the next one is polled only once it is in the mailbox), then the end
/// made a message with `on_end` and sent, after the stream is dropped.
pub(crate) fn drive<A, S, T, E, I, End>(
    cell: Arc<ActorCell<A>>,
    stream: S,
    mut on_item: I,
    on_end: End,
) -> impl Future<Output = ()> + Send + 'static
where
    A: Actor,
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    I: FnMut(T) -> A::Msg + Send + 'static,
    End: FnOnce(StreamEnd<E>) -> A::Msg + Send + 'static,
{
    let owner = Arc::clone(&cell);
    guard(owner, async move {
        // The stream lives only in this inner future, so it is dropped (a socket closed)
        // before the end is reported.
        let items = async {
            let mut stream = std::pin::pin!(stream);
            loop {
                match stream.next().await {
                    Some(Ok(item)) => {
                        if deliver(&cell, on_item(item)).await.is_err() {
                            return None;
                        }
                    }
                    Some(Err(error)) => return Some(StreamEnd::Failed(error)),
                    None => return Some(StreamEnd::Finished),
                }
            }
        };
        if let Some(end) = items.await {
            let _ = deliver(&cell, on_end(end)).await;
        }
    })
}
