//! Course pages: the catalog, a course with its lessons, and one lesson.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::media_token::now_secs;
use crate::auth::policy::Scope;
use crate::db::courses::{self, CatalogFilter};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::progress_views::{self, CourseProgressView, WithProgress};
use crate::routes::quizzes::{self, LessonQuery, QuizPage};
use crate::routes::views::{CourseView, ItemView};
use crate::app::AppState;

const PER_PAGE: i64 = 24;

#[derive(Debug, Deserialize)]
pub struct CatalogQuery {
    pub q: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub format: Option<String>,
    pub school: Option<String>,
    pub page: Option<i64>,
}

#[derive(Serialize)]
pub(crate) struct CatalogPage {
    pub courses: Vec<CourseView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub subjects: Vec<String>,
    pub grades: Vec<String>,
    pub formats: Vec<&'static str>,
    pub q: String,
    pub subject: String,
    pub grade: String,
    pub format: String,
}

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
    /// SCORM 2004 forced sequential order: an earlier lesson is not done yet.
    locked: bool,
    /// SCORM 2004 control mode `choice`: whether the table of contents links lessons.
    choice: bool,
}

pub(crate) fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Runs the catalog query for pages and the API alike.
pub(crate) async fn catalog(state: &AppState, scope: &Scope, query: &CatalogQuery, lang: Lang) -> Result<CatalogPage, AppError> {
    let school_id = match nonempty(&query.school) {
        Some(code) => Some(crate::db::org::school_by_code(&state.db, &code).await?.id),
        None => None,
    };
    let filter = CatalogFilter {
        q: nonempty(&query.q),
        subject: nonempty(&query.subject),
        grade: nonempty(&query.grade),
        format: nonempty(&query.format),
        school_id,
        page: query.page.unwrap_or(1).max(1),
        per_page: PER_PAGE,
    };
    let visible = scope.sql_condition();
    let (rows, total) = courses::catalog(&state.db, &visible, &filter).await?;
    let (subjects, grades) = courses::facets(&state.db, &visible).await?;
    Ok(CatalogPage {
        courses: rows.into_iter().map(|r| CourseView::new(r, lang)).collect(),
        total,
        page: filter.page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        subjects,
        grades,
        formats: vec!["native", "scorm12", "scorm2004", "cmi5", "imscc", "plain"],
        q: filter.q.unwrap_or_default(),
        subject: filter.subject.unwrap_or_default(),
        grade: filter.grade.unwrap_or_default(),
        format: filter.format.unwrap_or_default(),
    })
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
    let page = progress_views::catalog_view(&state.db, &scope, page, env.lang).await?;
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
    let progress = progress_views::for_reader(&state.db, scope.user.as_ref(), course.id, items).await?;
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
    let progress = progress_views::for_reader(&state.db, scope.user.as_ref(), course_id, items).await?;
    let mut items = progress.items;
    let index = items
        .iter()
        .position(|i| i.item.id == item_id && i.item.kind != "folder")
        .ok_or(AppError::NotFound("lesson"))?;
    let lessons: Vec<usize> = (0..items.len()).filter(|&i| items[i].item.kind != "folder").collect();
    let at = lessons.iter().position(|&i| i == index).unwrap_or(0);
    let nav = crate::routes::scorm::navigation(&state, &course).await?;
    let prev = at.checked_sub(1).filter(|_| !nav.forward_only).map(|p| items[lessons[p]].item.page_url.clone());
    let next = lessons.get(at + 1).map(|&n| items[n].item.page_url.clone());
    // Without choice, a lesson opens only when every lesson before it is done (forced sequential).
    let done = |i: &WithProgress| matches!(i.progress.status.as_str(), "completed" | "passed" | "failed");
    let locked = !nav.choice && lessons[..at].iter().any(|&l| !done(&items[l]));
    let item = items.remove(index);
    let quiz = quizzes::quiz_page(&state, scope.user.as_ref(), &item, query.attempt.as_deref(), env.lang).await?;
    let scorm = if locked { None } else { crate::routes::scorm::player_for(&state, &req, scope.user.as_ref(), &course, item.item.id).await? };
    let page = LessonPage { course, item, items, progress: progress.course, prev, next, quiz, scorm, locked, choice: nav.choice };
    Ok(html(state.renderer.render("lessons/show.html", &env, &page)?))
}

/// A course the reader may see and the items of its latest version, with signed media URLs.
/// Courses the reader may not see are "not found", so ids reveal nothing.
pub(crate) async fn load_course(
    state: &AppState,
    scope: &Scope,
    course_id: i64,
    lang: Lang,
) -> Result<(CourseView, Vec<ItemView>, bool), AppError> {
    let row = courses::get(&state.db, course_id).await?;
    let classes = courses::course_classes(&state.db, course_id).await?;
    if !scope.can_view(&row, &classes) {
        return Err(AppError::NotFound("course"));
    }
    let can_manage = scope.can_manage(&row);
    let version_id = row.latest_version_id.ok_or(AppError::NotFound("course"))?;
    let items = courses::items(&state.db, version_id).await?;
    let token = state.signer.issue(version_id, now_secs());
    Ok((CourseView::new(row, lang), ItemView::list(course_id, items, lang, &token), can_manage))
}
