//! Server-side sessions, API tokens and login throttling. Tokens are stored as SHA-256 hashes.

use super::users::UserRow;
use super::{now_ms, Db, DbResult};

const USER_COLUMNS: &str =
    "u.id, u.username, u.display_name, u.password_hash, u.role, u.school_id, u.region_id, u.disabled";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn create(db: &Db, token_hash: &str, user_id: i64, csrf: &str, expires_at: i64) -> DbResult<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The session's user if the session exists, has not expired and the user is enabled.
pub async fn find(db: &Db, token_hash: &str) -> DbResult<Option<(SessionRow, UserRow)>> {
    let row: Option<(String, i64, i64, i64, String, String, String, String, Option<i64>, Option<i64>, i64)> =
        sqlx::query_as(&format!(
            "SELECT s.csrf_token, s.last_seen_at, s.expires_at, {USER_COLUMNS} FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = 0"
        ))
        .bind(token_hash)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| {
        (
            SessionRow { csrf_token: r.0, last_seen_at: r.1, expires_at: r.2 },
            UserRow {
                id: r.3,
                username: r.4,
                display_name: r.5,
                password_hash: r.6,
                role: r.7,
                school_id: r.8,
                region_id: r.9,
                disabled: r.10,
            },
        )
    }))
}

/// Records activity at most once a minute per session, to keep writes off the hot path.
pub async fn touch(db: &Db, token_hash: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3")
        .bind(now)
        .bind(token_hash)
        .bind(now - 60_000)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, token_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change or reset).
pub async fn delete_for_user(db: &Db, user_id: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn insert_token(db: &Db, user_id: i64, name: &str, token_hash: &str) -> DbResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}

/// The user behind an unrevoked API token.
pub async fn find_token_user(db: &Db, token_hash: &str) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
    ))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn revoke_token(db: &Db, token_id: i64) -> DbResult<bool> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(token_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn record_login_failure(db: &Db, keys: &[&str]) -> DbResult<()> {
    let now = now_ms();
    for key in keys {
        sqlx::query("INSERT INTO login_failures (scope_key, at) VALUES ($1, $2)")
            .bind(*key)
            .bind(now)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

pub async fn count_login_failures(db: &Db, key: &str, since: i64) -> DbResult<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM login_failures WHERE scope_key = $1 AND at >= $2",
    )
    .bind(key)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

pub async fn clear_login_failures(db: &Db, key: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE scope_key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}
