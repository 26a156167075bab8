//! Usage statistics: the bureau dashboard (a region and everything under it), the school
//! dashboard, the course view, as pages, as JSON (`/api/v1/stats/...`) and as CSV. Every
//! route resolves what the reader may see the same way ([`target`], by `auth::policy`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::stats::{self, Access, Link, StatsQuery, Target};
use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::app::AppState;
use crate::routes::stats_tables::{HtmlTable, Links};
use crate::spreadsheet;
use crate::stats::view::{self, Dashboard};

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

async fn page(state: &AppState, scope: &Scope, t: Target, query: &StatsQuery, lang: Lang) -> Result<StatsPage, AppError> {
    let captions = |id: &str| state.renderer.string(lang, &format!("stats.{id}"));
    let (access, mut dashboard) = stats::dashboard(state, scope, t, query, &captions).await?;
    let Access { filter, masked_below: mask, title, choices, .. } = access;
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
