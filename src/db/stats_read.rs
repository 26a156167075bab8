//! Usage statistics, reading side. Every query reads the totals (`stats_daily`,
//! `stats_active`, `stats_media`), never the event log, and is bounded by a date range and
//! the reader's schools, which the indexes on (school_id, day) serve.

use crate::domain::usage::Measures;
use super::{Db, DbResult};

/// What a dashboard covers. Ids are integers from the database or the URL (parsed as
/// integers), so they are written into the SQL text.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `None`: every school (administrators).
    pub schools: Option<Vec<i64>>,
    pub class_id: Option<i64>,
    pub course_id: Option<i64>,
    pub from_day: i64,
    pub to_day: i64,
    /// `Some(r)`: `schools` are exactly those under region `r` (0: every school, and
    /// learners without one), so the region's own totals answer.
    pub region: Option<i64>,
    /// Read only the finest totals (day x school x class x course), never the coarse ones:
    /// what the coarse totals must agree with.
    pub finest: bool,
}

impl Filter {
    fn conditions(&self, time_column: &str, from: i64) -> String {
        self.conditions_marked(time_column, from, "")
    }

    /// [`Self::conditions`] with `mark` before the school and class columns: `+` keeps
    /// SQLite from choosing their indexes.
    fn conditions_marked(&self, time_column: &str, from: i64, mark: &str) -> String {
        let mut sql = format!("{time_column} BETWEEN {from} AND {}", self.to_day);
        if let Some(schools) = &self.schools {
            let list = if schools.is_empty() { "NULL".into() } else { schools.iter().map(i64::to_string).collect::<Vec<_>>().join(",") };
            sql.push_str(&format!(" AND {mark}school_id IN ({list})"));
        }
        if let Some(class) = self.class_id {
            sql.push_str(&format!(" AND {mark}class_id = {class}"));
        }
        sql
    }
}

/// Coarse totals that answer a whole dashboard's series (see the 0007 migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coarse {
    Region(i64),
    School(i64),
}

impl Filter {
    /// The coarse totals that answer this filter, if any: a region's, or one school's when
    /// no class or course narrows it.
    pub fn coarse(&self) -> Option<Coarse> {
        if self.finest || self.class_id.is_some() || self.course_id.is_some() {
            return None;
        }
        match (self.region, self.schools.as_deref()) {
            (Some(r), _) => Some(Coarse::Region(r)),
            (None, Some([school])) => Some(Coarse::School(*school)),
            _ => None,
        }
    }

    /// Whether the per-school totals can compare this filter's schools.
    pub fn by_school_totals(&self) -> bool {
        !self.finest && self.class_id.is_none() && self.course_id.is_none()
    }
}

/// How rows are grouped: a fixed column name, never user input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Course,
    School,
    Class,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Course => "course_id",
            GroupBy::School => "school_id",
            GroupBy::Class => "class_id",
        }
    }
}

type MeasureRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// Sums of the measures per group, ordered by the group key.
pub async fn measures(db: &Db, f: &Filter, by: GroupBy) -> DbResult<Vec<(i64, Measures)>> {
    let key = if by == GroupBy::Day { "day" } else { by.column() };
    let mut cond = f.conditions("day", f.from_day);
    if let Some(course) = f.course_id {
        cond.push_str(&format!(" AND course_id = {course}"));
    }
    let sums = sums(&["events", "sessions", "study_ms", "video_ms", "started", "items_completed", "courses_completed", "score_centi_sum", "score_count"]);
    let sql = format!("SELECT {key}, {sums} FROM stats_daily WHERE {cond} GROUP BY {key} ORDER BY {key}");
    let rows: Vec<MeasureRow> = sqlx::query_as(&sql).fetch_all(&db.pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (r.0, Measures { events: r.1, sessions: r.2, study_ms: r.3, video_ms: r.4, started: r.5, items_completed: r.6, courses_completed: r.7, score_centi_sum: r.8, score_count: r.9 })
        })
        .collect())
}

