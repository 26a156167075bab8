//! Learner progress through the heartbeat API: retried batches count once, played intervals
//! merge whatever the order, seeking is not watching, invisible courses take no progress,
//! and a rebuild from the event log gives the same rows.


use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

pub struct Learner {
    pub id: i64,
    pub token: String,
}

pub async fn learner(app: &TestApp, name: &str, school: Option<i64>, region: Option<i64>) -> Learner {
    let id = app.add_user(name, "student", school, region).await;
    Learner { id, token: app.token_for(id).await }
}

/// Unix ms now; events are dated a little in the past so the server's clock is ahead.
pub fn now_ms() -> i64 {
    courseware::db::now_ms()
}

pub fn open(id: &str, item: i64, at: i64) -> Value {
    json!({"id": id, "item_id": item, "type": "open", "at": at})
}

/// A heartbeat of a 28 s video: `secs` played, in as much visible playing time, ending at `at`.
pub fn watch(id: &str, item: i64, secs: [f64; 2], at: i64) -> Value {
    let wall = ((secs[1] - secs[0]) * 1000.0) as i64;
    json!({"id": id, "item_id": item, "type": "progress", "at": at, "played": [secs],
           "active": [[at - wall, at]], "position": {"seconds": secs[1]}, "duration": 28.0})
}

/// Seconds on a page, document or quiz, ending at `at`.
pub fn read(id: &str, item: i64, seconds: i64, at: i64) -> Value {
    json!({"id": id, "item_id": item, "type": "progress", "at": at, "active": [[at - seconds * 1000, at]]})
}

/// Posts a batch without `sent_at`: the tests' clock is the server's, so times stay exact.
pub async fn post_events(app: &TestApp, token: &str, events: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/progress/events"))
        .bearer_auth(token)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn course_progress(app: &TestApp, token: &str, course_id: i64) -> Value {
    let res = app.client.get(app.url(&format!("/api/v1/progress/courses/{course_id}"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Runs `courseware progress rebuild` over the app's database; returns its JSON report.
pub fn rebuild(app: &TestApp) -> Value {
    crate::stats::run_cli(app, &["progress", "rebuild", "--json"])
}

pub fn item<'a>(progress: &'a Value, kind: &str) -> &'a Value {
    progress["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {progress}"))
}

pub fn item_id(course: &Value, kind: &str) -> i64 {
    course["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()["id"].as_i64().unwrap()
}

fn ids(list: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    ids.sort();
    ids
}

pub const QUIZ: &str = r#"
pass_score = 60
max_attempts = 5

[[questions]]
type = "single"
text = "秧苗长到几片叶时插秧最好？"
choices = ["1-2 片", "3-4 片", "7-8 片"]
answer = 2

[[questions]]
id = "pests"
type = "multiple"
text = "下面哪些是水稻害虫？"
choices = ["稻飞虱", "蚯蚓", "二化螟"]
answer = [1, 3]

[[questions]]
type = "true_false"
text = "分蘖末期要排水晒田。"
answer = true

[[questions]]
type = "fill"
text = "插秧后田里保持一寸深的水，农民叫它什么水？"
answer = ["寸水", "cun shui"]
"#;

/// A native course of school A1 (run `app.org()` first), open to all, with a video, a page
/// and a quiz, imported by the CLI; returns the course as the API shows it.
pub async fn import_quiz_course(app: &TestApp) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("media")).unwrap();
    std::fs::create_dir_all(root.join("quiz")).unwrap();
    let video = concat!(env!("CARGO_MANIFEST_DIR"), "/courses/rice-growing/media/rice-intro.mp4");
    std::fs::copy(video, root.join("media/intro.mp4")).unwrap();
    std::fs::write(root.join("page.html"), "<!doctype html><meta charset=utf-8><title>p</title><p>田间管理</p>").unwrap();
    std::fs::write(root.join("quiz/check.toml"), QUIZ).unwrap();
    std::fs::write(
        root.join("course.toml"),
        r#"format = 1
slug = "rice-check"
title = "水稻小测验"

[[lessons]]
id = "video"
title = "视频"
kind = "video"
file = "media/intro.mp4"
duration_seconds = 28

[[lessons]]
id = "reading"
title = "阅读"
kind = "html"
file = "page.html"
min_seconds = 5

[[lessons]]
id = "check"
title = "小测验"
kind = "quiz"
file = "quiz/check.toml"
"#,
    )
    .unwrap();
    let report = crate::stats::run_cli(app, &["import", root.to_str().unwrap(), "--school", "A1", "--visibility", "open", "--json"]);
    app.get_json(&format!("/api/v1/courses/{}", report["course_id"])).await
}

/// A browser-like client signed in as `name`, and its session's CSRF token.
pub async fn session(app: &TestApp, name: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client.post(app.url("/login")).form(&[("username", name), ("password", &format!("{name}-password"))]).send().await.unwrap();
    assert_eq!(res.status(), 303, "login of {name}");
    let me: Value = client.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    (client, me["csrf_token"].as_str().unwrap().to_string())
}

/// Sends the quiz form of `course` with `answers` (question id, value) as attempt `attempt`.
pub async fn submit_quiz(app: &TestApp, client: &reqwest::Client, csrf: &str, course: &Value, attempt: &str, answers: &[(&str, &str)]) -> reqwest::Response {
    let quiz = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "quiz").unwrap();
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.into()), ("attempt_id".into(), attempt.into())];
    form.extend(answers.iter().map(|(q, v)| (format!("answer.{q}"), v.to_string())));
    client.post(app.url(&format!("{}/quiz", quiz["page_url"].as_str().unwrap()))).form(&form).send().await.unwrap()
}

