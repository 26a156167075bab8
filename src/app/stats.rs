//! Usage statistics for a reader: which dashboard they may see and how (the region tree,
//! a school and its classes, a course), the date range, the dashboard's totals and tables,
//! and the stream of every total row in reach for the export.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::db::stats_read::{self, Filter, RollupRow};
use crate::db::{courses, now_ms, org, progress_read, DbResult};
use crate::domain::calendar::{date_text, parse_date};
use crate::error::AppError;
use crate::spreadsheet;
use crate::stats::view::{self, Dashboard, Groups};

/// Longest range one dashboard covers.
const MAX_DAYS: i64 = 731;
const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    /// `YYYY-MM-DD`, both inclusive; the last 30 days by default.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Region dashboard: a region inside the reader's own (default: theirs; the city for admins).
    pub region: Option<i64>,
    /// School dashboard: one class.
    pub class: Option<i64>,
}

/// Which dashboard.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Region,
    School(i64),
    Course(i64),
}

#[derive(Serialize)]
pub struct Link {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

/// The date range asked for, checked.
pub fn range(state: &AppState, query: &StatsQuery) -> Result<(i64, i64), AppError> {
    let zone = state.tracker.stats.zone;
    let today = zone.day(now_ms());
    let parse = |text: &Option<String>, name: &str| -> Result<Option<i64>, AppError> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => parse_date(t).map(Some).ok_or_else(|| AppError::BadRequest(format!("{name} must be a date like 2026-09-01, got {t:?}"))),
        }
    };
    let to = parse(&query.to, "to")?.unwrap_or(today);
    let from = parse(&query.from, "from")?.unwrap_or(to - DEFAULT_DAYS + 1);
    if from > to {
        return Err(AppError::BadRequest(format!("from ({}) is after to ({})", date_text(from), date_text(to))));
    }
    if to - from >= MAX_DAYS {
        return Err(AppError::BadRequest(format!("a range covers at most {MAX_DAYS} days")));
    }
    Ok((from, to))
}

/// What the reader may see of a dashboard, and how it is drawn.
pub struct Access {
    pub filter: Filter,
    /// What the dashboard compares: sub-regions, classes or schools.
    pub groups: Groups,
    /// Groups with fewer learners than this are shown as "<N" (0: exact).
    pub masked_below: i64,
    pub title: String,
    /// Sub-regions (region dashboard) or classes (school dashboard) to narrow down to.
    pub choices: Vec<Link>,
}

/// What the reader may see of `target`: the filter, what to compare, the masking, a title.
pub async fn access(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery) -> Result<Access, AppError> {
    let user = scope.user.as_ref().ok_or(AppError::Unauthorized)?;
    let allowed = scope.stats_schools().ok_or(AppError::Forbidden)?;
    // Heartbeats acknowledged so far count (the writer folds them within milliseconds).
    state.tracker.settle().await?;
    let (from_day, to_day) = range(state, query)?;
    let min = state.settings.stats.min_group;
    let mut filter = Filter { schools: allowed.clone(), class_id: None, course_id: None, from_day, to_day, region: None, finest: false };
    match target {
        Target::Region => {
            let regions = org::regions(&state.db).await?;
            let root = match (query.region, user.region_id, &allowed) {
                (Some(r), _, None) => Some(r),
                (Some(r), _, Some(_)) if scope.regions_down.contains(&r) => Some(r),
                (Some(_), _, Some(_)) => return Err(AppError::NotFound("region")),
                (None, _, None) => None,
                (None, own, Some(_)) if scope.role() == Some(crate::domain::Role::Bureau) => Some(own.ok_or(AppError::Forbidden)?),
                (None, _, Some(_)) => return Err(AppError::Forbidden),
            };
            if root.is_some_and(|r| !regions.iter().any(|x| x.id == r)) {
                return Err(AppError::NotFound("region"));
            }
            let children: Vec<&org::RegionRow> = regions.iter().filter(|r| r.parent_id == root).collect();
            // One query for every school's region, the tree walked here: a query per
            // sub-region cost more than the dashboard's totals.
            let school_regions = stats_read::school_regions(&state.db).await?;
            let schools_under = |region: i64| {
                let ids = org::subtree_of(&regions, region);
                school_regions.iter().filter(|(_, r)| ids.contains(r)).map(|(s, _)| *s).collect::<Vec<i64>>()
            };
            let sub_regions = children.iter().map(|c| (c.id, c.name.clone(), schools_under(c.id))).collect();
            if let Some(r) = root {
                filter.schools = Some(schools_under(r));
            }
            // No root: an administrator's view of everything, region 0's totals.
            filter.region = Some(root.unwrap_or(0));
            let title = root.and_then(|r| regions.iter().find(|x| x.id == r)).map_or_else(String::new, |r| r.name.clone());
            let links = children.iter().map(|c| Link { id: c.id, name: c.name.clone(), selected: false }).collect();
            Ok(Access { filter, groups: Groups::Region { sub_regions }, masked_below: min, title, choices: links })
        }
        Target::School(school) => {
            if allowed.as_ref().is_some_and(|s| !s.contains(&school)) {
                return Err(AppError::NotFound("school"));
            }
            let names = stats_read::names(&state.db, "schools", &[school]).await?;
            let (_, name) = names.into_iter().next().ok_or(AppError::NotFound("school"))?;
            let classes = progress_read::classes_of_school(&state.db, school).await?;
            if let Some(class) = query.class {
                if !classes.iter().any(|(id, _)| *id == class) {
                    return Err(AppError::NotFound("class"));
                }
                filter.class_id = Some(class);
            }
            filter.schools = Some(vec![school]);
            let links = classes.into_iter().map(|(id, name)| Link { id, selected: query.class == Some(id), name }).collect();
            Ok(Access { filter, groups: Groups::Classes, masked_below: if scope.stats_exact(school) { 0 } else { min }, title: name, choices: links })
        }
        Target::Course(course) => {
            let row = courses::get(&state.db, course).await?;
            let classes = courses::course_classes(&state.db, course).await?;
            if !scope.can_view(&row, &classes) {
                return Err(AppError::NotFound("course"));
            }
            filter.course_id = Some(course);
            Ok(Access { filter, groups: Groups::Schools, masked_below: min, title: row.title, choices: Vec::new() })
        }
    }
}