/// Distinct active learners per group in periods of `period` ('d', 'w', 'm') starting
/// between `from` and the filter's last day. Grouped by day it is the per-period series;
/// grouped otherwise it adds up daily counts (learner-days), as distinct learners over a
/// range are only kept per week and month.
pub async fn learners(db: &Db, f: &Filter, by: GroupBy, period: char, from: i64) -> DbResult<Vec<(i64, i64)>> {
    let key = if by == GroupBy::Day { "start" } else { by.column() };
    let mut cond = f.conditions("start", from);
    cond.push_str(&format!(" AND period = '{}'", if matches!(period, 'd' | 'w' | 'm') { period } else { 'd' }));
    // "Every course" and "all courses" each match about half the rows: the unary `+` keeps
    // SQLite (which has no statistics to tell) from reading them through the course index
    // instead of the school one, every school's rows of the range instead of one school's.
    match (f.course_id, by) {
        (Some(course), _) => cond.push_str(&format!(" AND course_id = {course}")),
        (None, GroupBy::Course) => cond.push_str(" AND +course_id > 0"),
        (None, _) => cond.push_str(" AND +course_id = 0"),
    }
    let sql = format!("SELECT {key}, {} FROM stats_active WHERE {cond} GROUP BY {key} ORDER BY {key}", sums(&["learners"]));
    Ok(sqlx::query_as(&sql).fetch_all(&db.pool).await?)
}

/// Measures, distinct learners and learner-days per group key.
pub type TotalsRow = (i64, Measures, i64, i64);

/// Per day from `from` to `to`: measures, distinct learners (and learner-days, the same).
pub async fn coarse_days(db: &Db, src: Coarse, from: i64, to: i64) -> DbResult<Vec<TotalsRow>> {
    let (table, cond) = coarse_source(src);
    sum_totals(db, table, "start", &cond, &[('d', from, to)], &TOTALS).await
}

/// Distinct learners per week ('w') or month ('m') starting between `from` and `to`.
pub async fn coarse_learners(db: &Db, src: Coarse, period: char, from: i64, to: i64) -> DbResult<Vec<(i64, i64)>> {
    let (table, cond) = coarse_source(src);
    let period = if period == 'm' { 'm' } else { 'w' };
    Ok(sum_totals(db, table, "start", &cond, &[(period, from, to)], &["learners"]).await?.into_iter().map(|r| (r.0, r.2)).collect())
}

/// Per course of region `region`, over `from..=to`: the measures a course table shows, and
/// learner-days.
pub async fn coarse_courses(db: &Db, region: i64, from: i64, to: i64) -> DbResult<Vec<TotalsRow>> {
    sum_spans(db, "stats_region_totals", "course_id", &format!("region_id = {region} AND course_id > 0"), from, to).await
}

