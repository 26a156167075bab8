//! The teacher's workbench through cookie sessions: CSRF on every form, publish/unpublish,
//! delete only with confirmation, and nobody else's courses.

use crate::helpers::{fixtures_dir, spawn_app_with, Options};

#[tokio::test]
async fn teacher_forms_need_the_csrf_token_and_delete_needs_confirmation() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("ta", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    app.add_user("tb", "teacher", Some(org.school_b1), Some(org.region_b)).await;
    let token = app.token_for(teacher).await;
    let report: serde_json::Value = app.upload(&token, &fixtures_dir().join("imscc/latex.imscc")).await.json().await.unwrap();
    let id = report["course_id"].as_i64().unwrap();
    let csrf = app.login("ta").await;

    let page = app.get("/teach").await.text().await.unwrap();
    assert!(page.contains(&format!("/teach/courses/{id}/settings")), "the workbench lists the course");

    let settings = app.url(&format!("/teach/courses/{id}/settings"));
    let res = app.client.post(&settings).form(&[("visibility", "school")]).send().await.unwrap();
    assert_eq!(res.status(), 403, "no CSRF token, refused");
    let res = app.client.post(&settings).form(&[("visibility", "school"), ("csrf_token", "wrong")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client.post(&settings).form(&[("visibility", "school"), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303, "unpublished (no 'published' box) and school-only");
    let course = courseware::db::courses::get(&app.db, id).await.unwrap();
    assert_eq!((course.published, course.visibility.as_str()), (0, "school"));
    assert_eq!(app.get_json("/api/v1/courses").await["total"], 1, "its teacher still sees it");
    let anon = reqwest::Client::new().get(app.url("/api/v1/courses")).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!(anon["total"], 0, "learners do not");

    let delete = app.url(&format!("/teach/courses/{id}/delete"));
    let res = app.client.post(&delete).form(&[("confirm_slug", "nope"), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(courseware::db::courses::get(&app.db, id).await.is_ok(), "still there");

    // Another school's teacher can neither change nor delete it.
    let other = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    other.post(app.url("/login")).form(&[("username", "tb"), ("password", "tb-password")]).send().await.unwrap();
    let other_csrf = other.get(app.url("/api/v1/me")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let res = other.post(&delete).form(&[("confirm_slug", course.slug.as_str()), ("csrf_token", other_csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let res = app.client.post(&delete).form(&[("confirm_slug", course.slug.as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(courseware::db::courses::get(&app.db, id).await.is_err(), "deleted");
}

#[tokio::test]
async fn login_is_rate_limited_and_sessions_rotate() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    app.add_user("learner", "public", None, None).await;
    for _ in 0..5 {
        let res = app.client.post(app.url("/login")).form(&[("username", "learner"), ("password", "bad")]).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app.client.post(app.url("/login")).form(&[("username", "learner"), ("password", "learner-password")]).send().await.unwrap();
    assert_eq!(res.status(), 429, "held after five failures from an address it never signed in from, even with the right password");
    assert_eq!(res.headers()["retry-after"], "30", "the first delay is 30 s");
    assert!(res.text().await.unwrap().contains("30"), "the page says how long to wait");

    app.add_user("other", "public", None, None).await;
    let first = app.client.post(app.url("/login")).form(&[("username", "other"), ("password", "other-password")]).send().await.unwrap();
    assert_eq!(first.status(), 303, "{:?}", first.headers());
    let cookie1 = first.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string()).unwrap_or_else(|| panic!("{:?}", first.headers()));
    assert!(cookie1.contains("HttpOnly") && cookie1.contains("SameSite=Lax"), "{cookie1}");
    let csrf = app.get_json("/api/v1/me").await["csrf_token"].as_str().unwrap().to_string();
    let second = app.client.post(app.url("/login")).form(&[("username", "other"), ("password", "other-password"), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    let cookie2 = second.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_ne!(cookie1.split(';').next(), cookie2.split(';').next(), "a new session id at each sign-in");
    let users: Vec<(String,)> = sqlx::query_as("SELECT password_hash FROM users").fetch_all(&app.db.pool).await.unwrap();
    assert!(users.iter().all(|(h,)| h.starts_with("$argon2id$") && !h.contains("password")), "only argon2id hashes are stored");
}

#[tokio::test]
async fn teachers_assign_courses_to_their_own_classes_only() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("ta", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let x = courseware::db::org::ensure_class(&app.db, org.school_a1, "七年级1班").await.unwrap();
    let foreign = courseware::db::org::ensure_class(&app.db, org.school_b1, "B班").await.unwrap();
    let token = app.token_for(teacher).await;
    let report: serde_json::Value = app.upload(&token, &fixtures_dir().join("imscc/latex.imscc")).await.json().await.unwrap();
    let id = report["course_id"].as_i64().unwrap();
    let csrf = app.login("ta").await;
    assert!(app.get("/teach").await.text().await.unwrap().contains("七年级1班"), "the form offers the school's classes");
    let url = app.url(&format!("/teach/courses/{id}/settings"));
    let x_id = x.to_string();
    let res = app.client.post(&url).form(&[("published", "1"), ("visibility", "classes"), ("class", x_id.as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(courseware::db::courses::course_classes(&app.db, id).await.unwrap(), vec![x]);
    let f_id = foreign.to_string();
    let res = app.client.post(&url).form(&[("visibility", "classes"), ("class", f_id.as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 400, "another school's class is refused");
    assert_eq!(courseware::db::courses::course_classes(&app.db, id).await.unwrap(), vec![x], "unchanged");
}

#[tokio::test]
async fn a_settings_change_is_one_transaction() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("tb", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let class = courseware::db::org::ensure_class(&app.db, org.school_a1, "八年级2班").await.unwrap();
    let token = app.token_for(teacher).await;
    let report: serde_json::Value = app.upload(&token, &fixtures_dir().join("imscc/latex.imscc")).await.json().await.unwrap();
    let id = report["course_id"].as_i64().unwrap();
    let before = courseware::db::courses::get(&app.db, id).await.unwrap();
    let settings = |class_ids: Vec<i64>| courseware::app::teach::Settings {
        published: before.published != 1,
        visibility: courseware::domain::Visibility::Classes,
        class_ids,
    };
    let audited = |rows: Vec<courseware::db::audit::AuditRow>| rows.iter().filter(|r| r.action == "course.settings").count();

    // The flags are written first; a class that does not exist fails the second write.
    let failed = courseware::app::teach::write_settings(&app.db, Some(teacher), id, &settings(vec![class, 987_654])).await;
    assert!(failed.is_err(), "an unknown class id fails the write");
    let after = courseware::db::courses::get(&app.db, id).await.unwrap();
    assert_eq!((after.published, after.visibility.as_str()), (before.published, before.visibility.as_str()), "the flags are undone");
    assert!(courseware::db::courses::course_classes(&app.db, id).await.unwrap().is_empty(), "no class is assigned");
    assert_eq!(audited(courseware::db::audit::recent(&app.db, 50).await.unwrap()), 0, "nothing is audited");

    courseware::app::teach::write_settings(&app.db, Some(teacher), id, &settings(vec![class])).await.unwrap();
    let after = courseware::db::courses::get(&app.db, id).await.unwrap();
    assert_eq!((after.published, after.visibility.as_str()), (1 - before.published, "classes"), "the flags are written");
    assert_eq!(courseware::db::courses::course_classes(&app.db, id).await.unwrap(), vec![class], "with the class");
    assert_eq!(audited(courseware::db::audit::recent(&app.db, 50).await.unwrap()), 1, "and one audit entry");
}
