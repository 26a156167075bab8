//! Server-side sessions, API tokens and login throttling. Tokens are stored as SHA-256 hashes.

use super::users::UserRow;
use sqlx::AnyConnection;
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
    create_in(&mut *db.pool.acquire().await?, token_hash, user_id, csrf, expires_at).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn create_in(conn: &mut AnyConnection, token_hash: &str, user_id: i64, csrf: &str, expires_at: i64) -> DbResult<()> {
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
    .execute(&mut *conn)
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
    delete_in(&mut *db.pool.acquire().await?, token_hash).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn delete_in(conn: &mut AnyConnection, token_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change or reset).
pub async fn delete_for_user(db: &Db, user_id: i64) -> DbResult<()> {
    delete_for_user_in(&mut *db.pool.acquire().await?, user_id).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn delete_for_user_in(conn: &mut AnyConnection, user_id: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
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

/// How a throttle key's allowance is spent: `free` attempts, then each further one only
/// after a delay that starts at `first_delay_ms` and doubles up to `max_delay_ms`; a key
/// left alone for `reset_after_ms` starts afresh.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub free: i64,
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
    pub reset_after_ms: i64,
}

/// Takes one attempt from `key`'s allowance, or refuses. The decision and the count are one
/// upsert (row-locked on Postgres, under the write lock on SQLite), so parallel requests and
/// several server instances see each other's reservations. `Ok(None)` is a granted
/// reservation; `Ok(Some(at))` a refusal, with the unix ms when the next one may be granted.
#[tracing::instrument(skip_all, fields(key))]
pub async fn reserve_login_attempt(db: &Db, key: &str, rule: ThrottleRule, now: i64) -> DbResult<Option<i64>> {
    let granted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO login_throttle (scope_key, attempts, last_at, delay_ms) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (scope_key) DO UPDATE SET \
           attempts = CASE WHEN $2 - login_throttle.last_at >= $3 THEN 1 ELSE login_throttle.attempts + 1 END, \
           delay_ms = CASE WHEN $2 - login_throttle.last_at >= $3 OR login_throttle.attempts + 1 < $4 THEN 0 \
                           WHEN login_throttle.delay_ms = 0 THEN $5 \
                           WHEN login_throttle.delay_ms * 2 > $6 THEN $6 \
                           ELSE login_throttle.delay_ms * 2 END, \
           last_at = $2 \
         WHERE $2 - login_throttle.last_at >= $3 OR login_throttle.attempts < $4 \
           OR $2 >= login_throttle.last_at + login_throttle.delay_ms \
         RETURNING attempts",
    )
    .bind(key)
    .bind(now)
    .bind(rule.reset_after_ms)
    .bind(rule.free)
    .bind(rule.first_delay_ms)
    .bind(rule.max_delay_ms)
    .fetch_optional(&db.pool)
    .await?;
    if granted.is_some() {
        return Ok(None);
    }
    let next: Option<(i64,)> = sqlx::query_as("SELECT last_at + delay_ms FROM login_throttle WHERE scope_key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(Some(next.map_or(now, |(at,)| at)))
}

/// Gives back a reservation that turned out to be the right password (the key's count is
/// for failures; a school's shared address must not run out through successes).
pub async fn release_login_attempt(db: &Db, key: &str) -> DbResult<()> {
    sqlx::query("UPDATE login_throttle SET attempts = attempts - 1 WHERE scope_key = $1 AND attempts > 0")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forgets throttle keys: exact ones, and any starting with `prefix` when given.
pub async fn clear_login_throttle(db: &Db, keys: &[&str], prefix: Option<&str>) -> DbResult<u64> {
    clear_login_throttle_in(&mut *db.pool.acquire().await?, keys, prefix).await
}

/// The same, on a connection or inside the caller's transaction.
pub async fn clear_login_throttle_in(conn: &mut AnyConnection, keys: &[&str], prefix: Option<&str>) -> DbResult<u64> {
    let mut cleared = 0;
    for key in keys {
        cleared += sqlx::query("DELETE FROM login_throttle WHERE scope_key = $1").bind(*key).execute(&mut *conn).await?.rows_affected();
    }
    if let Some(prefix) = prefix {
        // Compared as text, not with LIKE: usernames may contain `%` and `_`.
        cleared += sqlx::query("DELETE FROM login_throttle WHERE substr(scope_key, 1, length($1)) = $1")
            .bind(prefix)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(cleared)
}

/// Remembers that `user_id` signed in from `address`.
pub async fn remember_login_address(db: &Db, user_id: i64, address: &str, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO login_known_addresses (user_id, address, last_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, address) DO UPDATE SET last_at = excluded.last_at",
    )
    .bind(user_id)
    .bind(address)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Whether `username`'s account signed in from `address` since `since` (unix ms).
pub async fn is_known_login_address(db: &Db, username: &str, address: &str, since: i64) -> DbResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT k.user_id FROM login_known_addresses k JOIN users u ON u.id = k.user_id \
         WHERE u.username = $1 AND k.address = $2 AND k.last_at >= $3",
    )
    .bind(username)
    .bind(address)
    .bind(since)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}
