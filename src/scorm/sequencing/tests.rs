//! The SN book's processes step by step on small trees built here: each test names the
//! pseudocode it follows and checks the learner's path and the tracking model it leaves.

use super::definition::*;
use super::*;

fn leaf(id: &str) -> ActivityDef {
    ActivityDef { id: id.into(), title: id.into(), visible: true, launchable: true, sequencing: Sequencing::default(), completed_by_measure: None, progress_weight: 1.0, hide_lms_ui: Vec::new(), children: Vec::new() }
}

fn cluster(id: &str, children: Vec<ActivityDef>) -> ActivityDef {
    ActivityDef { launchable: false, children, ..leaf(id) }
}

fn flow(mut a: ActivityDef, choice: bool) -> ActivityDef {
    a.sequencing.control.flow = true;
    a.sequencing.control.choice = choice;
    a
}

fn cond(kind: ConditionKind, not: bool) -> Condition {
    Condition { kind, not, objective: None, threshold: 0.0 }
}

fn rule(conditions: Vec<Condition>, action: RuleAction) -> Rule {
    Rule { combination: Combination::All, conditions, action }
}

fn map(target: &str, write: bool) -> MapInfo {
    MapInfo { target: target.into(), write_satisfied: write, write_measure: write, ..MapInfo::default() }
}

struct Run {
    tree: ActivityTree,
    state: State,
}

impl Run {
    fn new(root: ActivityDef) -> Run {
        let tree = ActivityTree::new(&root);
        let state = State::for_tree(&tree, 7);
        Run { tree, state }
    }

    fn seq(&mut self) -> Sequencer<'_> {
        Sequencer::new(&self.tree, &mut self.state)
    }

    fn nav(&mut self, r: NavRequest) -> Result<Outcome, SeqError> {
        self.seq().navigate(&r)
    }

    /// The identifier of the activity delivered by `r`, or the exception code.
    fn go(&mut self, r: NavRequest) -> String {
        match self.nav(r) {
            Ok(Outcome::Deliver(a)) => self.tree.get(a).id.clone(),
            Ok(Outcome::EndSession) => "end".into(),
            Ok(Outcome::Nothing) => "nothing".into(),
            Err(e) => e.code.into(),
        }
    }

    fn idx(&self, id: &str) -> usize {
        self.tree.find(id).unwrap()
    }

    fn report(&mut self, id: &str, completed: Option<bool>, satisfied: Option<bool>, measure: Option<f64>) {
        let a = self.idx(id);
        self.seq().report(a, &ScoResult { completed, satisfied, measure, ..ScoResult::default() });
    }

    fn st(&self, id: &str) -> &tree::ActivityState {
        &self.state.activities[self.idx(id)]
    }

    fn satisfied(&mut self, id: &str) -> Option<bool> {
        let a = self.idx(id);
        let s = self.seq();
        let p = s.primary(a);
        s.satisfied(a, p)
    }

    fn completed(&mut self, id: &str) -> Option<bool> {
        let a = self.idx(id);
        self.seq().completed(a)
    }
}

fn three(choice: bool) -> Run {
    Run::new(flow(cluster("root", vec![leaf("a"), leaf("b"), leaf("c")]), choice))
}

#[test]
fn start_and_continue_flow_through_the_tree_to_the_end_of_the_session() {
    // SB.2.5 Start: Flow Subprocess from the root into its first child; SB.2.7 Continue:
    // Flow Tree Traversal to the next sibling; past the last activity SB.2.1 step 3.1 ends
    // the root's attempt and the sequencing session.
    let mut run = three(false);
    assert_eq!(run.go(NavRequest::Start), "a");
    assert!(run.st("a").active && run.st("root").active);
    assert_eq!((run.st("a").attempt_count, run.st("root").attempt_count), (1, 1));
    assert_eq!(run.go(NavRequest::Start), "NB.2.1-1", "start only begins a session");
    assert_eq!(run.go(NavRequest::Continue), "b");
    assert!(!run.st("a").active, "TB.2.3 exit ended a's attempt");
    // UP.4: content that does not set completion and satisfaction gets them set.
    assert_eq!(run.completed("a"), Some(true));
    assert_eq!(run.satisfied("a"), Some(true));
    assert_eq!(run.go(NavRequest::Continue), "c");
    assert_eq!(run.go(NavRequest::Continue), "end");
    assert!(!run.st("root").active);
    assert_eq!(run.state.current, None);
    // RB.1.2 / RB.1.3 default rules: all children satisfied and completed.
    assert_eq!(run.satisfied("root"), Some(true));
    assert_eq!(run.completed("root"), Some(true));
    assert_eq!(run.go(NavRequest::Start), "a", "a new session, a new attempt on the root");
    assert_eq!(run.st("root").attempt_count, 2);
}

