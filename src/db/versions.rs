//! Course versions: listing them and removing older ones.

use super::{Db, DbError, DbResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct VersionRow {
    pub id: i64,
    pub version: i64,
    pub format: String,
    pub warnings: String,
    pub created_at: i64,
}

/// Every version of a course, newest first.
pub async fn versions(db: &Db, course_id: i64) -> DbResult<Vec<VersionRow>> {
    Ok(sqlx::query_as(
        "SELECT id, version, format, warnings, created_at FROM course_versions WHERE course_id = $1 ORDER BY version DESC",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Removes one version that is not the course's latest; its blobs become garbage for gc.
/// Every statement carries the same guard, so nothing is removed unless all of it is; run it
/// inside a transaction (the caller's), so that they stand or fall together.
pub async fn delete_version(tx: &mut AnyConnection, course_id: i64, version_id: i64) -> DbResult<()> {
    const OLDER: &str = "EXISTS (SELECT 1 FROM course_versions v JOIN courses c ON c.id = v.course_id \
         WHERE v.id = $1 AND v.course_id = $2 AND c.latest_version_id <> v.id)";
    for table in ["items", "version_files"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE version_id = $1 AND {OLDER}"))
            .bind(version_id)
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
    }
    let removed = sqlx::query(&format!("DELETE FROM course_versions WHERE id = $1 AND {OLDER}"))
        .bind(version_id)
        .bind(course_id)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() != 1 {
        return Err(DbError::Conflict("only an older version of this course can be removed".into()));
    }
    Ok(())
}

/// A version's format-level facts (JSON), e.g. a SCORM organization's control modes.
pub async fn metadata(db: &Db, version_id: i64) -> DbResult<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT metadata FROM course_versions WHERE id = $1")
        .bind(version_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.0).ok_or(DbError::NotFound("course version"))
}

/// The import report of a version: its warnings (JSON) and when a teacher dismissed them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub course_id: i64,
    pub version: i64,
    pub format: String,
    pub warnings: String,
    pub created_at: i64,
    pub warnings_dismissed_at: Option<i64>,
}

/// The import report of one version.
pub async fn report(db: &Db, version_id: i64) -> DbResult<ReportRow> {
    sqlx::query_as(
        "SELECT id, course_id, version, format, warnings, created_at, warnings_dismissed_at FROM course_versions WHERE id = $1",
    )
    .bind(version_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound("course version"))
}

/// Marks a version's warnings as read; the first dismissal's time is kept.
pub async fn dismiss_warnings(db: &Db, version_id: i64, at: i64) -> DbResult<()> {
    sqlx::query("UPDATE course_versions SET warnings_dismissed_at = COALESCE(warnings_dismissed_at, $2) WHERE id = $1")
        .bind(version_id)
        .bind(at)
        .execute(&db.pool)
        .await?;
    Ok(())
}
