//! Accounts: roster import from a GBK CSV, self-registration, admin pages, and the
//! authorization matrix of roles against route groups.

use crate::helpers::{fixtures_dir, spawn_app_with, Options, TestApp};

fn multipart(field: &str, file_name: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
    let boundary = "----cwtestboundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn preview(app: &TestApp, csrf: &str, csv: &str) -> String {
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let (content_type, body) = multipart("file", "名单.csv", gbk.into_owned());
    let res = app
        .client
        .post(app.url(&format!("/teach/roster/preview?csrf_token={csrf}")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

fn upload_id(page: &str) -> String {
    let at = page.find("name=\"upload\" value=\"").unwrap() + "name=\"upload\" value=\"".len();
    page[at..at + 32].to_string()
}

#[tokio::test]
async fn roster_import_previews_bad_rows_applies_good_ones_and_updates_on_reimport() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    app.add_user("ta", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    app.add_user("outsider", "student", Some(org.school_b1), Some(org.region_b)).await;
    let csrf = app.login("ta").await;
    let csv = "用户名,姓名,班级\r\nzhang3,张三,七年级1班\r\nli4,李四,七年级2班\r\n,王五,七年级1班\r\noutsider,赵六,七年级1班\r\nzhang3,重复,七年级1班\r\n";
    let page = preview(&app, &csrf, csv).await;
    assert!(page.contains("张三") && page.contains("李四"), "GBK decoded: {page}");
    assert_eq!(page.matches("class=\"row-new\"").count(), 2);
    assert_eq!(page.matches("class=\"row-bad\"").count(), 3, "{page}");
    assert!(page.contains("<td>4</td>") && page.contains("<td>5</td>") && page.contains("<td>6</td>"), "bad rows carry their line numbers");
    let count = |app: &TestApp| {
        let db = app.db.clone();
        async move { sqlx::query_as::<_, (i64,)>("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE role = 'student'").fetch_one(&db.pool).await.unwrap().0 }
    };
    assert_eq!(count(&app).await, 1, "the preview wrote nothing");

    let res = app.client.post(app.url("/teach/roster/apply")).form(&[("upload", upload_id(&page).as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let done = res.text().await.unwrap();
    assert!(done.contains("initial-passwords.csv"), "passwords offered once");
    assert_eq!(count(&app).await, 3);
    let zhang = courseware::db::users::find_by_username(&app.db, "zhang3").await.unwrap().unwrap();
    assert_eq!(zhang.school_id, Some(org.school_a1));
    assert!(zhang.password_hash.starts_with("$argon2id$"));

    // Re-import: zhang3 moves class and is renamed; nobody is duplicated.
    let page = preview(&app, &csrf, "username,name,class\nzhang3,张三丰,七年级2班\nwang5,王五,七年级1班\n").await;
    assert_eq!(page.matches("class=\"row-updated\"").count(), 1);
    assert_eq!(page.matches("class=\"row-new\"").count(), 1);
    app.client.post(app.url("/teach/roster/apply")).form(&[("upload", upload_id(&page).as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(count(&app).await, 4);
    let zhang = courseware::db::users::find_by_username(&app.db, "zhang3").await.unwrap().unwrap();
    assert_eq!(zhang.display_name, "张三丰");
    let classes = courseware::db::users::class_ids(&app.db, zhang.id).await.unwrap();
    assert_eq!(classes.len(), 1, "moved, not added to a second class");
}

#[tokio::test]
async fn the_initial_password_csv_keeps_its_columns_and_neutralises_formulas() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    app.add_user("ta", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let csrf = app.login("ta").await;
    let csv = "username,name,class\r\nli4,\"Li, \"\"Four\"\"\",七年级1班\r\nwang5,\"=HYPERLINK(\"\"x\"\")\",@七年级2班\r\n";
    let page = preview(&app, &csrf, csv).await;
    let res = app.client.post(app.url("/teach/roster/apply")).form(&[("upload", upload_id(&page).as_str()), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let done = res.text().await.unwrap();
    let prefix = "href=\"data:text/csv;charset=utf-8,";
    let at = done.find(prefix).expect("download link") + prefix.len();
    let encoded = &done[at..at + done[at..].find('"').unwrap()];
    let file = percent_encoding::percent_decode_str(encoded).decode_utf8().unwrap().into_owned();
    let file = file.strip_prefix('\u{feff}').expect("starts with a byte order mark");

    let mut reader = csv::Reader::from_reader(file.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["username", "name", "class", "initial_password"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.len() == 4), "every row has four columns: {rows:?}");
    let li4 = rows.iter().find(|r| &r[0] == "li4").unwrap();
    assert_eq!(&li4[1], "Li, \"Four\"", "the comma and the quote stay inside the name");
    let wang5 = rows.iter().find(|r| &r[0] == "wang5").unwrap();
    assert_eq!((&wang5[1], &wang5[2]), ("'=HYPERLINK(\"x\")", "'@七年级2班"), "formulas neutralised");
    for row in &rows {
        let user = courseware::db::users::find_by_username(&app.db, &row[0]).await.unwrap().unwrap();
        assert!(courseware::auth::password::verify(&row[3], &user.password_hash), "the password column is the password of {}", &row[0]);
    }
}

#[tokio::test]
async fn self_registration_only_when_the_admin_allows_it() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    assert_eq!(app.get("/register").await.status(), 404);
    courseware::db::state::set(&app.db, "allow_registration", "1").await.unwrap();
    assert_eq!(app.get("/register").await.status(), 200);
    let res = app.client.post(app.url("/register")).form(&[("username", "farmer1"), ("name", "老李"), ("password", "rice-and-tea"), ("confirm", "rice-and-tea")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let me = app.get_json("/api/v1/me").await;
    assert_eq!(me["user"]["role"], "public");
    let again = reqwest::Client::new().post(app.url("/register")).form(&[("username", "farmer1"), ("name", "x"), ("password", "12345678"), ("confirm", "12345678")]).send().await.unwrap();
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn admin_pages_manage_the_tree_and_reset_passwords() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let res = app.client.post(app.url("/login")).form(&[("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let csrf = app.get_json("/api/v1/me").await["csrf_token"].as_str().unwrap().to_string();
    for (path, form) in [
        ("/admin/regions", vec![("code", "HN"), ("name", "某市")]),
        ("/admin/regions", vec![("code", "HN-1"), ("name", "某县"), ("parent", "HN")]),
        ("/admin/schools", vec![("code", "S1"), ("name", "第一中学"), ("region", "HN-1")]),
        ("/admin/users", vec![("username", "t9"), ("name", "王老师"), ("role", "teacher"), ("school", "S1")]),
    ] {
        let mut form = form.clone();
        form.push(("csrf_token", csrf.as_str()));
        let res = app.client.post(app.url(path)).form(&form).send().await.unwrap();
        assert!(res.status() == 303 || res.status() == 200, "{path}: {}", res.status());
    }
    let page = app.get("/admin").await.text().await.unwrap();
    assert!(page.contains("第一中学") && page.contains("王老师") && page.contains("region.add"), "tree, users and audit log shown");
    let t9 = courseware::db::users::find_by_username(&app.db, "t9").await.unwrap().unwrap();
    let res = app.client.post(app.url(&format!("/admin/users/{}/password", t9.id))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    let page = res.text().await.unwrap();
    let at = page.find("<code>").unwrap() + 6;
    let new_password = &page[at..at + 16];
    let t9 = courseware::db::users::find_by_username(&app.db, "t9").await.unwrap().unwrap();
    assert!(courseware::auth::password::verify(new_password, &t9.password_hash));
    let bad = app.client.post(app.url("/admin/schools")).form(&[("code", "S2"), ("name", "x"), ("region", "NOPE"), ("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

/// Roles x route groups. `Some(code)` is the status expected; course ids are not guessable
/// into access: a course one may not see is 404 everywhere.
#[tokio::test]
async fn authorization_matrix() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let class_x = courseware::db::org::ensure_class(&app.db, org.school_a1, "X").await.unwrap();
    let mut tokens = std::collections::BTreeMap::new();
    let users = [
        ("admin", None),
        ("bureau_a", Some(("bureau", None, Some(org.region_a)))),
        ("bureau_b", Some(("bureau", None, Some(org.region_b)))),
        ("teacher_a1", Some(("teacher", Some(org.school_a1), Some(org.region_a)))),
        ("teacher_b1", Some(("teacher", Some(org.school_b1), Some(org.region_b)))),
        ("student_x", Some(("student", Some(org.school_a1), Some(org.region_a)))),
        ("student_a1", Some(("student", Some(org.school_a1), Some(org.region_a)))),
        ("public", Some(("public", None, None))),
    ];
    for (name, spec) in users {
        let id = match spec {
            None => courseware::db::users::find_by_username(&app.db, name).await.unwrap().unwrap().id,
            Some((role, school, region)) => app.add_user(name, role, school, region).await,
        };
        if name == "student_x" {
            courseware::db::org::add_member(&app.db, class_x, id).await.unwrap();
        }
        tokens.insert(name, Some(app.token_for(id).await));
    }
    tokens.insert("anonymous", None);
    // A course of school A1 assigned to class X only.
    let report: serde_json::Value = app.upload(tokens["teacher_a1"].as_ref().unwrap(), &fixtures_dir().join("imscc/latex.imscc")).await.json().await.unwrap();
    let course = report["course_id"].as_i64().unwrap();
    courseware::db::courses::update_settings(&app.db, course, true, courseware::domain::Visibility::Classes).await.unwrap();
    sqlx::query("INSERT INTO course_classes (course_id, class_id) VALUES ($1, $2)").bind(course).bind(class_x).execute(&app.db.pool).await.unwrap();
    let media = {
        let detail: serde_json::Value = app.client.get(app.url(&format!("/api/v1/courses/{course}"))).bearer_auth(tokens["teacher_a1"].as_ref().unwrap()).send().await.unwrap().json().await.unwrap();
        detail["items"].as_array().unwrap().iter().find_map(|i| i["url"].as_str().map(str::to_owned)).unwrap()
    };

    // (who, course API, course page, catalog lists it, upload, course settings, roster page, admin page)
    let expect: [(&str, u16, u16, bool, u16, u16, u16, u16); 9] = [
        ("admin", 200, 200, true, 201, 303, 403, 200),
        ("bureau_a", 200, 200, true, 403, 403, 403, 403),
        ("bureau_b", 404, 404, false, 403, 404, 403, 403),
        ("teacher_a1", 200, 200, true, 201, 303, 200, 403),
        ("teacher_b1", 404, 404, false, 201, 404, 200, 403),
        ("student_x", 200, 200, true, 403, 403, 403, 403),
        ("student_a1", 404, 404, false, 403, 404, 403, 403),
        ("public", 404, 404, false, 403, 404, 403, 403),
        ("anonymous", 404, 404, false, 401, 303, 303, 303),
    ];
    let package = std::fs::read(fixtures_dir().join("imscc/single-page.imscc")).unwrap();
    for (who, api, page, listed, upload, settings, roster, admin) in expect {
        let token = tokens[who].clone();
        let get = |path: String| {
            let mut req = app.client.get(app.url(&path));
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            req.send()
        };
        assert_eq!(get(format!("/api/v1/courses/{course}")).await.unwrap().status(), api, "{who}: course API");
        assert_eq!(get(format!("/courses/{course}")).await.unwrap().status(), page, "{who}: course page");
        let list: serde_json::Value = get("/api/v1/courses".into()).await.unwrap().json().await.unwrap();
        assert_eq!(list.to_string().contains(&format!("\"id\":{course}")), listed, "{who}: catalog");
        assert_eq!(get("/teach/roster".into()).await.unwrap().status(), roster, "{who}: roster");
        assert_eq!(get("/admin".into()).await.unwrap().status(), admin, "{who}: admin");
        // Progress of others: the class view of the course (teachers of its school, admins).
        let class_view = get(format!("/teach/courses/{course}/progress")).await.unwrap().status().as_u16();
        let expected_view = match who {
            "admin" | "teacher_a1" => 200,
            "bureau_a" | "student_x" => 403,
            // Everyone else, anonymous included, does not learn the course exists.
            _ => 404,
        };
        assert_eq!(class_view, expected_view, "{who}: progress of others");
        // Usage statistics: (own dashboard, region JSON, school A1 JSON, A1 CSV, course JSON).
        let stats = [
            "/stats".to_string(),
            "/api/v1/stats/region".into(),
            format!("/api/v1/stats/schools/{}", org.school_a1),
            format!("/stats/schools/{}/export/daily", org.school_a1),
            format!("/api/v1/stats/courses/{course}"),
        ];
        let expected_stats: [u16; 5] = match who {
            "admin" | "bureau_a" => [200; 5],
            "bureau_b" => [200, 200, 404, 404, 404],
            "teacher_a1" => [200, 403, 200, 200, 200],
            "teacher_b1" => [200, 403, 404, 404, 404],
            "anonymous" => [303, 401, 401, 303, 401],
            _ => [403; 5],
        };
        for (path, expected) in stats.iter().zip(expected_stats) {
            assert_eq!(get(path.clone()).await.unwrap().status(), expected, "{who}: {path}");
        }
        let mut req = app.client.post(app.url("/api/v1/packages?name=single-page.imscc")).body(package.clone());
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status(), upload, "{who}: upload");
        let class_field = class_x.to_string();
        let mut req = app
            .client
            .post(app.url(&format!("/teach/courses/{course}/settings")))
            .form(&[("published", "1"), ("visibility", "classes"), ("class", class_field.as_str())]);
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status(), settings, "{who}: course settings");
    }
    // The media URL is a capability of its own: it works without a session but cannot be
    // forged for another course version (see media tests); nobody gets it from a page they
    // may not see, as the 404s above show.
    assert_eq!(app.get(&media).await.status(), 200);
}

#[tokio::test]
async fn the_organisation_tree_and_accounts_are_managed_by_cli() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = spawn_app_with(Options { import_demo: false }).await;
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_courseware"))
            .args(["--data-dir", app.data_dir.path().to_str().unwrap(), "--database-url", &app.settings.database_url])
            .args(args)
            .env("COURSEWARE_IMPORT_DEMO", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    assert!(run(&["region", "add", "CS", "--name", "长沙市"], None).status.success());
    assert!(run(&["region", "add", "CS-YL", "--name", "岳麓区", "--parent", "CS"], None).status.success());
    assert!(run(&["school", "add", "YL1", "--name", "岳麓一中", "--region", "CS-YL"], None).status.success());
    let out = run(&["user", "add", "li", "--role", "student", "--school", "YL1", "--class", "七年级1班", "--password-stdin"], Some("a-long-password\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bad = run(&["school", "add", "X", "--name", "x", "--region", "NOPE"], None);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("region NOPE does not exist"));
    let dup = run(&["region", "add", "CS", "--name", "again"], None);
    assert!(!dup.status.success() && String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let out = run(&["token", "create", "li"], None);
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let me: serde_json::Value = app.client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["username"], "li");
    let li = courseware::db::users::find_by_username(&app.db, "li").await.unwrap().unwrap();
    assert!(courseware::auth::password::verify("a-long-password", &li.password_hash));
    assert_eq!(courseware::db::users::class_ids(&app.db, li.id).await.unwrap().len(), 1);
    let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM api_tokens").fetch_all(&app.db.pool).await.unwrap();
    assert!(stored.iter().all(|(h,)| h != &token), "tokens are stored hashed");
}
