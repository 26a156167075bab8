//! Tests of folding events into an item's progress.

use std::sync::Arc;

use super::*;
use crate::tracking::event::{Event, EventKind, Payload, Position, Reported};
use crate::tracking::meta::ItemMeta;
use crate::tracking::quiz::QuizOutcome;
use crate::tracking::rules::{ItemRules, Status};

const T0: i64 = 1_700_000_000_000;

fn meta(kind: &str) -> Arc<ItemMeta> {
    Arc::new(ItemMeta { item_id: 7, course_id: 3, version_id: 2, key: "k".into(), kind: kind.into(), quiz: None })
}

fn event(item: &Arc<ItemMeta>, id: &str, kind: EventKind, at: i64, payload: Payload) -> Event {
    Event { client_id: id.into(), user_id: 1, item: item.clone(), kind, client_ts: at, at, received_at: at, payload }
}

fn heartbeat(item: &Arc<ItemMeta>, id: &str, secs: [f64; 2], at: i64) -> Event {
    let wall = ((secs[1] - secs[0]) * 1000.0) as i64;
    let payload = Payload {
        played: vec![secs],
        active: vec![[at - wall, at]],
        position: Some(Position::Seconds(secs[1])),
        duration: Some(28.0),
        ..Payload::default()
    };
    event(item, id, EventKind::Progress, at, payload)
}

fn fold(events: &[&Event]) -> ItemState {
    let mut state = ItemState::new(&events[0].item);
    for e in events {
        state.apply(e);
    }
    state
}

fn video_rules() -> ItemRules {
    ItemRules { duration_s: Some(28.0), ..ItemRules::default() }
}

#[test]
fn seeking_to_the_end_does_not_complete_a_video() {
    let v = meta("video");
    let a = heartbeat(&v, "a", [0.0, 2.0], T0 + 2_000);
    let b = heartbeat(&v, "b", [27.0, 28.0], T0 + 3_000);
    let d = fold(&[&a, &b]).derive(&video_rules());
    assert_eq!(d.status, Status::InProgress);
    assert_eq!(d.watched_share, Some(0.1071));
}

#[test]
fn watching_nine_tenths_completes_a_video() {
    let v = meta("video");
    let events: Vec<Event> = (0..3).map(|i| heartbeat(&v, &format!("h{i}"), [i as f64 * 9.0, i as f64 * 9.0 + 9.0], T0 + (i + 1) * 9_000)).collect();
    let refs: Vec<&Event> = events.iter().collect();
    let state = fold(&refs);
    let d = state.derive(&video_rules());
    assert_eq!((d.status, d.watched_share), (Status::Completed, Some(0.9643)));
    assert_eq!(d.time_spent_ms, 27_000);
    assert_eq!(state.position, Some(Position::Seconds(27.0)));
    let stricter = ItemRules { watched_share: Some(0.99), ..video_rules() };
    assert_eq!(state.derive(&stricter).status, Status::InProgress);
}

#[test]
fn arrival_order_does_not_change_the_row() {
    let v = meta("video");
    let events = [
        event(&v, "o", EventKind::Open, T0, Payload::default()),
        heartbeat(&v, "a", [0.0, 10.0], T0 + 10_000),
        heartbeat(&v, "b", [5.0, 12.0], T0 + 17_000),
        heartbeat(&v, "c", [20.0, 25.0], T0 + 22_000),
        heartbeat(&v, "d", [0.0, 3.0], T0 + 25_000),
    ];
    let rules = video_rules();
    let row = |order: &[usize]| {
        let refs: Vec<&Event> = order.iter().map(|&i| &events[i]).collect();
        let state = fold(&refs);
        state.to_row(1, 3, "k", &state.derive(&rules))
    };
    let expected = row(&[0, 1, 2, 3, 4]);
    assert_eq!(expected.played, "[[0.0,12.0],[20.0,25.0]]");
    assert_eq!(expected.position.as_deref(), Some(r#"{"seconds":3.0}"#), "the latest event's position");
    assert_eq!((expected.first_access, expected.last_access, expected.attempts), (T0, T0 + 25_000, 1));
    for order in [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 3, 0, 2, 4]] {
        assert_eq!(row(&order), expected, "{order:?}");
    }
}

#[test]
fn stored_rows_continue_like_an_unbroken_fold() {
    let v = meta("video");
    let events: Vec<Event> = (0..6).map(|i| heartbeat(&v, &format!("h{i}"), [i as f64 * 4.0, i as f64 * 4.0 + 5.0], T0 + i * 4_000)).collect();
    let rules = video_rules();
    let whole = fold(&events.iter().collect::<Vec<_>>());
    let first = fold(&events[..3].iter().collect::<Vec<_>>());
    let stored = first.to_row(1, 3, "k", &first.derive(&rules));
    let mut resumed = ItemState::from_row(&stored);
    for e in &events[3..] {
        resumed.apply(e);
    }
    assert_eq!(resumed, whole);
}

#[test]
fn time_in_two_tabs_at_once_counts_once() {
    let v = meta("pdf");
    let span = |id: &str, from: i64, to: i64| {
        event(&v, id, EventKind::Progress, to, Payload { active: vec![[from, to]], ..Payload::default() })
    };
    let a = span("a", T0, T0 + 30_000);
    let b = span("b", T0 + 10_000, T0 + 40_000);
    let c = span("c", T0 + 41_000, T0 + 45_000);
    let d = fold(&[&a, &b, &c]).derive(&ItemRules::default());
    assert_eq!(d.time_spent_ms, 45_000, "overlap counted once, a 1 s gap closed");
    assert_eq!(d.status, Status::Completed);
    let short = fold(&[&span("s", T0, T0 + 4_000)]).derive(&ItemRules::default());
    assert_eq!(short.status, Status::InProgress, "under the 10 s default");
}

#[test]
fn quizzes_keep_the_best_score_and_count_attempts() {
    let q = meta("quiz");
    let attempt = |id: &str, score: f64, passed: bool, at: i64| {
        let outcome = QuizOutcome { score, passed, right: Vec::new(), answers: Default::default(), pending: Vec::new(), unscored: false };
        event(&q, id, EventKind::Quiz, at, Payload { quiz: Some(outcome), ..Payload::default() })
    };
    let open = event(&q, "o", EventKind::Open, T0, Payload::default());
    let opened = fold(&[&open]);
    assert_eq!((opened.attempts, opened.derive(&ItemRules::default()).status), (0, Status::InProgress));
    let (a, b, c) = (attempt("a", 50.0, false, T0 + 1), attempt("b", 80.0, true, T0 + 2), attempt("c", 60.0, true, T0 + 3));
    let state = fold(&[&open, &a, &b, &c]);
    assert_eq!((state.attempts, state.best_score, state.reported), (3, Some(80.0), Some(Reported::Passed)));
    assert_eq!(state.derive(&ItemRules::default()).status, Status::Passed);
    assert_eq!(fold(&[&a]).derive(&ItemRules::default()).status, Status::Failed);
}
