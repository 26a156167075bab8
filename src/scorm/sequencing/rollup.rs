//! The rollup processes (SN 4.6, pseudocode RB.1): measure and completion measure rollup,
//! objective rollup by measure, by rules or by the default rules, activity progress
//! rollup, the rollup rule check with its child checks, and the overall rollup process.

use super::definition::{ChildSet, Combination, ConditionKind, Required, RollupAction, RollupCondition, RollupRule, RuleAction};
use super::rules::{combine, negate, RuleSet};
use super::Sequencer;

/// The default rollup rules (SN 4.6.x) for an activity that declares none for an action:
/// satisfied / completed when all children are; not satisfied / incomplete when all
/// children's status is known.
fn default_rule(action: RollupAction) -> RollupRule {
    let kind = match action {
        RollupAction::Satisfied => ConditionKind::Satisfied,
        RollupAction::NotSatisfied => ConditionKind::ObjectiveStatusKnown,
        RollupAction::Completed => ConditionKind::Completed,
        RollupAction::Incomplete => ConditionKind::ActivityProgressKnown,
    };
    RollupRule {
        child_set: ChildSet::All,
        minimum_count: 0,
        minimum_percent: 0.0,
        combination: Combination::Any,
        conditions: vec![RollupCondition { kind, not: false }],
        action,
    }
}

