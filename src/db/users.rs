//! Users: creation and lookup. Passwords arrive here already hashed.

use super::{now_ms, Db, DbError, DbResult};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub school_id: Option<i64>,
    pub region_id: Option<i64>,
    pub disabled: i64,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub school_id: Option<i64>,
    pub region_id: Option<i64>,
}

/// Inserts a user unless the username is taken; returns whether a row was written.
#[tracing::instrument(skip(db, user), fields(username = user.username))]
pub async fn insert_if_absent(db: &Db, user: &NewUser<'_>) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, school_id, region_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.school_id)
    .bind(user.region_id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn find_by_username(db: &Db, username: &str) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT id, username, display_name, password_hash, role, school_id, region_id, disabled \
         FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&db.pool)
    .await?)
}

/// Inserts a user; a taken username is a conflict naming it.
#[tracing::instrument(skip(db, user), fields(username = user.username))]
pub async fn insert(db: &Db, user: &NewUser<'_>) -> DbResult<i64> {
    insert_in(&mut *db.pool.acquire().await?, user).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn insert_in(conn: &mut AnyConnection, user: &NewUser<'_>) -> DbResult<i64> {
    let result: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO users (username, display_name, password_hash, role, school_id, region_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.school_id)
    .bind(user.region_id)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await;
    match result {
        Ok((id,)) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(DbError::Conflict(format!("username {} is taken", user.username)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_password(db: &Db, user_id: i64, password_hash: &str) -> DbResult<()> {
    set_password_in(&mut *db.pool.acquire().await?, user_id, password_hash).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn set_password_in(conn: &mut AnyConnection, user_id: i64, password_hash: &str) -> DbResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(db: &Db, user_id: i64) -> DbResult<UserRow> {
    sqlx::query_as(
        "SELECT id, username, display_name, password_hash, role, school_id, region_id, disabled \
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(DbError::NotFound("user"))
}

/// Ids of the classes a user belongs to.
pub async fn class_ids(db: &Db, user_id: i64) -> DbResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT class_id FROM class_members WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub school: Option<String>,
    pub region: Option<String>,
}

/// Accounts for the admin page, newest first.
pub async fn list(db: &Db, limit: i64) -> DbResult<Vec<UserListRow>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, s.code AS school, r.code AS region FROM users u \
         LEFT JOIN schools s ON s.id = u.school_id LEFT JOIN regions r ON r.id = u.region_id \
         ORDER BY u.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
