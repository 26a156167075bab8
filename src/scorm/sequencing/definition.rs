//! The sequencing definition model (SN book 3.x): what a manifest's `imsss:sequencing`, its
//! `adlseq`/`adlnav` extensions and `sequencingCollection` say about one activity, with the
//! SN book's default for every element a manifest leaves out.

use serde::{Deserialize, Serialize};

/// One activity of the tree as declared: a cluster when it has children, a leaf (one SCO or
/// asset) otherwise. `id` is the item's identifier (the organization's for the root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityDef {
    pub id: String,
    pub title: String,
    /// `isvisible` of the item (false: not shown in the table of contents).
    #[serde(default = "yes")]
    pub visible: bool,
    /// Whether the activity launches a resource (leaves do; a cluster never is delivered).
    #[serde(default)]
    pub launchable: bool,
    #[serde(default)]
    pub sequencing: Sequencing,
    /// `adlcp:completionThreshold`: `minProgressMeasure` when `completedByMeasure` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_by_measure: Option<f64>,
    /// `adlcp:completionThreshold progressWeight`: weight in completion measure rollup.
    #[serde(default = "one")]
    pub progress_weight: f64,
    /// `adlnav:presentation/navigationInterface/hideLMSUI` values (`continue`, `previous`,
    /// `exit`, `exitAll`, `abandon`, `abandonAll`, `suspendAll`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide_lms_ui: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ActivityDef>,
}

fn yes() -> bool {
    true
}

fn one() -> f64 {
    1.0
}

/// The sequencing definition of one activity (SN 3.1 - 3.13, 4th edition), defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sequencing {
    pub control: ControlMode,
    pub pre_rules: Vec<Rule>,
    pub exit_rules: Vec<Rule>,
    pub post_rules: Vec<Rule>,
    /// `limitConditions attemptLimit`; `None` (or 0 in the manifest) is no limit.
    pub attempt_limit: Option<u32>,
    /// `attemptAbsoluteDurationLimit`, as written (ISO 8601 duration); passed to the SCO.
    pub attempt_duration_limit: Option<String>,
    pub rollup_rules: Vec<RollupRule>,
    pub rollup: RollupControls,
    pub considerations: RollupConsiderations,
    /// The primary objective first (when declared), then the others in manifest order.
    pub objectives: Vec<Objective>,
    pub randomization: Randomization,
    pub delivery: DeliveryControls,
    pub constrain_choice: bool,
    pub prevent_activation: bool,
}

impl Default for Sequencing {
    fn default() -> Self {
        Sequencing {
            control: ControlMode::default(),
            pre_rules: Vec::new(),
            exit_rules: Vec::new(),
            post_rules: Vec::new(),
            attempt_limit: None,
            attempt_duration_limit: None,
            rollup_rules: Vec::new(),
            rollup: RollupControls::default(),
            considerations: RollupConsiderations::default(),
            objectives: Vec::new(),
            randomization: Randomization::default(),
            delivery: DeliveryControls::default(),
            constrain_choice: false,
            prevent_activation: false,
        }
    }
}

/// SN 3.2 Sequencing Control Modes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControlMode {
    pub choice: bool,
    pub choice_exit: bool,
    pub flow: bool,
    pub forward_only: bool,
    pub use_current_attempt_objective_info: bool,
    pub use_current_attempt_progress_info: bool,
}

impl Default for ControlMode {
    fn default() -> Self {
        ControlMode { choice: true, choice_exit: true, flow: false, forward_only: false, use_current_attempt_objective_info: true, use_current_attempt_progress_info: true }
    }
}

/// A pre-, exit- or post-condition rule (SN 3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub combination: Combination,
    pub conditions: Vec<Condition>,
    pub action: RuleAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Combination {
    All,
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub kind: ConditionKind,
    /// `operator="not"`.
    pub not: bool,
    /// `referencedObjective`; `None` is the activity's primary objective.
    pub objective: Option<String>,
    pub threshold: f64,
}

/// The rule condition vocabulary (SN 3.4.2, table 3.4.2a); rollup conditions use the same
/// names except `always` and the measure comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionKind {
    Satisfied,
    ObjectiveStatusKnown,
    ObjectiveMeasureKnown,
    ObjectiveMeasureGreaterThan,
    ObjectiveMeasureLessThan,
    Completed,
    ActivityProgressKnown,
    Attempted,
    AttemptLimitExceeded,
    TimeLimitExceeded,
    OutsideAvailableTimeRange,
    Always,
}

impl ConditionKind {
    pub fn parse(s: &str) -> Option<ConditionKind> {
        use ConditionKind::*;
        Some(match s {
            "satisfied" => Satisfied,
            "objectiveStatusKnown" => ObjectiveStatusKnown,
            "objectiveMeasureKnown" => ObjectiveMeasureKnown,
            "objectiveMeasureGreaterThan" => ObjectiveMeasureGreaterThan,
            "objectiveMeasureLessThan" => ObjectiveMeasureLessThan,
            "completed" => Completed,
            "activityProgressKnown" => ActivityProgressKnown,
            "attempted" => Attempted,
            "attemptLimitExceeded" => AttemptLimitExceeded,
            "timeLimitExceeded" => TimeLimitExceeded,
            "outsideAvailableTimeRange" => OutsideAvailableTimeRange,
            "always" => Always,
            _ => return None,
        })
    }
}

