//! SCORM 2004 sequencing in a real headless Chromium, with packages built here and the
//! golf 4th edition fixture: forced sequential order (flow, no choice, a global objective
//! disabling the next SCO), simple remediation (a failed quiz's post-condition rule sends
//! the learner back), the SCO's `adl.nav.request` at Terminate, and the stored state.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::scorm_browser::{enter_sco, scorm_course, sign_in};
use crate::webdriver::Browser;

/// A SCO that reports what the test tells it: `finish(completion, success, scaled, nav)`
/// sets the values, the navigation request, and terminates.
const SCO: &str = r#"<!doctype html><html><body><p id="sco">SCO</p><script>
var api = null;
for (var w = window; w && !api; w = w.parent) { api = w.API_1484_11 || null; if (w === w.parent) break; }
api.Initialize('');
function finish(completion, success, scaled, nav) {
  api.SetValue('cmi.completion_status', completion);
  if (success) api.SetValue('cmi.success_status', success);
  if (scaled !== null) api.SetValue('cmi.score.scaled', String(scaled));
  if (nav) api.SetValue('adl.nav.request', nav);
  api.Commit('');
  api.Terminate('');
}
</script></body></html>"#;

/// A package of SCOs `(identifier, sequencing XML)` under an organization with `org_seq`.
pub fn package(name: &str, org_seq: &str, scos: &[(&str, &str)]) -> std::path::PathBuf {
    package_with(name, "", org_seq, scos)
}

/// [`package`] with attributes on the organization (`adlseq:objectivesGlobalToSystem`).
pub fn package_with(name: &str, org_attrs: &str, org_seq: &str, scos: &[(&str, &str)]) -> std::path::PathBuf {
    let scos: Vec<(&str, &str, &str)> = scos.iter().map(|(id, seq)| (*id, *seq, "")).collect();
    package_items(name, org_attrs, org_seq, &scos)
}

