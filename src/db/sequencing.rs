//! SCORM 2004 sequencing state per learner and course version (`scorm_sequencing`), and
//! the learner's system-wide global objectives (`scorm_global_objectives`), both as JSON.

use super::{now_ms, Db, DbResult};

/// The stored state of `user_id` in `version_id`, if any.
#[tracing::instrument(skip(db))]
pub async fn state(db: &Db, user_id: i64, version_id: i64) -> DbResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT state FROM scorm_sequencing WHERE user_id = $1 AND version_id = $2")
        .bind(user_id)
        .bind(version_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

#[tracing::instrument(skip(db, state))]
pub async fn save_state(db: &Db, user_id: i64, version_id: i64, state: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO scorm_sequencing (user_id, version_id, state, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, version_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(version_id)
    .bind(state)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The learner's system-wide global objectives: `(objective id, state JSON)`.
#[tracing::instrument(skip(db))]
pub async fn global_objectives(db: &Db, user_id: i64) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT objective_id, state FROM scorm_global_objectives WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?)
}

#[tracing::instrument(skip(db, state))]
pub async fn save_global_objective(db: &Db, user_id: i64, objective_id: &str, state: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO scorm_global_objectives (user_id, objective_id, state, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, objective_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(objective_id)
    .bind(state)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}
