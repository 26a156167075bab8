//! JSON API for courses: `/api/v1/courses` and `/api/v1/courses/{id}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::courses::{self, CatalogQuery, Course, VersionView};
use crate::app::views::{CourseView, ItemView};
use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;

#[derive(Serialize)]
struct CourseList {
    courses: Vec<CourseView>,
    total: i64,
    page: i64,
    pages: i64,
}

#[derive(Serialize)]
struct CourseDetail {
    #[serde(flatten)]
    course: CourseView,
    can_manage: bool,
    items: Vec<ItemView>,
}

#[tracing::instrument(skip_all)]
pub async fn list_courses(
    state: web::Data<AppState>,
    lang: Lang,
    scope: Scope,
    query: web::Query<CatalogQuery>,
) -> Result<HttpResponse, AppError> {
    let page = courses::catalog(&state, &scope, &query, lang).await?;
    Ok(HttpResponse::Ok().json(CourseList { courses: page.courses, total: page.total, page: page.page, pages: page.pages }))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn get_course(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    lang: Lang,
    scope: Scope,
) -> Result<HttpResponse, AppError> {
    let (course, items, can_manage) = courses::load_course(&state, &scope, *course_id, lang).await?;
    Ok(HttpResponse::Ok().json(CourseDetail { course, can_manage, items }))
}

#[derive(Serialize)]
struct VersionList {
    versions: Vec<VersionView>,
}

/// `GET /api/v1/courses/{id}/versions`: every version of a course one may see.
pub async fn list_versions(state: web::Data<AppState>, course_id: web::Path<i64>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let versions = courses::list_versions(&state, &scope, *course_id, lang).await?;
    Ok(HttpResponse::Ok().json(VersionList { versions }))
}

/// `GET /api/v1/courses/{id}/versions/{version_id}`: an older version stays readable.
pub async fn get_version(state: web::Data<AppState>, path: web::Path<(i64, i64)>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let (course_id, version_id) = path.into_inner();
    let Course { course, items, can_manage } = courses::show_version(&state, &scope, course_id, version_id, lang).await?;
    Ok(HttpResponse::Ok().json(CourseDetail { course, can_manage, items }))
}

/// `DELETE /api/v1/courses/{id}/versions/{version_id}`: managers remove an older version.
pub async fn delete_version(state: web::Data<AppState>, path: web::Path<(i64, i64)>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let (course_id, version_id) = path.into_inner();
    courses::delete_version(&state, &scope, course_id, version_id, lang).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/courses/{id}/renditions`: the rendition jobs of the latest version's videos
/// (state, percent, what was made), for the course's managers.
pub async fn list_renditions(state: web::Data<AppState>, course_id: web::Path<i64>, scope: Scope) -> Result<HttpResponse, AppError> {
    let jobs = crate::app::teach::media_jobs(&state, &scope, *course_id, None).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "videos": jobs })))
}
