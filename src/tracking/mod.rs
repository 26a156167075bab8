//! Learner progress: heartbeat events in, item and course progress out.
//!
//! The browser reports what was played and for how long ([`event`]); the server keeps every
//! event in an append-only log and folds it into one row per learner and item ([`state`])
//! and per course ([`rules`]), in batches written by a group-commit [`writer`]. The rows can
//! always be derived again from the log ([`rebuild`]).

pub mod apply;
pub mod batch;
pub mod durable;
pub mod event;
pub mod fold;
pub mod intervals;
pub mod media_bytes;
pub mod meta;
pub mod quiz;
pub mod rebuild;
pub mod report;
pub mod rules;
pub mod state;
pub mod totals;
pub mod writer;

use std::sync::Arc;

use serde::Serialize;

use crate::auth::session::SessionUser;
use crate::db::{now_ms, progress_read, Db, DbError};
use crate::error::AppError;
use event::{check_id, normalize, Batch, Clock, Event, EventKind, Payload, Rejection, MAX_EVENTS_PER_BATCH};
use meta::{ItemMeta, Lookups};
use writer::Writer;

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// Allowed in general, not now (a quiz's attempts are used up).
    #[error("{0}")]
    Refused(String),
    #[error("storing progress failed; try again")]
    Unavailable,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The answer to a batch: every event is in exactly one list.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Stored now.
    pub accepted: Vec<String>,
    /// Stored before (a retried batch); nothing was counted again.
    pub duplicates: Vec<String>,
    /// Never stored; sending them again will not help.
    pub rejected: Vec<Rejection>,
}

/// The progress service shared by all requests.
pub struct Tracker {
    pub(crate) db: Db,
    pub lookups: Arc<Lookups>,
    /// Usage statistics kept by the writer, and media bytes counted by the content route.
    pub stats: Arc<totals::Recorder>,
    pub media: Arc<media_bytes::MediaTally>,
    pub(crate) writer: Writer,
    allow_guests: bool,
}

impl Tracker {
    /// Starts the writer tasks; call from inside the Tokio runtime.
    pub fn start(db: Db, allow_guests: bool, zone: crate::domain::calendar::Zone) -> Tracker {
        let lookups = Arc::new(Lookups::default());
        let stats = Arc::new(totals::Recorder::new(zone));
        let media = media_bytes::MediaTally::start(db.clone(), zone);
        let writer = Writer::start(db.clone(), lookups.clone(), stats.clone());
        Tracker { db, lookups, stats, media, writer, allow_guests }
    }

    /// Checks a learner's batch event by event and stores what passes; returns once stored.
    #[tracing::instrument(skip_all, fields(user_id = user.id, events = batch.events.len()))]
    pub async fn ingest(&self, user: &SessionUser, batch: Batch) -> Result<Outcome, TrackError> {
        if batch.events.len() > MAX_EVENTS_PER_BATCH {
            return Err(TrackError::Invalid(format!("at most {MAX_EVENTS_PER_BATCH} events per batch")));
        }
        let clock = Clock::new(now_ms(), batch.sent_at);
        let mut events = Vec::with_capacity(batch.events.len());
        let mut rejected = Vec::new();
        for input in batch.events {
            if let Err(r) = check_id(&input.id) {
                rejected.push(r);
                continue;
            }
            let Some(item) = self.visible_item(user, input.item_id).await? else {
                rejected.push(Rejection::new(&input.id, "not_found", "no such lesson, or not one you may study"));
                continue;
            };
            match normalize(input, item, user.id, clock) {
                Ok(ev) => events.push(ev),
                Err(r) => rejected.push(r),
            }
        }
        let ids: Vec<String> = events.iter().map(|e| e.client_id.clone()).collect();
        let stored = if events.is_empty() { Vec::new() } else { self.writer.write(events).await? };
        let (accepted, duplicates) = ids.into_iter().zip(stored).partition::<Vec<_>, _>(|(_, new)| *new);
        Ok(Outcome {
            accepted: accepted.into_iter().map(|(id, _)| id).collect(),
            duplicates: duplicates.into_iter().map(|(id, _)| id).collect(),
            rejected,
        })
    }

    /// Scores a quiz attempt and stores it. `attempt_id` comes with the form, so a form sent
    /// twice is one attempt.
    #[tracing::instrument(skip(self, user, fields), fields(user_id = user.id))]
    pub async fn submit_quiz(&self, user: &SessionUser, item_id: i64, attempt_id: &str, fields: &[(String, String)]) -> Result<(), TrackError> {
        check_id(attempt_id).map_err(|r| TrackError::Invalid(r.message))?;
        let item = self.visible_item(user, item_id).await?.ok_or(TrackError::NotFound("lesson"))?;
        let quiz = item.quiz.clone().ok_or(TrackError::NotFound("quiz"))?;
        if let Some(max) = quiz.max_attempts {
            self.settle().await?;
            let rows = progress_read::item_rows_of(&self.db, user.id, item.course_id).await?;
            let used = rows.iter().find(|r| r.item_key == item.key).map_or(0, |r| r.attempts);
            if used >= i64::from(max) && progress_read::quiz_attempt(&self.db, user.id, attempt_id).await?.is_none() {
                return Err(TrackError::Refused(format!("all {max} attempts are used")));
            }
        }
        let now = now_ms();
        let outcome = quiz::score(&quiz, fields);
        let payload = Payload { quiz: Some(outcome), ..Payload::default() };
        let event = Event { client_id: attempt_id.into(), user_id: user.id, item, kind: EventKind::Quiz, client_ts: now, at: now, received_at: now, payload };
        self.writer.write_now(vec![event]).await?;
        Ok(())
    }

    /// Returns once every acknowledged event is folded into the progress rows and usage
    /// totals; pages and APIs that show them call it first.
    pub async fn settle(&self) -> Result<(), TrackError> {
        self.writer.settle().await
    }

    /// The item if it exists and `user` may study its course.
    pub(crate) async fn visible_item(&self, user: &SessionUser, item_id: i64) -> Result<Option<Arc<ItemMeta>>, TrackError> {
        let Some(item) = self.lookups.item(&self.db, item_id).await? else { return Ok(None) };
        let visible = self.lookups.can_view(&self.db, user, item.course_id, self.allow_guests).await?;
        Ok(visible.then_some(item))
    }
}

/// How the web edge answers a tracking failure.
impl From<TrackError> for AppError {
    fn from(err: crate::tracking::TrackError) -> Self {
        match err {
            TrackError::NotFound(what) => AppError::NotFound(what),
            TrackError::Invalid(msg) => AppError::BadRequest(msg),
            TrackError::Refused(msg) => AppError::Conflict(msg),
            TrackError::Db(e) => e.into(),
            e @ TrackError::Unavailable => AppError::Internal(e.into()),
        }
    }
}
