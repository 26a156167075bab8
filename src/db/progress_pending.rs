//! Events stored in the log and not yet folded into the derived rows (`progress_pending`).
//!
//! Ids travel as one JSON array parameter, unpacked by the database (`json_each` on SQLite,
//! `json_array_elements_text` on Postgres): one prepared statement whatever the count.

use std::collections::HashSet;

use sqlx::{AnyConnection, Connection};

use super::multirow::Marks;
use super::progress::{EventRow, NewEvent};
use super::DbResult;

/// The ids of a JSON array parameter, as rows of one column `value`.
fn ids_from(conn: &AnyConnection) -> &'static str {
    match Marks::of(conn) {
        Marks::Numbered => "SELECT value::bigint AS value FROM json_array_elements_text($1::json)",
        Marks::Anonymous => "SELECT value FROM json_each($1)",
    }
}

fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("integers serialise")
}

/// Marks logged events as waiting to be folded.
pub async fn insert(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!("INSERT INTO progress_pending (event_id) {}", ids_from(conn));
    sqlx::query(&sql).bind(json_ids(ids)).execute(&mut *conn).await?;
    Ok(())
}

/// Appends events to the log and lists the ones stored as waiting to be folded, atomically;
/// returns (id, user, client id) of those stored (a retried event is not). Outside any
/// transaction: this is one.
pub async fn append(conn: &mut AnyConnection, events: &[NewEvent]) -> DbResult<Vec<(i64, i64, String)>> {
    if let Marks::Numbered = Marks::of(conn) {
        return super::progress_pg::append_pending(conn, events).await;
    }
    let mut tx = conn.begin().await?;
    let stored = super::progress::insert_events(&mut tx, events).await?;
    let mut ids: Vec<i64> = stored.iter().map(|(id, _, _)| *id).collect();
    ids.sort_unstable();
    insert(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Takes the given events off the waiting list; returns those this transaction took, which
/// are the ones it must fold. Another may have folded the rest: a rebuild (which folds the
/// whole log) or, on Postgres, another server that started up and folded what it found.
pub async fn claim(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!("DELETE FROM progress_pending WHERE event_id IN ({}) RETURNING event_id", ids_from(conn));
    let rows: Vec<(i64,)> = sqlx::query_as(&sql).bind(json_ids(ids)).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The waiting events, in log order.
pub async fn events(conn: &mut AnyConnection) -> DbResult<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.user_id, e.client_event_id, e.course_id, e.item_id, e.item_key, e.kind, e.payload, \
           e.client_ts, e.at, e.received_at \
         FROM progress_events e JOIN progress_pending p ON p.event_id = e.id ORDER BY e.id",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// How many events wait to be folded (for tests and operators).
pub async fn count(db: &super::Db) -> DbResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM progress_pending").fetch_one(&db.pool).await?;
    Ok(n)
}
