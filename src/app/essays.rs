//! Essays learners wrote in imported quizzes, for the teachers who manage the course: the
//! server keeps them unscored, so a person reads them here.

use std::collections::HashMap;

use serde::Serialize;

use crate::auth::policy::Scope;
use crate::db::courses::{self, CourseRow};
use crate::db::progress_read::{self, LearnerFilter};
use crate::domain::quiz::Quiz;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tracking::event::Payload;
use crate::tracking::report::format_utc;

use super::teach::managed_course;
use super::AppState;

/// One essay answer.
#[derive(Debug, Serialize)]
pub struct EssayView {
    pub learner: String,
    pub lesson: String,
    pub question: String,
    /// Empty when the learner left it blank.
    pub answer: String,
    /// When the attempt was sent, `YYYY-MM-DD HH:MM` UTC.
    pub at: String,
}

/// The essays of a course the reader manages, newest first; teachers see their school's learners.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn course_essays(state: &AppState, scope: &Scope, course_id: i64, lang: Lang) -> Result<(CourseRow, Vec<EssayView>), AppError> {
    let course = managed_course(state, scope, course_id).await?;
    state.tracker.settle().await?;
    let school_id = if scope.role() == Some(Role::Admin) { None } else { course.school_id };
    let filter = LearnerFilter { course_id, school_id, class_id: None };
    let version = course.latest_version_id.ok_or(AppError::NotFound("course"))?;
    // Attempts name their lesson by its identifier, which a new version keeps.
    let quizzes: HashMap<String, (String, Quiz)> = courses::items(&state.db, version)
        .await?
        .into_iter()
        .filter(|i| i.kind == "quiz")
        .filter_map(|i| {
            let runtime: serde_json::Value = serde_json::from_str(&i.runtime).ok()?;
            let quiz = serde_json::from_value::<Quiz>(runtime.get("quiz")?.clone()).ok()?;
            Some((i.identifier, (lang.pick(&i.title, i.title_en.as_deref()).to_string(), quiz)))
        })
        .collect();
    let names: HashMap<i64, String> = progress_read::learners(&state.db, filter).await?.into_iter().map(|l| (l.id, l.display_name)).collect();
    let mut out = Vec::new();
    for row in progress_read::essay_attempts(&state.db, filter).await? {
        let (Some((lesson, quiz)), Some(learner)) = (quizzes.get(&row.item_key), names.get(&row.user_id)) else { continue };
        let Some(outcome) = serde_json::from_str::<Payload>(&row.payload).ok().and_then(|p| p.quiz) else { continue };
        for id in &outcome.pending {
            let Some(q) = quiz.questions.iter().find(|q| &q.id == id) else { continue };
            out.push(EssayView {
                learner: learner.clone(),
                lesson: lesson.clone(),
                question: lang.pick(&q.text, q.text_en.as_deref()).to_string(),
                answer: outcome.answers.get(id).and_then(|a| a.first()).cloned().unwrap_or_default(),
                at: format_utc(row.at),
            });
        }
    }
    Ok((course, out))
}
