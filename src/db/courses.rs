//! Courses, their immutable versions, the versions' files and items.

use sqlx::AnyConnection;

use super::{blobs, now_ms, Db, DbError, DbResult};
use crate::domain::Visibility;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CourseRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub title_en: Option<String>,
    pub description: String,
    pub description_en: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub format: String,
    pub visibility: String,
    pub published: i64,
    pub school_id: Option<i64>,
    pub region_id: Option<i64>,
    pub latest_version_id: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub version_id: i64,
    pub position: i64,
    pub parent_position: Option<i64>,
    pub identifier: String,
    pub title: String,
    pub title_en: Option<String>,
    pub kind: String,
    pub launch: Option<String>,
    pub captions: String,
    pub duration_seconds: Option<i64>,
    pub required: i64,
    pub runtime: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionFileRow {
    pub sha256: String,
    pub size: i64,
    pub created_at: i64,
}

/// A course version ready to be written: blobs are already in the store.
pub struct NewVersion {
    pub owner_key: String,
    pub slug: String,
    pub school_id: Option<i64>,
    pub region_id: Option<i64>,
    pub title: String,
    pub title_en: Option<String>,
    pub description: String,
    pub description_en: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub format: String,
    pub metadata: String,
    pub warnings: String,
    pub created_by: Option<i64>,
    /// Who may see the course if this version creates it.
    pub visibility: Visibility,
    /// For a new version of an existing course: keep the course's visibility rather than
    /// setting `visibility` (the uploader did not choose one).
    pub keep_visibility: bool,
    pub files: Vec<NewFile>,
    pub items: Vec<NewItem>,
}

pub struct NewFile {
    pub path: String,
    pub sha256: String,
    pub size: i64,
}

