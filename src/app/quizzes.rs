//! Native quizzes as a lesson page shows them: the quiz of an item, and the outcome of an
//! attempt the reader made.

use std::sync::Arc;

use crate::app::AppState;
use crate::auth::session::SessionUser;
use crate::db::progress_read;
use crate::domain::quiz::Quiz;
use crate::error::AppError;
use crate::tracking::event::Payload;
use crate::tracking::quiz::QuizOutcome;

/// The quiz of item `item_id` and, when `attempt` names one of the user's attempts at it,
/// that attempt's outcome. An item without a quiz is "not found".
pub async fn quiz_with_outcome(
    state: &AppState,
    item_id: i64,
    user: Option<&SessionUser>,
    attempt: Option<&str>,
) -> Result<(Arc<Quiz>, Option<QuizOutcome>), AppError> {
    let meta = state.tracker.lookups.item(&state.db, item_id).await?;
    let quiz = meta.and_then(|m| m.quiz.clone()).ok_or(AppError::NotFound("quiz"))?;
    let outcome = match (user, attempt) {
        (Some(u), Some(id)) => progress_read::quiz_attempt(&state.db, u.id, id)
            .await?
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .and_then(|p| p.quiz),
        _ => None,
    };
    Ok((quiz, outcome))
}
