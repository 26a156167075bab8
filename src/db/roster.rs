//! Applying a roster import: every good row in one transaction, so a failure writes nothing.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::{now_ms, Db, DbResult};
use crate::domain::roster::{Existing, RosterRow};

/// Accounts that already use any of these usernames.
pub async fn existing(db: &Db, usernames: &[String]) -> DbResult<HashMap<String, Existing>> {
    let mut out = HashMap::new();
    for chunk in usernames.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT username, role, school_id FROM users WHERE username IN ({})", placeholders.join(","));
        let mut query = sqlx::query_as::<_, (String, String, Option<i64>)>(&sql);
        for name in chunk {
            query = query.bind(name);
        }
        for (username, role, school_id) in query.fetch_all(&db.pool).await? {
            out.insert(username, Existing { role, school_id });
        }
    }
    Ok(out)
}

/// Creates the new students (with the given password hashes), updates the names of
/// existing ones, and puts everyone into their class (and out of the school's other
/// classes), in the caller's transaction (with the import's audit entry).
pub async fn apply_in(conn: &mut AnyConnection, school_id: i64, new: &[(RosterRow, String)], updated: &[RosterRow]) -> DbResult<()> {
    let now = now_ms();
    let (region_id,): (i64,) = sqlx::query_as("SELECT region_id FROM schools WHERE id = $1")
        .bind(school_id)
        .fetch_one(&mut *conn)
        .await?;
    for (row, hash) in new {
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, school_id, region_id, created_at) \
             VALUES ($1, $2, $3, 'student', $4, $5, $6)",
        )
        .bind(&row.username)
        .bind(&row.name)
        .bind(hash)
        .bind(school_id)
        .bind(region_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    for row in updated {
        sqlx::query("UPDATE users SET display_name = $1 WHERE username = $2 AND school_id = $3 AND role = 'student'")
            .bind(&row.name)
            .bind(&row.username)
            .bind(school_id)
            .execute(&mut *conn)
            .await?;
    }
    for row in new.iter().map(|(r, _)| r).chain(updated.iter()) {
        sqlx::query("INSERT INTO classes (school_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (school_id, name) DO NOTHING")
            .bind(school_id)
            .bind(&row.class)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "DELETE FROM class_members WHERE user_id = (SELECT id FROM users WHERE username = $1) \
             AND class_id IN (SELECT id FROM classes WHERE school_id = $2)",
        )
        .bind(&row.username)
        .bind(school_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO class_members (class_id, user_id) \
             SELECT c.id, u.id FROM classes c, users u WHERE c.school_id = $1 AND c.name = $2 AND u.username = $3",
        )
        .bind(school_id)
        .bind(&row.class)
        .bind(&row.username)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The students of a school with their classes, for the roster page.
pub async fn students(db: &Db, school_id: i64) -> DbResult<Vec<(String, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT u.username, u.display_name, \
           (SELECT MIN(c.name) FROM class_members m JOIN classes c ON c.id = m.class_id WHERE m.user_id = u.id) \
         FROM users u WHERE u.school_id = $1 AND u.role = 'student' ORDER BY u.username",
    )
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?)
}
