//! Progress and offline copies over a bad link in a real headless Chromium: a server that
//! takes heartbeats and never answers (or whose answers are lost), a browser that is
//! offline (CDP's network emulation), no network at all for a downloaded course, and a
//! download cut in the middle of the video. The learner is told while reports wait, and
//! once the link is back the server has every event exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::link_proxy::{Link, LinkProxy};
use crate::progress::learner;
use crate::webdriver::Browser;

/// Records, in localStorage (so it outlives page loads), the id of every event any page
/// ever puts in its progress queue: what the server must end up with, once each.
const RECORD_QUEUED_IDS: &str = "
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    if (this === window.localStorage && key.startsWith('cw-progress-queue:')) {
      const seen = new Set(JSON.parse(localStorage.getItem('test-queued') || '[]'));
      JSON.parse(value).forEach(e => seen.add(e.id));
      setItem.call(this, 'test-queued', JSON.stringify([...seen]));
    }
    return setItem.call(this, key, value);
  };";

pub async fn sign_in_at(browser: &Browser, base: &str, user: &str) {
    browser.goto(&format!("{base}/login")).await;
    browser.send_keys("input[name=username]", user).await;
    browser.send_keys("input[name=password]", &format!("{user}-password")).await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");
}

/// Sets Chromium's emulated network: offline or not (CDP `Network.emulateNetworkConditions`).
pub async fn emulate_offline(browser: &Browser, offline: bool) {
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.emulateNetworkConditions", json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}))
        .await;
}

pub async fn record_queued_ids(browser: &Browser) {
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": RECORD_QUEUED_IDS})).await;
}

pub const QUEUE_EMPTY: &str = "Object.keys(localStorage).filter(k => k.startsWith('cw-progress-queue:')).every(k => localStorage.getItem(k) === '[]')";
pub const NOTE_SHOWN: &str = "!document.getElementById('progress-offline').hidden";

/// Every event the browser queued is stored once, and the server has no other.
pub async fn assert_each_event_stored_once(app: &TestApp, browser: &Browser, user_id: i64) -> usize {
    let queued: Vec<String> = serde_json::from_value(browser.eval("return JSON.parse(localStorage.getItem('test-queued') || '[]');").await).unwrap();
    let queued: BTreeSet<String> = queued.into_iter().collect();
    let sql = format!("SELECT client_event_id, COUNT(*) FROM progress_events WHERE user_id = {user_id} GROUP BY client_event_id");
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(&app.db.pool).await.unwrap();
    assert!(rows.iter().all(|(_, n)| *n == 1), "an event stored twice: {rows:?}");
    let stored: BTreeSet<String> = rows.into_iter().map(|(id, _)| id).collect();
    assert_eq!(stored, queued, "the server has exactly the events the browser queued");
    stored.len()
}

async fn play_then_pause(browser: &Browser, seconds: f64) {
    assert_eq!(browser.play_muted_video().await, "playing");
    let start: f64 = browser.eval("return document.querySelector('video#player').currentTime;").await.as_f64().unwrap();
    let target = start + seconds;
    assert!(browser.wait_for(&format!("document.querySelector('video#player').currentTime > {target}"), Duration::from_secs(15)).await, "played to {target}");
    browser.eval("document.querySelector('video#player').pause();").await;
}

