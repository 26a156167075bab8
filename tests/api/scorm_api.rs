//! The SCORM commit endpoint without a browser: authorization, CSRF, re-validation with
//! the standard error codes, sessions, beacons, the suspend_data ceiling and the read API.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::scorm_browser::{sco_state, scorm_course, Course};

/// Opens the SCO's lesson page as the signed-in client (which launches a session) and
/// returns (commit URL, launch JSON).
async fn open_sco(app: &TestApp, course: &Course) -> (String, Value) {
    let sco = course.items.iter().find(|i| i["kind"] == "sco").unwrap();
    let html = app.get(sco["page_url"].as_str().unwrap()).await.text().await.unwrap();
    let commit = html.split("data-commit-url=\"").nth(1).and_then(|r| r.split('"').next()).expect("commit url in the page").to_string();
    let json = html.split("class=\"scorm-launch\">").nth(1).and_then(|r| r.split("</script>").next()).expect("launch data");
    (commit, serde_json::from_str(json).unwrap())
}

async fn post(app: &TestApp, url: &str, csrf: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(url)).header("x-csrf-token", csrf).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn commits_are_validated_stored_and_limited_to_the_launched_session() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let course = scorm_course(&app, "scorm12/golf-runtime-basic.zip").await;
    let csrf = app.login("s1").await;
    let (commit, launch) = open_sco(&app, &course).await;
    assert_eq!(launch["version"], "1.2");
    assert_eq!(launch["state"]["values"]["cmi.core.entry"], "ab-initio");
    assert_eq!(launch["state"]["values"]["cmi.core.student_id"], "s1");

    // Without the CSRF token: refused before anything is looked at.
    let res = app.client.post(app.url(&commit)).json(&json!({"values": []})).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // Good values are stored; bad ones come back with their SCORM 1.2 error code.
    let res = post(&app, &commit, &csrf, json!({"seq": 1, "values": [
        ["cmi.core.lesson_location", "7"], ["cmi.core.lesson_status", "incomplete"],
        ["cmi.core.score.raw", "abc"], ["cmi.core.student_id", "someone-else"], ["cmi.core.session_time", "PT50S.21S"],
        ["cmi.nothing", "x"], ["cmi.suspend_data", "s".repeat(5000)]
    ]})).await;
    assert_eq!(res.status(), 200);
    let reply: Value = res.json().await.unwrap();
    let codes: Vec<(String, u64)> = reply["rejected"].as_array().unwrap().iter().map(|r| (r["element"].as_str().unwrap().to_string(), r["code"].as_u64().unwrap())).collect();
    assert_eq!(codes, [("cmi.core.score.raw".to_string(), 405), ("cmi.core.student_id".into(), 403), ("cmi.core.session_time".into(), 405), ("cmi.nothing".into(), 401)], "{reply}");
    let state = sco_state(&app, &course).await;
    assert_eq!(state["attempt"]["location"], "7");
    assert_eq!(state["attempt"]["completion"], "incomplete");
    assert_eq!(state["cmi"]["cmi.suspend_data"].as_str().unwrap().len(), 5000, "1.2 suspend_data beyond 4096 is kept whole");
    assert!(state["cmi"].get("cmi.core.score.raw").is_none(), "a refused value is never stored");
    assert_eq!(state["cmi"]["cmi.core.student_id"], Value::Null, "read-only values are not listed, and not changed");

    // Past the ceiling (64,000 by default): 405 in 1.2, nothing stored.
    let res = post(&app, &commit, &csrf, json!({"values": [["cmi.suspend_data", "x".repeat(64_001)]]})).await;
    let reply: Value = res.json().await.unwrap();
    assert_eq!(reply["rejected"][0]["code"], 405, "{reply}");
    assert_eq!(sco_state(&app, &course).await["cmi"]["cmi.suspend_data"].as_str().unwrap().len(), 5000);

    // The beacon form: text/plain with the token in the query; Terminate applies mastery rules.
    let beacon = json!({"seq": 2, "final": true, "values": [["cmi.core.score.raw", "90"], ["cmi.core.session_time", "0000:01:30.5"], ["cmi.core.exit", "suspend"]]});
    let res = app.client.post(app.url(&format!("{commit}?csrf_token={csrf}"))).header("content-type", "text/plain;charset=UTF-8").body(beacon.to_string()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let state = sco_state(&app, &course).await;
    assert_eq!(state["attempt"]["terminated"], 1);
    assert_eq!(state["attempt"]["total_seconds"], 90.5);
    assert_eq!(state["attempt"]["score_scaled"], 0.9);
    // After Terminate, the same final again is a harmless duplicate, anything else is refused.
    assert_eq!(post(&app, &commit, &csrf, json!({"final": true, "values": [["cmi.core.session_time", "0000:01:30.5"]]})).await.status(), 200);
    assert_eq!(sco_state(&app, &course).await["attempt"]["total_seconds"], 90.5, "session time counted once");
    assert_eq!(post(&app, &commit, &csrf, json!({"values": [["cmi.core.lesson_location", "8"]]})).await.status(), 409);

    // The next launch resumes; the old session's URL no longer takes commits.
    let (next_commit, launch) = open_sco(&app, &course).await;
    assert_ne!(next_commit, commit);
    assert_eq!(launch["state"]["values"]["cmi.core.entry"], "resume");
    assert_eq!(launch["state"]["values"]["cmi.core.lesson_location"], "7");
    assert_eq!(launch["state"]["values"]["cmi.core.total_time"], "0000:01:30.50");
    assert_eq!(post(&app, &commit, &csrf, json!({"values": [["cmi.core.lesson_location", "9"]]})).await.status(), 409);
    // Malformed bodies are named.
    let res = post(&app, &next_commit, &csrf, json!({"values": "no"})).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn other_learners_and_other_items_cannot_be_committed_to() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let course = scorm_course(&app, "scorm12/golf-runtime-basic.zip").await;
    courseware::db::courses::update_settings(&app.db, course.id, true, courseware::domain::Visibility::School).await.unwrap();
    let csrf = app.login("s1").await;
    let (commit, launch) = open_sco(&app, &course).await;
    // A learner of another school cannot see the course: its SCO is "not found".
    let outsider = app.add_user("o1", "student", None, None).await;
    let token = app.token_for(outsider).await;
    let res = app.client.post(app.url(&commit)).bearer_auth(&token).json(&json!({"values": []})).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.get(app.url(&format!("/api/v1/scorm/courses/{}", course.id))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Client-made result events are refused: status and score come from the runtime only.
    let sco_id = course.items.iter().find(|i| i["kind"] == "sco").unwrap()["id"].as_i64().unwrap();
    let res = app.client.post(app.url("/api/v1/progress/events")).header("x-csrf-token", &csrf)
        .json(&json!({"events": [{"id": "fake-pass", "item_id": sco_id, "type": "result", "at": courseware::db::now_ms(), "status": "passed", "score": 100}]}))
        .send().await.unwrap();
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["rejected"][0]["id"], "fake-pass", "{out}");
    // The bridge's keyed URL is for this learner's session only: another key is refused.
    let beacon = launch["beacon"].as_str().unwrap();
    let content = beacon.rsplit_once('/').unwrap().0;
    let origin = launch["sco"]["url"].as_str().unwrap().split("/content/").next().unwrap().to_string();
    let plain = reqwest::Client::new();
    let forged = plain.post(format!("{origin}{content}/{}", "0".repeat(32))).body("{\"values\": []}").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let good = plain.post(format!("{origin}{beacon}")).body(json!({"values": [["cmi.core.lesson_location", "2"]]}).to_string()).send().await.unwrap();
    assert_eq!(good.status(), 200);
    assert_eq!(sco_state(&app, &course).await["attempt"]["location"], "2");
    // The content origin serves no application page and sets no cookie.
    for path in ["/", "/login", "/api/v1/me", "/courses/1"] {
        let res = plain.get(format!("{origin}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path} on the content origin");
        assert!(res.headers().get("set-cookie").is_none());
    }
}

#[tokio::test]
async fn sequencing_rollup_applies_and_unsupported_parts_are_named_on_import() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app.upload(&token, &crate::helpers::fixtures_dir().join("scorm2004/golf-4th-seq-posttestrollup.zip")).await;
    assert_eq!(res.status(), 201);
    let report: Value = res.json().await.unwrap();
    let warnings: Vec<String> = report["warnings"].as_array().unwrap().iter().map(|w| w["message"].as_str().unwrap_or_default().to_string()).collect();
    // Rules and global objective maps are carried out now; what is not (shared data) is named.
    for item in ["etuqiette_item", "handicapping_item", "assessment_item"] {
        let w = warnings.iter().find(|w| w.contains(&format!("item `{item}`"))).unwrap_or_else(|| panic!("no warning for {item}: {warnings:?}"));
        assert!(w.contains("not supported by this server") && w.contains("adlcp:data"), "{w}");
        assert!(!w.contains("preConditionRule") && !w.contains("mapInfo"), "supported parts are not named: {w}");
    }
    // Post-test rollup: the content SCOs (rollup excluded via the sequencing collection)
    // do not count for the course; the test does.
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{}", report["course_id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let required: Vec<(&str, bool)> = course["items"].as_array().unwrap().iter().map(|i| (i["identifier"].as_str().unwrap(), i["required"].as_bool().unwrap())).collect();
    assert_eq!(required.iter().filter(|(_, r)| *r).map(|(i, _)| *i).collect::<Vec<_>>(), ["assessment_item"], "{required:?}");
    assert_eq!(required.len(), 5);
}

