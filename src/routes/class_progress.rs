//! The teacher's class view of a course: learners x lessons (status, score, time, last
//! access), and its CSV export.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::class_report::{class_report, CourseReport};
use crate::app::essays::{course_essays, EssayView};
use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::routes::views::CourseView;
use crate::tracking::report::ClassReport;

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

#[derive(Serialize)]
struct EssaysPage {
    course: CourseView,
    essays: Vec<EssayView>,
}

/// The essays learners wrote in the course's quizzes, which the server keeps unscored.
#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn show_essays(state: web::Data<AppState>, env: PageEnv, scope: Scope, course_id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (course, essays) = course_essays(&state, &scope, *course_id, env.lang).await?;
    let page = EssaysPage { course: CourseView::new(course, env.lang), essays };
    Ok(html(state.renderer.render("teach/essays.html", &env, &page)?))
}

async fn class_page(state: &AppState, scope: &Scope, course_id: i64, class: Option<i64>, lang: Lang) -> Result<ClassProgressPage, AppError> {
    let CourseReport { course, classes, report } = class_report(state, scope, course_id, class, lang).await?;
    Ok(ClassProgressPage {
        course: CourseView::new(course, lang),
        classes: classes.into_iter().map(|(id, name)| ClassOption { id, name, selected: class == Some(id) }).collect(),
        class_id: class,
        report,
    })
}
