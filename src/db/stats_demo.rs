//! SQL of `courseware demo-data`: the organisation, learners and courses it creates. Each
//! insert is skipped when its natural key exists, so running the command again adds nothing.

use super::{now_ms, Db, DbResult};

/// Region by code, created under `parent` if absent.
pub async fn region(db: &Db, code: &str, name: &str, parent: Option<i64>) -> DbResult<i64> {
    sqlx::query("INSERT INTO regions (code, name, parent_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
        .bind(code)
        .bind(name)
        .bind(parent)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM regions WHERE code = $1").bind(code).fetch_one(&db.pool).await?)
}

pub async fn school(db: &Db, code: &str, name: &str, region: i64) -> DbResult<i64> {
    sqlx::query("INSERT INTO schools (code, name, region_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
        .bind(code)
        .bind(name)
        .bind(region)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM schools WHERE code = $1").bind(code).fetch_one(&db.pool).await?)
}

pub async fn class(db: &Db, school: i64, name: &str) -> DbResult<i64> {
    sqlx::query("INSERT INTO classes (school_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (school_id, name) DO NOTHING")
        .bind(school)
        .bind(name)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM classes WHERE school_id = $1 AND name = $2").bind(school).bind(name).fetch_one(&db.pool).await?)
}

/// Users in one transaction: `(username, display name, role, school, region, class)`.
pub async fn users(db: &Db, password_hash: &str, rows: &[(String, String, &str, Option<i64>, Option<i64>, Option<i64>)]) -> DbResult<Vec<i64>> {
    let mut tx = db.pool.begin().await?;
    let mut ids = Vec::with_capacity(rows.len());
    for (username, name, role, school, region, class) in rows {
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, school_id, region_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username.as_str())
        .bind(name.as_str())
        .bind(password_hash)
        .bind(*role)
        .bind(*school)
        .bind(*region)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1").bind(username.as_str()).fetch_one(&mut *tx).await?;
        if let Some(class) = class {
            sqlx::query("INSERT INTO class_members (class_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(*class)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// A demo course: `items` are `(identifier, title, kind, duration seconds)`. Returns the
/// course and its item ids; an existing course (same slug) is returned as it is.
pub async fn course(
    db: &Db,
    slug: &str,
    title: &str,
    subject: &str,
    grade: &str,
    region: i64,
    items: &[(&str, &str, &str, Option<i64>)],
) -> DbResult<(i64, Vec<i64>)> {
    let existing: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, latest_version_id FROM courses WHERE owner_key = 'demo-data' AND slug = $1 AND latest_version_id IS NOT NULL")
            .bind(slug)
            .fetch_optional(&db.pool)
            .await?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let (course, version) = match existing {
        Some(found) => found,
        None => {
            let course: i64 = sqlx::query_scalar(
                "INSERT INTO courses (owner_key, slug, title, subject, grade, format, visibility, published, region_id, \
                   created_at, updated_at) VALUES ('demo-data', $1, $2, $3, $4, 'native', 'region', 1, $5, $6, $6) RETURNING id",
            )
            .bind(slug)
            .bind(title)
            .bind(subject)
            .bind(grade)
            .bind(region)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let version: i64 = sqlx::query_scalar(
                "INSERT INTO course_versions (course_id, version, format, created_at) VALUES ($1, 1, 'native', $2) RETURNING id",
            )
            .bind(course)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (position, (identifier, title, kind, duration)) in items.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO items (version_id, position, identifier, title, kind, launch, duration_seconds) \
                     VALUES ($1, $2, $3, $4, $5, 'index.html', $6)",
                )
                .bind(version)
                .bind(position as i64)
                .bind(*identifier)
                .bind(*title)
                .bind(*kind)
                .bind(*duration)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE courses SET latest_version_id = $1 WHERE id = $2").bind(version).bind(course).execute(&mut *tx).await?;
            (course, version)
        }
    };
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM items WHERE version_id = $1 ORDER BY position")
        .bind(version)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((course, ids))
}