#[tokio::test]
async fn heartbeats_survive_a_hung_server_and_an_offline_browser_and_arrive_once() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("heartbeats_survive_a_hung_server").await else { return };
    let s = learner(&app, "s1", None, None).await;
    let proxy = LinkProxy::start(&app.address).await;
    let base = proxy.address.clone();
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap().clone();
    record_queued_ids(&browser).await;
    sign_in_at(&browser, &base, "s1").await;
    browser.goto(&format!("{base}{}", video["page_url"].as_str().unwrap())).await;
    assert!(browser.wait_for("document.querySelector('video#player').readyState >= 1", Duration::from_secs(10)).await, "metadata");
    assert!(browser.wait_for(QUEUE_EMPTY, Duration::from_secs(10)).await, "the open event is sent");

    // The server takes the heartbeat and never answers; navigator.onLine stays true.
    proxy.set(Link::HangHeartbeats);
    play_then_pause(&browser, 1.5).await;
    assert!(browser.wait_for(NOTE_SHOWN, Duration::from_secs(15)).await, "the learner is told once the request timed out");
    assert!(proxy.hung() >= 1, "a heartbeat hung");
    assert_eq!(browser.eval("return navigator.onLine;").await, true);
    assert_eq!(browser.eval(&format!("return {QUEUE_EMPTY};")).await, false, "the report waits in the queue");
    // Study goes on while the report waits; then the server answers again.
    play_then_pause(&browser, 1.0).await;
    proxy.set(Link::Up);
    assert!(browser.wait_for(&format!("{QUEUE_EMPTY} && !({NOTE_SHOWN})"), Duration::from_secs(40)).await, "sent after the back-off, note gone");

    // The server stores a report but its answer is lost: the client times out, sends it
    // again, and the server answers "duplicate".
    let before = proxy.hung();
    proxy.set(Link::LoseHeartbeatAnswers);
    play_then_pause(&browser, 1.0).await;
    assert!(browser.wait_for(NOTE_SHOWN, Duration::from_secs(15)).await, "no answer: the learner is told");
    assert!(proxy.hung() > before, "a heartbeat reached the server and its answer was lost");
    proxy.set(Link::Up);
    assert!(browser.wait_for(&format!("{QUEUE_EMPTY} && !({NOTE_SHOWN})"), Duration::from_secs(40)).await, "the duplicate is answered and forgotten");

    // The browser is offline (CDP): nothing gets through; the reports wait and are sent
    // when it comes back.
    emulate_offline(&browser, true).await;
    assert!(browser.wait_for("navigator.onLine === false", Duration::from_secs(5)).await, "offline emulated");
    // A seek reports the position at once (the media may not be buffered to play on).
    browser.eval("document.querySelector('video#player').currentTime = 12;").await;
    assert!(browser.wait_for(NOTE_SHOWN, Duration::from_secs(5)).await, "the learner is told at once");
    assert_eq!(browser.eval(&format!("return {QUEUE_EMPTY};")).await, false);
    emulate_offline(&browser, false).await;
    assert!(browser.wait_for(&format!("{QUEUE_EMPTY} && !({NOTE_SHOWN})"), Duration::from_secs(10)).await, "sent when back online");

    let stored = assert_each_event_stored_once(&app, &browser, s.id).await;
    assert!(stored >= 5, "open, three pauses and a seek at least: {stored}");
    let progress = crate::progress::course_progress(&app, &s.token, course["id"].as_i64().unwrap()).await;
    let v: &Value = crate::progress::item(&progress, "video");
    let watched = v["watched_share"].as_f64().unwrap();
    // 0 to 3.5 s and a little more were played, in three reports (sent after the hang and
    // after a lost answer): a lost report would lower the share.
    assert!(watched > 3.45 / 28.0 && watched < 5.0 / 28.0, "watched share {watched}: {v}");
    assert_eq!(v["position"]["seconds"], 12.0, "the position of the seek made offline");
}

/// Opens the course page and waits until the service worker controls it.
pub async fn open_course_page(browser: &Browser, base: &str, course_id: i64) {
    browser.goto(&format!("{base}/courses/{course_id}")).await;
    assert!(browser.wait_for("!document.getElementById('offline').hidden", Duration::from_secs(10)).await, "the download section shows");
    if !browser.wait_for("navigator.serviceWorker.controller", Duration::from_secs(5)).await {
        // The first page a worker is installed from is claimed; a reload makes sure.
        browser.goto(&format!("{base}/courses/{course_id}")).await;
        assert!(browser.wait_for("navigator.serviceWorker.controller", Duration::from_secs(10)).await, "the service worker controls the page");
    }
}

/// Shows the size, then downloads; returns the status line once the download ended.
pub async fn download_course(browser: &Browser) -> String {
    browser.eval("document.querySelector('#offline .offline-check').click();").await;
    assert!(browser.wait_for("!document.querySelector('#offline .offline-start').hidden", Duration::from_secs(10)).await, "the size is shown first");
    let shown = browser.eval("return document.querySelector('#offline .offline-status').textContent;").await;
    let shown = shown.as_str().unwrap();
    assert!(shown.contains(" KB") || shown.contains(" MB"), "size and free space before the download: {shown}");
    browser.eval("document.querySelector('#offline .offline-start').click();").await;
    let ended = "!document.querySelector('#offline .offline-start').hidden || !document.querySelector('#offline .offline-remove').hidden";
    assert!(browser.wait_for(ended, Duration::from_secs(30)).await, "the download ends");
    browser.eval("return document.querySelector('#offline .offline-status').textContent;").await.as_str().unwrap().to_string()
}

