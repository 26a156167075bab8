//! Which events of a batch of requests are new, and whether each request's events were
//! stored: what the writer's appends and the folds both need of a batch.

use std::collections::{HashMap, HashSet};

use super::event::Event;
use crate::db::progress::NewEvent;

/// Per event of one request: whether this transaction stored it.
pub type Stored = Vec<bool>;

/// Each event of the jobs once, ordered by learner and client id: within a batch the first
/// copy of an event is the one written; later copies (a retry racing its original) are
/// duplicates whatever the database says.
pub fn unique_events<'a>(jobs: impl Iterator<Item = &'a [Event]>) -> Vec<&'a Event> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&Event> = Vec::new();
    for ev in jobs.flatten() {
        if seen.insert((ev.user_id, ev.client_id.as_str())) {
            unique.push(ev);
        }
    }
    unique.sort_by(|a, b| (a.user_id, &a.client_id).cmp(&(b.user_id, &b.client_id)));
    unique
}

/// Per job, per event: whether this transaction stored it (its first copy, if repeated).
pub fn stored_per_job<'a>(jobs: impl Iterator<Item = &'a [Event]>, ids: &HashMap<(i64, String), i64>) -> Vec<Stored> {
    let mut claimed = HashSet::new();
    jobs.map(|events| {
        events
            .iter()
            .map(|e| ids.contains_key(&(e.user_id, e.client_id.clone())) && claimed.insert((e.user_id, e.client_id.as_str())))
            .collect()
    })
    .collect()
}

pub fn new_event(e: &Event) -> NewEvent {
    NewEvent {
        user_id: e.user_id,
        client_event_id: e.client_id.clone(),
        course_id: e.item.course_id,
        item_id: e.item.item_id,
        item_key: e.item.key.clone(),
        kind: e.kind.as_str(),
        payload: serde_json::to_string(&e.payload).unwrap_or_else(|_| "{}".into()),
        client_ts: e.client_ts,
        at: e.at,
        received_at: e.received_at,
    }
}
