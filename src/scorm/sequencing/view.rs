//! What the player shows: for each activity whether a choice of it would be allowed now
//! (the table of contents), and whether the continue and previous buttons would work. Each
//! is asked of the Overall Sequencing Process on a copy of the state.

use serde::Serialize;

use super::definition::RuleAction;
use super::rules::RuleSet;
use super::{NavRequest, Outcome, Sequencer};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityView {
    pub id: String,
    pub title: String,
    pub depth: usize,
    pub leaf: bool,
    /// Not shown: `isvisible="false"` or a hidden-from-choice pre-condition rule.
    pub hidden: bool,
    /// A choice of it would be delivered now (never for the root or the current one).
    pub selectable: bool,
    pub current: bool,
    pub completed: Option<bool>,
    pub satisfied: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NavView {
    pub activities: Vec<ActivityView>,
    pub can_continue: bool,
    pub can_previous: bool,
    /// `hideLMSUI` of the current activity.
    pub hide: Vec<String>,
    pub current: Option<String>,
}

impl Sequencer<'_> {
    /// Whether `request` would deliver something from the present state (nothing changes).
    pub fn would_deliver(&self, request: &NavRequest) -> bool {
        let mut state = self.state.clone();
        let mut trial = Sequencer { tree: self.tree, state: &mut state };
        matches!(trial.overall(request), Ok(Outcome::Deliver(_)))
    }

    pub fn view(&self) -> NavView {
        let current = self.state.current;
        let activities = (0..self.tree.len())
            .map(|a| {
                let act = self.tree.get(a);
                let hidden = !act.visible || self.rules_check(a, RuleSet::Pre, &[RuleAction::HiddenFromChoice]).is_some();
                ActivityView {
                    id: act.id.clone(),
                    title: act.title.clone(),
                    depth: self.tree.path_to_root(a).len() - 1,
                    leaf: self.tree.is_leaf(a),
                    hidden,
                    selectable: a != 0 && !hidden && current != Some(a) && self.would_deliver(&NavRequest::Choice(act.id.clone())),
                    current: current == Some(a),
                    completed: self.completed(a),
                    satisfied: self.satisfied(a, self.primary(a)),
                }
            })
            .collect();
        NavView {
            activities,
            can_continue: current.is_some() && self.would_deliver(&NavRequest::Continue),
            can_previous: current.is_some() && self.would_deliver(&NavRequest::Previous),
            hide: current.map(|c| self.tree.get(c).hide_lms_ui.clone()).unwrap_or_default(),
            current: current.map(|c| self.tree.get(c).id.clone()),
        }
    }
}
