//! Package scripts run on the content origin: they can neither read the learner's page nor
//! act as the learner on the application.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{spawn_app_with, Options, RecordingProxy};
use crate::scorm_browser::{scorm_course, sco_state};
use crate::webdriver::Browser;

#[tokio::test]
async fn package_scripts_cannot_read_the_player_page_or_act_as_the_learner() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("package_scripts_cannot_read_the_player_page").await else { return };
    let course = scorm_course(&app, "scorm12/golf-runtime-basic.zip").await;
    let sco = course.items.iter().find(|i| i["kind"] == "sco").unwrap().clone();
    // The browser reaches the app through a recorder that notes which posts carried a cookie.
    let proxy = RecordingProxy::start(&app.address).await;
    let base = proxy.address.clone();
    browser.goto(&format!("{base}/login")).await;
    browser.send_keys("input[name=username]", "s1").await;
    browser.send_keys("input[name=password]", "s1-password").await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");
    browser.goto(&format!("{base}{}", sco["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('#scorm-player')", Duration::from_secs(10)).await);
    let commit_url = browser.eval("return document.querySelector('#scorm-player').dataset.commitUrl;").await;
    let commit_url = commit_url.as_str().unwrap().to_string();
    // The learner's page has the session (its cookie is HttpOnly, so not in document.cookie).
    browser.enter_frame("iframe.scorm-frame").await;
    assert!(browser.wait_for("document.getElementById('sco-frame') && window.API", Duration::from_secs(10)).await);
    browser.enter_frame("#sco-frame").await;
    assert!(browser.wait_for("typeof currentPage === 'number'", Duration::from_secs(10)).await, "the SCO runs");
    assert!(browser.eval("return location.origin;").await.as_str().unwrap().starts_with("http://localhost:"), "the SCO is on the content origin");

    // 1. The player page (another origin) is out of reach.
    let dom = browser.eval("try { return window.top.document.body.innerHTML.length; } catch (e) { return e.name; }").await;
    assert_eq!(dom, "SecurityError", "reading the player page's DOM");
    let storage = browser.eval("try { return String(window.top.localStorage.length); } catch (e) { return e.name; }").await;
    assert_eq!(storage, "SecurityError");
    // 2. No cookie of the application is visible on the content origin.
    assert_eq!(browser.eval("return document.cookie;").await, "");

    // 3. Posts to the application as the learner: change the password, claim a pass.
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const pw = new URLSearchParams({{current: 's1-password', new: 'taken-over-123', confirm: 'taken-over-123'}});
         const claim = JSON.stringify({{seq: 1, final: true, values: [['cmi.core.lesson_status', 'passed'], ['cmi.core.score.raw', '100']]}});
         Promise.all([
           fetch('{base}/account/password', {{method: 'POST', credentials: 'include', mode: 'no-cors', body: pw}}).then(r => r.type, e => 'error'),
           fetch('{base}{commit_url}', {{method: 'POST', credentials: 'include', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body: claim}}).then(r => r.type, e => 'error'),
         ]).then(done);"
    );
    let sent = browser.eval_async(&script).await;
    assert_eq!(sent, json!(["opaque", "opaque"]), "both requests left the browser");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = proxy.seen.lock().unwrap().clone();
    let posts: Vec<&String> = seen.iter().filter(|l| l.starts_with("POST /account/password") || l.starts_with(&format!("POST {commit_url}"))).collect();
    assert_eq!(posts.len(), 2, "{seen:?}");
    // What blocks them: the content origin is another site, so the browser does not attach
    // the SameSite=Lax session cookie to its posts...
    assert!(posts.iter().all(|l| !l.ends_with("[cookie]")), "no cookie went with the posts: {posts:?}");
    // ...and even with the cookie, a post without the session's CSRF token is refused.
    app.login("s1").await;
    let forged = app.client.post(app.url("/account/password")).form(&[("current", "s1-password"), ("new", "taken-over-123"), ("confirm", "taken-over-123")]).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let forged = app.client.post(app.url(&commit_url)).header("content-type", "text/plain").body("{\"values\": []}").send().await.unwrap();
    assert_eq!(forged.status(), 403);

    // Nothing changed: the password still works, the SCO has not passed.
    let res = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
        .post(app.url("/login")).form(&[("username", "s1"), ("password", "s1-password"), ("next", "/")]).send().await.unwrap();
    assert_eq!(res.status(), 303, "the old password still signs in");
    let state = sco_state(&app, &course).await;
    assert_ne!(state["attempt"]["success"], "passed", "{state}");
    assert_ne!(state["attempt"]["score_raw"], 100.0, "{state}");
}
