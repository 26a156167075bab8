//! SCORM 2004 sequencing at import: the values older code reads from each item's runtime
//! (rollup contribution, attempt limit, the organization's control modes) and, by name,
//! what the sequencing engine does not support, so the teacher is told instead of those
//! parts being silently ignored. The activity tree itself is `activity_tree`'s.

use serde_json::Value;

use super::{ItemKind, ParsedItem, Problem};

const IMS_MANIFEST: &str = "imsmanifest.xml";

/// Child elements (as `xml::Element::to_json` writes them) named `name`.
fn children<'a>(v: &'a Value, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    v["children"].as_array().into_iter().flatten().filter(move |c| c["element"] == name)
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v["attributes"][name].as_str()
}

/// The item's own `<sequencing>` and the collection entry its `IDRef` names, own first
/// (SCORM 2004 CAM 5.1.1: the item's elements override the referenced ones).
fn layers<'a>(seq: &'a Value, collection: Option<&'a Value>) -> Vec<&'a Value> {
    let mut out = vec![seq];
    if let (Some(id), Some(coll)) = (attr(seq, "IDRef"), collection) {
        out.extend(children(coll, "sequencing").filter(|s| attr(s, "ID") == Some(id)));
    }
    out
}

/// Sets `required` from rollup, resolves limit conditions into the runtime, and warns
/// about sequencing this server does not enforce.
pub(super) fn review(items: &mut [ParsedItem], collection: Option<&Value>, warnings: &mut Vec<Problem>) {
    for item in items.iter_mut().filter(|i| i.kind != ItemKind::Folder) {
        let Some(seq) = item.runtime.get("sequencing").cloned() else { continue };
        let layers = layers(&seq, collection);
        // rollupRules of the nearest layer that has them: an item whose satisfaction and
        // completion are both excluded from rollup does not count for the course.
        if let Some(rollup) = layers.iter().find_map(|l| children(l, "rollupRules").next()) {
            if attr(rollup, "rollupObjectiveSatisfied") == Some("false") && attr(rollup, "rollupProgressCompletion") == Some("false") {
                item.required = false;
            }
        }
        if let Some(limit) = layers.iter().find_map(|l| children(l, "limitConditions").next().and_then(|c| attr(c, "attemptLimit"))) {
            if let Ok(n) = limit.trim().parse::<u32>() {
                item.runtime["attemptLimit"] = Value::from(n);
            }
        }
        let objectives = declared_objectives(&layers);
        if !objectives.is_empty() {
            item.runtime["objectives"] = Value::Array(objectives);
        }
        let mut unsupported = Vec::new();
        for layer in &layers {
            unsupported_in(layer, &mut unsupported);
        }
        if item.runtime.get("data").is_some() {
            unsupported.push("shared data (adlcp:data)".to_string());
        }
        unsupported.dedup();
        if !unsupported.is_empty() {
            warnings.push(Problem::new(
                IMS_MANIFEST,
                format!("item `{}`: not supported by this server: {}", item.identifier, unsupported.join(", ")),
            ));
        }
    }
}

/// The objectives the SCO finds in `cmi.objectives` at launch, as `{"id", "primary"}`:
/// the primary objective and the others of the nearest layer that has `<objectives>`,
/// in manifest order, those without an `objectiveID` (allowed for the primary one) and
/// repeats left out.
fn declared_objectives(layers: &[&Value]) -> Vec<Value> {
    let Some(objectives) = layers.iter().find_map(|l| children(l, "objectives").next()) else { return Vec::new() };
    let mut out: Vec<Value> = Vec::new();
    for o in objectives["children"].as_array().into_iter().flatten() {
        let primary = o["element"] == "primaryObjective";
        if !primary && o["element"] != "objective" {
            continue;
        }
        let Some(id) = attr(o, "objectiveID").map(str::trim).filter(|id| !id.is_empty()) else { continue };
        if out.iter().all(|seen| seen["id"] != id) {
            out.push(serde_json::json!({"id": id, "primary": primary}));
        }
    }
    out
}

