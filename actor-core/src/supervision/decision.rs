//! The pure decision: what a supervisor does about one child's exit, given the directive
//! its decider chose, the time, the restarts counted so far and its children's restart
//! policies. No tasks, no channels, no locks: the supervisor ([`super::supervisor`]) runs
//! the decider, calls [`SupervisorState::plan`] under its lock and carries the plan out,
//! and the model tests below cover the decision whole.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Failure;
use crate::id::{ActorId, IdMap};
#[cfg(test)]
use crate::supervision::strategy::ChildFailure;
use crate::supervision::strategy::{Directive, RestartPolicy, StrategyKind, SupervisorStrategy};

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

impl Plan {
    /// Whether the plan restarts several siblings together: then every one of them is
    /// stopped, in reverse start order, before any is started again, in start order (OTP),
    /// instead of each carrying out its own command.
    pub(crate) fn restarts_together(&self) -> bool {
        self.commands.len() > 1
            && self
                .commands
                .iter()
                .any(|(_, command)| matches!(command, ChildCommand::Restart { .. }))
    }

    /// The command for `child` itself, if the plan has one.
    pub(crate) fn command_for(&self, child: ActorId) -> Option<&ChildCommand> {
        self.commands
            .iter()
            .find_map(|(id, command)| (*id == child).then_some(command))
    }
}

/// What the decision needs to know of a child: who it is and when it is restarted.
pub(crate) trait Child {
    fn id(&self) -> ActorId;
    fn policy(&self) -> RestartPolicy;
    /// The name it was spawned with, for the decider.
    fn name(&self) -> Option<&str>;
}

/// A supervisor's children, with insertion and removal by id in `O(1)`: the guardian may
/// hold many thousands of top-level actors, each spawn adds one and each one that stops
/// removes itself, while the whole line is read in spawn order only for the rare
/// decisions that need it (all-for-one, rest-for-one) and when the supervisor stops.
///
/// Spawn order is id order: ids are handed out in increasing order when a spawn begins,
/// and an actor spawns its children from its own task, one at a time. (Top-level actors
/// spawned at once from several threads are ordered by when their spawns began.)
pub(crate) struct Children<C> {
    by_id: IdMap<C>,
}

impl<C: Child> Children<C> {
    pub(crate) fn push(&mut self, child: C) {
        self.by_id.insert(child.id(), child);
    }

    /// Removes `id`, giving the room back as the map empties (as
    /// [`remove_shrinking`](crate::id::remove_shrinking) does), so that a guardian that
    /// once held 100,000 actors does not keep their room.
    pub(crate) fn remove(&mut self, id: ActorId) -> Option<C> {
        let removed = self.by_id.remove(&id)?;
        let capacity = self.by_id.capacity();
        if capacity > 1024 && self.by_id.len() * 4 < capacity {
            self.by_id.shrink_to(self.by_id.len() * 2);
        }
        Some(removed)
    }

    pub(crate) fn get(&self, id: ActorId) -> Option<&C> {
        self.by_id.get(&id)
    }

    /// In spawn order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &C> {
        let mut children: Vec<&C> = self.by_id.values().collect();
        children.sort_unstable_by_key(|child| child.id());
        children.into_iter()
    }

    /// `id` and the children spawned after it, in spawn order; nothing if `id` is not a
    /// child.
    pub(crate) fn starting_at(&self, id: ActorId) -> impl Iterator<Item = &C> {
        let known = self.by_id.contains_key(&id);
        self.iter().filter(move |child| known && child.id() >= id)
    }

    /// Removes and returns every child, in spawn order.
    pub(crate) fn take_all(&mut self) -> Vec<C> {
        let mut children: Vec<C> = std::mem::take(&mut self.by_id).into_values().collect();
        children.sort_unstable_by_key(|child| child.id());
        children
    }
}

/// A supervisor's decision state: its strategy, its children in spawn order, and the
/// restarts counted against the intensity.
pub(crate) struct SupervisorState<C> {
    pub(crate) strategy: SupervisorStrategy,
    pub(crate) children: Children<C>,
    restarts: VecDeque<Instant>,
    random: XorShift,
}

impl<C: Child> SupervisorState<C> {
    pub(crate) fn new(strategy: SupervisorStrategy, seed: u64) -> Self {
        SupervisorState {
            strategy,
            children: Children {
                by_id: IdMap::default(),
            },
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
                name: entry.name().map(std::sync::Arc::from),
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
            ChildExit::StoppedItself if entry.policy() == RestartPolicy::Permanent => {
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
            Directive::Restart if entry.policy() == RestartPolicy::Temporary => {
                stop_only(Directive::Stop)
            }
            Directive::Restart => {
                let (max_restarts, within) = self.strategy.max_restarts_within();
                while self
                    .restarts
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= within)
                {
                    self.restarts.pop_front();
                }
                let count = u32::try_from(self.restarts.len()).unwrap_or(u32::MAX);
                if count >= max_restarts {
                    // Intensity exceeded: OTP gives up on the child and fails upwards.
                    let failure = failure.unwrap_or_else(|| Failure::intensity_exceeded(child));
                    return Plan {
                        escalate: Some(failure),
                        ..stop_only(Directive::Escalate)
                    };
                }
                self.restarts.push_back(now);
                let cause = failure.unwrap_or_else(Failure::stopped_itself);
                let delay = match self.strategy.restart_backoff() {
                    Some(backoff) => backoff.delay(count + 1, self.random.next_unit()),
                    None => Duration::ZERO,
                };
                let targets: Vec<&C> = match self.strategy.kind() {
                    StrategyKind::OneForOne => vec![entry],
                    StrategyKind::AllForOne => self.children.iter().collect(),
                    StrategyKind::RestForOne => self.children.starting_at(child).collect(),
                };
                let commands = targets
                    .into_iter()
                    .map(|sibling| {
                        // A temporary sibling is stopped, not restarted (OTP).
                        let command = if sibling.policy() == RestartPolicy::Temporary
                            && sibling.id() != child
                        {
                            ChildCommand::Stop
                        } else {
                            ChildCommand::Restart {
                                delay,
                                cause: cause.clone(),
                            }
                        };
                        (sibling.id(), command)
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
    use crate::error::FailureKind;
    use crate::supervision::strategy::Backoff;
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

    /// A child as the decision sees it: an id and a restart policy, nothing that runs.
    struct TestChild {
        id: ActorId,
        policy: RestartPolicy,
    }

    impl Child for TestChild {
        fn id(&self) -> ActorId {
            self.id
        }

        fn policy(&self) -> RestartPolicy {
            self.policy
        }

        fn name(&self) -> Option<&str> {
            None
        }
    }

    fn children(policies: &[RestartPolicy]) -> Vec<TestChild> {
        policies
            .iter()
            .map(|policy| TestChild {
                id: ActorId::next(),
                policy: *policy,
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
            let mut supervisor = SupervisorState::new(strategy, 7);
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
                // Several siblings with a restart among them go together; anything else is
                // carried out child by child, the failed one's command by itself.
                let restarts = expected.iter().filter(|(_, command)| *command == "restart").count();
                prop_assert_eq!(plan.restarts_together(), restarts >= 1 && expected.len() > 1);
                if !plan.restarts_together() {
                    prop_assert!(plan.commands.iter().all(|(id, _)| *id == ids[index]), "only the failed child is commanded");
                }
                let own = expected.iter().find(|(target, _)| *target == index).map(|(_, command)| *command);
                prop_assert_eq!(plan.command_for(ids[index]).map(command_name), own);
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
        let mut supervisor = SupervisorState::new(strategy, 1);
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
