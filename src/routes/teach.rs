//! The teacher's workbench: their school's courses, upload, publish/unpublish, visibility,
//! delete with confirmation.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::policy::Scope;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::db::courses::{self, CourseRow};
use crate::db::{audit, org};
use crate::domain::{Role, Visibility};
use crate::error::AppError;
use crate::packages::import::Owner;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::routes::views::CourseView;
use crate::app::AppState;

/// The owner of a package a user uploads: a teacher's school, or for an admin the school
/// named by code (or no school: a city-wide course). `visibility` is the uploader's choice
/// (`None` or empty: none made), refused unless it is one of [`Visibility`]'s words.
pub async fn owner_for(state: &AppState, user: &SessionUser, school: Option<&str>, visibility: Option<&str>) -> Result<Owner, AppError> {
    let visibility = visibility.filter(|v| !v.is_empty()).map(Visibility::parse).transpose().map_err(AppError::BadRequest)?;
    let school_row = match (user.role, school) {
        (Role::Teacher, _) => Some(org::school(&state.db, user.school_id.ok_or(AppError::Forbidden)?).await?),
        (Role::Admin, Some(code)) => Some(
            org::school_by_code(&state.db, code)
                .await
                .map_err(|_| AppError::BadRequest(format!("school {code} does not exist")))?,
        ),
        (Role::Admin, None) => None,
        _ => return Err(AppError::Forbidden),
    };
    Ok(match school_row {
        Some(s) => Owner::school(&s, Some(user.id), visibility),
        None => Owner::global(Some(user.id), visibility),
    })
}

#[derive(Serialize)]
struct ManagedCourse {
    #[serde(flatten)]
    view: CourseView,
    published: bool,
    visibility: String,
    class_ids: Vec<i64>,
}

#[derive(Serialize)]
struct TeachPage {
    courses: Vec<ManagedCourse>,
    classes: Vec<org::ClassRow>,
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
    let school = if teacher.role == Role::Admin { None } else { teacher.school_id };
    let rows = courses::managed(&state.db, school, teacher.role == Role::Admin).await?;
    let mut courses = Vec::with_capacity(rows.len());
    for r in rows {
        let class_ids = courses::course_classes(&state.db, r.id).await?;
        courses.push(ManagedCourse { published: r.published == 1, visibility: r.visibility.clone(), class_ids, view: CourseView::new(r, env.lang) });
    }
    let classes = match school {
        Some(s) => org::classes(&state.db, s).await?,
        None => Vec::new(),
    };
    Ok(html(state.renderer.render("teach/index.html", &env, &TeachPage { courses, classes })?))
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

/// The course if the user may manage it; otherwise "not found" (ids reveal nothing).
pub(crate) async fn managed_course(state: &AppState, scope: &Scope, course_id: i64) -> Result<CourseRow, AppError> {
    let course = courses::get(&state.db, course_id).await?;
    if scope.can_manage(&course) {
        Ok(course)
    } else if scope.can_view(&course, &courses::course_classes(&state.db, course_id).await?) {
        Err(AppError::Forbidden)
    } else {
        Err(AppError::NotFound("course"))
    }
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn update_settings(
    state: web::Data<AppState>,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let course = managed_course(&state, &scope, *course_id).await?;
    let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let visibility = Visibility::parse(value("visibility").unwrap_or("")).map_err(AppError::BadRequest)?;
    let published = value("published").is_some();
    let mut class_ids = Vec::new();
    for (_, v) in form.iter().filter(|(k, _)| k == "class") {
        class_ids.push(v.parse::<i64>().map_err(|_| AppError::BadRequest(format!("bad class id {v:?}")))?);
    }
    // Only classes of the course's own school can be assigned.
    let school_classes = match course.school_id {
        Some(school) => org::classes(&state.db, school).await?,
        None => Vec::new(),
    };
    if let Some(bad) = class_ids.iter().find(|id| !school_classes.iter().any(|c| c.id == **id)) {
        return Err(AppError::BadRequest(format!("class {bad} is not a class of this course's school")));
    }
    courses::update_settings(&state.db, course.id, published, visibility).await?;
    courses::set_classes(&state.db, course.id, &class_ids).await?;
    let actor = scope.user.as_ref().map(|u| u.id);
    audit::record(&state.db, actor, "course.settings", &course.id.to_string(), &format!("published={published} visibility={visibility}")).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/teach")).finish())
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    env: PageEnv,
    _signed_in: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let course = managed_course(&state, &scope, *course_id).await?;
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
    let course = managed_course(&state, &scope, *course_id).await?;
    if form.confirm_slug.trim() != course.slug {
        return Err(AppError::BadRequest(format!("type the course's short name {:?} to confirm deletion", course.slug)));
    }
    let versions = courses::delete(&state.db, course.id).await?;
    // Media of the course must stop now, not when the content route's cache expires.
    state.file_cache.forget_versions(&versions);
    let actor = scope.user.as_ref().map(|u| u.id);
    audit::record(&state.db, actor, "course.delete", &course.id.to_string(), &course.slug).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/teach")).finish())
}
