//! The offline copy's list (`GET /api/v1/courses/{id}/offline`): authorized as the course
//! page, sizes as stored, fetch URLs signed and cache keys that grant nothing; and a file
//! fetched in two ranges (as an interrupted download resumes) is the file.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

async fn offline_status(app: &TestApp, token: Option<&str>, id: i64) -> (u16, Value) {
    let req = app.client.get(app.url(&format!("/api/v1/courses/{id}/offline")));
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_offline_list_is_for_readers_of_the_course_with_sizes_and_token_free_keys() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = app.demo_course("rice-growing").await;
    let id = course["id"].as_i64().unwrap();
    // Made school-only, for school A1.
    sqlx::query(&format!("UPDATE courses SET visibility = 'school', school_id = {} WHERE id = {id}", org.school_a1)).execute(&app.db.pool).await.unwrap();
    let same = app.add_user("sa", "student", Some(org.school_a1), Some(org.region_a)).await;
    let same = app.token_for(same).await;
    let other = app.add_user("sb", "student", Some(org.school_b1), Some(org.region_b)).await;
    let other = app.token_for(other).await;

    assert_eq!(offline_status(&app, Some(&other), id).await.0, 404, "another school's student");
    assert_eq!(offline_status(&app, None, id).await.0, 404, "a guest");
    assert_eq!(offline_status(&app, Some(&other), 999_999).await.0, 404);
    let (status, list) = offline_status(&app, Some(&same), id).await;
    assert_eq!(status, 200, "{list}");

    let entries = list["entries"].as_array().unwrap();
    let sum: i64 = entries.iter().map(|e| e["size"].as_i64().unwrap()).sum();
    assert_eq!(list["total_bytes"].as_i64(), Some(sum));
    let pages: Vec<&str> = entries.iter().filter(|e| e["kind"] == "page").map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(pages.len(), 4, "the course page and its three lessons: {pages:?}");
    assert!(pages.contains(&format!("/courses/{id}").as_str()));
    let video = entries.iter().find(|e| e["kind"] == "file" && e["key"].as_str().unwrap().ends_with("rice-intro.mp4")).unwrap();
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/courses/rice-growing/media/rice-intro.mp4")).unwrap();
    assert_eq!(video["size"].as_i64(), Some(bytes.len() as i64));
    let version = list["version_id"].as_i64().unwrap();
    assert_eq!(video["key"], format!("/content/{version}/-/media/rice-intro.mp4"));
    assert!(entries.iter().any(|e| e["kind"] == "asset" && e["key"].as_str().unwrap().starts_with("/static/offline.js?v=")));

    // The key is a name on the device, not a URL the server honours.
    assert_eq!(app.client.get(app.url(video["key"].as_str().unwrap())).send().await.unwrap().status(), 403);

    // An interrupted download resumes: the rest by Range and If-Range, and the two are the file.
    let url = app.url(video["url"].as_str().unwrap());
    let first = app.client.get(&url).header("Range", "bytes=0-299999").send().await.unwrap();
    assert_eq!(first.status(), 206);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let mut got = first.bytes().await.unwrap().to_vec();
    let rest = app.client.get(&url).header("Range", "bytes=300000-").header("If-Range", &etag).send().await.unwrap();
    assert_eq!(rest.status(), 206);
    assert_eq!(rest.headers()["content-range"], format!("bytes 300000-{}/{}", bytes.len() - 1, bytes.len()));
    got.extend_from_slice(&rest.bytes().await.unwrap());
    assert!(got == bytes, "the resumed download is the file");
    // Had the file changed (another validator), the whole file comes instead.
    let changed = app.client.get(&url).header("Range", "bytes=300000-").header("If-Range", "\"other\"").send().await.unwrap();
    assert_eq!(changed.status(), 200);
}

#[tokio::test]
async fn the_manifest_and_the_service_worker_are_served_from_this_server() {
    let app = spawn_app().await;
    let res = app.get_with_lang("/manifest.webmanifest", "zh-CN").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/manifest+json");
    let manifest: Value = res.json().await.unwrap();
    assert_eq!(manifest["name"], "课件中心");
    assert_eq!(manifest["start_url"], "/");
    let icon = manifest["icons"][0]["src"].as_str().unwrap();
    assert!(icon.starts_with("/static/favicon.svg?v="), "{icon}");
    assert_eq!(app.get(icon).await.status(), 200);
    let en: Value = app.get_with_lang("/manifest.webmanifest", "en").await.json().await.unwrap();
    assert_eq!(en["name"], "Courseware");

    let sw = app.get("/sw.js").await;
    assert_eq!(sw.status(), 200);
    assert!(sw.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(sw.headers()["cache-control"], "no-cache");
    let sw = sw.text().await.unwrap();
    assert!(sw.contains("addEventListener('fetch'"));
    // Stored course files keep the server's sandbox policy.
    assert!(sw.contains(&format!("'{}'", courseware::routes::security_headers::CONTENT_SANDBOX)));
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">") && page.contains("register('/sw.js')"));
}
