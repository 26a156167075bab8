//! Rendition jobs of source videos and the files they made (`media_jobs`, `renditions`).
//!
//! Claiming is one conditional UPDATE on both backends: a job is taken when it is queued or
//! its lease ran out, and only the UPDATE that still sees it that way wins, so instances
//! sharing a database never run one job twice at the same time.

use super::{blobs, now_ms, Db, DbResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub source_sha256: String,
    pub file_name: String,
    pub state: String,
    pub progress: f64,
    pub message: String,
    pub result: String,
    pub attempts: i64,
    pub lease_until: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "source_sha256, file_name, state, progress, message, result, attempts, lease_until, updated_at";

/// Queues a job for a source video unless one exists (done, running or failed alike).
pub async fn enqueue<'e, E>(executor: E, source_sha256: &str, file_name: &str) -> DbResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let now = now_ms();
    sqlx::query(
        "INSERT INTO media_jobs (source_sha256, file_name, state, created_at, updated_at) VALUES ($1, $2, 'queued', $3, $3) \
         ON CONFLICT (source_sha256) DO NOTHING",
    )
    .bind(source_sha256)
    .bind(file_name)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

/// Takes the oldest job that is queued or whose worker stopped renewing its lease, with a
/// lease of `lease_ms`; `None` when there is nothing to do.
pub async fn claim(db: &Db, lease_ms: i64) -> DbResult<Option<JobRow>> {
    let now = now_ms();
    for _ in 0..3 {
        let candidate: Option<(String, i64)> = sqlx::query_as(
            "SELECT source_sha256, attempts FROM media_jobs \
             WHERE state = 'queued' OR (state = 'running' AND lease_until < $1) ORDER BY created_at, source_sha256 LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
        let Some((sha, attempts)) = candidate else { return Ok(None) };
        let taken = sqlx::query(
            "UPDATE media_jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, progress = 0, message = '', updated_at = $2 \
             WHERE source_sha256 = $3 AND attempts = $4 AND (state = 'queued' OR (state = 'running' AND lease_until < $2))",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(&sha)
        .bind(attempts)
        .execute(&db.pool)
        .await?;
        if taken.rows_affected() == 1 {
            return job(db, &sha).await;
        }
        // Another instance took it between the two statements: look again.
    }
    Ok(None)
}

/// Reports progress and extends the lease of a running job; false when the job is no
/// longer this worker's (its lease ran out and another took it).
pub async fn renew(db: &Db, source_sha256: &str, attempts: i64, progress: f64, lease_ms: i64) -> DbResult<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE media_jobs SET progress = $1, lease_until = $2, updated_at = $3 WHERE source_sha256 = $4 AND attempts = $5 AND state = 'running'",
    )
    .bind(progress)
    .bind(now + lease_ms)
    .bind(now)
    .bind(source_sha256)
    .bind(attempts)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A file a job made, stored as a blob.
#[derive(Debug, Clone)]
pub struct NewRendition {
    pub path: String,
    pub sha256: String,
    pub size: i64,
}

/// Records a finished job's files and result in one transaction: the player sees all of
/// them or none. False when the job was no longer this worker's.
pub async fn finish(db: &Db, source_sha256: &str, attempts: i64, files: &[NewRendition], result: &str) -> DbResult<bool> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE media_jobs SET state = 'done', progress = 1, result = $1, message = '', updated_at = $2 \
         WHERE source_sha256 = $3 AND attempts = $4 AND state = 'running'",
    )
    .bind(result)
    .bind(now)
    .bind(source_sha256)
    .bind(attempts)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM renditions WHERE source_sha256 = $1").bind(source_sha256).execute(&mut *tx).await?;
    for file in files {
        blobs::insert(&mut *tx, &file.sha256, file.size).await?;
        sqlx::query("INSERT INTO renditions (source_sha256, path, sha256, size) VALUES ($1, $2, $3, $4)")
            .bind(source_sha256)
            .bind(&file.path)
            .bind(&file.sha256)
            .bind(file.size)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Ends a job without renditions: `failed` (ffmpeg refused the file) or `unavailable`
/// (no ffmpeg on this machine); the message says why, for the teacher.
pub async fn give_up(db: &Db, source_sha256: &str, attempts: i64, state: &str, message: &str) -> DbResult<()> {
    sqlx::query("UPDATE media_jobs SET state = $1, message = $2, updated_at = $3 WHERE source_sha256 = $4 AND attempts = $5")
        .bind(state)
        .bind(message)
        .bind(now_ms())
        .bind(source_sha256)
        .bind(attempts)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Puts jobs that found no ffmpeg back in the queue, for a server that now has one.
pub async fn requeue_unavailable(db: &Db) -> DbResult<u64> {
    let done = sqlx::query("UPDATE media_jobs SET state = 'queued', message = '', updated_at = $1 WHERE state = 'unavailable'")
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn job(db: &Db, source_sha256: &str) -> DbResult<Option<JobRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM media_jobs WHERE source_sha256 = $1"))
        .bind(source_sha256)
        .fetch_optional(&db.pool)
        .await?)
}

/// The jobs of the videos in a course version, by source.
pub async fn jobs_of_version(db: &Db, version_id: i64) -> DbResult<Vec<JobRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM media_jobs WHERE source_sha256 IN (SELECT sha256 FROM version_files WHERE version_id = $1) ORDER BY file_name"
    ))
    .bind(version_id)
    .fetch_all(&db.pool)
    .await?)
}

/// A rendition file of a source that version `version_id` holds: (sha256, size, made at).
/// `None` when the version has no such source or the file does not exist, so a token for
/// one version never reaches another version's videos.
pub async fn file_of_version(db: &Db, version_id: i64, source_sha256: &str, path: &str) -> DbResult<Option<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT r.sha256, r.size, j.updated_at FROM renditions r JOIN media_jobs j ON j.source_sha256 = r.source_sha256 \
         WHERE r.source_sha256 = $1 AND r.path = $2 \
           AND EXISTS (SELECT 1 FROM version_files f WHERE f.version_id = $3 AND f.sha256 = $1)",
    )
    .bind(source_sha256)
    .bind(path)
    .bind(version_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Forgets jobs and rendition rows of sources no version holds any more (the course or
/// version was deleted), so their blobs become unreferenced for `gc`.
pub async fn forget_orphans(db: &Db) -> DbResult<u64> {
    let mut tx = db.pool.begin().await?;
    let orphan = "NOT EXISTS (SELECT 1 FROM version_files f WHERE f.sha256 = source_sha256)";
    let rows = sqlx::query(&format!("DELETE FROM renditions WHERE {orphan}")).execute(&mut *tx).await?.rows_affected();
    sqlx::query(&format!("DELETE FROM media_jobs WHERE {orphan}")).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}
