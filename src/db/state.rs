//! Installation-wide facts in the `app_state` key/value table.

use super::{Db, DbResult};
use sqlx::AnyConnection;

#[tracing::instrument(skip(db))]
pub async fn get(db: &Db, key: &str) -> DbResult<Option<String>> {
    let value: Option<(String,)> = sqlx::query_as("SELECT value FROM app_state WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(value.map(|v| v.0))
}

#[tracing::instrument(skip(db, value))]
pub async fn set(db: &Db, key: &str, value: &str) -> DbResult<()> {
    set_in(&mut *db.pool.acquire().await?, key, value).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn set_in(conn: &mut AnyConnection, key: &str, value: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO app_state (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a value unless the key is already set (first writer wins).
pub async fn insert_if_absent(db: &Db, key: &str, value: &str) -> DbResult<()> {
    sqlx::query("INSERT INTO app_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&db.pool)
        .await?;
    Ok(())
}
