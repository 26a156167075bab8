//! The teacher's workbench: the courses a teacher (their school's) or an admin (all)
//! manages, who owns an upload, and a course's settings and deletion, each change in one
//! transaction with its audit entry.

use crate::auth::policy::Scope;
use crate::auth::session::SessionUser;
use crate::db::courses::{self, CourseRow};
use crate::db::versions::{self, ReportRow};
use crate::db::{audit, org, Db, DbError};
use crate::domain::package::Problem;
use crate::domain::{Role, Visibility};
use crate::error::AppError;
use crate::packages::import::Owner;

use super::AppState;

/// A class a course can be assigned to.
pub use crate::db::org::ClassRow;

/// A course on the workbench, with the classes it is assigned to.
pub struct ManagedCourse {
    pub course: CourseRow,
    pub class_ids: Vec<i64>,
    /// Warnings of the latest version's import the teacher has not dismissed yet.
    pub pending_warnings: usize,
    /// Videos of the latest version whose renditions are not made yet, and how far the
    /// work on them is (0-100, over all of them).
    pub videos_in_progress: Option<(usize, u32)>,
}

/// What the workbench shows: the managed courses, and the classes of the teacher's school
/// (none for an admin, whose courses belong to many schools).
pub struct Workbench {
    pub courses: Vec<ManagedCourse>,
    pub classes: Vec<ClassRow>,
}

#[tracing::instrument(skip_all)]
pub async fn workbench(state: &AppState, user: &SessionUser) -> Result<Workbench, AppError> {
    let admin = user.role == Role::Admin;
    let school = if admin { None } else { user.school_id };
    let mut courses = Vec::new();
    for course in courses::managed(&state.db, school, admin).await? {
        let class_ids = courses::course_classes(&state.db, course.id).await?;
        let pending_warnings = match course.latest_version_id {
            Some(v) => pending(&versions::report(&state.db, v).await?).len(),
            None => 0,
        };
        let videos_in_progress = match course.latest_version_id {
            Some(v) => in_progress(&super::renditions::jobs_of_version(state, v).await?),
            None => None,
        };
        courses.push(ManagedCourse { course, class_ids, pending_warnings, videos_in_progress });
    }
    let classes = match school {
        Some(s) => org::classes(&state.db, s).await?,
        None => Vec::new(),
    };
    Ok(Workbench { courses, classes })
}

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

/// The course if the user may manage it; otherwise "not found" (ids reveal nothing).
pub async fn managed_course(state: &AppState, scope: &Scope, course_id: i64) -> Result<CourseRow, AppError> {
    let course = courses::get(&state.db, course_id).await?;
    if scope.can_manage(&course) {
        Ok(course)
    } else if scope.can_view(&course, &courses::course_classes(&state.db, course_id).await?) {
        Err(AppError::Forbidden)
    } else {
        Err(AppError::NotFound("course"))
    }
}

/// A course's settings as the teacher chose them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub published: bool,
    pub visibility: Visibility,
    /// The classes it is assigned to; each must be a class of the course's school.
    pub class_ids: Vec<i64>,
}

/// Changes the settings of `course`, which the user manages ([`managed_course`]).
#[tracing::instrument(skip_all, fields(course_id = course.id))]
pub async fn update_settings(state: &AppState, scope: &Scope, course: &CourseRow, settings: &Settings) -> Result<(), AppError> {
    // Only classes of the course's own school can be assigned.
    let school_classes = match course.school_id {
        Some(school) => org::classes(&state.db, school).await?,
        None => Vec::new(),
    };
    if let Some(bad) = settings.class_ids.iter().find(|id| !school_classes.iter().any(|c| c.id == **id)) {
        return Err(AppError::BadRequest(format!("class {bad} is not a class of this course's school")));
    }
    write_settings(&state.db, scope.user.as_ref().map(|u| u.id), course.id, settings).await
}