/// Per school of `f` (every school when it names none), over its range: the measures a
/// school table shows, and learner-days.
pub async fn coarse_schools(db: &Db, f: &Filter) -> DbResult<Vec<TotalsRow>> {
    let cond = match &f.schools {
        None => "1 = 1".to_string(),
        Some(s) if s.is_empty() => "school_id IN (NULL)".to_string(),
        Some(s) => format!("school_id IN ({})", s.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
    };
    sum_spans(db, "stats_school_totals", "school_id", &cond, f.from_day, f.to_day).await
}

/// Sums over `from..=to` from month rows for the whole months of the range, week rows for
/// the whole weeks left and day rows for the rest, so that a year is about 30 rows per
/// group, not 365, and 30 days about 10.
async fn sum_spans(db: &Db, table: &str, key: &str, cond: &str, from: i64, to: i64) -> DbResult<Vec<TotalsRow>> {
    sum_totals(db, table, key, cond, &crate::domain::calendar::spans(from, to), &GROUP_TOTALS).await
}

fn coarse_source(src: Coarse) -> (&'static str, String) {
    match src {
        Coarse::Region(r) => ("stats_region_totals", format!("region_id = {r} AND course_id = 0")),
        Coarse::School(s) => ("stats_school_totals", format!("school_id = {s}")),
    }
}

type TotalsSums = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// The columns of the coarse totals, in [`TotalsSums`] order.
const TOTALS: [&str; 11] =
    ["events", "sessions", "study_ms", "video_ms", "started", "items_completed", "courses_completed", "score_centi_sum", "score_count", "learners", "learner_days"];
/// What a table of courses or schools shows (see `view::group_row`): the rest is left 0
/// rather than read and summed, row by row, for nothing.
const GROUP_TOTALS: [&str; 7] = ["sessions", "study_ms", "started", "courses_completed", "score_centi_sum", "score_count", "learner_days"];

/// Sums per `key` of the rows of `spans` (`(period, first start, last start)`), added up in
/// the database: each span's rows are read through the primary key (one `OR` of them is read
/// as a scan of every period by SQLite), and one row per key comes back, not one per span.
async fn sum_totals(db: &Db, table: &str, key: &str, cond: &str, spans: &[(char, i64, i64)], wanted: &[&str]) -> DbResult<Vec<TotalsRow>> {
    let parts: Vec<String> = spans
        .iter()
        .map(|(period, from, to)| format!("SELECT {key}, {} FROM {table} WHERE {cond} AND period = '{period}' AND start BETWEEN {from} AND {to}", wanted.join(", ")))
        .collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sums: Vec<String> = TOTALS.iter().map(|c| if wanted.contains(c) { sums(&[c]) } else { "CAST(0 AS BIGINT)".into() }).collect();
    let sql = format!("SELECT {key}, {} FROM ({}) spans GROUP BY {key} ORDER BY {key}", sums.join(", "), parts.join(" UNION ALL "));
    let rows: Vec<TotalsSums> = sqlx::query_as(&sql).fetch_all(&db.pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let m = Measures { events: r.1, sessions: r.2, study_ms: r.3, video_ms: r.4, started: r.5, items_completed: r.6, courses_completed: r.7, score_centi_sum: r.8, score_count: r.9 };
            (r.0, m, r.10, r.11)
        })
        .collect())
}

/// Media bytes served per day (of one course, or of all).
pub async fn media_bytes(db: &Db, course: Option<i64>, from_day: i64, to_day: i64) -> DbResult<Vec<(i64, i64)>> {
    let course = course.map_or(String::new(), |c| format!(" AND course_id = {c}"));
    let sql = format!("SELECT day, {} FROM stats_media WHERE day BETWEEN {from_day} AND {to_day}{course} GROUP BY day ORDER BY day", sums(&["bytes"]));
    Ok(sqlx::query_as(&sql).fetch_all(&db.pool).await?)
}

/// Course facts the dashboards label rows with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseLabel {
    pub id: i64,
    pub title: String,
    pub subject: String,
    pub grade: String,
}

pub async fn course_labels(db: &Db, ids: &[i64]) -> DbResult<Vec<CourseLabel>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    Ok(sqlx::query_as(&format!(
        "SELECT id, title, COALESCE(subject, '') AS subject, COALESCE(grade, '') AS grade FROM courses WHERE id IN ({list})"
    ))
    .fetch_all(&db.pool)
    .await?)
}

/// `(id, name)` of the named schools, or of classes.
pub async fn names(db: &Db, table: &str, ids: &[i64]) -> DbResult<Vec<(i64, String)>> {
    let table = if table == "classes" { "classes" } else { "schools" };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    Ok(sqlx::query_as(&format!("SELECT id, name FROM {table} WHERE id IN ({list})")).fetch_all(&db.pool).await?)
}

/// Each school's region, for rolling schools up into sub-regions.
pub async fn school_regions(db: &Db) -> DbResult<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, region_id FROM schools").fetch_all(&db.pool).await?)
}

/// `SUM(c)` of each column, cast back to BIGINT: Postgres sums BIGINT into NUMERIC, which
/// the Any driver cannot decode, and SQLite takes the cast as it is. One SQL text for both.
fn sums(columns: &[&str]) -> String {
    columns.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT)")).collect::<Vec<_>>().join(", ")
}

