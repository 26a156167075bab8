//! Navigation Request Process (NB.2.1): whether a navigation request is valid now, and the
//! termination and sequencing requests it becomes.

use super::requests::SeqRequest;
use super::termination::Termination;
use super::{err, NavRequest, SeqError, Sequencer};

impl Sequencer<'_> {
    /// NB.2.1, step by step per request; `Ok((termination, sequencing))`.
    pub(super) fn navigation_request(&self, request: &NavRequest) -> Result<(Option<Termination>, Option<SeqRequest>), SeqError> {
        let current = self.state.current;
        let active = |a: usize| self.state.activities[a].active;
        let exit_if_active = |a: usize| active(a).then_some(Termination::Exit);
        match request {
            // NB.2.1 step 1: start only when the sequencing session has not begun.
            NavRequest::Start => match current {
                None => Ok((None, Some(SeqRequest::Start))),
                Some(_) => err("NB.2.1-1"),
            },
            // Step 2: resume all needs no current activity and a suspended one.
            NavRequest::ResumeAll => match (current, self.state.suspended) {
                (None, Some(_)) => Ok((None, Some(SeqRequest::ResumeAll))),
                (None, None) => err("NB.2.1-3"),
                (Some(_), _) => err("NB.2.1-1"),
            },
            // Step 3: continue is valid when the parent of the current activity uses flow.
            NavRequest::Continue => {
                let Some(c) = current else { return err("NB.2.1-2") };
                match self.tree.parent(c) {
                    Some(p) if self.tree.get(p).seq.control.flow => Ok((exit_if_active(c), Some(SeqRequest::Continue))),
                    _ => err("NB.2.1-4"),
                }
            }
            // Step 4: previous needs flow and no forward-only on the parent.
            NavRequest::Previous => {
                let Some(c) = current else { return err("NB.2.1-2") };
                let Some(p) = self.tree.parent(c) else { return err("NB.2.1-6") };
                let control = self.tree.get(p).seq.control;
                if control.flow && !control.forward_only {
                    Ok((exit_if_active(c), Some(SeqRequest::Previous)))
                } else {
                    err("NB.2.1-5")
                }
            }
            // Step 7: choice of an activity in the tree whose parent allows choice; every
            // active activity to be left on the way must allow choice exit.
            NavRequest::Choice(id) => {
                let Some(target) = self.tree.find(id) else { return err("NB.2.1-11") };
                if let Some(p) = self.tree.parent(target) {
                    if !self.tree.get(p).seq.control.choice {
                        return err("NB.2.1-10");
                    }
                }
                let Some(c) = current else { return Ok((None, Some(SeqRequest::Choice(target)))) };
                let ancestor = self.tree.common_ancestor(c, target);
                for a in self.tree.path_to_root(c).into_iter().take_while(|a| *a != ancestor) {
                    if active(a) && !self.tree.get(a).seq.control.choice_exit {
                        return err("NB.2.1-8");
                    }
                }
                Ok((exit_if_active(c), Some(SeqRequest::Choice(target))))
            }
            // 4th edition jump: any activity of the tree that is available in its parent.
            NavRequest::Jump(id) => {
                let Some(target) = self.tree.find(id) else { return err("NB.2.1-11") };
                if let Some(p) = self.tree.parent(target) {
                    if !self.state.available_children(self.tree, p).contains(&target) {
                        return err("NB.2.1-11");
                    }
                }
                let Some(c) = current else { return err("NB.2.1-2") };
                Ok((exit_if_active(c), Some(SeqRequest::Jump(target))))
            }
            // Step 8: exit of the current, active activity.
            NavRequest::Exit => {
                let Some(c) = current else { return err("NB.2.1-2") };
                if !active(c) {
                    return err("NB.2.1-12");
                }
                Ok((Some(Termination::Exit), Some(SeqRequest::Exit)))
            }
            // Step 9: exit all.
            NavRequest::ExitAll => match current {
                Some(_) => Ok((Some(Termination::ExitAll), Some(SeqRequest::Exit))),
                None => err("NB.2.1-2"),
            },
            // Step 10: abandon of the current, active activity.
            NavRequest::Abandon => match current {
                Some(c) if active(c) => Ok((Some(Termination::Abandon), None)),
                Some(_) => err("NB.2.1-12"),
                None => err("NB.2.1-2"),
            },
            // Step 11: abandon all.
            NavRequest::AbandonAll => match current {
                Some(_) => Ok((Some(Termination::AbandonAll), Some(SeqRequest::Exit))),
                None => err("NB.2.1-2"),
            },
            // Step 12: suspend all.
            NavRequest::SuspendAll => match current {
                Some(_) => Ok((Some(Termination::SuspendAll), Some(SeqRequest::Exit))),
                None => err("NB.2.1-2"),
            },
        }
    }
}
