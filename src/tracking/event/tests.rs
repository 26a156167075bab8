//! Tests of checking events and bringing them to the server's clock.

use std::sync::Arc;

use super::*;
use crate::tracking::meta::ItemMeta;

const NOW: i64 = 1_700_000_000_000;

pub(crate) fn item(kind: &str) -> Arc<ItemMeta> {
    Arc::new(ItemMeta { item_id: 7, course_id: 3, version_id: 2, key: "intro".into(), kind: kind.into(), quiz: None })
}

fn input(kind: &str) -> EventInput {
    EventInput {
        id: "e1".into(),
        item_id: 7,
        kind: kind.into(),
        at: NOW,
        played: Vec::new(),
        active: Vec::new(),
        position: None,
        duration: None,
    }
}

#[test]
fn a_wrong_client_clock_is_corrected_by_the_batch_time() {
    // The phone's clock is an hour behind: it says it sent the batch at NOW - 1 h.
    let clock = Clock::new(NOW, Some(NOW - 3_600_000));
    let mut e = input("progress");
    e.at = NOW - 3_600_000 - 5_000;
    e.active = vec![[NOW - 3_600_000 - 20_000, NOW - 3_600_000 - 5_000]];
    let ev = normalize(e, item("video"), 1, clock).unwrap();
    assert_eq!(ev.at, NOW - 5_000);
    assert_eq!(ev.payload.active, vec![[NOW - 20_000, NOW - 5_000]]);
    assert_eq!(ev.client_ts, NOW - 3_600_000 - 5_000);
}

#[test]
fn the_future_and_overlong_spans_are_clipped() {
    let clock = Clock::new(NOW, None);
    let mut e = input("progress");
    e.at = NOW + 60_000;
    e.active = vec![[NOW - 3_600_000, NOW + 60_000]];
    let ev = normalize(e, item("pdf"), 1, clock).unwrap();
    assert_eq!(ev.at, NOW);
    assert_eq!(ev.payload.active, vec![[NOW - MAX_SPAN_MS, NOW]]);
}

#[test]
fn played_media_is_limited_by_the_time_it_took() {
    let clock = Clock::new(NOW, None);
    let mut e = input("progress");
    // Claims the whole 28 s video after 5 s on the page: 2 x 5 s + 2 s slack are credited.
    e.played = vec![[0.0, 28.0]];
    e.active = vec![[NOW - 5_000, NOW]];
    let ev = normalize(e, item("video"), 1, clock).unwrap();
    assert_eq!(ev.payload.played, vec![[0.0, 12.0]]);
    // Without any visible playing time, only the slack.
    let mut e = input("progress");
    e.played = vec![[0.0, 1.0], [10.0, 15.0]];
    let ev = normalize(e, item("video"), 1, clock).unwrap();
    assert_eq!(ev.payload.played, vec![[0.0, 1.0], [10.0, 11.0]]);
}

#[test]
fn played_intervals_are_kept_for_media_only_and_must_make_sense() {
    let clock = Clock::new(NOW, None);
    let mut e = input("progress");
    e.played = vec![[0.0, 1.0]];
    assert!(normalize(e, item("pdf"), 1, clock).unwrap().payload.played.is_empty());
    for bad in [[5.0, 1.0], [-1.0, 2.0], [0.0, f64::INFINITY]] {
        let mut e = input("progress");
        e.played = vec![bad];
        assert_eq!(normalize(e, item("video"), 1, clock).unwrap_err().code, "invalid", "{bad:?}");
    }
}

#[test]
fn kinds_are_checked_against_the_item() {
    let clock = Clock::new(NOW, None);
    assert!(normalize(input("result"), item("video"), 1, clock).is_err());
    assert!(normalize(input("quiz"), item("quiz"), 1, clock).is_err(), "quiz attempts come from the server");
    assert!(normalize(input("dance"), item("video"), 1, clock).is_err());
    assert!(normalize(input("result"), item("sco"), 1, clock).is_err(), "SCORM results come from the server's CMI runtime");
    assert!(normalize(input("result"), item("cmi5_au"), 1, clock).is_err(), "cmi5 results come from the server's xAPI endpoint");
}

#[test]
fn ids_positions_and_age_are_checked() {
    assert!(check_id("a1-B_2.c:3").is_ok());
    for bad in ["", "has space", "é", &"x".repeat(65)] {
        assert!(check_id(bad).is_err(), "{bad:?}");
    }
    let clock = Clock::new(NOW, None);
    let mut e = input("progress");
    e.position = Some(Position::Scroll(1.5));
    assert!(normalize(e, item("html"), 1, clock).is_err());
    let mut e = input("progress");
    e.position = Some(Position::Seconds(12.34567));
    assert_eq!(normalize(e, item("video"), 1, clock).unwrap().payload.position, Some(Position::Seconds(12.346)));
    let mut e = input("open");
    e.at = NOW - 91 * 24 * 3600 * 1000;
    assert_eq!(normalize(e, item("video"), 1, clock).unwrap_err().code, "stale");
}

#[test]
fn payloads_store_only_what_they_carry() {
    let ev = normalize(input("open"), item("video"), 1, Clock::new(NOW, None)).unwrap();
    assert_eq!(serde_json::to_string(&ev.payload).unwrap(), "{}");
    let p = Payload { position: Some(Position::Page(3)), ..Payload::default() };
    let text = serde_json::to_string(&p).unwrap();
    assert_eq!(text, r#"{"position":{"page":3}}"#);
    assert_eq!(serde_json::from_str::<Payload>(&text).unwrap(), p);
}
