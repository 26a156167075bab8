//! The two browser exploits of issue 16, replayed in headless Chromium: an uploaded page
//! that tries to make its viewer (an admin) create an admin, and a package page on the
//! content port that plants a session cookie for the application.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app_with, spawn_app_with_env, Options};
use crate::scorm_browser::sign_in;
use crate::security::{upload_open_course, zip_of};
use crate::webdriver::Browser;

/// What the exploit does, as a page script: read the session's CSRF token from the API and
/// post an admin account with it, then write what it managed into the page.
const EXPLOIT: &str = r#"
(async () => {
  const out = [];
  try { out.push('cookie=' + document.cookie); } catch (e) { out.push('cookie-blocked'); }
  try {
    const me = await (await fetch('/api/v1/me', {credentials: 'include'})).json();
    out.push('me=' + (me.user ? me.user.username : 'none'));
    const body = new URLSearchParams({username: 'pwned', name: 'x', role: 'admin', csrf_token: me.csrf_token || ''});
    const r = await fetch('/admin/users', {method: 'POST', body, credentials: 'include'});
    out.push('post=' + r.status);
  } catch (e) { out.push('fetch-blocked'); }
  document.documentElement.setAttribute('data-result', out.join('|'));
})();
"#;

fn exploit_files() -> Vec<(String, Vec<u8>)> {
    let html = format!("<!doctype html><title>handout</title><p>Handout</p><script>{EXPLOIT}</script>");
    let xhtml = format!(
        "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>x</title></head><body><p>x</p><script><![CDATA[{EXPLOIT}]]></script></body></html>"
    );
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script><![CDATA[{EXPLOIT}]]></script></svg>");
    vec![
        ("lesson.html".into(), b"<!doctype html><p>lesson</p>".to_vec()),
        ("handout.shtml".into(), html.clone().into_bytes()),
        ("page.xht".into(), xhtml.into_bytes()),
        ("drawing.svg".into(), svg.into_bytes()),
        ("notes.png".into(), html.clone().into_bytes()),
        ("readme.txt".into(), html.into_bytes()),
    ]
}

#[tokio::test]
async fn an_uploaded_page_opened_by_an_admin_cannot_act_as_the_admin() {
    let Some(browser) = Browser::start("an_uploaded_page_opened_by_an_admin_cannot_act_as_the_admin").await else { return };
    let app = spawn_app_with(Options { import_demo: false }).await;
    let (course_id, version, token) = upload_open_course(&app, "mallory", "handouts.zip", zip_of(&exploit_files())).await;
    app.add_user("boss", "admin", None, None).await;
    sign_in(&browser, &app, "boss").await;

    for name in ["handout.shtml", "page.xht", "drawing.svg", "notes.png", "readme.txt"] {
        // Opened on its own, as the lesson page's "open in a new tab" link does.
        browser.goto(&app.url(&format!("/content/{version}/{token}/{name}"))).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let result = browser.eval("return document.documentElement.getAttribute('data-result');").await;
        if let Some(text) = result.as_str() {
            // It ran, but in the sandbox: no cookie, no same-origin request.
            assert!(text.contains("cookie-blocked") && text.contains("fetch-blocked"), "{name}: {text}");
            assert!(!text.contains("me=boss") && !text.contains("post="), "{name}: {text}");
        } else {
            // Not run as a document at all (an image, plain text): fine too.
            assert!(result.is_null(), "{name}: {result}");
        }
    }
    // Framed in its lesson page (the lesson list gives every page of the course).
    let course: Value = app.get_json(&format!("/api/v1/courses/{course_id}")).await;
    for item in course["items"].as_array().unwrap() {
        browser.goto(&app.url(&format!("/courses/{course_id}/lessons/{}", item["id"]))).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let made: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = 'pwned'").fetch_optional(&app.db.pool).await.unwrap();
    assert!(made.is_none(), "the uploaded page created an admin");
    // The admin's own session still works: the exploit did not sign anyone out either.
    browser.goto(&app.url("/admin")).await;
    assert!(browser.wait_for("document.querySelector('form[action=\"/admin/users\"]')", Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_cookie_planted_from_the_content_port_does_not_sign_the_victim_in_as_the_attacker() {
    let Some(browser) = Browser::start("a_cookie_planted_from_the_content_port_does_not_sign_the_victim_in_as_the_attacker").await else { return };
    // Package content on the same host as the application, another port: the set-up the
    // issue warns about, where the browser shares cookies between the two.
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_CONTENT_BIND", "127.0.0.1:0")]).await;
    app.add_user("mallory", "student", None, None).await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .form(&[("username", "mallory"), ("password", "mallory-password")])
        .send()
        .await
        .unwrap();
    let mallory_session = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let toss = format!(
        "<!doctype html><p>toss</p><script>document.cookie = 'cw_session={mallory_session}; path=/courses'; document.documentElement.setAttribute('data-done', '1');</script>"
    );
    let files = vec![("lesson.html".to_string(), b"<p>lesson</p>".to_vec()), ("toss.html".to_string(), toss.into_bytes())];
    let (course_id, version, token) = upload_open_course(&app, "teacher-m", "toss.zip", zip_of(&files)).await;

    app.add_user("victim", "student", None, None).await;
    sign_in(&browser, &app, "victim").await;
    // The victim opens the package page on the content port; it plants the cookie.
    browser.goto(&format!("http://127.0.0.1:{}/content/{version}/{token}/toss.html", app.content_port)).await;
    assert!(browser.wait_for("document.documentElement.getAttribute('data-done') === '1'", Duration::from_secs(5)).await, "the planting page ran");
    let cookies = browser.cdp("Storage.getCookies", serde_json::json!({})).await;
    let planted = |cookies: &Value| cookies["cookies"].as_array().unwrap().iter().filter(|c| c["name"] == "cw_session").count();
    assert_eq!(planted(&cookies), 2, "the browser now holds two session cookies: {cookies}");

    browser.goto(&app.url(&format!("/courses/{course_id}"))).await;
    let page = browser.eval("return document.body.innerText;").await.as_str().unwrap().to_string();
    assert!(!page.contains("mallory"), "the course page ran as the attacker: {page}");
    let me = browser.eval_async("const done = arguments[arguments.length - 1]; fetch('/api/v1/me').then(r => done(r.status));").await;
    assert_eq!(me, 401, "signed out rather than anyone");
    let cookies = browser.cdp("Storage.getCookies", serde_json::json!({})).await;
    assert_eq!(planted(&cookies), 0, "both cleared: {cookies}");
    sign_in(&browser, &app, "victim").await;
    let me = browser.eval_async("const done = arguments[arguments.length - 1]; fetch('/api/v1/me').then(r => r.json()).then(j => done(j.user.username));").await;
    assert_eq!(me, "victim", "signing in again works");
}
