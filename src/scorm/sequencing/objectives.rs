//! Reading and writing objective and attempt progress through `mapInfo` (SN 3.10.2 and the
//! 4th edition's `adlseq:mapInfo`): a read map whose global objective is known supplies the
//! value; every write map receives each value the activity's objective gets.

use super::tree::ObjectiveState;
use super::Sequencer;

impl Sequencer<'_> {
    /// Index of the activity's primary objective (there always is one).
    pub fn primary(&self, a: usize) -> usize {
        self.tree.get(a).seq.objectives.iter().position(|o| o.primary).unwrap_or(0)
    }

    /// The objective of `a` named `id`, or the primary one for `None`.
    pub fn objective_named(&self, a: usize, id: Option<&str>) -> Option<usize> {
        match id {
            None => Some(self.primary(a)),
            Some(id) => self.tree.get(a).seq.objectives.iter().position(|o| o.id == id),
        }
    }

    /// The first global a read map of objective `o` of `a` names for which `known` holds.
    fn read_global(&self, a: usize, o: usize, reads: impl Fn(&super::definition::MapInfo) -> bool, known: impl Fn(&ObjectiveState) -> bool) -> Option<&ObjectiveState> {
        self.tree.get(a).seq.objectives[o]
            .maps
            .iter()
            .filter(|m| reads(m))
            .filter_map(|m| self.state.globals.get(&m.target))
            .find(|g| known(g))
    }

    fn local(&self, a: usize, o: usize) -> &ObjectiveState {
        &self.state.activities[a].objectives[o]
    }

    /// Objective Satisfied Status, `None` while the Objective Progress Status is false.
    pub fn satisfied(&self, a: usize, o: usize) -> Option<bool> {
        if let Some(g) = self.read_global(a, o, |m| m.read_satisfied, |g| g.progress_known) {
            return Some(g.satisfied);
        }
        let l = self.local(a, o);
        l.progress_known.then_some(l.satisfied)
    }

    /// Objective Normalized Measure, `None` while the Objective Measure Status is false.
    pub fn measure(&self, a: usize, o: usize) -> Option<f64> {
        if let Some(g) = self.read_global(a, o, |m| m.read_measure, |g| g.measure_known) {
            return Some(g.measure);
        }
        let l = self.local(a, o);
        l.measure_known.then_some(l.measure)
    }

    /// The objective's completion status (4th edition), `None` while unknown.
    pub fn objective_completed(&self, a: usize, o: usize) -> Option<bool> {
        if let Some(g) = self.read_global(a, o, |m| m.read_completion, |g| g.completion_known) {
            return Some(g.completed);
        }
        let l = self.local(a, o);
        l.completion_known.then_some(l.completed)
    }

    /// The activity's Attempt Completion Status, `None` while the Attempt Progress Status is
    /// false; a primary objective's read completion map supplies it when its global is known.
    pub fn completed(&self, a: usize) -> Option<bool> {
        let p = self.primary(a);
        if let Some(g) = self.read_global(a, p, |m| m.read_completion, |g| g.completion_known) {
            return Some(g.completed);
        }
        let s = &self.state.activities[a];
        s.attempt_progress_known.then_some(s.attempt_completed)
    }

    /// Applies `change` to the local objective and to every global its maps let it write.
    fn write(&mut self, a: usize, o: usize, writes: impl Fn(&super::definition::MapInfo) -> bool, change: impl Fn(&mut ObjectiveState)) {
        change(&mut self.state.activities[a].objectives[o]);
        let targets: Vec<String> = self.tree.get(a).seq.objectives[o].maps.iter().filter(|m| writes(m)).map(|m| m.target.clone()).collect();
        for t in targets {
            change(self.state.globals.entry(t).or_default());
        }
    }

    pub fn set_satisfied(&mut self, a: usize, o: usize, value: Option<bool>) {
        self.write(a, o, |m| m.write_satisfied, |s| {
            s.progress_known = value.is_some();
            s.satisfied = value.unwrap_or(false);
        });
    }

    pub fn set_measure(&mut self, a: usize, o: usize, value: Option<f64>) {
        self.write(a, o, |m| m.write_measure, |s| {
            s.measure_known = value.is_some();
            s.measure = value.unwrap_or(0.0);
        });
    }

    pub fn set_objective_completed(&mut self, a: usize, o: usize, value: Option<bool>) {
        self.write(a, o, |m| m.write_completion, |s| {
            s.completion_known = value.is_some();
            s.completed = value.unwrap_or(false);
        });
    }

    pub fn set_objective_progress(&mut self, a: usize, o: usize, value: Option<f64>) {
        self.write(a, o, |m| m.write_progress, |s| s.progress_measure = value);
    }

    /// Sets the Attempt Completion Status; the primary objective carries it to its globals.
    pub fn set_completed(&mut self, a: usize, value: Option<bool>) {
        let s = &mut self.state.activities[a];
        s.attempt_progress_known = value.is_some();
        s.attempt_completed = value.unwrap_or(false);
        let p = self.primary(a);
        self.set_objective_completed(a, p, value);
    }

    /// Sets the Attempt Completion Amount (progress measure) and the primary objective's.
    pub fn set_completion_amount(&mut self, a: usize, value: Option<f64>) {
        self.state.activities[a].attempt_completion_amount = value;
        let p = self.primary(a);
        self.set_objective_progress(a, p, value);
    }
}
