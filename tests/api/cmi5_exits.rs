//! cmi5 around the AU, in a real headless Chromium: the `returnURL` an AU exits to (framed
//! and in its own window), `launchMethod="OwnWindow"`, the learner preferences agent
//! profile, and the LMS's own "satisfied" statements for blocks and the course.

use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::scorm_browser::{scorm_course, sign_in, Course};
use crate::webdriver::Browser;

/// Plays the AU's part from inside its window: fetch the token, read LMS.LaunchData and the
/// learner preferences, try to change them, and send `verbs`. Resolves with what it saw.
const AU_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const verbs = arguments[0];
const q = new URLSearchParams(location.search);
const actor = JSON.parse(q.get('actor'));
const reg = q.get('registration'), au = q.get('activityId'), endpoint = q.get('endpoint');
(async () => {
  const token = (await (await fetch(q.get('fetch'), {method: 'POST'})).json())['auth-token'];
  const h = {'Authorization': 'Basic ' + token, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json'};
  const agent = encodeURIComponent(q.get('actor'));
  const ld = await (await fetch(endpoint + 'activities/state?stateId=LMS.LaunchData&activityId=' + encodeURIComponent(au)
    + '&agent=' + agent + '&registration=' + reg, {headers: h})).json();
  const prefsRes = await fetch(endpoint + 'agents/profile?profileId=cmi5LearnerPreferences&agent=' + agent, {headers: h});
  const prefs = await prefsRes.json();
  const change = await fetch(endpoint + 'agents/profile?profileId=cmi5LearnerPreferences&agent=' + agent,
    {method: 'PUT', headers: h, body: JSON.stringify({languagePreference: 'fr-FR', audioPreference: 'off'})});
  const other = JSON.stringify({objectType: 'Agent', account: {homePage: actor.account.homePage, name: 'someone-else'}});
  const otherRes = await fetch(endpoint + 'agents/profile?profileId=cmi5LearnerPreferences&agent=' + encodeURIComponent(other), {headers: h});
  const ctx = {registration: reg, extensions: ld.contextTemplate.extensions,
    contextActivities: {category: [{id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5'}]}};
  const codes = [];
  for (const verb of ['initialized'].concat(verbs)) {
    const result = verb === 'passed' ? {success: true, score: {scaled: 0.8}} : verb === 'completed' ? {completion: true} : undefined;
    codes.push((await fetch(endpoint + 'statements', {method: 'POST', headers: h, body: JSON.stringify(
      {actor, verb: {id: 'http://adlnet.gov/expapi/verbs/' + verb}, object: {id: au, objectType: 'Activity'}, context: ctx, result})})).status);
  }
  done({launchData: ld, prefs, prefsStatus: prefsRes.status, change: change.status, other: otherRes.status, codes, registration: reg, actor,
        framed: window.top !== window});
})().catch(e => done({error: String(e)}));
"#;

fn structure_zip(dir: &std::path::Path) -> std::path::PathBuf {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/cmi5/exits"><title><langstring lang="zh-CN">退出与满足</langstring></title>
    <description><langstring lang="zh-CN">两个单元</langstring></description></course>
  <block id="https://example.org/cmi5/exits/b1">
    <title><langstring lang="zh-CN">第一单元</langstring></title><description><langstring lang="zh-CN">一</langstring></description>
    <au id="https://example.org/cmi5/exits/au1" moveOn="Completed">
      <title><langstring lang="zh-CN">课一</langstring></title><description><langstring lang="zh-CN">一</langstring></description><url>au1.html</url></au>
    <au id="https://example.org/cmi5/exits/au2" moveOn="NotApplicable">
      <title><langstring lang="zh-CN">课二</langstring></title><description><langstring lang="zh-CN">二</langstring></description><url>au2.html</url></au>
  </block>
  <block id="https://example.org/cmi5/exits/b2">
    <title><langstring lang="zh-CN">第二单元</langstring></title><description><langstring lang="zh-CN">二</langstring></description>
    <au id="https://example.org/cmi5/exits/au3" moveOn="Passed" launchMethod="OwnWindow">
      <title><langstring lang="zh-CN">测验</langstring></title><description><langstring lang="zh-CN">三</langstring></description><url>au3.html</url></au>
  </block>
</courseStructure>"#;
    let path = dir.join("exits.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("cmi5.xml", opts).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    for n in 1..=3 {
        zip.start_file(format!("au{n}.html"), opts).unwrap();
        zip.write_all(format!("<!doctype html><meta charset=utf-8><title>AU {n}</title><p>AU {n}</p>").as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// The LMS's satisfied statements of a registration about `key` (a block or the course).
async fn satisfied_about(app: &TestApp, registration: &str, key: &str) -> Vec<Value> {
    courseware::db::cmi5::statements(&app.db, registration, key)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.verb == "https://w3id.org/xapi/adl/verbs/satisfied")
        .map(|r| serde_json::from_str(&r.statement).unwrap())
        .collect()
}

fn item<'a>(course: &'a Course, title: &str) -> &'a Value {
    course.items.iter().find(|i| i["title"] == title || i["name"] == title).unwrap_or_else(|| panic!("no item {title}: {:?}", course.items))
}

#[tokio::test]
async fn an_au_exits_to_the_course_page_and_blocks_and_the_course_are_said_satisfied() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("an_au_exits_to_the_course_page_and_blocks_and_the_course_are_said_satisfied").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let course = scorm_course(&app, structure_zip(dir.path()).to_str().unwrap()).await;
    sign_in(&browser, &app, "s1").await;
    let course_path = format!("/courses/{}", course.id);

    // AU 1, framed: completing it satisfies block 1 (AU 2 is NotApplicable, met from the start).
    browser.goto(&app.url(item(&course, "课一")["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('iframe.cmi5-au')", Duration::from_secs(10)).await, "AU 1 is framed");
    browser.enter_frame("iframe.cmi5-au").await;
    assert!(browser.wait_for("document.readyState === 'complete'", Duration::from_secs(10)).await);
    let out = browser.eval_async_with(AU_SCRIPT, json!([["completed", "terminated"]])).await;
    assert!(out.get("error").is_none(), "{out}");
    assert_eq!(out["framed"], true);
    assert_eq!(out["codes"], json!([200, 200, 200]), "{out}");
    assert_eq!(out["prefsStatus"], 200, "{out}");
    let languages = out["prefs"]["languagePreference"].as_str().unwrap();
    assert!(languages == "zh-CN,en-US" || languages == "en-US,zh-CN", "the interface language first: {out}");
    assert_eq!(out["prefs"]["audioPreference"], "on");
    assert_eq!(out["change"], 403, "the preferences are the site's: {out}");
    assert_eq!(out["other"], 403, "another learner's preferences: {out}");
    let return_url = out["launchData"]["returnURL"].as_str().unwrap_or_else(|| panic!("returnURL in LMS.LaunchData: {out}")).to_string();
    let registration = out["registration"].as_str().unwrap().to_string();
    let session = out["launchData"]["contextTemplate"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/sessionid"].as_str().unwrap().to_string();

    let b1 = satisfied_about(&app, &registration, "https://example.org/cmi5/exits/b1").await;
    assert_eq!(b1.len(), 1, "block 1 satisfied once: {b1:?}");
    let st = &b1[0];
    assert_eq!(st["object"]["definition"]["type"], "https://w3id.org/xapi/cmi5/activitytype/block");
    assert_ne!(st["object"]["id"], "https://example.org/cmi5/exits/b1", "the LMS's own id, not the publisher's");
    assert_eq!(st["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/sessionid"], session, "the session of the AU launch");
    assert_eq!(st["context"]["registration"], registration);
    assert_eq!(st["context"]["contextActivities"]["grouping"][0]["id"], "https://example.org/cmi5/exits");
    assert_eq!(st["actor"]["account"], out["actor"]["account"], "the launched learner");
    assert!(satisfied_about(&app, &registration, "https://example.org/cmi5/exits/b2").await.is_empty(), "block 2 is not done");
    assert!(satisfied_about(&app, &registration, "https://example.org/cmi5/exits").await.is_empty(), "nor the course");

    // The AU exits to its returnURL: the lesson page takes the learner to the course page.
    browser.eval(&format!("location.href = {};", json!(return_url))).await;
    browser.leave_frames().await;
    assert!(
        browser.wait_for(&format!("location.origin === {} && location.pathname === {}", json!(app.address), json!(course_path)), Duration::from_secs(10)).await,
        "back on the course page after the framed AU exits: {}",
        browser.eval("return location.href").await
    );

    // AU 3 is OwnWindow: a link that opens it in the learner's window, no frame.
    browser.goto(&app.url(item(&course, "测验")["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.readyState === 'complete'", Duration::from_secs(10)).await);
    assert_eq!(browser.eval("return document.querySelector('iframe.cmi5-au') === null").await, true, "not framed");
    browser.eval("document.querySelector('a.cmi5-launch').click();").await;
    assert!(browser.wait_for("location.pathname.endsWith('/au3.html') && document.readyState === 'complete'", Duration::from_secs(10)).await, "AU 3 in the learner's window");
    let out = browser.eval_async_with(AU_SCRIPT, json!([["passed", "terminated"]])).await;
    assert!(out.get("error").is_none(), "{out}");
    assert_eq!(out["framed"], false, "{out}");
    assert_eq!(out["launchData"]["launchMethod"], "OwnWindow");
    assert_eq!(out["registration"], registration, "one registration per learner and course");
    let b2 = satisfied_about(&app, &registration, "https://example.org/cmi5/exits/b2").await;
    assert_eq!(b2.len(), 1, "{b2:?}");
    let whole = satisfied_about(&app, &registration, "https://example.org/cmi5/exits").await;
    assert_eq!(whole.len(), 1, "the course is satisfied once: {whole:?}");
    assert_eq!(whole[0]["object"]["definition"]["type"], "https://w3id.org/xapi/cmi5/activitytype/course");
    assert_eq!(satisfied_about(&app, &registration, "https://example.org/cmi5/exits/b1").await.len(), 1, "block 1 is not said again");

    let return_url = out["launchData"]["returnURL"].as_str().unwrap().to_string();
    browser.eval(&format!("location.href = {};", json!(return_url))).await;
    assert!(
        browser.wait_for(&format!("location.origin === {} && location.pathname === {}", json!(app.address), json!(course_path)), Duration::from_secs(10)).await,
        "the AU's own window comes back to the course page: {}",
        browser.eval("return location.href").await
    );

    // A return link the server did not sign goes nowhere.
    let forged = return_url.replace(&format!("course={}", course.id), "course=999");
    let res = reqwest::get(&forged).await.unwrap();
    assert_eq!(res.status(), 400);
}
