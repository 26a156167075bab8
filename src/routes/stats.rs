//! Usage statistics: the bureau dashboard (a region and everything under it), the school
//! dashboard, the course view, as pages, as JSON (`/api/v1/stats/...`) and as CSV. Every
//! route resolves what the reader may see the same way ([`target`], by `auth::policy`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::policy::Scope;
use crate::db::stats_read::Filter;
use crate::db::{courses, now_ms, org, stats_read};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::app::AppState;
use crate::routes::stats_tables::{HtmlTable, Links};
use crate::spreadsheet;
use crate::stats::view::{self, Dashboard, Groups};
use crate::domain::calendar::{date_text, parse_date};

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
    id: i64,
    name: String,
    selected: bool,
}

/// What the page template gets: the page, with its tables' rows already written as HTML
/// (see [`crate::routes::stats_tables`]).
#[derive(Serialize)]
struct PageView<'a> {
    #[serde(flatten)]
    page: &'a StatsPage,
    tables: Vec<HtmlTable>,
}

#[derive(Serialize)]
pub struct StatsPage {
    kind: &'static str,
    title: String,
    /// Base path of this dashboard (CSV links append `/export/{table}`).
    path: String,
    query: String,
    /// The template reads its range and totals; the tables come as [`PageView::tables`].
    #[serde(serialize_with = "head_of")]
    dashboard: Dashboard,
    /// Drawn from the dashboard's tables; pages only (the JSON has the numbers).
    charts: Vec<view::Chart>,
    /// Sub-regions (region dashboard) or classes (school dashboard) to narrow down to.
    choices: Vec<Link>,
    masked_below: i64,
}

/// A dashboard without its tables, for the page template.
fn head_of<S: serde::Serializer>(d: &Dashboard, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Head<'a> {
        from: &'a str,
        to: &'a str,
        totals: &'a [(&'static str, serde_json::Value)],
    }
    Head { from: &d.from, to: &d.to, totals: &d.totals }.serialize(s)
}

/// The reader's dashboard: officers and admins get their region, teachers their school.
pub async fn show_home(state: web::Data<AppState>, env: PageEnv, scope: Scope, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    let user = scope.user.as_ref().ok_or(AppError::Unauthorized)?;
    if user.role == crate::domain::Role::Teacher {
        let school = user.school_id.ok_or(AppError::Forbidden)?;
        return show(state, env, scope, Target::School(school), query).await;
    }
    show(state, env, scope, Target::Region, query).await
}

pub async fn show_school(state: web::Data<AppState>, env: PageEnv, scope: Scope, id: web::Path<i64>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    show(state, env, scope, Target::School(*id), query).await
}

pub async fn show_course(state: web::Data<AppState>, env: PageEnv, scope: Scope, id: web::Path<i64>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    show(state, env, scope, Target::Course(*id), query).await
}

async fn show(state: web::Data<AppState>, env: PageEnv, scope: Scope, target: Target, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    let page = page(&state, &scope, target, &query, env.lang).await?;
    let started = std::time::Instant::now();
    let d = &page.dashboard;
    let links = Links { query: &page.query, from: &d.from, to: &d.to };
    let view = PageView { page: &page, tables: d.tables.iter().map(|t| HtmlTable::of(t, &links)).collect() };
    let body = state.renderer.render("stats/dashboard.html", &env, &view)?;
    tracing::debug!(kind = page.kind, ms = started.elapsed().as_secs_f64() * 1e3, "stats page rendered");
    Ok(html(body))
}

/// `/api/v1/stats/...`: the dashboard's totals and tables.
pub async fn api(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery, lang: Lang) -> Result<HttpResponse, AppError> {
    let page = page(state, scope, target, query, lang).await?;
    Ok(HttpResponse::Ok().json(page.dashboard))
}

