// `supervisor` names a function that returns the strategy; it is not an expression.
use actor_core::prelude::*;

#[actor(supervisor = SupervisorStrategy::one_for_one().max_restarts(3))]
pub struct Bank;

#[actor]
impl Bank {}

fn main() {}
