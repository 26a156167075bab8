//! Student flows in a real headless Chromium.

use std::time::Duration;

use crate::helpers::spawn_app;
use crate::webdriver::Browser;

#[tokio::test]
async fn demo_video_plays_in_the_browser() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("demo_video_plays_in_the_browser").await else { return };
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap().clone();
    browser.goto(&app.url(video["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('video#player')", Duration::from_secs(5)).await);
    let started = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             const v = document.querySelector('video#player');
             v.muted = true;
             v.play().then(() => done('playing')).catch(e => done('error: ' + e));",
        )
        .await;
    assert_eq!(started, "playing", "video.play() resolved");
    assert!(
        browser.wait_for("document.querySelector('video#player').currentTime > 0.5", Duration::from_secs(10)).await,
        "playback advanced"
    );
    let info = browser
        .eval("const v = document.querySelector('video#player'); return [v.videoWidth, v.duration, v.textTracks.length, v.error && v.error.code];")
        .await;
    assert!(info[0].as_i64().unwrap() > 0, "decoded frames: {info}");
    assert!(info[1].as_f64().unwrap() > 5.0, "duration known: {info}");
    assert!(info[2].as_i64().unwrap() >= 2, "caption tracks: {info}");
    assert!(info[3].is_null(), "no media error: {info}");
    let png = browser.screenshot_png().await;
    assert!(png.starts_with(b"\x89PNG"), "screenshot taken");
}
