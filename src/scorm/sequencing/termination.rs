//! Ending attempts: the Termination Request Process (TB.2.3) with the Sequencing Exit
//! Action Rules (TB.2.1) and Post Condition Rules (TB.2.2) subprocesses, the End Attempt
//! Process (UP.4) and the Terminate Descendent Attempts Process (UP.3).

use super::definition::RuleAction;
use super::requests::SeqRequest;
use super::rules::RuleSet;
use super::{err, SeqError, Sequencer};

/// A termination request (SN 4.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Termination {
    Exit,
    ExitAll,
    SuspendAll,
    Abandon,
    AbandonAll,
}

impl Sequencer<'_> {
    /// Termination Request Process (TB.2.3): the sequencing request that follows, if any.
    pub(super) fn termination_request(&mut self, request: Termination) -> Result<Option<SeqRequest>, SeqError> {
        // Step 1: there must be a current activity.
        let Some(current) = self.state.current else { return err("TB.2.3-1") };
        // Step 2: exit and abandon need it active.
        if matches!(request, Termination::Exit | Termination::Abandon) && !self.state.activities[current].active {
            return err("TB.2.3-2");
        }
        match request {
            Termination::Exit => {
                self.end_attempt(current);
                self.exit_action_rules();
                loop {
                    let current = self.state.current.expect("set above");
                    let (term, seq) = self.post_condition_rules();
                    match term {
                        Some(Termination::ExitAll) => return self.exit_all(seq),
                        Some(Termination::Exit) => {
                            // An exit parent post-condition: end the parent's attempt and
                            // evaluate its post-condition rules in turn.
                            let Some(parent) = self.tree.parent(current) else { return err("TB.2.3-4") };
                            self.state.current = Some(parent);
                            self.end_attempt(parent);
                            continue;
                        }
                        _ => {}
                    }
                    if current == 0 && seq != Some(SeqRequest::Retry) {
                        return Ok(Some(SeqRequest::Exit));
                    }
                    return Ok(seq);
                }
            }
            Termination::ExitAll => self.exit_all(None),
            Termination::SuspendAll => {
                let s = &self.state.activities[current];
                let suspended = if s.active || s.suspended {
                    self.overall_rollup(current);
                    current
                } else {
                    match self.tree.parent(current) {
                        Some(p) => p,
                        None => return err("TB.2.3-3"),
                    }
                };
                self.state.suspended = Some(suspended);
                for a in self.tree.path_to_root(suspended) {
                    self.state.activities[a].active = false;
                    self.state.activities[a].suspended = true;
                }
                self.state.current = Some(0);
                Ok(Some(SeqRequest::Exit))
            }
            Termination::Abandon => {
                self.state.activities[current].active = false;
                Ok(None)
            }
            Termination::AbandonAll => {
                for a in self.tree.path_to_root(current) {
                    self.state.activities[a].active = false;
                }
                self.state.current = Some(0);
                Ok(Some(SeqRequest::Exit))
            }
        }
    }

    /// TB.2.3 step 4 (exit all): end every attempt up to the root; a retry (from a retry
    /// all post-condition) is passed on, otherwise the session exits.
    fn exit_all(&mut self, seq: Option<SeqRequest>) -> Result<Option<SeqRequest>, SeqError> {
        let current = self.state.current.expect("checked by the caller");
        if self.state.activities[current].active {
            self.end_attempt(current);
        }
        self.terminate_descendent_attempts(0);
        self.end_attempt(0);
        self.state.current = Some(0);
        Ok(Some(if seq == Some(SeqRequest::Retry) { SeqRequest::Retry } else { SeqRequest::Exit }))
    }

    /// Sequencing Exit Action Rules Subprocess (TB.2.1): the outermost ancestor of the
    /// current activity whose exit rule fires ends, with everything below it.
    fn exit_action_rules(&mut self) {
        let Some(current) = self.state.current else { return };
        let mut path = self.tree.path_to_root(current);
        path.reverse();
        path.pop();
        let target = path.into_iter().find(|a| self.rules_check(*a, RuleSet::Exit, &[RuleAction::Exit]).is_some());
        if let Some(t) = target {
            self.terminate_descendent_attempts(t);
            self.end_attempt(t);
            self.state.current = Some(t);
        }
    }

    /// Sequencing Post Condition Rules Subprocess (TB.2.2): `(termination, sequencing)`
    /// requests of the current activity's post-condition rules; `Exit` stands for exit
    /// parent. Nothing for a suspended activity.
    fn post_condition_rules(&self) -> (Option<Termination>, Option<SeqRequest>) {
        let Some(current) = self.state.current else { return (None, None) };
        if self.state.activities[current].suspended {
            return (None, None);
        }
        use RuleAction::*;
        match self.rules_check(current, RuleSet::Post, &[ExitParent, ExitAll, Retry, RetryAll, Continue, Previous]) {
            Some(Retry) => (None, Some(SeqRequest::Retry)),
            Some(Continue) => (None, Some(SeqRequest::Continue)),
            Some(Previous) => (None, Some(SeqRequest::Previous)),
            Some(ExitParent) => (Some(Termination::Exit), None),
            Some(ExitAll) => (Some(Termination::ExitAll), None),
            Some(RetryAll) => (Some(Termination::ExitAll), Some(SeqRequest::Retry)),
            _ => (None, None),
        }
    }

    /// Terminate Descendent Attempts Process (UP.3): ends the attempts between the current
    /// activity and its common ancestor with `a` (both excluded).
    pub(super) fn terminate_descendent_attempts(&mut self, a: usize) {
        let Some(current) = self.state.current else { return };
        let ancestor = self.tree.common_ancestor(current, a);
        let path: Vec<usize> = self.tree.path_to_root(current).into_iter().take_while(|x| *x != ancestor).skip(1).collect();
        for x in path {
            self.end_attempt(x);
        }
    }

    /// End Attempt Process (UP.4).
    pub(super) fn end_attempt(&mut self, a: usize) {
        let seq = &self.tree.get(a).seq;
        if self.tree.is_leaf(a) {
            if seq.delivery.tracked && !self.state.activities[a].suspended {
                // Content that does not set completion or satisfaction has them set by the
                // LMS at the end of the attempt (SN 3.13).
                if !seq.delivery.completion_set_by_content && !self.state.activities[a].attempt_progress_known {
                    self.set_completed(a, Some(true));
                }
                let p = self.primary(a);
                if !seq.delivery.objective_set_by_content && !self.state.activities[a].objectives[p].progress_known {
                    self.set_satisfied(a, p, Some(true));
                }
            }
        } else {
            let any_suspended = self.state.available_children(self.tree, a).iter().any(|c| self.state.activities[*c].suspended);
            self.state.activities[a].suspended = any_suspended;
        }
        self.state.activities[a].active = false;
        self.overall_rollup(a);
    }
}
