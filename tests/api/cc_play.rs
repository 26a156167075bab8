//! An IMS Common Cartridge that plays completely: a page whose image is linked through
//! `$IMS-CC-FILEBASE$`, a discussion shown read-only, and a QTI quiz with every CC item type,
//! scored on the server and seen in the learner's progress and the statistics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{fixtures_dir, spawn_app_with, Options, Org, TestApp};
use crate::progress::{course_progress, item, learner, session};
use crate::webdriver::Browser;

/// A 4 x 3 red PNG.
const PNG: &str = "89504e470d0a1a0a0000000d49484452000000040000000308020000003b9639910000001049444154789c6338212707470c383900f5c70c3107ebad990000000049454e44ae426082";

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="cc-play-test" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.1.0</schemaversion></metadata>
  <organizations><organization identifier="org" structure="rooted-hierarchy"><item identifier="root">
    <item identifier="m1"><title>Week 1</title>
      <item identifier="i-page" identifierref="page1"><title>Reading</title></item>
      <item identifier="i-topic" identifierref="topic1"><title>Discuss</title></item>
      <item identifier="i-quiz" identifierref="quiz1"><title>Check yourself</title></item>
    </item>
  </item></organization></organizations>
  <resources>
    <resource identifier="page1" type="webcontent" href="wiki_content/reading.html"><file href="wiki_content/reading.html"/></resource>
    <resource identifier="media" type="webcontent" href="web_resources/Uploaded Media/dot one.png"><file href="web_resources/Uploaded Media/dot one.png"/></resource>
    <resource identifier="topic1" type="imsdt_xmlv1p1"><file href="topic1.xml"/><dependency identifierref="media"/></resource>
    <resource identifier="quiz1" type="imsqti_xmlv1p2/imscc_xmlv1p1/assessment"><file href="quiz1/assessment_qti.xml"/></resource>
  </resources>
</manifest>"#;

const PAGE: &str = r#"<html><head><meta charset="utf-8"><title>Reading</title></head><body>
<h1>Reading</h1><p><img id="dot" src="%24IMS-CC-FILEBASE%24/Uploaded%20Media/dot%20one.png?canvas_download=1&amp;canvas_qs_wrap=1" alt="dot"></p>
<p><a id="to-topic" href="$CANVAS_OBJECT_REFERENCE$/discussion_topics/topic1">Discuss</a> <a id="gone" href="$CANVAS_COURSE_REFERENCE$/modules/items/zzz">Gone</a></p>
</body></html>"#;

const TOPIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<topic xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1"><title>Introduce yourself</title>
<text texttype="text/html">&lt;p id="prompt"&gt;Tell the class where you live. &lt;img src="$IMS-CC-FILEBASE$/Uploaded Media/dot one.png"&gt;&lt;/p&gt;</text></topic>"#;

