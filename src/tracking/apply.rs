//! Applies stored events to the derived rows inside the caller's transaction: one code path
//! for live ingest, for a rebuild from the event log, and for re-deriving a course's rows
//! after a new version changed its lessons or rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::AnyConnection;

use super::event::Event;
use super::rules::{course_row, ItemSummary, Outline, Status};
use super::state::ItemState;
use crate::db::progress::{self, CourseProgressRow, ItemProgressRow};
use crate::db::DbResult;

/// An item or a course that became complete (completed or passed) with an event: the
/// statistics count it on that event's day.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub user_id: i64,
    pub course_id: i64,
    pub at: i64,
    /// `false`: an item; `true`: the whole course.
    pub course: bool,
}

/// An item's status and best score: all a course's status depends on.
type Mark = (Status, Option<f64>);
type Key = (i64, i64, String);

/// Brings the rows of the (learner, course) `pairs` up to date with `events` (already in the
/// log, in log order) under each course's current `outlines`. The caller has taken the
/// pairs' course rows with `progress::lock_courses` (the writer does so before it numbers
/// the events, so the lock is not taken twice). Courses that are gone get no
/// rows; their events stay in the log. Returns what each event completed: events are
/// replayed one by one in log order, so live ingest and a rebuild find the same completions
/// on the same days.
pub async fn apply(
    conn: &mut AnyConnection,
    pairs: &BTreeSet<(i64, i64)>,
    events: &[&Event],
    outlines: &HashMap<i64, Arc<Outline>>,
) -> DbResult<Vec<Completion>> {
    let pairs: BTreeSet<(i64, i64)> = pairs.iter().filter(|(_, course)| outlines.contains_key(course)).copied().collect();
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let mut states: BTreeMap<(i64, i64, String), (ItemState, Option<ItemProgressRow>)> = progress::item_rows(conn, &pairs)
        .await?
        .into_iter()
        .map(|row| ((row.user_id, row.course_id, row.item_key.clone()), (ItemState::from_row(&row), Some(row))))
        .collect();
    let mut marks: HashMap<Key, Option<Mark>> = HashMap::new();
    let mut course_done: HashMap<(i64, i64), bool> = HashMap::new();
    let mut completions = Vec::new();
    for ev in events.iter().filter(|e| pairs.contains(&(e.user_id, e.item.course_id))) {
        let key = (ev.user_id, ev.item.course_id, ev.item.key.clone());
        let outline = &outlines[&ev.item.course_id];
        let before = *marks.entry(key.clone()).or_insert_with(|| states.get(&key).map(|(s, _)| mark(s, outline, &key.2)));
        let state = &mut states.entry(key.clone()).or_insert_with(|| (ItemState::new(&ev.item), None)).0;
        state.apply(ev);
        let after = Some(mark(state, outline, &key.2));
        if after == before {
            continue;
        }
        let pair = (ev.user_id, ev.item.course_id);
        let was_done = match course_done.get(&pair) {
            Some(&done) => done,
            None => course_is_done(&states, &mut marks, outline, pair),
        };
        marks.insert(key, after);
        if !before.is_some_and(|(s, _)| s.is_done()) && after.is_some_and(|(s, _)| s.is_done()) {
            completions.push(Completion { user_id: pair.0, course_id: pair.1, at: ev.at, course: false });
        }
        let done = course_is_done(&states, &mut marks, outline, pair);
        if done && !was_done {
            completions.push(Completion { user_id: pair.0, course_id: pair.1, at: ev.at, course: true });
        }
        course_done.insert(pair, done);
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
    Ok(completions)
}

fn mark(state: &ItemState, outline: &Outline, key: &str) -> Mark {
    (state.derive(&outline.rules(key)).status, state.best_score)
}

/// Whether the course counts as done by the items' current marks (derived on first need).
fn course_is_done(
    states: &BTreeMap<Key, (ItemState, Option<ItemProgressRow>)>,
    marks: &mut HashMap<Key, Option<Mark>>,
    outline: &Outline,
    (user, course): (i64, i64),
) -> bool {
    let from = (user, course, String::new());
    let to = (user, course + 1, String::new());
    let items: Vec<ItemSummary> = states
        .range(from..to)
        .filter_map(|(key, (state, _))| {
            let (status, score) = (*marks.entry(key.clone()).or_insert_with(|| Some(mark(state, outline, &key.2))))?;
            Some(ItemSummary { key: key.2.clone(), status, score, time_spent_ms: 0, first_access: 0, last_access: 0 })
        })
        .collect();
    Status::parse(&course_row(outline, user, &items).status).is_done()
}
