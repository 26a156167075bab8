//! Deriving progress rows again from the event log: `courseware progress rebuild`, and a
//! course's rows after a new version changed its lessons or completion rules.

use std::collections::BTreeSet;

use serde::Serialize;

use super::apply::apply;
use super::event::{Event, EventKind, Payload};
use super::meta::Lookups;
use super::TrackError;
use crate::db::progress::{self, EventRow};
use crate::db::{progress_pending, stats_write};
use super::totals::Recorder;
use crate::domain::calendar::Zone;
use crate::db::Db;

#[derive(Debug, Clone, Serialize)]
pub struct RebuildReport {
    pub learners: usize,
    pub events: usize,
    /// Events of courses that no longer exist: kept in the log, not derived.
    pub skipped: usize,
}

/// Replaces every item and course row, and every usage total (but media bytes), with what the
/// event log says, in one transaction: readers see the old rows until the new ones are
/// complete. Heartbeats arriving meanwhile wait for it (and browsers retry those that time
/// out). Each learner's events are replayed in log order, as live ingest applied them.
#[tracing::instrument(skip_all)]
pub async fn rebuild(db: &Db, lookups: &Lookups, zone: Zone) -> Result<RebuildReport, TrackError> {
    let mut report = RebuildReport { learners: 0, events: 0, skipped: 0 };
    let recorder = Recorder::new(zone);
    let mut tx = db.pool.begin().await.map_err(crate::db::DbError::from)?;
    progress::clear_derived(&mut tx).await?;
    stats_write::clear(&mut tx).await?;
    for user in progress::users_with_events(&mut tx).await? {
        let mut events = Vec::new();
        let rows = progress::events_of_user(&mut tx, user).await?;
        // The learner's events are all folded below, pending ones too: taken off the list, so
        // that a writer still holding them does not fold them again. Events logged after
        // this read stay on the list for the writer.
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        progress_pending::claim(&mut tx, &ids).await?;
        for row in rows {
            match event_of_row(db, lookups, row).await? {
                Some(ev) => events.push(ev),
                None => report.skipped += 1,
            }
        }
        let courses: Vec<i64> = events.iter().map(|e| e.item.course_id).collect::<BTreeSet<_>>().into_iter().collect();
        let outlines = lookups.latest_outlines(db, &courses).await?;
        // Courses that are gone get no rows (and no lock, which would create an empty one).
        let pairs = courses.iter().filter(|c| outlines.contains_key(c)).map(|&c| (user, c)).collect();
        let refs: Vec<&Event> = events.iter().collect();
        progress::lock_courses(&mut tx, &pairs).await?;
        let completions = apply(&mut tx, &pairs, &refs, &outlines).await?;
        // Events of deleted courses are skipped above: no page shows a deleted course.
        recorder.record(&mut tx, &refs, &completions).await?;
        report.learners += 1;
        report.events += events.len();
    }
    tx.commit().await.map_err(crate::db::DbError::from)?;
    Ok(report)
}

/// Re-derives every learner's rows of one course under its current version.
#[tracing::instrument(skip(db, lookups))]
pub async fn refresh_course(db: &Db, lookups: &Lookups, course_id: i64) -> Result<(), TrackError> {
    let outlines = lookups.latest_outlines(db, &[course_id]).await?;
    if !outlines.contains_key(&course_id) {
        return Ok(());
    }
    let mut tx = db.pool.begin().await.map_err(crate::db::DbError::from)?;
    let pairs = progress::learners_of_course(&mut tx, course_id).await?.into_iter().map(|u| (u, course_id)).collect();
    progress::lock_courses(&mut tx, &pairs).await?;
    apply(&mut tx, &pairs, &[], &outlines).await?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    Ok(())
}

/// The event as live ingest saw it; `None` when its item's course is gone.
pub(super) async fn event_of_row(db: &Db, lookups: &Lookups, row: EventRow) -> Result<Option<Event>, TrackError> {
    let Some(item) = lookups.item(db, row.item_id).await? else { return Ok(None) };
    let kind = EventKind::parse(&row.kind).ok_or_else(|| TrackError::Invalid(format!("event {} has unknown kind {}", row.id, row.kind)))?;
    let payload: Payload = serde_json::from_str(&row.payload)
        .map_err(|e| TrackError::Invalid(format!("event {} has an unreadable payload: {e}", row.id)))?;
    Ok(Some(Event {
        client_id: row.client_event_id,
        user_id: row.user_id,
        item,
        kind,
        client_ts: row.client_ts,
        at: row.at,
        received_at: row.received_at,
        payload,
    }))
}