#[test]
fn previous_and_forward_only() {
    // NB.2.1 step 4 and SB.2.8; SB.2.1 step 4.1: previous from the first activity is the
    // beginning of the course; forward only refuses previous (NB.2.1-5).
    let mut run = three(false);
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Previous), "SB.2.1-3");
    assert_eq!(run.go(NavRequest::Continue), "b");
    assert_eq!(run.go(NavRequest::Previous), "a");
    assert_eq!(run.st("a").attempt_count, 2);
    let mut root = flow(cluster("root", vec![leaf("a"), leaf("b")]), false);
    root.sequencing.control.forward_only = true;
    let mut run = Run::new(root);
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    assert_eq!(run.go(NavRequest::Previous), "NB.2.1-5");
    assert_eq!(run.state.current, Some(run.idx("b")), "a refused request changes nothing");
    assert!(run.st("b").active);
}

#[test]
fn choice_needs_the_parents_choice_control() {
    // NB.2.1 step 7: a parent without choice refuses (NB.2.1-10); with choice, SB.2.9
    // delivers the target and the current activity's attempt ends (exit termination).
    let mut run = three(false);
    assert_eq!(run.go(NavRequest::Choice("c".into())), "NB.2.1-10");
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Choice("c".into())), "NB.2.1-10");
    assert_eq!(run.go(NavRequest::Choice("nope".into())), "NB.2.1-11");
    let mut run = three(true);
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b", "choice may begin the session");
    assert_eq!(run.go(NavRequest::Choice("a".into())), "a", "SB.2.9 case 2 backward");
    assert!(!run.st("b").active && run.st("a").active);
}

#[test]
fn choice_exit_false_keeps_the_learner_inside_a_cluster() {
    // NB.2.1 step 7.2: an active activity being left must allow choice exit.
    let mut m = flow(cluster("m", vec![leaf("a"), leaf("b")]), true);
    m.sequencing.control.choice_exit = false;
    let mut run = Run::new(flow(cluster("root", vec![m, leaf("x")]), true));
    assert_eq!(run.go(NavRequest::Start), "a");
    assert_eq!(run.go(NavRequest::Choice("x".into())), "NB.2.1-8");
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b", "inside the cluster is fine");
}

#[test]
fn skip_rules_are_passed_over_in_flow() {
    // SB.2.2 step 3: a skipped activity is passed over, both ways.
    let mut b = leaf("b");
    b.sequencing.pre_rules.push(rule(vec![cond(ConditionKind::Always, false)], RuleAction::Skip));
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b, leaf("c")]), false));
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Continue), "c");
    assert_eq!(run.go(NavRequest::Previous), "a");
    assert_eq!(run.st("b").attempt_count, 0);
}

#[test]
fn disabled_activities_stop_flow_choice_and_delivery() {
    // SB.2.2 step 4 (Check Activity Process UP.5): flow onto a disabled activity is refused;
    // a choice of it fails the Delivery Request Process (DB.1.1-3).
    let mut b = leaf("b");
    b.sequencing.pre_rules.push(Rule { combination: Combination::Any, conditions: vec![cond(ConditionKind::Completed, true), cond(ConditionKind::ActivityProgressKnown, true)], action: RuleAction::Disabled });
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b]), true));
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Continue), "SB.2.2-2");
    assert_eq!(run.go(NavRequest::Choice("b".into())), "DB.1.1-3");
    assert_eq!(run.state.current, Some(run.idx("a")));
}

