//! cmi5 launch sessions, the xAPI statements AUs send, and their activity state documents.

use super::{Db, DbResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub session_id: String,
    pub registration: String,
    pub user_id: i64,
    pub course_id: i64,
    pub item_id: i64,
    pub item_key: String,
    pub fetch_token: String,
    pub fetched: i64,
    pub auth_hash: String,
    pub created_at: i64,
    /// The xAPI agent of the launch, as JSON.
    pub actor: String,
    /// The learner's languages in order of preference (RFC 5646 tags, comma-separated).
    pub language: String,
}

const COLUMNS: &str = "session_id, registration, user_id, course_id, item_id, item_key, fetch_token, fetched, auth_hash, created_at, actor, language";

pub async fn insert_session(db: &Db, s: &SessionRow) -> DbResult<()> {
    sqlx::query(&format!("INSERT INTO cmi5_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
        .bind(&s.session_id)
        .bind(&s.registration)
        .bind(s.user_id)
        .bind(s.course_id)
        .bind(s.item_id)
        .bind(&s.item_key)
        .bind(&s.fetch_token)
        .bind(s.fetched)
        .bind(&s.auth_hash)
        .bind(s.created_at)
        .bind(&s.actor)
        .bind(&s.language)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Marks the fetch URL used; true only for the first caller (the URL is one-time).
pub async fn take_fetch(db: &Db, fetch_token: &str) -> DbResult<Option<SessionRow>> {
    let done = sqlx::query("UPDATE cmi5_sessions SET fetched = 1 WHERE fetch_token = $1 AND fetched = 0")
        .bind(fetch_token)
        .execute(&db.pool)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM cmi5_sessions WHERE fetch_token = $1"))
        .bind(fetch_token)
        .fetch_optional(&db.pool)
        .await?)
}

pub async fn session_by_auth(db: &Db, auth_hash: &str) -> DbResult<Option<SessionRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM cmi5_sessions WHERE auth_hash = $1"))
        .bind(auth_hash)
        .fetch_optional(&db.pool)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementRow {
    pub id: String,
    pub verb: String,
    pub statement: String,
}

/// Stores a statement of session `s` about `item_key` (the AU, or for the LMS's own
/// statements the block or course); false when its id is already stored (statements are
/// immutable).
pub async fn insert_statement(db: &Db, s: &SessionRow, item_key: &str, id: &str, verb: &str, statement: &str, now: i64) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO cmi5_statements (id, session_id, registration, user_id, item_key, verb, statement, stored_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(&s.session_id)
    .bind(&s.registration)
    .bind(s.user_id)
    .bind(item_key)
    .bind(verb)
    .bind(statement)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored statement by id, whoever sent it: ids are unique across the whole store.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredStatementRow {
    pub user_id: i64,
    pub statement: String,
}

pub async fn statement_by_id(db: &Db, id: &str) -> DbResult<Option<StoredStatementRow>> {
    Ok(sqlx::query_as("SELECT user_id, statement FROM cmi5_statements WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// (item_key, verb) of every statement of a registration: what each AU reported and what
/// the LMS already said about blocks and the course.
pub async fn registration_verbs(db: &Db, registration: &str) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT item_key, verb FROM cmi5_statements WHERE registration = $1")
        .bind(registration)
        .fetch_all(&db.pool)
        .await?)
}

/// Statements of one learner's registration for one AU, oldest first.
pub async fn statements(db: &Db, registration: &str, item_key: &str) -> DbResult<Vec<StatementRow>> {
    Ok(sqlx::query_as(
        "SELECT id, verb, statement FROM cmi5_statements WHERE registration = $1 AND item_key = $2 ORDER BY stored_at, id",
    )
    .bind(registration)
    .bind(item_key)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get_state(db: &Db, registration: &str, activity_id: &str, state_id: &str) -> DbResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT document FROM cmi5_state WHERE registration = $1 AND activity_id = $2 AND state_id = $3",
    )
    .bind(registration)
    .bind(activity_id)
    .bind(state_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn put_state(db: &Db, registration: &str, activity_id: &str, state_id: &str, document: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO cmi5_state (registration, activity_id, state_id, document) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (registration, activity_id, state_id) DO UPDATE SET document = excluded.document",
    )
    .bind(registration)
    .bind(activity_id)
    .bind(state_id)
    .bind(document)
    .execute(&db.pool)
    .await?;
    Ok(())
}
