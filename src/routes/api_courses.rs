//! JSON API for courses: `/api/v1/courses` and `/api/v1/courses/{id}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::db::courses;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::load_course;
use crate::routes::views::{CourseView, ItemView};
use crate::startup::AppState;

#[derive(Serialize)]
struct CourseList {
    courses: Vec<CourseView>,
}

#[derive(Serialize)]
struct CourseDetail {
    #[serde(flatten)]
    course: CourseView,
    items: Vec<ItemView>,
}

#[tracing::instrument(skip_all)]
pub async fn list_courses(state: web::Data<AppState>, lang: Lang) -> Result<HttpResponse, AppError> {
    let rows = courses::list_published(&state.db).await?;
    let courses = rows.into_iter().map(|r| CourseView::new(r, lang)).collect();
    Ok(HttpResponse::Ok().json(CourseList { courses }))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn get_course(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (course, items) = load_course(&state, *course_id, lang).await?;
    Ok(HttpResponse::Ok().json(CourseDetail { course, items }))
}