/// SHA-256 (hex) of what the Cache API holds under `key`, or null.
async fn cached_sha256(browser: &Browser, key: &str) -> Value {
    browser
        .eval_async_with(
            "const done = arguments[arguments.length - 1];
             caches.match(arguments[0]).then(r => r ? r.arrayBuffer().then(b => crypto.subtle.digest('SHA-256', b))
               .then(d => done([...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join(''))) : done(null))
               .catch(e => done('error: ' + e));",
            json!([key]),
        )
        .await
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

const VIDEO_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/courses/rice-growing/media/rice-intro.mp4");

#[tokio::test]
async fn a_downloaded_course_opens_offline_and_its_progress_arrives_once_when_back_online() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("a_downloaded_course_opens_offline").await else { return };
    let s = learner(&app, "s1", None, None).await;
    let proxy = LinkProxy::start(&app.address).await;
    let base = proxy.address.clone();
    let course = app.demo_course("rice-growing").await;
    let course_id = course["id"].as_i64().unwrap();
    let lesson = |kind: &str| format!("{base}{}", course["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()["page_url"].as_str().unwrap());
    record_queued_ids(&browser).await;
    sign_in_at(&browser, &base, "s1").await;
    open_course_page(&browser, &base, course_id).await;
    let status = download_course(&browser).await;
    assert!(browser.eval("return !document.querySelector('#offline .offline-remove').hidden;").await == true, "downloaded: {status}");
    let version = course["version_id"].as_i64().unwrap();
    let key = format!("/content/{version}/-/media/rice-intro.mp4");
    assert_eq!(cached_sha256(&browser, &key).await, sha256_hex(&std::fs::read(VIDEO_FILE).unwrap()));

    // Signing in again gives the session a new CSRF token; the stored pages keep the old.
    browser.eval("document.querySelector('form[action=\"/logout\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete' && !document.querySelector('form[action=\"/logout\"]')", Duration::from_secs(10)).await, "signed out");
    sign_in_at(&browser, &base, "s1").await;
    let csrf_now = browser.eval_async("const done = arguments[0]; fetch('/api/v1/me').then(r => r.json()).then(me => done(me.csrf_token));").await;

    // No network at all: the proxy refuses, and Chromium says it is offline.
    proxy.set(Link::Down);
    emulate_offline(&browser, true).await;
    let requests_before = proxy.seen().len();
    browser.goto(&lesson("video")).await;
    assert!(browser.wait_for("document.querySelector('video#player') && document.querySelector('video#player').readyState >= 1", Duration::from_secs(10)).await, "the video lesson opens offline");
    let csrf_stored = browser.eval("return document.getElementById('progress-tracker').dataset.csrf;").await;
    assert_ne!(csrf_stored, csrf_now, "the stored page holds the CSRF token of the session it was downloaded in");
    play_then_pause(&browser, 2.0).await;
    // A seek far ahead plays from the stored file (ranges answered by the worker).
    browser.eval("document.querySelector('video#player').currentTime = 20;").await;
    play_then_pause(&browser, 1.0).await;
    assert!(browser.wait_for(NOTE_SHOWN, Duration::from_secs(5)).await, "the learner is told the progress waits");

    browser.goto(&lesson("html")).await;
    assert!(browser.wait_for("document.querySelector('iframe.page')", Duration::from_secs(10)).await, "the page lesson opens offline");
    browser.enter_frame("iframe.page").await;
    let shown = browser.wait_for("document.body && document.body.innerText.length > 200", Duration::from_secs(10)).await;
    assert!(shown, "the page's text is there offline: {}", browser.eval("return location.href + ' ' + (document.body ? document.body.innerText.slice(0, 300) : '');").await);
    // Served by the worker, the page is as sandboxed as the server serves it: no origin.
    assert_eq!(browser.eval("return self.origin;").await, "null", "the stored HTML lesson runs in an opaque origin");
    browser.leave_frames().await;
    assert_eq!(proxy.seen().len(), requests_before, "nothing went through the link while it was down");
    assert_eq!(browser.eval(&format!("return {QUEUE_EMPTY};")).await, false, "reports wait");

    // The network returns: every report arrives, once.
    proxy.set(Link::Up);
    emulate_offline(&browser, false).await;
    assert!(browser.wait_for(&format!("{QUEUE_EMPTY} && !({NOTE_SHOWN})"), Duration::from_secs(40)).await, "sent when back online");
    assert_each_event_stored_once(&app, &browser, s.id).await;
    let progress = crate::progress::course_progress(&app, &s.token, course_id).await;
    let v = crate::progress::item(&progress, "video");
    let watched = v["watched_share"].as_f64().unwrap();
    assert!(watched > 2.9 / 28.0, "2 s and 1 s watched offline: {watched}: {v}");
    assert_ne!(crate::progress::item(&progress, "html")["status"], "not_started", "the page opened offline is recorded");

    // Removing the download empties the device's copy.
    open_course_page(&browser, &base, course_id).await;
    browser.eval("document.querySelector('#offline .offline-remove').click();").await;
    assert!(browser.wait_for("document.querySelector('#offline .offline-remove').hidden", Duration::from_secs(10)).await, "removed");
    assert_eq!(cached_sha256(&browser, &key).await, Value::Null);
    let names = browser.eval_async("const done = arguments[0]; caches.keys().then(done);").await;
    assert_eq!(names, json!([]), "no offline caches left");
}

#[tokio::test]
async fn an_interrupted_download_resumes_with_a_range_where_it_stopped() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("an_interrupted_download_resumes").await else { return };
    learner(&app, "s1", None, None).await;
    let proxy = LinkProxy::start(&app.address).await;
    let base = proxy.address.clone();
    let course = app.demo_course("rice-growing").await;
    let course_id = course["id"].as_i64().unwrap();
    sign_in_at(&browser, &base, "s1").await;
    open_course_page(&browser, &base, course_id).await;

    // A device without the space is told so, and nothing is downloaded.
    browser.eval("navigator.storage.estimate = () => Promise.resolve({quota: 500000, usage: 100000}); document.querySelector('#offline .offline-check').click();").await;
    let refused = "document.querySelector('#offline .offline-status').textContent.includes(document.getElementById('offline').dataset.tNoSpace)";
    assert!(browser.wait_for(refused, Duration::from_secs(10)).await, "not enough space is said");
    assert_eq!(browser.eval("return document.querySelector('#offline .offline-start').hidden;").await, true, "no download offered");
    assert!(proxy.seen().iter().all(|l| !l.starts_with("GET /content/")), "nothing was downloaded");
    open_course_page(&browser, &base, course_id).await;

    // The video's response is cut 400 KB in (its 965 KB).
    proxy.cut_next_media_after(400_000);
    let status = download_course(&browser).await;
    assert!(!proxy.media_cut_pending(), "the video's download was cut");
    assert_eq!(browser.eval("return document.querySelector('#offline .offline-remove').hidden;").await, true, "not done: {status}");
    let resume = browser.eval("return document.querySelector('#offline .offline-start').textContent;").await;
    assert_eq!(resume, browser.eval("return document.getElementById('offline').dataset.tResume;").await, "the button resumes");
    assert!(!resume.as_str().unwrap().is_empty());

    browser.eval("document.querySelector('#offline .offline-start').click();").await;
    assert!(browser.wait_for("!document.querySelector('#offline .offline-remove').hidden", Duration::from_secs(30)).await, "the resumed download ends");
    let ranges: Vec<u64> = proxy
        .seen()
        .iter()
        .filter_map(|l| l.strip_prefix("Range: bytes=").or_else(|| l.strip_prefix("range: bytes=")))
        .filter_map(|r| r.trim_end_matches('-').parse().ok())
        .collect();
    let resumed_at = *ranges.iter().max().unwrap();
    // Pieces of 256 KB are kept as they arrive, and what came before the cut too: all but
    // the response's headers of the 400 KB.
    assert!(resumed_at > 390_000 && resumed_at < 400_000, "resumed from the byte where it stopped: {ranges:?} {status} {:?}", proxy.seen());
    let version = course["version_id"].as_i64().unwrap();
    let key = format!("/content/{version}/-/media/rice-intro.mp4");
    assert_eq!(cached_sha256(&browser, &key).await, sha256_hex(&std::fs::read(VIDEO_FILE).unwrap()), "the bytes are the file's");
    let pieces = browser.eval_async(&format!("const done = arguments[0]; caches.open('cw-offline-pieces-{course_id}').then(c => c.keys()).then(k => done(k.length));")).await;
    assert_eq!(pieces, 0, "no pieces left once the file is whole");
}