#[test]
fn hidden_from_choice_refuses_choice_but_not_jump_or_flow() {
    // SB.2.9 step 4 (SB.2.9-3); SB.2.13 jump delivers it, and flow reaches it.
    let mut b = leaf("b");
    b.sequencing.pre_rules.push(rule(vec![cond(ConditionKind::Attempted, true)], RuleAction::HiddenFromChoice));
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b, leaf("c")]), true));
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Choice("b".into())), "SB.2.9-3");
    let view = run.seq().view();
    assert!(view.activities[2].hidden && !view.activities[3].hidden && view.activities[3].selectable);
    assert_eq!(run.go(NavRequest::Jump("b".into())), "b");
    assert_eq!(run.go(NavRequest::Choice("a".into())), "a");
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b", "attempted now, no longer hidden");
}

#[test]
fn stop_forward_traversal_limits_choice_forward() {
    // SB.2.4 step 1.1: a choice forward past an activity whose rule stops forward
    // traversal is refused (SB.2.4-1); backward is fine.
    let mut b = leaf("b");
    b.sequencing.pre_rules.push(rule(vec![cond(ConditionKind::Satisfied, true)], RuleAction::StopForwardTraversal));
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b, leaf("c")]), true));
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    run.report("b", Some(true), Some(false), None);
    assert_eq!(run.go(NavRequest::Choice("c".into())), "SB.2.4-1");
    assert_eq!(run.go(NavRequest::Choice("a".into())), "a");
}

#[test]
fn attempt_limits_end_further_attempts() {
    // UP.1 Limit Conditions Check: past attemptLimit the activity may not be delivered.
    let mut a = leaf("a");
    a.sequencing.attempt_limit = Some(1);
    let mut run = Run::new(flow(cluster("root", vec![a, leaf("b")]), true));
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Continue), "b");
    assert_eq!(run.go(NavRequest::Choice("a".into())), "DB.1.1-3");
    assert_eq!(run.go(NavRequest::Previous), "SB.2.2-2");
    let a = run.idx("a");
    assert_eq!(run.seq().evaluate(a, ConditionKind::AttemptLimitExceeded, None, 0.0), Some(true));
}

#[test]
fn remediation_by_post_condition_rules_retries_the_module() {
    // TB.2.2: the failed quiz's post-condition exits its parent; the parent's own post-
    // condition retries it (TB.2.3 step 3.3 loop, SB.2.10 Retry), back to the content.
    let mut quiz = leaf("quiz");
    quiz.sequencing.delivery.objective_set_by_content = true;
    quiz.sequencing.post_rules.push(rule(vec![cond(ConditionKind::Satisfied, true)], RuleAction::ExitParent));
    let mut module = flow(cluster("module", vec![leaf("content"), quiz]), false);
    module.sequencing.post_rules.push(rule(vec![cond(ConditionKind::Satisfied, true)], RuleAction::Retry));
    // Only the quiz decides the module's satisfaction.
    module.children[0].sequencing.rollup.objective_satisfied = false;
    let mut run = Run::new(flow(cluster("root", vec![module, leaf("end")]), false));
    assert_eq!(run.go(NavRequest::Start), "content");
    assert_eq!(run.go(NavRequest::Continue), "quiz");
    run.report("quiz", Some(true), Some(false), Some(0.2));
    assert_eq!(run.satisfied("module"), Some(false));
    assert_eq!(run.go(NavRequest::Continue), "content", "failing sends the learner back");
    assert_eq!(run.st("module").attempt_count, 2);
    assert_eq!(run.satisfied("module"), None, "a new attempt starts with fresh objectives");
    assert_eq!(run.go(NavRequest::Continue), "quiz");
    run.report("quiz", Some(true), Some(true), Some(0.9));
    assert_eq!(run.go(NavRequest::Continue), "end");
    assert_eq!(run.satisfied("module"), Some(true));
}

#[test]
fn post_condition_previous_and_retry_all() {
    // TB.2.2: continue/previous post actions become the sequencing request; retry all is
    // an exit all followed by a retry of the root (TB.2.3 step 4, SB.2.10).
    let mut b = leaf("b");
    b.sequencing.delivery.objective_set_by_content = true;
    b.sequencing.post_rules.push(rule(vec![cond(ConditionKind::Satisfied, true)], RuleAction::Previous));
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b.clone()]), false));
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    run.report("b", Some(true), Some(false), None);
    assert_eq!(run.go(NavRequest::Continue), "a");
    b.sequencing.post_rules[0].action = RuleAction::RetryAll;
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b]), false));
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    run.report("b", Some(true), Some(false), None);
    assert_eq!(run.go(NavRequest::Continue), "a");
    assert_eq!(run.st("root").attempt_count, 2);
}

