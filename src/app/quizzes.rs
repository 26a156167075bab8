//! Native quizzes as a lesson page shows them: the quiz of an item, and the outcome of an
//! attempt the reader made.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::views::content_url;
use crate::app::AppState;
use crate::auth::media_token::now_secs;
use crate::auth::session::SessionUser;
use crate::db::progress_read;
use crate::domain::quiz::Quiz;
use crate::error::AppError;
use crate::tracking::event::Payload;
use crate::tracking::quiz::QuizOutcome;

/// A quiz as its lesson page shows it.
pub struct LessonQuiz {
    pub quiz: Arc<Quiz>,
    /// The outcome of the attempt the page was asked to show.
    pub outcome: Option<QuizOutcome>,
    /// Question id to the URLs of its images, served from the course version's files.
    pub images: HashMap<String, Vec<String>>,
}

/// The quiz of item `item_id` and, when `attempt` names one of the user's attempts at it,
/// that attempt's outcome. An item without a quiz is "not found".
pub async fn quiz_with_outcome(
    state: &AppState,
    item_id: i64,
    user: Option<&SessionUser>,
    attempt: Option<&str>,
) -> Result<LessonQuiz, AppError> {
    let meta = state.tracker.lookups.item(&state.db, item_id).await?.ok_or(AppError::NotFound("quiz"))?;
    let quiz = meta.quiz.clone().ok_or(AppError::NotFound("quiz"))?;
    let outcome = match (user, attempt) {
        (Some(u), Some(id)) => progress_read::quiz_attempt(&state.db, u.id, id)
            .await?
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .and_then(|p| p.quiz),
        _ => None,
    };
    let mut images = HashMap::new();
    if quiz.questions.iter().any(|q| !q.images.is_empty()) {
        let token = state.signer.issue(meta.version_id, now_secs());
        for q in quiz.questions.iter().filter(|q| !q.images.is_empty()) {
            images.insert(q.id.clone(), q.images.iter().map(|p| content_url(meta.version_id, &token, p)).collect());
        }
    }
    Ok(LessonQuiz { quiz, outcome, images })
}
