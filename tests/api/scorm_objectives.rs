//! SCORM 2004 objectives declared in the manifest, in a real headless Chromium: a SCO that
//! works like Rustici's "Run-time advanced calls" example finds its objectives by id in
//! `cmi.objectives` at Initialize, writes their status and score (and a numeric interaction
//! with a bare-number pattern), and reads them back when it resumes, with no API error.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::scorm_browser::{enter_sco, sign_in, wait_for_state, Course};
use crate::security::zip_of;
use crate::webdriver::Browser;

/// Uploads `zip` as a teacher of school A1 and adds student `s1` of that school.
pub async fn course_from_zip(app: &TestApp, name: &str, zip: Vec<u8>) -> (Course, Value) {
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app.client.post(app.url(&format!("/api/v1/packages?name={name}"))).bearer_auth(&token).header("content-type", "application/zip").body(zip).send().await.unwrap();
    let status = res.status();
    let report: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{name} imports: {report}");
    let id = report["course_id"].as_i64().unwrap();
    let student = app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    let student_token = app.token_for(student).await;
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{id}"))).bearer_auth(&student_token).send().await.unwrap().json().await.unwrap();
    let items = course["items"].as_array().unwrap_or_else(|| panic!("items in {course}")).clone();
    (Course { id, items, student_token }, report)
}

/// Two SCOs: `playing` declares its objectives itself, `etiquette` through a
/// sequencingCollection entry (IDRef), plus one of its own that overrides nothing else.
fn objectives_zip() -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="adv" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Advanced calls</title>
    <item identifier="playing" identifierref="r_sco"><title>Playing</title>
      <imsss:sequencing>
        <imsss:objectives>
          <imsss:primaryObjective objectiveID="obj_playing" satisfiedByMeasure="false"/>
          <imsss:objective objectiveID="obj_etiquette"/>
          <imsss:objective objectiveID="obj_handicapping"/>
        </imsss:objectives>
      </imsss:sequencing>
    </item>
    <item identifier="etiquette" identifierref="r_sco"><title>Etiquette</title>
      <imsss:sequencing IDRef="shared_objectives"/>
    </item>
  </organization></organizations>
  <resources>
    <resource identifier="r_sco" type="webcontent" adlcp:scormType="sco" href="sco.html"><file href="sco.html"/></resource>
  </resources>
  <imsss:sequencingCollection>
    <imsss:sequencing ID="shared_objectives">
      <imsss:objectives>
        <imsss:primaryObjective objectiveID="obj_course"/>
        <imsss:objective objectiveID="obj_etiquette"/>
      </imsss:objectives>
    </imsss:sequencing>
  </imsss:sequencingCollection>
</manifest>"#;
    // As the example does: look each objective up by id among cmi.objectives, write its
    // status and score by index, and record every API error the SCO meets.
    let sco = r#"<!doctype html><html><head><meta charset="utf-8"><title>SCO</title><script>
