//! The activity tree (SN 2.1) built from its definition, and the tracking model (SN 4.2):
//! per activity the attempt and objective progress, per learner the global objectives, and
//! the current and suspended activity. The state is plain data, stored per learner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::definition::{ActivityDef, Objective, Sequencing};

/// An activity of the tree; index 0 is the root, the order is pre-order.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub title: String,
    pub visible: bool,
    pub launchable: bool,
    pub seq: Sequencing,
    pub hide_lms_ui: Vec<String>,
    pub completed_by_measure: Option<f64>,
    pub progress_weight: f64,
    pub parent: Option<usize>,
    /// The declared children, in manifest order (selection and randomization choose the
    /// available ones, per attempt, in the state).
    pub children: Vec<usize>,
}

/// The activity tree of one course version.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTree {
    pub activities: Vec<Activity>,
}

impl ActivityTree {
    /// Flattens a definition; every activity gets a primary objective (SN 3.10: each
    /// activity has one, implicit when the manifest declares none).
    pub fn new(root: &ActivityDef) -> ActivityTree {
        let mut tree = ActivityTree { activities: Vec::new() };
        tree.push(root, None);
        tree
    }

    fn push(&mut self, def: &ActivityDef, parent: Option<usize>) -> usize {
        let index = self.activities.len();
        let mut seq = def.sequencing.clone();
        if !seq.objectives.iter().any(|o| o.primary) {
            seq.objectives.insert(0, Objective { primary: true, ..Objective::default() });
        }
        self.activities.push(Activity {
            id: def.id.clone(),
            title: def.title.clone(),
            visible: def.visible,
            launchable: def.launchable,
            seq,
            hide_lms_ui: def.hide_lms_ui.clone(),
            completed_by_measure: def.completed_by_measure,
            progress_weight: def.progress_weight,
            parent,
            children: Vec::new(),
        });
        for child in &def.children {
            let c = self.push(child, Some(index));
            self.activities[index].children.push(c);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.activities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.activities.is_empty()
    }

    pub fn get(&self, a: usize) -> &Activity {
        &self.activities[a]
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.activities.iter().position(|a| a.id == id)
    }

    pub fn is_leaf(&self, a: usize) -> bool {
        self.activities[a].children.is_empty()
    }

    pub fn parent(&self, a: usize) -> Option<usize> {
        self.activities[a].parent
    }

    /// `a` and its ancestors, `a` first.
    pub fn path_to_root(&self, a: usize) -> Vec<usize> {
        let mut out = vec![a];
        let mut at = a;
        while let Some(p) = self.activities[at].parent {
            out.push(p);
            at = p;
        }
        out
    }

    /// Whether `ancestor` is `a` or one of its ancestors.
    pub fn is_ancestor_or_self(&self, ancestor: usize, a: usize) -> bool {
        self.path_to_root(a).contains(&ancestor)
    }

    /// The deepest activity that is an ancestor of (or equal to) both.
    pub fn common_ancestor(&self, a: usize, b: usize) -> usize {
        let up = self.path_to_root(b);
        self.path_to_root(a).into_iter().find(|x| up.contains(x)).unwrap_or(0)
    }
}

/// Objective progress information (SN 4.2.1.1), local to an activity or global.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectiveState {
    pub progress_known: bool,
    pub satisfied: bool,
    pub measure_known: bool,
    pub measure: f64,
    /// 4th edition: completion status and progress measure of the objective.
    pub completion_known: bool,
    pub completed: bool,
    pub progress_measure: Option<f64>,
}

/// Activity and attempt progress information (SN 4.2.1.2 - 4.2.1.3) and the activity state
/// (SN 4.2.1.4) of one activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityState {
    /// Activity Progress Status: the activity has been attempted at least once.
    pub progress_known: bool,
    pub attempt_count: u32,
    pub attempt_progress_known: bool,
    pub attempt_completed: bool,
    pub attempt_completion_amount: Option<f64>,
    pub active: bool,
    pub suspended: bool,
    /// Available children (SN 4.2.1.4) after selection and randomization; `None` until an
    /// attempt chose them, which means all declared children in order.
    pub available_children: Option<Vec<usize>>,
    /// The attempt number `available_children` were chosen for.
    pub children_chosen_for: u32,
    /// Parallel to the activity's objectives (primary included).
    pub objectives: Vec<ObjectiveState>,
}

/// The sequencing state of one learner in one course version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub activities: Vec<ActivityState>,
    pub current: Option<usize>,
    pub suspended: Option<usize>,
    /// Global objectives by target id (SN 3.10.2): shared by the activities that map them.
    pub globals: BTreeMap<String, ObjectiveState>,
    /// Seed of selection and randomization, so a learner's order is reproducible.
    pub seed: u64,
    /// The caller's name for the last SCO session whose Terminate was carried out, so that
    /// a repeated Terminate (the bridge's beacon and the player both send it) navigates once.
    pub terminated_session: Option<String>,
}

impl State {
    /// A fresh state for `tree`, or `self` adapted when it was stored for another shape.
    pub fn for_tree(tree: &ActivityTree, seed: u64) -> State {
        let activities = tree
            .activities
            .iter()
            .map(|a| ActivityState { objectives: vec![ObjectiveState::default(); a.seq.objectives.len()], ..ActivityState::default() })
            .collect();
        State { activities, current: None, suspended: None, globals: BTreeMap::new(), seed, terminated_session: None }
    }

    /// Whether a stored state fits `tree` (same number of activities and objectives).
    pub fn fits(&self, tree: &ActivityTree) -> bool {
        self.activities.len() == tree.len() && self.activities.iter().zip(&tree.activities).all(|(s, a)| s.objectives.len() == a.seq.objectives.len())
    }

    pub fn available_children(&self, tree: &ActivityTree, a: usize) -> Vec<usize> {
        self.activities[a].available_children.clone().unwrap_or_else(|| tree.get(a).children.clone())
    }
}
