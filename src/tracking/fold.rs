//! Folding logged progress events into the progress rows and the usage totals, for the
//! progress writer ([`super::writer`]): with a batch being appended, on Postgres aside from
//! it, and at startup for what a stopped server left pending.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, Connection};
use tokio::time::Instant;

use super::apply::apply;
use super::event::Event;
use super::meta::Lookups;
use super::batch::new_event;
use super::TrackError;
use crate::db::progress::{self, NewEvent};
use crate::db::{progress_pending, Db, DbResult};
use super::totals::Recorder;

/// Logged events waiting to be folded, in log order, with their log ids.
#[derive(Default)]
pub struct Later {
    pub events: Vec<(i64, Event)>,
    pub since: Option<Instant>,
}

impl Later {
    pub fn deadline(&self, after: Duration) -> Option<Instant> {
        self.since.map(|t| t + after)
    }
}

/// One transaction: append the events, and fold them with those pending into the progress
/// rows and the statistics; returns the log ids of the events stored.
pub async fn fold_on(
    db: &Db,
    conn: &mut PoolConnection<Any>,
    lookups: &Lookups,
    recorder: &Recorder,
    unique: &[&Event],
    later: &Later,
) -> DbResult<HashMap<(i64, String), i64>> {
    let folding = later.events.as_slice();
    let course_ids: Vec<i64> =
        unique.iter().map(|e| e.item.course_id).chain(folding.iter().map(|(_, e)| e.item.course_id)).collect::<BTreeSet<_>>().into_iter().collect();
    let outlines = lookups.latest_outlines(db, &course_ids).await?;
    let rows: Vec<NewEvent> = unique.iter().map(|e| new_event(e)).collect();
    let mut tx = conn.begin().await?;
    // Servers sharing a Postgres database take each learner's course before they number
    // (and fold) its events: a learner's events of a course are then folded in log order,
    // the order a rebuild replays them in, and completions land on the same days either way.
    let pairs: BTreeSet<(i64, i64)> = unique
        .iter()
        .copied()
        .chain(folding.iter().map(|(_, e)| e))
        .map(|e| (e.user_id, e.item.course_id))
        .filter(|(_, c)| outlines.contains_key(c))
        .collect();
    progress::lock_courses(&mut tx, &pairs).await?;
    let ids: HashMap<(i64, String), i64> =
        progress::insert_events(&mut tx, &rows).await?.into_iter().map(|(id, user, client)| ((user, client), id)).collect();
    let fresh = unique.iter().filter_map(|e| ids.get(&(e.user_id, e.client_id.clone())).map(|&id| (id, *e)));
    let ready: Vec<i64> = folding.iter().map(|(id, _)| *id).collect();
    let claimed = progress_pending::claim(&mut tx, &ready).await?;
    let mut events: Vec<(i64, &Event)> =
        folding.iter().filter(|(id, _)| claimed.contains(id)).map(|(id, e)| (*id, e)).chain(fresh).collect();
    events.sort_by_key(|(id, _)| *id);
    let events: Vec<&Event> = events.into_iter().map(|(_, e)| e).collect();
    let pairs: BTreeSet<(i64, i64)> = events.iter().map(|e| (e.user_id, e.item.course_id)).collect();
    let completions = apply(&mut tx, &pairs, &events, &outlines).await?;
    let counted = recorder.record(&mut tx, &events, &completions).await?;
    tx.commit().await?;
    recorder.committed(counted);
    Ok(ids)
}

/// The events a previous run left pending, in log order. Those whose course is gone are
/// taken off the list (their rows are gone too).
pub async fn recover(db: &Db, lookups: &Lookups) -> Result<Vec<(i64, Event)>, TrackError> {
    let mut conn = db.pool.acquire().await.map_err(crate::db::DbError::from)?;
    let rows = progress_pending::events(&mut conn).await?;
    let mut found = Vec::with_capacity(rows.len());
    let mut gone = Vec::new();
    for row in rows {
        let id = row.id;
        match super::rebuild::event_of_row(db, lookups, row).await? {
            Some(ev) => found.push((id, ev)),
            None => gone.push(id),
        }
    }
    if !gone.is_empty() {
        progress_pending::claim(&mut conn, &gone).await?;
    }
    Ok(found)
}