#[test]
fn exit_action_rules_end_the_ancestor() {
    // TB.2.1: the outermost ancestor whose exit rule fires ends; flow goes on after it.
    let mut module = flow(cluster("module", vec![leaf("a"), leaf("b")]), false);
    module.sequencing.exit_rules.push(rule(vec![cond(ConditionKind::Satisfied, false)], RuleAction::Exit));
    module.sequencing.rollup_rules.push(RollupRule {
        child_set: ChildSet::Any,
        minimum_count: 0,
        minimum_percent: 0.0,
        combination: Combination::Any,
        conditions: vec![RollupCondition { kind: ConditionKind::Satisfied, not: false }],
        action: RollupAction::Satisfied,
    });
    let mut run = Run::new(flow(cluster("root", vec![module, leaf("x")]), false));
    run.go(NavRequest::Start);
    // a is satisfied by the LMS at the end of its attempt; the module is then satisfied
    // by its rule (any child), its exit rule fires, and continue leaves the module.
    assert_eq!(run.go(NavRequest::Continue), "x");
    assert_eq!(run.st("b").attempt_count, 0);
    assert!(!run.st("module").active);
}

#[test]
fn rollup_by_measure_weights_and_controls() {
    // RB.1.1 measure rollup by objectiveMeasureWeight; RB.1.2.a satisfied by measure;
    // RB.1.4.2 a child with rollupObjectiveSatisfied false does not count.
    let mut a = leaf("a");
    a.sequencing.rollup.measure_weight = 3.0;
    let mut b = leaf("b");
    b.sequencing.rollup.measure_weight = 1.0;
    b.sequencing.rollup.objective_satisfied = false;
    let mut root = flow(cluster("root", vec![a, b]), true);
    root.sequencing.objectives.push(Objective { primary: true, satisfied_by_measure: true, min_measure: 0.7, ..Objective::default() });
    let mut run = Run::new(root);
    run.go(NavRequest::Start);
    run.report("a", Some(true), Some(true), Some(0.8));
    let r = run.idx("root");
    assert!((run.seq().measure(r, 0).unwrap() - 0.6).abs() < 1e-9, "b counts with its weight though its measure is unknown: 0.8*3 / 4");
    run.go(NavRequest::Continue);
    run.report("b", Some(true), Some(false), Some(0.4));
    assert!((run.seq().measure(r, 0).unwrap() - 0.7).abs() < 1e-9, "(0.8*3 + 0.4*1) / 4");
    assert_eq!(run.satisfied("root"), Some(true), "0.7 reaches the minimum; measureSatisfactionIfActive (default true) lets an active root be judged");
    run.tree.activities[0].seq.considerations.measure_satisfaction_if_active = false;
    let b = run.idx("b");
    run.seq().report(b, &ScoResult { completed: Some(true), satisfied: Some(false), measure: Some(0.1), ..ScoResult::default() });
    assert_eq!(run.satisfied("root"), None, "without it, an active activity's measure does not decide");
    run.go(NavRequest::ExitAll);
    assert_eq!(run.satisfied("root"), Some(false), "ended: (0.8*3 + 0.1) / 4 < 0.7");
}

#[test]
fn default_rollup_and_custom_rules() {
    // RB.1.2.c defaults: not satisfied once all children's status is known and one failed;
    // a custom atLeastCount rule satisfies the parent with one passed child.
    let mut run = three(true);
    for id in ["a", "b", "c"] {
        run.go(NavRequest::Choice(id.into()));
        run.report(id, Some(true), Some(id != "b"), None);
    }
    assert_eq!(run.satisfied("root"), Some(false));
    assert_eq!(run.completed("root"), Some(true));
    let mut root = flow(cluster("root", vec![leaf("a"), leaf("b")]), true);
    root.sequencing.rollup_rules.push(RollupRule {
        child_set: ChildSet::AtLeastCount,
        minimum_count: 1,
        minimum_percent: 0.0,
        combination: Combination::Any,
        conditions: vec![RollupCondition { kind: ConditionKind::Satisfied, not: false }],
        action: RollupAction::Satisfied,
    });
    root.sequencing.rollup_rules.push(RollupRule {
        child_set: ChildSet::All,
        minimum_count: 0,
        minimum_percent: 0.0,
        combination: Combination::Any,
        conditions: vec![RollupCondition { kind: ConditionKind::Completed, not: true }],
        action: RollupAction::Incomplete,
    });
    let mut run = Run::new(root);
    run.go(NavRequest::Start);
    run.report("a", Some(false), Some(true), None);
    assert_eq!(run.satisfied("root"), Some(true), "one satisfied child is enough");
    assert_eq!(run.completed("root"), None, "b is unknown, so `all not completed` is unknown");
}

