//! The stash: messages an actor puts aside to handle later, back in front of the mailbox,
//! in their order, when it unstashes.
//!
//! Two queues, both the actor's own and neither in the mailbox: `stashed`, what the
//! handlers put aside, and `unstashed`, what an unstash gave back and the actor has not
//! handled yet, which the runner takes before the mailbox (`Context::poll_own_message`).
//! Unstashing moves messages from the first to the second, never through the mailbox, so
//! no sender can slip a message in between and no mailbox permit is needed.
//!
//! Order. A message in `stashed` while `unstashed` is not empty was stashed during the
//! replay, so it came before what is left of the replay: an unstash puts it in front (as
//! Akka's `unstashAll` prepends to the mailbox). Several unstashes made while one message
//! is handled keep their own order: `placed` counts what they put in front so far, and the
//! next goes after those.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use crate::actor::Actor;
use crate::mailbox::envelope::{Envelope, ReplySlot};

/// Above this many slots, an emptied queue gives its memory back: an actor that once
/// stashed a burst does not keep the burst's buffer for the rest of its life.
const IDLE_SLOTS: usize = 16;

/// An actor's stash and the messages unstashed from it, which come before the mailbox.
///
/// The queues are in a `Mutex` only so that the context stays `Sync` for messages that
/// are `Send` and not `Sync` (the mailbox holds them under its lock for the same reason):
/// every change goes through `&mut self` and [`Mutex::get_mut`], which takes no lock; only
/// the counts read through `&self` lock it, for a moment, with no user code or drop inside.
pub(crate) struct Stash<A: Actor> {
    buffer: Mutex<StashBuffer<Stashed<A>>>,
    /// The message the handler running now stashed with its asker's reply slot, if it
    /// did: checked against the message it handles once it returns ([`settle`](Self::settle)).
    hand_over: Option<HandOver>,
    /// The number the next stashed message gets.
    next_seq: u64,
}

/// A stashed message, numbered so that a hand-over can find it again.
struct Stashed<A: Actor> {
    seq: u64,
    envelope: Envelope<A>,
}

/// Which stashed message took the reply slot of the message being handled, and what it is.
#[derive(Debug, Clone, Copy)]
struct HandOver {
    seq: u64,
    variant: &'static str,
}

impl<A: Actor> Default for Stash<A> {
    fn default() -> Self {
        Stash {
            buffer: Mutex::new(StashBuffer::default()),
            hand_over: None,
            next_seq: 0,
        }
    }
}

