//! What the SCORM player needs later, lifted out of an item and its resource as JSON.

use serde_json::{json, Map, Value};

use super::xml::Element;

/// Runtime data of one launchable SCORM item: scormType, masteryScore, dataFromLMS,
/// timeLimitAction, maxTimeAllowed, prerequisites, completionThreshold, and the 2004
/// `imsss:sequencing`, `adlnav:presentation` and `adlcp:data` subtrees as JSON.
///
/// Keys are camelCase whatever the edition: 1.2's `adlcp:masteryscore` and 2004's
/// `adlcp:dataFromLMS` land under the same names.
pub(super) fn item_runtime(item: &Element, resource: &Element, resource_id: &str) -> Value {
    let mut rt = Map::new();
    rt.insert("resource".into(), json!(resource_id));
    let scorm_type = resource
        .attr_nonempty("scormtype")
        .unwrap_or("asset")
        .to_ascii_lowercase();
    rt.insert("scormType".into(), json!(scorm_type));
    if let Some(p) = item.attr_nonempty("parameters") {
        rt.insert("parameters".into(), json!(p));
    }
    if let Some(v) = item.attr_nonempty("isvisible") {
        rt.insert("isvisible".into(), json!(v != "false"));
    }
    for (tag, key) in [
        ("prerequisites", "prerequisites"),
        ("maxtimeallowed", "maxTimeAllowed"),
        ("timelimitaction", "timeLimitAction"),
        ("datafromlms", "dataFromLMS"),
    ] {
        if let Some(text) = item.child(tag).map(Element::text).filter(|t| !t.is_empty()) {
            rt.insert(key.into(), json!(text));
        }
    }
    if let Some(score) = item
        .child("masteryscore")
        .map(Element::text)
        .filter(|t| !t.is_empty())
    {
        rt.insert("masteryScore".into(), number_or_text(&score));
    }
    if let Some(ct) = item.child("completionThreshold") {
        rt.insert("completionThreshold".into(), completion_threshold(ct));
    }
    if let Some(seq) = item.child("sequencing") {
        rt.insert("sequencing".into(), seq.to_json());
        let primary = seq.path(&["objectives", "primaryObjective"]);
        if let Some(measure) = primary
            .and_then(|p| p.child("minNormalizedMeasure"))
            .map(Element::text)
        {
            if !measure.is_empty() {
                rt.entry("masteryScore")
                    .or_insert_with(|| number_or_text(&measure));
            }
        }
        let limit = seq
            .child("limitConditions")
            .and_then(|l| l.attr_nonempty("attemptAbsoluteDurationLimit"));
        if let Some(limit) = limit {
            rt.entry("maxTimeAllowed").or_insert_with(|| json!(limit));
        }
    }
    if let Some(p) = item.child("presentation") {
        rt.insert("presentation".into(), p.to_json());
    }
    if let Some(d) = item.child("data") {
        rt.insert("data".into(), d.to_json());
    }
    Value::Object(rt)
}

/// 3rd Edition writes the threshold as text, 4th as attributes; keep whichever is there.
fn completion_threshold(ct: &Element) -> Value {
    let mut obj = Map::new();
    let text = ct.text();
    if !text.is_empty() {
        obj.insert("minProgressMeasure".into(), number_or_text(&text));
    }
    for key in ["completedByMeasure", "minProgressMeasure", "progressWeight"] {
        if let Some(v) = ct.attr_nonempty(key) {
            let value = match v {
                "true" => json!(true),
                "false" => json!(false),
                _ => number_or_text(v),
            };
            obj.insert(key.into(), value);
        }
    }
    Value::Object(obj)
}

fn number_or_text(s: &str) -> Value {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => json!(n),
        _ => json!(s.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::xml;
    use super::*;

    #[test]
    fn scorm12_item_fields_are_lifted() {
        let item = xml::parse(
            br#"<item identifier="i" isvisible="false" parameters="?a=1"><adlcp:masteryscore>80</adlcp:masteryscore>
            <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed><adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
            <adlcp:datafromlms>hello</adlcp:datafromlms><adlcp:prerequisites type="aicc_script">a&amp;b</adlcp:prerequisites></item>"#,
            "m",
        )
        .unwrap();
        let res = xml::parse(br#"<resource adlcp:scormtype="SCO"/>"#, "m").unwrap();
        assert_eq!(
            item_runtime(&item, &res, "r1"),
            json!({"resource": "r1", "scormType": "sco", "parameters": "?a=1", "isvisible": false,
                   "masteryScore": 80.0, "maxTimeAllowed": "00:30:00", "timeLimitAction": "exit,message",
                   "dataFromLMS": "hello", "prerequisites": "a&b"})
        );
    }

    #[test]
    fn scorm2004_mastery_comes_from_the_primary_objective() {
        let item = xml::parse(
            br#"<item><adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
            <imsss:sequencing><imsss:limitConditions attemptAbsoluteDurationLimit="PT1H"/>
            <imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true">
            <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives>
            </imsss:sequencing></item>"#,
            "m",
        )
        .unwrap();
        let res = xml::parse(br#"<resource adlcp:scormType="sco"/>"#, "m").unwrap();
        let rt = item_runtime(&item, &res, "r");
        assert_eq!(rt["masteryScore"], json!(0.6));
        assert_eq!(rt["maxTimeAllowed"], json!("PT1H"));
        assert_eq!(
            rt["completionThreshold"],
            json!({"completedByMeasure": true, "minProgressMeasure": 0.8})
        );
        assert_eq!(rt["sequencing"]["element"], json!("sequencing"));
    }
}