#[test]
fn completion_measure_rollup_by_progress_weight() {
    // 4th edition completion measure rollup and RB.1.3 by measure (completedByMeasure).
    let mut a = leaf("a");
    a.progress_weight = 0.75;
    let mut b = leaf("b");
    b.progress_weight = 0.25;
    let mut root = flow(cluster("root", vec![a, b]), true);
    root.completed_by_measure = Some(0.6);
    let mut run = Run::new(root);
    run.go(NavRequest::Start);
    let a = run.idx("a");
    run.seq().report(a, &ScoResult { progress_measure: Some(1.0), completed: Some(true), ..ScoResult::default() });
    assert_eq!(run.st("root").attempt_completion_amount, Some(0.75));
    assert_eq!(run.completed("root"), Some(true));
}

#[test]
fn global_objectives_carry_status_between_activities() {
    // SN 3.10.2: a writes its primary objective to a global; b's pre-condition reads it
    // through its own mapped objective (the forced sequential pattern).
    let mut a = leaf("a");
    a.sequencing.delivery.objective_set_by_content = true;
    a.sequencing.objectives.push(Objective { id: "a_done".into(), primary: true, maps: vec![map("g.a", true)], ..Objective::default() });
    let mut b = leaf("b");
    b.sequencing.objectives.push(Objective { id: "b_obj".into(), primary: true, ..Objective::default() });
    b.sequencing.objectives.push(Objective { id: "prev".into(), maps: vec![map("g.a", false)], ..Objective::default() });
    b.sequencing.pre_rules.push(Rule {
        combination: Combination::Any,
        conditions: vec![Condition { objective: Some("prev".into()), ..cond(ConditionKind::Satisfied, true) }, Condition { objective: Some("prev".into()), ..cond(ConditionKind::ObjectiveStatusKnown, true) }],
        action: RuleAction::Disabled,
    });
    let mut run = Run::new(flow(cluster("root", vec![a, b]), true));
    assert_eq!(run.go(NavRequest::Start), "a");
    assert_eq!(run.go(NavRequest::Choice("b".into())), "DB.1.1-3");
    run.report("a", Some(true), Some(false), Some(0.3));
    assert_eq!(run.state.globals["g.a"].satisfied, false);
    assert!(run.state.globals["g.a"].measure_known && run.state.globals["g.a"].progress_known);
    assert_eq!(run.go(NavRequest::Choice("b".into())), "DB.1.1-3", "failed still disables b");
    run.go(NavRequest::Choice("a".into()));
    run.report("a", Some(true), Some(true), Some(0.9));
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b");
}

#[test]
fn completion_through_adlseq_maps() {
    // 4th edition adlseq:mapInfo: a's completion goes to a global; b's referenced
    // objective reads it (the golf 4th edition example).
    let mut a = leaf("a");
    a.sequencing.delivery.completion_set_by_content = true;
    a.sequencing.objectives.push(Objective { id: "a_c".into(), primary: true, maps: vec![MapInfo { target: "g.a".into(), read_satisfied: false, read_measure: false, read_completion: true, write_completion: true, ..MapInfo::default() }], ..Objective::default() });
    let mut b = leaf("b");
    b.sequencing.objectives.push(Objective { primary: true, ..Objective::default() });
    b.sequencing.objectives.push(Objective { id: "prev".into(), maps: vec![MapInfo { target: "g.a".into(), read_completion: true, ..MapInfo::default() }], ..Objective::default() });
    let prev = |kind, not| Condition { objective: Some("prev".into()), ..cond(kind, not) };
    b.sequencing.pre_rules.push(Rule { combination: Combination::Any, conditions: vec![prev(ConditionKind::Completed, true), prev(ConditionKind::ActivityProgressKnown, true)], action: RuleAction::Disabled });
    let mut run = Run::new(flow(cluster("root", vec![a, b]), true));
    run.go(NavRequest::Start);
    run.report("a", Some(false), None, None);
    assert_eq!(run.go(NavRequest::Choice("b".into())), "DB.1.1-3");
    run.go(NavRequest::Choice("a".into()));
    run.report("a", Some(true), None, None);
    assert!(run.state.globals["g.a"].completed);
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b");
}

