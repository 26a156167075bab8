//! The SCORM 2004 activity tree read from the manifest (SN book chapter 5, CAM 5.1): each
//! item's `imsss:sequencing` (merged over the `sequencingCollection` entry its `IDRef`
//! names), `adlseq` extensions, `adlnav:presentation` and `adlcp:completionThreshold`, into
//! the sequencing module's definition. Values the schema does not allow are reported and
//! replaced by the SN default.

use std::collections::HashSet;

use crate::scorm::sequencing::definition::{
    ActivityDef, ChildSet, Combination, Condition, ConditionKind, MapInfo, Objective, Required, RollupAction, RollupCondition,
    RollupRule, Rule, RuleAction, Sequencing, Timing,
};

use super::detect::IMS_MANIFEST;
use super::xml::Element;
use super::Problem;

/// Reads the activity tree of `org`; `kept` are the identifiers of the items the import
/// keeps (an item whose resource is missing is left out, as in the item list).
pub(super) fn read(org: &Element, collection: Option<&Element>, kept: &HashSet<&str>, warnings: &mut Vec<Problem>) -> ActivityDef {
    let mut cx = Cx { collection, warnings };
    let children = org.children_named("item").filter_map(|i| cx.item(i, kept)).collect();
    let id = org.attr_nonempty("identifier").unwrap_or("organization");
    ActivityDef {
        id: id.to_owned(),
        title: org.child("title").map(Element::text).unwrap_or_default(),
        visible: true,
        launchable: false,
        sequencing: cx.sequencing(id, org.child("sequencing")),
        completed_by_measure: None,
        progress_weight: 1.0,
        hide_lms_ui: Vec::new(),
        children,
    }
}

struct Cx<'a, 'w> {
    collection: Option<&'a Element>,
    warnings: &'w mut Vec<Problem>,
}

