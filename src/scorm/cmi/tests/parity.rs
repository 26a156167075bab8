//! The shared cases the browser runtime's tests also run, so the SCO sees the same answers
//! in the browser as the server gives on commit: parity.json (both editions, the tricky
//! corners) and rte2004.json (every element of the SCORM 2004 4th edition data model with
//! the error codes the RTE assigns).

use serde_json::Value;

use super::super::{get_value, set_value, CmiState, Version};

fn state_from(setup: &Value) -> CmiState {
    let mut s = CmiState::default();
    for (k, v) in setup.as_object().expect("setup is an object") {
        s.values.insert(
            k.clone(),
            v.as_str().expect("setup values are strings").to_string(),
        );
    }
    s
}

/// Runs every group of a case file; returns how many cases ran.
fn run(doc: &Value) -> usize {
    let mut ran = 0;
    for group in doc["groups"].as_array().expect("groups") {
        let version: Version = serde_json::from_value(group["version"].clone()).expect("version");
        let base = state_from(&group["setup"]);
        for case in group["set"].as_array().expect("set cases") {
            let (element, value) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
            let expected = case[2].as_u64().unwrap();
            let mut s = base.clone();
            let got = set_value(version, &mut s, element, value)
                .err()
                .map_or(0, |e| u64::from(e.code));
            let why = case.get(4).and_then(Value::as_str).unwrap_or("");
            assert_eq!(got, expected, "{version:?} SetValue({element}, {value:?}) {why}");
            if got != 0 {
                assert_eq!(s, base, "a refused SetValue({element}) changed the state");
            }
            if let Some(readback) = case.get(3).and_then(Value::as_str) {
                assert_eq!(get_value(version, &s, element).as_deref().map_err(|e| e.code), Ok(readback), "GetValue({element}) after SetValue");
            }
            ran += 1;
        }
        for case in group["get"].as_array().expect("get cases") {
            let element = case[0].as_str().unwrap();
            let got = get_value(version, &base, element);
            match &case[1] {
                Value::String(expected) => {
                    assert_eq!(
                        got.as_deref().map_err(|e| e.code),
                        Ok(expected.as_str()),
                        "GetValue({element})"
                    )
                }
                code => assert_eq!(
                    got.err().map(|e| u64::from(e.code)),
                    code.as_u64(),
                    "GetValue({element})"
                ),
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn parity_cases() {
    let doc: Value = serde_json::from_str(include_str!("parity.json")).expect("parity.json parses");
    let ran = run(&doc);
    assert!(ran > 100, "only {ran} parity cases ran");
}

#[test]
fn rte2004_cases() {
    let doc: Value = serde_json::from_str(include_str!("rte2004.json")).expect("rte2004.json parses");
    let ran = run(&doc);
    assert!(ran > 250, "only {ran} cases ran");
}

/// `cmi.objectives.3.id` and `adl.nav.request_valid.choice.{target=x}` as the table's
/// element list spells them.
fn pattern_of(element: &str) -> String {
    if let Some((head, _)) = element.split_once(".{target=") {
        return format!("{head}.{{target=ID}}");
    }
    element
        .split('.')
        .map(|p| if p.bytes().all(|b| b.is_ascii_digit()) { "n" } else { p })
        .collect::<Vec<_>>()
        .join(".")
}

/// The table names every element of the model, and every one has both a SetValue and a
/// GetValue case; the `_children` lists the engine answers name nothing the table misses.
#[test]
fn rte2004_covers_every_element() {
    let doc: Value = serde_json::from_str(include_str!("rte2004.json")).expect("rte2004.json parses");
    let elements: Vec<&str> = doc["elements"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let cases = |kind: &str| -> Vec<String> {
        doc["groups"].as_array().unwrap().iter().flat_map(|g| g[kind].as_array().unwrap().iter().map(|c| pattern_of(c[0].as_str().unwrap()))).collect()
    };
    let (sets, gets) = (cases("set"), cases("get"));
    for element in &elements {
        assert!(sets.iter().any(|s| s == element), "no SetValue case for {element}");
        assert!(gets.iter().any(|g| g == element), "no GetValue case for {element}");
    }
    let full = state_from(&doc["groups"][1]["setup"]);
    for parent in ["cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.interactions", "cmi.learner_preference", "cmi.objectives", "cmi.score", "cmi.objectives.0.score"] {
        let children = get_value(Version::Scorm2004, &full, &format!("{parent}._children")).unwrap();
        for child in children.split(',') {
            let record = if matches!(parent, "cmi.comments_from_learner" | "cmi.comments_from_lms" | "cmi.interactions" | "cmi.objectives") { ".n" } else { "" };
            let name = pattern_of(&format!("{parent}{record}.{child}"));
            let listed = elements.iter().any(|e| *e == name || e.starts_with(&format!("{name}.")));
            assert!(listed, "{name} (from {parent}._children) is not in the table");
        }
    }
}
