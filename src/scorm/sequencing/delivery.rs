//! Delivering an activity: the Delivery Request Process (DB.1.1), the Content Delivery
//! Environment Process (DB.2) with the Clear Suspended Activity Subprocess (DB.2.1), and
//! the Select Children (SR.1) and Randomize Children (SR.2) processes a new attempt on a
//! cluster runs.

use super::definition::Timing;
use super::tree::ObjectiveState;
use super::{err, SeqError, Sequencer};

/// A small deterministic generator (splitmix64), so that a learner's selection and order
/// follow from the stored seed and the module needs no I/O.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Sequencer<'_> {
    /// Delivery Request Process (DB.1.1): only a leaf, and nothing from the root down to it
    /// may be disabled or beyond its limits.
    pub(super) fn delivery_request(&self, a: usize) -> Result<(), SeqError> {
        if !self.tree.is_leaf(a) {
            return err("DB.1.1-1");
        }
        if self.tree.path_to_root(a).into_iter().any(|x| self.check_activity(x)) {
            return err("DB.1.1-3");
        }
        Ok(())
    }

    /// Content Delivery Environment Process (DB.2): begins (or resumes) the attempts from
    /// the root down to `a`, which becomes the current activity.
    pub(super) fn content_delivery(&mut self, a: usize) -> Result<(), SeqError> {
        if self.state.current.is_some_and(|c| self.state.activities[c].active) {
            return err("DB.2-1");
        }
        if self.state.suspended != Some(a) {
            self.clear_suspended(a);
        }
        self.terminate_descendent_attempts(a);
        let mut path = self.tree.path_to_root(a);
        path.reverse();
        for x in path {
            let tracked = self.tree.get(x).seq.delivery.tracked;
            let s = &mut self.state.activities[x];
            if s.active {
                continue;
            }
            if tracked {
                if s.suspended {
                    s.suspended = false;
                } else {
                    s.attempt_count += 1;
                    if s.attempt_count == 1 {
                        s.progress_known = true;
                    }
                    self.new_attempt(x);
                }
            }
            self.state.activities[x].active = true;
        }
        self.state.current = Some(a);
        self.state.suspended = None;
        Ok(())
    }

    /// Initialises the objective and attempt progress information of a new attempt (global
    /// objectives keep their values), and chooses a cluster's children for it.
    fn new_attempt(&mut self, a: usize) {
        let s = &mut self.state.activities[a];
        s.attempt_progress_known = false;
        s.attempt_completed = false;
        s.attempt_completion_amount = None;
        for o in &mut s.objectives {
            *o = ObjectiveState::default();
        }
        let attempt = s.attempt_count;
        self.choose_children(a, attempt);
    }

    /// Runs selection and randomization for attempt number `attempt` of cluster `a`, once
    /// per attempt: flow and choice call it before they enter a cluster whose new attempt
    /// is about to begin, so that they walk the children the attempt will have.
    pub(super) fn choose_children(&mut self, a: usize, attempt: u32) {
        if self.tree.is_leaf(a) || self.state.activities[a].children_chosen_for == attempt {
            return;
        }
        self.state.activities[a].children_chosen_for = attempt;
        let r = self.tree.get(a).seq.randomization;
        let due = |t: Timing| t == Timing::OnEachNewAttempt || (t == Timing::Once && attempt == 1);
        if due(r.selection_timing) {
            self.select_children(a);
        }
        if due(r.randomization_timing) {
            self.randomize_children(a);
        }
    }

    /// Select Children Process (SR.1): `selectCount` of the children, in declared order.
    fn select_children(&mut self, a: usize) {
        let Some(count) = self.tree.get(a).seq.randomization.select_count else { return };
        let children = &self.tree.get(a).children;
        if count as usize >= children.len() {
            return;
        }
        let mut chosen: Vec<usize> = Vec::new();
        let mut pool = children.clone();
        while chosen.len() < count as usize {
            let i = (next(&mut self.state.seed) % pool.len() as u64) as usize;
            chosen.push(pool.remove(i));
        }
        chosen.sort_unstable();
        self.state.activities[a].available_children = Some(chosen);
    }

    /// Randomize Children Process (SR.2): the available children in a random order.
    fn randomize_children(&mut self, a: usize) {
        if !self.tree.get(a).seq.randomization.reorder_children {
            return;
        }
        let mut children = self.state.available_children(self.tree, a);
        for i in (1..children.len()).rev() {
            let j = (next(&mut self.state.seed) % (i as u64 + 1)) as usize;
            children.swap(i, j);
        }
        self.state.activities[a].available_children = Some(children);
    }

    /// Clear Suspended Activity Subprocess (DB.2.1).
    fn clear_suspended(&mut self, a: usize) {
        let Some(suspended) = self.state.suspended else { return };
        let ancestor = self.tree.common_ancestor(a, suspended);
        let path: Vec<usize> = self.tree.path_to_root(suspended).into_iter().take_while(|x| *x != ancestor).chain([ancestor]).collect();
        for x in path {
            let any_child = self.state.available_children(self.tree, x).iter().any(|c| self.state.activities[*c].suspended);
            if self.tree.is_leaf(x) || !any_child {
                self.state.activities[x].suspended = false;
            }
        }
        self.state.suspended = None;
    }
}
