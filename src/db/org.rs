//! The organisation tree: regions (city > county/district), schools, classes, memberships.

use super::{now_ms, Db, DbError, DbResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RegionRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SchoolRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region_id: i64,
}

fn unique_violation(err: sqlx::Error, what: String) -> DbError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Conflict(what),
        _ => DbError::Sqlx(err),
    }
}

pub async fn add_region(db: &Db, code: &str, name: &str, parent_id: Option<i64>) -> DbResult<i64> {
    add_region_in(&mut *db.pool.acquire().await?, code, name, parent_id).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn add_region_in(conn: &mut AnyConnection, code: &str, name: &str, parent_id: Option<i64>) -> DbResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO regions (code, name, parent_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(parent_id)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_violation(e, format!("region {code} already exists")))?;
    Ok(id)
}

pub async fn region_by_code(db: &Db, code: &str) -> DbResult<RegionRow> {
    sqlx::query_as("SELECT id, code, name, parent_id FROM regions WHERE code = $1")
        .bind(code)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(DbError::NotFound("region"))
}

pub async fn regions(db: &Db) -> DbResult<Vec<RegionRow>> {
    Ok(sqlx::query_as("SELECT id, code, name, parent_id FROM regions ORDER BY code")
        .fetch_all(&db.pool)
        .await?)
}

pub async fn add_school(db: &Db, code: &str, name: &str, region_id: i64) -> DbResult<i64> {
    add_school_in(&mut *db.pool.acquire().await?, code, name, region_id).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn add_school_in(conn: &mut AnyConnection, code: &str, name: &str, region_id: i64) -> DbResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO schools (code, name, region_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(region_id)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_violation(e, format!("school {code} already exists")))?;
    Ok(id)
}

pub async fn school_by_code(db: &Db, code: &str) -> DbResult<SchoolRow> {
    sqlx::query_as("SELECT id, code, name, region_id FROM schools WHERE code = $1")
        .bind(code)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(DbError::NotFound("school"))
}

pub async fn school(db: &Db, id: i64) -> DbResult<SchoolRow> {
    sqlx::query_as("SELECT id, code, name, region_id FROM schools WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(DbError::NotFound("school"))
}

/// The class of a school with this name, created if missing.
pub async fn ensure_class(db: &Db, school_id: i64, name: &str) -> DbResult<i64> {
    sqlx::query(
        "INSERT INTO classes (school_id, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (school_id, name) DO NOTHING",
    )
    .bind(school_id)
    .bind(name)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM classes WHERE school_id = $1 AND name = $2")
        .bind(school_id)
        .bind(name)
        .fetch_one(&db.pool)
        .await?;
    Ok(id)
}

pub async fn add_member(db: &Db, class_id: i64, user_id: i64) -> DbResult<()> {
    sqlx::query("INSERT INTO class_members (class_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(class_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A region and every region below it, for scoping bureau officers.
pub async fn region_subtree(db: &Db, region_id: i64) -> DbResult<Vec<i64>> {
    Ok(subtree_of(&regions(db).await?, region_id))
}

/// `region_id` and every region below it, among `all`.
pub fn subtree_of(all: &[RegionRow], region_id: i64) -> Vec<i64> {
    let mut ids = vec![region_id];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i];
        ids.extend(all.iter().filter(|r| r.parent_id == Some(parent)).map(|r| r.id));
        i += 1;
    }
    ids
}

/// Schools whose region is one of `region_ids`.
pub async fn schools_in_regions(db: &Db, region_ids: &[i64]) -> DbResult<Vec<i64>> {
    if region_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = region_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let rows: Vec<(i64,)> = sqlx::query_as(&format!("SELECT id FROM schools WHERE region_id IN ({list})"))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn schools(db: &Db) -> DbResult<Vec<SchoolRow>> {
    Ok(sqlx::query_as("SELECT id, code, name, region_id FROM schools ORDER BY code")
        .fetch_all(&db.pool)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ClassRow {
    pub id: i64,
    pub name: String,
}

pub async fn classes(db: &Db, school_id: i64) -> DbResult<Vec<ClassRow>> {
    Ok(sqlx::query_as("SELECT id, name FROM classes WHERE school_id = $1 ORDER BY name")
        .bind(school_id)
        .fetch_all(&db.pool)
        .await?)
}