/// The parts of one `<sequencing>` the sequencing engine (`scorm::sequencing`) does not
/// carry out: everything else of the SN book is applied.
fn unsupported_in(seq: &Value, out: &mut Vec<String>) {
    for rules in children(seq, "sequencingRules") {
        for rule in rules["children"].as_array().into_iter().flatten() {
            for conditions in children(rule, "ruleConditions") {
                for c in children(conditions, "ruleCondition") {
                    if let Some(kind @ ("timeLimitExceeded" | "outsideAvailableTimeRange")) = attr(c, "condition") {
                        out.push(format!("rule condition {kind} (never true here)"));
                    }
                }
            }
        }
    }
    for objectives in children(seq, "objectives") {
        for o in objectives["children"].as_array().into_iter().flatten() {
            for m in children(o, "mapInfo") {
                let scores = ["readRawScore", "readMinScore", "readMaxScore", "writeRawScore", "writeMinScore", "writeMaxScore"];
                // Named only when a package asks for them: SCOs read them through
                // cmi.objectives, which this server does not fill from globals.
                if scores.iter().any(|k| attr(m, k) == Some("true")) {
                    out.push("global objective raw/min/max scores (adlseq:mapInfo)".into());
                }
            }
        }
    }
    if children(seq, "auxiliaryResources").next().is_some() {
        out.push("auxiliaryResources".into());
    }
    for c in children(seq, "constrainedChoiceConsiderations") {
        if attr(c, "constrainChoice") == Some("true") {
            out.push("constrainChoice".into());
        }
    }
    for c in children(seq, "controlMode") {
        for name in ["useCurrentAttemptObjectiveInfo", "useCurrentAttemptProgressInfo"] {
            if attr(c, name) == Some("false") {
                out.push(format!("{name}=\"false\""));
            }
        }
    }
    for limits in children(seq, "limitConditions") {
        if attr(limits, "attemptAbsoluteDurationLimit").is_some() {
            out.push("attemptAbsoluteDurationLimit (passed to the SCO as max_time_allowed only)".into());
        }
    }
}

/// The organization's control modes (choice, flow, forwardOnly), SCORM defaults where unset.
pub(super) fn control_mode(org_seq: Option<&Value>, collection: Option<&Value>) -> Value {
    let mode = org_seq.and_then(|s| layers(s, collection).into_iter().find_map(|l| children(l, "controlMode").next()));
    let flag = |name: &str, default: bool| mode.and_then(|m| attr(m, name)).map_or(default, |v| v == "true");
    serde_json::json!({"choice": flag("choice", true), "flow": flag("flow", false), "forwardOnly": flag("forwardOnly", false)})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn el(name: &str, attrs: Value, children: Vec<Value>) -> Value {
        json!({"element": name, "attributes": attrs, "children": children})
    }

    #[test]
    fn rollup_limits_and_unsupported_rules_are_read() {
        let collection = el("sequencingCollection", json!({}), vec![el("sequencing", json!({"ID": "c"}), vec![
            el("rollupRules", json!({"rollupObjectiveSatisfied": "false", "rollupProgressCompletion": "false"}), vec![]),
        ])]);
        let seq = el("sequencing", json!({"IDRef": "c"}), vec![
            el("limitConditions", json!({"attemptLimit": "2"}), vec![]),
            el("sequencingRules", json!({}), vec![el("preConditionRule", json!({}), vec![
                el("ruleConditions", json!({}), vec![el("ruleCondition", json!({"condition": "timeLimitExceeded"}), vec![])]),
                el("ruleAction", json!({"action": "disabled"}), vec![]),
            ])]),
        ]);
        let mut item = super::super::outline::folder("i", "I");
        item.kind = ItemKind::Sco;
        item.runtime = json!({"sequencing": seq});
        let mut items = vec![item];
        let mut warnings = Vec::new();
        review(&mut items, Some(&collection), &mut warnings);
        assert!(!items[0].required, "excluded from rollup by the referenced collection entry");
        assert_eq!(items[0].runtime["attemptLimit"], 2);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("item `i`") && warnings[0].message.contains("not supported by this server: rule condition timeLimitExceeded"), "{}", warnings[0]);
        assert!(items[0].runtime.get("objectives").is_none(), "no objectives declared");
        let modes = control_mode(Some(&el("sequencing", json!({}), vec![el("controlMode", json!({"choice": "false", "flow": "true"}), vec![])])), None);
        assert_eq!(modes, json!({"choice": false, "flow": true, "forwardOnly": false}));
        assert_eq!(control_mode(None, None), json!({"choice": true, "flow": false, "forwardOnly": false}));
    }

    #[test]
    fn objectives_come_from_the_item_or_its_collection_entry() {
        let objective = |element: &str, id: Option<&str>| el(element, id.map_or(json!({}), |id| json!({"objectiveID": id})), vec![]);
        let collection = el("sequencingCollection", json!({}), vec![el("sequencing", json!({"ID": "shared"}), vec![
            el("objectives", json!({}), vec![objective("primaryObjective", Some("p")), objective("objective", Some("o1")), objective("objective", Some("o1"))]),
        ])]);
        let item_with = |seq: Value| {
            let mut item = super::super::outline::folder("i", "I");
            item.kind = ItemKind::Sco;
            item.runtime = json!({"sequencing": seq});
            item
        };
        let own = el("sequencing", json!({"IDRef": "shared"}), vec![
            el("objectives", json!({}), vec![objective("primaryObjective", None), objective("objective", Some("mine"))]),
        ]);
        let mut items = vec![item_with(el("sequencing", json!({"IDRef": "shared"}), vec![])), item_with(own)];
        review(&mut items, Some(&collection), &mut Vec::new());
        assert_eq!(items[0].runtime["objectives"], json!([{"id": "p", "primary": true}, {"id": "o1", "primary": false}]), "from the collection, repeats once");
        assert_eq!(items[1].runtime["objectives"], json!([{"id": "mine", "primary": false}]), "the item's own override; a primary without id is left out");
    }
}