#[test]
fn suspend_all_and_resume_all() {
    // TB.2.3 step 5: suspend all marks the path suspended and ends the session; SB.2.6
    // resume all delivers the suspended activity without a new attempt (DB.2 step 5).
    let mut run = three(false);
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    assert_eq!(run.go(NavRequest::SuspendAll), "end");
    assert_eq!(run.state.suspended, Some(run.idx("b")));
    assert!(run.st("b").suspended && run.st("root").suspended);
    assert_eq!(run.go(NavRequest::Start), "a", "start is allowed too, and clears the suspension (DB.2.1)");
    assert!(!run.st("b").suspended);
    let mut run = three(false);
    run.go(NavRequest::Start);
    run.go(NavRequest::Continue);
    run.go(NavRequest::SuspendAll);
    assert_eq!(run.go(NavRequest::ResumeAll), "b");
    assert_eq!((run.st("b").attempt_count, run.st("root").attempt_count), (1, 1));
    assert!(!run.st("b").suspended && run.st("b").active);
    assert_eq!(run.go(NavRequest::ResumeAll), "NB.2.1-1");
}

#[test]
fn open_resumes_a_window_closed_mid_attempt() {
    let mut run = three(false);
    assert_eq!(run.seq().open(), Ok(Outcome::Deliver(1)));
    run.go(NavRequest::Continue);
    let b = run.idx("b");
    assert_eq!(run.seq().open(), Ok(Outcome::Deliver(b)), "the active activity is suspended, then resumed");
    assert_eq!(run.st("b").attempt_count, 1);
}

#[test]
fn exit_all_abandon_and_exit() {
    // NB.2.1 steps 8-11.
    let mut run = three(true);
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Exit), "nothing", "SB.2.11: a leaf's exit delivers nothing");
    assert_eq!(run.go(NavRequest::Exit), "NB.2.1-12");
    assert_eq!(run.go(NavRequest::Choice("b".into())), "b");
    assert_eq!(run.go(NavRequest::Abandon), "nothing");
    assert_eq!(run.completed("b"), None, "abandon does not end the attempt's tracking");
    assert_eq!(run.go(NavRequest::Choice("c".into())), "c");
    assert_eq!(run.go(NavRequest::ExitAll), "end");
    assert!(run.state.activities.iter().all(|s| !s.active));
    assert_eq!(run.go(NavRequest::AbandonAll), "NB.2.1-2");
    assert_eq!(run.go(NavRequest::Continue), "NB.2.1-2");
}

#[test]
fn selection_and_randomization_per_attempt() {
    // SR.1 Select Children and SR.2 Randomize Children at a new attempt.
    let mut root = flow(cluster("root", vec![leaf("a"), leaf("b"), leaf("c"), leaf("d")]), true);
    root.sequencing.randomization = Randomization { selection_timing: Timing::Once, select_count: Some(2), randomization_timing: Timing::Once, reorder_children: true };
    let mut run = Run::new(root);
    run.go(NavRequest::Start);
    let available = run.state.activities[0].available_children.clone().unwrap();
    assert_eq!(available.len(), 2);
    let first = run.tree.get(available[0]).id.clone();
    assert_eq!(run.state.current, Some(available[0]), "flow starts at the first available child: {first}");
    let left_out = (1..5).find(|a| !available.contains(a)).unwrap();
    let id = run.tree.get(left_out).id.clone();
    assert_eq!(run.go(NavRequest::Choice(id)), "SB.2.9-2");
    let mut again = Run::new(flow(cluster("root", vec![leaf("a"), leaf("b"), leaf("c"), leaf("d")]), true));
    again.tree.activities[0].seq.randomization = run.tree.get(0).seq.randomization;
    again.go(NavRequest::Start);
    assert_eq!(again.state.activities[0].available_children.as_ref(), Some(&available), "the same seed, the same selection and order");
}

