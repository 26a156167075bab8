//! The foundation: health, catalog, course and lesson pages in both languages, JSON API,
//! content bytes, error pages, and a restart that changes nothing.

use crate::helpers::{spawn_app, ADMIN_PASSWORD};

#[tokio::test]
async fn healthz_names_the_backend() {
    let app = spawn_app().await;
    let body = app.get_json("/healthz").await;
    assert_eq!(body["status"], "ok");
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) { "postgres" } else { "sqlite" };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn catalog_shows_demo_courses_in_chinese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let zh = res.text().await.unwrap();
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    assert!(zh.contains("课程目录"));
    assert!(zh.contains("水稻种植"), "rural demo course listed");
    assert!(zh.contains("水的循环"), "school demo course listed");
    assert!(!zh.contains("https://"), "no external resources on the page");

    let en = app.get_with_lang("/", "en-US,en;q=0.9").await.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Course catalog"));
    assert!(en.contains("Rice"), "{en}");
}

#[tokio::test]
async fn language_cookie_wins_over_accept_language_and_redirects_stay_local() {
    let app = spawn_app().await;
    let res = app.get("/lang/en?next=/courses/1").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/courses/1");
    let page = app.get_with_lang("/", "zh-CN").await.text().await.unwrap();
    assert!(page.contains("Course catalog"), "cookie chose English");
    let res = app.get("/lang/zh-CN?next=//evil.example/").await;
    assert_eq!(res.headers()["location"], "/");
    let page = app.get_with_lang("/", "en").await.text().await.unwrap();
    assert!(page.contains("课程目录"));
    assert_eq!(app.get("/lang/fr").await.status(), 400);
}

#[tokio::test]
async fn api_lists_courses_with_items_kinds_and_working_urls() {
    let app = spawn_app().await;
    let list = app.get_json("/api/v1/courses").await;
    assert!(list["courses"].as_array().unwrap().len() >= 2);
    for slug in ["rice-growing", "water-cycle"] {
        let course = app.demo_course(slug).await;
        let items = course["items"].as_array().unwrap();
        let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
        for kind in ["video", "html", "pdf"] {
            assert!(kinds.contains(&kind), "{slug} has a {kind} lesson: {kinds:?}");
        }
        for item in items {
            let url = item["url"].as_str().unwrap();
            let res = app.get(url).await;
            assert_eq!(res.status(), 200, "{url}");
            let expected = match item["kind"].as_str().unwrap() {
                "video" => "video/mp4",
                "pdf" => "application/pdf",
                _ => "text/html",
            };
            let ct = res.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.starts_with(expected), "{url}: {ct}");
            let body = res.bytes().await.unwrap();
            assert!(body.len() > 100, "{url} has content");
        }
        let video = items.iter().find(|i| i["kind"] == "video").unwrap();
        let captions = video["captions"].as_array().unwrap();
        assert!(captions.iter().any(|c| c["lang"] == "zh-CN") && captions.iter().any(|c| c["lang"] == "en"));
        let vtt = app.get(captions[0]["url"].as_str().unwrap()).await.text().await.unwrap();
        assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    }
}

#[tokio::test]
async fn course_and_lesson_pages_render_players() {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let id = course["id"].as_i64().unwrap();
    let page = app.get(&format!("/courses/{id}")).await.text().await.unwrap();
    assert!(page.contains("水稻种植"));
    for item in course["items"].as_array().unwrap() {
        let page_url = item["page_url"].as_str().unwrap();
        assert!(page.contains(page_url), "course page links {page_url}");
        for lang in ["zh-CN", "en"] {
            let res = app.get_with_lang(page_url, lang).await;
            assert_eq!(res.status(), 200);
            let html = res.text().await.unwrap();
            let url = item["url"].as_str().unwrap();
            match item["kind"].as_str().unwrap() {
                "video" => {
                    assert!(html.contains(&format!("<video id=\"player\" controls preload=\"metadata\" playsinline src=\"{url}\"")), "{html}");
                    assert!(html.contains("<track kind=\"captions\""));
                    assert!(html.contains(&format!("srclang=\"{lang}\" label=")) && html.contains(" default>"), "caption in reader's language is default");
                }
                "pdf" => assert!(html.contains(&format!("<iframe class=\"doc\"")) && html.contains(url)),
                "html" => assert!(html.contains("sandbox=\"allow-scripts") && html.contains(url)),
                other => panic!("unexpected kind {other}"),
            }
        }
    }
}

#[tokio::test]
async fn uploaded_html_is_sandboxed_away_from_the_session() {
    let app = spawn_app().await;
    let course = app.demo_course("water-cycle").await;
    let html = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "html").unwrap();
    let res = app.get(html["url"].as_str().unwrap()).await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox") && !csp.contains("allow-same-origin"), "{csp}");
}

#[tokio::test]
async fn missing_things_get_404_pages_in_the_readers_language_and_json_on_the_api() {
    let app = spawn_app().await;
    let res = app.get("/courses/999999").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("找不到页面"), "{html}");
    let html = app.get_with_lang("/no/such/page", "en").await.text().await.unwrap();
    assert!(html.contains("Page not found"));
    let res = app.get("/api/v1/courses/999999").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    let res = app.get("/courses/not-a-number").await;
    assert_eq!(res.status(), 400);
    let res = app.get("/content/999999/x.mp4").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn restart_does_not_import_demo_courses_twice_or_reset_the_admin_password() {
    let app = spawn_app().await;
    let before = app.get_json("/api/v1/courses").await["courses"].as_array().unwrap().len();
    let hash_before = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap().password_hash;
    let mut settings = app.settings.clone();
    settings.admin_password = Some("a-different-password".into());
    let state = courseware::cli::build_state(settings).await.unwrap();
    drop(state);
    let _second = app.restart().await;
    let after = app.get_json("/api/v1/courses").await["courses"].as_array().unwrap().len();
    assert_eq!(before, after);
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    assert_eq!(admin.password_hash, hash_before);
    assert!(courseware::auth::password::verify(ADMIN_PASSWORD, &admin.password_hash));
    assert!(!admin.password_hash.contains(ADMIN_PASSWORD));
}

#[tokio::test]
async fn the_favicon_is_linked_from_every_page_and_answers_at_the_usual_path() {
    let app = spawn_app().await;
    for page in ["/", "/login", "/no-such-page"] {
        let html = app.get(page).await.text().await.unwrap();
        let at = html.find("rel=\"icon\" href=\"").unwrap_or_else(|| panic!("{page} links an icon")) + "rel=\"icon\" href=\"".len();
        let href: String = html[at..].chars().take_while(|c| *c != '"').collect();
        let icon = app.get(&href).await;
        assert_eq!(icon.status(), 200, "{page}: {href}");
        assert_eq!(icon.headers()["content-type"], "image/svg+xml");
        assert!(icon.text().await.unwrap().starts_with("<svg"));
    }
    let ico = app.get("/favicon.ico").await;
    assert_eq!(ico.status(), 200);
    assert_eq!(ico.headers()["content-type"], "image/svg+xml");
}
