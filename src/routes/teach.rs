//! The teacher's workbench: their school's courses, upload, publish/unpublish, visibility,
//! delete with confirmation.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::teach::{self as workbench, ClassRow};
use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::domain::{Role, Visibility};
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::routes::views::CourseView;

/// The upload handlers (`uploads`, `api_packages`) name the owner through this module.
pub use crate::app::teach::owner_for;

#[derive(Serialize)]
struct ManagedCourse {
    #[serde(flatten)]
    view: CourseView,
    published: bool,
    visibility: String,
    class_ids: Vec<i64>,
    /// "N warnings" when the latest import's report is not dismissed yet.
    pending_warnings: Option<String>,
    /// "Preparing N videos for slow links: 40%" while renditions are being made.
    videos_in_progress: Option<String>,
}

#[derive(Serialize)]
struct TeachPage {
    courses: Vec<ManagedCourse>,
    classes: Vec<ClassRow>,
}

#[derive(Serialize)]
struct DeletePage {
    course: CourseView,
}

/// The settings form as its raw pairs: `class` repeats once per chosen class.
pub type SettingsForm = Vec<(String, String)>;

#[derive(Deserialize)]
pub struct DeleteForm {
    confirm_slug: String,
}

fn require_teacher(user: &CurrentUser) -> Result<&SessionUser, AppError> {
    user.require(&[Role::Teacher, Role::Admin])
}

#[tracing::instrument(skip_all)]
pub async fn show_workbench(state: web::Data<AppState>, env: PageEnv, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let teacher = require_teacher(&user)?;
    let bench = workbench::workbench(&state, teacher).await?;
    let courses = bench
        .courses
        .into_iter()
        .map(|m| ManagedCourse { published: m.course.published == 1, visibility: m.course.visibility.clone(), class_ids: m.class_ids, pending_warnings: (m.pending_warnings > 0).then(|| state.renderer.string(env.lang, "teach.pending_warnings").replace("{n}", &m.pending_warnings.to_string())), videos_in_progress: m.videos_in_progress.map(|(n, pct)| state.renderer.string(env.lang, "teach.videos_in_progress").replace("{n}", &n.to_string()).replace("{pct}", &pct.to_string())), view: CourseView::new(m.course, env.lang) })
        .collect();
    Ok(html(state.renderer.render("teach/index.html", &env, &TeachPage { courses, classes: bench.classes })?))
}

#[derive(Serialize)]
struct UploadPage {
    visibilities: [Visibility; 4],
    /// What a new course gets when the uploader leaves the choice empty.
    initial: Visibility,
}

pub async fn show_upload(state: web::Data<AppState>, env: PageEnv, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let uploader = require_teacher(&user)?;
    // The web form uploads to the teacher's school, or for an admin to no school.
    let page = UploadPage { visibilities: Visibility::ALL, initial: Visibility::initial(uploader.role == Role::Teacher) };
    Ok(html(state.renderer.render("teach/upload.html", &env, &page)?))
}

/// The form's pairs as settings: `visibility` must be one of [`Visibility`]'s words, `class`
/// values are class ids.
fn parse_settings(form: &SettingsForm) -> Result<workbench::Settings, AppError> {
    let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let visibility = Visibility::parse(value("visibility").unwrap_or("")).map_err(AppError::BadRequest)?;
    let class_ids = form
        .iter()
        .filter(|(k, _)| k == "class")
        .map(|(_, v)| v.parse::<i64>().map_err(|_| AppError::BadRequest(format!("bad class id {v:?}"))))
        .collect::<Result<_, _>>()?;
    Ok(workbench::Settings { published: value("published").is_some(), visibility, class_ids })
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn update_settings(
    state: web::Data<AppState>,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let course = workbench::managed_course(&state, &scope, *course_id).await?;
    let settings = parse_settings(&form)?;
    workbench::update_settings(&state, &scope, &course, &settings).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/teach")).finish())
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    env: PageEnv,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let course = workbench::managed_course(&state, &scope, *course_id).await?;
    let page = DeletePage { course: CourseView::new(course, env.lang) };
    Ok(html(state.renderer.render("teach/delete.html", &env, &page)?))
}

/// Deleting needs the course's slug typed back, so a stray click cannot remove a course.
#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn delete_course(
    state: web::Data<AppState>,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    workbench::delete_course(&state, &scope, *course_id, &form.confirm_slug).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/teach")).finish())
}

#[derive(Serialize)]
struct ReportPage {
    course: CourseView,
    version_id: i64,
    version: i64,
    format: String,
    /// Unix milliseconds, for the `datetime` filter.
    created_at_ms: i64,
    warnings: Vec<crate::domain::package::Problem>,
    dismissed: bool,
    videos: Vec<crate::app::renditions::JobView>,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    version: Option<i64>,
}

/// The import report of a course's version (the latest unless `?version=`): where the web
/// upload lands when the importer had something to say.
pub async fn show_report(
    state: web::Data<AppState>,
    env: PageEnv,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = workbench::import_report(&state, &scope, *course_id, query.version).await?;
    let page = ReportPage {
        version_id: report.version_id,
        version: report.version,
        format: report.format,
        created_at_ms: report.created_at,
        warnings: report.warnings,
        dismissed: report.dismissed,
        videos: report.videos,
        course: CourseView::new(report.course, env.lang),
    };
    Ok(html(state.renderer.render("teach/report.html", &env, &page)?))
}

/// Dismisses a version's import warnings, then back to the workbench.
#[tracing::instrument(skip_all)]
pub async fn dismiss_report(
    state: web::Data<AppState>,
    _signed_in: CurrentUser,
    scope: Scope,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (course_id, version_id) = path.into_inner();
    workbench::dismiss_report(&state, &scope, course_id, version_id).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/teach")).finish())
}
