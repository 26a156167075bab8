//! SCORM on the application origin: the player part of a SCO's lesson page, the commit
//! endpoint the player posts to, and the learner's SCO state as JSON.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::scorm::{self as sco, AttemptRow, Lesson};
use crate::app::sequencing as seq;
pub use crate::app::sequencing::SequencedLesson;
use crate::scorm::sequencing::NavRequest;
use crate::app::AppState;
use crate::auth::client::ClientInfo;
use crate::auth::policy::Scope;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::load_course;
use crate::routes::views::{content_url, CourseView};
use crate::scorm::runtime::CommitBody;

/// The lesson page (`courses`) embeds the player and follows the navigation through this module.
pub use crate::app::scorm::{Navigation, ScormPlayer};

/// A commit carries at most the suspend_data ceiling plus interactions; 4 MiB is plenty.
const MAX_COMMIT_BYTES: usize = 4 << 20;

/// The player for a SCO lesson, starting (or resuming) the learner's attempt; `None` for
/// other lessons and for guests, whose attempts are not kept.
pub async fn player_for(
    state: &AppState,
    req: &HttpRequest,
    user: Option<&SessionUser>,
    course: &CourseView,
    item_id: i64,
) -> Result<Option<ScormPlayer>, AppError> {
    let app_origin = ClientInfo::of(req, &state.settings.trusted_proxies).origin();
    let lesson = Lesson { course_id: course.id, format: &course.format, item_id, lang: crate::i18n::Lang::of_request(req) };
    sco::player(state, user, lesson, &app_origin, content_url).await
}

/// What SCORM 2004 sequencing allows on the lesson `identifier` of a signed-in learner's
/// course; `None` for other courses and guests.
pub async fn sequenced_lesson(state: &AppState, user: Option<&SessionUser>, course: &CourseView, identifier: &str) -> Result<Option<SequencedLesson>, AppError> {
    match (user, course.version_id, course.format.as_str()) {
        (Some(user), Some(version_id), "scorm2004") => seq::enter(state, user.id, version_id, identifier).await,
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
pub struct NavigateForm {
    /// An `adl.nav.request` value: `continue`, `previous`, `suspendAll`, `{target=ID}choice` ...
    request: String,
}

/// `POST /courses/{course_id}/navigate`: the player's navigation buttons; the learner is
/// sent to the lesson the sequencing delivers, or to the course page when the session ends.
#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn navigate(
    state: web::Data<AppState>,
    scope: Scope,
    user: CurrentUser,
    course_id: web::Path<i64>,
    form: web::Form<NavigateForm>,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (course, _, _) = load_course(&state, &scope, *course_id, lang).await?;
    let Some(version_id) = course.version_id.filter(|_| course.format == "scorm2004") else { return Err(AppError::NotFound("sequenced course")) };
    let request = NavRequest::parse(&form.request).map_err(AppError::BadRequest)?.ok_or_else(|| AppError::BadRequest("no navigation request".into()))?;
    let navigated = seq::navigate(&state, user.0.id, version_id, &request).await?;
    let location = seq::page_of(&state, course.id, version_id, &navigated).await?;
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, location)).finish())
}

pub async fn navigation(state: &AppState, course: &CourseView) -> Result<Navigation, AppError> {
    sco::navigation(state, course.version_id, &course.format).await
}

/// JSON bodies, also as `text/plain` (the `navigator.sendBeacon` of a closing tab).
pub fn commit_config() -> web::JsonConfig {
    super::progress::json_or_text(MAX_COMMIT_BYTES, "commit")
}

/// `POST /api/v1/scorm/items/{item}/sessions/{session}/commit`: CSRF is checked by the
/// middleware (header, or `csrf_token` query for beacons); the learner must be able to see
/// the course; every value is validated again, refused ones come back with their code.
#[tracing::instrument(skip_all, fields(item_id = path.0, session = path.1))]
pub async fn commit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    body: web::Json<CommitBody>,
) -> Result<HttpResponse, AppError> {
    let (item_id, session) = path.into_inner();
    let reply = sco::commit(&state, &user.0, item_id, session, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// `POST /scorm/commit/{user}/{item}/{session}/{key}` on the content origin: the bridge's
/// own beacon when the tab closes, as the player page's last message may never be handled
/// then. The key (handed out with the launch) allows committing to that one SCO session
/// of that learner, which the SCO in that session can do through the API anyway.
#[tracing::instrument(skip_all, fields(user_id = path.0, item_id = path.1, session = path.2))]
pub async fn keyed_commit(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, i64, String)>,
    body: web::Json<CommitBody>,
) -> Result<HttpResponse, AppError> {
    let (user_id, item_id, session, key) = path.into_inner();
    let reply = sco::keyed_commit(&state, user_id, item_id, session, &key, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(reply))
}

#[derive(Serialize)]
struct ScoStateJson {
    item_id: i64,
    identifier: String,
    title: String,
    attempt: Option<AttemptRow>,
    /// The values a SCO reads back at its next launch: entry, location, status, score, times.
    cmi: serde_json::Map<String, serde_json::Value>,
}

/// `GET /api/v1/scorm/courses/{id}`: the current learner's newest attempt of every SCO.
#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn course_state(
    state: web::Data<AppState>,
    user: CurrentUser,
    scope: Scope,
    course_id: web::Path<i64>,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (course, items, _) = load_course(&state, &scope, *course_id, lang).await?;
    let states = sco::sco_states(&state, user.0.id, course.id).await?;
    let scos = items
        .into_iter()
        .filter(|i| i.kind == "sco")
        .map(|i| {
            let found = states.iter().find(|s| s.attempt.item_key == i.identifier);
            let (attempt, cmi) = found.map_or((None, Default::default()), |s| (Some(s.attempt.clone()), s.cmi.clone()));
            ScoStateJson { item_id: i.id, identifier: i.identifier, title: i.name, attempt, cmi }
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(serde_json::json!({"course_id": course.id, "format": course.format, "scos": scos})))
}
