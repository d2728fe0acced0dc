//! [`Clock`]: where a system arms its timers (restart back-offs, the shutdown timeout,
//! the sweeper of ask deadlines), whatever runtime the code that waits on them runs in; and
//! [`Deadlines`](deadlines::Deadlines), the one timer of a system's asks.

pub(crate) mod deadlines;

use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::runtime::{self, Handle};
use tokio::task::{self, JoinHandle};
use tokio::time::{Instant, Sleep};

/// Where a system arms its timers: those of its asks, restart back-offs and shutdown.
///
/// Not simply the runtime current where an ask is awaited: that may be none (a plain
/// thread blocking on the ask), or one built without `enable_time`, and tokio panics in
/// both cases. The system's own runtime is known to the system, and checked once.
#[derive(Debug, Clone)]
pub(crate) enum Clock {
    /// The system's runtime, which has a time driver.
    Runtime(Handle),
    /// The system's runtime has no time driver: a runtime of this crate's, with only a
    /// timer, on a thread of its own, started when first needed.
    Fallback,
}

impl Clock {
    /// Checks whether `runtime` has a time driver. tokio offers no way to ask, only to
    /// try, and a try that fails panics: that panic is caught, and the panic hook prints
    /// tokio's message ("timers are disabled") once, when the system learns its runtime.
    pub(crate) fn for_runtime(runtime: &Handle) -> Clock {
        let _entered = runtime.enter();
        let probe = std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO)));
        match probe {
            Ok(()) => Clock::Runtime(runtime.clone()),
            Err(_) => Clock::Fallback,
        }
    }

    /// A sleep of `timeout` from now, on this clock. A paused runtime's clock is the paused
    /// one: `now` is read inside the runtime, where the sleep is made.
    pub(crate) fn sleep(&self, timeout: Duration) -> Sleep {
        let runtime = match self {
            Clock::Runtime(runtime) => runtime,
            Clock::Fallback => fallback_runtime(),
        };
        let _entered = runtime.enter();
        tokio::time::sleep_until(deadline_after(Instant::now(), timeout))
    }

    /// Now, on this clock: the system's runtime's (its paused clock, if it is paused),
    /// whatever runtime the caller is in, so that a deadline made here and the sweeper
    /// that enforces it on this clock agree.
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::Runtime(runtime) if runs_on(runtime) => Instant::now(),
            Clock::Runtime(runtime) => {
                let _entered = runtime.enter();
                Instant::now()
            }
            // The timer runtime is never paused; the caller's runtime may be.
            Clock::Fallback => Instant::from_std(std::time::Instant::now()),
        }
    }

    /// Spawns `task` on this clock's runtime (the system's, or the timer runtime that
    /// stands in for it): work that waits on the system's time from anywhere, also from a
    /// thread outside any runtime, such as [`ActorRef::send_after`](crate::ActorRef::send_after).
    pub(crate) fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Clock::Runtime(runtime) => runtime.spawn(task),
            Clock::Fallback => fallback_runtime().spawn(task),
        }
    }
}

/// Whether the caller is a task of `runtime`, whose clock `Instant::now` then reads
/// without entering it: entering clones the runtime's handle and swaps the thread's
/// context, about 140 instructions, on every ask. The answer is kept per thread for the
/// last task asked about (task ids are never reused, and a task does not change runtime),
/// so a task that asks again and again checks once.
///
/// The one way a task is inside another runtime is `block_in_place` around another
/// runtime's `block_on`: an ask made there, by a task that asked before, reads that
/// runtime's clock. The two clocks differ only if one of them is paused (tokio's
/// `test-util`), and then its deadline is off by how far they differ.
fn runs_on(runtime: &Handle) -> bool {
    thread_local! {
        static CHECKED: Cell<Option<(task::Id, runtime::Id)>> = const { Cell::new(None) };
    }
    let Some(task) = task::try_id() else {
        // Not in a task (a `block_on` of its own, a plain thread): entered.
        return false;
    };
    let checked = Some((task, runtime.id()));
    CHECKED
        .try_with(|cell| {
            if cell.get() == checked {
                return true;
            }
            let on = Handle::try_current().is_ok_and(|current| current.id() == runtime.id());
            if on {
                cell.set(checked);
            }
            on
        })
        .unwrap_or(false)
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
fn fallback_runtime() -> &'static Handle {
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
