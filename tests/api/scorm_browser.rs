//! SCORM courses in a real headless Chromium: the Golf examples played through the player
//! page, the SCO on the content origin talking to our API bridge, the last commit arriving
//! when the tab closes, and resume at the stored location.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{fixtures_dir, spawn_app_with, Options, TestApp};
use crate::webdriver::Browser;

pub struct Course {
    pub id: i64,
    pub items: Vec<Value>,
    pub student_token: String,
}

/// Uploads a fixture as a teacher of school A1 and adds student `s1` of that school.
pub async fn scorm_course(app: &TestApp, fixture: &str) -> Course {
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app.upload(&token, &fixtures_dir().join(fixture)).await;
    assert_eq!(res.status(), 201, "{fixture} imports");
    let report: Value = res.json().await.unwrap();
    let id = report["course_id"].as_i64().unwrap();
    let student = app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    let student_token = app.token_for(student).await;
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{id}"))).bearer_auth(&student_token).send().await.unwrap().json().await.unwrap();
    let items = course["items"].as_array().unwrap_or_else(|| panic!("items in {course}")).clone();
    Course { id, items, student_token }
}

pub async fn sign_in(browser: &Browser, app: &TestApp, user: &str) {
    browser.goto(&app.url("/login")).await;
    browser.send_keys("input[name=username]", user).await;
    browser.send_keys("input[name=password]", &format!("{user}-password")).await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");
}

