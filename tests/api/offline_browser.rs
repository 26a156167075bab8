//! Progress over a bad link in a real headless Chromium: a server that takes heartbeats and
//! never answers, and a browser that is offline (CDP's network emulation); in both the
//! learner is told, the queue waits, and once the link is back the server has every event
//! exactly once.

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
    assert!(stored >= 4, "open, two pauses and a seek at least: {stored}");
    let progress = crate::progress::course_progress(&app, &s.token, course["id"].as_i64().unwrap()).await;
    let v: &Value = crate::progress::item(&progress, "video");
    let watched = v["watched_share"].as_f64().unwrap();
    // 0 to 2.5 s and a little more were played, in two reports (one sent after the hang):
    // a lost report would lower the share.
    assert!(watched > 2.45 / 28.0 && watched < 4.0 / 28.0, "watched share {watched}: {v}");
    assert_eq!(v["position"]["seconds"], 12.0, "the position of the seek made offline");
}
