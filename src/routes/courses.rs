//! Course pages: the catalog, a course with its lessons, and one lesson.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::courses::{catalog, CatalogQuery};
use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::domain::lesson::{self, Entry};
use crate::error::AppError;
use crate::render::PageEnv;
use crate::app::progress_views::{self, CourseProgressView, WithProgress};
use crate::routes::quizzes::{self, LessonQuery, QuizPage};
use crate::routes::views::CourseView;

// Other route files still find these here.
pub(crate) use crate::app::courses::load_course;

#[derive(Serialize)]
struct CoursePage {
    course: CourseView,
    items: Vec<WithProgress>,
    progress: CourseProgressView,
    can_manage: bool,
}

#[derive(Serialize)]
struct LessonPage {
    course: CourseView,
    item: WithProgress,
    items: Vec<WithProgress>,
    progress: CourseProgressView,
    prev: Option<String>,
    next: Option<String>,
    quiz: Option<QuizPage>,
    scorm: Option<crate::routes::scorm::ScormPlayer>,
    /// A video lesson's renditions, once made.
    video: Option<crate::app::renditions::VideoPlayer>,
    /// SCORM 2004 forced sequential order: an earlier lesson is not done yet.
    locked: bool,
    /// SCORM 2004 control mode `choice`: whether the table of contents links lessons.
    choice: bool,
    /// SCORM 2004 sequencing of a signed-in learner's course: table of contents, buttons.
    sequencing: Option<crate::routes::scorm::SequencedLesson>,
}

pub(crate) fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

#[tracing::instrument(skip_all)]
pub async fn list_courses(
    state: web::Data<AppState>,
    env: PageEnv,
    scope: Scope,
    query: web::Query<CatalogQuery>,
) -> Result<HttpResponse, AppError> {
    let page = catalog(&state, &scope, &query, env.lang).await?;
    state.tracker.settle().await?;
    let page = progress_views::catalog_view(&state, &scope, page, env.lang).await?;
    Ok(html(state.renderer.render("catalog/index.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn show_course(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    env: PageEnv,
    scope: Scope,
) -> Result<HttpResponse, AppError> {
    let (course, items, can_manage) = load_course(&state, &scope, *course_id, env.lang).await?;
    state.tracker.settle().await?;
    let progress = progress_views::for_reader(&state, scope.user.as_ref(), course.id, items).await?;
    let page = CoursePage { course, items: progress.items, progress: progress.course, can_manage };
    Ok(html(state.renderer.render("courses/show.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(course_id = path.0, item_id = path.1))]
pub async fn show_lesson(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    env: PageEnv,
    scope: Scope,
    query: web::Query<LessonQuery>,
) -> Result<HttpResponse, AppError> {
    let (course_id, item_id) = path.into_inner();
    let (course, items, _) = load_course(&state, &scope, course_id, env.lang).await?;
    state.tracker.settle().await?;
    let progress = progress_views::for_reader(&state, scope.user.as_ref(), course_id, items).await?;
    let mut items = progress.items;
    let nav = crate::routes::scorm::navigation(&state, &course).await?;
    let entries: Vec<Entry> = items
        .iter()
        .map(|i| Entry { id: i.item.id, folder: i.item.kind == "folder", done: lesson::is_done(&i.progress.status) })
        .collect();
    let place = lesson::place(&entries, item_id, nav.forward_only, nav.choice).ok_or(AppError::NotFound("lesson"))?;
    // Forced order (SCORM 2004 without choice) or unmet SCORM 1.2 prerequisites.
    let (index, locked) = (place.index, place.locked || !items[place.index].locked_by.is_empty());
    let prev = place.prev.map(|p| items[p].item.page_url.clone());
    let next = place.next.map(|n| items[n].item.page_url.clone());
    let sequencing = crate::routes::scorm::sequenced_lesson(&state, scope.user.as_ref(), &course, &items[index].item.identifier).await?;
    if let Some(target) = sequencing.as_ref().and_then(|s| s.redirect.as_ref()) {
        if let Some(other) = items.iter().find(|i| &i.item.identifier == target) {
            return Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, other.item.page_url.clone())).finish());
        }
    }
    // A sequenced course: the model decides, and its buttons replace the pager.
    let (locked, prev, next) = match &sequencing {
        Some(s) => (s.refused.is_some(), None, None),
        None => (locked, prev, next),
    };
    let item = items.remove(index);
    let quiz = quizzes::quiz_page(&state, scope.user.as_ref(), &item, query.attempt.as_deref(), env.lang).await?;
    let scorm = if locked { None } else { crate::routes::scorm::player_for(&state, &req, scope.user.as_ref(), &course, item.item.id).await? };
    let video = if locked || item.item.kind != "video" { None } else { crate::app::renditions::player_for(&state, item.item.id).await? };
    let scorm = match (scorm, &sequencing) {
        (Some(player), Some(s)) if !player.launch_json.is_empty() => Some(player.with_nav_validity(s.can_continue, s.can_previous)),
        (player, _) => player,
    };
    let page = LessonPage { course, item, items, progress: progress.course, prev, next, quiz, scorm, video, locked, choice: nav.choice, sequencing };
    Ok(html(state.renderer.render("lessons/show.html", &env, &page)?))
}