/// One table of a dashboard as CSV: UTF-8 with a byte order mark (Excel on Chinese Windows
/// reads it right), headers in the reader's language.
pub async fn csv(state: &AppState, scope: &Scope, target: Target, table: &str, query: &StatsQuery, lang: Lang) -> Result<HttpResponse, AppError> {
    if table == "rollup" {
        return super::stats_export::rollup(state, scope, target, query).await;
    }
    let page = page(state, scope, target, query, lang).await?;
    let table = page.dashboard.tables.iter().find(|t| t.id == table).ok_or(AppError::NotFound("statistics table"))?;
    let mut out = String::from(spreadsheet::BOM);
    let header: Vec<String> = table.columns.iter().map(|c| state.renderer.string(lang, &format!("stats.col.{c}"))).collect();
    out.push_str(&spreadsheet::line(&header));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|v| v.as_str().map_or_else(|| if v.is_null() { String::new() } else { v.to_string() }, str::to_string)).collect();
        out.push_str(&spreadsheet::line(&cells));
    }
    let name = format!("stats-{}-{}-{}.csv", table.id, page.dashboard.from, page.dashboard.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(out))
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

/// What the reader may see of `target`: the filter, what to compare, the masking, a title.
pub async fn target(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery) -> Result<(Filter, Groups, i64, String, Vec<Link>), AppError> {
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
            Ok((filter, Groups::Region { sub_regions }, min, title, links))
        }
        Target::School(school) => {
            if allowed.as_ref().is_some_and(|s| !s.contains(&school)) {
                return Err(AppError::NotFound("school"));
            }
            let names = stats_read::names(&state.db, "schools", &[school]).await?;
            let (_, name) = names.into_iter().next().ok_or(AppError::NotFound("school"))?;
            let classes = crate::db::progress_read::classes_of_school(&state.db, school).await?;
            if let Some(class) = query.class {
                if !classes.iter().any(|(id, _)| *id == class) {
                    return Err(AppError::NotFound("class"));
                }
                filter.class_id = Some(class);
            }
            filter.schools = Some(vec![school]);
            let links = classes.into_iter().map(|(id, name)| Link { id, selected: query.class == Some(id), name }).collect();
            Ok((filter, Groups::Classes, if scope.stats_exact(school) { 0 } else { min }, name, links))
        }
        Target::Course(course) => {
            let row = courses::get(&state.db, course).await?;
            let classes = courses::course_classes(&state.db, course).await?;
            if !scope.can_view(&row, &classes) {
                return Err(AppError::NotFound("course"));
            }
            filter.course_id = Some(course);
            Ok((filter, Groups::Schools, min, row.title, Vec::new()))
        }
    }
}

async fn page(state: &AppState, scope: &Scope, t: Target, query: &StatsQuery, lang: Lang) -> Result<StatsPage, AppError> {
    // Where a dashboard's time goes (debug log): resolving what the reader may see, then the
    // totals and charts.
    let started = std::time::Instant::now();
    let (filter, groups, mask, title, choices) = target(state, scope, t, query).await?;
    let resolved = started.elapsed();
    let captions = |id: &str| state.renderer.string(lang, &format!("stats.{id}"));
    let mut dashboard = view::build(&state.db, &filter, &groups, mask, &captions).await?;
    tracing::debug!(access_ms = resolved.as_secs_f64() * 1e3, build_ms = (started.elapsed() - resolved).as_secs_f64() * 1e3, "stats dashboard built");
    let charts = std::mem::take(&mut dashboard.charts);
    let (kind, path) = match t {
        Target::Region => ("region", "/stats".to_string()),
        Target::School(id) => ("school", format!("/stats/schools/{id}")),
        Target::Course(id) => ("course", format!("/stats/courses/{id}")),
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("from", &dashboard.from).append_pair("to", &dashboard.to);
    if let Some(r) = query.region.filter(|_| matches!(t, Target::Region)) {
        q.append_pair("region", &r.to_string());
    }
    if let Some(c) = filter.class_id {
        q.append_pair("class", &c.to_string());
    }
    Ok(StatsPage { kind, title, path, query: q.finish(), dashboard, charts, choices, masked_below: mask })
}