fn qti_item(ident: &str, profile: &str, body: &str, right: &str) -> String {
    let processing = if right.is_empty() {
        String::new()
    } else {
        format!(r#"<resprocessing><respcondition continue="No"><conditionvar>{right}</conditionvar><setvar action="Set" varname="SCORE">100</setvar></respcondition></resprocessing>"#)
    };
    format!(
        r#"<item ident="{ident}" title="{ident}"><itemmetadata><qtimetadata><qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>{profile}</fieldentry></qtimetadatafield></qtimetadata></itemmetadata>
<presentation>{body}</presentation>{processing}</item>"#
    )
}

fn choices(cardinality: &str, labels: &[(&str, &str)]) -> String {
    let labels: String = labels
        .iter()
        .map(|(id, t)| format!(r#"<response_label ident="{id}"><material><mattext texttype="text/plain">{t}</mattext></material></response_label>"#))
        .collect();
    format!(r#"<response_lid ident="r" rcardinality="{cardinality}"><render_choice>{labels}</render_choice></response_lid>"#)
}

fn text(t: &str) -> String {
    format!(r#"<material><mattext texttype="text/html">&lt;p&gt;{t}&lt;/p&gt;</mattext></material>"#)
}

fn qti() -> String {
    let open = r#"<response_str ident="r" rcardinality="Single"><render_fib><response_label ident="a"/></render_fib></response_str>"#;
    let items = [
        qti_item("mc", "cc.multiple_choice.v0p1", &format!("{}{}", text("Which is a mammal? &lt;img src=&quot;$IMS-CC-FILEBASE$/Uploaded%20Media/dot%20one.png&quot;&gt;"), choices("Single", &[("a", "Shark"), ("b", "Whale")])), r#"<varequal respident="r">b</varequal>"#),
        qti_item(
            "mr",
            "cc.multiple_response.v0p1",
            &format!("{}{}", text("Which are primes?"), choices("Multiple", &[("a", "2"), ("b", "4"), ("c", "5")])),
            r#"<and><varequal respident="r">a</varequal><not><varequal respident="r">b</varequal></not><varequal respident="r">c</varequal></and>"#,
        ),
        qti_item("tf", "cc.true_false.v0p1", &format!("{}{}", text("The sun is a star."), choices("Single", &[("t", "True"), ("f", "False")])), r#"<varequal respident="r">t</varequal>"#),
        qti_item("fib", "cc.fib.v0p1", &format!("{}{open}", text("Water freezes at how many degrees Celsius?")), r#"<varequal respident="r">0</varequal><varequal respident="r">zero</varequal>"#),
        qti_item("essay", "cc.essay.v0p1", &format!("{}{open}", text("Why do leaves fall?")), ""),
        qti_item("pairs", "cc.matching.v0p1", &text("Match the pairs"), ""),
    ];
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="quiz1" title="Check yourself">
<section ident="root_section">{}</section></assessment></questestinterop>"#,
        items.join("\n")
    )
}

/// A zip of `files` as `name` in `dir`.
fn zip_of(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// The cartridge as an `.imscc` file in `dir`.
fn cartridge(dir: &Path) -> PathBuf {
    let png = hex::decode(PNG).unwrap();
    let qti = qti();
    let files: [(&str, &[u8]); 5] = [
        ("imsmanifest.xml", MANIFEST.as_bytes()),
        ("wiki_content/reading.html", PAGE.as_bytes()),
        ("web_resources/Uploaded Media/dot one.png", &png),
        ("topic1.xml", TOPIC.as_bytes()),
        ("quiz1/assessment_qti.xml", qti.as_bytes()),
    ];
    zip_of(dir, "play-test.imscc", &files)
}

/// Uploads the cartridge as a teacher of school A1, open to all; returns (report, course).
async fn import(app: &TestApp, org: &Org) -> (Value, Value) {
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let dir = tempfile::tempdir().unwrap();
    let res = app.upload_with(&token, &cartridge(dir.path()), "&visibility=open").await;
    assert_eq!(res.status(), 201, "the cartridge imports");
    let report: Value = res.json().await.unwrap();
    let course = app.get_json(&format!("/api/v1/courses/{}", report["course_id"])).await;
    (report, course)
}

fn lesson<'a>(course: &'a Value, title: &str) -> &'a Value {
    course["items"].as_array().unwrap().iter().find(|i| i["title"] == title).unwrap_or_else(|| panic!("no lesson {title}: {course}"))
}

/// The right answers to every scored question, and an essay.
const ANSWERS: &[(&str, &str)] = &[("mc", "2"), ("mr", "1"), ("mr", "3"), ("tf", "true"), ("fib", " Zero "), ("essay", "The days get shorter.")];

/// The course's average score as the statistics show it to an officer of its region, once
/// the tracker has written it (the totals are written a moment after the attempt).
async fn average_score(app: &TestApp, org: &Org, course_id: i64) -> Value {
    let officer = app.add_user("officer", "bureau", None, Some(org.region_a)).await;
    let token = app.token_for(officer).await;
    let mut last = Value::Null;
    for _ in 0..50 {
        let stats: Value = app.client.get(app.url(&format!("/api/v1/stats/courses/{course_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let totals = stats["totals"].as_array().cloned().unwrap_or_default();
        last = totals.iter().find(|t| t[0] == "average_score").map(|t| t[1].clone()).unwrap_or(Value::Null);
        if last.is_number() {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no average score in the statistics: {last}");
}

#[tokio::test]
async fn a_cartridge_with_an_image_a_discussion_and_a_qti_quiz_plays_and_the_quiz_is_scored_on_the_server() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let (report, course) = import(&app, &org).await;
    let course_id = course["id"].as_i64().unwrap();
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("`pairs`") && warnings.contains("cc.matching.v0p1"), "the unsupported item is named: {warnings}");
    assert!(warnings.contains("modules/items/zzz"), "the dead link is named: {warnings}");
    let kinds: Vec<&str> = course["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["folder", "html", "html", "quiz"], "{course}");

    // The page's image link now points at the stored image, which is served whole.
    let page_url = lesson(&course, "Reading")["url"].as_str().unwrap().to_owned();
    let page = app.get(&page_url).await.text().await.unwrap();
    assert!(page.contains(r#"src="../web_resources/Uploaded%20Media/dot%20one.png""#), "{page}");
    assert!(page.contains(r#"href="../courseware-cc/discussion-topic1.html""#), "{page}");
    let base = page_url.rsplitn(3, '/').nth(2).unwrap();
    let image = app.get(&format!("{base}/web_resources/Uploaded%20Media/dot%20one.png")).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.bytes().await.unwrap().to_vec(), hex::decode(PNG).unwrap());
    assert_eq!(app.get(&format!("{base}/quiz1/assessment_qti.xml")).await.status(), 404, "the quiz's answers are never served");

    // The discussion is a page with its prompt, from the package's content URLs.
    let topic_url = lesson(&course, "Discuss")["url"].as_str().unwrap().to_owned();
    let topic = app.get(&topic_url).await;
    assert!(topic.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"), "served sandboxed like every package page");
    let topic = topic.text().await.unwrap();
    assert!(topic.contains("<h1>Introduce yourself</h1>") && topic.contains("Tell the class where you live."), "{topic}");
    assert!(topic.contains(r#"src="../web_resources/Uploaded%20Media/dot%20one.png""#), "{topic}");

    // The quiz is scored on the server: every scored question right, the essay kept aside.
    let s = learner(&app, "s1", Some(org.school_a1), Some(org.region_a)).await;
    let (client, csrf) = session(&app, "s1").await;
    let quiz = lesson(&course, "Check yourself");
    let form_page = client.get(app.url(quiz["page_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(form_page.contains("Which is a mammal?") && form_page.contains(r#"<textarea name="answer.essay""#), "{form_page}");
    assert!(!form_page.contains("pairs") && !form_page.contains("Match the pairs"));
    let shown = form_page.split(r#"<img class="question-image" src=""#).nth(1).and_then(|rest| rest.split('"').next()).expect("the question's image");
    assert!(shown.ends_with("/web_resources/Uploaded%20Media/dot%20one.png"), "{shown}");
    assert_eq!(client.get(app.url(shown)).send().await.unwrap().bytes().await.unwrap().to_vec(), hex::decode(PNG).unwrap());
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone()), ("attempt_id".into(), "cc-1".into())];
    form.extend(ANSWERS.iter().map(|(q, v)| (format!("answer.{q}"), v.to_string())));
    let res = client.post(app.url(&format!("{}/quiz", quiz["page_url"].as_str().unwrap()))).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let result_url = res.headers()["location"].to_str().unwrap().to_owned();
    let result = client.get(app.url(&result_url)).send().await.unwrap().text().await.unwrap();
    assert!(result.contains(r#"<span class="score">100</span>"#) && result.contains("4/4"), "{result}");
    assert!(result.contains(r#"class="quiz-pending""#) && result.contains("The days get shorter."), "the essay is kept and said to be: {result}");
    let progress = course_progress(&app, &s.token, course_id).await;
    let q = item(&progress, "quiz");
    assert_eq!((q["status"].as_str(), q["score"].as_f64()), (Some("passed"), Some(100.0)), "{progress}");
    assert_eq!(average_score(&app, &org, course_id).await, 100.0);

    // A wrong attempt scores only what it got right.
    let wrong: Vec<(String, String)> = vec![("csrf_token".into(), csrf), ("attempt_id".into(), "cc-2".into()), ("answer.mc".into(), "1".into()), ("answer.tf".into(), "true".into())];
    let res = client.post(app.url(&format!("{}/quiz", quiz["page_url"].as_str().unwrap()))).form(&wrong).send().await.unwrap();
    let result = client.get(app.url(res.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(result.contains(r#"<span class="score">25</span>"#) && result.contains("1/4"), "{result}");

    // The teacher reads the essays (the blank one too); a learner may not.
    let (teacher, _) = session(&app, "t1").await;
    let essays = teacher.get(app.url(&format!("/teach/courses/{course_id}/essays"))).send().await.unwrap();
    assert_eq!(essays.status(), 200);
    let essays = essays.text().await.unwrap();
    assert!(essays.contains("Why do leaves fall?") && essays.contains("The days get shorter."), "{essays}");
    assert_eq!(essays.matches(r#"<li class="essay">"#).count(), 2, "one essay per attempt: {essays}");
    let progress_page = teacher.get(app.url(&format!("/teach/courses/{course_id}/progress"))).send().await.unwrap().text().await.unwrap();
    assert!(progress_page.contains(&format!("/teach/courses/{course_id}/essays")), "the class view links to them");
    let denied = client.get(app.url(&format!("/teach/courses/{course_id}/essays"))).send().await.unwrap();
    assert!(denied.status().is_client_error(), "{}", denied.status());
}

#[tokio::test]
async fn a_learner_in_chromium_sees_the_image_the_discussion_and_gets_the_quiz_score_in_progress() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("a_learner_in_chromium_sees_the_image_the_discussion_and_gets_the_quiz_score_in_progress").await else { return };
    let org = app.org().await;
    let (_, course) = import(&app, &org).await;
    let course_id = course["id"].as_i64().unwrap();
    let s = learner(&app, "s1", Some(org.school_a1), Some(org.region_a)).await;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    browser.goto(&format!("{base}/login")).await;
    browser.send_keys("input[name=username]", "s1").await;
    browser.send_keys("input[name=password]", "s1-password").await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");

    // The page: its $IMS-CC-FILEBASE$ image loads inside the lesson's frame.
    browser.goto(&format!("{base}{}", lesson(&course, "Reading")["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('iframe.page') !== null", Duration::from_secs(10)).await);
    browser.enter_frame("iframe.page").await;
    let loaded = "document.getElementById('dot') && document.getElementById('dot').complete && document.getElementById('dot').naturalWidth > 0";
    assert!(browser.wait_for(loaded, Duration::from_secs(10)).await, "the image loads");
    assert_eq!(browser.eval("const i = document.getElementById('dot'); return [i.naturalWidth, i.naturalHeight];").await, serde_json::json!([4, 3]));
    // Its link to the discussion leads to the discussion's page, in the same frame.
    browser.eval("document.getElementById('to-topic').click();").await;
    assert!(browser.wait_for("document.querySelector('h1') && document.querySelector('h1').textContent === 'Introduce yourself'", Duration::from_secs(10)).await, "the link leads to the discussion");
    browser.leave_frames().await;

    // The discussion lesson shows its prompt and image.
    browser.goto(&format!("{base}{}", lesson(&course, "Discuss")["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('iframe.page') !== null", Duration::from_secs(10)).await);
    browser.enter_frame("iframe.page").await;
    assert!(browser.wait_for("document.getElementById('prompt') && document.querySelector('#prompt img').naturalWidth === 4", Duration::from_secs(10)).await, "prompt and image");
    browser.leave_frames().await;

    // The quiz: answered in the form, scored on the server, shown on the page and in progress.
    browser.goto(&format!("{base}{}", lesson(&course, "Check yourself")["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('form.quiz') !== null", Duration::from_secs(10)).await, "the quiz form");
    assert!(browser.wait_for("document.querySelector('.question-image').complete && document.querySelector('.question-image').naturalWidth === 4", Duration::from_secs(10)).await, "the question's image loads");
    browser
        .eval(
            "const pick = (q, v) => document.querySelector(`input[name=\"answer.${q}\"][value=\"${v}\"]`).click();
             pick('mc', '2'); pick('mr', '1'); pick('mr', '3'); pick('tf', 'true');
             document.querySelector('input[name=\"answer.fib\"]').value = '0';
             document.querySelector('textarea[name=\"answer.essay\"]').value = 'They dry out in winter.';
             document.querySelector('form.quiz button[type=submit]').click();",
        )
        .await;
    assert!(browser.wait_for("location.search.includes('attempt=') && document.querySelector('#quiz-result .score') !== null", Duration::from_secs(10)).await, "the result page");
    assert_eq!(browser.eval("return document.querySelector('#quiz-result .score').textContent;").await, "100");
    assert_eq!(browser.eval("return document.querySelector('.quiz-pending') !== null;").await, true);
    let progress = course_progress(&app, &s.token, course_id).await;
    assert_eq!(item(&progress, "quiz")["score"], 100.0, "{progress}");
    browser.goto(&format!("{base}/courses/{course_id}")).await;
    let shown = browser.eval("return document.querySelector('.course-progress').textContent;").await;
    assert!(shown.as_str().unwrap().contains("100"), "the course page shows the score: {shown}");
    assert_eq!(average_score(&app, &org, course_id).await, 100.0);
}

#[tokio::test]
async fn a_cartridge_of_only_a_discussion_or_only_an_essay_quiz_imports_and_plays() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = |id: &str, kind: &str, file: &str| {
        format!(
            r#"<manifest identifier="{id}" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"><organizations><organization identifier="o"/></organizations>
<resources><resource identifier="r1" type="{kind}"><file href="{file}"/></resource></resources></manifest>"#
        )
    };
    let talk = manifest("only-talk", "imsdt_xmlv1p1", "topic.xml");
    let path = zip_of(dir.path(), "talk.imscc", &[("imsmanifest.xml", talk.as_bytes()), ("topic.xml", TOPIC.as_bytes())]);
    let res = app.upload_with(&token, &path, "&visibility=open").await;
    assert_eq!(res.status(), 201, "a discussion alone is something to play");
    let report: Value = res.json().await.unwrap();
    let course = app.get_json(&format!("/api/v1/courses/{}", report["course_id"])).await;
    let topic = lesson(&course, "Introduce yourself");
    assert!(app.get(topic["url"].as_str().unwrap()).await.text().await.unwrap().contains("Tell the class where you live."));

    let essay = qti_item("why", "cc.essay.v0p1", &format!("{}{}", text("Why do we sleep?"), r#"<response_str ident="r"><render_fib/></response_str>"#), "");
    let qti = format!(r#"<questestinterop><assessment ident="a" title="Reflection"><section ident="s">{essay}</section></assessment></questestinterop>"#);
    let quiz_only = manifest("only-quiz", "imsqti_xmlv1p2/imscc_xmlv1p1/assessment", "a.xml");
    let path = zip_of(dir.path(), "quiz.imscc", &[("imsmanifest.xml", quiz_only.as_bytes()), ("a.xml", qti.as_bytes())]);
    let res = app.upload_with(&token, &path, "&visibility=open").await;
    assert_eq!(res.status(), 201, "a quiz alone is something to play");
    let report: Value = res.json().await.unwrap();
    let course_id = report["course_id"].as_i64().unwrap();
    let course = app.get_json(&format!("/api/v1/courses/{course_id}")).await;
    let quiz = lesson(&course, "Reflection");
    let s = learner(&app, "s1", Some(org.school_a1), Some(org.region_a)).await;
    let (client, csrf) = session(&app, "s1").await;
    let form = [("csrf_token", csrf.as_str()), ("attempt_id", "e-1"), ("answer.why", "To rest.")];
    let res = client.post(app.url(&format!("{}/quiz", quiz["page_url"].as_str().unwrap()))).form(&form).send().await.unwrap();
    let result = client.get(app.url(res.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(!result.contains(r#"class="score""#) && result.contains(r#"class="quiz-pending""#), "essays only: no score to show: {result}");
    let progress = course_progress(&app, &s.token, course_id).await;
    let q = item(&progress, "quiz");
    assert_eq!((q["status"].as_str(), q["score"].is_null()), (Some("passed"), true), "sent is done, and unscored: {progress}");
}

#[tokio::test]
async fn the_real_cartridges_import_and_every_lesson_page_renders() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let dir = fixtures_dir().join("imscc");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let res = app.upload_with(&token, &path, "&visibility=open").await;
        assert_eq!(res.status(), 201, "{}", path.display());
        let report: Value = res.json().await.unwrap();
        let course = app.get_json(&format!("/api/v1/courses/{}", report["course_id"])).await;
        for lesson in course["items"].as_array().unwrap().iter().filter(|i| i["kind"] != "folder") {
            assert_eq!(app.get(lesson["page_url"].as_str().unwrap()).await.status(), 200, "{lesson}");
            if let Some(url) = lesson["url"].as_str().filter(|u| u.starts_with("/content/")) {
                assert_eq!(app.get(url).await.status(), 200, "{lesson}");
            }
        }
        seen += 1;
    }
    assert_eq!(seen, 3, "the three Instructure cartridges");
}
