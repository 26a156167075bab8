//! A course's class report for those who manage it: learners x lessons (status, score,
//! time, last access), of one class of the course's school or of everyone who started it.

use crate::auth::policy::Scope;
use crate::db::courses::{self, CourseRow};
use crate::db::progress_read::{self, LearnerFilter};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tracking::report::{ClassReport, ReportItem};

use super::teach::managed_course;
use super::AppState;

/// The report with what its page offers around it.
pub struct CourseReport {
    pub course: CourseRow,
    /// The classes of the course's school, (id, name), to choose from.
    pub classes: Vec<(i64, String)>,
    pub report: ClassReport,
}

/// The report of a course the reader manages, for `class` (a class of the course's school)
/// or for everyone. Teachers see their school's learners only.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn class_report(state: &AppState, scope: &Scope, course_id: i64, class: Option<i64>, lang: Lang) -> Result<CourseReport, AppError> {
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
    Ok(CourseReport { course, classes, report: ClassReport::new(items, learners, item_rows, course_rows) })
}