#[test]
fn untracked_activities_keep_no_state() {
    // SN 3.13.1 tracked = false: no attempts counted, no results recorded.
    let mut a = leaf("a");
    a.sequencing.delivery.tracked = false;
    let mut run = Run::new(flow(cluster("root", vec![a, leaf("b")]), true));
    run.go(NavRequest::Start);
    run.report("a", Some(true), Some(false), None);
    assert_eq!(run.st("a").attempt_count, 0);
    assert_eq!(run.completed("a"), None);
    assert_eq!(run.go(NavRequest::Continue), "b");
}

#[test]
fn the_view_shows_what_choice_and_flow_allow() {
    let mut run = three(false);
    run.go(NavRequest::Start);
    let view = run.seq().view();
    assert!(view.can_continue && !view.can_previous);
    assert!(view.activities.iter().all(|a| !a.selectable), "no choice");
    assert_eq!(view.current.as_deref(), Some("a"));
    let before = run.state.clone();
    let _ = run.seq().view();
    assert_eq!(run.state, before, "asking changes nothing");
}

#[test]
fn nav_requests_parse_like_adl_nav_request() {
    assert_eq!(NavRequest::parse("continue"), Ok(Some(NavRequest::Continue)));
    assert_eq!(NavRequest::parse("{target=quiz}choice"), Ok(Some(NavRequest::Choice("quiz".into()))));
    assert_eq!(NavRequest::parse("{target=quiz}jump"), Ok(Some(NavRequest::Jump("quiz".into()))));
    assert_eq!(NavRequest::parse("_none_"), Ok(None));
    assert!(NavRequest::parse("{target=quiz}fly").is_err());
    assert!(NavRequest::parse("sideways").is_err());
}

fn rollup_rule(child_set: ChildSet, kind: ConditionKind, not: bool, action: RollupAction) -> RollupRule {
    RollupRule { child_set, minimum_count: 0, minimum_percent: 0.0, combination: Combination::Any, conditions: vec![RollupCondition { kind, not }], action }
}

#[test]
fn measure_conditions_compare_against_their_threshold() {
    // UP.2.1: objectiveMeasureGreaterThan / LessThan are unknown without a measure.
    let mut run = three(true);
    run.go(NavRequest::Start);
    let a = run.idx("a");
    assert_eq!(run.seq().evaluate(a, ConditionKind::ObjectiveMeasureGreaterThan, None, 0.5), None);
    run.report("a", Some(true), Some(true), Some(0.6));
    assert_eq!(run.seq().evaluate(a, ConditionKind::ObjectiveMeasureGreaterThan, None, 0.5), Some(true));
    assert_eq!(run.seq().evaluate(a, ConditionKind::ObjectiveMeasureLessThan, None, 0.5), Some(false));
    assert_eq!(run.seq().evaluate(a, ConditionKind::ObjectiveMeasureKnown, None, 0.0), Some(true));
    assert_eq!(run.seq().evaluate(a, ConditionKind::TimeLimitExceeded, None, 0.0), Some(false), "not tracked here");
}

#[test]
fn rollup_child_sets_none_and_at_least_percent() {
    // RB.1.4: `none` needs every contributing child false; `atLeastPercent` a share.
    let mut root = flow(cluster("root", vec![leaf("a"), leaf("b"), leaf("c")]), true);
    root.sequencing.rollup_rules = vec![
        rollup_rule(ChildSet::None, ConditionKind::Satisfied, false, RollupAction::NotSatisfied),
        RollupRule { minimum_percent: 0.6, ..rollup_rule(ChildSet::AtLeastPercent, ConditionKind::Satisfied, false, RollupAction::Satisfied) },
    ];
    let mut run = Run::new(root);
    for id in ["a", "b", "c"] {
        run.go(NavRequest::Choice(id.into()));
        run.report(id, Some(true), Some(false), None);
    }
    assert_eq!(run.satisfied("root"), Some(false), "none of them satisfied");
    run.go(NavRequest::Choice("a".into()));
    run.report("a", Some(true), Some(true), None);
    assert_eq!(run.satisfied("root"), Some(false), "1 of 3 is below 60%, and `none` no longer holds: the status stays");
    run.go(NavRequest::Choice("b".into()));
    run.report("b", Some(true), Some(true), None);
    assert_eq!(run.satisfied("root"), Some(true), "2 of 3");
}

