//! Timers owned by an actor (Akka's `Timers`): keyed single and periodic timers, cancelled
//! on stop and on restart, whose messages are never delivered once cancelled or replaced;
//! the receive timeout; `send_after` on any ref.
//!
//! An actor's timers do not deliver through its mailbox. Their deadlines sit in one table
//! per actor with one boxed tokio `Sleep` armed for the earliest; the actor's own task polls
//! them ([`Timers::poll_due`]) each time it waits for its next message, before its mailbox.
//! A timer's message is built only when it is taken, so a cancelled or replaced timer has
//! nothing queued anywhere: cancelling is synchronous and exact, and no tokio task exists
//! per timer. The public methods are on `Context` (its "Timers" block), and `send_after`
//! is in [`send_after`].

pub(crate) mod key;
pub(crate) mod send_after;

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::actor::Actor;
use crate::clock::{deadline_after, Clock};
use crate::error::{Failure, FailureKind};
use crate::mailbox::envelope::Envelope;
use crate::timers::key::{ErasedKey, TimerKey};

/// The shortest period of a periodic timer or a receive timeout: the timer's resolution.
/// A zero period would make an actor spin on its own messages.
pub(crate) const MIN_PERIOD: Duration = Duration::from_millis(1);

/// What builds a periodic timer's (or the receive timeout's) message, each time it fires.
pub(crate) type MessageFn<A> = Box<dyn FnMut() -> <A as Actor>::Msg + Send>;

/// How a periodic timer counts its next deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    /// From the end of handling of the previous tick.
    FixedDelay(Duration),
    /// From the previous deadline: no drift; ticks missed while the actor was busy are
    /// skipped, not burst.
    FixedRate(Duration),
}

/// What a timer delivers when it fires.
pub(crate) enum TimerKind<A: Actor> {
    /// Once, this message.
    Single(Exclusive<A::Msg>),
    /// Every period, what the closure builds.
    Periodic(Period, Exclusive<MessageFn<A>>),
}

/// A value only ever reached through `&mut`: the context stays `Sync` (a `&Context` may be
/// held across an await) whatever the message or closure is. std's `Exclusive` is unstable;
/// a `Mutex` that is never locked does the same without `unsafe`: [`Mutex::get_mut`] takes
/// no lock, so nothing here ever blocks or is poisoned.
pub(crate) struct Exclusive<T>(Mutex<T>);

impl<T> Exclusive<T> {
    pub(crate) fn new(value: T) -> Self {
        Exclusive(Mutex::new(value))
    }

    fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Timer<A: Actor> {
    /// Unique per start: a reschedule of a timer that was replaced since finds another one.
    generation: u64,
    /// `None` while a fixed-delay tick is being handled: its next deadline counts from the
    /// end of that.
    deadline: Option<Instant>,
    kind: TimerKind<A>,
}

struct ReceiveTimeout<A: Actor> {
    after: Duration,
    /// `None` while its own message is being handled.
    deadline: Option<Instant>,
    make: Exclusive<MessageFn<A>>,
}

/// The message `poll_due` handed out last, until it was handled (or, if it failed and the
/// actor resumed, until the next wait).
enum InFlight {
    /// A single or fixed-rate timer's message.
    Timer,
    /// A fixed-delay tick: the timer of that key and generation is rescheduled after it.
    FixedDelay(TimerKey, u64),
    /// The receive timeout's message: it is re-armed after it (it repeats, as in Akka).
    ReceiveTimeout,
}

/// An actor's timers. Lives in its context's toolbox, boxed on first use.
pub(crate) struct Timers<A: Actor> {
    timers: HashMap<TimerKey, Timer<A>>,
    /// The deadlines of the timers that are waiting, earliest first.
    due: BTreeMap<(Instant, u64), TimerKey>,
    next_generation: u64,
    receive_timeout: Option<ReceiveTimeout<A>>,
    /// Armed for the earliest deadline; created with the first timer, on the system's
    /// clock, and re-armed (never re-created) after that.
    sleep: Option<Pin<Box<Sleep>>>,
    /// The waker the sleep was last polled with while it waits: polled again with the
    /// same one, it would register nothing new.
    sleep_waker: Option<Waker>,
    in_flight: Option<InFlight>,
    /// Set after a timer's message was handed out: if another one is due at once, the
    /// mailbox gets its turn first, so that timers that are always due (a handler slower
    /// than its fixed rate) cannot starve it.
    mailbox_turn: bool,
}

impl<A: Actor> Default for Timers<A> {
    fn default() -> Self {
        Timers {
            timers: HashMap::new(),
            due: BTreeMap::new(),
            next_generation: 0,
            receive_timeout: None,
            sleep: None,
            sleep_waker: None,
            in_flight: None,
            mailbox_turn: false,
        }
    }
}

impl<A: Actor> Timers<A> {
    /// Starts the timer `key`, replacing (and dropping) one of that key if it is active:
    /// its message, pending or not, is never delivered. The first message is due after
    /// `delay`.
    pub(crate) fn start<K: Hash + Eq + Send + Sync + 'static>(
        &mut self,
        clock: &Clock,
        key: K,
        delay: Duration,
        kind: TimerKind<A>,
    ) {
        self.arm_clock(clock);
        let key = TimerKey::new(key);
        let deadline = deadline_after(Instant::now(), delay);
        let generation = self.next_generation;
        self.next_generation += 1;
        let old = self.timers.insert(
            key.clone(),
            Timer {
                generation,
                deadline: Some(deadline),
                kind,
            },
        );
        if let Some(Timer {
            generation,
            deadline: Some(deadline),
            ..
        }) = &old
        {
            self.due.remove(&(*deadline, *generation));
        }
        self.due.insert((deadline, generation), key);
        // The replaced timer's message or closure is the user's: dropped last, inside the
        // handler that replaced it (a panic in its `Drop` fails that handler).
        drop(old);
    }

