//! Reading courses: the catalog, one course with the items of its latest version, and its
//! versions; and removing an older version (with its audit record, in one transaction).

use serde::{Deserialize, Serialize};

use crate::app::views::{CourseView, ItemView};
use crate::app::AppState;
use crate::auth::media_token::now_secs;
use crate::auth::policy::Scope;
use crate::db::courses::{self, CatalogFilter};
use crate::db::{self, audit, org, versions};
use crate::error::AppError;
use crate::i18n::Lang;

const PER_PAGE: i64 = 24;

/// The catalog's search, from the page's and the API's query string alike.
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
pub struct CatalogPage {
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

/// A course as one reader sees it: the course, the items of one of its versions (with
/// signed media URLs), and whether the reader may manage it.
pub struct Course {
    pub course: CourseView,
    pub items: Vec<ItemView>,
    pub can_manage: bool,
}

#[derive(Serialize)]
pub struct VersionView {
    pub id: i64,
    pub version: i64,
    pub format: String,
    pub created_at: i64,
    pub latest: bool,
    pub warnings: serde_json::Value,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// One page of the courses the reader may see that match the search, with the facets.
pub async fn catalog(state: &AppState, scope: &Scope, query: &CatalogQuery, lang: Lang) -> Result<CatalogPage, AppError> {
    let school_id = match nonempty(&query.school) {
        Some(code) => Some(org::school_by_code(&state.db, &code).await?.id),
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

/// A course the reader may see and the items of its latest version, with signed media URLs.
/// Courses the reader may not see are "not found", so ids reveal nothing.
pub async fn load_course(state: &AppState, scope: &Scope, course_id: i64, lang: Lang) -> Result<(CourseView, Vec<ItemView>, bool), AppError> {
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

/// Every version of a course the reader may see, newest first.
pub async fn list_versions(state: &AppState, scope: &Scope, course_id: i64, lang: Lang) -> Result<Vec<VersionView>, AppError> {
    let (course, _, _) = load_course(state, scope, course_id, lang).await?;
    let rows = versions::versions(&state.db, course_id).await?;
    Ok(rows
        .into_iter()
        .map(|v| VersionView {
            latest: Some(v.id) == course.version_id,
            warnings: serde_json::from_str(&v.warnings).unwrap_or_default(),
            id: v.id,
            version: v.version,
            format: v.format,
            created_at: v.created_at,
        })
        .collect())
}

/// One version of a course the reader may see; an older version stays readable.
pub async fn show_version(state: &AppState, scope: &Scope, course_id: i64, version_id: i64, lang: Lang) -> Result<Course, AppError> {
    let (course, _, can_manage) = load_course(state, scope, course_id, lang).await?;
    let owner = courses::course_of_version(&state.db, version_id).await?;
    if owner.id != course_id {
        return Err(AppError::NotFound("course version"));
    }
    let rows = courses::items(&state.db, version_id).await?;
    let token = state.signer.issue(version_id, now_secs());
    let items = ItemView::list(course_id, rows, lang, &token);
    Ok(Course { course: CourseView { version_id: Some(version_id), ..course }, items, can_manage })
}

/// Removes an older version of a course the reader manages.
#[tracing::instrument(skip_all, fields(course_id = course_id, version_id = version_id))]
pub async fn delete_version(state: &AppState, scope: &Scope, course_id: i64, version_id: i64, lang: Lang) -> Result<(), AppError> {
    let (_, _, can_manage) = load_course(state, scope, course_id, lang).await?;
    if !can_manage {
        return Err(AppError::Forbidden);
    }
    let actor = scope.user.as_ref().map(|u| u.id);
    let mut tx = state.db.begin().await?;
    versions::delete_version(&mut tx, course_id, version_id).await?;
    audit::record_in(&mut tx, actor, "course.version.delete", &course_id.to_string(), &version_id.to_string()).await?;
    db::commit(tx).await?;
    // Its media must stop now, not when the content route's cache expires.
    state.file_cache.forget_versions(&[version_id]);
    Ok(())
}