/// The dashboard of `target` as the reader may see it; `captions` names its charts.
#[tracing::instrument(skip_all)]
pub async fn dashboard(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery, captions: &dyn Fn(&str) -> String) -> Result<(Access, Dashboard), AppError> {
    // Where a dashboard's time goes (debug log): resolving what the reader may see, then the
    // totals and charts.
    let started = std::time::Instant::now();
    let access = access(state, scope, target, query).await?;
    let resolved = started.elapsed();
    let dashboard = view::build(&state.db, &access.filter, &access.groups, access.masked_below, captions).await?;
    tracing::debug!(access_ms = resolved.as_secs_f64() * 1e3, build_ms = (started.elapsed() - resolved).as_secs_f64() * 1e3, "stats dashboard built");
    Ok((access, dashboard))
}

/// Every day x school x class x course row of `target` in the reader's reach, sent on a
/// channel as it is read (the export streams it); with the range and the masking.
pub async fn rollup_rows(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery) -> Result<(Access, tokio::sync::mpsc::Receiver<DbResult<RollupRow>>), AppError> {
    let access = access(state, scope, target, query).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(stats_read::stream_rollup(state.db.clone(), access.filter.clone(), tx));
    Ok((access, rx))
}

/// The export's columns: fixed English ids, for other systems and spreadsheets alike.
pub const ROLLUP_HEADER: [&str; 13] = [
    "date", "school_id", "school", "class_id", "course_id", "course", "learners", "sessions", "study_minutes", "video_minutes",
    "items_completed", "courses_completed", "average_score",
];

/// One exported row; learner counts under `mask` are shown as "<N" and their scores left out.
pub fn rollup_line(r: &RollupRow, mask: i64) -> String {
    let small = r.learners < mask;
    let learners = if small && r.learners > 0 { format!("<{mask}") } else { r.learners.to_string() };
    let score = if small || r.score_count == 0 { String::new() } else { format!("{}", (r.score_centi_sum as f64 / r.score_count as f64).round() / 100.0) };
    let cells = [
        date_text(r.day),
        r.school_id.to_string(),
        r.school.clone(),
        r.class_id.to_string(),
        r.course_id.to_string(),
        r.course.clone(),
        learners,
        r.sessions.to_string(),
        ((r.study_ms + 30_000) / 60_000).to_string(),
        ((r.video_ms + 30_000) / 60_000).to_string(),
        r.items_completed.to_string(),
        r.courses_completed.to_string(),
        score,
    ];
    spreadsheet::line(&cells)
}
