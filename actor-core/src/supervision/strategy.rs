//! The public vocabulary of supervision: a [`SupervisorStrategy`] maps each failure of a
//! child to a [`Directive`], for one child, all of them, or the rest after it, within a
//! restart intensity and with an optional [`Backoff`]; a child's [`RestartPolicy`] says when
//! it is restarted at all.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Failure, FailureKind};
use crate::id::ActorId;

/// What a supervisor does about a failed child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Directive {
    /// Keep the child's state and go on with its next message; the failing message is
    /// dropped.
    Resume,
    /// Re-create the child from its props: same ref, same mailbox (queued messages are
    /// kept), fresh state. The failing message is dropped.
    Restart,
    /// Stop the child for good.
    Stop,
    /// Fail the supervisor itself with the child's failure, so that the supervisor's own
    /// parent decides. The child stays suspended meanwhile, and follows its supervisor's
    /// fate: resumed with it, stopped when it is restarted (its new instance spawns new
    /// children) or stopped (Akka).
    Escalate,
}

/// Which children a restart applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrategyKind {
    /// Only the failed child (Akka's `OneForOneStrategy`, OTP's `one_for_one`).
    OneForOne,
    /// Every child of the supervisor (Akka's `AllForOneStrategy`, OTP's `one_for_all`).
    AllForOne,
    /// The failed child and the siblings spawned after it, in spawn order (OTP's
    /// `rest_for_one`).
    RestForOne,
}

/// When a child is restarted (OTP's child restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RestartPolicy {
    /// Restarted after a failure, and also after it stops itself (`ctx.stop()`). A stop
    /// asked from outside (its ref, its parent, shutdown) is final.
    Permanent,
    /// Restarted only after a failure (the default, and what Akka does for every child).
    #[default]
    Transient,
    /// Never restarted: a `Restart` directive stops it instead.
    Temporary,
}

/// Exponential back-off between restarts: the n-th restart within the intensity window
/// waits `min * 2^(n-1)`, at most `max`, then a random extra of up to `jitter` times that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    jitter: f64,
}

impl Backoff {
    /// Back-off from `min` doubling up to `max`, with no jitter.
    pub fn exponential(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            jitter: 0.0,
        }
    }

    /// Adds up to `fraction` (0.0 to 1.0) of the delay at random, so that actors failing
    /// together do not all restart at the same instant.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The delay before restart number `attempt` (1 for the first), given a random number
    /// in `0.0..1.0` for the jitter.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let base = self.min.saturating_mul(1u32 << doublings).min(self.max);
        base + base.mul_f64(self.jitter * random.clamp(0.0, 1.0))
    }
}

/// A child's failure as the decider sees it.
#[derive(Debug, Clone)]
pub struct ChildFailure {
    /// The failed child.
    pub child: ActorId,
    /// Its name, if it has one.
    pub name: Option<Arc<str>>,
    /// What went wrong.
    pub failure: Failure,
}

type Decider = Arc<dyn Fn(&ChildFailure) -> Directive + Send + Sync>;

/// How a parent handles its children's failures.
///
/// ```
/// use actor_core::supervision::{Backoff, Directive, SupervisorStrategy};
/// use std::time::Duration;
///
/// let strategy = SupervisorStrategy::one_for_one()
///     .max_restarts(5)
///     .within(Duration::from_secs(10))
///     .backoff(Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1)).jitter(0.2))
///     .decider(|failure| {
///         if failure.failure.message().contains("corrupt") {
///             Directive::Stop
///         } else {
///             Directive::Restart
///         }
///     });
/// assert_eq!(strategy.max_restarts_within(), (5, Duration::from_secs(10)));
/// ```
#[derive(Clone)]
pub struct SupervisorStrategy {
    kind: StrategyKind,
    max_restarts: u32,
    within: Duration,
    backoff: Option<Backoff>,
    decider: Decider,
}

impl SupervisorStrategy {
    /// Restarts only the failed child.
    pub fn one_for_one() -> Self {
        Self::with_kind(StrategyKind::OneForOne)
    }

    /// Restarts every child when one fails.
    pub fn all_for_one() -> Self {
        Self::with_kind(StrategyKind::AllForOne)
    }

    /// Restarts the failed child and the siblings spawned after it.
    pub fn rest_for_one() -> Self {
        Self::with_kind(StrategyKind::RestForOne)
    }

    /// The guardian's default for top-level actors, as Akka's `/user` guardian: restart a
    /// failed actor ([`default_decider`]: any failure but a factory panic), one-for-one,
    /// within the default intensity of at most 3 restarts in 5 seconds, counted over all
    /// top-level actors together; past it, the failed actor is stopped, since the
    /// guardian has no one to escalate to. An actor spawned from a value cannot be
    /// re-created, so a restart stops it. (Before, this default stopped every failed
    /// top-level actor; `one_for_one().decider(|_| Directive::Stop)` still does.)
    pub fn guardian_default() -> Self {
        Self::one_for_one()
    }

    pub(crate) fn with_kind(kind: StrategyKind) -> Self {
        SupervisorStrategy {
            kind,
            max_restarts: 3,
            within: Duration::from_secs(5),
            backoff: None,
            decider: Arc::new(default_decider),
        }
    }

    /// At most `max` restarts within the window (default 3); one more failure that would
    /// restart stops the child and escalates instead (OTP's intensity).
    pub fn max_restarts(mut self, max: u32) -> Self {
        self.max_restarts = max;
        self
    }

    /// The window of the restart intensity (default 5 seconds).
    pub fn within(mut self, window: Duration) -> Self {
        self.within = window;
        self
    }

    /// Waits between restarts, growing exponentially within the intensity window.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Decides the directive for each failure. The default restarts after a panic in a
    /// handler or hook, and stops a child whose factory panicked (restarting would only
    /// panic again), as Akka does for `ActorInitializationException`.
    pub fn decider(
        mut self,
        decider: impl Fn(&ChildFailure) -> Directive + Send + Sync + 'static,
    ) -> Self {
        self.decider = Arc::new(decider);
        self
    }

    /// Which children a restart applies to.
    pub fn kind(&self) -> StrategyKind {
        self.kind
    }

    /// The restart intensity: at most this many restarts within this window.
    pub fn max_restarts_within(&self) -> (u32, Duration) {
        (self.max_restarts, self.within)
    }

    /// The back-off between restarts, if any.
    pub(crate) fn restart_backoff(&self) -> Option<Backoff> {
        self.backoff
    }

    /// The decision for one failure, before intensity and restart policy apply.
    pub fn decide(&self, failure: &ChildFailure) -> Directive {
        (self.decider)(failure)
    }
}

/// The default decider: restart, unless the actor cannot even be created, or it failed
/// because an actor it watched died and it has no `#[terminated]` hook (Akka's default
/// decider stops on `ActorInitializationException` and `DeathPactException` alike).
pub fn default_decider(failure: &ChildFailure) -> Directive {
    match failure.failure.kind() {
        FailureKind::FactoryPanic | FailureKind::DeathPact => Directive::Stop,
        _ => Directive::Restart,
    }
}

impl Default for SupervisorStrategy {
    /// One-for-one, at most 3 restarts in 5 seconds, no back-off, [`default_decider`].
    fn default() -> Self {
        Self::one_for_one()
    }
}

impl fmt::Debug for SupervisorStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorStrategy")
            .field("kind", &self.kind)
            .field("max_restarts", &self.max_restarts)
            .field("within", &self.within)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}