/// Rule actions (SN 3.4.3): pre-condition `skip`, `disabled`, `hiddenFromChoice`,
/// `stopForwardTraversal`; exit `exitParent`, `exitAll`; post `exitParent`, `exitAll`,
/// `retry`, `retryAll`, `continue`, `previous`; exit-condition `exit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleAction {
    Skip,
    Disabled,
    HiddenFromChoice,
    StopForwardTraversal,
    Exit,
    ExitParent,
    ExitAll,
    Retry,
    RetryAll,
    Continue,
    Previous,
}

impl RuleAction {
    pub fn parse(s: &str) -> Option<RuleAction> {
        use RuleAction::*;
        Some(match s {
            "skip" => Skip,
            "disabled" => Disabled,
            "hiddenFromChoice" => HiddenFromChoice,
            "stopForwardTraversal" => StopForwardTraversal,
            "exit" => Exit,
            "exitParent" => ExitParent,
            "exitAll" => ExitAll,
            "retry" => Retry,
            "retryAll" => RetryAll,
            "continue" => Continue,
            "previous" => Previous,
            _ => return None,
        })
    }
}

/// A rollup rule (SN 3.7): when the children in `child_set` meet the conditions, the action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupRule {
    pub child_set: ChildSet,
    pub minimum_count: u32,
    pub minimum_percent: f64,
    pub combination: Combination,
    pub conditions: Vec<RollupCondition>,
    pub action: RollupAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChildSet {
    All,
    Any,
    None,
    AtLeastCount,
    AtLeastPercent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupCondition {
    pub kind: ConditionKind,
    pub not: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RollupAction {
    Satisfied,
    NotSatisfied,
    Completed,
    Incomplete,
}

/// SN 3.7.x rollup controls on `rollupRules`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RollupControls {
    pub objective_satisfied: bool,
    pub progress_completion: bool,
    pub measure_weight: f64,
}

impl Default for RollupControls {
    fn default() -> Self {
        RollupControls { objective_satisfied: true, progress_completion: true, measure_weight: 1.0 }
    }
}

/// `adlseq:rollupConsiderations` (SN 4th ed. 3.7.3): when a child takes part in rollup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RollupConsiderations {
    pub required_for_satisfied: Required,
    pub required_for_not_satisfied: Required,
    pub required_for_completed: Required,
    pub required_for_incomplete: Required,
    pub measure_satisfaction_if_active: bool,
}

impl Default for RollupConsiderations {
    fn default() -> Self {
        RollupConsiderations {
            required_for_satisfied: Required::Always,
            required_for_not_satisfied: Required::Always,
            required_for_completed: Required::Always,
            required_for_incomplete: Required::Always,
            measure_satisfaction_if_active: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Required {
    Always,
    IfAttempted,
    IfNotSkipped,
    IfNotSuspended,
}

impl Required {
    pub fn parse(s: &str) -> Option<Required> {
        Some(match s {
            "always" => Required::Always,
            "ifAttempted" => Required::IfAttempted,
            "ifNotSkipped" => Required::IfNotSkipped,
            "ifNotSuspended" => Required::IfNotSuspended,
            _ => return None,
        })
    }
}

/// A local objective (SN 3.10) with its maps to global objectives (SN 3.10.2, and the
/// 4th edition's `adlseq:mapInfo` for completion status and progress measure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Objective {
    /// May be empty for a primary objective that declares no id.
    pub id: String,
    pub primary: bool,
    pub satisfied_by_measure: bool,
    pub min_measure: f64,
    pub maps: Vec<MapInfo>,
}

impl Default for Objective {
    fn default() -> Self {
        Objective { id: String::new(), primary: false, satisfied_by_measure: false, min_measure: 1.0, maps: Vec::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapInfo {
    pub target: String,
    pub read_satisfied: bool,
    pub read_measure: bool,
    pub write_satisfied: bool,
    pub write_measure: bool,
    pub read_completion: bool,
    pub write_completion: bool,
    pub read_progress: bool,
    pub write_progress: bool,
}

impl Default for MapInfo {
    fn default() -> Self {
        MapInfo {
            target: String::new(),
            read_satisfied: true,
            read_measure: true,
            write_satisfied: false,
            write_measure: false,
            read_completion: false,
            write_completion: false,
            read_progress: false,
            write_progress: false,
        }
    }
}

/// SN 3.11 selection and randomization controls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Randomization {
    pub selection_timing: Timing,
    pub select_count: Option<u32>,
    pub randomization_timing: Timing,
    pub reorder_children: bool,
}

impl Default for Randomization {
    fn default() -> Self {
        Randomization { selection_timing: Timing::Never, select_count: None, randomization_timing: Timing::Never, reorder_children: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Timing {
    Never,
    Once,
    OnEachNewAttempt,
}

impl Timing {
    pub fn parse(s: &str) -> Option<Timing> {
        Some(match s {
            "never" => Timing::Never,
            "once" => Timing::Once,
            "onEachNewAttempt" => Timing::OnEachNewAttempt,
            _ => return None,
        })
    }
}

/// SN 3.13 delivery controls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryControls {
    pub tracked: bool,
    pub completion_set_by_content: bool,
    pub objective_set_by_content: bool,
}

impl Default for DeliveryControls {
    fn default() -> Self {
        DeliveryControls { tracked: true, completion_set_by_content: false, objective_set_by_content: false }
    }
}
