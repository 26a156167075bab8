//! Users: creation and lookup. Passwords arrive here already hashed.

use super::{now_ms, Db, DbResult};

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
