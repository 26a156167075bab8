//! Course pages: the catalog, a course with its lessons, and one lesson.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::db::courses;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::views::{CourseView, ItemView};
use crate::startup::AppState;

#[derive(Serialize)]
struct CatalogPage {
    courses: Vec<CourseView>,
}

#[derive(Serialize)]
struct CoursePage {
    course: CourseView,
    items: Vec<ItemView>,
    first_lesson: Option<String>,
}

#[derive(Serialize)]
struct LessonPage {
    course: CourseView,
    item: ItemView,
    items: Vec<ItemView>,
    prev: Option<String>,
    next: Option<String>,
}

pub(crate) fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

#[tracing::instrument(skip_all)]
pub async fn list_courses(state: web::Data<AppState>, env: PageEnv) -> Result<HttpResponse, AppError> {
    let rows = courses::list_published(&state.db).await?;
    let page = CatalogPage {
        courses: rows.into_iter().map(|r| CourseView::new(r, env.lang)).collect(),
    };
    Ok(html(state.renderer.render("catalog/index.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn show_course(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    env: PageEnv,
) -> Result<HttpResponse, AppError> {
    let (course, items) = load_course(&state, *course_id, env.lang).await?;
    let first_lesson = items.iter().find(|i| i.kind != "folder").map(|i| i.page_url.clone());
    let page = CoursePage { course, items, first_lesson };
    Ok(html(state.renderer.render("courses/show.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(course_id = path.0, item_id = path.1))]
pub async fn show_lesson(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    env: PageEnv,
) -> Result<HttpResponse, AppError> {
    let (course_id, item_id) = path.into_inner();
    let (course, items) = load_course(&state, course_id, env.lang).await?;
    let index = items
        .iter()
        .position(|i| i.id == item_id && i.kind != "folder")
        .ok_or(AppError::NotFound("lesson"))?;
    let lessons: Vec<usize> = (0..items.len()).filter(|&i| items[i].kind != "folder").collect();
    let at = lessons.iter().position(|&i| i == index).unwrap_or(0);
    let prev = at.checked_sub(1).map(|p| items[lessons[p]].page_url.clone());
    let next = lessons.get(at + 1).map(|&n| items[n].page_url.clone());
    let item = ItemView::list(course_id, vec![courses::item(&state.db, item_id).await?], env.lang).remove(0);
    let page = LessonPage { course, item, items, prev, next };
    Ok(html(state.renderer.render("lessons/show.html", &env, &page)?))
}

/// A published course and the items of its latest version; unpublished courses are not found.
pub(crate) async fn load_course(
    state: &AppState,
    course_id: i64,
    lang: Lang,
) -> Result<(CourseView, Vec<ItemView>), AppError> {
    let row = courses::get(&state.db, course_id).await?;
    let version_id = match (row.published, row.latest_version_id) {
        (1, Some(v)) => v,
        _ => return Err(AppError::NotFound("course")),
    };
    let items = courses::items(&state.db, version_id).await?;
    Ok((CourseView::new(row, lang), ItemView::list(course_id, items, lang)))
}
