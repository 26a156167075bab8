//! Sequencing rule evaluation: the Limit Conditions Check Process (UP.1), the Sequencing
//! Rules Check Process (UP.2) with its Rule Check Subprocess (UP.2.1), and the Check
//! Activity Process (UP.5). Conditions are three-valued (SN 3.4.2: unknown tracking
//! information makes a condition unknown, and only a true result fires a rule).

use super::definition::{Combination, Condition, ConditionKind, Rule, RuleAction};
use super::Sequencer;

/// Which of an activity's rule sets to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSet {
    Pre,
    Exit,
    Post,
}

/// `not` of a three-valued result.
pub(super) fn negate(v: Option<bool>, not: bool) -> Option<bool> {
    if not {
        v.map(|b| !b)
    } else {
        v
    }
}

/// Combines three-valued results with `all` (false wins, then unknown) or `any` (true
/// wins, then unknown).
pub(super) fn combine(values: impl Iterator<Item = Option<bool>>, combination: Combination) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match (combination, v) {
            (Combination::All, Some(false)) => return Some(false),
            (Combination::Any, Some(true)) => return Some(true),
            (_, None) => unknown = true,
            _ => {}
        }
    }
    if unknown {
        None
    } else {
        Some(combination == Combination::All)
    }
}

impl Sequencer<'_> {
    /// One condition against `a`'s tracking information; `objective` is the referenced
    /// objective's id (`None`: the primary objective).
    pub(super) fn evaluate(&self, a: usize, kind: ConditionKind, objective: Option<&str>, threshold: f64) -> Option<bool> {
        let o = self.objective_named(a, objective);
        let s = &self.state.activities[a];
        let referenced = objective.is_some() && o != Some(self.primary(a));
        match kind {
            ConditionKind::Satisfied => o.and_then(|o| self.satisfied(a, o)),
            ConditionKind::ObjectiveStatusKnown => Some(o.is_some_and(|o| self.satisfied(a, o).is_some())),
            ConditionKind::ObjectiveMeasureKnown => Some(o.is_some_and(|o| self.measure(a, o).is_some())),
            ConditionKind::ObjectiveMeasureGreaterThan => o.and_then(|o| self.measure(a, o)).map(|m| m > threshold),
            ConditionKind::ObjectiveMeasureLessThan => o.and_then(|o| self.measure(a, o)).map(|m| m < threshold),
            // 4th edition: a referenced objective carries its own completion status (read
            // from a global through adlseq:mapInfo); otherwise it is the attempt's.
            ConditionKind::Completed if referenced => o.and_then(|o| self.objective_completed(a, o)),
            ConditionKind::Completed => self.completed(a),
            ConditionKind::ActivityProgressKnown if referenced => Some(o.is_some_and(|o| self.objective_completed(a, o).is_some())),
            ConditionKind::ActivityProgressKnown => Some(s.progress_known && self.completed(a).is_some()),
            ConditionKind::Attempted => Some(s.progress_known && s.attempt_count > 0),
            ConditionKind::AttemptLimitExceeded => Some(self.limit_exceeded(a)),
            // Time limits and available time ranges are not tracked by this server (the
            // import report says so): they are never exceeded.
            ConditionKind::TimeLimitExceeded | ConditionKind::OutsideAvailableTimeRange => Some(false),
            ConditionKind::Always => Some(true),
        }
    }

    fn condition(&self, a: usize, c: &Condition) -> Option<bool> {
        negate(self.evaluate(a, c.kind, c.objective.as_deref(), c.threshold), c.not)
    }

    /// Sequencing Rule Check Subprocess (UP.2.1): true only when the rule's combined
    /// conditions evaluate to true.
    fn rule_fires(&self, a: usize, rule: &Rule) -> bool {
        combine(rule.conditions.iter().map(|c| self.condition(a, c)), rule.combination) == Some(true)
    }

    /// Sequencing Rules Check Process (UP.2): the action of the first rule of `set` whose
    /// action is one of `actions` and whose conditions hold.
    pub fn rules_check(&self, a: usize, set: RuleSet, actions: &[RuleAction]) -> Option<RuleAction> {
        let seq = &self.tree.get(a).seq;
        let rules = match set {
            RuleSet::Pre => &seq.pre_rules,
            RuleSet::Exit => &seq.exit_rules,
            RuleSet::Post => &seq.post_rules,
        };
        rules.iter().filter(|r| actions.contains(&r.action)).find(|r| self.rule_fires(a, r)).map(|r| r.action)
    }

    /// Limit Conditions Check Process (UP.1): whether `a`'s attempt limit is used up. A
    /// tracked activity that is active or suspended is never beyond its limit (its attempt
    /// is still going on).
    pub fn limit_exceeded(&self, a: usize) -> bool {
        let seq = &self.tree.get(a).seq;
        let s = &self.state.activities[a];
        if !seq.delivery.tracked || s.active || s.suspended {
            return false;
        }
        matches!(seq.attempt_limit, Some(limit) if limit > 0 && s.progress_known && s.attempt_count >= limit)
    }

    /// Check Activity Process (UP.5): true when `a` may not be delivered (disabled by a
    /// pre-condition rule or past its limit conditions).
    pub fn check_activity(&self, a: usize) -> bool {
        self.rules_check(a, RuleSet::Pre, &[RuleAction::Disabled]).is_some() || self.limit_exceeded(a)
    }
}
