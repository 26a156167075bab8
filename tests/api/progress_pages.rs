//! Progress as people see it: quizzes scored on the server with their answers never on the
//! page, "continue where you left off" and progress bars, the teacher's class view and CSV.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::progress::{
    course_progress, import_quiz_course, item, item_id, learner, now_ms, open, post_events, read, session, submit_quiz, watch,
    ALL_RIGHT, HALF_RIGHT,
};

#[tokio::test]
async fn quizzes_are_scored_on_the_server_and_keep_the_best_score() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = import_quiz_course(&app).await;
    let course_id = course["id"].as_i64().unwrap();
    let s = learner(&app, "s1", Some(org.school_a1), Some(org.region_a)).await;
    let (client, csrf) = session(&app, "s1").await;
    let quiz = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "quiz").unwrap().clone();

    // The answers are nowhere the browser can reach before a submission.
    assert!(quiz["url"].is_null(), "{quiz}");
    let api = app.get(&format!("/api/v1/courses/{course_id}")).await.text().await.unwrap();
    let page = client.get(app.url(quiz["page_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("下面哪些是水稻害虫") && page.contains("name=\"answer.pests\""), "{page}");
    for text in [api.as_str(), page.as_str()] {
        assert!(!text.contains("寸水") && !text.contains("cun shui") && !text.contains("answer\":"), "answers leaked");
    }
    let video_url = course["items"][0]["url"].as_str().unwrap();
    let quiz_file = format!("{}/quiz/check.toml", video_url.rsplitn(3, '/').nth(2).unwrap());
    assert_eq!(app.get(&quiz_file).await.status(), 404, "the quiz file is not served: {quiz_file}");

    let res = submit_quiz(&app, &client, "wrong-token", &course, "quiz-a", ALL_RIGHT).await;
    assert_eq!(res.status(), 403, "the form needs the CSRF token");
    let res = submit_quiz(&app, &client, &csrf, &course, "quiz-a", HALF_RIGHT).await;
    assert_eq!(res.status(), 303);
    let result_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(result_url.contains("?attempt=quiz-a"), "{result_url}");
    let result = client.get(app.url(&result_url)).send().await.unwrap().text().await.unwrap();
    assert!(result.contains("<span class=\"score\">50</span>") && result.contains("2/4"), "{result}");
    assert!(result.contains("✓") && result.contains("✗"), "which questions were right, not what was");
    let p = course_progress(&app, &s.token, course_id).await;
    let q = item(&p, "quiz");
    assert_eq!((q["status"].as_str(), q["score"].as_f64(), q["attempts"].as_i64()), (Some("failed"), Some(50.0), Some(1)));

    // The same form sent again is the same attempt; a better one passes; a worse one later
    // does not lower the best score.
    assert_eq!(submit_quiz(&app, &client, &csrf, &course, "quiz-a", ALL_RIGHT).await.status(), 303);
    assert_eq!(item(&course_progress(&app, &s.token, course_id).await, "quiz")["attempts"], 1);
    submit_quiz(&app, &client, &csrf, &course, "quiz-b", ALL_RIGHT).await;
    submit_quiz(&app, &client, &csrf, &course, "quiz-c", &[]).await;
    let p = course_progress(&app, &s.token, course_id).await;
    let q = item(&p, "quiz");
    assert_eq!((q["status"].as_str(), q["score"].as_f64(), q["attempts"].as_i64()), (Some("passed"), Some(100.0), Some(3)));
    assert_eq!(p["score"], 100.0, "the course's score is its quizzes' best");

    // The quiz allows five attempts.
    submit_quiz(&app, &client, &csrf, &course, "quiz-d", &[]).await;
    submit_quiz(&app, &client, &csrf, &course, "quiz-e", &[]).await;
    let res = submit_quiz(&app, &client, &csrf, &course, "quiz-f", ALL_RIGHT).await;
    assert_eq!(res.status(), 409);
    let page = client.get(app.url(quiz["page_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("答题次数已用完"), "no form once the attempts are used");
}

#[tokio::test]
async fn pages_show_progress_and_where_to_continue() {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let course_id = course["id"].as_i64().unwrap();
    let (video, page) = (item_id(&course, "video"), item_id(&course, "html"));
    let s = learner(&app, "s1", None, None).await;
    let t = now_ms() - 120_000;
    post_events(&app, &s.token, json!([read("r", page, 60, t), open("o", video, t + 70_000), watch("w", video, [0.0, 12.5], t + 83_000)])).await;
    let (client, _) = session(&app, "s1").await;
    let get = |path: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };

    let catalog = get("/".into()).await;
    assert!(catalog.contains("继续上次的学习"), "{catalog}");
    assert!(catalog.contains(&format!("href=\"/courses/{course_id}/lessons/{video}\"")), "continues at the video");
    assert!(catalog.contains("<progress max=\"100\" value=\"33\""), "a third of the required lessons done");
    let course_page = get(format!("/courses/{course_id}")).await;
    assert!(course_page.contains(&format!("id=\"continue\" href=\"/courses/{course_id}/lessons/{video}\"")), "{course_page}");
    assert!(course_page.contains("status-completed") && course_page.contains("学习中 44%"), "per-lesson status");
    let lesson = get(format!("/courses/{course_id}/lessons/{video}")).await;
    assert!(lesson.contains("data-resume=\"12.5\"") && lesson.contains("/static/progress.js"), "{lesson}");
    assert!(lesson.contains("data-csrf=\""), "the page can send heartbeats");
    let english = client.get(app.url("/")).header("accept-language", "en").send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Continue where you left off"));

    // Guests see the lessons, no progress and no tracking.
    let guest = reqwest::Client::new().get(app.url(&format!("/courses/{course_id}/lessons/{video}"))).send().await.unwrap().text().await.unwrap();
    assert!(!guest.contains("progress-tracker") && !guest.contains("progress.js"));
    assert_eq!(app.get(&format!("/api/v1/progress/courses/{course_id}")).await.status(), 401);
}

#[tokio::test]
async fn teachers_see_their_class_and_export_it() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = import_quiz_course(&app).await;
    let course_id = course["id"].as_i64().unwrap();
    let class = courseware::db::org::ensure_class(&app.db, org.school_a1, "三年级一班").await.unwrap();
    let a = learner(&app, "a-started", Some(org.school_a1), Some(org.region_a)).await;
    let b = learner(&app, "b-not-started", Some(org.school_a1), Some(org.region_a)).await;
    let other = learner(&app, "c-other-school", Some(org.school_b1), Some(org.region_b)).await;
    for s in [&a, &b] {
        courseware::db::org::add_member(&app.db, class, s.id).await.unwrap();
    }
    let t = now_ms() - 60_000;
    post_events(&app, &a.token, json!([watch("w", item_id(&course, "video"), [0.0, 28.0], t)])).await;
    post_events(&app, &other.token, json!([watch("w", item_id(&course, "video"), [0.0, 5.0], t)])).await;
    app.add_user("teacher", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let (client, _) = session(&app, "teacher").await;

    let everyone = client.get(app.url(&format!("/teach/courses/{course_id}/progress"))).send().await.unwrap().text().await.unwrap();
    assert!(everyone.contains("a-started") && !everyone.contains("c-other-school"), "their school's learners only: {everyone}");
    assert!(!everyone.contains("b-not-started"), "without a class: those who started");
    let page = client.get(app.url(&format!("/teach/courses/{course_id}/progress?class={class}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("a-started") && page.contains("b-not-started") && page.contains("三年级一班"), "{page}");
    assert!(page.contains("status-completed"), "a-started watched the video");

    let res = client.get(app.url(&format!("/teach/courses/{course_id}/progress.csv?class={class}"))).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("progress-rice-check-class-"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("\u{feff}username,name,lesson_id"), "{csv}");
    assert_eq!(lines.len(), 1 + 2 * 4, "a course line and three lesson lines per learner: {csv}");
    assert!(csv.contains("a-started,a-started,video,视频,video,completed,,100,28,0,"), "{csv}");
    assert!(csv.contains("b-not-started,b-not-started,check,小测验,quiz,not_started,"), "{csv}");

    // A student, or a teacher of another school, gets nothing.
    app.add_user("other-teacher", "teacher", Some(org.school_b1), Some(org.region_b)).await;
    let (stranger, _) = session(&app, "other-teacher").await;
    let res = stranger.get(app.url(&format!("/teach/courses/{course_id}/progress.csv"))).send().await.unwrap();
    assert!(res.status() == 403 || res.status() == 404, "{}", res.status());
    let (student, _) = session(&app, "a-started").await;
    assert_eq!(student.get(app.url(&format!("/teach/courses/{course_id}/progress"))).send().await.unwrap().status(), 403);
    let res = client.get(app.url(&format!("/teach/courses/{course_id}/progress?class=999"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