pub struct NewItem {
    pub parent_position: Option<i64>,
    pub identifier: String,
    pub title: String,
    pub title_en: Option<String>,
    pub kind: String,
    pub launch: Option<String>,
    pub captions: String,
    pub duration_seconds: Option<i64>,
    pub required: bool,
    pub runtime: String,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct StoredVersion {
    pub course_id: i64,
    pub version_id: i64,
    pub version: i64,
}

const COURSE_COLUMNS: &str = "c.id, c.slug, c.title, c.title_en, c.description, c.description_en, c.subject, \
     c.grade, c.format, c.visibility, c.published, c.school_id, c.region_id, c.latest_version_id, c.updated_at";

/// Writes a whole version in one transaction, so a failed import leaves nothing visible.
#[tracing::instrument(skip_all, fields(slug = %new.slug, files = new.files.len(), items = new.items.len()))]
pub async fn insert_version(db: &Db, new: &NewVersion) -> DbResult<StoredVersion> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    // Writing first (not reading) matters on SQLite: a transaction that reads and then
    // writes can fail with "database is locked" instead of waiting for another writer.
    let (course_id,): (i64,) = sqlx::query_as(
        "INSERT INTO courses (owner_key, slug, school_id, title, title_en, description, description_en, \
           subject, grade, format, created_at, updated_at, search_text, region_id, visibility) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14) \
         ON CONFLICT (owner_key, slug) DO UPDATE SET title = excluded.title, title_en = excluded.title_en, \
           search_text = excluded.search_text, \
           description = excluded.description, description_en = excluded.description_en, \
           subject = excluded.subject, grade = excluded.grade, format = excluded.format, \
           updated_at = excluded.updated_at, \
           visibility = CASE WHEN $15 = 1 THEN courses.visibility ELSE excluded.visibility END \
         RETURNING id",
    )
    .bind(&new.owner_key)
    .bind(&new.slug)
    .bind(new.school_id)
    .bind(&new.title)
    .bind(&new.title_en)
    .bind(&new.description)
    .bind(&new.description_en)
    .bind(&new.subject)
    .bind(&new.grade)
    .bind(&new.format)
    .bind(now)
    .bind(search_text(new))
    .bind(new.region_id)
    .bind(new.visibility.as_str())
    .bind(new.keep_visibility as i64)
    .fetch_one(&mut *tx)
    .await?;
    let (version,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM course_versions WHERE course_id = $1",
    )
    .bind(course_id)
    .fetch_one(&mut *tx)
    .await?;
    let (version_id,): (i64,) = sqlx::query_as(
        "INSERT INTO course_versions (course_id, version, format, metadata, warnings, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(course_id)
    .bind(version)
    .bind(&new.format)
    .bind(&new.metadata)
    .bind(&new.warnings)
    .bind(new.created_by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for file in &new.files {
        blobs::insert(&mut *tx, &file.sha256, file.size).await?;
        sqlx::query("INSERT INTO version_files (version_id, path, sha256, size) VALUES ($1, $2, $3, $4)")
            .bind(version_id)
            .bind(&file.path)
            .bind(&file.sha256)
            .bind(file.size)
            .execute(&mut *tx)
            .await?;
    }
    for (position, item) in new.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO items (version_id, position, parent_position, identifier, title, title_en, kind, \
               launch, captions, duration_seconds, required, runtime) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(version_id)
        .bind(position as i64)
        .bind(item.parent_position)
        .bind(&item.identifier)
        .bind(&item.title)
        .bind(&item.title_en)
        .bind(&item.kind)
        .bind(&item.launch)
        .bind(&item.captions)
        .bind(item.duration_seconds)
        .bind(item.required as i64)
        .bind(&item.runtime)
        .execute(&mut *tx)
        .await?;
    }
    // Every video lesson gets its renditions made after the import, in the same
    // transaction, so no stored video is ever without a job.
    for item in new.items.iter().filter(|i| i.kind == "video") {
        let Some(file) = item.launch.as_deref().and_then(|path| new.files.iter().find(|f| f.path == path)) else { continue };
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        super::renditions::enqueue(&mut *tx, &file.sha256, name).await?;
    }
    sqlx::query("UPDATE courses SET latest_version_id = $1 WHERE id = $2")
        .bind(version_id)
        .bind(course_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StoredVersion {
        course_id,
        version_id,
        version,
    })
}

/// Lowercased text searched by the catalog: titles and descriptions in both languages.
fn search_text(new: &NewVersion) -> String {
    [Some(&new.title), new.title_en.as_ref(), Some(&new.description), new.description_en.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Catalog filters; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct CatalogFilter {
    pub q: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub format: Option<String>,
    pub school_id: Option<i64>,
    pub page: i64,
    pub per_page: i64,
}

/// One page of the courses matching `filter` among those `visible_sql` lets the reader see,
/// and the total count. Search is a case-insensitive substring match, which works for
/// Chinese text without word segmentation (indexed by pg_trgm on Postgres).
#[tracing::instrument(skip(db, visible_sql))]
pub async fn catalog(db: &Db, visible_sql: &str, filter: &CatalogFilter) -> DbResult<(Vec<CourseRow>, i64)> {
    let pattern = filter.q.as_deref().map(|q| {
        let escaped = q.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    });
    let condition = format!(
        "{visible_sql} AND ($1 IS NULL OR c.search_text LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR c.subject = $2) \
         AND ($3 IS NULL OR c.grade = $3) AND ($4 IS NULL OR c.format = $4) AND ($5 IS NULL OR c.school_id = $5)"
    );
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM courses c WHERE {condition}"))
        .bind(&pattern)
        .bind(&filter.subject)
        .bind(&filter.grade)
        .bind(&filter.format)
        .bind(filter.school_id)
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE {condition} ORDER BY c.title, c.id LIMIT $6 OFFSET $7"
    ))
    .bind(&pattern)
    .bind(&filter.subject)
    .bind(&filter.grade)
    .bind(&filter.format)
    .bind(filter.school_id)
    .bind(filter.per_page)
    .bind((filter.page.max(1) - 1) * filter.per_page)
    .fetch_all(&db.pool)
    .await?;
    Ok((rows, total))
}

/// Distinct subjects and grades among visible courses, for the catalog's filter menus.
pub async fn facets(db: &Db, visible_sql: &str) -> DbResult<(Vec<String>, Vec<String>)> {
    let subjects: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT DISTINCT c.subject FROM courses c WHERE {visible_sql} AND c.subject IS NOT NULL ORDER BY c.subject"
    ))
    .fetch_all(&db.pool)
    .await?;
    let grades: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT DISTINCT c.grade FROM courses c WHERE {visible_sql} AND c.grade IS NOT NULL ORDER BY c.grade"
    ))
    .fetch_all(&db.pool)
    .await?;
    Ok((subjects.into_iter().map(|r| r.0).collect(), grades.into_iter().map(|r| r.0).collect()))
}

/// Classes a course is assigned to (for `classes` visibility).
pub async fn course_classes(db: &Db, course_id: i64) -> DbResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT class_id FROM course_classes WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[tracing::instrument(skip(db))]
pub async fn get(db: &Db, course_id: i64) -> DbResult<CourseRow> {
    sqlx::query_as(&format!("SELECT {COURSE_COLUMNS} FROM courses c WHERE c.id = $1"))
        .bind(course_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(DbError::NotFound("course"))
}

/// Items of one version in their manifest order.
#[tracing::instrument(skip(db))]
pub async fn items(db: &Db, version_id: i64) -> DbResult<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "SELECT id, version_id, position, parent_position, identifier, title, title_en, kind, launch, \
           captions, duration_seconds, required, runtime \
         FROM items WHERE version_id = $1 ORDER BY position",
    )
    .bind(version_id)
    .fetch_all(&db.pool)
    .await?)
}

