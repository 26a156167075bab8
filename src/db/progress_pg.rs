//! The progress writer's multi-row statements on Postgres: a batch of any size is one
//! statement with one JSON parameter, unpacked by `json_to_recordset`. Each statement then
//! has one fixed text that the connection prepares once, where the `VALUES` lists (see
//! `progress.rs`) needed several statements of power-of-two sizes per batch, and Postgres
//! spent most of the writer's time parsing, planning and executing those. The column types
//! are declared in the SQL, so a NULL score cannot give a cached statement the wrong
//! parameter type.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::AnyConnection;

use super::progress::{CourseProgressRow, ItemProgressRow, NewEvent, COURSE_COLUMNS, EVENT_COLUMNS, EVENT_CONFLICT, ITEM_COLUMNS};
use super::DbResult;

const EVENT_TYPES: &str = "user_id bigint, client_event_id text, course_id bigint, item_id bigint, item_key text, \
     kind text, payload text, client_ts bigint, at bigint, received_at bigint";
const ITEM_TYPES: &str = "user_id bigint, course_id bigint, item_key text, item_id bigint, kind text, status text, \
     score float8, time_spent_ms bigint, watched_share float8, position text, position_at bigint, played text, \
     active text, media_duration float8, reported_status text, attempts bigint, events bigint, first_access bigint, \
     last_access bigint";
const COURSE_TYPES: &str = "user_id bigint, course_id bigint, version_id bigint, status text, score float8, \
     completed_items bigint, required_items bigint, percent bigint, time_spent_ms bigint, first_access bigint, \
     last_access bigint, last_item_key text";
const PAIR_TYPES: &str = "user_id bigint, course_id bigint";

#[derive(Serialize)]
struct Pair {
    user_id: i64,
    course_id: i64,
}

fn json<T: Serialize>(rows: &T) -> DbResult<String> {
    serde_json::to_string(rows).map_err(|e| super::DbError::Sqlx(sqlx::Error::Encode(Box::new(e))))
}

fn pairs_json(pairs: &BTreeSet<(i64, i64)>) -> DbResult<String> {
    json(&pairs.iter().map(|&(user_id, course_id)| Pair { user_id, course_id }).collect::<Vec<_>>())
}

/// Inserts the events of a JSON array parameter, returning (id, user, client id) of those
/// stored.
fn insert_events_sql() -> String {
    format!(
        "INSERT INTO progress_events ({EVENT_COLUMNS}) SELECT * FROM json_to_recordset($1::json) AS t({EVENT_TYPES}) \
         {EVENT_CONFLICT} RETURNING id, user_id, client_event_id"
    )
}

pub(super) async fn insert_events(conn: &mut AnyConnection, events: &[NewEvent]) -> DbResult<Vec<(i64, i64, String)>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(&insert_events_sql()).bind(json(&events)?).fetch_all(&mut *conn).await?)
}

/// Appends events and lists those stored as pending in one statement, which Postgres runs
/// as its own transaction: one round trip to the server instead of four (BEGIN, the two
/// inserts, COMMIT), which under load were most of the writer's time on Postgres.
pub(super) async fn append_pending(conn: &mut AnyConnection, events: &[NewEvent]) -> DbResult<Vec<(i64, i64, String)>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH stored AS ({}), pending AS (INSERT INTO progress_pending (event_id) SELECT id FROM stored) \
         SELECT id, user_id, client_event_id FROM stored",
        insert_events_sql()
    );
    Ok(sqlx::query_as(&sql).bind(json(&events)?).fetch_all(&mut *conn).await?)
}

pub(super) async fn lock_courses(conn: &mut AnyConnection, pairs: &BTreeSet<(i64, i64)>) -> DbResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    // ORDER BY: rows are locked in key order whatever the plan, so writers cannot deadlock.
    let sql = format!(
        "INSERT INTO course_progress (user_id, course_id, version_id, status, completed_items, required_items, \
           percent, time_spent_ms, first_access, last_access) \
         SELECT user_id, course_id, 0, 'not_started', 0, 0, 0, 0, 0, 0 FROM json_to_recordset($1::json) AS t({PAIR_TYPES}) \
         ORDER BY user_id, course_id \
         ON CONFLICT (user_id, course_id) DO UPDATE SET user_id = excluded.user_id"
    );
    sqlx::query(&sql).bind(pairs_json(pairs)?).execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn item_rows(conn: &mut AnyConnection, pairs: &BTreeSet<(i64, i64)>) -> DbResult<Vec<ItemProgressRow>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM item_progress WHERE (user_id, course_id) IN \
           (SELECT user_id, course_id FROM json_to_recordset($1::json) AS t({PAIR_TYPES}))"
    );
    Ok(sqlx::query_as(&sql).bind(pairs_json(pairs)?).fetch_all(&mut *conn).await?)
}

pub(super) async fn upsert_items(conn: &mut AnyConnection, rows: &[ItemProgressRow]) -> DbResult<()> {
    upsert(conn, "item_progress", ITEM_COLUMNS, ITEM_TYPES, 3, json(&rows)?).await
}

pub(super) async fn upsert_courses(conn: &mut AnyConnection, rows: &[CourseProgressRow]) -> DbResult<()> {
    upsert(conn, "course_progress", COURSE_COLUMNS, COURSE_TYPES, 2, json(&rows)?).await
}

/// Inserts or replaces the rows in `rows_json` (objects named like `columns`), whose first
/// `keys` columns are the table's primary key.
async fn upsert(conn: &mut AnyConnection, table: &str, columns: &str, types: &str, keys: usize, rows_json: String) -> DbResult<()> {
    if rows_json == "[]" {
        return Ok(());
    }
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let updates: Vec<String> = names[keys..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM json_to_recordset($1::json) AS t({types}) \
         ON CONFLICT ({}) DO UPDATE SET {}",
        names[..keys].join(", "),
        updates.join(", ")
    );
    sqlx::query(&sql).bind(rows_json).execute(&mut *conn).await?;
    Ok(())
}

/// `INSERT INTO {table} ({columns}) SELECT ... FROM jsonb_array_elements($1::jsonb) {tail}`:
/// the rows come as one JSON array of arrays, each holding `columns`' values in order
/// (`(name, type)`); array order is insertion order, so callers' sorted rows lock in order.
pub(super) fn insert_from_arrays(table: &str, columns: &[(&str, &str)], tail: &str) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| if *kind == "text" { format!("r->>{i}") } else { format!("(r->>{i})::{kind}") })
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM jsonb_array_elements($1::jsonb) AS r {tail}",
        names.join(", "),
        values.join(", ")
    )
}

/// Rows (each a JSON array) as the one parameter of [`insert_from_arrays`].
pub(super) fn arrays_json<T: Serialize>(rows: &[T]) -> DbResult<String> {
    json(&rows)
}