/// The learner's state of the course's first SCO, from the JSON API.
pub async fn sco_state(app: &TestApp, course: &Course) -> Value {
    let res = app.client.get(app.url(&format!("/api/v1/scorm/courses/{}", course.id))).bearer_auth(&course.student_token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["scos"][0].clone()
}

/// Polls the SCO state until `ok` accepts it (15 s at most).
pub async fn wait_for_state(app: &TestApp, course: &Course, ok: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = sco_state(app, course).await;
        if ok(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SCO state never arrived; last seen {last}");
}

/// Opens the lesson in the current window and enters the SCO's frame (player page →
/// wrapper on the content origin → SCO), waiting until the Golf launch page started.
pub async fn enter_sco(browser: &Browser, page_url: &str) {
    browser.goto(page_url).await;
    // Generous waits: in CI, several Chromium instances share two cores with the other tests.
    assert!(browser.wait_for("document.querySelector('iframe.scorm-frame')", Duration::from_secs(30)).await, "player page");
    browser.enter_frame("iframe.scorm-frame").await;
    assert!(browser.wait_for("document.getElementById('sco-frame') && (window.API || window.API_1484_11)", Duration::from_secs(30)).await, "API bridge");
    browser.enter_frame("#sco-frame").await;
}

/// Closes the current tab as a learner does, running its beforeunload handlers (where the
/// Golf launch page suspends; WebDriver's own "close window" skips them), and goes back to `to`.
pub async fn close_tab(browser: &Browser, to: &str) {
    browser.leave_frames().await;
    browser.cdp("Page.close", serde_json::json!({})).await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if browser.windows().await.len() == 1 {
            break;
        }
    }
    browser.switch_to(to).await;
}

struct Keys {
    api: &'static str,
    get: &'static str,
    entry: &'static str,
    location: &'static str,
    exit: &'static str,
}

const V12: Keys = Keys { api: "parent.API", get: "LMSGetValue", entry: "cmi.core.entry", location: "cmi.core.lesson_location", exit: "cmi.core.exit" };
const V2004: Keys = Keys { api: "parent.API_1484_11", get: "GetValue", entry: "cmi.entry", location: "cmi.location", exit: "cmi.exit" };

async fn golf_runs_to_completion_and_resumes(test: &str, fixture: &str, k: Keys) {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start(test).await else { return };
    let course = scorm_course(&app, fixture).await;
    let sco = course.items.iter().find(|i| i["kind"] == "sco").expect("a SCO");
    let lesson = app.url(sco["page_url"].as_str().unwrap());
    sign_in(&browser, &app, "s1").await;
    let first = browser.window().await;

    // Session 1: read three pages, then close the tab (the launch page suspends on unload).
    let tab = browser.new_window().await;
    browser.switch_to(&tab).await;
    enter_sco(&browser, &lesson).await;
    assert!(browser.wait_for("typeof currentPage === 'number' && currentPage === 0", Duration::from_secs(10)).await, "Golf started at page 0");
    let entry = browser.eval(&format!("return {}.{}('{}');", k.api, k.get, k.entry)).await;
    assert_eq!(entry, "ab-initio");
    browser.eval("doNext(); doNext(); doNext();").await;
    assert_eq!(browser.eval(&format!("return {}.{}('{}');", k.api, k.get, k.location)).await, "3");
    browser.leave_frames().await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // some session time
    close_tab(&browser, &first).await;
    let s = wait_for_state(&app, &course, |s| s["attempt"]["terminated"] == 1).await;
    let a = &s["attempt"];
    assert_eq!(s["cmi"][k.exit], "suspend", "the launch page suspends when its tab closes: {s}");
    assert_eq!(a["location"], "3", "{s}");
    assert_eq!(a["completion"], "incomplete", "{s}");
    assert!(a["total_seconds"].as_f64().unwrap() >= 1.0, "session time added up: {s}");
    let first_total = a["total_seconds"].as_f64().unwrap();

    // Session 2: entry=resume at the stored location; go to the end and pass the test.
    let tab = browser.new_window().await;
    browser.switch_to(&tab).await;
    browser.goto(&lesson).await;
    assert!(browser.accept_dialog(Duration::from_secs(15)).await, "the Golf SCO asks whether to resume");
    browser.enter_frame("iframe.scorm-frame").await;
    browser.enter_frame("#sco-frame").await;
    assert!(browser.wait_for("typeof currentPage === 'number' && currentPage === 3", Duration::from_secs(10)).await, "resumed at page 3");
    assert_eq!(browser.eval(&format!("return {}.{}('{}');", k.api, k.get, k.entry)).await, "resume");
    browser.eval("while (currentPage < pageArray.length - 1) doNext(); RecordTest(85);").await;
    browser.leave_frames().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    close_tab(&browser, &first).await;
    let s = wait_for_state(&app, &course, |s| s["attempt"]["success"] == "passed" && s["attempt"]["terminated"] == 1).await;
    let a = &s["attempt"];
    assert_eq!(a["completion"], "completed", "{s}");
    assert_eq!(a["score_raw"], 85.0, "{s}");
    assert_eq!(a["score_scaled"], 0.85, "{s}");
    assert_eq!(a["location"], "14", "{s}");
    assert!(a["total_seconds"].as_f64().unwrap() >= first_total + 1.0, "total time adds up: {s}");

    // The outcome reached the progress model (reported before the attempt row is written):
    // the lesson passed, the course completed.
    let progress: Value = app.client.get(app.url(&format!("/api/v1/progress/courses/{}", course.id))).bearer_auth(&course.student_token).send().await.unwrap().json().await.unwrap();
    let item = progress["items"].as_array().unwrap().iter().find(|i| i["kind"] == "sco").unwrap();
    assert_eq!(item["status"], "passed", "{progress}");
    assert_eq!(item["score"], 85.0, "{progress}");
    assert_eq!(progress["status"], "completed", "{progress}");
}

#[tokio::test]
async fn scorm12_golf_runtime_basic_completes_and_resumes() {
    golf_runs_to_completion_and_resumes("scorm12_golf", "scorm12/golf-runtime-basic.zip", V12).await;
}

#[tokio::test]
async fn scorm2004_golf_runtime_basic_completes_and_resumes() {
    golf_runs_to_completion_and_resumes("scorm2004_golf", "scorm2004/golf-3rd-runtime-basic.zip", V2004).await;
}

#[tokio::test]
async fn multi_sco_course_shows_its_tree_and_rolls_up() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("multi_sco_course_shows_its_tree_and_rolls_up").await else { return };
    let course = scorm_course(&app, "scorm12/golf-multisco-onefilepersco.zip").await;
    let lessons: Vec<&Value> = course.items.iter().filter(|i| i["kind"] != "folder").collect();
    let folders = course.items.iter().filter(|i| i["kind"] == "folder").count();
    assert!(lessons.len() >= 15 && folders >= 4, "the organization's tree: {:?}", course.items);
    sign_in(&browser, &app, "s1").await;
    browser.goto(&app.url(lessons[0]["page_url"].as_str().unwrap())).await;
    // The table of contents shows the folders and their pages, nested.
    let toc = browser.eval("return [document.querySelectorAll('details.toc li').length, document.querySelectorAll('details.toc li.depth-1').length, document.querySelector('details.toc').open];").await;
    assert_eq!(toc[0].as_u64().unwrap() as usize, course.items.len() - 1, "every other item of the tree: {toc}");
    assert!(toc[1].as_u64().unwrap() >= 15, "pages under their folders: {toc}");
    assert_eq!(toc[2], true);
    // Each page (an asset) plays from the content origin; the course is done after the last.
    for (n, lesson) in lessons.iter().enumerate() {
        browser.goto(&app.url(lesson["page_url"].as_str().unwrap())).await;
        let framed = browser
            .wait_for("(() => { const f = document.querySelector('iframe.scorm-asset'); return f && f.src.startsWith('http://localhost:'); })()", Duration::from_secs(5))
            .await;
        assert!(framed, "lesson {n} framed from the content origin");
        // Next, as a learner would; the lesson page's `open` event is sent on load.
        if n + 1 < lessons.len() {
            assert_eq!(browser.eval("return !!document.querySelector('nav.pager a.button:not(.secondary)');").await, true);
        }
        let mid: Value = app.client.get(app.url(&format!("/api/v1/progress/courses/{}", course.id))).bearer_auth(&course.student_token).send().await.unwrap().json().await.unwrap();
        if n == 0 {
            assert_ne!(mid["status"], "completed", "{mid}");
        }
    }
    // Leaving the last page sends its `open` event with the pagehide beacon.
    browser.goto(&app.url("/")).await;
    let mut progress = Value::Null;
    for _ in 0..100 {
        progress = app.client.get(app.url(&format!("/api/v1/progress/courses/{}", course.id))).bearer_auth(&course.student_token).send().await.unwrap().json().await.unwrap();
        if progress["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(progress["status"], "completed", "every page opened rolls up to the course: {progress}");
    assert_eq!(progress["percent"], 100, "{progress}");
}
