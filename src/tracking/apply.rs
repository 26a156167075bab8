//! Applies stored events to the derived rows inside the caller's transaction: one code path
//! for live ingest, for a rebuild from the event log, and for re-deriving a course's rows
//! after a new version changed its lessons or rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::AnyConnection;

use super::event::Event;
use super::rules::{course_row, ItemSummary, Outline};
use super::state::ItemState;
use crate::db::progress::{self, CourseProgressRow, ItemProgressRow};
use crate::db::DbResult;

/// Brings the rows of the (learner, course) `pairs` up to date with `events` (already in the
/// log, in log order) under each course's current `outlines`. Courses that are gone get no
/// rows; their events stay in the log.
pub async fn apply(
    conn: &mut AnyConnection,
    pairs: &BTreeSet<(i64, i64)>,
    events: &[&Event],
    outlines: &HashMap<i64, Arc<Outline>>,
) -> DbResult<()> {
    let pairs: BTreeSet<(i64, i64)> = pairs.iter().filter(|(_, course)| outlines.contains_key(course)).copied().collect();
    if pairs.is_empty() {
        return Ok(());
    }
    progress::lock_courses(conn, &pairs).await?;
    let mut states: BTreeMap<(i64, i64, String), (ItemState, Option<ItemProgressRow>)> = progress::item_rows(conn, &pairs)
        .await?
        .into_iter()
        .map(|row| ((row.user_id, row.course_id, row.item_key.clone()), (ItemState::from_row(&row), Some(row))))
        .collect();
    for ev in events.iter().filter(|e| pairs.contains(&(e.user_id, e.item.course_id))) {
        let key = (ev.user_id, ev.item.course_id, ev.item.key.clone());
        states.entry(key).or_insert_with(|| (ItemState::new(&ev.item), None)).0.apply(ev);
    }
    let mut changed = Vec::new();
    let mut summaries: BTreeMap<(i64, i64), Vec<ItemSummary>> = BTreeMap::new();
    for ((user, course, key), (state, before)) in &states {
        let derived = state.derive(&outlines[course].rules(key));
        let row = state.to_row(*user, *course, key, &derived);
        if before.as_ref() != Some(&row) {
            changed.push(row);
        }
        summaries.entry((*user, *course)).or_default().push(state.summary(key, &derived));
    }
    let courses: Vec<CourseProgressRow> = pairs
        .iter()
        .map(|&(user, course)| course_row(&outlines[&course], user, summaries.get(&(user, course)).map_or(&[], Vec::as_slice)))
        .collect();
    progress::upsert_items(conn, &changed).await?;
    progress::upsert_courses(conn, &courses).await?;
    Ok(())
}
