//! Thin handlers for the JSON and CSV forms of the dashboards, and the streamed export of
//! every total row in the reader's reach.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::stats as pages;
use crate::app::stats::{self, StatsQuery, Target};
use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::app::AppState;
use crate::domain::calendar::date_text;
use crate::spreadsheet;

pub async fn api_region(state: web::Data<AppState>, scope: Scope, lang: Lang, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::api(&state, &scope, Target::Region, &query, lang).await
}

pub async fn api_school(state: web::Data<AppState>, scope: Scope, lang: Lang, id: web::Path<i64>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::api(&state, &scope, Target::School(*id), &query, lang).await
}

pub async fn api_course(state: web::Data<AppState>, scope: Scope, lang: Lang, id: web::Path<i64>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::api(&state, &scope, Target::Course(*id), &query, lang).await
}

pub async fn csv_region(state: web::Data<AppState>, scope: Scope, lang: Lang, table: web::Path<String>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::csv(&state, &scope, Target::Region, &table, &query, lang).await
}

pub async fn csv_school(state: web::Data<AppState>, scope: Scope, lang: Lang, path: web::Path<(i64, String)>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::csv(&state, &scope, Target::School(path.0), &path.1, &query, lang).await
}

pub async fn csv_course(state: web::Data<AppState>, scope: Scope, lang: Lang, path: web::Path<(i64, String)>, query: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    pages::csv(&state, &scope, Target::Course(path.0), &path.1, &query, lang).await
}

/// Every day x school x class x course row in reach, streamed as it is read. Column names
/// are fixed (English ids): this file is for other systems and spreadsheets alike.
pub async fn rollup(state: &AppState, scope: &Scope, target: Target, query: &StatsQuery) -> Result<HttpResponse, AppError> {
    let (access, rx) = stats::rollup_rows(state, scope, target, query).await?;
    let mask = access.masked_below;
    let name = format!("stats-rollup-{}-{}.csv", date_text(access.filter.from_day), date_text(access.filter.to_day));
    let head = format!("{}{}", spreadsheet::BOM, spreadsheet::line(stats::ROLLUP_HEADER));
    let body = futures_util::stream::unfold((Some(head), rx), move |(head, mut rx)| async move {
        if let Some(head) = head {
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(head)), (None, rx)));
        }
        // Rows go out in chunks of up to 64 lines: fewer, larger writes.
        let mut chunk = String::new();
        while let Some(row) = rx.recv().await {
            match row {
                Ok(row) => chunk.push_str(&stats::rollup_line(&row, mask)),
                Err(e) => {
                    tracing::error!(error = %e, "statistics export failed midway");
                    return Some((Err(actix_web::error::ErrorInternalServerError("export failed")), (None, rx)));
                }
            }
            if chunk.len() > 8192 {
                break;
            }
        }
        (!chunk.is_empty()).then(|| (Ok(web::Bytes::from(chunk)), (None, rx)))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .streaming(body))
}
