//! One learner's progress on one item, accumulated from events, and what it amounts to.
//!
//! Accumulation is order-independent (unions, minimums, maximums, counts), so applying new
//! events to a stored row gives the same row as replaying every event from scratch: live
//! ingest and `courseware progress rebuild` agree, whatever order events arrived in.

use super::event::{Event, EventKind, Position, Reported};
use super::intervals::{covered, length, union};
use super::meta::ItemMeta;
use super::rules::{ItemRules, ItemSummary, Status, DEFAULT_MIN_SECONDS, DEFAULT_WATCHED_SHARE};
use crate::db::progress::ItemProgressRow;

/// Gaps this small between played intervals are rounding, not skipped media.
const PLAYED_TOLERANCE_S: f64 = 0.05;
/// Consecutive heartbeats' spans meet up to the jitter of clock-offset estimates.
const ACTIVE_TOLERANCE_MS: i64 = 2000;

#[derive(Debug, Clone, PartialEq)]
pub struct ItemState {
    /// The newest version's item the learner used, and its kind.
    pub item_id: i64,
    pub kind: String,
    pub played: Vec<[f64; 2]>,
    pub active: Vec<[i64; 2]>,
    pub media_duration: Option<f64>,
    pub position: Option<Position>,
    pub position_at: i64,
    pub reported: Option<Reported>,
    pub best_score: Option<f64>,
    /// Quiz submissions for quizzes; times opened for everything else.
    pub attempts: i64,
    pub events: i64,
    pub first_access: i64,
    pub last_access: i64,
}

/// What the accumulated state amounts to under an item's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derived {
    pub status: Status,
    pub time_spent_ms: i64,
    pub watched_share: Option<f64>,
}

impl ItemState {
    pub fn new(item: &ItemMeta) -> ItemState {
        ItemState {
            item_id: item.item_id,
            kind: item.kind.clone(),
            played: Vec::new(),
            active: Vec::new(),
            media_duration: None,
            position: None,
            position_at: 0,
            reported: None,
            best_score: None,
            attempts: 0,
            events: 0,
            first_access: i64::MAX,
            last_access: i64::MIN,
        }
    }

    pub fn apply(&mut self, ev: &Event) {
        let p = &ev.payload;
        self.events += 1;
        if ev.item.item_id > self.item_id {
            self.item_id = ev.item.item_id;
            self.kind = ev.item.kind.clone();
        }
        self.first_access = self.first_access.min(ev.at);
        self.last_access = self.last_access.max(ev.at);
        if !p.played.is_empty() {
            self.played = union(&self.played, &p.played, PLAYED_TOLERANCE_S);
        }
        if !p.active.is_empty() {
            self.active = union(&self.active, &p.active, ACTIVE_TOLERANCE_MS);
        }
        if let Some(d) = p.duration {
            self.media_duration = Some(self.media_duration.map_or(d, |m| m.max(d)));
        }
        if let Some(position) = &p.position {
            // The latest position wins; equal times are settled by value, not arrival.
            let newer = ev.at > self.position_at
                || (ev.at == self.position_at && position_text(Some(position)) > position_text(self.position.as_ref()));
            if newer {
                self.position = Some(position.clone());
                self.position_at = ev.at;
            }
        }
        match ev.kind {
            EventKind::Open if ev.item.kind != "quiz" => self.attempts += 1,
            EventKind::Open | EventKind::Progress => {}
            EventKind::Quiz => {
                self.attempts += 1;
                if let Some(q) = &p.quiz {
                    self.report(Some(if q.passed { Reported::Passed } else { Reported::Failed }), q.scored());
                }
            }
            EventKind::Result => self.report(p.status, p.score),
        }
    }

    fn report(&mut self, status: Option<Reported>, score: Option<f64>) {
        self.reported = self.reported.max(status);
        if let Some(s) = score {
            self.best_score = Some(self.best_score.map_or(s, |b| b.max(s)));
        }
    }

    pub fn derive(&self, rules: &ItemRules) -> Derived {
        let time_spent_ms = length(&self.active);
        let watched_share = match self.kind.as_str() {
            "video" | "audio" => rules
                .duration_s
                .or(self.media_duration)
                .filter(|&d| d > 0.0)
                .map(|d| ((covered(&self.played, 0.0, d) / d).min(1.0) * 10_000.0).round() / 10_000.0),
            _ => None,
        };
        let status = match (self.kind.as_str(), self.reported) {
            ("quiz" | "sco" | "cmi5_au", Some(Reported::Passed)) => Status::Passed,
            ("quiz" | "sco" | "cmi5_au", Some(Reported::Failed)) => Status::Failed,
            ("sco" | "cmi5_au", Some(Reported::Completed)) => Status::Completed,
            ("quiz" | "sco" | "cmi5_au", _) => Status::InProgress,
            // A SCORM asset cannot talk to the LMS: launching it completes it (SCORM 2004
            // SN 4.2.1.1 / 1.2 CAM 2.3.2.1.2 leave this to the LMS; the common choice).
            ("asset", _) if self.attempts > 0 => Status::Completed,
            ("video" | "audio", _) => {
                let needed = rules.watched_share.unwrap_or(DEFAULT_WATCHED_SHARE);
                if watched_share.unwrap_or(0.0) >= needed { Status::Completed } else { Status::InProgress }
            }
            _ => {
                let needed_ms = i64::from(rules.min_seconds.unwrap_or(DEFAULT_MIN_SECONDS)) * 1000;
                if time_spent_ms >= needed_ms { Status::Completed } else { Status::InProgress }
            }
        };
        Derived { status, time_spent_ms, watched_share }
    }

    pub fn summary(&self, key: &str, derived: &Derived) -> ItemSummary {
        ItemSummary {
            key: key.to_string(),
            status: derived.status,
            score: self.best_score,
            time_spent_ms: derived.time_spent_ms,
            first_access: self.first_access,
            last_access: self.last_access,
        }
    }

    pub fn from_row(row: &ItemProgressRow) -> ItemState {
        ItemState {
            item_id: row.item_id,
            kind: row.kind.clone(),
            played: serde_json::from_str(&row.played).unwrap_or_default(),
            active: serde_json::from_str(&row.active).unwrap_or_default(),
            media_duration: row.media_duration,
            position: row.position.as_deref().and_then(|p| serde_json::from_str(p).ok()),
            position_at: row.position_at,
            reported: row.reported_status.as_deref().and_then(Reported::parse),
            best_score: row.score,
            attempts: row.attempts,
            events: row.events,
            first_access: row.first_access,
            last_access: row.last_access,
        }
    }

    pub fn to_row(&self, user_id: i64, course_id: i64, key: &str, derived: &Derived) -> ItemProgressRow {
        ItemProgressRow {
            user_id,
            course_id,
            item_key: key.to_string(),
            item_id: self.item_id,
            kind: self.kind.clone(),
            status: derived.status.as_str().to_string(),
            score: self.best_score,
            time_spent_ms: derived.time_spent_ms,
            watched_share: derived.watched_share,
            position: self.position.as_ref().map(|p| position_text(Some(p))),
            position_at: self.position_at,
            played: serde_json::to_string(&self.played).unwrap_or_else(|_| "[]".into()),
            active: serde_json::to_string(&self.active).unwrap_or_else(|_| "[]".into()),
            media_duration: self.media_duration,
            reported_status: self.reported.map(|r| r.as_str().to_string()),
            attempts: self.attempts,
            events: self.events,
            first_access: self.first_access,
            last_access: self.last_access,
        }
    }
}

fn position_text(position: Option<&Position>) -> String {
    position.and_then(|p| serde_json::to_string(p).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