impl Sequencer<'_> {
    /// Overall Rollup Process (RB.1.5): from `a` up to the root.
    pub fn overall_rollup(&mut self, a: usize) {
        for x in self.tree.path_to_root(a) {
            if !self.tree.is_leaf(x) {
                self.measure_rollup(x);
                self.completion_measure_rollup(x);
            }
            self.objective_rollup(x);
            self.activity_progress_rollup(x);
        }
    }

    /// Measure Rollup Process (RB.1.1): the weighted mean of the tracked children's primary
    /// measures, by `objectiveMeasureWeight`.
    fn measure_rollup(&mut self, a: usize) {
        let (mut total, mut counted, mut valid) = (0.0, 0.0, false);
        for c in self.state.available_children(self.tree, a) {
            let child = self.tree.get(c);
            if !child.seq.delivery.tracked {
                continue;
            }
            let weight = child.seq.rollup.measure_weight;
            counted += weight;
            if let Some(m) = self.measure(c, self.primary(c)) {
                total += m * weight;
                valid = true;
            }
        }
        let p = self.primary(a);
        let value = (valid && counted > 0.0).then(|| total / counted);
        self.set_measure(a, p, value);
    }

    /// Completion Measure Rollup Process (4th edition RB.1.1b): the weighted mean of the
    /// children's attempt completion amounts, by `progressWeight`.
    fn completion_measure_rollup(&mut self, a: usize) {
        let (mut total, mut counted, mut valid) = (0.0, 0.0, false);
        for c in self.state.available_children(self.tree, a) {
            let child = self.tree.get(c);
            if !child.seq.delivery.tracked {
                continue;
            }
            counted += child.progress_weight;
            if let Some(amount) = self.state.activities[c].attempt_completion_amount {
                total += amount * child.progress_weight;
                valid = true;
            }
        }
        let value = (valid && counted > 0.0).then(|| total / counted);
        self.set_completion_amount(a, value);
    }

    /// Objective Rollup Process (RB.1.2): by measure when the primary objective is
    /// satisfied by measure, otherwise by rules (the declared ones, or the defaults).
    fn objective_rollup(&mut self, a: usize) {
        let p = self.primary(a);
        let objective = &self.tree.get(a).seq.objectives[p];
        if objective.satisfied_by_measure {
            // Objective Rollup Using Measure (RB.1.2.a).
            let (min, active) = (objective.min_measure, self.state.activities[a].active);
            let if_active = self.tree.get(a).seq.considerations.measure_satisfaction_if_active;
            let value = match self.measure(a, p) {
                Some(m) if !active || if_active => Some(m >= min),
                _ => None,
            };
            self.set_satisfied(a, p, value);
            return;
        }
        if self.tree.is_leaf(a) {
            return;
        }
        // Objective Rollup Using Rules (RB.1.2.b): not satisfied first, so satisfied wins.
        if self.rollup_rule_check(a, RollupAction::NotSatisfied) {
            self.set_satisfied(a, p, Some(false));
        }
        if self.rollup_rule_check(a, RollupAction::Satisfied) {
            self.set_satisfied(a, p, Some(true));
        }
    }

    /// Activity Progress Rollup Process (RB.1.3): by measure when completed by measure,
    /// otherwise by rules (incomplete first, so completed wins).
    fn activity_progress_rollup(&mut self, a: usize) {
        if let Some(min) = self.tree.get(a).completed_by_measure {
            let value = self.state.activities[a].attempt_completion_amount.map(|m| m >= min);
            self.set_completed(a, value);
            return;
        }
        if self.tree.is_leaf(a) {
            return;
        }
        if self.rollup_rule_check(a, RollupAction::Incomplete) {
            self.set_completed(a, Some(false));
        }
        if self.rollup_rule_check(a, RollupAction::Completed) {
            self.set_completed(a, Some(true));
        }
    }

    /// Rollup Rule Check Subprocess (RB.1.4): whether a rule for `action` (declared, or the
    /// default when the activity declares none of its kind) applies to `a`'s children.
    pub fn rollup_rule_check(&self, a: usize, action: RollupAction) -> bool {
        let declared = &self.tree.get(a).seq.rollup_rules;
        let kind_declared = declared.iter().any(|r| match action {
            RollupAction::Satisfied | RollupAction::NotSatisfied => matches!(r.action, RollupAction::Satisfied | RollupAction::NotSatisfied),
            RollupAction::Completed | RollupAction::Incomplete => matches!(r.action, RollupAction::Completed | RollupAction::Incomplete),
        });
        let defaults = [default_rule(action)];
        let rules: &[RollupRule] = if kind_declared { declared } else { &defaults };
        rules.iter().filter(|r| r.action == action).any(|rule| {
            let mut results = Vec::new();
            for c in self.state.available_children(self.tree, a) {
                if !self.tree.get(c).seq.delivery.tracked || !self.contributes(c, action) {
                    continue;
                }
                // Evaluate Rollup Conditions Subprocess (RB.1.4.1).
                let values = rule.conditions.iter().map(|cond| negate(self.evaluate(c, cond.kind, None, 0.0), cond.not));
                results.push(combine(values, rule.combination));
            }
            child_set_holds(rule, &results)
        })
    }

    /// Check Child for Rollup Subprocess (RB.1.4.2): whether child `c` takes part in
    /// rollup for `action`, by its rollup controls and rollup considerations.
    fn contributes(&self, c: usize, action: RollupAction) -> bool {
        let seq = &self.tree.get(c).seq;
        let (included, required) = match action {
            RollupAction::Satisfied => (seq.rollup.objective_satisfied, seq.considerations.required_for_satisfied),
            RollupAction::NotSatisfied => (seq.rollup.objective_satisfied, seq.considerations.required_for_not_satisfied),
            RollupAction::Completed => (seq.rollup.progress_completion, seq.considerations.required_for_completed),
            RollupAction::Incomplete => (seq.rollup.progress_completion, seq.considerations.required_for_incomplete),
        };
        if !included {
            return false;
        }
        let s = &self.state.activities[c];
        match required {
            Required::Always => true,
            Required::IfNotSuspended => !(!s.progress_known || (s.attempt_count > 0 && s.suspended)),
            Required::IfAttempted => s.progress_known && s.attempt_count > 0,
            Required::IfNotSkipped => self.rules_check(c, RuleSet::Pre, &[RuleAction::Skip]).is_none(),
        }
    }
}

/// Whether the contributing children's results meet the rule's child activity set; no
/// contributing child is no status change.
fn child_set_holds(rule: &RollupRule, results: &[Option<bool>]) -> bool {
    if results.is_empty() {
        return false;
    }
    let trues = results.iter().filter(|r| **r == Some(true)).count();
    match rule.child_set {
        ChildSet::All => trues == results.len(),
        ChildSet::Any => trues > 0,
        ChildSet::None => results.iter().all(|r| *r == Some(false)),
        ChildSet::AtLeastCount => trues >= rule.minimum_count as usize,
        ChildSet::AtLeastPercent => trues as f64 / results.len() as f64 >= rule.minimum_percent,
    }
}
