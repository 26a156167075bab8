//! Media delivery through the real server: ranges, conditionals, signed URLs, authorization.

use courseware::auth::media_token::MediaSigner;

use crate::helpers::{fixtures_dir, spawn_app, spawn_app_with, Options};

async fn demo_video_url(app: &crate::helpers::TestApp) -> String {
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap().clone();
    video["url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn video_is_served_with_ranges_etag_and_conditionals() {
    let app = spawn_app().await;
    let url = demo_video_url(&app).await;
    let whole = app.get(&url).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert!(whole.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = whole.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag.len(), 66, "strong ETag from the SHA-256: {etag}");
    let bytes = whole.bytes().await.unwrap();

    let res = app.client.get(app.url(&url)).header("range", "bytes=100-199").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], format!("bytes 100-199/{}", bytes.len()));
    assert_eq!(res.bytes().await.unwrap(), bytes.slice(100..200));

    let res = app.client.get(app.url(&url)).header("range", "bytes=-10").send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap(), bytes.slice(bytes.len() - 10..));

    let mid = bytes.len() / 2;
    let res = app.client.get(app.url(&url)).header("range", format!("bytes={mid}-")).send().await.unwrap();
    assert_eq!(res.status(), 206, "open-ended range, as a seek asks");
    assert_eq!(res.bytes().await.unwrap(), bytes.slice(mid..));

    let res = app.client.get(app.url(&url)).header("range", format!("bytes={}-", bytes.len() + 5)).send().await.unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(res.headers()["content-range"], format!("bytes */{}", bytes.len()));

    let res = app.client.get(app.url(&url)).header("range", "bytes=garbage").send().await.unwrap();
    assert_eq!(res.status(), 200, "garbled Range is ignored");

    let res = app.client.get(app.url(&url)).header("if-none-match", &etag).header("range", "bytes=0-1").send().await.unwrap();
    assert_eq!(res.status(), 304, "If-None-Match is checked before Range");

    let res = app.client.get(app.url(&url)).header("if-range", "\"other\"").header("range", "bytes=0-1").send().await.unwrap();
    assert_eq!(res.status(), 200, "a stale If-Range gets the whole file");

    let res = app.client.get(app.url(&url)).header("range", "bytes=0-9,5000-5009").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("multipart/byteranges; boundary="));

    let head = app.client.head(app.url(&url)).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(head.status(), 206);
    assert_eq!(head.headers()["content-length"], "100");
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn pdf_and_html_are_inline_and_captions_are_text() {
    let app = spawn_app().await;
    let course = app.demo_course("water-cycle").await;
    for item in course["items"].as_array().unwrap() {
        let res = app.get(item["url"].as_str().unwrap()).await;
        if let Some(cd) = res.headers().get("content-disposition") {
            assert!(cd.to_str().unwrap().starts_with("inline"), "{cd:?}");
        }
        if item["kind"] == "video" {
            let vtt = app.get(item["captions"][0]["url"].as_str().unwrap()).await;
            assert_eq!(vtt.headers()["content-type"], "text/vtt; charset=utf-8");
        }
    }
}