impl<A: Actor> Stash<A> {
    /// The queues, to change: no lock is taken.
    #[inline]
    fn buffer(&mut self) -> &mut StashBuffer<Stashed<A>> {
        // Poisoned only by a panic under the lock, and nothing under it can panic.
        self.buffer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The counts and the capacity, read through a shared reference.
    pub(crate) fn counts(&self) -> StashCounts {
        let buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        StashCounts {
            stashed: buffer.len(),
            held: buffer.held(),
            capacity: buffer.capacity(),
        }
    }

    /// Keeps `msg` for later, with `reply`, the reply slot of the message being handled,
    /// unless the stash already holds `capacity` messages: then both are handed back.
    pub(crate) fn push(
        &mut self,
        msg: A::Msg,
        reply: Option<ReplySlot<A>>,
        capacity: usize,
    ) -> Result<(), (A::Msg, Option<ReplySlot<A>>)> {
        let variant = reply.is_some().then(|| A::message_name(&msg));
        let seq = self.next_seq;
        let envelope = match reply {
            Some(reply) => Envelope::ask(msg, reply),
            None => Envelope::tell(msg),
        };
        match self.buffer().push(Stashed { seq, envelope }, capacity) {
            Ok(()) => {
                self.next_seq = self.next_seq.wrapping_add(1);
                if let Some(variant) = variant {
                    self.hand_over = Some(HandOver { seq, variant });
                }
                Ok(())
            }
            Err(refused) => Err((refused.envelope.msg, refused.envelope.reply)),
        }
    }

    /// The handler of the message `handled` (its variant's name) returned or failed: if
    /// it stashed a message of another variant with its reply slot, the slot comes back,
    /// since that message's reply could not answer this asker (it waits for a `handled`
    /// reply); the stashed message stays, as a tell.
    #[inline]
    pub(crate) fn settle(&mut self, handled: &'static str) -> Option<ReplySlot<A>> {
        let hand_over = self.hand_over.take()?;
        if hand_over.variant == handled {
            return None;
        }
        self.buffer()
            .find_mut(|stashed| stashed.seq == hand_over.seq)
            .and_then(|stashed| stashed.envelope.reply.take())
    }

    /// The next unstashed message, which comes before anything in the mailbox;
    /// `Ready(None)` if there is none. Each one counts against tokio's cooperative budget,
    /// as a message from the mailbox does, so that an actor replaying a long stash, or one
    /// that stashes and unstashes without end, still lets other tasks run (the one that
    /// would stop it, on a runtime with one thread). `Pending` means the budget is spent:
    /// the task has been woken to go on after a yield.
    #[inline]
    pub(crate) fn poll_unstashed(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Envelope<A>>> {
        let buffer = self.buffer();
        if !buffer.has_unstashed() {
            // Still between two messages: what the last one unstashed is in place.
            buffer.placed = 0;
            return Poll::Ready(None);
        }
        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        budget.made_progress();
        Poll::Ready(buffer.next_unstashed().map(|stashed| stashed.envelope))
    }

    /// Gives every stashed message back, oldest first, before the rest of the mailbox.
    pub(crate) fn unstash_all(&mut self) {
        self.buffer().unstash_all();
    }

    /// Gives the oldest stashed message back; `false` if nothing is stashed.
    pub(crate) fn unstash_one(&mut self) -> bool {
        self.buffer().unstash_one()
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.buffer().set_capacity(capacity);
    }

    /// The actor restarts: what is stashed goes back in front of the mailbox (Akka's
    /// `unstashAll` in `preRestart`), so the new instance handles it first.
    pub(crate) fn restarting(&mut self) {
        self.buffer().unstash_all();
    }

    /// Takes every message out, in the order they would have been handled: the actor
    /// stops for good, and they become dead letters.
    pub(crate) fn take_all(&mut self) -> impl Iterator<Item = Envelope<A>> {
        self.hand_over = None;
        self.buffer()
            .take_all()
            .into_iter()
            .map(|stashed| stashed.envelope)
    }
}

/// What [`Stash::counts`] reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StashCounts {
    /// Stashed and not unstashed yet.
    pub(crate) stashed: usize,
    /// Stashed, or unstashed and not handled yet: what counts against the capacity.
    pub(crate) held: usize,
    /// Set by `Context::set_stash_capacity`, if it was.
    pub(crate) capacity: Option<usize>,
}

/// The stash's two queues, of any item: generic so that its order can be tested on plain
/// numbers, without an actor.
pub(crate) struct StashBuffer<T> {
    /// Put aside, oldest first, until an unstash.
    stashed: VecDeque<T>,
    /// Given back, not handled yet, in the order they are to be handled.
    unstashed: VecDeque<T>,
    /// How many at the front of `unstashed` were put there since the actor last took a
    /// message: the next unstash goes after them, so that two unstashes in one handler
    /// keep their order.
    placed: usize,
    /// Set by `Context::set_stash_capacity`; without it, the context's default applies.
    capacity: Option<usize>,
}

impl<T> Default for StashBuffer<T> {
    fn default() -> Self {
        StashBuffer {
            stashed: VecDeque::new(),
            unstashed: VecDeque::new(),
            placed: 0,
            capacity: None,
        }
    }
}

impl<T> StashBuffer<T> {
    /// The next unstashed message, which comes before anything in the mailbox.
    #[inline]
    pub(crate) fn next_unstashed(&mut self) -> Option<T> {
        // The actor is between two messages: what the last one unstashed is in place.
        self.placed = 0;
        let next = self.unstashed.pop_front();
        if next.is_some() && self.unstashed.is_empty() {
            shrink_if_idle(&mut self.unstashed);
        }
        next
    }

    /// Whether an unstashed message waits to be handled.
    #[inline]
    pub(crate) fn has_unstashed(&self) -> bool {
        !self.unstashed.is_empty()
    }

    /// The first item, stashed or unstashed, that `matches`.
    pub(crate) fn find_mut(&mut self, matches: impl Fn(&T) -> bool) -> Option<&mut T> {
        self.stashed
            .iter_mut()
            .chain(self.unstashed.iter_mut())
            .find(|item| matches(item))
    }

    /// Keeps `item` for later, unless the stash already holds `capacity` messages
    /// (stashed or unstashed and not handled yet): then it is handed back.
    pub(crate) fn push(&mut self, item: T, capacity: usize) -> Result<(), T> {
        if self.held() >= capacity {
            return Err(item);
        }
        self.stashed.push_back(item);
        Ok(())
    }

    /// Gives every stashed message back, oldest first, before the rest of the mailbox.
    pub(crate) fn unstash_all(&mut self) {
        if self.stashed.is_empty() {
            return;
        }
        if self.unstashed.is_empty() {
            std::mem::swap(&mut self.stashed, &mut self.unstashed);
            self.placed = self.unstashed.len();
            return;
        }
        let rest = self.unstashed.split_off(self.placed);
        self.unstashed.append(&mut self.stashed);
        self.placed = self.unstashed.len();
        self.unstashed.extend(rest);
        shrink_if_idle(&mut self.stashed);
    }

    /// Gives the oldest stashed message back, before the rest of the mailbox; `false` if
    /// nothing is stashed.
    pub(crate) fn unstash_one(&mut self) -> bool {
        let Some(item) = self.stashed.pop_front() else {
            return false;
        };
        self.unstashed.insert(self.placed, item);
        self.placed += 1;
        if self.stashed.is_empty() {
            shrink_if_idle(&mut self.stashed);
        }
        true
    }