#[tracing::instrument(skip(db))]
pub async fn item(db: &Db, item_id: i64) -> DbResult<ItemRow> {
    sqlx::query_as(
        "SELECT id, version_id, position, parent_position, identifier, title, title_en, kind, launch, \
           captions, duration_seconds, required, runtime \
         FROM items WHERE id = $1",
    )
    .bind(item_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound("lesson"))
}

/// The course a version belongs to.
pub async fn course_of_version(db: &Db, version_id: i64) -> DbResult<CourseRow> {
    sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE c.id = (SELECT course_id FROM course_versions WHERE id = $1)"
    ))
    .bind(version_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound("course version"))
}

/// The blob behind a path inside a version, with the version's creation time (for Last-Modified).
#[tracing::instrument(skip(db))]
pub async fn version_file(db: &Db, version_id: i64, path: &str) -> DbResult<VersionFileRow> {
    sqlx::query_as(
        "SELECT f.sha256, f.size, v.created_at FROM version_files f \
         JOIN course_versions v ON v.id = f.version_id WHERE f.version_id = $1 AND f.path = $2",
    )
    .bind(version_id)
    .bind(path)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound("file"))
}

/// Every file of a version with its size, by path: what an offline copy must hold.
#[tracing::instrument(skip(db))]
pub async fn version_file_sizes(db: &Db, version_id: i64) -> DbResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT path, size FROM version_files WHERE version_id = $1 ORDER BY path")
        .bind(version_id)
        .fetch_all(&db.pool)
        .await?)
}

/// Courses a teacher (their school's) or an admin (all) manages, unpublished included.
pub async fn managed(db: &Db, school_id: Option<i64>, all: bool) -> DbResult<Vec<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE c.latest_version_id IS NOT NULL \
         AND ($1 = 1 OR c.school_id = $2) ORDER BY c.updated_at DESC, c.id DESC"
    ))
    .bind(all as i64)
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn update_settings(db: &Db, course_id: i64, published: bool, visibility: Visibility) -> DbResult<()> {
    update_settings_in(&mut *db.pool.acquire().await?, course_id, published, visibility).await
}

/// [`update_settings`] in the caller's transaction (with the classes and the audit entry).
pub async fn update_settings_in(conn: &mut AnyConnection, course_id: i64, published: bool, visibility: Visibility) -> DbResult<()> {
    sqlx::query("UPDATE courses SET published = $1, visibility = $2, updated_at = $3 WHERE id = $4")
        .bind(published as i64)
        .bind(visibility.as_str())
        .bind(now_ms())
        .bind(course_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a course with all its versions, items and file references in one transaction;
/// blobs no other version uses become garbage for `courseware gc`. Learners' progress rows
/// go too; their events stay in the log (statistics count past study). Returns the ids of
/// the versions removed.
pub async fn delete(db: &Db, course_id: i64) -> DbResult<Vec<i64>> {
    let mut tx = db.pool.begin().await?;
    let versions = delete_in(&mut tx, course_id).await?;
    tx.commit().await?;
    Ok(versions)
}

/// [`delete`] in the caller's transaction (with the audit entry); returns the ids of the
/// versions removed.
pub async fn delete_in(conn: &mut AnyConnection, course_id: i64) -> DbResult<Vec<i64>> {
    // Read inside the transaction after its first write, so no version can slip in between.
    sqlx::query("DELETE FROM course_classes WHERE course_id = $1").bind(course_id).execute(&mut *conn).await?;
    let versions: Vec<(i64,)> = sqlx::query_as("SELECT id FROM course_versions WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(&mut *conn)
        .await?;
    for sql in [
        "DELETE FROM item_progress WHERE course_id = $1",
        "DELETE FROM course_progress WHERE course_id = $1",
        "DELETE FROM items WHERE version_id IN (SELECT id FROM course_versions WHERE course_id = $1)",
        "DELETE FROM version_files WHERE version_id IN (SELECT id FROM course_versions WHERE course_id = $1)",
        "DELETE FROM course_versions WHERE course_id = $1",
        "DELETE FROM courses WHERE id = $1",
    ] {
        sqlx::query(sql).bind(course_id).execute(&mut *conn).await?;
    }
    Ok(versions.into_iter().map(|v| v.0).collect())
}

/// Replaces the classes a course is assigned to, in the caller's transaction (with the
/// settings and the audit entry).
pub async fn set_classes_in(conn: &mut AnyConnection, course_id: i64, class_ids: &[i64]) -> DbResult<()> {
    sqlx::query("DELETE FROM course_classes WHERE course_id = $1").bind(course_id).execute(&mut *conn).await?;
    for class_id in class_ids {
        sqlx::query("INSERT INTO course_classes (course_id, class_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(course_id)
            .bind(class_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
