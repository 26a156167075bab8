//! Progress as pages and the JSON API show it: bars, statuses, time, where to resume.

use std::collections::HashMap;

use serde::Serialize;

use crate::app::AppState;
use crate::auth::policy::Scope;
use crate::auth::session::SessionUser;
use crate::db::progress::{CourseProgressRow, ItemProgressRow};
use crate::db::{progress_read, DbResult};
use crate::i18n::Lang;
use crate::app::courses::CatalogPage;
use crate::app::views::{CourseView, ItemView};
use crate::domain::prerequisites::{course_statuses, ItemStatus, Rule, Standing};
use crate::tracking::event::Position;
use crate::tracking::report::minutes;

/// One learner's progress on one item; "not started" when there is no row.
#[derive(Debug, Clone, Serialize)]
pub struct ItemProgressView {
    pub status: String,
    pub score: Option<f64>,
    pub time_spent_ms: i64,
    /// Whole minutes, rounded up, for display.
    pub minutes: i64,
    pub watched_share: Option<f64>,
    pub watched_percent: Option<i64>,
    pub position: Option<Position>,
    pub attempts: i64,
    pub first_access: Option<i64>,
    pub last_access: Option<i64>,
}

impl ItemProgressView {
    pub fn new(row: Option<&ItemProgressRow>) -> ItemProgressView {
        let Some(row) = row else {
            return ItemProgressView {
                status: "not_started".into(),
                score: None,
                time_spent_ms: 0,
                minutes: 0,
                watched_share: None,
                watched_percent: None,
                position: None,
                attempts: 0,
                first_access: None,
                last_access: None,
            };
        };
        ItemProgressView {
            status: row.status.clone(),
            score: row.score,
            time_spent_ms: row.time_spent_ms,
            minutes: minutes(row.time_spent_ms),
            watched_share: row.watched_share,
            watched_percent: row.watched_share.map(|s| (s * 100.0).floor() as i64),
            position: row.position.as_deref().and_then(|p| serde_json::from_str(p).ok()),
            attempts: row.attempts,
            first_access: Some(row.first_access),
            last_access: Some(row.last_access),
        }
    }

    /// Where a video or audio lesson resumes.
    pub fn resume_seconds(&self) -> Option<f64> {
        match self.position {
            Some(Position::Seconds(s)) => Some(s),
            _ => None,
        }
    }
}

/// A page item with its progress beside it (templates read `item.progress.status`).
#[derive(Debug, Serialize)]
pub struct WithProgress {
    #[serde(flatten)]
    pub item: ItemView,
    pub progress: ItemProgressView,
    /// SCORM 1.2 prerequisites not met yet: the names of the lessons to finish first
    /// (empty when the lesson is open).
    pub locked_by: Vec<String>,
}

/// One learner's progress in one course; "not started" when there is no row.
#[derive(Debug, Clone, Serialize)]
pub struct CourseProgressView {
    pub course_id: i64,
    pub status: String,
    pub percent: i64,
    pub completed_items: i64,
    pub required_items: i64,
    pub score: Option<f64>,
    pub time_spent_ms: i64,
    pub minutes: i64,
    pub first_access: Option<i64>,
    pub last_access: Option<i64>,
    /// The lesson to continue with: the one last studied, or the first.
    pub continue_item: Option<i64>,
    pub continue_url: Option<String>,
    pub continue_name: Option<String>,
}

/// A learner's course and item progress, with the course's current lessons.
pub struct LearnerProgress {
    pub course: CourseProgressView,
    pub items: Vec<WithProgress>,
}

/// Loads `user_id`'s progress in a course whose current lessons are `items`.
pub async fn learner_progress(state: &AppState, user_id: i64, course_id: i64, items: Vec<ItemView>) -> DbResult<LearnerProgress> {
    let db = &state.db;
    let row = progress_read::course_row(db, user_id, course_id).await?;
    let rows: HashMap<String, ItemProgressRow> =
        progress_read::item_rows_of(db, user_id, course_id).await?.into_iter().map(|r| (r.item_key.clone(), r)).collect();
    let items: Vec<WithProgress> = items
        .into_iter()
        .map(|item| WithProgress { progress: ItemProgressView::new(rows.get(&item.identifier)), item, locked_by: Vec::new() })
        .collect();
    let mut items = items;
    apply_prerequisites(&mut items);
    Ok(LearnerProgress { course: course_view(course_id, row.as_ref(), &items), items })
}

/// Pages of visitors who are not signed in show the lessons without progress.
pub fn without_progress(course_id: i64, items: Vec<ItemView>) -> LearnerProgress {
    let items: Vec<WithProgress> = items.into_iter().map(|item| WithProgress { progress: ItemProgressView::new(None), item, locked_by: Vec::new() }).collect();
    LearnerProgress { course: course_view(course_id, None, &items), items }
}

