//! The Sequencing Request Process (SB.2.12) and its requests: start (SB.2.5), resume all
//! (SB.2.6), continue (SB.2.7), previous (SB.2.8), choice (SB.2.9), retry (SB.2.10), exit
//! (SB.2.11) and jump (SB.2.13), over the flow subprocesses (SB.2.1 - SB.2.3) and the
//! Choice Activity Traversal Subprocess (SB.2.4).

use super::definition::RuleAction;
use super::rules::RuleSet;
use super::{err, SeqError, Sequencer};

/// A sequencing request (SN 4.5); choice and jump carry the target's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SeqRequest {
    Start,
    ResumeAll,
    Continue,
    Previous,
    Choice(usize),
    Jump(usize),
    Exit,
    Retry,
}

/// What a sequencing request leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Deliver(usize),
    EndSession,
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Forward,
    Backward,
}

/// A flow that found nothing to deliver: the exception, or the end of the session when a
/// forward traversal walked off the end of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Exception(&'static str),
    EndSession,
}

impl From<Stop> for Result<Decision, SeqError> {
    fn from(stop: Stop) -> Self {
        match stop {
            Stop::Exception(code) => err(code),
            Stop::EndSession => Ok(Decision::EndSession),
        }
    }
}

impl Sequencer<'_> {
    /// Sequencing Request Process (SB.2.12).
    pub(super) fn sequencing_request(&mut self, request: SeqRequest) -> Result<Decision, SeqError> {
        match request {
            SeqRequest::Start => self.start(),
            SeqRequest::ResumeAll => self.resume_all(),
            SeqRequest::Exit => self.exit(),
            SeqRequest::Retry => self.retry(),
            SeqRequest::Continue => self.continue_request(),
            SeqRequest::Previous => self.previous(),
            SeqRequest::Choice(t) => self.choice(t),
            SeqRequest::Jump(t) => self.jump(t),
        }
    }

    /// Start Sequencing Request Process (SB.2.5).
    fn start(&mut self) -> Result<Decision, SeqError> {
        if self.state.current.is_some() {
            return err("SB.2.5-1");
        }
        if self.tree.is_leaf(0) {
            return Ok(Decision::Deliver(0));
        }
        self.flow_decision(0, Direction::Forward, true)
    }

    /// Resume All Sequencing Request Process (SB.2.6).
    fn resume_all(&mut self) -> Result<Decision, SeqError> {
        if self.state.current.is_some() {
            return err("SB.2.6-1");
        }
        match self.state.suspended {
            Some(s) => Ok(Decision::Deliver(s)),
            None => err("SB.2.6-2"),
        }
    }

    /// Exit Sequencing Request Process (SB.2.11): the session ends when the root exits.
    fn exit(&mut self) -> Result<Decision, SeqError> {
        let Some(current) = self.state.current else { return err("SB.2.11-1") };
        if self.state.activities[current].active {
            return err("SB.2.11-2");
        }
        Ok(if current == 0 { Decision::EndSession } else { Decision::Nothing })
    }

    /// Retry Sequencing Request Process (SB.2.10): a new attempt on the current activity.
    fn retry(&mut self) -> Result<Decision, SeqError> {
        let Some(current) = self.state.current else { return err("SB.2.10-1") };
        let s = &self.state.activities[current];
        if s.active || s.suspended {
            return err("SB.2.10-2");
        }
        if self.tree.is_leaf(current) {
            return Ok(Decision::Deliver(current));
        }
        match self.flow(current, Direction::Forward, true) {
            Ok(a) => Ok(Decision::Deliver(a)),
            Err(_) => err("SB.2.10-3"),
        }
    }

    /// Continue Sequencing Request Process (SB.2.7).
    fn continue_request(&mut self) -> Result<Decision, SeqError> {
        let Some(current) = self.state.current else { return err("SB.2.7-1") };
        if let Some(p) = self.tree.parent(current) {
            if !self.tree.get(p).seq.control.flow {
                return err("SB.2.7-2");
            }
        }
        self.flow_decision(current, Direction::Forward, false)
    }

    /// Previous Sequencing Request Process (SB.2.8).
    fn previous(&mut self) -> Result<Decision, SeqError> {
        let Some(current) = self.state.current else { return err("SB.2.8-1") };
        if let Some(p) = self.tree.parent(current) {
            if !self.tree.get(p).seq.control.flow {
                return err("SB.2.8-2");
            }
        }
        self.flow_decision(current, Direction::Backward, false)
    }

    /// Jump Sequencing Request Process (SB.2.13): the target, past every rule but the
    /// delivery checks.
    fn jump(&mut self, target: usize) -> Result<Decision, SeqError> {
        if self.state.current.is_none() {
            return err("SB.2.13-1");
        }
        Ok(Decision::Deliver(target))
    }

    fn flow_decision(&mut self, from: usize, direction: Direction, consider_children: bool) -> Result<Decision, SeqError> {
        match self.flow(from, direction, consider_children) {
            Ok(a) => Ok(Decision::Deliver(a)),
            Err(stop) => stop.into(),
        }
    }

    /// Flow Subprocess (SB.2.3): the deliverable activity reached from `from`.
    pub(super) fn flow(&mut self, from: usize, direction: Direction, consider_children: bool) -> Result<usize, Stop> {
        let (next, dir) = self.flow_tree_traversal(from, direction, consider_children, None)?;
        self.flow_activity_traversal(next, dir, None)
    }

    fn last_in_parent(&self, a: usize) -> bool {
        self.tree.parent(a).is_some_and(|p| self.state.available_children(self.tree, p).last() == Some(&a))
    }

    fn first_in_parent(&self, a: usize) -> bool {
        self.tree.parent(a).is_some_and(|p| self.state.available_children(self.tree, p).first() == Some(&a))
    }

    /// The last activity of a forward pre-order traversal of the available tree.
    fn last_of_tree(&self) -> usize {
        let mut at = 0;
        while let Some(last) = self.state.available_children(self.tree, at).last() {
            at = *last;
        }
        at
    }

    /// Sibling of `a` at `offset` in its parent's available children.
    fn sibling(&self, a: usize, offset: isize) -> Option<usize> {
        let siblings = self.state.available_children(self.tree, self.tree.parent(a)?);
        let i = siblings.iter().position(|x| *x == a)? as isize + offset;
        (i >= 0).then(|| siblings.get(i as usize).copied()).flatten()
    }

    /// Flow Tree Traversal Subprocess (SB.2.1): the next activity in `direction`, and the
    /// direction the traversal went on in.
    fn flow_tree_traversal(&mut self, a: usize, direction: Direction, consider_children: bool, previous: Option<Direction>) -> Result<(usize, Direction), Stop> {
        let (mut a, mut direction, mut reversed) = (a, direction, false);
        // Step 3: coming back from a forward-only cluster's last child reverses the walk.
        if previous == Some(Direction::Backward) && self.last_in_parent(a) {
            direction = Direction::Backward;
            a = self.state.available_children(self.tree, self.tree.parent(a).expect("has a parent"))[0];
            reversed = true;
        }
        if consider_children {
            // A cluster entered before its new attempt begins gets that attempt's children.
            let s = &self.state.activities[a];
            if !s.active && !s.suspended {
                let next_attempt = s.attempt_count + 1;
                self.choose_children(a, next_attempt);
            }
        }
        let children = self.state.available_children(self.tree, a);
        match direction {
            Direction::Forward => {
                // Step 4.1: past the last activity, or the root without its children: the
                // attempts end and so does the session.
                if a == self.last_of_tree() || (a == 0 && !consider_children) {
                    self.terminate_descendent_attempts(0);
                    self.end_attempt(0);
                    return Err(Stop::EndSession);
                }
                if self.tree.is_leaf(a) || !consider_children {
                    if self.last_in_parent(a) {
                        return self.flow_tree_traversal(self.tree.parent(a).expect("not the root"), Direction::Forward, false, None);
                    }
                    let next = self.sibling(a, 1).ok_or(Stop::Exception("SB.2.1-1"))?;
                    return Ok((next, direction));
                }
                match children.first() {
                    Some(first) => Ok((*first, direction)),
                    None => Err(Stop::Exception("SB.2.1-2")),
                }
            }
            Direction::Backward => {
                let Some(parent) = self.tree.parent(a) else { return Err(Stop::Exception("SB.2.1-3")) };
                if self.tree.is_leaf(a) || !consider_children {
                    if !reversed && self.tree.get(parent).seq.control.forward_only {
                        return Err(Stop::Exception("SB.2.1-4"));
                    }
                    if self.first_in_parent(a) {
                        return self.flow_tree_traversal(parent, Direction::Backward, false, None);
                    }
                    let prev = self.sibling(a, -1).ok_or(Stop::Exception("SB.2.1-1"))?;
                    return Ok((prev, direction));
                }
                // A forward-only cluster is entered at its first child, going forward.
                match (children.first(), children.last()) {
                    (Some(first), _) if self.tree.get(a).seq.control.forward_only => Ok((*first, Direction::Forward)),
                    (_, Some(last)) => Ok((*last, Direction::Backward)),
                    _ => Err(Stop::Exception("SB.2.1-2")),
                }
            }
        }
    }

    /// Flow Activity Traversal Subprocess (SB.2.2): from `a`, skipping what pre-condition
    /// rules skip and descending into clusters, the first activity that may be delivered.
    fn flow_activity_traversal(&mut self, a: usize, direction: Direction, previous: Option<Direction>) -> Result<usize, Stop> {
        // Step 1: the parent must allow flow.
        if let Some(p) = self.tree.parent(a) {
            if !self.tree.get(p).seq.control.flow {
                return Err(Stop::Exception("SB.2.2-1"));
            }
        }
        // Step 2: a skipped activity is passed over.
        if self.rules_check(a, RuleSet::Pre, &[RuleAction::Skip]).is_some() {
            let (next, dir) = self.flow_tree_traversal(a, direction, false, previous)?;
            return if previous == Some(Direction::Backward) && dir == Direction::Backward {
                self.flow_activity_traversal(next, dir, None)
            } else {
                self.flow_activity_traversal(next, direction, previous)
            };
        }
        // Step 3: disabled or beyond its limits.
        if self.check_activity(a) {
            return Err(Stop::Exception("SB.2.2-2"));
        }
        // Step 4: a cluster is entered.
        if !self.tree.is_leaf(a) {
            let (next, dir) = self.flow_tree_traversal(a, direction, true, None)?;
            return if direction == Direction::Backward && dir == Direction::Forward {
                self.flow_activity_traversal(next, Direction::Forward, Some(Direction::Backward))
            } else {
                self.flow_activity_traversal(next, direction, None)
            };
        }
        Ok(a)
    }

    /// Choice Activity Traversal Subprocess (SB.2.4).
    fn choice_activity_traversal(&self, a: usize, direction: Direction) -> Result<(), SeqError> {
        match direction {
            Direction::Forward => {
                if self.rules_check(a, RuleSet::Pre, &[RuleAction::StopForwardTraversal]).is_some() {
                    return err("SB.2.4-1");
                }
            }
            Direction::Backward => {
                if self.tree.parent(a).is_some_and(|p| self.tree.get(p).seq.control.forward_only) {
                    return err("SB.2.4-2");
                }
            }
        }
        Ok(())
    }

    /// Choice Sequencing Request Process (SB.2.9).
    fn choice(&mut self, target: usize) -> Result<Decision, SeqError> {
        let path = self.tree.path_to_root(target);
        // Step 3: each activity on the way must be available in its parent.
        for a in &path {
            if let Some(p) = self.tree.parent(*a) {
                if !self.state.available_children(self.tree, p).contains(a) {
                    return err("SB.2.9-2");
                }
            }
        }
        // Step 4: nothing on the way may be hidden from choice.
        if path.iter().any(|a| self.rules_check(*a, RuleSet::Pre, &[RuleAction::HiddenFromChoice]).is_some()) {
            return err("SB.2.9-3");
        }
        // Step 5: the target's parent must allow choice.
        if let Some(p) = self.tree.parent(target) {
            if !self.tree.get(p).seq.control.choice {
                return err("SB.2.9-4");
            }
        }
        let ancestor = self.state.current.map_or(0, |c| self.tree.common_ancestor(c, target));
        match self.state.current {
            // Case 1: the current activity itself.
            Some(c) if c == target => {}
            // Case 2: a sibling; every activity between must allow the traversal.
            Some(c) if self.tree.parent(c) == self.tree.parent(target) => {
                let siblings = self.state.available_children(self.tree, self.tree.parent(c).expect("siblings have a parent"));
                let (ci, ti) = (siblings.iter().position(|x| *x == c), siblings.iter().position(|x| *x == target));
                let (Some(ci), Some(ti)) = (ci, ti) else { return err("SB.2.9-5") };
                let (direction, range) = if ti > ci { (Direction::Forward, ci..ti) } else { (Direction::Backward, ti + 1..ci + 1) };
                for a in &siblings[range] {
                    self.choice_activity_traversal(*a, direction)?;
                }
            }
            // Case 3: below the current activity (or no current activity): forward down
            // from the common ancestor.
            None => self.choice_down(ancestor, target)?,
            Some(c) if c == ancestor => self.choice_down(ancestor, target)?,
            // Case 4: an ancestor of the current activity: every activity left must allow
            // choice exit.
            Some(c) if target == ancestor => {
                for a in self.tree.path_to_root(c).into_iter().take_while(|a| *a != target) {
                    if !self.tree.get(a).seq.control.choice_exit {
                        return err("SB.2.9-7");
                    }
                }
            }
            // Case 5: elsewhere in the tree.
            Some(c) => {
                for a in self.tree.path_to_root(c).into_iter().take_while(|a| *a != ancestor) {
                    if self.state.activities[a].active && !self.tree.get(a).seq.control.choice_exit {
                        return err("SB.2.9-7");
                    }
                }
                // The tree is in pre-order, so a later index is forward.
                if target > c {
                    self.choice_down(ancestor, target)?;
                } else {
                    for a in self.down_path(ancestor, target) {
                        if !self.state.activities[a].active && a != ancestor && self.tree.get(a).seq.prevent_activation {
                            return err("SB.2.9-6");
                        }
                    }
                }
            }
        }
        // Step 8: a leaf is delivered; a cluster is flowed into.
        if self.tree.is_leaf(target) {
            return Ok(Decision::Deliver(target));
        }
        match self.flow(target, Direction::Forward, true) {
            Ok(a) => Ok(Decision::Deliver(a)),
            Err(_) => {
                // Step 9: nothing below can be delivered; the choice still moves the
                // learner's place to the target.
                self.terminate_descendent_attempts(ancestor);
                self.end_attempt(ancestor);
                self.state.current = Some(target);
                err("SB.2.9-9")
            }
        }
    }

    /// Activities from `ancestor` down to `target`, `ancestor` first, `target` excluded.
    fn down_path(&self, ancestor: usize, target: usize) -> Vec<usize> {
        if ancestor == target {
            return Vec::new();
        }
        let mut path: Vec<usize> = self.tree.path_to_root(target).into_iter().skip(1).take_while(|a| *a != ancestor).collect();
        path.push(ancestor);
        path.reverse();
        path
    }

    /// SB.2.9 case 3: forward from `ancestor` down to `target`.
    fn choice_down(&self, ancestor: usize, target: usize) -> Result<(), SeqError> {
        for a in self.down_path(ancestor, target) {
            self.choice_activity_traversal(a, Direction::Forward)?;
            if !self.state.activities[a].active && a != ancestor && self.tree.get(a).seq.prevent_activation {
                return err("SB.2.9-6");
            }
        }
        Ok(())
    }
}
