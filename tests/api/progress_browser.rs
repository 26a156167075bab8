//! Progress in a real headless Chromium: play the demo video, seek, close the window; the
//! last position and the watched share arrive with the `pagehide` beacon, and reopening the
//! lesson resumes there.

use std::time::Duration;

use crate::helpers::{spawn_app, RecordingProxy};
use crate::progress::{course_progress, item, learner};
use crate::webdriver::Browser;

#[tokio::test]
async fn closing_the_window_keeps_the_last_position_and_reopening_resumes_there() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("closing_the_window_keeps_the_last_position").await else { return };
    let s = learner(&app, "s1", None, None).await;
    let proxy = RecordingProxy::start(&app.address).await;
    let base = proxy.address.clone();
    let course = app.demo_course("rice-growing").await;
    let course_id = course["id"].as_i64().unwrap();
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap();
    let lesson = format!("{base}{}", video["page_url"].as_str().unwrap());

    browser.goto(&format!("{base}/login")).await;
    browser.send_keys("input[name=username]", "s1").await;
    browser.send_keys("input[name=password]", "s1-password").await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");

    // Study in a second window, so that closing it leaves the browser running.
    let first = browser.window().await;
    let second = browser.new_window().await;
    browser.switch_to(&second).await;
    browser.goto(&lesson).await;
    assert!(browser.wait_for("document.querySelector('video#player').readyState >= 1", Duration::from_secs(10)).await, "metadata");
    assert_eq!(browser.eval("return document.visibilityState;").await, "visible");
    let started = browser.play_muted_video().await;
    assert_eq!(started, "playing");
    assert!(browser.wait_for("document.querySelector('video#player').currentTime > 3", Duration::from_secs(15)).await, "played 3 s");
    browser.eval("document.querySelector('video#player').currentTime = 20;").await;
    let player = "document.querySelector('video#player')";
    assert!(browser.wait_for(&format!("{player}.currentTime > 22.5 && !{player}.seeking"), Duration::from_secs(15)).await, "played on from 20 s");

    // What the server has now came with the seek: the position then was the seek target.
    let before = wait_for_position(&app, &s.token, course_id, |p| p >= 19.9).await;
    assert!(before <= 20.5, "no heartbeat after the seek yet: {before}");
    browser.close_window().await;
    browser.switch_to(&first).await;
    let after = wait_for_position(&app, &s.token, course_id, |p| p > 22.0).await;
    let progress = course_progress(&app, &s.token, course_id).await;
    let v = item(&progress, "video");
    let share = v["watched_share"].as_f64().unwrap();
    // About 3 s + 2.5 s of 28 s played; the 17 s skipped by the seek do not count.
    assert!((0.15..0.4).contains(&share), "watched share {share}: {v}");
    assert_eq!(v["status"], "in_progress");
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.starts_with("POST /api/v1/progress/events?csrf_token=")),
        "the pagehide beacon (the only request with the token in its query) arrived: {seen:?}"
    );

    // Reopening the lesson resumes where the beacon said.
    browser.goto(&lesson).await;
    let resumed = format!("{player}.readyState >= 1 && Math.abs({player}.currentTime - {after}) < 0.5");
    assert!(browser.wait_for(&resumed, Duration::from_secs(10)).await, "resumed at {after}");
    assert_eq!(browser.eval("return document.getElementById('progress-resumed').hidden;").await, false);
}

/// Polls the stored video position until `ok` accepts it (10 s at most).
async fn wait_for_position(app: &crate::helpers::TestApp, token: &str, course_id: i64, ok: impl Fn(f64) -> bool) -> f64 {
    let mut last = -1.0;
    for _ in 0..100 {
        let progress = course_progress(app, token, course_id).await;
        last = item(&progress, "video")["position"]["seconds"].as_f64().unwrap_or(-1.0);
        if ok(last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the stored position never arrived; last seen {last}");
}
