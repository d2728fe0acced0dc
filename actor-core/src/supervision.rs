//! Supervision: what a parent does when a child fails.
//!
//! The vocabulary is Akka's and OTP's: a parent's [`SupervisorStrategy`] maps each failure
//! of a child to a [`Directive`] (`Resume`, `Restart`, `Stop`, `Escalate`), applies it to
//! the failed child alone (one-for-one), to all children (all-for-one) or to the failed
//! child and those spawned after it (rest-for-one), and bounds restarts by an intensity (at
//! most N within T) with optional exponential back-off.
//!
//! The decision logic inside is pure (no tasks, no channels): it takes the time and the
//! failure and returns the commands for the children, so it is tested directly against a
//! model.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::any::Any;

use tokio::time::Instant;

use crate::actor_ref::ActorId;
use crate::error::{Failure, FailureKind};
use crate::lifecycle::ActorLink;

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

    fn with_kind(kind: StrategyKind) -> Self {
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

/// Why a child reports to its parent.
#[derive(Debug, Clone)]
pub(crate) enum ChildExit {
    /// It failed; the parent decides.
    Failed(Failure),
    /// It stopped itself (`ctx.stop()`); a permanent child is restarted.
    StoppedItself,
}

/// What the supervisor sends to one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChildCommand {
    Resume,
    /// Restart after `delay`; `cause` is the failure that led to it (the failed child's,
    /// also for the siblings restarted with it), for the restart hooks.
    Restart {
        delay: Duration,
        cause: Failure,
    },
    Stop,
}

/// What to do about one child's exit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    /// Commands in the order to send them (spawn order for restarts).
    pub(crate) commands: Vec<(ActorId, ChildCommand)>,
    /// Fail the supervisor itself with this failure.
    pub(crate) escalate: Option<Failure>,
    /// The directive the strategy chose, for observers.
    pub(crate) directive: Option<Directive>,
}

/// A supervised child, as its parent knows it.
pub(crate) struct ChildEntry {
    pub(crate) id: ActorId,
    pub(crate) policy: RestartPolicy,
    /// Its lane (for commands), status (to wait for its end), and path.
    pub(crate) link: ActorLink,
    /// A strong ref for children of actors, which live as long as their parent wants them;
    /// `None` under the guardian, whose children live while someone holds a ref.
    #[allow(dead_code, reason = "held for its `Drop`: it keeps the child alive")]
    pub(crate) keep_alive: Option<Box<dyn Any + Send + Sync>>,
}

/// A supervisor's children in spawn order, with removal by id in `O(log n)`: the guardian
/// may hold many thousands of top-level actors, and each one that stops removes itself.
///
/// Keyed by id, because id order is spawn order: ids are handed out in increasing order
/// when a spawn begins, and an actor spawns its children from its own task, one at a
/// time. (Top-level actors spawned at once from several threads are ordered by when
/// their spawns began.)
#[derive(Default)]
pub(crate) struct Children {
    by_id: BTreeMap<ActorId, ChildEntry>,
}

impl Children {
    pub(crate) fn push(&mut self, entry: ChildEntry) {
        self.by_id.insert(entry.id, entry);
    }

    pub(crate) fn remove(&mut self, id: ActorId) -> Option<ChildEntry> {
        self.by_id.remove(&id)
    }

    pub(crate) fn get(&self, id: ActorId) -> Option<&ChildEntry> {
        self.by_id.get(&id)
    }

    /// In spawn order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ChildEntry> {
        self.by_id.values()
    }

    /// `id` and the children spawned after it, in spawn order; nothing if `id` is not a
    /// child.
    pub(crate) fn from(&self, id: ActorId) -> impl Iterator<Item = &ChildEntry> {
        let known = self.by_id.contains_key(&id);
        self.by_id
            .range(id..)
            .take_while(move |_| known)
            .map(|(_, entry)| entry)
    }

    /// Removes and returns every child, in spawn order.
    pub(crate) fn take_all(&mut self) -> Vec<ChildEntry> {
        std::mem::take(&mut self.by_id).into_values().collect()
    }
}

/// A parent's supervision state: its strategy, its children in spawn order, and the
/// restarts counted against the intensity.
pub(crate) struct Supervisor {
    pub(crate) strategy: SupervisorStrategy,
    pub(crate) children: Children,
    restarts: VecDeque<Instant>,
    random: XorShift,
}

impl Supervisor {
    pub(crate) fn new(strategy: SupervisorStrategy, seed: u64) -> Self {
        Supervisor {
            strategy,
            children: Children::default(),
            restarts: VecDeque::new(),
            random: XorShift::new(seed),
        }
    }

