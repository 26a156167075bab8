//! SCORM attempts: the CMI state per learner, SCO and attempt (`scorm_attempts`).

use super::{Db, DbResult};

/// Which learner's which SCO: progress is kept against the item's stable identifier.
#[derive(Debug, Clone, Copy)]
pub struct ScoKey<'a> {
    pub user_id: i64,
    pub course_id: i64,
    pub item_key: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AttemptRow {
    pub item_key: String,
    pub attempt: i64,
    pub item_id: i64,
    pub session: i64,
    pub scorm_version: String,
    #[serde(skip)]
    pub state: String,
    pub terminated: i64,
    pub completion: String,
    pub success: String,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub location: Option<String>,
    pub total_seconds: f64,
    pub updated_at: i64,
}

const COLUMNS: &str = "item_key, attempt, item_id, session, scorm_version, state, terminated, completion, \
     success, score_scaled, score_raw, location, total_seconds, updated_at";

/// The newest attempt of one SCO, if the learner ever launched it.
pub async fn latest(db: &Db, key: ScoKey<'_>) -> DbResult<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM scorm_attempts WHERE user_id = $1 AND course_id = $2 AND item_key = $3 \
         ORDER BY attempt DESC LIMIT 1"
    ))
    .bind(key.user_id)
    .bind(key.course_id)
    .bind(key.item_key)
    .fetch_optional(&db.pool)
    .await?)
}

/// The newest attempt of every SCO of a course the learner launched.
pub async fn latest_of_course(db: &Db, user_id: i64, course_id: i64) -> DbResult<Vec<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM scorm_attempts a WHERE user_id = $1 AND course_id = $2 \
         AND attempt = (SELECT MAX(attempt) FROM scorm_attempts b \
           WHERE b.user_id = a.user_id AND b.course_id = a.course_id AND b.item_key = a.item_key) \
         ORDER BY item_key"
    ))
    .bind(user_id)
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Inserts or replaces one attempt row whole. Callers serialise writes per SCO (see
/// `scorm::runtime`), so a plain upsert cannot lose a concurrent update.
pub async fn save(db: &Db, key: ScoKey<'_>, row: &AttemptRow) -> DbResult<()> {
    // Nullable floats: prepared per use on Postgres (see db::progress for why).
    sqlx::query(&format!(
        "INSERT INTO scorm_attempts (user_id, course_id, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (user_id, course_id, item_key, attempt) DO UPDATE SET \
           item_id = excluded.item_id, session = excluded.session, scorm_version = excluded.scorm_version, \
           state = excluded.state, terminated = excluded.terminated, completion = excluded.completion, \
           success = excluded.success, score_scaled = excluded.score_scaled, score_raw = excluded.score_raw, \
           location = excluded.location, total_seconds = excluded.total_seconds, updated_at = excluded.updated_at"
    ))
    .persistent(false)
    .bind(key.user_id)
    .bind(key.course_id)
    .bind(key.item_key)
    .bind(row.attempt)
    .bind(row.item_id)
    .bind(row.session)
    .bind(&row.scorm_version)
    .bind(&row.state)
    .bind(row.terminated)
    .bind(&row.completion)
    .bind(&row.success)
    .bind(row.score_scaled)
    .bind(row.score_raw)
    .bind(&row.location)
    .bind(row.total_seconds)
    .bind(row.updated_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}
