//! JSON API for courses: `/api/v1/courses` and `/api/v1/courses/{id}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::{catalog, load_course, CatalogQuery};
use crate::routes::views::{CourseView, ItemView};
use crate::app::AppState;

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
    let page = catalog(&state, &scope, &query, lang).await?;
    Ok(HttpResponse::Ok().json(CourseList { courses: page.courses, total: page.total, page: page.page, pages: page.pages }))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn get_course(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    lang: Lang,
    scope: Scope,
) -> Result<HttpResponse, AppError> {
    let (course, items, can_manage) = load_course(&state, &scope, *course_id, lang).await?;
    Ok(HttpResponse::Ok().json(CourseDetail { course, can_manage, items }))
}

#[derive(Serialize)]
struct VersionList {
    versions: Vec<VersionView>,
}

#[derive(Serialize)]
struct VersionView {
    id: i64,
    version: i64,
    format: String,
    created_at: i64,
    latest: bool,
    warnings: serde_json::Value,
}

/// `GET /api/v1/courses/{id}/versions`: every version of a course one may see.
pub async fn list_versions(state: web::Data<AppState>, course_id: web::Path<i64>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let (course, _, _) = load_course(&state, &scope, *course_id, lang).await?;
    let rows = crate::db::versions::versions(&state.db, *course_id).await?;
    let versions = rows
        .into_iter()
        .map(|v| VersionView {
            latest: Some(v.id) == course.version_id,
            warnings: serde_json::from_str(&v.warnings).unwrap_or_default(),
            id: v.id,
            version: v.version,
            format: v.format,
            created_at: v.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(VersionList { versions }))
}

/// `GET /api/v1/courses/{id}/versions/{version_id}`: an older version stays readable.
pub async fn get_version(state: web::Data<AppState>, path: web::Path<(i64, i64)>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let (course_id, version_id) = path.into_inner();
    let (course, _, can_manage) = load_course(&state, &scope, course_id, lang).await?;
    let owner = crate::db::courses::course_of_version(&state.db, version_id).await?;
    if owner.id != course_id {
        return Err(AppError::NotFound("course version"));
    }
    let rows = crate::db::courses::items(&state.db, version_id).await?;
    let token = state.signer.issue(version_id, crate::auth::media_token::now_secs());
    let items = ItemView::list(course_id, rows, lang, &token);
    Ok(HttpResponse::Ok().json(CourseDetail { course: CourseView { version_id: Some(version_id), ..course }, can_manage, items }))
}

/// `DELETE /api/v1/courses/{id}/versions/{version_id}`: managers remove an older version.
pub async fn delete_version(state: web::Data<AppState>, path: web::Path<(i64, i64)>, lang: Lang, scope: Scope) -> Result<HttpResponse, AppError> {
    let (course_id, version_id) = path.into_inner();
    let (_, _, can_manage) = load_course(&state, &scope, course_id, lang).await?;
    if !can_manage {
        return Err(AppError::Forbidden);
    }
    crate::db::versions::delete_version(&state.db, course_id, version_id).await?;
    state.file_cache.forget_versions(&[version_id]);
    let actor = scope.user.as_ref().map(|u| u.id);
    crate::db::audit::record(&state.db, actor, "course.version.delete", &course_id.to_string(), &version_id.to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}
