//! The `blobs` table: one row per stored SHA-256, whatever number of files point at it.

use super::{now_ms, Db, DbResult};

/// Records a blob; a blob already known is left as it is.
pub async fn insert<'e, E>(executor: E, sha256: &str, size: i64) -> DbResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size)
    .bind(now_ms())
    .execute(executor)
    .await?;
    Ok(())
}

/// Blobs no version file and no rendition refers to any more: candidates for garbage
/// collection.
#[tracing::instrument(skip(db))]
pub async fn unreferenced(db: &Db) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT b.sha256 FROM blobs b \
         WHERE NOT EXISTS (SELECT 1 FROM version_files f WHERE f.sha256 = b.sha256) \
           AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = b.sha256)",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Forgets a blob unless something refers to it again; returns whether it was removed.
pub async fn delete_if_unreferenced(db: &Db, sha256: &str) -> DbResult<bool> {
    let done = sqlx::query(
        "DELETE FROM blobs WHERE sha256 = $1 \
         AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.sha256 = $1) \
         AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = $1)",
    )
    .bind(sha256)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every blob the database knows, for the store's orphan sweep.
pub async fn all(db: &Db) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT sha256 FROM blobs")
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// What the blob store holds, as the database knows it.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StorageTotals {
    pub files: i64,
    pub bytes: i64,
    /// Of those, the blobs that are video renditions.
    pub rendition_files: i64,
    pub rendition_bytes: i64,
}

pub async fn totals(db: &Db) -> DbResult<StorageTotals> {
    let all: (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), CAST(SUM(size) AS BIGINT) FROM blobs").fetch_one(&db.pool).await?;
    let renditions: (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(size) AS BIGINT) FROM blobs b WHERE EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = b.sha256)",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(StorageTotals { files: all.0, bytes: all.1.unwrap_or(0), rendition_files: renditions.0, rendition_bytes: renditions.1.unwrap_or(0) })
}