    /// Cancels the timer `key`; whether it was active.
    pub(crate) fn cancel(&mut self, key: &dyn ErasedKey) -> bool {
        match self.timers.remove(key) {
            Some(timer) => {
                if let Some(deadline) = timer.deadline {
                    self.due.remove(&(deadline, timer.generation));
                }
                true
            }
            None => false,
        }
    }

    /// Whether the timer `key` is active: started, and not yet fired (a single timer) or
    /// cancelled.
    pub(crate) fn is_active(&self, key: &dyn ErasedKey) -> bool {
        self.timers.contains_key(key)
    }

    /// Cancels every keyed timer (not the receive timeout, as in Akka's `CancelAll`).
    pub(crate) fn cancel_timers(&mut self) {
        self.timers.clear();
        self.due.clear();
    }

    /// Sets the receive timeout: `make`'s message comes after `after` without messages.
    pub(crate) fn set_receive_timeout(
        &mut self,
        clock: &Clock,
        after: Duration,
        make: MessageFn<A>,
    ) {
        self.arm_clock(clock);
        let after = after.max(MIN_PERIOD);
        let old = self.receive_timeout.replace(ReceiveTimeout {
            after,
            deadline: Some(deadline_after(Instant::now(), after)),
            make: Exclusive::new(make),
        });
        drop(old);
    }

    /// Cancels the receive timeout; whether one was set.
    pub(crate) fn cancel_receive_timeout(&mut self) -> bool {
        self.receive_timeout.take().is_some()
    }

    /// The receive timeout's duration, if one is set.
    pub(crate) fn receive_timeout(&self) -> Option<Duration> {
        self.receive_timeout.as_ref().map(|timeout| timeout.after)
    }

    fn arm_clock(&mut self, clock: &Clock) {
        if self.sleep.is_none() {
            // Far away until the first poll re-arms it for the earliest deadline.
            self.sleep = Some(Box::pin(clock.sleep(Duration::MAX)));
        }
    }