    /// Messages stashed and not unstashed yet.
    pub(crate) fn len(&self) -> usize {
        self.stashed.len()
    }

    /// Messages the stash holds against its capacity: stashed, and unstashed but not
    /// handled yet (those are still the actor's to hold, not the mailbox's).
    pub(crate) fn held(&self) -> usize {
        self.stashed.len() + self.unstashed.len()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = Some(capacity);
    }

    /// Takes every message out, in the order they would have been handled: the actor
    /// stops for good, and they become dead letters.
    pub(crate) fn take_all(&mut self) -> VecDeque<T> {
        self.unstash_all();
        self.placed = 0;
        std::mem::take(&mut self.unstashed)
    }
}

fn shrink_if_idle<T>(queue: &mut VecDeque<T>) {
    if queue.capacity() > IDLE_SLOTS {
        *queue = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stash_of(messages: &[u32]) -> StashBuffer<u32> {
        let mut stash = StashBuffer::default();
        for &msg in messages {
            stash.push(msg, usize::MAX).unwrap();
        }
        stash
    }

    /// Takes what the actor would handle next, in order, as the runner does: one message
    /// per wait.
    fn replay(stash: &mut StashBuffer<u32>) -> Vec<u32> {
        std::iter::from_fn(|| stash.next_unstashed()).collect()
    }

    #[test]
    fn nothing_comes_back_before_an_unstash() {
        let mut stash = stash_of(&[1, 2]);
        assert!(stash.next_unstashed().is_none());
        assert_eq!((stash.len(), stash.held()), (2, 2));
    }

    #[test]
    fn unstash_all_gives_back_in_stash_order() {
        let mut stash = stash_of(&[1, 2, 3]);
        stash.unstash_all();
        assert_eq!(stash.len(), 0);
        assert_eq!(stash.held(), 3);
        assert_eq!(replay(&mut stash), [1, 2, 3]);
        assert_eq!(stash.held(), 0);
    }

    #[test]
    fn restashed_during_replay_comes_before_the_rest_of_the_replay() {
        let mut stash = stash_of(&[1, 2, 3]);
        stash.unstash_all();
        // The actor takes 1 and stashes it again, then unstashes: 1 came before 2 and 3.
        let first = stash.next_unstashed().unwrap();
        stash.push(first, usize::MAX).unwrap();
        stash.unstash_all();
        assert_eq!(replay(&mut stash), [1, 2, 3]);
    }

    #[test]
    fn unstashes_in_one_handler_keep_their_order() {
        let mut stash = stash_of(&[1, 2, 3, 4]);
        assert!(stash.unstash_one());
        assert!(stash.unstash_one());
        stash.unstash_all();
        assert!(!stash.unstash_one());
        assert_eq!(replay(&mut stash), [1, 2, 3, 4]);
    }

    #[test]
    fn unstash_one_between_messages_goes_in_front_of_the_replay() {
        let mut stash = stash_of(&[1, 2, 3]);
        stash.unstash_all();
        // The actor takes 1, stashes 1 again, and later unstashes only it.
        let first = stash.next_unstashed().unwrap();
        stash.push(first, usize::MAX).unwrap();
        assert!(stash.unstash_one());
        assert_eq!(replay(&mut stash), [1, 2, 3]);
    }

    #[test]
    fn capacity_counts_what_is_unstashed_but_not_handled() {
        let mut stash = stash_of(&[1, 2]);
        stash.unstash_all();
        let refused = stash.push(3, 2).unwrap_err();
        assert_eq!(refused, 3);
        let first = stash.next_unstashed().unwrap();
        stash.push(first, 2).unwrap();
        assert_eq!(stash.held(), 2);
    }

    #[test]
    fn a_restart_puts_the_stash_in_front_of_the_replay() {
        // What `Stash::restarting` does.
        let mut stash = stash_of(&[1, 2, 3]);
        stash.unstash_all();
        let first = stash.next_unstashed().unwrap();
        stash.push(first, usize::MAX).unwrap();
        stash.unstash_all();
        assert_eq!(replay(&mut stash), [1, 2, 3]);
    }

    #[test]
    fn take_all_is_in_handling_order_and_empties_the_stash() {
        let mut stash = stash_of(&[1, 2, 3]);
        stash.unstash_all();
        let first = stash.next_unstashed().unwrap();
        stash.push(first, usize::MAX).unwrap();
        stash.push(4, usize::MAX).unwrap();
        let all: Vec<u32> = stash.take_all().into();
        assert_eq!(all, [1, 4, 2, 3]);
        assert_eq!(stash.held(), 0);
    }

    #[test]
    fn an_emptied_burst_gives_its_memory_back() {
        let mut stash = stash_of(&(0..100).collect::<Vec<_>>());
        stash.unstash_all();
        assert_eq!(replay(&mut stash).len(), 100);
        assert!(stash.unstashed.capacity() <= IDLE_SLOTS);
        assert!(stash.stashed.capacity() <= IDLE_SLOTS);
    }
}