#[tokio::test]
async fn tampered_foreign_and_expired_media_urls_are_refused() {
    let app = spawn_app().await;
    let url = demo_video_url(&app).await;
    let parts: Vec<&str> = url.splitn(5, '/').collect(); // "", "content", version, token, path
    let (version, token, path) = (parts[2].parse::<i64>().unwrap(), parts[3], parts[4]);
    let mut tampered = token.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    for bad in [
        format!("/content/{version}/{tampered}/{path}"),
        format!("/content/{}/{token}/{path}", version + 1),
        format!("/content/{version}/not-a-token/{path}"),
    ] {
        for range in [None, Some("bytes=0-99")] {
            let mut req = app.client.get(app.url(&bad));
            if let Some(r) = range {
                req = req.header("range", r);
            }
            let res = req.send().await.unwrap();
            assert!(res.status() == 403 || res.status() == 404, "{bad}: {}", res.status());
            assert!(res.bytes().await.unwrap().len() < 200, "no media bytes");
        }
    }
    let key = courseware::db::state::get(&app.db, "media_signing_key").await.unwrap().unwrap();
    let signer = MediaSigner::new(key.as_bytes());
    let old = signer.issue(version, courseware::auth::media_token::now_secs() - 3 * 24 * 3600);
    let res = app.get(&format!("/content/{version}/{old}/{path}")).await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn a_learner_who_may_not_see_a_course_gets_no_page_no_url_and_no_byte() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("ta", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let student_a = app.add_user("sa", "student", Some(org.school_a1), Some(org.region_a)).await;
    let student_b = app.add_user("sb", "student", Some(org.school_b1), Some(org.region_b)).await;
    let token_t = app.token_for(teacher).await;
    let path = fixtures_dir().join("scorm12/golf-runtime-basic.zip");
    let report: serde_json::Value = app.upload(&token_t, &path).await.json().await.unwrap();
    let course_id = report["course_id"].as_i64().unwrap();
    courseware::db::courses::update_settings(&app.db, course_id, true, courseware::domain::Visibility::School).await.unwrap();
    let api = format!("/api/v1/courses/{course_id}");
    let as_a: serde_json::Value = app.client.get(app.url(&api)).bearer_auth(app.token_for(student_a).await).send().await.unwrap().json().await.unwrap();
    let media = as_a["items"][0]["url"].as_str().unwrap().to_string();
    let token_b = app.token_for(student_b).await;
    let res = app.client.get(app.url(&api)).bearer_auth(&token_b).send().await.unwrap();
    assert_eq!(res.status(), 404, "another school's student does not even learn it exists");
    let list: serde_json::Value = app.client.get(app.url("/api/v1/courses")).bearer_auth(&token_b).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0);
    assert_eq!(app.get(&format!("/courses/{course_id}")).await.status(), 404, "anonymous");
    // Unpublishing takes the course away from students, but not from its teacher.
    courseware::db::courses::update_settings(&app.db, course_id, false, courseware::domain::Visibility::School).await.unwrap();
    let res = app.client.get(app.url(&api)).bearer_auth(app.token_for(student_a).await).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.get(app.url(&api)).bearer_auth(&token_t).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(media.starts_with("/content/"));
}

#[tokio::test]
async fn behind_nginx_authorized_requests_are_handed_over_with_x_accel_redirect() {
    let mut settings_env = crate::helpers::test_settings(
        tempfile::tempdir().unwrap().keep(),
        None,
        Options { import_demo: true },
    );
    settings_env.accel_redirect_prefix = Some("/_blobs".into());
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        // The accel mode does not touch the database layer; SQLite covers it.
        println!("SKIP accel test on Postgres: covered on SQLite");
        return;
    }
    let state = courseware::cli::build_state(settings_env).await.unwrap();
    let app = courseware::startup::Application::build(state).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let list: serde_json::Value = client.get(format!("{base}/api/v1/courses")).send().await.unwrap().json().await.unwrap();
    let id = list["courses"][0]["id"].as_i64().unwrap();
    let course: serde_json::Value = client.get(format!("{base}/api/v1/courses/{id}")).send().await.unwrap().json().await.unwrap();
    let url = course["items"][0]["url"].as_str().unwrap();
    let res = client.get(format!("{base}{url}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let accel = res.headers()["x-accel-redirect"].to_str().unwrap().to_string();
    let etag = res.headers()["etag"].to_str().unwrap().trim_matches('"').to_string();
    assert_eq!(accel, format!("/_blobs/{}/{}/{}", &etag[..2], &etag[2..4], etag));
    assert!(res.bytes().await.unwrap().is_empty(), "nginx sends the bytes");
    let forged = url.replacen("/content/", "/content/9", 1);
    let res = client.get(format!("{base}{forged}")).send().await.unwrap();
    assert!(res.headers().get("x-accel-redirect").is_none(), "no hand-over without authorization");
}

#[tokio::test]
async fn media_of_a_deleted_course_stops_at_once() {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let url = demo_video_url(&app).await;
    assert_eq!(app.get(&url).await.status(), 200, "served, and now in the file cache");
    let res = app.client.post(app.url("/login")).form(&[("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let csrf = app.get_json("/api/v1/me").await["csrf_token"].as_str().unwrap().to_string();
    let res = app
        .client
        .post(app.url(&format!("/teach/courses/{}/delete", course["id"])))
        .form(&[("confirm_slug", "rice-growing"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(reqwest::Client::new().get(app.url(&url)).send().await.unwrap().status(), 404);
    assert_eq!(app.get(&url).await.status(), 404);
}