    /// A message of a timer that is due now (or the receive timeout's), registering the
    /// actor's task to be woken at the next deadline otherwise. A panic in the closure
    /// that builds the message is the actor's failure; that timer is cancelled.
    pub(crate) fn poll_due(
        &mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Result<Envelope<A>, Failure>> {
        if self.sleep.is_none() {
            return Poll::Pending;
        }
        let mut now = None;
        if self.in_flight.is_some() {
            // The previous message of a timer did not end in `message_handled`: it failed
            // and the actor resumed. Its timer goes on from now.
            self.settle(*now.get_or_insert_with(Instant::now), false);
        }
        loop {
            let Some((deadline, is_receive_timeout)) = self.earliest() else {
                self.mailbox_turn = false;
                return Poll::Pending;
            };
            let Some(sleep) = self.sleep.as_mut() else {
                return Poll::Pending;
            };
            let armed = sleep.deadline();
            // The fast path, taken on most waits of an actor with timers: the sleep waits
            // for a deadline no later than the earliest, so nothing is due before it fires
            // (a receive timeout pushed back by each message, or a cancelled timer, leaves
            // it armed early; it is re-armed when it fires). No clock read, no re-arm, and
            // no poll if it already holds this task's waker.
            if armed <= deadline && !sleep.is_elapsed() {
                if self
                    .sleep_waker
                    .as_ref()
                    .is_some_and(|waker| waker.will_wake(cx.waker()))
                {
                    self.mailbox_turn = false;
                    return Poll::Pending;
                }
                if poll_sleep(sleep, cx).is_pending() {
                    self.sleep_waker = Some(cx.waker().clone());
                    self.mailbox_turn = false;
                    return Poll::Pending;
                }
            }
            let now = *now.get_or_insert_with(Instant::now);
            if deadline > now {
                if armed != deadline {
                    sleep.as_mut().reset(deadline);
                    self.sleep_waker = None;
                }
                if poll_sleep(sleep, cx).is_pending() {
                    self.sleep_waker = Some(cx.waker().clone());
                    self.mailbox_turn = false;
                    return Poll::Pending;
                }
            }
            if std::mem::take(&mut self.mailbox_turn) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let msg = if is_receive_timeout {
                self.fire_receive_timeout()
            } else {
                self.fire_first(now)
            };
            match msg {
                Some(Ok(msg)) => {
                    self.mailbox_turn = true;
                    return Poll::Ready(Ok(Envelope::tell(msg)));
                }
                Some(Err(failure)) => return Poll::Ready(Err(failure)),
                // A deadline without its timer: gone, look at the next one.
                None => {}
            }
        }
    }

    /// The earliest deadline, and whether it is the receive timeout's (a timer due at the
    /// same instant goes first).
    fn earliest(&self) -> Option<(Instant, bool)> {
        let timer = self
            .due
            .first_key_value()
            .map(|((deadline, _), _)| *deadline);
        let timeout = self
            .receive_timeout
            .as_ref()
            .and_then(|timeout| timeout.deadline);
        match (timer, timeout) {
            (Some(timer), Some(timeout)) if timeout < timer => Some((timeout, true)),
            (Some(timer), _) => Some((timer, false)),
            (None, Some(timeout)) => Some((timeout, true)),
            (None, None) => None,
        }
    }

    /// Takes the earliest timer's message and schedules its next tick, if it has one.
    fn fire_first(&mut self, now: Instant) -> Option<Result<A::Msg, Failure>> {
        let ((deadline, generation), key) = self.due.pop_first()?;
        let timer = self.timers.get_mut(&key)?;
        debug_assert_eq!(timer.generation, generation);
        let made = match &mut timer.kind {
            TimerKind::Single(_) => {
                let Some(Timer {
                    kind: TimerKind::Single(msg),
                    ..
                }) = self.timers.remove(&key)
                else {
                    return None;
                };
                self.in_flight = Some(InFlight::Timer);
                return Some(Ok(msg.into_inner()));
            }
            TimerKind::Periodic(Period::FixedDelay(_), make) => {
                timer.deadline = None;
                self.in_flight = Some(InFlight::FixedDelay(key.clone(), generation));
                make_message::<A>(make)
            }
            TimerKind::Periodic(Period::FixedRate(interval), make) => {
                let next = next_fixed_rate(deadline, *interval, now);
                timer.deadline = Some(next);
                self.due.insert((next, generation), key.clone());
                self.in_flight = Some(InFlight::Timer);
                make_message::<A>(make)
            }
        };
        if made.is_err() {
            // The closure may be broken halfway: the timer ends with the failure.
            self.in_flight = None;
            self.cancel(Borrow::<dyn ErasedKey>::borrow(&key));
        }
        Some(made)
    }

    fn fire_receive_timeout(&mut self) -> Option<Result<A::Msg, Failure>> {
        let timeout = self.receive_timeout.as_mut()?;
        timeout.deadline = None;
        let made = make_message::<A>(&mut timeout.make);
        if made.is_err() {
            self.receive_timeout = None;
        } else {
            self.in_flight = Some(InFlight::ReceiveTimeout);
        }
        Some(made)
    }

    /// The message handed out last has been dealt with (`handled`: a handler returned):
    /// a fixed-delay timer counts its delay from now, the receive timeout starts again.
    fn settle(&mut self, now: Instant, handled: bool) {
        match self.in_flight.take() {
            None => {
                if handled {
                    if let Some(timeout) = &mut self.receive_timeout {
                        timeout.deadline = Some(deadline_after(now, timeout.after));
                    }
                }
            }
            // A timer's message is the actor's own: it does not reset the receive timeout,
            // which measures silence from others.
            Some(InFlight::Timer) => {}
            Some(InFlight::FixedDelay(key, generation)) => {
                if let Some(timer) = self.timers.get_mut(&key) {
                    if let (TimerKind::Periodic(Period::FixedDelay(delay), _), None) =
                        (&timer.kind, timer.deadline)
                    {
                        if timer.generation == generation {
                            let next = deadline_after(now, *delay);
                            timer.deadline = Some(next);
                            self.due.insert((next, generation), key);
                        }
                    }
                }
            }
            Some(InFlight::ReceiveTimeout) => {
                if let Some(timeout) = &mut self.receive_timeout {
                    if timeout.deadline.is_none() {
                        timeout.deadline = Some(deadline_after(now, timeout.after));
                    }
                }
            }
        }
    }

    /// A message was handled: the receive timeout starts again (unless the message was a
    /// timer's), a fixed-delay timer whose tick it was counts its delay from now.
    #[inline]
    pub(crate) fn message_handled(&mut self) {
        if self.in_flight.is_some() || self.receive_timeout.is_some() {
            self.settle(Instant::now(), true);
        }
    }

    /// Cancels every timer and the receive timeout: the actor stops or restarts. Their
    /// messages and closures are the user's; a panic in one's `Drop` is caught here, as the
    /// runner calls this between user callbacks, and changes nothing: the actor is going
    /// anyway.
    pub(crate) fn cancel_all(&mut self) {
        let timers = std::mem::take(&mut self.timers);
        let timeout = self.receive_timeout.take();
        self.due.clear();
        self.in_flight = None;
        self.mailbox_turn = false;
        let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop((timers, timeout))));
    }
}