/// Stores checked settings: the flags, the classes and the audit entry in one transaction,
/// so that a failed write leaves none of them changed.
pub async fn write_settings(db: &Db, actor: Option<i64>, course_id: i64, settings: &Settings) -> Result<(), AppError> {
    let Settings { published, visibility, class_ids } = settings;
    let mut tx = db.pool.begin().await.map_err(DbError::from)?;
    courses::update_settings_in(&mut tx, course_id, *published, *visibility).await?;
    courses::set_classes_in(&mut tx, course_id, class_ids).await?;
    audit::record_in(&mut tx, actor, "course.settings", &course_id.to_string(), &format!("published={published} visibility={visibility}")).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Deletes a course the user manages. The course's slug must be typed back (`confirm_slug`),
/// so a stray click cannot remove a course.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn delete_course(state: &AppState, scope: &Scope, course_id: i64, confirm_slug: &str) -> Result<(), AppError> {
    let course = managed_course(state, scope, course_id).await?;
    if confirm_slug.trim() != course.slug {
        return Err(AppError::BadRequest(format!("type the course's short name {:?} to confirm deletion", course.slug)));
    }
    let mut tx = state.db.pool.begin().await.map_err(DbError::from)?;
    let versions = courses::delete_in(&mut tx, course.id).await?;
    audit::record_in(&mut tx, scope.user.as_ref().map(|u| u.id), "course.delete", &course.id.to_string(), &course.slug).await?;
    tx.commit().await.map_err(DbError::from)?;
    // Media of the course must stop now, not when the content route's cache expires.
    state.file_cache.forget_versions(&versions);
    Ok(())
}

/// What the import of one version of a course reported, for the teacher who manages it.
pub struct ImportReport {
    pub course: CourseRow,
    pub version_id: i64,
    pub version: i64,
    pub format: String,
    pub created_at: i64,
    pub warnings: Vec<Problem>,
    pub dismissed: bool,
    /// The version's videos and their renditions.
    pub videos: Vec<super::renditions::JobView>,
}

fn warnings_of(row: &ReportRow) -> Vec<Problem> {
    serde_json::from_str(&row.warnings).unwrap_or_default()
}

/// The warnings a teacher still has to see: none once dismissed.
fn pending(row: &ReportRow) -> Vec<Problem> {
    if row.warnings_dismissed_at.is_some() {
        Vec::new()
    } else {
        warnings_of(row)
    }
}

/// The version `version_id` of a course the user manages, or "not found" when it belongs
/// to another course.
async fn managed_version(state: &AppState, scope: &Scope, course_id: i64, version_id: Option<i64>) -> Result<(CourseRow, ReportRow), AppError> {
    let course = managed_course(state, scope, course_id).await?;
    let version_id = version_id.or(course.latest_version_id).ok_or(AppError::NotFound("course version"))?;
    let row = versions::report(&state.db, version_id).await?;
    if row.course_id != course.id {
        return Err(AppError::NotFound("course version"));
    }
    Ok((course, row))
}

/// The import report of a version (the latest when `None`) of a course the user manages.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn import_report(state: &AppState, scope: &Scope, course_id: i64, version_id: Option<i64>) -> Result<ImportReport, AppError> {
    let (course, row) = managed_version(state, scope, course_id, version_id).await?;
    Ok(ImportReport {
        videos: super::renditions::jobs_of_version(state, row.id).await?,
        warnings: warnings_of(&row),
        dismissed: row.warnings_dismissed_at.is_some(),
        version_id: row.id,
        version: row.version,
        format: row.format,
        created_at: row.created_at,
        course,
    })
}

/// (videos still waiting or being made, mean percent) when any are not finished.
fn in_progress(jobs: &[super::renditions::JobView]) -> Option<(usize, u32)> {
    let open: Vec<_> = jobs.iter().filter(|j| matches!(j.state.as_str(), "queued" | "running")).collect();
    (!open.is_empty()).then(|| (open.len(), open.iter().map(|j| j.percent).sum::<u32>() / open.len() as u32))
}

/// The rendition jobs of the videos in a course's latest version (or `version_id`).
pub async fn media_jobs(state: &AppState, scope: &Scope, course_id: i64, version_id: Option<i64>) -> Result<Vec<super::renditions::JobView>, AppError> {
    let (_, row) = managed_version(state, scope, course_id, version_id).await?;
    super::renditions::jobs_of_version(state, row.id).await
}

/// Hides a version's warnings from the workbench; the report stays readable.
#[tracing::instrument(skip_all, fields(course_id = course_id, version_id = version_id))]
pub async fn dismiss_report(state: &AppState, scope: &Scope, course_id: i64, version_id: i64) -> Result<(), AppError> {
    let (_, row) = managed_version(state, scope, course_id, Some(version_id)).await?;
    versions::dismiss_warnings(&state.db, row.id, crate::db::now_ms()).await?;
    Ok(())
}