    pub(crate) fn forget_restarts(&mut self) {
        self.restarts.clear();
    }

    /// Decides what to do about `child`'s exit at `now`, calling the decider: the pure
    /// whole of a decision, for the model tests. The runtime calls the decider itself,
    /// outside any lock, and then [`plan`](Self::plan).
    #[cfg(test)]
    pub(crate) fn decide(&mut self, now: Instant, child: ActorId, exit: ChildExit) -> Plan {
        let Some(entry) = self.children.get(child) else {
            return Plan::default();
        };
        let directive = match &exit {
            ChildExit::Failed(failure) => self.strategy.decide(&ChildFailure {
                child,
                name: entry.link.name().map(Arc::from),
                failure: failure.clone(),
            }),
            ChildExit::StoppedItself => Directive::Stop,
        };
        self.plan(now, child, directive, exit)
    }

    /// What `directive` (the decider's, for a failure; ignored for a self-stop, which the
    /// restart policy decides) means for `child` and its siblings at `now`, after the
    /// restart intensity and the restart policies.
    pub(crate) fn plan(
        &mut self,
        now: Instant,
        child: ActorId,
        directive: Directive,
        exit: ChildExit,
    ) -> Plan {
        let Some(entry) = self.children.get(child) else {
            // Already taken out: its supervisor is stopping it, and its stop is on the way.
            return Plan::default();
        };
        let (directive, failure) = match exit {
            ChildExit::Failed(failure) => (directive, Some(failure)),
            ChildExit::StoppedItself if entry.policy == RestartPolicy::Permanent => {
                (Directive::Restart, None)
            }
            ChildExit::StoppedItself => (Directive::Stop, None),
        };
        let stop_only = |directive| Plan {
            commands: vec![(child, ChildCommand::Stop)],
            escalate: None,
            directive: Some(directive),
        };
        match directive {
            Directive::Resume => Plan {
                commands: vec![(child, ChildCommand::Resume)],
                escalate: None,
                directive: Some(directive),
            },
            Directive::Stop => stop_only(directive),
            // The child stays suspended: its supervisor's own fate decides it (Akka). A
            // self-stop has nothing to escalate and stops.
            Directive::Escalate => match failure {
                Some(failure) => Plan {
                    commands: Vec::new(),
                    escalate: Some(failure),
                    directive: Some(directive),
                },
                None => stop_only(Directive::Stop),
            },
            Directive::Restart if entry.policy == RestartPolicy::Temporary => {
                stop_only(Directive::Stop)
            }
            Directive::Restart => {
                while self
                    .restarts
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= self.strategy.within)
                {
                    self.restarts.pop_front();
                }
                let count = u32::try_from(self.restarts.len()).unwrap_or(u32::MAX);
                if count >= self.strategy.max_restarts {
                    // Intensity exceeded: OTP gives up on the child and fails upwards.
                    let failure = failure.unwrap_or_else(|| Failure::intensity_exceeded(child));
                    return Plan {
                        escalate: Some(failure),
                        ..stop_only(Directive::Escalate)
                    };
                }
                self.restarts.push_back(now);
                let cause = failure.unwrap_or_else(Failure::stopped_itself);
                let delay = match self.strategy.backoff {
                    Some(backoff) => backoff.delay(count + 1, self.random.next_unit()),
                    None => Duration::ZERO,
                };
                let targets: Vec<&ChildEntry> = match self.strategy.kind {
                    StrategyKind::OneForOne => vec![entry],
                    StrategyKind::AllForOne => self.children.iter().collect(),
                    StrategyKind::RestForOne => self.children.from(child).collect(),
                };
                let commands = targets
                    .into_iter()
                    .map(|sibling| {
                        // A temporary sibling is stopped, not restarted (OTP).
                        let command =
                            if sibling.policy == RestartPolicy::Temporary && sibling.id != child {
                                ChildCommand::Stop
                            } else {
                                ChildCommand::Restart {
                                    delay,
                                    cause: cause.clone(),
                                }
                            };
                        (sibling.id, command)
                    })
                    .collect();
                Plan {
                    commands,
                    escalate: None,
                    directive: Some(Directive::Restart),
                }
            }
        }
    }
}

/// A tiny PRNG for jitter: no dependency, and deterministic per seed so tests can
/// reproduce a run.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        // 53 random bits, as an f64 in 0.0..1.0.
        #[allow(clippy::cast_precision_loss)]
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

