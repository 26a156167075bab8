//! The teacher's class view of a course: learners x lessons (status, score, time, last
//! access), and its CSV export.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::policy::Scope;
use crate::db::courses;
use crate::db::progress_read::{self, LearnerFilter};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::routes::teach::managed_course;
use crate::routes::views::CourseView;
use crate::app::AppState;
use crate::tracking::report::{ClassReport, ReportItem};

#[derive(Debug, Deserialize)]
pub struct ClassQuery {
    /// A class of the course's school; none: everyone who has started the course.
    pub class: Option<i64>,
}

#[derive(Serialize)]
struct ClassOption {
    id: i64,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct ClassProgressPage {
    course: CourseView,
    classes: Vec<ClassOption>,
    class_id: Option<i64>,
    report: ClassReport,
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn show_class_progress(
    state: web::Data<AppState>,
    env: PageEnv,
    scope: Scope,
    course_id: web::Path<i64>,
    query: web::Query<ClassQuery>,
) -> Result<HttpResponse, AppError> {
    let page = class_page(&state, &scope, *course_id, query.class, env.lang).await?;
    Ok(html(state.renderer.render("teach/progress.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn export_class_progress(
    state: web::Data<AppState>,
    scope: Scope,
    lang: Lang,
    course_id: web::Path<i64>,
    query: web::Query<ClassQuery>,
) -> Result<HttpResponse, AppError> {
    let page = class_page(&state, &scope, *course_id, query.class, lang).await?;
    let name = format!("progress-{}{}.csv", page.course.slug, page.class_id.map_or(String::new(), |c| format!("-class-{c}")));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(page.report.to_csv(&page.course.name)))
}

/// The report for a course the reader manages. Teachers see their school's learners only.
async fn class_page(state: &AppState, scope: &Scope, course_id: i64, class: Option<i64>, lang: Lang) -> Result<ClassProgressPage, AppError> {
    let course = managed_course(state, scope, course_id).await?;
    state.tracker.settle().await?;
    let classes = match course.school_id {
        Some(school) => progress_read::classes_of_school(&state.db, school).await?,
        None => Vec::new(),
    };
    if class.is_some_and(|c| !classes.iter().any(|(id, _)| *id == c)) {
        return Err(AppError::NotFound("class"));
    }
    let school_id = if scope.role() == Some(Role::Admin) { None } else { course.school_id };
    let filter = LearnerFilter { course_id, school_id, class_id: class };
    let version = course.latest_version_id.ok_or(AppError::NotFound("course"))?;
    let items = courses::items(&state.db, version)
        .await?
        .into_iter()
        .filter(|i| i.kind != "folder")
        .map(|i| ReportItem { title: lang.pick(&i.title, i.title_en.as_deref()).to_string(), key: i.identifier, kind: i.kind })
        .collect();
    let learners = progress_read::learners(&state.db, filter).await?;
    let (item_rows, course_rows) = progress_read::rows_of_learners(&state.db, filter).await?;
    Ok(ClassProgressPage {
        course: CourseView::new(course, lang),
        classes: classes.into_iter().map(|(id, name)| ClassOption { id, name, selected: class == Some(id) }).collect(),
        class_id: class,
        report: ClassReport::new(items, learners, item_rows, course_rows),
    })
}