pub const HALF_RIGHT: &[(&str, &str)] = &[("q1", "2"), ("pests", "1"), ("q3", "false"), ("q4", " 寸水 ")];
pub const ALL_RIGHT: &[(&str, &str)] = &[("q1", "2"), ("pests", "3"), ("pests", "1"), ("q3", "true"), ("q4", "CUN  SHUI")];

/// A server with the demo courses, the rice course's id and video, and a learner `s1`.
async fn demo_video_and_learner() -> (TestApp, i64, i64, Learner) {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let (course_id, video) = (course["id"].as_i64().unwrap(), item_id(&course, "video"));
    let s = learner(&app, "s1", None, None).await;
    (app, course_id, video, s)
}

#[tokio::test]
async fn a_retried_batch_counts_once() {
    let (app, course_id, video, s) = demo_video_and_learner().await;
    let t = now_ms() - 60_000;
    let batch = json!([open("o1", video, t), watch("w1", video, [0.0, 10.0], t + 10_000), watch("w2", video, [10.0, 20.0], t + 20_000)]);

    let (status, first) = post_events(&app, &s.token, batch.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first["accepted"]), ["o1", "w1", "w2"]);
    let before = course_progress(&app, &s.token, course_id).await;
    let (status, again) = post_events(&app, &s.token, batch.clone()).await;
    assert_eq!(status, 200);
    assert_eq!((ids(&again["accepted"]), ids(&again["duplicates"])), (vec![], vec!["o1", "w1", "w2"]));
    assert_eq!(course_progress(&app, &s.token, course_id).await, before, "nothing counted twice");
    let v = item(&before, "video");
    assert_eq!((v["time_spent_ms"].as_i64(), v["watched_share"].as_f64(), v["attempts"].as_i64()), (Some(20_000), Some(0.7143), Some(1)));

    // The same batch sent five times at once (a flaky link retrying): stored once.
    let more = json!([watch("w3", video, [20.0, 25.0], t + 25_000), watch("w3", video, [20.0, 25.0], t + 25_000)]);
    let sends = (0..5).map(|_| post_events(&app, &s.token, more.clone()));
    let answers = futures_util::future::join_all(sends).await;
    let accepted: usize = answers.iter().map(|(_, a)| a["accepted"].as_array().unwrap().len()).sum();
    let duplicates: usize = answers.iter().map(|(_, a)| a["duplicates"].as_array().unwrap().len()).sum();
    assert_eq!((accepted, duplicates), (1, 9), "{answers:?}");
    let after = course_progress(&app, &s.token, course_id).await;
    assert_eq!(item(&after, "video")["time_spent_ms"], 25_000);
}

