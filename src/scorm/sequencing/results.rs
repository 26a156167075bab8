//! What a SCO reported, carried into the tracking model at its Terminate (SN 4.2.1 and RTE
//! 4.2 mappings): completion status and progress measure to the attempt, success status
//! and scaled score to the primary objective, `cmi.objectives` to the objectives of the
//! same id, `cmi.exit = suspend` to the activity's suspension.

use super::Sequencer;

/// One `cmi.objectives.n` entry: `None` is "unknown".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectiveResult {
    pub id: String,
    pub satisfied: Option<bool>,
    pub measure: Option<f64>,
    pub completed: Option<bool>,
    pub progress_measure: Option<f64>,
}

/// The run-time values of one SCO's session that sequencing reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoResult {
    /// `cmi.completion_status`: `completed` is `Some(true)`, `incomplete` and `not
    /// attempted` `Some(false)`, `unknown` `None`.
    pub completed: Option<bool>,
    /// `cmi.success_status`: `passed`/`failed`, `None` for unknown.
    pub satisfied: Option<bool>,
    pub measure: Option<f64>,
    pub progress_measure: Option<f64>,
    pub objectives: Vec<ObjectiveResult>,
    /// `cmi.exit` was `suspend`.
    pub suspended: bool,
}

impl Sequencer<'_> {
    /// Records `result` for the current activity, if it is the active leaf `a`; a
    /// non-tracked activity records nothing (SN 3.13.1).
    pub fn report(&mut self, a: usize, result: &ScoResult) {
        if self.state.current != Some(a) || !self.state.activities[a].active || !self.tree.get(a).seq.delivery.tracked {
            return;
        }
        let p = self.primary(a);
        self.set_completed(a, result.completed);
        self.set_completion_amount(a, result.progress_measure);
        self.set_satisfied(a, p, result.satisfied);
        self.set_measure(a, p, result.measure);
        for r in &result.objectives {
            let Some(o) = self.objective_named(a, Some(&r.id)) else { continue };
            if o == p {
                continue;
            }
            if r.satisfied.is_some() {
                self.set_satisfied(a, o, r.satisfied);
            }
            if r.measure.is_some() {
                self.set_measure(a, o, r.measure);
            }
            if r.completed.is_some() {
                self.set_objective_completed(a, o, r.completed);
            }
            if r.progress_measure.is_some() {
                self.set_objective_progress(a, o, r.progress_measure);
            }
        }
        self.state.activities[a].suspended = result.suspended;
        self.overall_rollup(a);
    }
}