/// Fills `locked_by` from each lesson's prerequisites and the learner's statuses.
fn apply_prerequisites(items: &mut [WithProgress]) {
    if items.iter().all(|i| i.item.prerequisites.is_none()) {
        return;
    }
    let index: HashMap<i64, usize> = items.iter().enumerate().map(|(n, i)| (i.item.id, n)).collect();
    let standings: Vec<Standing> = items
        .iter()
        .map(|i| Standing {
            identifier: &i.item.identifier,
            parent: i.item.parent.and_then(|p| index.get(&p).copied()),
            status: (i.item.kind != "folder").then_some(match i.progress.status.as_str() {
                "completed" => ItemStatus::Completed,
                "passed" => ItemStatus::Passed,
                "failed" => ItemStatus::Failed,
                "in_progress" => ItemStatus::Incomplete,
                _ => ItemStatus::NotAttempted,
            }),
        })
        .collect();
    let status: HashMap<String, ItemStatus> = course_statuses(&standings).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let names: HashMap<String, String> = items.iter().map(|i| (i.item.identifier.clone(), i.item.name.clone())).collect();
    let of = |id: &str| status.get(id).copied();
    for i in items.iter_mut() {
        let Some(rule) = i.item.prerequisites.as_deref().and_then(|r| Rule::parse(r).ok()) else { continue };
        if !rule.holds(&of) {
            i.locked_by = rule.waiting_for(&of).into_iter().map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string())).collect();
        }
    }
}

fn course_view(course_id: i64, row: Option<&CourseProgressRow>, items: &[WithProgress]) -> CourseProgressView {
    let lessons = || items.iter().filter(|i| i.item.kind != "folder");
    let last = row.and_then(|r| r.last_item_key.as_deref()).and_then(|key| lessons().find(|i| i.item.identifier == key));
    let resume = last.or_else(|| lessons().next());
    CourseProgressView {
        course_id,
        status: row.map_or("not_started".into(), |r| r.status.clone()),
        percent: row.map_or(0, |r| r.percent),
        completed_items: row.map_or(0, |r| r.completed_items),
        required_items: row.map_or_else(|| lessons().filter(|i| i.item.required).count() as i64, |r| r.required_items),
        score: row.and_then(|r| r.score),
        time_spent_ms: row.map_or(0, |r| r.time_spent_ms),
        minutes: row.map_or(0, |r| minutes(r.time_spent_ms)),
        first_access: row.map(|r| r.first_access),
        last_access: row.map(|r| r.last_access),
        continue_item: resume.map(|i| i.item.id),
        continue_url: resume.map(|i| i.item.page_url.clone()),
        continue_name: resume.map(|i| i.item.name.clone()),
    }
}

/// An unfinished course on the catalog's "continue where you left off" list.
#[derive(Debug, Serialize)]
pub struct RecentView {
    pub name: String,
    pub percent: i64,
    pub url: String,
    pub lesson: Option<String>,
}

impl RecentView {
    pub fn new(row: progress_read::RecentRow, lang: Lang) -> RecentView {
        let url = match row.item_id {
            Some(item) => format!("/courses/{}/lessons/{item}", row.course_id),
            None => format!("/courses/{}", row.course_id),
        };
        RecentView {
            name: lang.pick(&row.title, row.title_en.as_deref()).to_string(),
            percent: row.percent,
            url,
            lesson: row.item_title.as_deref().map(|t| lang.pick(t, row.item_title_en.as_deref()).to_string()),
        }
    }
}

/// The reader's progress if signed in; otherwise the lessons with none.
pub async fn for_reader(state: &AppState, user: Option<&SessionUser>, course_id: i64, items: Vec<ItemView>) -> DbResult<LearnerProgress> {
    match user {
        Some(u) => learner_progress(state, u.id, course_id, items).await,
        None => Ok(without_progress(course_id, items)),
    }
}

/// A catalog card: the course and how far the reader is in it.
#[derive(Debug, Serialize)]
pub struct CourseCard {
    #[serde(flatten)]
    pub course: CourseView,
    pub percent: Option<i64>,
}

/// The catalog with the reader's progress bars and unfinished courses.
#[derive(Serialize)]
pub struct CatalogView {
    #[serde(flatten)]
    pub catalog: CatalogPage,
    pub cards: Vec<CourseCard>,
    pub recent: Vec<RecentView>,
}

const RECENT: i64 = 3;

pub async fn catalog_view(state: &AppState, scope: &Scope, mut catalog: CatalogPage, lang: Lang) -> DbResult<CatalogView> {
    let db = &state.db;
    let courses = std::mem::take(&mut catalog.courses);
    let (percent, recent) = match &scope.user {
        Some(u) => {
            let ids: Vec<i64> = courses.iter().map(|c| c.id).collect();
            let rows = progress_read::course_rows_for(db, u.id, &ids).await?;
            let percent: HashMap<i64, i64> = rows.into_iter().map(|r| (r.course_id, r.percent)).collect();
            let recent = progress_read::recent_courses(db, u.id, &scope.sql_condition(), RECENT).await?;
            (percent, recent.into_iter().map(|r| RecentView::new(r, lang)).collect())
        }
        None => (HashMap::new(), Vec::new()),
    };
    let cards = courses.into_iter().map(|c| CourseCard { percent: percent.get(&c.id).copied(), course: c }).collect();
    Ok(CatalogView { catalog, cards, recent })
}
