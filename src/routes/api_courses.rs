//! JSON API for courses: `/api/v1/courses` and `/api/v1/courses/{id}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::{catalog, load_course, CatalogQuery};
use crate::routes::views::{CourseView, ItemView};
use crate::startup::AppState;

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
