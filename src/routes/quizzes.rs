//! Native quizzes: the form on the lesson page and its submission, scored on the server.
//! Questions reach the page without their answers; after a submission the page says which
//! questions were right, never what the right answers were.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::quizzes::{quiz_with_outcome, LessonQuiz};
use crate::app::AppState;
use crate::auth::session::{random_token, CurrentUser, SessionUser};
use crate::domain::quiz::PublicQuestion;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::app::progress_views::WithProgress;

/// Form fields of answers are `answer.<question id>`, so no question id can clash with the
/// form's own fields.
const ANSWER: &str = "answer.";

#[derive(Debug, Deserialize)]
pub struct LessonQuery {
    /// A quiz attempt whose result the page shows.
    pub attempt: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct QuizPage {
    pub questions: Vec<QuestionView>,
    /// A fresh id for the next submission: sending the form twice is one attempt.
    pub attempt_id: String,
    pub action: String,
    pub pass_score: f64,
    pub attempts_left: Option<i64>,
    pub result: Option<ResultView>,
}

#[derive(Debug, Serialize)]
pub struct QuestionView {
    pub id: String,
    pub field: String,
    pub kind: &'static str,
    pub text: String,
    pub points: f64,
    pub choices: Vec<ChoiceView>,
    /// After a submission: whether this question was answered right (`None` for essays).
    pub right: Option<bool>,
    /// After a submission: an essay, kept for the teacher rather than scored.
    pub pending: bool,
    /// After a submission: the text typed into a fill-in question.
    pub typed: String,
    pub given: Vec<String>,
    /// URLs of the images the question shows.
    pub images: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ChoiceView {
    pub number: usize,
    pub text: String,
    /// Chosen in the attempt shown.
    pub checked: bool,
}

#[derive(Debug, Serialize)]
pub struct ResultView {
    pub score: f64,
    pub passed: bool,
    pub right: usize,
    /// Questions the server scored: all but essays.
    pub total: usize,
    /// Essays in the attempt, left for the teacher and outside the score.
    pub pending: usize,
    /// False for a quiz of essays only, which has no score to show.
    pub scored: bool,
}

/// The quiz form of a `quiz` lesson, with the result of `attempt` when one is named.
pub(crate) async fn quiz_page(
    state: &AppState,
    user: Option<&SessionUser>,
    item: &WithProgress,
    attempt: Option<&str>,
    lang: Lang,
) -> Result<Option<QuizPage>, AppError> {
    if item.item.kind != "quiz" {
        return Ok(None);
    }
    let LessonQuiz { quiz, outcome, mut images } = quiz_with_outcome(state, item.item.id, user, attempt).await?;
    let questions = quiz
        .public()
        .into_iter()
        .map(|q| {
            let urls = images.remove(&q.id).unwrap_or_default();
            question_view(q, outcome.as_ref(), urls, lang)
        })
        .collect();
    Ok(Some(QuizPage {
        questions,
        attempt_id: format!("quiz-{}", &random_token()[..24]),
        action: format!("{}/quiz", item.item.page_url),
        pass_score: quiz.pass_score,
        attempts_left: quiz.max_attempts.map(|max| (i64::from(max) - item.progress.attempts).max(0)),
        result: outcome.as_ref().map(|o| ResultView {
            score: o.score,
            passed: o.passed,
            right: o.right.len(),
            total: quiz.questions.iter().filter(|q| q.answer.is_scored()).count(),
            pending: o.pending.len(),
            scored: !o.unscored,
        }),
    }))
}

fn question_view(q: PublicQuestion, outcome: Option<&crate::tracking::quiz::QuizOutcome>, images: Vec<String>, lang: Lang) -> QuestionView {
    let given = outcome.and_then(|o| o.answers.get(&q.id)).cloned().unwrap_or_default();
    let choices = q
        .choices
        .iter()
        .enumerate()
        .map(|(n, text)| ChoiceView {
            number: n + 1,
            text: lang.pick(text, q.choices_en.get(n).map(String::as_str)).to_string(),
            checked: given.contains(&(n + 1).to_string()),
        })
        .collect();
    QuestionView {
        field: format!("{ANSWER}{}", q.id),
        kind: q.kind,
        text: lang.pick(&q.text, q.text_en.as_deref()).to_string(),
        points: q.points,
        choices,
        right: outcome.filter(|o| !o.pending.contains(&q.id)).map(|o| o.right.contains(&q.id)),
        pending: outcome.is_some_and(|o| o.pending.contains(&q.id)),
        typed: given.first().cloned().unwrap_or_default(),
        given,
        images,
        id: q.id,
    }
}

#[tracing::instrument(skip_all, fields(course_id = path.0, item_id = path.1))]
pub async fn submit_quiz(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (course_id, item_id) = path.into_inner();
    let attempt = form.iter().find(|(k, _)| k == "attempt_id").map(|(_, v)| v.clone());
    let attempt = attempt.ok_or_else(|| AppError::BadRequest("the form has no attempt_id".into()))?;
    let answers: Vec<(String, String)> =
        form.iter().filter_map(|(k, v)| Some((k.strip_prefix(ANSWER)?.to_string(), v.clone()))).collect();
    state.tracker.submit_quiz(&user.0, item_id, &attempt, &answers).await?;
    let location = format!("/courses/{course_id}/lessons/{item_id}?attempt={attempt}#quiz-result");
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish())
}
