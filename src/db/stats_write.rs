//! Usage statistics, writing side: additions to the totals inside the progress writer's
//! transaction (or a rebuild's), and media bytes flushed from memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::AnyConnection;

use super::multirow::{chunks, Marks};
use super::progress_pg::{arrays_json, insert_from_arrays};
use super::{Db, DbResult};
use crate::domain::usage::{Additions, Cell, Coarse, Measures, PresenceKey};

/// Stores a batch's additions. Keys and rows go in sorted order, so that concurrent
/// writers (Postgres) take row locks in the same order and cannot deadlock on them.
pub async fn store(conn: &mut AnyConnection, adds: &Additions) -> DbResult<()> {
    let mut cells = adds.cells.clone();
    let mut where_counted: HashMap<PresenceKey, Cell> = HashMap::with_capacity(adds.presence.len());
    for (key, cell) in &adds.presence {
        where_counted.entry(*key).or_insert(*cell);
    }
    let mut keys: Vec<PresenceKey> = where_counted.keys().copied().collect();
    keys.sort_unstable();
    let mut active: BTreeMap<(u8, i64, i64, i64, i64), i64> = BTreeMap::new();
    let fresh: Vec<(PresenceKey, Cell)> = new_presence(conn, &keys).await?.into_iter().map(|k| (k, where_counted[&k])).collect();
    for &(key, cell) in &fresh {
        if key.period == b'a' {
            cells.entry(cell).or_default().started += 1;
        } else {
            *active.entry((key.period, key.start, cell.school_id, cell.class_id, key.course_id)).or_default() += 1;
        }
    }
    let active: Vec<_> = active.into_iter().collect();
    let coarse = Coarse::of(&cells, &fresh, &adds.reach);
    let cells: Vec<(Cell, Measures)> = cells.into_iter().collect();
    if let Marks::Numbered = Marks::of(conn) {
        store_pg(conn, &active, &cells).await?;
        return super::stats_totals::store(conn, &coarse).await;
    }
    for chunk in chunks(&active) {
        let sql = format!(
            "INSERT INTO stats_active (period, start, school_id, class_id, course_id, learners) VALUES {} \
             ON CONFLICT (period, start, school_id, class_id, course_id) \
             DO UPDATE SET learners = stats_active.learners + excluded.learners",
            Marks::of(conn).rows(chunk.len(), 6, "")
        );
        let mut query = sqlx::query(&sql);
        for ((period, start, school, class, course), n) in chunk {
            query = query.bind(period_text(*period)).bind(*start).bind(*school).bind(*class).bind(*course).bind(*n);
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in chunks(&cells) {
        let sql = format!(
            "INSERT INTO stats_daily (day, school_id, class_id, course_id, events, sessions, study_ms, video_ms, started, \
               items_completed, courses_completed, score_centi_sum, score_count) VALUES {} \
             ON CONFLICT (day, school_id, class_id, course_id) DO UPDATE SET \
               events = stats_daily.events + excluded.events, sessions = stats_daily.sessions + excluded.sessions, \
               study_ms = stats_daily.study_ms + excluded.study_ms, video_ms = stats_daily.video_ms + excluded.video_ms, \
               started = stats_daily.started + excluded.started, \
               items_completed = stats_daily.items_completed + excluded.items_completed, \
               courses_completed = stats_daily.courses_completed + excluded.courses_completed, \
               score_centi_sum = stats_daily.score_centi_sum + excluded.score_centi_sum, \
               score_count = stats_daily.score_count + excluded.score_count",
            Marks::of(conn).rows(chunk.len(), 13, "")
        );
        let mut query = sqlx::query(&sql);
        for (c, m) in chunk {
            query = query.bind(c.day).bind(c.school_id).bind(c.class_id).bind(c.course_id);
            for v in [m.events, m.sessions, m.study_ms, m.video_ms, m.started, m.items_completed, m.courses_completed, m.score_centi_sum, m.score_count] {
                query = query.bind(v);
            }
        }
        query.execute(&mut *conn).await?;
    }
    super::stats_totals::store(conn, &coarse).await
}

const DAILY_COLUMNS: [(&str, &str); 13] = [
    ("day", "bigint"),
    ("school_id", "bigint"),
    ("class_id", "bigint"),
    ("course_id", "bigint"),
    ("events", "bigint"),
    ("sessions", "bigint"),
    ("study_ms", "bigint"),
    ("video_ms", "bigint"),
    ("started", "bigint"),
    ("items_completed", "bigint"),
    ("courses_completed", "bigint"),
    ("score_centi_sum", "bigint"),
    ("score_count", "bigint"),
];

/// [`store`]'s two upserts on Postgres: one statement each whatever the batch size, with
/// the rows as one JSON parameter (see `progress_pg`).
async fn store_pg(conn: &mut AnyConnection, active: &[((u8, i64, i64, i64, i64), i64)], cells: &[(Cell, Measures)]) -> DbResult<()> {
    if !active.is_empty() {
        let sql = insert_from_arrays(
            "stats_active",
            &[("period", "text"), ("start", "bigint"), ("school_id", "bigint"), ("class_id", "bigint"), ("course_id", "bigint"), ("learners", "bigint")],
            "ON CONFLICT (period, start, school_id, class_id, course_id) DO UPDATE SET learners = stats_active.learners + excluded.learners",
        );
        let rows: Vec<(&str, i64, i64, i64, i64, i64)> =
            active.iter().map(|&((period, start, school, class, course), n)| (period_text(period), start, school, class, course, n)).collect();
        sqlx::query(&sql).bind(arrays_json(&rows)?).execute(&mut *conn).await?;
    }
    if !cells.is_empty() {
        let updates: Vec<String> = DAILY_COLUMNS[4..].iter().map(|(c, _)| format!("{c} = stats_daily.{c} + excluded.{c}")).collect();
        let sql = insert_from_arrays(
            "stats_daily",
            &DAILY_COLUMNS,
            &format!("ON CONFLICT (day, school_id, class_id, course_id) DO UPDATE SET {}", updates.join(", ")),
        );
        let rows: Vec<[i64; 13]> = cells
            .iter()
            .map(|(c, m)| {
                [c.day, c.school_id, c.class_id, c.course_id, m.events, m.sessions, m.study_ms, m.video_ms, m.started, m.items_completed,
                 m.courses_completed, m.score_centi_sum, m.score_count]
            })
            .collect();
        sqlx::query(&sql).bind(arrays_json(&rows)?).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts the keys; returns those that were not stored yet.
async fn new_presence(conn: &mut AnyConnection, keys: &[PresenceKey]) -> DbResult<Vec<PresenceKey>> {
    if let (Marks::Numbered, false) = (Marks::of(conn), keys.is_empty()) {
        let sql = insert_from_arrays(
            "stats_presence",
            &[("period", "text"), ("start", "bigint"), ("user_id", "bigint"), ("course_id", "bigint")],
            "ON CONFLICT (period, start, user_id, course_id) DO NOTHING RETURNING period, start, user_id, course_id",
        );
        let rows: Vec<(&str, i64, i64, i64)> = keys.iter().map(|k| (period_text(k.period), k.start, k.user_id, k.course_id)).collect();
        let stored: HashSet<(String, i64, i64, i64)> =
            sqlx::query_as(&sql).bind(arrays_json(&rows)?).fetch_all(&mut *conn).await?.into_iter().collect();
        return Ok(keys.iter().filter(|k| stored.contains(&(period_text(k.period).to_string(), k.start, k.user_id, k.course_id))).copied().collect());
    }
    let mut fresh = Vec::new();
    for chunk in chunks(keys) {
        let sql = format!(
            "INSERT INTO stats_presence (period, start, user_id, course_id) VALUES {} \
             ON CONFLICT (period, start, user_id, course_id) DO NOTHING RETURNING period, start, user_id, course_id",
            Marks::of(conn).rows(chunk.len(), 4, "")
        );
        let mut query = sqlx::query_as::<_, (String, i64, i64, i64)>(&sql);
        for k in chunk {
            query = query.bind(period_text(k.period)).bind(k.start).bind(k.user_id).bind(k.course_id);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let stored: HashSet<(String, i64, i64, i64)> = rows.into_iter().collect();
        fresh.extend(chunk.iter().filter(|k| stored.contains(&(period_text(k.period).to_string(), k.start, k.user_id, k.course_id))));
    }
    Ok(fresh)
}

pub(super) fn period_text(period: u8) -> &'static str {
    match period {
        b'd' => "d",
        b'w' => "w",
        b'm' => "m",
        _ => "a",
    }
}

/// Each learner's school and first class (0 when none).
pub async fn placements(conn: &mut AnyConnection, user_ids: &[i64]) -> DbResult<HashMap<i64, (i64, i64)>> {
    let mut out = HashMap::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(500) {
        // Ids are integers from the event log: safe to write into the SQL text.
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT u.id, COALESCE(u.school_id, 0), \
               COALESCE((SELECT MIN(cm.class_id) FROM class_members cm WHERE cm.user_id = u.id), 0) \
             FROM users u WHERE u.id IN ({list})"
        );
        for (id, school, class) in sqlx::query_as::<_, (i64, i64, i64)>(&sql).fetch_all(&mut *conn).await? {
            out.insert(id, (school, class));
        }
    }
    Ok(out)
}

/// Empties the totals that are derived from the event log (not media bytes).
pub async fn clear(conn: &mut AnyConnection) -> DbResult<()> {
    for table in ["stats_daily", "stats_active", "stats_presence"] {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *conn).await?;
    }
    super::stats_totals::clear(conn).await
}

/// The course of each course version.
pub async fn version_courses(db: &Db, version_ids: &[i64]) -> DbResult<HashMap<i64, i64>> {
    let list = version_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    if list.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!("SELECT id, course_id FROM course_versions WHERE id IN ({list})");
    Ok(sqlx::query_as::<_, (i64, i64)>(&sql).fetch_all(&db.pool).await?.into_iter().collect())
}

/// Adds media bytes served: `(day, course_id, bytes)`, one row per key.
pub async fn add_media(db: &Db, rows: &[(i64, i64, i64)]) -> DbResult<()> {
    let mut conn = db.pool.acquire().await?;
    for chunk in chunks(rows) {
        let sql = format!(
            "INSERT INTO stats_media (day, course_id, bytes) VALUES {} \
             ON CONFLICT (day, course_id) DO UPDATE SET bytes = stats_media.bytes + excluded.bytes",
            Marks::of(&conn).rows(chunk.len(), 3, "")
        );
        let mut query = sqlx::query(&sql);
        for (day, course, bytes) in chunk {
            query = query.bind(*day).bind(*course).bind(*bytes);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
