//! cmi5 in a real headless Chromium: the AU of a CATAPULT sample launched with the cmi5
//! parameters, fetching its token once and reporting by xAPI; statements stored, moveOn
//! applied to progress.
//!
//! The fixture ships its index.html but not the scripts it loads (js/cmi5.min.js ...), so
//! the test plays the AU's part from inside its frame, with the URLs of its launch.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options};
use crate::scorm_browser::{scorm_course, sign_in};
use crate::webdriver::Browser;

const AU_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const q = new URLSearchParams(location.search);
const actor = JSON.parse(q.get('actor'));
const reg = q.get('registration'), au = q.get('activityId'), endpoint = q.get('endpoint');
(async () => {
  const token = (await (await fetch(q.get('fetch'), {method: 'POST'})).json())['auth-token'];
  const again = await (await fetch(q.get('fetch'), {method: 'POST'})).json();
  const h = {'Authorization': 'Basic ' + token, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json'};
  const ld = await (await fetch(endpoint + 'activities/state?stateId=LMS.LaunchData&activityId=' + encodeURIComponent(au)
    + '&agent=' + encodeURIComponent(q.get('actor')) + '&registration=' + reg, {headers: h})).json();
  const ctx = {registration: reg, extensions: ld.contextTemplate.extensions,
    contextActivities: {category: [{id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5'}]}};
  const send = (verb, result) => fetch(endpoint + 'statements', {method: 'POST', headers: h, body: JSON.stringify(
    {actor, verb: {id: 'http://adlnet.gov/expapi/verbs/' + verb}, object: {id: au, objectType: 'Activity'}, context: ctx, result})});
  const codes = [];
  for (const [verb, result] of [['initialized'], ['completed', {completion: true, duration: 'PT12S'}],
                                ['passed', {success: true, score: {scaled: 0.9}, duration: 'PT12S'}], ['terminated']]) {
    codes.push((await send(verb, result)).status);
  }
  const forged = await fetch(endpoint + 'statements', {method: 'POST', headers: h, body: JSON.stringify(
    {actor: {account: {homePage: 'x', name: 'someone-else'}}, verb: {id: 'http://adlnet.gov/expapi/verbs/passed'}, object: {id: au}})});
  done({token, again, launchData: ld, codes, actor, forged: forged.status, registration: reg, endpoint});
})().catch(e => done({error: String(e)}));
"#;

#[tokio::test]
async fn cmi5_au_launches_reports_by_xapi_and_completes() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("cmi5_au_launches_reports_by_xapi_and_completes").await else { return };
    let course = scorm_course(&app, "cmi5/catapult-single-au-basic-framed.zip").await;
    let au = course.items.iter().find(|i| i["kind"] == "cmi5_au").expect("an AU").clone();
    sign_in(&browser, &app, "s1").await;
    browser.goto(&app.url(au["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('iframe.cmi5-au')", Duration::from_secs(10)).await, "AU frame");
    let src = browser.eval("return document.querySelector('iframe.cmi5-au').src;").await;
    let src = src.as_str().unwrap().to_string();
    for p in ["endpoint=", "fetch=", "actor=", "registration=", "activityId="] {
        assert!(src.contains(p), "launch parameter {p} in {src}");
    }
    browser.enter_frame("iframe.cmi5-au").await;
    assert!(browser.wait_for("document.readyState === 'complete' && location.origin.startsWith('http://localhost:')", Duration::from_secs(10)).await, "the AU loads on the content origin");
    let out = browser.eval_async(AU_SCRIPT).await;
    assert!(out.get("error").is_none(), "{out}");
    assert_eq!(out["again"]["error-code"], "1", "the fetch URL works once: {out}");
    assert_eq!(out["launchData"]["moveOn"], "CompletedOrPassed", "{out}");
    assert_eq!(out["launchData"]["launchMode"], "Normal", "{out}");
    assert_eq!(out["codes"], json!([200, 200, 200, 200]), "{out}");
    assert_eq!(out["forged"], 400, "a statement for another learner is refused: {out}");

    // The statements are stored, as the LRS returns them.
    let endpoint = out["endpoint"].as_str().unwrap();
    let token = out["token"].as_str().unwrap();
    let plain = reqwest::Client::new();
    let list: Value = plain.get(format!("{endpoint}statements")).header("authorization", format!("Basic {token}")).send().await.unwrap().json().await.unwrap();
    let verbs: Vec<&str> = list["statements"].as_array().unwrap().iter().map(|s| s["verb"]["id"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(verbs, ["terminated", "passed", "completed", "initialized"], "{list}");
    assert!(list["statements"][0]["stored"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list["statements"][1]["context"]["registration"], out["registration"]);
    let bad = plain.get(format!("{endpoint}statements")).header("authorization", "Basic nope").send().await.unwrap();
    assert_eq!(bad.status(), 401);
    let about: Value = plain.get(format!("{endpoint}about")).send().await.unwrap().json().await.unwrap();
    assert!(about["version"].as_array().unwrap().iter().any(|v| v == "1.0.3"));

    // moveOn CompletedOrPassed is met: the AU passed with 90, the course is complete.
    browser.leave_frames().await;
    let progress: Value = app.client.get(app.url(&format!("/api/v1/progress/courses/{}", course.id))).bearer_auth(&course.student_token).send().await.unwrap().json().await.unwrap();
    let item = progress["items"].as_array().unwrap().iter().find(|i| i["kind"] == "cmi5_au").unwrap();
    assert_eq!(item["status"], "passed", "{progress}");
    assert_eq!(item["score"], 90.0, "{progress}");
    assert_eq!(progress["status"], "completed", "{progress}");

    // Its one AU satisfied, the LMS says the course is satisfied (cmi5 9.3.9), once, and the
    // AU was told where to return and what the learner prefers.
    let course_key = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-single-au-basic";
    let said: Vec<_> = courseware::db::cmi5::statements(&app.db, out["registration"].as_str().unwrap(), course_key).await.unwrap();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].verb, "https://w3id.org/xapi/adl/verbs/satisfied");
    assert!(out["launchData"]["returnURL"].as_str().is_some_and(|u| u.contains("/cmi5/returned?")), "{out}");
    let prefs_url = format!("{endpoint}agents/profile?profileId=cmi5LearnerPreferences&agent={}", urlencoding(&out["actor"].to_string()));
    let prefs = plain.get(prefs_url).header("authorization", format!("Basic {token}")).send().await.unwrap();
    let prefs: Value = prefs.json().await.unwrap();
    assert_eq!(prefs["audioPreference"], "on", "{prefs}");
}

fn urlencoding(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