/// A SCORM 2004 package of two SCOs whose organization forbids choice and going back.
fn forced_sequential_zip() -> Vec<u8> {
    use std::io::Write;
    let manifest = r#"<?xml version="1.0"?>
<manifest identifier="m" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Forced order</title>
    <item identifier="one" identifierref="r1"><title>One</title></item>
    <item identifier="two" identifierref="r2"><title>Two</title></item>
    <imsss:sequencing><imsss:controlMode choice="false" flow="true" forwardOnly="true"/></imsss:sequencing>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="one.html"><file href="one.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="two.html"><file href="two.html"/></resource>
  </resources>
</manifest>"#;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [("imsmanifest.xml", manifest), ("one.html", "<p>one</p>"), ("two.html", "<p>two</p>")] {
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(body.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn control_modes_force_the_order_and_forbid_going_back() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app.client.post(app.url("/api/v1/packages?name=forced.zip")).bearer_auth(&token).header("content-type", "application/zip").body(forced_sequential_zip()).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    let csrf = app.login("s1").await;
    let course: Value = app.get_json(&format!("/api/v1/courses/{id}")).await;
    let page = |n: usize| course["items"][n]["page_url"].as_str().unwrap().to_string();
    // Asking for the second lesson first starts the course at the first (SB.2.5 Start).
    let res = app.get(&page(1)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), page(0));
    let first = app.get(&page(0)).await.text().await.unwrap();
    assert!(first.contains("id=\"scorm-player\""));
    // The SCO can ask what the sequencer allows (RTE 4.4.3 adl.nav.request_valid).
    assert!(first.contains(r#""adl.nav.request_valid.continue":"true""#) && first.contains(r#""adl.nav.request_valid.previous":"false""#), "{first}");
    let toc = first.split("<details class=\"toc\"").nth(1).and_then(|r| r.split("</details>").next()).unwrap();
    assert!(toc.contains("Two") && !toc.contains("href="), "no choice in the table of contents: {toc}");
    // Without choice the second lesson is not opened by asking for it (NB.2.1-10).
    let second = app.get(&page(1)).await.text().await.unwrap();
    assert!(second.contains("id=\"lesson-locked\"") && !second.contains("id=\"scorm-player\""), "locked");
    let commit = first.split("data-commit-url=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let res = app.client.post(app.url(&commit)).header("x-csrf-token", &csrf)
        .json(&json!({"final": true, "values": [["cmi.completion_status", "completed"], ["cmi.exit", "normal"]]})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Continue (flow) leads there.
    let res = app.client.post(app.url(&format!("/courses/{id}/navigate"))).form(&[("csrf_token", csrf.as_str()), ("request", "continue")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), page(1));
    let second = app.get(&page(1)).await.text().await.unwrap();
    assert!(second.contains("id=\"scorm-player\""), "delivered by continue");
    assert!(!second.contains("id=\"nav-previous\""), "forwardOnly: no previous button");
    assert!(!second.contains("id=\"nav-continue\""), "nothing after the last lesson to continue to");
    // forwardOnly: no way back to the first lesson from the pager.
    assert!(!second.contains(&format!("class=\"button secondary\" href=\"{}\"", page(0))), "no previous link");
}

/// A SCORM 1.2 package: `b` requires `a`; `extra` is hidden (isvisible="false") between
/// them; `c` has a rule that does not parse; `d` needs `b` done or `a` passed, and `c`
/// not failed; the folder `hf` is hidden with its page.
fn prerequisites_zip() -> Vec<u8> {
    let manifest = r#"<?xml version="1.0"?>
<manifest identifier="m12" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Prerequisites</title>
    <item identifier="a" identifierref="r1"><title>Lesson Alpha</title></item>
    <item identifier="extra" identifierref="r3" isvisible="false"><title>Hidden Extra</title></item>
    <item identifier="b" identifierref="r2"><title>Lesson Beta</title><adlcp:prerequisites type="aicc_script">a</adlcp:prerequisites></item>
    <item identifier="c" identifierref="r2"><title>Lesson Gamma</title><adlcp:prerequisites type="aicc_script">a &amp;</adlcp:prerequisites></item>
    <item identifier="d" identifierref="r2"><title>Lesson Delta</title><adlcp:prerequisites type="aicc_script">1*{b, a=passed} &amp; ~c=failed</adlcp:prerequisites></item>
    <item identifier="hf" isvisible="false"><title>Hidden Folder</title><item identifier="inner" identifierref="r3"><title>Inner Page</title></item></item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="a.html"><file href="a.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="b.html"><file href="b.html"/></resource>
    <resource identifier="r3" type="webcontent" adlcp:scormtype="asset" href="extra.html"><file href="extra.html"/></resource>
  </resources>
</manifest>"#;
    crate::security::zip_of(&[
        ("imsmanifest.xml".into(), manifest.as_bytes().to_vec()),
        ("a.html".into(), b"<p>a</p>".to_vec()),
        ("b.html".into(), b"<p>b</p>".to_vec()),
        ("extra.html".into(), b"<p>extra</p>".to_vec()),
    ])
}

#[tokio::test]
async fn scorm12_prerequisites_lock_a_lesson_and_hidden_items_are_not_listed() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let (course, report) = crate::scorm_objectives::course_from_zip(&app, "prereq.zip", prerequisites_zip()).await;
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("item `c`") && warnings.contains("does not parse") && warnings.contains("expected an item identifier at the end"), "{report}");
    assert!(!warnings.contains("item `b`") && !warnings.contains("item `d`"), "{report}");
    let id = course.id;
    let csrf = app.login("s1").await;
    let url = |ident: &str| course.items.iter().find(|i| i["identifier"] == ident).unwrap()["page_url"].as_str().unwrap().to_string();
    assert_eq!(course.items[1]["hidden"], true, "{:?}", course.items);

    // The course page lists neither the hidden item nor a way into B without the lock.
    let page = app.get(&format!("/courses/{id}")).await.text().await.unwrap();
    assert!(page.contains("Lesson Alpha") && !page.contains("Hidden Extra"), "hidden item not listed");
    assert!(!page.contains("Hidden Folder") && !page.contains("Inner Page"), "a hidden folder hides its pages");
    let beta = page.split("Lesson Beta").nth(1).and_then(|r| r.split("</li>").next()).unwrap();
    assert!(beta.contains("data-locked-by") && beta.contains("Lesson Alpha"), "B shows its lock: {beta}");
    let gamma = page.split("Lesson Gamma").nth(1).and_then(|r| r.split("</li>").next()).unwrap();
    assert!(!gamma.contains("data-locked-by"), "a rule that does not parse locks nothing: {gamma}");
    let delta = page.split("Lesson Delta").nth(1).and_then(|r| r.split("</li>").next()).unwrap();
    assert!(delta.contains("data-locked-by") && delta.contains("Lesson Beta"), "{delta}");

    // Opening B says which lesson comes first and launches nothing.
    let res = app.get(&url("b")).await;
    assert_eq!(res.status(), 200);
    let b = res.text().await.unwrap();
    assert!(b.contains("id=\"lesson-locked\"") && !b.contains("id=\"scorm-player\""), "locked: {b}");
    let notice = b.split("id=\"lesson-locked\">").nth(1).and_then(|r| r.split("</p>").next()).unwrap();
    assert!(notice.contains("Lesson Alpha"), "{notice}");

    // The hidden item is not in A's table of contents, but the pager (flow) reaches it and it plays.
    let a = app.get(&url("a")).await.text().await.unwrap();
    let toc = a.split("<details class=\"toc\"").nth(1).and_then(|r| r.split("</details>").next()).unwrap();
    assert!(!toc.contains("Hidden Extra") && toc.contains("Lesson Beta"), "{toc}");
    assert!(a.contains(&format!("href=\"{}\"", url("extra"))), "next leads to the hidden item");
    let extra = app.get(&url("extra")).await.text().await.unwrap();
    assert!(extra.contains("scorm-asset") && !extra.contains("id=\"lesson-locked\""), "the hidden item plays");

    // A completed: B opens.
    let commit = a.split("data-commit-url=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let res = app.client.post(app.url(&commit)).header("x-csrf-token", &csrf)
        .json(&json!({"final": true, "values": [["cmi.core.lesson_status", "completed"]]})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut b = String::new();
    for _ in 0..50 {
        b = app.get(&url("b")).await.text().await.unwrap();
        if b.contains("id=\"scorm-player\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(b.contains("id=\"scorm-player\"") && !b.contains("id=\"lesson-locked\""), "unlocked once A is completed");
    let page = app.get(&format!("/courses/{id}")).await.text().await.unwrap();
    let beta = page.split("Lesson Beta").nth(1).and_then(|r| r.split("</li>").next()).unwrap();
    assert!(!beta.contains("data-locked-by"), "{beta}");
    let delta = page.split("Lesson Delta").nth(1).and_then(|r| r.split("</li>").next()).unwrap();
    assert!(delta.contains("data-locked-by"), "D needs B done or A passed; A is only completed: {delta}");
}
