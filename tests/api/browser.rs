//! Student flows in a real headless Chromium.

use std::time::Duration;

use crate::helpers::{spawn_app, RecordingProxy};
use crate::webdriver::Browser;

#[tokio::test]
async fn demo_video_plays_in_the_browser() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("demo_video_plays_in_the_browser").await else { return };
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap().clone();
    browser.goto(&app.url(video["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('video#player')", Duration::from_secs(5)).await);
    let started = browser.play_muted_video().await;
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

#[tokio::test]
async fn seeking_the_demo_video_asks_for_an_open_ended_range_and_plays_from_there() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("seeking_the_demo_video_asks_for_an_open_ended_range").await else { return };
    let proxy = RecordingProxy::start(&app.address).await;
    // A slow rural link: the seek target is not buffered yet, so the player must ask for it.
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser
        .cdp("Network.emulateNetworkConditions", serde_json::json!({
            "offline": false, "latency": 50, "downloadThroughput": 40_000, "uploadThroughput": 40_000
        }))
        .await;
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap().clone();
    browser.goto(&format!("{}{}", proxy.address, video["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('video#player') && document.querySelector('video#player').readyState >= 1", Duration::from_secs(20)).await, "metadata loaded");
    let result = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             const v = document.querySelector('video#player');
             v.muted = true;
             const target = v.duration / 2;
             v.addEventListener('seeked', () => {
               v.play().catch(() => {});
               const t0 = v.currentTime;
               const check = () => v.currentTime > t0 + 0.3 ? done({from: t0, now: v.currentTime}) : setTimeout(check, 100);
               check();
             }, {once: true});
             v.currentTime = target;",
        )
        .await;
    let from = result["from"].as_f64().unwrap();
    assert!(from >= 13.0, "playback resumed at the seek target: {result}");
    let seen = proxy.seen.lock().unwrap().clone();
    let len = app.get(video["url"].as_str().unwrap()).await.bytes().await.unwrap().len() as u64;
    // Chromium writes "from here to the end" either as `bytes=N-` or as `bytes=N-<last byte>`.
    let from_middle_to_end = seen.iter().any(|l| {
        let Some(spec) = l.to_ascii_lowercase().strip_prefix("range: bytes=").map(str::to_owned) else { return false };
        let (start, end) = spec.split_once('-').unwrap_or(("", ""));
        let start: u64 = start.parse().unwrap_or(0);
        start > len / 4 && (end.is_empty() || end.parse::<u64>().ok() == Some(len - 1))
    });
    assert!(from_middle_to_end, "a range from the middle to the end was requested: {seen:?}");
}

#[tokio::test]
async fn pdf_lesson_renders_inline() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("pdf_lesson_renders_inline").await else { return };
    let course = app.demo_course("water-cycle").await;
    let pdf = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "pdf").unwrap().clone();
    browser.goto(&app.url(pdf["page_url"].as_str().unwrap())).await;
    let shown = browser
        .wait_for(
            "(() => { const f = document.querySelector('iframe.doc'); const d = f && f.contentDocument;
               return d && d.contentType === 'application/pdf' && !!d.body; })()",
            Duration::from_secs(15),
        )
        .await;
    // Chromium's PDF viewer takes over the frame (a document of type application/pdf);
    // a download would have left the frame empty (about:blank).
    if !shown {
        let info = browser.eval("const f = document.querySelector('iframe.doc'); const d = f && f.contentDocument; return d ? [d.contentType, d.documentElement.outerHTML.slice(0, 300)] : 'no document';").await;
        panic!("the PDF is shown in the page, not downloaded: {info}");
    }
}