var API = parent.API_1484_11, errors = [];
function call(name, a, b) {
  var r = API[name](a, b), code = API.GetLastError();
  if (code !== '0') errors.push(name + '(' + a + ') -> ' + code + ' ' + API.GetDiagnostic(code));
  return r;
}
function find(id) {
  var n = Number(call('GetValue', 'cmi.objectives._count'));
  for (var i = 0; i < n; i++) if (call('GetValue', 'cmi.objectives.' + i + '.id') === id) return i;
  errors.push('could not find objective ' + id);
  return undefined;
}
window.onload = function () {
  call('Initialize', '');
  var entry = call('GetValue', 'cmi.entry'), n = Number(call('GetValue', 'cmi.objectives._count')), ids = [];
  for (var i = 0; i < n; i++) ids.push(call('GetValue', 'cmi.objectives.' + i + '.id'));
  var seen = {};
  ids.forEach(function (id, i) {
    seen[id] = [call('GetValue', 'cmi.objectives.' + i + '.success_status'), call('GetValue', 'cmi.objectives.' + i + '.completion_status')];
  });
  if (entry === 'ab-initio' && ids.indexOf('obj_etiquette') >= 0) {
    var o = find('obj_etiquette');
    call('SetValue', 'cmi.objectives.' + o + '.success_status', 'passed');
    call('SetValue', 'cmi.objectives.' + o + '.completion_status', 'completed');
    call('SetValue', 'cmi.objectives.' + o + '.score.scaled', '0.8');
    call('SetValue', 'cmi.objectives.' + o + '.score.raw', '80');
    call('SetValue', 'cmi.interactions.0.id', 'q_strokes');
    call('SetValue', 'cmi.interactions.0.type', 'numeric');
    call('SetValue', 'cmi.interactions.0.objectives.0.id', 'obj_etiquette');
    call('SetValue', 'cmi.interactions.0.correct_responses.0.pattern', '5');
    call('SetValue', 'cmi.interactions.0.learner_response', '5');
    call('SetValue', 'cmi.interactions.0.result', 'correct');
    call('SetValue', 'cmi.completion_status', 'incomplete');
    call('Commit', '');
    call('SetValue', 'cmi.exit', 'suspend');
    call('Terminate', '');
  }
  window.done = { entry: entry, ids: ids, seen: seen, errors: errors };
};
</script></head><body>SCO</body></html>"#;
    zip_of(&[("imsmanifest.xml".into(), manifest.as_bytes().to_vec()), ("sco.html".into(), sco.as_bytes().to_vec())])
}

async fn run_sco(browser: &Browser, page: &str) -> Value {
    enter_sco(browser, page).await;
    assert!(browser.wait_for("!!window.done", Duration::from_secs(20)).await, "the SCO ran");
    let done = browser.eval("return window.done;").await;
    browser.leave_frames().await;
    done
}

#[tokio::test]
async fn manifest_objectives_are_in_the_data_model_stored_and_resumed() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("manifest_objectives_are_in_the_data_model_stored_and_resumed").await else { return };
    let (course, report) = course_from_zip(&app, "advanced.zip", objectives_zip()).await;
    assert!(report["warnings"].as_array().is_none_or(|w| w.is_empty()), "nothing unsupported: {report}");
    let page = |n: usize| app.url(course.items[n]["page_url"].as_str().unwrap());
    sign_in(&browser, &app, "s1").await;

    // Session 1: the declared objectives are there with unknown statuses; the SCO finds
    // its objective by id and writes it without a single error.
    let first = run_sco(&browser, &page(0)).await;
    assert_eq!(first["entry"], "ab-initio", "{first}");
    assert_eq!(first["ids"], serde_json::json!(["obj_playing", "obj_etiquette", "obj_handicapping"]), "{first}");
    assert_eq!(first["seen"]["obj_etiquette"], serde_json::json!(["unknown", "unknown"]), "{first}");
    assert_eq!(first["errors"], serde_json::json!([]), "no API errors: {first}");
    let stored = wait_for_state(&app, &course, |s| s["attempt"]["terminated"] == 1).await;
    assert_eq!(stored["cmi"]["cmi.exit"], "suspend", "{stored}");

    // Session 2: resumed, the SCO reads back what it stored for its objective.
    let second = run_sco(&browser, &page(0)).await;
    assert_eq!(second["entry"], "resume", "{second}");
    assert_eq!(second["ids"], first["ids"], "no objective added twice: {second}");
    assert_eq!(second["seen"]["obj_etiquette"], serde_json::json!(["passed", "completed"]), "{second}");
    assert_eq!(second["seen"]["obj_handicapping"], serde_json::json!(["unknown", "unknown"]), "{second}");
    assert_eq!(second["errors"], serde_json::json!([]), "{second}");

    // The second SCO takes its objectives from the sequencingCollection entry it names.
    let other = run_sco(&browser, &page(1)).await;
    assert_eq!(other["ids"], serde_json::json!(["obj_course", "obj_etiquette"]), "{other}");
    assert_eq!(other["seen"]["obj_etiquette"], serde_json::json!(["unknown", "unknown"]), "objectives are per SCO without mapInfo: {other}");
}
