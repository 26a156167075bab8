//! Learner progress, reading side: what pages, the JSON API and teachers' reports show.

use super::progress::{CourseProgressRow, ItemProgressRow, COURSE_COLUMNS, ITEM_COLUMNS};
use super::{Db, DbResult};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct LearnerRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// Whose progress a teacher looks at: the members of one class, or everyone (of one school)
/// who has started the course.
#[derive(Debug, Clone, Copy)]
pub struct LearnerFilter {
    pub course_id: i64,
    pub school_id: Option<i64>,
    pub class_id: Option<i64>,
}

/// The users a [`LearnerFilter`] selects, as a SQL condition on `users u` over `$1`-`$3`.
const LEARNERS: &str = "($2 IS NULL OR u.school_id = $2) \
     AND ($3 IS NULL OR u.id IN (SELECT user_id FROM class_members WHERE class_id = $3)) \
     AND ($3 IS NOT NULL OR u.id IN (SELECT user_id FROM course_progress WHERE course_id = $1))";

/// One learner's item rows in one course.
pub async fn item_rows_of(db: &Db, user_id: i64, course_id: i64) -> DbResult<Vec<ItemProgressRow>> {
    Ok(sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM item_progress WHERE user_id = $1 AND course_id = $2"))
        .bind(user_id)
        .bind(course_id)
        .fetch_all(&db.pool)
        .await?)
}

/// One learner's rows of the given courses.
#[tracing::instrument(skip(db, course_ids))]
pub async fn course_rows_for(db: &Db, user_id: i64, course_ids: &[i64]) -> DbResult<Vec<CourseProgressRow>> {
    if course_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers from the database, so writing them into the SQL text is safe.
    let ids: Vec<String> = course_ids.iter().map(i64::to_string).collect();
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM course_progress WHERE user_id = $1 AND course_id IN ({})",
        ids.join(",")
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// A course a learner has started and not finished, with the lesson they were last on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentRow {
    pub course_id: i64,
    pub title: String,
    pub title_en: Option<String>,
    pub percent: i64,
    pub item_id: Option<i64>,
    pub item_title: Option<String>,
    pub item_title_en: Option<String>,
}

/// The learner's unfinished courses among those `visible_sql` (over `courses c`) lets them
/// see, most recently studied first.
#[tracing::instrument(skip(db, visible_sql))]
pub async fn recent_courses(db: &Db, user_id: i64, visible_sql: &str, limit: i64) -> DbResult<Vec<RecentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT p.course_id, c.title, c.title_en, p.percent, i.id AS item_id, i.title AS item_title, \
           i.title_en AS item_title_en \
         FROM course_progress p JOIN courses c ON c.id = p.course_id \
         LEFT JOIN items i ON i.version_id = c.latest_version_id AND i.identifier = p.last_item_key \
         WHERE p.user_id = $1 AND p.status IN ('in_progress', 'failed') AND {visible_sql} \
         ORDER BY p.last_access DESC, p.course_id LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn course_row(db: &Db, user_id: i64, course_id: i64) -> DbResult<Option<CourseProgressRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COURSE_COLUMNS} FROM course_progress WHERE user_id = $1 AND course_id = $2"))
        .bind(user_id)
        .bind(course_id)
        .fetch_optional(&db.pool)
        .await?)
}

/// The stored payload (JSON) of one of a learner's quiz attempts.
pub async fn quiz_attempt(db: &Db, user_id: i64, attempt_id: &str) -> DbResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT payload FROM progress_events WHERE user_id = $1 AND client_event_id = $2 AND kind = 'quiz'",
    )
    .bind(user_id)
    .bind(attempt_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.0))
}

/// A learner's quiz attempt with essays in it, for the teacher who marks them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EssayAttemptRow {
    pub user_id: i64,
    pub item_key: String,
    pub at: i64,
    pub payload: String,
}

/// Quiz attempts holding essays (`"pending"` in the stored outcome) by the learners a
/// filter selects, newest first.
#[tracing::instrument(skip(db))]
pub async fn essay_attempts(db: &Db, filter: LearnerFilter) -> DbResult<Vec<EssayAttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT user_id, item_key, at, payload FROM progress_events WHERE course_id = $1 AND kind = 'quiz' \
         AND payload LIKE '%\"pending\"%' AND user_id IN (SELECT u.id FROM users u WHERE {LEARNERS}) ORDER BY at DESC, id DESC"
    ))
    .bind(filter.course_id)
    .bind(filter.school_id)
    .bind(filter.class_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Classes of a school, by name, for the teacher's class picker.
pub async fn classes_of_school(db: &Db, school_id: i64) -> DbResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, name FROM classes WHERE school_id = $1 ORDER BY name")
        .bind(school_id)
        .fetch_all(&db.pool)
        .await?)
}

#[tracing::instrument(skip(db))]
pub async fn learners(db: &Db, filter: LearnerFilter) -> DbResult<Vec<LearnerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.id, u.username, u.display_name FROM users u WHERE {LEARNERS} ORDER BY u.display_name, u.id"
    ))
    .bind(filter.course_id)
    .bind(filter.school_id)
    .bind(filter.class_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Item and course rows of the learners a filter selects.
#[tracing::instrument(skip(db))]
pub async fn rows_of_learners(db: &Db, filter: LearnerFilter) -> DbResult<(Vec<ItemProgressRow>, Vec<CourseProgressRow>)> {
    let items = sqlx::query_as(&format!(
        "SELECT {ITEM_COLUMNS} FROM item_progress WHERE course_id = $1 \
         AND user_id IN (SELECT u.id FROM users u WHERE {LEARNERS})"
    ))
    .bind(filter.course_id)
    .bind(filter.school_id)
    .bind(filter.class_id)
    .fetch_all(&db.pool)
    .await?;
    let courses = sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM course_progress WHERE course_id = $1 \
         AND user_id IN (SELECT u.id FROM users u WHERE {LEARNERS})"
    ))
    .bind(filter.course_id)
    .bind(filter.school_id)
    .bind(filter.class_id)
    .fetch_all(&db.pool)
    .await?;
    Ok((items, courses))
}
