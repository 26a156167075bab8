//! Dashboards as data: tables of plain values (the page, the JSON API and the CSV export all
//! show the same ones) and the charts drawn from them. Learner counts of groups smaller than
//! the configured minimum are replaced by "<N", with the averages that could single out a
//! learner; readers who may see the learners themselves (their school's teachers) get exact
//! figures.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{json, Value};

use super::charts;
use crate::domain::calendar::{date_text, month_start, week_start};
use crate::db::stats_read::{self, Filter, GroupBy};
use crate::domain::usage::{add, Measures};
use crate::db::{Db, DbResult};

/// One table: stable column ids (labels come from the locale) and rows of values.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub id: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: &'static str,
    pub svg: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub from: String,
    pub to: String,
    /// Headline figures: `[column id, value]`.
    pub totals: Vec<(&'static str, Value)>,
    pub tables: Vec<Table>,
    #[serde(skip)]
    pub charts: Vec<Chart>,
}

/// What the dashboard compares side by side.
#[derive(Debug, Clone)]
pub enum Groups {
    /// Schools, and their sub-regions: `(region id, name, schools under it)`.
    Region { sub_regions: Vec<(i64, String, Vec<i64>)> },
    Classes,
    Schools,
}

/// Chart captions by chart id, in the reader's language.
pub type Captions<'a> = &'a dyn Fn(&str) -> String;

/// Builds a dashboard over `filter`; `mask` is the smallest group shown exactly (0: none).
pub async fn build(db: &Db, filter: &Filter, groups: &Groups, mask: i64, captions: Captions<'_>) -> DbResult<Dashboard> {
    let masker = Masker(mask);
    let (from, to) = (filter.from_day, filter.to_day);
    // One part after another: reading them at once (try_join) showed no gain under the
    // benchmark machine's load and takes up to five of the pool's connections per request.
    let (days, daily_learners) = day_totals(db, filter).await?;
    let weekly = period_table(db, filter, 'w', week_start(from), "weekly", &masker).await?;
    let monthly = period_table(db, filter, 'm', month_start(from), "monthly", &masker).await?;
    let by_course = course_part(db, filter, &masker).await?;
    let by_group = group_tables(db, filter, groups, &masker).await?;
    let measures_by_day: HashMap<i64, Measures> = days.iter().copied().collect();
    let mut daily = Table { id: "daily", columns: vec!["date", "learners", "sessions", "study_minutes", "video_minutes", "items_completed", "courses_completed", "average_score"], rows: vec![] };
    let mut total = Measures::default();
    let mut learner_days = 0;
    for day in from..=to {
        let m = measures_by_day.get(&day).copied().unwrap_or_default();
        let learners = daily_learners.get(&day).copied().unwrap_or(0);
        add(&mut total, &m);
        learner_days += learners;
        daily.rows.push(vec![
            json!(date_text(day)),
            masker.count(learners),
            json!(m.sessions),
            json!(minutes(m.study_ms)),
            json!(minutes(m.video_ms)),
            json!(m.items_completed),
            json!(m.courses_completed),
            masker.guard(learners, average(&m)),
        ]);
    }
    let totals = vec![
        ("learner_days", json!(learner_days)),
        ("sessions", json!(total.sessions)),
        ("study_minutes", json!(minutes(total.study_ms))),
        ("video_minutes", json!(minutes(total.video_ms))),
        ("items_completed", json!(total.items_completed)),
        ("courses_completed", json!(total.courses_completed)),
        ("completion_rate", json!(rate(&total))),
        ("average_score", average(&total)),
    ];
    let mut charts_out = vec![
        chart_of("learners_chart", captions, &daily, 1, true),
        chart_of("study_chart", captions, &daily, 3, true),
    ];
    if let Some(courses) = by_course.iter().find(|t| t.id == "courses") {
        charts_out.push(chart_of("courses_chart", captions, courses, 5, false));
    }
    for table in &by_group {
        charts_out.push(chart_of(if table.id == "regions" { "regions_chart" } else { "groups_chart" }, captions, table, 3, false));
    }
    let tables = [daily, weekly, monthly].into_iter().chain(by_course).chain(by_group).collect();
    Ok(Dashboard { from: date_text(from), to: date_text(to), totals, tables, charts: charts_out })
}

