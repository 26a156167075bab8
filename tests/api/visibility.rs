//! Who sees a newly uploaded course: its own school only, unless the uploader chooses wider
//! (API field, tus completion, CLI flag); a new version keeps the course's visibility.

use serde_json::{json, Value};

use crate::helpers::{fixtures_dir, spawn_app_with, Options, TestApp};

const PACKAGE: &str = "tolerated/ItemWithNonExistentResourceId_SCORM12.zip";

/// The status of `GET /api/v1/courses/{id}` for a token (`None`: a guest).
async fn course_status(app: &TestApp, token: Option<&str>, id: i64) -> u16 {
    let req = reqwest::Client::new().get(app.url(&format!("/api/v1/courses/{id}")));
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    req.send().await.unwrap().status().as_u16()
}

async fn stored_visibility(app: &TestApp, id: i64) -> String {
    courseware::db::courses::get(&app.db, id).await.unwrap().visibility
}

async fn course_count(app: &TestApp) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT CAST(COUNT(*) AS BIGINT) FROM courses").fetch_one(&app.db.pool).await.unwrap().0
}

#[tokio::test]
async fn an_api_upload_starts_school_only_and_wider_visibility_is_an_explicit_choice() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let same = app.add_user("sa", "student", Some(org.school_a1), Some(org.region_a)).await;
    let same = app.token_for(same).await;
    let other = app.add_user("sb", "student", Some(org.school_b1), Some(org.region_b)).await;
    let other = app.token_for(other).await;
    let package = fixtures_dir().join(PACKAGE);

    let res = app.upload(&token, &package).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    assert_eq!(stored_visibility(&app, id).await, "school");
    assert_eq!(course_status(&app, Some(&same), id).await, 200, "a student of the same school sees it");
    assert_eq!(course_status(&app, Some(&other), id).await, 404, "another school's student does not");
    assert_eq!(course_status(&app, None, id).await, 404, "a guest does not");
    let catalog: Value = reqwest::Client::new().get(app.url("/api/v1/courses")).send().await.unwrap().json().await.unwrap();
    assert_eq!(catalog["total"], 0, "nothing in the guests' catalog: {catalog}");

    // A new version without a choice keeps what the teacher set since; with one, it changes.
    courseware::db::courses::update_settings(&app.db, id, true, courseware::domain::Visibility::Region).await.unwrap();
    let again: Value = app.upload(&token, &package).await.json().await.unwrap();
    assert_eq!((again["course_id"].as_i64(), again["version"].as_i64()), (Some(id), Some(2)));
    assert_eq!(stored_visibility(&app, id).await, "region");
    let open = app.upload_with(&token, &package, "&visibility=open").await;
    assert_eq!(open.status(), 201);
    assert_eq!(stored_visibility(&app, id).await, "open");
    assert_eq!(course_status(&app, None, id).await, 200, "open: a guest sees it");
    assert_eq!(course_status(&app, Some(&other), id).await, 200);

    let before = course_count(&app).await;
    let bad = app.upload_with(&token, &fixtures_dir().join("imscc/latex.imscc"), "&visibility=public").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("\"public\""), "the message names the value: {body}");
    assert_eq!(course_count(&app).await, before, "nothing imported");
}

#[tokio::test]
async fn a_tus_upload_completes_with_the_chosen_visibility_and_a_bad_one_keeps_the_upload() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let package = std::fs::read(fixtures_dir().join(PACKAGE)).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", package.len().to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(package.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().to_string();
    let complete = |visibility: &str| {
        app.client.post(app.url("/teach/uploads/complete")).bearer_auth(&token).json(&json!({"upload": id, "visibility": visibility})).send()
    };
    let bad = complete("everyone").await.unwrap();
    assert_eq!(bad.status(), 400);
    // A /teach route: the error comes back as a page that names the value.
    let page = bad.text().await.unwrap();
    assert!(page.contains("unknown visibility") && page.contains("everyone"), "{page}");
    let res = complete("open").await.unwrap();
    assert_eq!(res.status(), 201, "the refused completion left the upload in place");
    let course_id = res.json::<Value>().await.unwrap()["report"]["course_id"].as_i64().unwrap();
    assert_eq!(stored_visibility(&app, course_id).await, "open");
    assert_eq!(course_status(&app, None, course_id).await, 200);
}

#[tokio::test]
async fn the_cli_takes_a_visibility_flag_and_refuses_a_bad_one_with_exit_code_1() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    app.org().await;
    let cli = |args: &[&str]| app.cli(args);
    let package = fixtures_dir().join(PACKAGE);
    let package = package.to_str().unwrap();

    let out = cli(&["import", package, "--school", "A1", "--visibility", "bogus"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("\"bogus\"") && stderr.contains("open, region, school or classes"), "{stderr}");
    assert_eq!(course_count(&app).await, 0, "nothing imported");

    let out = cli(&["import", package, "--school", "A1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = report["course_id"].as_i64().unwrap();
    assert_eq!(stored_visibility(&app, id).await, "school", "a school's course starts school-only");
    let out = cli(&["import", package, "--school", "A1", "--visibility", "region", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stored_visibility(&app, id).await, "region");
}
