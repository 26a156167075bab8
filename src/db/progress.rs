//! Learner progress, writing side: the append-only event log and the item and course rows
//! derived from it. Multi-row statements keep a batch to a handful of round trips.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use super::multirow::{chunks, Marks};
use super::{Db, DbResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemMetaRow {
    pub item_id: i64,
    pub version_id: i64,
    pub course_id: i64,
    pub identifier: String,
    pub kind: String,
    pub runtime: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutlineRow {
    pub id: i64,
    pub identifier: String,
    pub kind: String,
    pub required: i64,
    pub duration_seconds: Option<i64>,
    pub runtime: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ItemProgressRow {
    pub user_id: i64,
    pub course_id: i64,
    pub item_key: String,
    pub item_id: i64,
    pub kind: String,
    pub status: String,
    pub score: Option<f64>,
    pub time_spent_ms: i64,
    pub watched_share: Option<f64>,
    pub position: Option<String>,
    pub position_at: i64,
    pub played: String,
    pub active: String,
    pub media_duration: Option<f64>,
    pub reported_status: Option<String>,
    pub attempts: i64,
    pub events: i64,
    pub first_access: i64,
    pub last_access: i64,
}

pub const ITEM_COLUMNS: &str = "user_id, course_id, item_key, item_id, kind, status, score, time_spent_ms, \
     watched_share, position, position_at, played, active, media_duration, reported_status, attempts, events, \
     first_access, last_access";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CourseProgressRow {
    pub user_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    pub status: String,
    pub score: Option<f64>,
    pub completed_items: i64,
    pub required_items: i64,
    pub percent: i64,
    pub time_spent_ms: i64,
    pub first_access: i64,
    pub last_access: i64,
    pub last_item_key: Option<String>,
}

pub const COURSE_COLUMNS: &str = "user_id, course_id, version_id, status, score, completed_items, required_items, \
     percent, time_spent_ms, first_access, last_access, last_item_key";

/// The columns of an event row as inserted, in [`NewEvent`]'s order.
pub const EVENT_COLUMNS: &str = "user_id, client_event_id, course_id, item_id, item_key, kind, payload, client_ts, at, received_at";
/// How an event insert treats a retried event (same learner and client id): not again.
pub const EVENT_CONFLICT: &str = "ON CONFLICT (user_id, client_event_id) DO NOTHING";

/// Settings of the SQLite connections the progress writer writes through (this pool
/// connection and `progress_log`'s own).
/// - A batch touches index pages all over a large file: 64 MiB of page cache (not 2).
/// - Checkpoints run in the background ([`checkpoint`]), not in the writer's commits, where
///   each one stalled every waiting heartbeat for a write and an fsync of the database
///   file. The autocheckpoint is the fallback should they stop: 80 MiB of log.
pub const SQLITE_WRITER_PRAGMAS: [&str; 2] = ["PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 20000"];

/// An event to append; `payload` is JSON. Owned: the SQLite log thread takes it.
#[derive(serde::Serialize)]
pub struct NewEvent {
    pub user_id: i64,
    pub client_event_id: String,
    pub course_id: i64,
    pub item_id: i64,
    pub item_key: String,
    pub kind: &'static str,
    pub payload: String,
    pub client_ts: i64,
    pub at: i64,
    pub received_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub user_id: i64,
    pub client_event_id: String,
    pub course_id: i64,
    pub item_id: i64,
    pub item_key: String,
    pub kind: String,
    pub payload: String,
    pub client_ts: i64,
    pub at: i64,
    pub received_at: i64,
}

/// The item with the course and version it belongs to.
#[tracing::instrument(skip(db))]
pub async fn item_meta(db: &Db, item_id: i64) -> DbResult<Option<ItemMetaRow>> {
    Ok(sqlx::query_as(
        "SELECT i.id AS item_id, i.version_id, v.course_id, i.identifier, i.kind, i.runtime \
         FROM items i JOIN course_versions v ON v.id = i.version_id WHERE i.id = $1",
    )
    .bind(item_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// A version's metadata JSON and its items in order.
#[tracing::instrument(skip(db))]
pub async fn outline_rows(db: &Db, version_id: i64) -> DbResult<(String, Vec<OutlineRow>)> {
    let (metadata,): (String,) = sqlx::query_as("SELECT metadata FROM course_versions WHERE id = $1")
        .bind(version_id)
        .fetch_one(&db.pool)
        .await?;
    let items = sqlx::query_as(
        "SELECT id, identifier, kind, required, duration_seconds, runtime FROM items \
         WHERE version_id = $1 ORDER BY position",
    )
    .bind(version_id)
    .fetch_all(&db.pool)
    .await?;
    Ok((metadata, items))
}

/// (course, its latest version) for those of `course_ids` that still exist.
pub async fn latest_versions(db: &Db, course_ids: &[i64]) -> DbResult<Vec<(i64, i64)>> {
    if course_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=course_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, latest_version_id FROM courses WHERE latest_version_id IS NOT NULL AND id IN ({})",
        list.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
    for id in course_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// A connection for the progress writer. Its commits do not wait for the log to reach the
/// disk (SQLite: the pool's `synchronous = NORMAL`; Postgres: `synchronous_commit = off`,
/// so the connection is closed rather than returned to the pool); the writer flushes
/// afterwards with [`flush_log`] or the log file (`tracking::durable`) and acknowledges then.
pub async fn writer_connection(db: &Db) -> DbResult<sqlx::pool::PoolConnection<sqlx::Any>> {
    let mut conn = db.pool.acquire().await?;
    if db.backend == super::Backend::Postgres {
        sqlx::query("SET synchronous_commit = off").execute(&mut *conn).await?;
        conn.close_on_drop();
    } else {
        // The connection goes back to the pool only if it failed, where these are harmless.
        for pragma in SQLITE_WRITER_PRAGMAS {
            sqlx::query(pragma).execute(&mut *conn).await?;
        }
    }
    Ok(conn)
}

/// SQLite: copies what the write-ahead log holds into the database file, as far as readers
/// allow, without blocking the writer (a passive checkpoint, on a pool connection).
pub async fn checkpoint(db: &Db) -> DbResult<()> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&db.pool).await?;
    Ok(())
}

/// Postgres: a commit that waits for its log record to be flushed, and with it every
/// commit made before it (the log is flushed in order).
pub async fn flush_log(conn: &mut AnyConnection) -> DbResult<()> {
    sqlx::query("UPDATE progress_flush SET flushes = flushes + 1 WHERE id = 1").execute(&mut *conn).await?;
    Ok(())
}

/// Appends events, skipping any whose (user, client id) is already stored; returns
/// (id, user, client id) of those written. Callers pass rows sorted by (user, client id),
/// so that concurrent writers on Postgres take index locks in the same order.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn insert_events(conn: &mut AnyConnection, events: &[NewEvent]) -> DbResult<Vec<(i64, i64, String)>> {
    if let Marks::Numbered = Marks::of(conn) {
        return super::progress_pg::insert_events(conn, events).await;
    }
    let mut stored = Vec::with_capacity(events.len());
    for chunk in chunks(events) {
        let sql = format!(
            "INSERT INTO progress_events ({EVENT_COLUMNS}) VALUES {} {EVENT_CONFLICT} RETURNING id, user_id, client_event_id",
            Marks::of(conn).rows(chunk.len(), 10, "")
        );
        let mut query = sqlx::query_as::<_, (i64, i64, String)>(&sql);
        for e in chunk {
            query = query
                .bind(e.user_id)
                .bind(e.client_event_id.as_str())
                .bind(e.course_id)
                .bind(e.item_id)
                .bind(e.item_key.as_str())
                .bind(e.kind)
                .bind(e.payload.as_str())
                .bind(e.client_ts)
                .bind(e.at)
                .bind(e.received_at);
        }
        stored.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(stored)
}

/// Locks the course rows of (user, course) pairs, creating empty ones where missing, so that
/// concurrent writers (several servers on Postgres) update one learner's course one at a
/// time. `pairs` is ordered, so locks are always taken in the same order. On SQLite the
/// transaction already holds the database's one write lock (since its first write), so
/// there is nothing to do.
pub async fn lock_courses(conn: &mut AnyConnection, pairs: &BTreeSet<(i64, i64)>) -> DbResult<()> {
    if let Marks::Anonymous = Marks::of(conn) {
        return Ok(());
    }
    super::progress_pg::lock_courses(conn, pairs).await
}

/// Every item row of the given learners' courses.
pub async fn item_rows(conn: &mut AnyConnection, pairs: &BTreeSet<(i64, i64)>) -> DbResult<Vec<ItemProgressRow>> {
    if let Marks::Numbered = Marks::of(conn) {
        return super::progress_pg::item_rows(conn, pairs).await;
    }
    let pairs: Vec<&(i64, i64)> = pairs.iter().collect();
    let mut rows = Vec::new();
    for chunk in chunks(&pairs) {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM item_progress WHERE (user_id, course_id) IN (VALUES {})",
            Marks::of(conn).rows(chunk.len(), 2, "")
        );
        let mut query = sqlx::query_as::<_, ItemProgressRow>(&sql);
        for (user, course) in chunk {
            query = query.bind(*user).bind(*course);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

pub async fn upsert_items(conn: &mut AnyConnection, rows: &[ItemProgressRow]) -> DbResult<()> {
    if let Marks::Numbered = Marks::of(conn) {
        return super::progress_pg::upsert_items(conn, rows).await;
    }
    upsert(conn, "item_progress", ITEM_COLUMNS, 3, rows, |query, r| {
        query
            .bind(r.user_id)
            .bind(r.course_id)
            .bind(r.item_key.as_str())
            .bind(r.item_id)
            .bind(r.kind.as_str())
            .bind(r.status.as_str())
            .bind(r.score)
            .bind(r.time_spent_ms)
            .bind(r.watched_share)
            .bind(r.position.as_deref())
            .bind(r.position_at)
            .bind(r.played.as_str())
            .bind(r.active.as_str())
            .bind(r.media_duration)
            .bind(r.reported_status.as_deref())
            .bind(r.attempts)
            .bind(r.events)
            .bind(r.first_access)
            .bind(r.last_access)
    })
    .await
}

pub async fn upsert_courses(conn: &mut AnyConnection, rows: &[CourseProgressRow]) -> DbResult<()> {
    if let Marks::Numbered = Marks::of(conn) {
        return super::progress_pg::upsert_courses(conn, rows).await;
    }
    upsert(conn, "course_progress", COURSE_COLUMNS, 2, rows, |query, r| {
        query
            .bind(r.user_id)
            .bind(r.course_id)
            .bind(r.version_id)
            .bind(r.status.as_str())
            .bind(r.score)
            .bind(r.completed_items)
            .bind(r.required_items)
            .bind(r.percent)
            .bind(r.time_spent_ms)
            .bind(r.first_access)
            .bind(r.last_access)
            .bind(r.last_item_key.as_deref())
    })
    .await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Inserts or replaces `rows` of `table` (SQLite), whose first `keys` `columns` are its
/// primary key; `bind` binds one row's values in column order.
async fn upsert<T>(
    conn: &mut AnyConnection,
    table: &str,
    columns: &str,
    keys: usize,
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> DbResult<()> {
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let updates: Vec<String> = names[keys..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    for chunk in chunks(rows) {
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            Marks::of(conn).rows(chunk.len(), names.len(), ""),
            names[..keys].join(", "),
            updates.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes every derived row; the event log stays. For a rebuild, inside its transaction.
pub async fn clear_derived(conn: &mut AnyConnection) -> DbResult<()> {
    sqlx::query("DELETE FROM item_progress").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM course_progress").execute(&mut *conn).await?;
    Ok(())
}

pub async fn users_with_events(conn: &mut AnyConnection) -> DbResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT DISTINCT user_id FROM progress_events ORDER BY user_id")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One learner's events in the order they were stored.
pub async fn events_of_user(conn: &mut AnyConnection, user_id: i64) -> DbResult<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, client_event_id, course_id, item_id, item_key, kind, payload, client_ts, at, received_at \
         FROM progress_events WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Learners with progress in a course, for re-deriving it after a new version.
pub async fn learners_of_course(conn: &mut AnyConnection, course_id: i64) -> DbResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM course_progress WHERE course_id = $1 ORDER BY user_id")
        .bind(course_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Every derived row in key order, to compare a rebuild with what live ingest wrote.
pub async fn snapshot(db: &Db) -> DbResult<(Vec<ItemProgressRow>, Vec<CourseProgressRow>)> {
    let items = sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM item_progress ORDER BY user_id, course_id, item_key"))
        .fetch_all(&db.pool)
        .await?;
    let courses = sqlx::query_as(&format!("SELECT {COURSE_COLUMNS} FROM course_progress ORDER BY user_id, course_id"))
        .fetch_all(&db.pool)
        .await?;
    Ok((items, courses))
}

/// (user, client id) of stored events whose client id starts with `prefix`: the load
/// benchmark checks that every event it was told was stored is there.
pub async fn event_keys_with_prefix(db: &Db, prefix: &str) -> DbResult<Vec<(i64, String)>> {
    let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Ok(sqlx::query_as("SELECT user_id, client_event_id FROM progress_events WHERE client_event_id LIKE $1 ESCAPE '\\'")
        .bind(pattern)
        .fetch_all(&db.pool)
        .await?)
}