#[tokio::test]
async fn played_intervals_merge_across_seeks_and_out_of_order_arrival() {
    let (app, course_id, video, s) = demo_video_and_learner().await;
    let t = now_ms() - 120_000;
    // Played 0-10, sought back to 5 and played to 12, jumped to 20 and played to 25, went
    // back to the start and played to 3. The reports arrive in another order, in three batches.
    let a = watch("a", video, [0.0, 10.0], t + 10_000);
    let b = watch("b", video, [5.0, 12.0], t + 17_000);
    let c = watch("c", video, [20.0, 25.0], t + 22_000);
    let d = watch("d", video, [0.0, 3.0], t + 25_000);
    for batch in [json!([c, a]), json!([d]), json!([b])] {
        let (status, out) = post_events(&app, &s.token, batch).await;
        assert_eq!((status, out["accepted"].as_array().unwrap().is_empty()), (200, false), "{out}");
    }
    let v = course_progress(&app, &s.token, course_id).await;
    let v = item(&v, "video");
    assert_eq!(v["watched_share"], 0.6071, "(12 + 5) / 28: {v}");
    assert_eq!(v["position"], json!({"seconds": 3.0}), "the latest report's position, not the last to arrive");
    assert_eq!(v["time_spent_ms"], 25_000);
    assert_eq!(v["status"], "in_progress");
    let (rows, _) = courseware::db::progress::snapshot(&app.db).await.unwrap();
    assert_eq!(rows[0].played, "[[0.0,12.0],[20.0,25.0]]");
}

#[tokio::test]
async fn seeking_to_the_end_does_not_complete_a_video() {
    let (app, course_id, video, s) = demo_video_and_learner().await;
    let t = now_ms() - 120_000;
    post_events(&app, &s.token, json!([open("o", video, t), watch("a", video, [0.0, 3.0], t + 3_000), watch("b", video, [26.0, 28.0], t + 5_000)])).await;
    let p = course_progress(&app, &s.token, course_id).await;
    assert_eq!((item(&p, "video")["status"].as_str(), item(&p, "video")["watched_share"].as_f64()), (Some("in_progress"), Some(0.1786)));
    // A hand-made report claiming the whole video after 5 s on the page is cut to what 5 s allow.
    let forged = json!({"id": "f", "item_id": video, "type": "progress", "at": t + 10_000, "played": [[0.0, 28.0]], "active": [[t + 5_000, t + 10_000]]});
    post_events(&app, &s.token, json!([forged])).await;
    let p = course_progress(&app, &s.token, course_id).await;
    assert_eq!(item(&p, "video")["status"], "in_progress", "{p}");
    // Watching the rest completes it.
    let rest = json!([watch("c", video, [12.0, 20.0], t + 30_000), watch("d", video, [20.0, 26.0], t + 36_000)]);
    post_events(&app, &s.token, rest).await;
    let p = course_progress(&app, &s.token, course_id).await;
    assert_eq!((item(&p, "video")["status"].as_str(), item(&p, "video")["watched_share"].as_f64()), (Some("completed"), Some(1.0)));
    assert_eq!((p["status"].as_str(), p["completed_items"].as_i64(), p["percent"].as_i64()), (Some("in_progress"), Some(1), Some(33)));
    assert_eq!(p["continue_item"], video, "continue where they left off");
}

