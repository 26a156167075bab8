//! The progress API: heartbeat batches in (`POST /api/v1/progress/events`), a learner's
//! progress in a course out (`GET /api/v1/progress/courses/{id}`).

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::auth::session::CurrentUser;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::load_course;
use crate::app::progress_views::{learner_progress, CourseProgressView, ItemProgressView};
use crate::app::AppState;
use crate::tracking::event::Batch;

/// Largest batch body: 200 events with their intervals fit easily.
const MAX_BATCH_BYTES: usize = 512 * 1024;

/// JSON bodies, also when sent as `text/plain`: `navigator.sendBeacon` uses that type, as
/// any other would need a CORS preflight that a closing page cannot wait for.
pub fn events_config() -> web::JsonConfig {
    json_or_text(MAX_BATCH_BYTES, "batch")
}

/// JSON bodies of at most `limit` bytes, also as `text/plain`; errors name `what` was sent.
pub fn json_or_text(limit: usize, what: &'static str) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type(|mime| mime.type_() == actix_web::mime::TEXT && mime.subtype() == actix_web::mime::PLAIN)
        .content_type_required(false)
        .error_handler(move |err, _| AppError::BadRequest(format!("the {what} is not valid: {err}")).into())
}

#[tracing::instrument(skip_all)]
pub async fn post_events(state: web::Data<AppState>, user: CurrentUser, batch: web::Json<Batch>) -> Result<HttpResponse, AppError> {
    let outcome = state.tracker.ingest(&user.0, batch.into_inner()).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[derive(Serialize)]
struct CourseProgressJson {
    #[serde(flatten)]
    course: CourseProgressView,
    items: Vec<ItemProgressJson>,
}

#[derive(Serialize)]
struct ItemProgressJson {
    item_id: i64,
    identifier: String,
    kind: String,
    required: bool,
    #[serde(flatten)]
    progress: ItemProgressView,
}

#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn get_course_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (course, items, _) = load_course(&state, &scope, *course_id, lang).await?;
    state.tracker.settle().await?;
    let progress = learner_progress(&state, user.0.id, course.id, items).await?;
    let items = progress
        .items
        .into_iter()
        .filter(|i| i.item.kind != "folder")
        .map(|i| ItemProgressJson { item_id: i.item.id, identifier: i.item.identifier, kind: i.item.kind, required: i.item.required, progress: i.progress })
        .collect();
    Ok(HttpResponse::Ok().json(CourseProgressJson { course: progress.course, items }))
}
