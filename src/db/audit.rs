//! The audit log of administrative actions: who did what to which target, and when.

use super::{now_ms, Db, DbResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: i64,
}

/// `actor_id` is `None` for actions taken on the command line by the operator.
pub async fn record(db: &Db, actor_id: Option<i64>, action: &str, target: &str, detail: &str) -> DbResult<()> {
    record_in(&mut *db.pool.acquire().await?, actor_id, action, target, detail).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn record_in(conn: &mut AnyConnection, actor_id: Option<i64>, action: &str, target: &str, detail: &str) -> DbResult<()> {
    sqlx::query("INSERT INTO audit_log (actor_id, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(actor_id)
        .bind(action)
        .bind(target)
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn recent(db: &Db, limit: i64) -> DbResult<Vec<AuditRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, u.username AS actor, a.action, a.target, a.detail, a.at FROM audit_log a \
         LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