#[cfg(test)]
mod tests {
    //! The strategies against a small model: random failure sequences in, the expected
    //! directives, restart counts and escalations out.

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Event {
        /// The child fails with a message the test decider maps to a directive.
        Fail(Directive),
        /// The child stops itself.
        StopItself,
    }

    fn directive() -> impl Strategy<Value = Directive> {
        prop_oneof![
            Just(Directive::Resume),
            Just(Directive::Restart),
            Just(Directive::Restart),
            Just(Directive::Stop),
            Just(Directive::Escalate),
        ]
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![4 => directive().prop_map(Event::Fail), 1 => Just(Event::StopItself)]
    }

    fn policy() -> impl Strategy<Value = RestartPolicy> {
        prop_oneof![
            Just(RestartPolicy::Permanent),
            Just(RestartPolicy::Transient),
            Just(RestartPolicy::Temporary)
        ]
    }

    fn kind() -> impl Strategy<Value = StrategyKind> {
        prop_oneof![
            Just(StrategyKind::OneForOne),
            Just(StrategyKind::AllForOne),
            Just(StrategyKind::RestForOne)
        ]
    }

    /// The test decider: the failure's message names the directive.
    fn failure_for(directive: Directive) -> Failure {
        Failure::error(format!("{directive:?}"))
    }

    fn decide_by_message(failure: &ChildFailure) -> Directive {
        match failure.failure.message() {
            "Resume" => Directive::Resume,
            "Stop" => Directive::Stop,
            "Escalate" => Directive::Escalate,
            _ => Directive::Restart,
        }
    }

    /// No task waits on these children: the model only reads their entries.
    struct Unwoken;

    impl crate::lifecycle::ActorWaker for Unwoken {
        fn register(&self, _: &std::task::Waker) {}
        fn wake(&self) {}
    }

    fn children(policies: &[RestartPolicy]) -> Vec<ChildEntry> {
        policies
            .iter()
            .map(|policy| {
                let (link, _) =
                    crate::lifecycle::actor_link(Arc::from("/user/$test"), Arc::new(Unwoken));
                ChildEntry {
                    id: ActorId::next(),
                    policy: *policy,
                    link,
                    keep_alive: None,
                }
            })
            .collect()
    }

    /// The model: the same rules, stated as plainly as possible, with the full restart
    /// history instead of a pruned window.
    struct Model {
        kind: StrategyKind,
        max: u32,
        within: Duration,
        history: Vec<Instant>,
    }

    impl Model {
        /// The expected commands (by child index) and whether it escalates.
        fn expect(
            &mut self,
            now: Instant,
            index: usize,
            event: Event,
            policies: &[RestartPolicy],
        ) -> (Vec<(usize, &'static str)>, bool) {
            let policy = policies[index];
            let mut directive = match event {
                Event::Fail(directive) => directive,
                Event::StopItself if policy == RestartPolicy::Permanent => Directive::Restart,
                Event::StopItself => Directive::Stop,
            };
            if directive == Directive::Restart && policy == RestartPolicy::Temporary {
                directive = Directive::Stop;
            }
            match directive {
                Directive::Resume => (vec![(index, "resume")], false),
                Directive::Stop => (vec![(index, "stop")], false),
                // The child stays suspended; only a failure can be escalated.
                Directive::Escalate => (vec![], true),
                Directive::Restart => {
                    let recent = self
                        .history
                        .iter()
                        .filter(|at| now.duration_since(**at) < self.within)
                        .count();
                    if recent >= self.max as usize {
                        return (vec![(index, "stop")], true);
                    }
                    self.history.push(now);
                    let targets: Vec<usize> = match self.kind {
                        StrategyKind::OneForOne => vec![index],
                        StrategyKind::AllForOne => (0..policies.len()).collect(),
                        StrategyKind::RestForOne => (index..policies.len()).collect(),
                    };
                    let commands = targets
                        .into_iter()
                        .map(|target| {
                            let stop =
                                target != index && policies[target] == RestartPolicy::Temporary;
                            (target, if stop { "stop" } else { "restart" })
                        })
                        .collect();
                    (commands, false)
                }
            }
        }
    }