impl<'a> Cx<'a, '_> {
    fn item(&mut self, el: &'a Element, kept: &HashSet<&str>) -> Option<ActivityDef> {
        let id = el.attr_nonempty("identifier")?;
        let children: Vec<ActivityDef> = el.children_named("item").filter_map(|c| self.item(c, kept)).collect();
        let launchable = el.attr_nonempty("identifierref").is_some() && kept.contains(id);
        if !launchable && children.is_empty() {
            return None;
        }
        let threshold = el.child("completionThreshold");
        let completed_by_measure = threshold
            .filter(|t| t.attr("completedByMeasure").map(str::trim) == Some("true"))
            .map(|t| self.number(t, "minProgressMeasure", 1.0));
        let hide_lms_ui = el
            .path(&["presentation", "navigationInterface"])
            .map(|n| n.children_named("hideLMSUI").map(Element::text).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default();
        Some(ActivityDef {
            id: id.to_owned(),
            title: el.child("title").map(Element::text).filter(|t| !t.is_empty()).unwrap_or_else(|| id.to_owned()),
            visible: el.attr("isvisible").map(str::trim) != Some("false"),
            launchable: launchable && children.is_empty(),
            sequencing: self.sequencing(id, el.child("sequencing")),
            completed_by_measure,
            progress_weight: threshold.map_or(1.0, |t| self.number(t, "progressWeight", 1.0)),
            hide_lms_ui,
            children,
        })
    }

    fn warn(&mut self, el: &Element, message: String) {
        self.warnings.push(Problem::at(IMS_MANIFEST, el.line, message));
    }

    fn flag(&mut self, el: &Element, name: &str, default: bool) -> bool {
        match el.attr_nonempty(name) {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                self.warn(el, format!("<{}> {name}=\"{other}\" is not true or false; the default ({default}) applies", el.name));
                default
            }
        }
    }

    fn number(&mut self, el: &Element, name: &str, default: f64) -> f64 {
        match el.attr_nonempty(name).map(|v| (v, v.parse::<f64>())) {
            None => default,
            Some((_, Ok(n))) if n.is_finite() => n,
            Some((v, _)) => {
                self.warn(el, format!("<{}> {name}=\"{v}\" is not a number; the default ({default}) applies", el.name));
                default
            }
        }
    }

    fn keyword<T>(&mut self, el: &Element, name: &str, parse: fn(&str) -> Option<T>, default: T) -> T {
        match el.attr_nonempty(name) {
            None => default,
            Some(v) => parse(v).unwrap_or_else(|| {
                self.warn(el, format!("<{}> {name}=\"{v}\" is not a value SCORM defines; the default applies", el.name));
                default
            }),
        }
    }

    /// The item's own `<sequencing>` elements, each missing one from the collection entry
    /// its `IDRef` names (CAM 5.1.1: own elements override the referenced ones).
    fn sequencing(&mut self, id: &str, own: Option<&'a Element>) -> Sequencing {
        let mut layers: Vec<&Element> = own.into_iter().collect();
        if let Some(reference) = own.and_then(|s| s.attr_nonempty("IDRef")) {
            match self.collection.and_then(|c| c.children_named("sequencing").find(|s| s.attr_nonempty("ID") == Some(reference))) {
                Some(entry) => layers.push(entry),
                None => self.warn(own.expect("has IDRef"), format!("item `{id}`: sequencing IDRef `{reference}` names no sequencingCollection entry")),
            }
        }
        let pick = |name: &str| layers.iter().find_map(|l| l.child(name));
        // imsss:objectives and adlseq:objectives share a local name; the imsss one holds
        // the primary objective (the schema requires it).
        let pick_objectives = |adl: bool| {
            layers.iter().find_map(|l| l.children_named("objectives").find(|o| o.child("primaryObjective").is_some() != adl))
        };
        let mut seq = Sequencing::default();
        if let Some(c) = pick("controlMode") {
            let d = seq.control;
            seq.control.choice = self.flag(c, "choice", d.choice);
            seq.control.choice_exit = self.flag(c, "choiceExit", d.choice_exit);
            seq.control.flow = self.flag(c, "flow", d.flow);
            seq.control.forward_only = self.flag(c, "forwardOnly", d.forward_only);
            seq.control.use_current_attempt_objective_info = self.flag(c, "useCurrentAttemptObjectiveInfo", true);
            seq.control.use_current_attempt_progress_info = self.flag(c, "useCurrentAttemptProgressInfo", true);
        }
        if let Some(rules) = pick("sequencingRules") {
            for rule in &rules.children {
                let target = match rule.name.as_str() {
                    "preConditionRule" => &mut seq.pre_rules,
                    "exitConditionRule" => &mut seq.exit_rules,
                    "postConditionRule" => &mut seq.post_rules,
                    _ => continue,
                };
                if let Some(r) = self.rule(id, rule) {
                    target.push(r);
                }
            }
        }
        if let Some(l) = pick("limitConditions") {
            seq.attempt_limit = l.attr_nonempty("attemptLimit").and_then(|v| match v.parse::<u32>() {
                Ok(n) => (n > 0).then_some(n),
                Err(_) => {
                    self.warn(l, format!("item `{id}`: attemptLimit \"{v}\" is not a whole number; no limit applies"));
                    None
                }
            });
            seq.attempt_duration_limit = l.attr_nonempty("attemptAbsoluteDurationLimit").map(str::to_owned);
        }
        if let Some(r) = pick("rollupRules") {
            seq.rollup.objective_satisfied = self.flag(r, "rollupObjectiveSatisfied", true);
            seq.rollup.progress_completion = self.flag(r, "rollupProgressCompletion", true);
            seq.rollup.measure_weight = self.number(r, "objectiveMeasureWeight", 1.0);
            for rule in r.children_named("rollupRule") {
                if let Some(rr) = self.rollup_rule(id, rule) {
                    seq.rollup_rules.push(rr);
                }
            }
        }
        if let Some(c) = pick("rollupConsiderations") {
            let req = |cx: &mut Self, name: &str| cx.keyword(c, name, Required::parse, Required::Always);
            seq.considerations.required_for_satisfied = req(self, "requiredForSatisfied");
            seq.considerations.required_for_not_satisfied = req(self, "requiredForNotSatisfied");
            seq.considerations.required_for_completed = req(self, "requiredForCompleted");
            seq.considerations.required_for_incomplete = req(self, "requiredForIncomplete");
            seq.considerations.measure_satisfaction_if_active = self.flag(c, "measureSatisfactionIfActive", true);
        }
        if let Some(objectives) = pick_objectives(false) {
            for o in &objectives.children {
                let primary = match o.name.as_str() {
                    "primaryObjective" => true,
                    "objective" => false,
                    _ => continue,
                };
                seq.objectives.push(self.objective(o, primary));
            }
        }
        if let Some(adl) = pick_objectives(true) {
            self.adl_maps(id, adl, &mut seq.objectives);
        }
        if let Some(r) = pick("randomizationControls") {
            seq.randomization.selection_timing = self.keyword(r, "selectionTiming", Timing::parse, Timing::Never);
            seq.randomization.randomization_timing = self.keyword(r, "randomizationTiming", Timing::parse, Timing::Never);
            seq.randomization.reorder_children = self.flag(r, "reorderChildren", false);
            seq.randomization.select_count = r.attr_nonempty("selectCount").and_then(|v| v.parse().ok());
        }
        if let Some(d) = pick("deliveryControls") {
            seq.delivery.tracked = self.flag(d, "tracked", true);
            seq.delivery.completion_set_by_content = self.flag(d, "completionSetByContent", false);
            seq.delivery.objective_set_by_content = self.flag(d, "objectiveSetByContent", false);
        }
        if let Some(c) = pick("constrainedChoiceConsiderations") {
            seq.prevent_activation = self.flag(c, "preventActivation", false);
            seq.constrain_choice = self.flag(c, "constrainChoice", false);
        }
        seq
    }

    fn rule(&mut self, id: &str, rule: &Element) -> Option<Rule> {
        let action_el = rule.child("ruleAction");
        let Some(action) = action_el.and_then(|a| a.attr_nonempty("action")).and_then(RuleAction::parse) else {
            let written = action_el.and_then(|a| a.attr("action")).unwrap_or("");
            self.warn(rule, format!("item `{id}`: <{}> has no valid ruleAction (`{written}`); the rule is ignored", rule.name));
            return None;
        };
        let conditions_el = rule.child("ruleConditions");
        let combination = conditions_el.map_or(Combination::All, |c| self.combination(c, Combination::All));
        let mut conditions = Vec::new();
        for c in conditions_el.into_iter().flat_map(|c| c.children_named("ruleCondition")) {
            let Some(kind) = c.attr_nonempty("condition").and_then(ConditionKind::parse) else {
                self.warn(c, format!("item `{id}`: rule condition `{}` is not one SCORM defines; the rule is ignored", c.attr("condition").unwrap_or("")));
                return None;
            };
            conditions.push(Condition {
                kind,
                not: c.attr_nonempty("operator") == Some("not"),
                objective: c.attr_nonempty("referencedObjective").map(str::to_owned),
                threshold: self.number(c, "measureThreshold", 0.0),
            });
        }
        Some(Rule { combination, conditions, action })
    }

    fn combination(&mut self, el: &Element, default: Combination) -> Combination {
        let parse = |v: &str| match v {
            "all" => Some(Combination::All),
            "any" => Some(Combination::Any),
            _ => None,
        };
        self.keyword(el, "conditionCombination", parse, default)
    }

    fn rollup_rule(&mut self, id: &str, rule: &Element) -> Option<RollupRule> {
        let parse_action = |v: &str| match v {
            "satisfied" => Some(RollupAction::Satisfied),
            "notSatisfied" => Some(RollupAction::NotSatisfied),
            "completed" => Some(RollupAction::Completed),
            "incomplete" => Some(RollupAction::Incomplete),
            _ => None,
        };
        let Some(action) = rule.child("rollupAction").and_then(|a| a.attr_nonempty("action")).and_then(parse_action) else {
            self.warn(rule, format!("item `{id}`: <rollupRule> has no valid rollupAction; the rule is ignored"));
            return None;
        };
        let parse_set = |v: &str| match v {
            "all" => Some(ChildSet::All),
            "any" => Some(ChildSet::Any),
            "none" => Some(ChildSet::None),
            "atLeastCount" => Some(ChildSet::AtLeastCount),
            "atLeastPercent" => Some(ChildSet::AtLeastPercent),
            _ => None,
        };
        let conditions_el = rule.child("rollupConditions");
        let combination = conditions_el.map_or(Combination::Any, |c| self.combination(c, Combination::Any));
        let mut conditions = Vec::new();
        for c in conditions_el.into_iter().flat_map(|c| c.children_named("rollupCondition")) {
            let kind = c.attr_nonempty("condition").and_then(ConditionKind::parse);
            let Some(kind) = kind.filter(|k| !matches!(k, ConditionKind::Always | ConditionKind::ObjectiveMeasureGreaterThan | ConditionKind::ObjectiveMeasureLessThan)) else {
                self.warn(c, format!("item `{id}`: rollup condition `{}` is not one SCORM defines; the rule is ignored", c.attr("condition").unwrap_or("")));
                return None;
            };
            conditions.push(RollupCondition { kind, not: c.attr_nonempty("operator") == Some("not") });
        }
        Some(RollupRule {
            child_set: self.keyword(rule, "childActivitySet", parse_set, ChildSet::All),
            minimum_count: rule.attr_nonempty("minimumCount").and_then(|v| v.parse().ok()).unwrap_or(0),
            minimum_percent: self.number(rule, "minimumPercent", 0.0),
            combination,
            conditions,
            action,
        })
    }

    fn objective(&mut self, o: &Element, primary: bool) -> Objective {
        let maps = o
            .children_named("mapInfo")
            .filter_map(|m| {
                let target = m.attr_nonempty("targetObjectiveID")?.to_owned();
                Some(MapInfo {
                    target,
                    read_satisfied: self.flag(m, "readSatisfiedStatus", true),
                    read_measure: self.flag(m, "readNormalizedMeasure", true),
                    write_satisfied: self.flag(m, "writeSatisfiedStatus", false),
                    write_measure: self.flag(m, "writeNormalizedMeasure", false),
                    ..MapInfo::default()
                })
            })
            .collect();
        let min_measure = o.child("minNormalizedMeasure").map(Element::text).and_then(|t| t.parse().ok()).unwrap_or(1.0);
        Objective {
            id: o.attr_nonempty("objectiveID").unwrap_or("").to_owned(),
            primary,
            satisfied_by_measure: self.flag(o, "satisfiedByMeasure", false),
            min_measure,
            maps,
        }
    }

    /// `adlseq:objectives` (4th edition): completion status and progress measure maps,
    /// joined to the imsss objective of the same id.
    fn adl_maps(&mut self, id: &str, adl: &Element, objectives: &mut [Objective]) {
        for o in adl.children_named("objective") {
            let oid = o.attr_nonempty("objectiveID").unwrap_or("");
            let Some(target) = objectives.iter_mut().position(|x| x.id == oid) else {
                self.warn(o, format!("item `{id}`: adlseq objective `{oid}` is not an imsss objective of the item; its maps are ignored"));
                continue;
            };
            for m in o.children_named("mapInfo") {
                let Some(t) = m.attr_nonempty("targetObjectiveID") else { continue };
                let map = MapInfo {
                    target: t.to_owned(),
                    read_satisfied: false,
                    read_measure: false,
                    read_completion: self.flag(m, "readCompletionStatus", true),
                    write_completion: self.flag(m, "writeCompletionStatus", false),
                    read_progress: self.flag(m, "readProgressMeasure", true),
                    write_progress: self.flag(m, "writeProgressMeasure", false),
                    ..MapInfo::default()
                };
                objectives[target].maps.push(map);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorm::sequencing::definition::ControlMode;

    const MANIFEST: &str = r#"<manifest xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
<organizations><organization identifier="org">
  <title>Course</title>
  <item identifier="module">
    <title>Module</title>
    <item identifier="content" identifierref="r1" isvisible="false">
      <title>Content</title>
      <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8" progressWeight="0.5"/>
      <imsss:sequencing IDRef="common">
        <imsss:limitConditions attemptLimit="3" attemptAbsoluteDurationLimit="PT1H"/>
        <imsss:objectives>
          <imsss:primaryObjective objectiveID="content_obj" satisfiedByMeasure="true">
            <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
            <imsss:mapInfo targetObjectiveID="g.content" writeSatisfiedStatus="true" writeNormalizedMeasure="true" readNormalizedMeasure="false"/>
          </imsss:primaryObjective>
          <imsss:objective objectiveID="other"/>
        </imsss:objectives>
        <adlseq:objectives>
          <adlseq:objective objectiveID="content_obj">
            <adlseq:mapInfo targetObjectiveID="g.content" writeCompletionStatus="true"/>
          </adlseq:objective>
        </adlseq:objectives>
      </imsss:sequencing>
      <adlnav:presentation><adlnav:navigationInterface>
        <adlnav:hideLMSUI>continue</adlnav:hideLMSUI><adlnav:hideLMSUI>previous</adlnav:hideLMSUI>
      </adlnav:navigationInterface></adlnav:presentation>
    </item>
    <item identifier="quiz" identifierref="r2">
      <title>Quiz</title>
      <imsss:sequencing>
        <imsss:sequencingRules>
          <imsss:preConditionRule>
            <imsss:ruleConditions conditionCombination="any">
              <imsss:ruleCondition referencedObjective="other" operator="not" condition="satisfied"/>
              <imsss:ruleCondition condition="objectiveMeasureGreaterThan" measureThreshold="0.5"/>
            </imsss:ruleConditions>
            <imsss:ruleAction action="disabled"/>
          </imsss:preConditionRule>
          <imsss:exitConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="completed"/></imsss:ruleConditions><imsss:ruleAction action="exit"/></imsss:exitConditionRule>
          <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied" operator="not"/></imsss:ruleConditions><imsss:ruleAction action="retryAll"/></imsss:postConditionRule>
          <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="bogus"/></imsss:ruleConditions><imsss:ruleAction action="exitAll"/></imsss:postConditionRule>
        </imsss:sequencingRules>
        <imsss:deliveryControls tracked="false" objectiveSetByContent="true"/>
      </imsss:sequencing>
    </item>
    <item identifier="missing" identifierref="gone"><title>Skipped</title></item>
    <imsss:sequencing>
      <imsss:controlMode choice="false" flow="true" forwardOnly="true" choiceExit="maybe"/>
      <imsss:rollupRules rollupObjectiveSatisfied="false" objectiveMeasureWeight="0.25">
        <imsss:rollupRule childActivitySet="atLeastPercent" minimumPercent="0.5">
          <imsss:rollupConditions conditionCombination="all"><imsss:rollupCondition condition="satisfied"/><imsss:rollupCondition operator="not" condition="attempted"/></imsss:rollupConditions>
          <imsss:rollupAction action="completed"/>
        </imsss:rollupRule>
      </imsss:rollupRules>
      <imsss:randomizationControls selectCount="1" selectionTiming="onEachNewAttempt" reorderChildren="true" randomizationTiming="once"/>
      <adlseq:rollupConsiderations requiredForSatisfied="ifAttempted" measureSatisfactionIfActive="false"/>
      <adlseq:constrainedChoiceConsiderations preventActivation="true"/>
    </imsss:sequencing>
  </item>
  <imsss:sequencing><imsss:controlMode flow="true"/></imsss:sequencing>
</organization></organizations>
<imsss:sequencingCollection><imsss:sequencing ID="common">
  <imsss:limitConditions attemptLimit="9"/>
  <imsss:deliveryControls completionSetByContent="true"/>
</imsss:sequencing></imsss:sequencingCollection>
</manifest>"#;

    fn tree() -> (ActivityDef, Vec<Problem>) {
        let manifest = super::super::xml::parse(MANIFEST.as_bytes(), "imsmanifest.xml").unwrap();
        let org = manifest.path(&["organizations", "organization"]).unwrap();
        let kept: HashSet<&str> = ["content", "quiz"].into();
        let mut warnings = Vec::new();
        let def = read(org, manifest.child("sequencingCollection"), &kept, &mut warnings);
        (def, warnings)
    }

    #[test]
    fn the_tree_keeps_the_items_the_import_keeps() {
        let (root, _) = tree();
        assert_eq!(root.id, "org");
        assert_eq!(root.sequencing.control, ControlMode { flow: true, ..ControlMode::default() });
        let module = &root.children[0];
        assert_eq!((module.id.as_str(), module.launchable), ("module", false));
        let ids: Vec<&str> = module.children.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["content", "quiz"], "the item whose resource is missing is left out");
    }

    #[test]
    fn control_modes_rollup_randomization_and_considerations_are_read() {
        let (root, warnings) = tree();
        let m = &root.children[0].sequencing;
        assert!(!m.control.choice && m.control.flow && m.control.forward_only);
        assert!(m.control.choice_exit, "an invalid value keeps the default");
        assert!(warnings.iter().any(|w| w.message.contains("choiceExit=\"maybe\"")), "{warnings:?}");
        assert!(!m.rollup.objective_satisfied && m.rollup.progress_completion);
        assert_eq!(m.rollup.measure_weight, 0.25);
        let rule = &m.rollup_rules[0];
        assert_eq!((rule.child_set, rule.minimum_percent, rule.combination, rule.action), (ChildSet::AtLeastPercent, 0.5, Combination::All, RollupAction::Completed));
        assert_eq!(rule.conditions, [RollupCondition { kind: ConditionKind::Satisfied, not: false }, RollupCondition { kind: ConditionKind::Attempted, not: true }]);
        assert_eq!(m.randomization.select_count, Some(1));
        assert_eq!((m.randomization.selection_timing, m.randomization.randomization_timing), (Timing::OnEachNewAttempt, Timing::Once));
        assert!(m.randomization.reorder_children);
        assert_eq!(m.considerations.required_for_satisfied, Required::IfAttempted);
        assert_eq!(m.considerations.required_for_completed, Required::Always);
        assert!(!m.considerations.measure_satisfaction_if_active);
        assert!(m.prevent_activation && !m.constrain_choice);
    }

    #[test]
    fn own_elements_override_the_collection_entry() {
        let (root, _) = tree();
        let content = &root.children[0].children[0];
        assert!(!content.visible);
        assert_eq!(content.sequencing.attempt_limit, Some(3), "own limitConditions, not the collection's 9");
        assert_eq!(content.sequencing.attempt_duration_limit.as_deref(), Some("PT1H"));
        assert!(content.sequencing.delivery.completion_set_by_content, "deliveryControls from the collection");
        assert_eq!((content.completed_by_measure, content.progress_weight), (Some(0.8), 0.5));
        assert_eq!(content.hide_lms_ui, ["continue", "previous"]);
    }

    #[test]
    fn objectives_join_their_imsss_and_adlseq_maps() {
        let (root, _) = tree();
        let objectives = &root.children[0].children[0].sequencing.objectives;
        assert_eq!(objectives.len(), 2);
        let primary = &objectives[0];
        assert!(primary.primary && primary.satisfied_by_measure);
        assert_eq!((primary.id.as_str(), primary.min_measure), ("content_obj", 0.6));
        assert_eq!(primary.maps.len(), 2);
        let imsss = &primary.maps[0];
        assert!(imsss.read_satisfied && !imsss.read_measure && imsss.write_satisfied && imsss.write_measure);
        let adl = &primary.maps[1];
        assert!(adl.read_completion && adl.write_completion && adl.read_progress && !adl.write_progress && !adl.read_satisfied);
        assert_eq!(objectives[1].id, "other");
    }

    #[test]
    fn sequencing_rules_and_their_conditions_are_read() {
        let (root, warnings) = tree();
        let quiz = &root.children[0].children[1].sequencing;
        let pre = &quiz.pre_rules[0];
        assert_eq!((pre.combination, pre.action), (Combination::Any, RuleAction::Disabled));
        assert_eq!(pre.conditions[0], Condition { kind: ConditionKind::Satisfied, not: true, objective: Some("other".into()), threshold: 0.0 });
        assert_eq!((pre.conditions[1].kind, pre.conditions[1].threshold), (ConditionKind::ObjectiveMeasureGreaterThan, 0.5));
        assert_eq!(quiz.exit_rules[0].action, RuleAction::Exit);
        assert_eq!(quiz.exit_rules[0].combination, Combination::All, "the default combination");
        assert_eq!(quiz.post_rules.len(), 1, "the rule with an unknown condition is dropped");
        assert_eq!(quiz.post_rules[0].action, RuleAction::RetryAll);
        assert!(warnings.iter().any(|w| w.message.contains("`bogus`")), "{warnings:?}");
        assert!(!quiz.delivery.tracked && quiz.delivery.objective_set_by_content && !quiz.delivery.completion_set_by_content);
        assert_eq!(quiz.attempt_limit, None);
    }

    #[test]
    fn the_definition_round_trips_through_json() {
        let (root, _) = tree();
        let json = serde_json::to_value(&root).unwrap();
        let back: ActivityDef = serde_json::from_value(json).unwrap();
        assert_eq!(back, root);
    }
}