/// Measures and distinct learners per day.
async fn day_totals(db: &Db, filter: &Filter) -> DbResult<(Vec<(i64, Measures)>, HashMap<i64, i64>)> {
    let (from, to) = (filter.from_day, filter.to_day);
    Ok(match filter.coarse() {
        Some(src) => {
            let rows = stats_read::coarse_days(db, src, from, to).await?;
            (rows.iter().map(|r| (r.0, r.1)).collect(), rows.iter().map(|r| (r.0, r.2)).collect())
        }
        None => (
            stats_read::measures(db, filter, GroupBy::Day).await?,
            stats_read::learners(db, filter, GroupBy::Day, 'd', from).await?.into_iter().collect(),
        ),
    })
}

/// The courses, subjects and grades tables; on a course's view, its media bytes instead.
async fn course_part(db: &Db, filter: &Filter, masker: &Masker) -> DbResult<Vec<Table>> {
    if filter.course_id.is_none() {
        let (courses, subjects, grades) = course_tables(db, filter, masker).await?;
        return Ok(vec![courses, subjects, grades]);
    }
    let bytes = stats_read::media_bytes(db, filter.course_id, filter.from_day, filter.to_day).await?;
    let rows = bytes.into_iter().map(|(day, b)| vec![json!(date_text(day)), json!(b)]).collect();
    Ok(vec![Table { id: "media", columns: vec!["date", "media_bytes"], rows }])
}

async fn period_table(db: &Db, filter: &Filter, period: char, from: i64, id: &'static str, masker: &Masker) -> DbResult<Table> {
    let rows = match filter.coarse() {
        Some(src) => stats_read::coarse_learners(db, src, period, from, filter.to_day).await?,
        None => stats_read::learners(db, filter, GroupBy::Day, period, from).await?,
    };
    Ok(Table { id, columns: vec!["period_start", "learners"], rows: rows.into_iter().map(|(start, n)| vec![json!(date_text(start)), masker.count(n)]).collect() })
}

const GROUP_COLUMNS: [&str; 8] = ["id", "name", "learner_days", "sessions", "study_minutes", "started", "completion_rate", "average_score"];

fn group_row(id: i64, name: &str, learners: i64, m: &Measures, masker: &Masker) -> Vec<Value> {
    vec![
        json!(id),
        json!(name),
        masker.count(learners),
        json!(m.sessions),
        json!(minutes(m.study_ms)),
        json!(m.started),
        masker.guard(learners, json!(rate(m))),
        masker.guard(learners, average(m)),
    ]
}

/// Courses by study time (most used first), and the same rolled up by subject and grade.
async fn course_tables(db: &Db, filter: &Filter, masker: &Masker) -> DbResult<(Table, Table, Table)> {
    let (measures, learners): (Vec<(i64, Measures)>, HashMap<i64, i64>) = match filter.coarse() {
        Some(stats_read::Coarse::Region(r)) => {
            let rows = stats_read::coarse_courses(db, r, filter.from_day, filter.to_day).await?;
            (rows.iter().map(|r| (r.0, r.1)).collect(), rows.iter().map(|r| (r.0, r.3)).collect())
        }
        _ => (
            stats_read::measures(db, filter, GroupBy::Course).await?,
            stats_read::learners(db, filter, GroupBy::Course, 'd', filter.from_day).await?.into_iter().collect(),
        ),
    };
    let ids: Vec<i64> = measures.iter().map(|(id, _)| *id).collect();
    let labels: HashMap<i64, stats_read::CourseLabel> = stats_read::course_labels(db, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut rows: Vec<(i64, &stats_read::CourseLabel, i64, Measures)> = measures
        .iter()
        .filter_map(|(id, m)| labels.get(id).map(|l| (*id, l, learners.get(id).copied().unwrap_or(0), *m)))
        .collect();
    rows.sort_by_key(|(id, _, _, m)| (-m.study_ms, *id));
    let mut by_subject: BTreeMap<String, (i64, Measures)> = BTreeMap::new();
    let mut by_grade: BTreeMap<String, (i64, Measures)> = BTreeMap::new();
    let mut courses = Table { id: "courses", columns: vec!["id", "name", "subject", "grade", "learner_days", "sessions", "study_minutes", "started", "completion_rate", "average_score"], rows: vec![] };
    for (id, label, n, m) in &rows {
        for (map, key) in [(&mut by_subject, &label.subject), (&mut by_grade, &label.grade)] {
            let e = map.entry(key.clone()).or_default();
            e.0 += n;
            add(&mut e.1, m);
        }
        let mut row = group_row(*id, &label.title, *n, m, masker);
        row.splice(2..2, [json!(label.subject), json!(label.grade)]);
        courses.rows.push(row);
    }
    let rollup = |id: &'static str, map: BTreeMap<String, (i64, Measures)>| Table {
        id,
        columns: vec!["name", "learner_days", "sessions", "study_minutes", "started", "completion_rate", "average_score"],
        rows: map.into_iter().map(|(name, (n, m))| group_row(0, &name, n, &m, masker)[1..].to_vec()).collect(),
    };
    Ok((courses, rollup("subjects", by_subject), rollup("grades", by_grade)))
}