#[tokio::test]
async fn a_learner_cannot_post_progress_for_a_course_they_cannot_see() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = import_quiz_course(&app).await;
    let (course_id, video) = (course["id"].as_i64().unwrap(), item_id(&course, "video"));
    courseware::db::courses::update_settings(&app.db, course_id, true, courseware::domain::Visibility::School).await.unwrap();
    let inside = learner(&app, "a1-student", Some(org.school_a1), Some(org.region_a)).await;
    let outside = learner(&app, "b1-student", Some(org.school_b1), Some(org.region_b)).await;
    let t = now_ms() - 60_000;

    let (status, out) = post_events(&app, &outside.token, json!([watch("x", video, [0.0, 5.0], t), watch("y", 999_999, [0.0, 5.0], t)])).await;
    assert_eq!(status, 200);
    assert!(out["accepted"].as_array().unwrap().is_empty(), "{out}");
    let codes: Vec<&str> = out["rejected"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["not_found", "not_found"], "another school's course looks like no course at all");
    let res = app.client.get(app.url(&format!("/api/v1/progress/courses/{course_id}"))).bearer_auth(&outside.token).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let (status, out) = post_events(&app, &inside.token, json!([watch("x", video, [0.0, 5.0], t)])).await;
    assert_eq!((status, ids(&out["accepted"])), (200, vec!["x"]));
    let (rows, _) = courseware::db::progress::snapshot(&app.db).await.unwrap();
    assert!(rows.iter().all(|r| r.user_id == inside.id), "nothing stored for the outsider");

    // Without an account, or with a session cookie but no CSRF token, nothing is taken.
    let body = json!({"events": [watch("z", video, [0.0, 1.0], t)]});
    let anon = reqwest::Client::new().post(app.url("/api/v1/progress/events")).json(&body).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let csrf = app.login("a1-student").await;
    let res = app.client.post(app.url("/api/v1/progress/events")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 403, "cookie without CSRF token");
    // The page's beacon: the token in the query, the JSON sent as text/plain.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/progress/events?csrf_token={csrf}")))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Malformed events are refused one by one, a malformed batch as a whole.
    let (_, out) = post_events(&app, &inside.token, json!([{"id": "bad id", "item_id": video, "type": "progress", "at": t}, {"id": "r", "item_id": video, "type": "result", "at": t}])).await;
    assert_eq!(out["rejected"].as_array().unwrap().len(), 2, "{out}");
    let res = app.client.post(app.url("/api/v1/progress/events")).bearer_auth(&inside.token).json(&json!({"events": "no"})).send().await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn rebuild_from_the_event_log_gives_the_same_rows() {
    let app = spawn_app().await;
    let org = app.org().await;
    let quiz_course = import_quiz_course(&app).await;
    let rice = app.demo_course("rice-growing").await;
    let t = now_ms() - 600_000;
    for (n, name) in ["r1", "r2", "r3"].iter().enumerate() {
        let s = learner(&app, name, Some(org.school_a1), Some(org.region_a)).await;
        let (video, page) = (item_id(&rice, "video"), item_id(&rice, "html"));
        let n = n as i64;
        let events = json!([
            open(&format!("{name}-o"), video, t),
            watch(&format!("{name}-a"), video, [0.0, 9.0 + n as f64], t + 10_000),
            watch(&format!("{name}-b"), video, [5.0, 28.0], t + 40_000 + n),
            read(&format!("{name}-c"), page, 30, t + 100_000),
            read(&format!("{name}-d"), item_id(&quiz_course, "html"), 3 + n, t + 120_000),
            watch(&format!("{name}-e"), item_id(&quiz_course, "video"), [0.0, 4.0], t + 130_000),
        ]);
        let (status, out) = post_events(&app, &s.token, events).await;
        assert_eq!((status, out["accepted"].as_array().unwrap().len()), (200, 6), "{out}");
    }
    let (client, csrf) = session(&app, "r1").await;
    for (attempt, answers) in [("quiz-1", HALF_RIGHT), ("quiz-2", ALL_RIGHT), ("quiz-3", HALF_RIGHT)] {
        assert_eq!(submit_quiz(&app, &client, &csrf, &quiz_course, attempt, answers).await.status(), 303);
    }
    let before = courseware::db::progress::snapshot(&app.db).await.unwrap();
    assert_eq!((before.0.len(), before.1.len()), (13, 6));
    let quiz_row = before.0.iter().find(|r| r.kind == "quiz").unwrap();
    assert_eq!((quiz_row.status.as_str(), quiz_row.score, quiz_row.attempts), ("passed", Some(100.0), 3));
    let report = rebuild(&app);
    assert_eq!((report["learners"].as_i64(), report["events"].as_i64()), (Some(3), Some(21)), "{report}");
    let after = courseware::db::progress::snapshot(&app.db).await.unwrap();
    assert_eq!(after, before);
}
