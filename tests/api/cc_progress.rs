//! IMS Common Cartridge courses: web pages, links and files are lessons, tracked like native ones.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options};
use crate::progress::{course_progress, learner, now_ms, open, post_events, read};

#[tokio::test]
async fn common_cartridge_pages_links_and_files_are_lessons_tracked_like_native_ones() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let report: Value = app.upload_with(&token, &crate::helpers::fixtures_dir().join("imscc/canvas_cc_gem_course.imscc"), "&visibility=open").await.json().await.unwrap();
    assert_eq!(report["format"], "imscc", "{report}");
    let course_id = report["course_id"].as_i64().unwrap();
    let s = learner(&app, "s1", Some(org.school_a1), Some(org.region_a)).await;
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{course_id}"))).bearer_auth(&s.token).send().await.unwrap().json().await.unwrap();
    let lessons: Vec<&Value> = course["items"].as_array().unwrap().iter().filter(|i| i["kind"] != "folder").collect();
    assert!(lessons.len() >= 2, "{course}");
    assert!(lessons.iter().all(|i| ["html", "link", "file", "pdf", "image", "video", "audio"].contains(&i["kind"].as_str().unwrap())), "{course}");
    // Every lesson page renders; reading one for a minute completes it as for a native page.
    for lesson in &lessons {
        assert_eq!(app.get(lesson["page_url"].as_str().unwrap()).await.status(), 200);
    }
    let page = lessons.iter().find(|i| i["kind"] == "html").unwrap_or(&lessons[0]);
    let id = page["id"].as_i64().unwrap();
    let t = now_ms() - 1000;
    let (status, out) = post_events(&app, &s.token, json!([open("cc-open", id, t - 60_000), read("cc-read", id, 60, t)])).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["accepted"].as_array().unwrap().len(), 2, "{out}");
    let progress = course_progress(&app, &s.token, course_id).await;
    let row = progress["items"].as_array().unwrap().iter().find(|i| i["item_id"] == id).unwrap();
    assert_eq!(row["status"], "completed", "{progress}");
    assert_eq!(row["time_spent_ms"], 60_000, "{progress}");
    assert!(progress["percent"].as_i64().unwrap() > 0, "{progress}");
}