/// [`package_with`] where each SCO `(identifier, sequencing XML, more item XML)` may carry
/// other item elements (`adlnav:presentation`).
pub fn package_items(name: &str, org_attrs: &str, org_seq: &str, scos: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let items: String = scos
        .iter()
        .map(|(id, seq, extra)| format!(r#"<item identifier="{id}" identifierref="r_{id}"><title>{id}</title>{extra}<imsss:sequencing>{seq}</imsss:sequencing></item>"#))
        .collect();
    let resources: String = scos
        .iter()
        .map(|(id, _, _)| format!(r#"<resource identifier="r_{id}" type="webcontent" adlcp:scormType="sco" href="sco.html?name={id}"><file href="sco.html"/></resource>"#))
        .collect();
    let manifest = format!(
        r#"<?xml version="1.0"?>
<manifest identifier="{name}" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3">
<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
<organizations default="org"><organization identifier="org" {org_attrs}><title>{name}</title>{items}<imsss:sequencing>{org_seq}</imsss:sequencing></organization></organizations>
<resources>{resources}</resources></manifest>"#
    );
    let dir = std::env::temp_dir().join(format!("seq-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.zip"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (file, body) in [("imsmanifest.xml", manifest.as_str()), ("sco.html", SCO)] {
        zip.start_file(file, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn page_path(items: &[Value], identifier: &str) -> String {
    let item = items.iter().find(|i| i["identifier"] == identifier).unwrap_or_else(|| panic!("{identifier} in {items:?}"));
    item["page_url"].as_str().unwrap().to_string()
}

async fn wait_path(browser: &Browser, path: &str) -> bool {
    browser.wait_for(&format!("location.pathname === '{path}' && document.readyState === 'complete'"), Duration::from_secs(30)).await
}

/// The stored sequencing state of student `s1`.
async fn stored_state(app: &TestApp, course_id: i64) -> Value {
    let user = courseware::db::users::find_by_username(&app.db, "s1").await.unwrap().unwrap();
    let version = courseware::db::courses::get(&app.db, course_id).await.unwrap().latest_version_id.unwrap();
    let state = courseware::db::sequencing::state(&app.db, user.id, version).await.unwrap().expect("the state is stored");
    serde_json::from_str(&state).unwrap()
}

/// Polls the stored state until `ok` accepts it (15 s at most): commits arrive on their own.
async fn wait_state(app: &TestApp, course_id: i64, ok: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = stored_state(app, course_id).await;
        if ok(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sequencing state never got there; last seen {last}");
}

async fn sco_finishes(browser: &Browser, lesson: &str, call: &str) {
    enter_sco(browser, lesson).await;
    finish_here(browser, call).await;
}

/// [`sco_finishes`] on the SCO the page already shows (reached by the SCO's own
/// navigation request), without loading the page again.
async fn sco_finishes_here(browser: &Browser, call: &str) {
    enter_sco_here(browser).await;
    finish_here(browser, call).await;
}

/// Enters the SCO's frame of the page the browser shows.
async fn enter_sco_here(browser: &Browser) {
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame')", Duration::from_secs(30)).await, "player page");
    browser.enter_frame("iframe.scorm-frame").await;
    assert!(browser.wait_for("document.getElementById('sco-frame') && window.API_1484_11", Duration::from_secs(30)).await, "API bridge");
    browser.enter_frame("#sco-frame").await;
}

async fn finish_here(browser: &Browser, call: &str) {
    assert!(browser.wait_for("typeof finish === 'function'", Duration::from_secs(20)).await, "the SCO started");
    browser.eval(call).await;
    browser.leave_frames().await;
}

#[tokio::test]
async fn forced_sequential_order_opens_the_second_sco_only_after_the_first() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("forced_sequential_order").await else { return };
    let first = r#"<imsss:objectives><imsss:primaryObjective objectiveID="p1"><imsss:mapInfo targetObjectiveID="g.first" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>
        <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>"#;
    let second = r#"<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions conditionCombination="any">
          <imsss:ruleCondition referencedObjective="prev" operator="not" condition="satisfied"/>
          <imsss:ruleCondition referencedObjective="prev" operator="not" condition="objectiveStatusKnown"/>
        </imsss:ruleConditions><imsss:ruleAction action="disabled"/></imsss:preConditionRule></imsss:sequencingRules>
        <imsss:objectives><imsss:primaryObjective objectiveID="p2"/><imsss:objective objectiveID="prev"><imsss:mapInfo targetObjectiveID="g.first"/></imsss:objective></imsss:objectives>
        <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>"#;
    let zip = package("forced", r#"<imsss:controlMode choice="false" flow="true"/>"#, &[("first", first), ("second", second)]);
    let course = scorm_course(&app, zip.to_str().unwrap()).await;
    let (one, two) = (page_path(&course.items, "first"), page_path(&course.items, "second"));
    sign_in(&browser, &app, "s1").await;

    // Asking for the second lesson first starts the course where it starts.
    browser.goto(&app.url(&two)).await;
    assert!(wait_path(&browser, &one).await, "redirected to the first SCO");
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame')", Duration::from_secs(20)).await);
    let links = browser.eval("return document.querySelectorAll('.toc a').length;").await;
    assert_eq!(links, 0, "no choice: the table of contents links nothing");
    assert_eq!(browser.eval("return !!document.getElementById('nav-continue');").await, false, "continue would deliver a disabled SCO");

    // The second SCO does not open before the first is done.
    browser.goto(&app.url(&two)).await;
    assert!(browser.wait_for("document.getElementById('lesson-locked')", Duration::from_secs(20)).await, "the second lesson is refused");
    assert_eq!(browser.eval("return !!document.querySelector('iframe.scorm-frame');").await, false);
    let state = stored_state(&app, course.id).await;
    assert_eq!(state["current"], 1, "still in the first SCO: {state}");
    assert_eq!(state["activities"][1]["active"], true);

    // Passing the first and asking to continue (adl.nav.request at Terminate) opens the second.
    sco_finishes(&browser, &app.url(&one), "finish('completed', 'passed', 0.9, 'continue');").await;
    assert!(wait_path(&browser, &two).await, "the SCO's continue request leads to the second SCO");
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame')", Duration::from_secs(20)).await);
    let state = stored_state(&app, course.id).await;
    assert_eq!(state["current"], 2, "{state}");
    assert_eq!(state["globals"]["g.first"]["satisfied"], true, "{state}");
    assert_eq!(state["activities"][1]["attempt_count"], 1);
    assert_eq!(state["activities"][1]["objectives"][0]["measure"], 0.9);
}

#[tokio::test]
async fn failing_the_quiz_sends_the_learner_back_to_the_content() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("simple_remediation").await else { return };
    // Only the quiz decides whether the course is passed.
    let content = r#"<imsss:rollupRules rollupObjectiveSatisfied="false"/><imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>"#;
    let quiz = r#"<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions>
          <imsss:ruleCondition operator="not" condition="satisfied"/>
        </imsss:ruleConditions><imsss:ruleAction action="previous"/></imsss:postConditionRule></imsss:sequencingRules>
        <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>"#;
    let zip = package("remediation", r#"<imsss:controlMode choice="false" flow="true"/>"#, &[("content", content), ("quiz", quiz)]);
    let course = scorm_course(&app, zip.to_str().unwrap()).await;
    let (content, quiz) = (page_path(&course.items, "content"), page_path(&course.items, "quiz"));
    sign_in(&browser, &app, "s1").await;

    sco_finishes(&browser, &app.url(&content), "finish('completed', null, null, 'continue');").await;
    assert!(wait_path(&browser, &quiz).await, "on to the quiz");
    sco_finishes_here(&browser, "finish('completed', 'failed', 0.3, 'continue');").await;
    assert!(wait_path(&browser, &content).await, "failing the quiz sends the learner back to the content");
    let state = stored_state(&app, course.id).await;
    assert_eq!((state["activities"][1]["attempt_count"].clone(), state["activities"][2]["attempt_count"].clone()), (2.into(), 1.into()), "{state}");
    let course_objective = &state["activities"][0]["objectives"][0];
    assert_eq!((course_objective["progress_known"].clone(), course_objective["satisfied"].clone()), (true.into(), false.into()), "the course is not satisfied: {state}");

    // The learner's own continue button works too, then passing ends the course.
    enter_sco_here(&browser).await;
    assert!(browser.wait_for("typeof api === 'object' && api !== null", Duration::from_secs(20)).await, "the SCO started");
    browser.eval("api.SetValue('cmi.completion_status', 'completed'); api.Commit('');").await;
    browser.leave_frames().await;
    assert!(browser.wait_for("!!document.getElementById('nav-continue')", Duration::from_secs(10)).await, "continue button");
    browser.eval("document.getElementById('nav-continue').click();").await;
    assert!(wait_path(&browser, &quiz).await, "the continue button");
    sco_finishes_here(&browser, "finish('completed', 'passed', 0.95, 'continue');").await;
    assert!(wait_path(&browser, &format!("/courses/{}", course.id)).await, "past the end: back to the course page");
    let state = stored_state(&app, course.id).await;
    let course_objective = &state["activities"][0]["objectives"][0];
    assert_eq!((course_objective["progress_known"].clone(), course_objective["satisfied"].clone()), (true.into(), true.into()), "passed: {state}");
    assert_eq!(state["current"], Value::Null, "the session ended");
}

#[tokio::test]
async fn golf_4th_edition_disables_and_hides_by_its_global_objectives() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("golf_4th_sequencing").await else { return };
    let course = scorm_course(&app, "scorm2004/golf-4th-seq-posttestrollup.zip").await;
    let (playing, etiquette) = (page_path(&course.items, "playing_item"), page_path(&course.items, "etuqiette_item"));
    sign_in(&browser, &app, "s1").await;
    browser.goto(&app.url(&etiquette)).await;
    assert!(wait_path(&browser, &playing).await, "Etiquette is disabled at first: the course starts at Playing");
    browser.goto(&app.url(&etiquette)).await;
    assert!(browser.wait_for("document.getElementById('lesson-locked')", Duration::from_secs(20)).await, "Etiquette is refused while Playing is not completed");
    browser.goto(&app.url(&playing)).await;
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame')", Duration::from_secs(20)).await);
    let toc = browser.eval("return Array.prototype.map.call(document.querySelectorAll('.toc li'), function (li) { return li.textContent.trim().split(/\\s+/)[0] + (li.querySelector('a') ? ':link' : ''); });").await;
    assert_eq!(toc, serde_json::json!(["Etiquette", "Handicapping", "Having"]), "the quiz is hidden, the later lessons are not links (the current one is not listed)");

    // The launch page loads jQuery from the internet, which tests do not reach, so the
    // learner's completion is reported through the same API the SCO would call.
    browser.enter_frame("iframe.scorm-frame").await;
    assert!(browser.wait_for("document.getElementById('sco-frame') && window.API_1484_11", Duration::from_secs(30)).await, "API bridge");
    let api = "var a = window.API_1484_11; if (a.Initialize('') !== 'true' && a.GetLastError() !== '103') throw a.GetLastError(); \
               a.SetValue('cmi.completion_status', 'completed'); return a.Commit('');";
    assert_eq!(browser.eval(api).await, "true");
    browser.leave_frames().await;
    let global = "com.scorm.golfsamples.sequencing.forcedsequential.playing_completed";
    let state = wait_state(&app, course.id, |s| s["globals"][global]["completed"] == true).await;
    assert_eq!(state["globals"][global]["completion_known"], true, "written through adlseq:mapInfo: {state}");

    // The table of contents now offers Etiquette (read as the same learner, without
    // disturbing the running SCO), and choosing it delivers it.
    app.login("s1").await;
    let html = app.get(&playing).await.text().await.unwrap();
    assert!(html.contains(&format!(r#"<a href="{etiquette}">Etiquette</a>"#)), "Etiquette is a link now");
    assert!(!html.contains(&format!(r#"<a href="{}">"#, page_path(&course.items, "handicapping_item"))), "Handicapping still is not");
    browser.goto(&app.url(&etiquette)).await;
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame') || document.getElementById('lesson-locked')", Duration::from_secs(20)).await);
    assert_eq!(browser.eval("return !!document.querySelector('iframe.scorm-frame');").await, true, "Etiquette is delivered");
    let state = wait_state(&app, course.id, |s| s["current"] == 2).await;
    assert_eq!(state["activities"][2]["active"], true, "{state}");
}