    fn command_name(command: &ChildCommand) -> &'static str {
        match command {
            ChildCommand::Resume => "resume",
            ChildCommand::Restart { .. } => "restart",
            ChildCommand::Stop => "stop",
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn strategies_follow_the_model(
            kind in kind(),
            policies in proptest::collection::vec(policy(), 1..6),
            max in 0u32..5,
            within_ms in 100u64..5_000,
            events in proptest::collection::vec((0u64..3_000, any::<prop::sample::Index>(), event()), 1..40),
        ) {
            let within = Duration::from_millis(within_ms);
            let strategy = SupervisorStrategy::with_kind(kind)
                .max_restarts(max)
                .within(within)
                .decider(decide_by_message);
            let mut supervisor = Supervisor::new(strategy, 7);
            for entry in children(&policies) {
                supervisor.children.push(entry);
            }
            let ids: Vec<ActorId> = supervisor.children.iter().map(|c| c.id).collect();
            let mut model = Model { kind, max, within, history: Vec::new() };
            let start = Instant::now();
            let mut now = start;
            let mut restarts_at: Vec<Instant> = Vec::new();
            for (advance, index, event) in events {
                now += Duration::from_millis(advance);
                let index = index.index(policies.len());
                let exit = match event {
                    Event::Fail(directive) => ChildExit::Failed(failure_for(directive)),
                    Event::StopItself => ChildExit::StoppedItself,
                };
                let plan = supervisor.decide(now, ids[index], exit);
                let (expected, escalates) = model.expect(now, index, event, &policies);
                let actual: Vec<(usize, &'static str)> = plan
                    .commands
                    .iter()
                    .map(|(id, command)| (ids.iter().position(|x| x == id).unwrap(), command_name(command)))
                    .collect();
                prop_assert_eq!(&actual, &expected, "commands for {:?} of child {}", event, index);
                prop_assert_eq!(plan.escalate.is_some(), escalates, "escalation for {:?}", event);
                if plan.directive == Some(Directive::Restart) {
                    restarts_at.push(now);
                }
            }
            // The intensity holds in every window: never more than `max` restarts within it.
            for (i, first) in restarts_at.iter().enumerate() {
                let in_window = restarts_at[i..].iter().filter(|at| at.duration_since(*first) < within).count();
                prop_assert!(in_window <= max as usize, "{} restarts within {:?}", in_window, within);
            }
        }

        #[test]
        fn backoff_doubles_up_to_its_maximum(min_ms in 1u64..500, max_ms in 1u64..5_000, attempt in 1u32..40, jitter in 0.0f64..1.0, random in 0.0f64..1.0) {
            let min = Duration::from_millis(min_ms);
            let max = Duration::from_millis(max_ms).max(min);
            let plain = Backoff::exponential(min, max);
            let expected = min.saturating_mul(1u32 << (attempt - 1).min(31)).min(max);
            prop_assert_eq!(plain.delay(attempt, random), expected);
            let jittered = Backoff::exponential(min, max).jitter(jitter).delay(attempt, random);
            prop_assert!(jittered >= expected);
            prop_assert!(jittered <= expected + expected.mul_f64(jitter) + Duration::from_nanos(1));
        }
    }

    #[test]
    fn a_restart_waits_longer_each_time_within_the_window() {
        let strategy = SupervisorStrategy::one_for_one()
            .max_restarts(10)
            .within(Duration::from_secs(60))
            .backoff(Backoff::exponential(
                Duration::from_millis(100),
                Duration::from_millis(350),
            ));
        let mut supervisor = Supervisor::new(strategy, 1);
        for entry in children(&[RestartPolicy::Transient]) {
            supervisor.children.push(entry);
        }
        let child = supervisor.children.iter().next().unwrap().id;
        let now = Instant::now();
        let delays: Vec<Duration> = (0..4)
            .map(|_| {
                let plan = supervisor.decide(
                    now,
                    child,
                    ChildExit::Failed(failure_for(Directive::Restart)),
                );
                match plan.commands[..] {
                    [(_, ChildCommand::Restart { delay, .. })] => delay,
                    ref other => panic!("expected one restart, got {other:?}"),
                }
            })
            .collect();
        let ms = |ms| Duration::from_millis(ms);
        assert_eq!(delays, [ms(100), ms(200), ms(350), ms(350)]);
    }

    #[test]
    fn the_default_decider_stops_an_actor_whose_factory_panicked() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("no config");
        let failure = Failure::from_panic(FailureKind::FactoryPanic, &*payload);
        let seen = ChildFailure {
            child: ActorId::next(),
            name: None,
            failure,
        };
        assert_eq!(SupervisorStrategy::default().decide(&seen), Directive::Stop);
        let seen = ChildFailure {
            failure: failure_for(Directive::Resume),
            ..seen
        };
        assert_eq!(
            SupervisorStrategy::default().decide(&seen),
            Directive::Restart
        );
    }
}