#[test]
fn rollup_considerations_leave_out_children_not_attempted_or_skipped() {
    // RB.1.4.2 Check Child for Rollup: requiredForSatisfied ifAttempted, ifNotSkipped.
    let mut b = leaf("b");
    b.sequencing.considerations.required_for_satisfied = Required::IfAttempted;
    b.sequencing.considerations.required_for_completed = Required::IfAttempted;
    let mut c = leaf("c");
    c.sequencing.considerations.required_for_satisfied = Required::IfNotSkipped;
    c.sequencing.considerations.required_for_not_satisfied = Required::IfNotSkipped;
    c.sequencing.considerations.required_for_completed = Required::IfNotSkipped;
    c.sequencing.pre_rules.push(rule(vec![cond(ConditionKind::Always, false)], RuleAction::Skip));
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b, c]), true));
    run.go(NavRequest::Start);
    run.report("a", Some(true), Some(true), None);
    assert_eq!(run.satisfied("root"), Some(true), "b is not attempted and c is skipped: a alone decides");
    assert_eq!(run.completed("root"), Some(true));
    run.go(NavRequest::Choice("b".into()));
    run.report("b", Some(true), Some(false), None);
    assert_eq!(run.satisfied("root"), Some(false), "b attempted and failed: the default not-satisfied rule over a and b (c skipped)");
}

#[test]
fn if_not_suspended_leaves_out_a_suspended_child() {
    let mut b = leaf("b");
    b.sequencing.considerations.required_for_satisfied = Required::IfNotSuspended;
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), b]), true));
    run.go(NavRequest::Start);
    run.report("a", Some(true), Some(true), None);
    run.go(NavRequest::Choice("b".into()));
    let b = run.idx("b");
    run.seq().report(b, &ScoResult { completed: Some(false), satisfied: Some(false), suspended: true, ..ScoResult::default() });
    assert_eq!(run.satisfied("root"), Some(true), "b is suspended: not counted");
}

#[test]
fn exit_all_post_condition_ends_the_session() {
    // TB.2.2 exitAll: the termination becomes exit all, the session ends.
    let mut a = leaf("a");
    a.sequencing.post_rules.push(rule(vec![cond(ConditionKind::Completed, false)], RuleAction::ExitAll));
    let mut run = Run::new(flow(cluster("root", vec![a, leaf("b")]), false));
    run.go(NavRequest::Start);
    run.report("a", Some(true), None, None);
    assert_eq!(run.go(NavRequest::Continue), "end");
    assert_eq!(run.st("b").attempt_count, 0);
}

#[test]
fn randomization_on_each_new_attempt_reorders_again() {
    // SR.2 with randomizationTiming onEachNewAttempt: each attempt of the cluster gets an
    // order of its own (over a few attempts at least one differs).
    let ids = ["a", "b", "c", "d", "e", "f"];
    let mut root = flow(cluster("root", ids.iter().map(|i| leaf(i)).collect()), true);
    root.sequencing.randomization = Randomization { randomization_timing: Timing::OnEachNewAttempt, reorder_children: true, ..Randomization::default() };
    let mut run = Run::new(root);
    let mut orders = Vec::new();
    for _ in 0..4 {
        run.go(NavRequest::Start);
        orders.push(run.state.activities[0].available_children.clone().unwrap());
        run.go(NavRequest::ExitAll);
    }
    assert!(orders.iter().all(|o| o.len() == 6));
    assert!(orders.windows(2).any(|w| w[0] != w[1]), "{orders:?}");
    assert_eq!(run.st("root").attempt_count, 4);
}

#[test]
fn prevent_activation_refuses_choosing_into_an_inactive_cluster() {
    // SB.2.9 case 3 / 5 (SB.2.9-6): a cluster that prevents activation is entered by flow,
    // not by a choice of something inside it.
    let mut m = flow(cluster("m", vec![leaf("m1"), leaf("m2")]), true);
    m.sequencing.prevent_activation = true;
    let mut run = Run::new(flow(cluster("root", vec![leaf("a"), m]), true));
    run.go(NavRequest::Start);
    assert_eq!(run.go(NavRequest::Choice("m2".into())), "SB.2.9-6");
    assert_eq!(run.go(NavRequest::Continue), "m1", "flow enters it");
    assert_eq!(run.go(NavRequest::Choice("m2".into())), "m2", "active now");
}