/// Timers started after the last `cancel_all` (from a `stopped` hook) are dropped with the
/// context, at the end of the actor's task: their `Drop` is the user's too, and is caught.
impl<A: Actor> Drop for Timers<A> {
    fn drop(&mut self) {
        if !self.timers.is_empty() || self.receive_timeout.is_some() {
            self.cancel_all();
        }
    }
}

/// Polls the sleep outside tokio's cooperative budget: a sleep that runs out of budget
/// returns `Pending` without registering its waker, which the fast path above would then
/// trust; and an actor's wait for its next message must not be made to yield by its timer.
fn poll_sleep(sleep: &mut Pin<Box<Sleep>>, cx: &mut TaskContext<'_>) -> Poll<()> {
    let mut unconstrained = tokio::task::unconstrained(sleep.as_mut());
    Pin::new(&mut unconstrained).poll(cx)
}

/// Builds a message with the user's closure; a panic in it becomes a failure.
fn make_message<A: Actor>(make: &mut Exclusive<MessageFn<A>>) -> Result<A::Msg, Failure> {
    let make = make.get_mut();
    std::panic::catch_unwind(AssertUnwindSafe(make))
        .map_err(|payload| Failure::from_panic(FailureKind::HandlerPanic, &*payload))
}

/// The deadline after `deadline` for a fixed rate of `interval`, at `now`: the next one on
/// the schedule `deadline + k * interval` that is still ahead. Ticks missed while the actor
/// was busy (or the process paused) are skipped, not delivered in a burst; the late tick
/// being delivered now is the one that stands for them.
fn next_fixed_rate(deadline: Instant, interval: Duration, now: Instant) -> Instant {
    let next = deadline_after(deadline, interval);
    if next > now {
        return next;
    }
    let behind = now.saturating_duration_since(deadline).as_nanos();
    let periods = behind / interval.as_nanos().max(1) + 1;
    u32::try_from(periods)
        .ok()
        .and_then(|periods| interval.checked_mul(periods))
        .and_then(|ahead| deadline.checked_add(ahead))
        .unwrap_or_else(|| deadline_after(now, interval))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use crate::timers::next_fixed_rate;

    #[test]
    fn fixed_rate_stays_on_its_schedule_and_skips_what_it_missed() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        // On time: the next slot.
        assert_eq!(next_fixed_rate(start, ms(100), start), start + ms(100));
        // A little late: still the next slot, no drift.
        assert_eq!(
            next_fixed_rate(start, ms(100), start + ms(30)),
            start + ms(100)
        );
        // 350 ms late: slots 100, 200, 300 were missed; the next is 400.
        assert_eq!(
            next_fixed_rate(start, ms(100), start + ms(350)),
            start + ms(400)
        );
        // Exactly on a slot: that slot is now, so the next is one after.
        assert_eq!(
            next_fixed_rate(start, ms(100), start + ms(200)),
            start + ms(300)
        );
    }
}