/// One `stats_daily` row with its names and distinct learners, for the full export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RollupRow {
    pub day: i64,
    pub school_id: i64,
    pub school: String,
    pub class_id: i64,
    pub course_id: i64,
    pub course: String,
    pub learners: i64,
    pub sessions: i64,
    pub study_ms: i64,
    pub video_ms: i64,
    pub items_completed: i64,
    pub courses_completed: i64,
    pub score_centi_sum: i64,
    pub score_count: i64,
}

/// Rows an export reads per query.
pub const EXPORT_PAGE: usize = 2000;

/// Sends every total row of `f`, in key order, to `out` (the export is streamed, never held
/// whole). Stops early when the receiver is gone. Rows are read a page at a time after the
/// last key sent, and no database connection is held while `out` is full: a reader that
/// stalls or hangs up cannot keep one of the pool's few connections for minutes. Totals kept
/// up to date meanwhile show in the pages read after them; each row is sent once.
pub async fn stream_rollup(db: Db, f: Filter, out: tokio::sync::mpsc::Sender<DbResult<RollupRow>>) {
    stream_rollup_paged(db, f, out, EXPORT_PAGE).await
}

/// [`stream_rollup`] with `page` rows per query.
pub async fn stream_rollup_paged(db: Db, f: Filter, out: tokio::sync::mpsc::Sender<DbResult<RollupRow>>, page: usize) {
    let mut after: Option<(i64, i64, i64, i64)> = None;
    loop {
        let page_rows = rollup_page(&db, &f, after, page).await;
        let rows = match page_rows {
            Ok(rows) => rows,
            Err(e) => {
                let _ = out.send(Err(e)).await;
                return;
            }
        };
        let full = rows.len() == page;
        after = rows.last().map(|r| (r.day, r.school_id, r.class_id, r.course_id));
        for row in rows {
            if out.send(Ok(row)).await.is_err() {
                return;
            }
        }
        if !full {
            return;
        }
    }
}

/// One page of [`stream_rollup`]: the rows after `after`, in key order.
async fn rollup_page(db: &Db, f: &Filter, after: Option<(i64, i64, i64, i64)>, page: usize) -> DbResult<Vec<RollupRow>> {
    // The primary key (day, school, class, course) is walked from the last key sent: the day
    // range starts at its day, and the unary `+` keeps SQLite off the school and course
    // indexes, through which every page would sort the whole range again.
    let from = after.map_or(f.from_day, |(day, ..)| day.max(f.from_day));
    let mut cond = f.conditions_marked("day", from, "+");
    if let Some(course) = f.course_id {
        cond.push_str(&format!(" AND +course_id = {course}"));
    }
    if let Some((day, school, class, course)) = after {
        cond.push_str(&format!(" AND (day, school_id, class_id, course_id) > ({day}, {school}, {class}, {course})"));
    }
    let sql = format!(
        "SELECT d.day, d.school_id, COALESCE(s.name, '') AS school, d.class_id, d.course_id, COALESCE(c.title, '') AS course, \
           COALESCE(a.learners, 0) AS learners, d.sessions, d.study_ms, d.video_ms, d.items_completed, d.courses_completed, \
           d.score_centi_sum, d.score_count \
         FROM (SELECT * FROM stats_daily WHERE {cond} ORDER BY day, school_id, class_id, course_id LIMIT {page}) d \
         LEFT JOIN stats_active a ON a.period = 'd' AND a.start = d.day AND a.school_id = d.school_id \
           AND a.class_id = d.class_id AND a.course_id = d.course_id \
         LEFT JOIN schools s ON s.id = d.school_id \
         LEFT JOIN courses c ON c.id = d.course_id \
         ORDER BY d.day, d.school_id, d.class_id, d.course_id"
    );
    Ok(sqlx::query_as::<_, RollupRow>(&sql).fetch_all(&db.pool).await?)
}
