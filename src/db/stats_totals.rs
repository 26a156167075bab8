//! Usage statistics, the coarse totals of the 0007 migration: stored by the writer's (or a
//! rebuild's) transaction with the finest ones, and the regions that count each school.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::multirow::{chunks, Marks};
use super::progress_pg::{arrays_json, insert_from_arrays};
use super::DbResult;
use crate::domain::usage::{Coarse, Reach, Totals};

const MEASURES: [&str; 11] = [
    "events",
    "sessions",
    "study_ms",
    "video_ms",
    "started",
    "items_completed",
    "courses_completed",
    "score_centi_sum",
    "score_count",
    "learners",
    "learner_days",
];

/// Adds a batch's coarse totals. Rows go in key order (the maps are sorted), so concurrent
/// Postgres writers lock them in the same order.
pub async fn store(conn: &mut AnyConnection, coarse: &Coarse) -> DbResult<()> {
    let schools: Vec<(Vec<Key>, &Totals)> =
        coarse.schools.iter().map(|(&(school, p, start), t)| (vec![Key::Int(school), Key::Period(p), Key::Int(start)], t)).collect();
    upsert(conn, "stats_school_totals", &["school_id", "period", "start"], &schools).await?;
    let regions: Vec<(Vec<Key>, &Totals)> = coarse
        .regions
        .iter()
        .map(|(&(region, p, start, course), t)| (vec![Key::Int(region), Key::Period(p), Key::Int(start), Key::Int(course)], t))
        .collect();
    upsert(conn, "stats_region_totals", &["region_id", "period", "start", "course_id"], &regions).await
}

enum Key {
    Int(i64),
    Period(u8),
}

/// A row's measures, in [`MEASURES`] order.
fn values(t: &Totals) -> impl Iterator<Item = i64> {
    let m = &t.measures;
    [
        m.events,
        m.sessions,
        m.study_ms,
        m.video_ms,
        m.started,
        m.items_completed,
        m.courses_completed,
        m.score_centi_sum,
        m.score_count,
        t.learners,
        t.learner_days,
    ]
    .into_iter()
}

async fn upsert(conn: &mut AnyConnection, table: &str, keys: &[&str], rows: &[(Vec<Key>, &Totals)]) -> DbResult<()> {
    let cols = keys.len() + MEASURES.len();
    let updates: Vec<String> = MEASURES.iter().map(|m| format!("{m} = {table}.{m} + excluded.{m}")).collect();
    if let Marks::Numbered = Marks::of(conn) {
        // Postgres: the whole batch as one JSON parameter, one prepared statement.
        if rows.is_empty() {
            return Ok(());
        }
        let columns: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| (*k, if *k == "period" { "text" } else { "bigint" }))
            .chain(MEASURES.iter().map(|m| (*m, "bigint")))
            .collect();
        let sql = insert_from_arrays(table, &columns, &format!("ON CONFLICT ({}) DO UPDATE SET {}", keys.join(", "), updates.join(", ")));
        let json_rows: Vec<Vec<serde_json::Value>> = rows
            .iter()
            .map(|(key, t)| {
                key.iter()
                    .map(|k| match k {
                        Key::Int(v) => serde_json::Value::from(*v),
                        Key::Period(p) => serde_json::Value::from(super::stats_write::period_text(*p)),
                    })
                    .chain(values(t).map(serde_json::Value::from))
                    .collect()
            })
            .collect();
        sqlx::query(&sql).bind(arrays_json(&json_rows)?).execute(&mut *conn).await?;
        return Ok(());
    }
    for chunk in chunks(rows) {
        let sql = format!(
            "INSERT INTO {table} ({}, {}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            MEASURES.join(", "),
            Marks::of(conn).rows(chunk.len(), cols, ""),
            keys.join(", "),
            updates.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (key, t) in chunk {
            for k in key {
                query = match k {
                    Key::Int(v) => query.bind(*v),
                    Key::Period(p) => query.bind(super::stats_write::period_text(*p)),
                };
            }
            for v in values(t) {
                query = query.bind(v);
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The regions that count each school (see [`Reach`]); a school missing from the answer is
/// counted by region 0 only.
pub async fn reach(conn: &mut AnyConnection, school_ids: &[i64]) -> DbResult<Reach> {
    let mut out: Reach = school_ids.iter().map(|&s| (s, vec![0])).collect();
    let list = school_ids.iter().filter(|s| **s != 0).map(i64::to_string).collect::<Vec<_>>().join(",");
    if list.is_empty() {
        return Ok(out);
    }
    // Ids are integers from the database: safe to write into the SQL text. Regions are few
    // (a city's districts), so all of their parents are read at once.
    let schools: Vec<(i64, i64)> = sqlx::query_as(&format!("SELECT id, region_id FROM schools WHERE id IN ({list})")).fetch_all(&mut *conn).await?;
    let parents: HashMap<i64, Option<i64>> = sqlx::query_as::<_, (i64, Option<i64>)>("SELECT id, parent_id FROM regions").fetch_all(&mut *conn).await?.into_iter().collect();
    for (school, region) in schools {
        let chain = out.entry(school).or_default();
        let mut at = Some(region);
        // A cycle cannot be made through the CLI, but a bound costs nothing.
        while let Some(r) = at.filter(|_| chain.len() <= parents.len()) {
            chain.push(r);
            at = parents.get(&r).copied().flatten();
        }
    }
    Ok(out)
}

/// Empties the coarse totals (a rebuild stores them again).
pub async fn clear(conn: &mut AnyConnection) -> DbResult<()> {
    for table in ["stats_school_totals", "stats_region_totals"] {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *conn).await?;
    }
    Ok(())
}