/// Schools (and sub-regions) or classes side by side.
async fn group_tables(db: &Db, filter: &Filter, groups: &Groups, masker: &Masker) -> DbResult<Vec<Table>> {
    let by = if matches!(groups, Groups::Classes) { GroupBy::Class } else { GroupBy::School };
    let (measures, learners): (HashMap<i64, Measures>, HashMap<i64, i64>) = if by == GroupBy::School && filter.by_school_totals() {
        let rows = stats_read::coarse_schools(db, filter).await?;
        (rows.iter().map(|r| (r.0, r.1)).collect(), rows.iter().map(|r| (r.0, r.3)).collect())
    } else {
        (
            stats_read::measures(db, filter, by).await?.into_iter().collect(),
            stats_read::learners(db, filter, by, 'd', filter.from_day).await?.into_iter().collect(),
        )
    };
    let mut ids: Vec<i64> = measures.keys().copied().filter(|id| *id != 0).collect();
    ids.sort_unstable();
    let names: HashMap<i64, String> = stats_read::names(db, if by == GroupBy::Class { "classes" } else { "schools" }, &ids).await?.into_iter().collect();
    let row_of = |id: i64| (learners.get(&id).copied().unwrap_or(0), measures.get(&id).copied().unwrap_or_default());
    let mut main = Table { id: if by == GroupBy::Class { "classes" } else { "schools" }, columns: GROUP_COLUMNS.to_vec(), rows: vec![] };
    for id in &ids {
        let (n, m) = row_of(*id);
        main.rows.push(group_row(*id, names.get(id).map_or("", String::as_str), n, &m, masker));
    }
    let mut out = Vec::new();
    if let Groups::Region { sub_regions } = groups {
        let mut regions = Table { id: "regions", columns: GROUP_COLUMNS.to_vec(), rows: vec![] };
        for (id, name, schools) in sub_regions {
            let (mut n, mut m) = (0, Measures::default());
            for school in schools {
                let (sn, sm) = row_of(*school);
                n += sn;
                add(&mut m, &sm);
            }
            regions.rows.push(group_row(*id, name, n, &m, masker));
        }
        out.push(regions);
    }
    out.insert(0, main);
    Ok(out)
}

/// A chart of one numeric column of a table, labelled by its date or name column.
fn chart_of(id: &'static str, captions: Captions<'_>, table: &Table, column: usize, line: bool) -> Chart {
    let label_col = if table.columns[0] == "date" { 0 } else { table.columns.iter().position(|c| *c == "name").unwrap_or(0) };
    let rows = if line { &table.rows[..] } else { &table.rows[..table.rows.len().min(12)] };
    let labels: Vec<String> = rows
        .iter()
        .map(|r| r[label_col].as_str().map_or_else(|| r[label_col].to_string(), |s| if line { s[5..].to_string() } else { s.to_string() }))
        .collect();
    // Masked counts are drawn as 0: the chart says no more than the table.
    let values: Vec<f64> = rows.iter().map(|r| r[column].as_f64().unwrap_or(0.0)).collect();
    let caption = captions(id);
    let started = std::time::Instant::now();
    let svg = if line { charts::line(&caption, &labels, &values) } else { charts::bars(&caption, &labels, &values) };
    tracing::debug!(chart = id, ms = started.elapsed().as_secs_f64() * 1e3, "stats chart drawn");
    Chart { id, svg }
}

struct Masker(i64);

impl Masker {
    fn count(&self, n: i64) -> Value {
        if n > 0 && n < self.0 { json!(format!("<{}", self.0)) } else { json!(n) }
    }

    /// `value` unless the group is too small to show it.
    fn guard(&self, learners: i64, value: Value) -> Value {
        if learners < self.0 { Value::Null } else { value }
    }
}

fn minutes(ms: i64) -> i64 {
    (ms + 30_000) / 60_000
}

/// Courses completed per course started in the range, percent (at most 100: some of the
/// completions may be of courses started before it).
fn rate(m: &Measures) -> f64 {
    if m.started == 0 { 0.0 } else { ((m.courses_completed as f64 / m.started as f64).min(1.0) * 1000.0).round() / 10.0 }
}

fn average(m: &Measures) -> Value {
    if m.score_count == 0 { Value::Null } else { json!((m.score_centi_sum as f64 / m.score_count as f64).round() / 100.0) }
}
