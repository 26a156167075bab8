//! SCORM on the application origin: the player part of a SCO's lesson page, the commit
//! endpoint the player posts to, and the learner's SCO state as JSON.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::client::ClientInfo;
use crate::auth::media_token::now_secs;
use crate::auth::policy::Scope;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::db::courses;
use crate::db::scorm as store;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::courses::load_course;
use crate::routes::views::{content_url, CourseView};
use crate::app::AppState;
use crate::scorm::cmi::Limits;
use crate::scorm::runtime::{version_of, CommitBody};

/// A commit carries at most the suspend_data ceiling plus interactions; 4 MiB is plenty.
const MAX_COMMIT_BYTES: usize = 4 << 20;

/// What `templates/lessons/show.html` needs to embed the player (`static/scorm-player.js`);
/// for an asset (a page that does not talk to the LMS) only `frame_url` is set.
#[derive(Debug, Serialize)]
pub struct ScormPlayer {
    pub frame_url: String,
    pub commit_url: String,
    pub content_origin: String,
    pub wrapper_url: String,
    /// JSON for `<script type="application/json">`, with `<`, `>` and `&` escaped.
    pub launch_json: String,
}

/// The player for a SCO lesson, starting (or resuming) the learner's attempt; `None` for
/// other lessons and for guests, whose attempts are not kept.
pub async fn player_for(
    state: &AppState,
    req: &HttpRequest,
    user: Option<&SessionUser>,
    course: &CourseView,
    item_id: i64,
) -> Result<Option<ScormPlayer>, AppError> {
    let Some(user) = user.filter(|_| matches!(course.format.as_str(), "scorm12" | "scorm2004" | "cmi5")) else { return Ok(None) };
    let item = courses::item(&state.db, item_id).await?;
    let token = &state.signer.issue(item.version_id, now_secs());
    let origin = state.content_origin.clone();
    let app_origin = ClientInfo::of(req, &state.settings.trusted_proxies).origin();
    let frame_only = |frame_url: String| ScormPlayer { frame_url, commit_url: String::new(), content_origin: origin.clone(), wrapper_url: String::new(), launch_json: String::new() };
    if item.kind == "cmi5_au" {
        let rt: serde_json::Value = serde_json::from_str(&item.runtime).unwrap_or_default();
        let au_url = match (item.launch.as_deref(), rt["url"].as_str()) {
            (Some(path), _) => format!("{origin}{}", content_url(item.version_id, token, path)),
            (None, Some(url)) if url.starts_with("https://") || url.starts_with("http://") => url.to_string(),
            _ => return Ok(None),
        };
        let url = crate::routes::cmi5::launch_url(state, user, &item, course.id, &app_origin, au_url).await?;
        return Ok(Some(frame_only(url)));
    }
    let Some(version) = version_of(&course.format) else { return Ok(None) };
    let Some(launch_path) = item.launch.as_deref().filter(|_| matches!(item.kind.as_str(), "sco" | "asset")) else { return Ok(None) };
    let frame_url = format!("{origin}{}", content_url(item.version_id, token, launch_path));
    if item.kind == "asset" {
        return Ok(Some(frame_only(frame_url)));
    }
    let launch = state.tracker.scorm_launch(user, &item, course.id, version).await?;
    let launch_json = serde_json::json!({
        "version": launch.version,
        "state": launch.state,
        "sco": {"id": item.id.to_string(), "url": frame_url},
        "limits": {"suspend_data_max": state.settings.suspend_data_max},
        "beacon": format!("/scorm/commit/{}/{}/{}/{}", user.id, item.id, launch.session,
            state.signer.sign_purpose(&commit_purpose(user.id, item.id, launch.session))),
    })
    .to_string()
    .replace('<', "\\u003c")
    .replace('>', "\\u003e")
    .replace('&', "\\u0026");
    let wrapper_url = format!(
        "{origin}/scorm/wrapper?player={}",
        percent_encoding::utf8_percent_encode(&app_origin, percent_encoding::NON_ALPHANUMERIC)
    );
    Ok(Some(ScormPlayer {
        frame_url,
        commit_url: format!("/api/v1/scorm/items/{}/sessions/{}/commit", item.id, launch.session),
        content_origin: origin,
        wrapper_url,
        launch_json,
    }))
}

/// How a learner may move between lessons: the organization's SCORM 2004 control modes
/// (defaults for every other course: choice, no forced order).
pub struct Navigation {
    pub choice: bool,
    pub forward_only: bool,
}

pub async fn navigation(state: &AppState, course: &CourseView) -> Result<Navigation, AppError> {
    let free = Navigation { choice: true, forward_only: false };
    let (Some(version_id), "scorm2004") = (course.version_id, course.format.as_str()) else { return Ok(free) };
    let meta: serde_json::Value = serde_json::from_str(&crate::db::versions::metadata(&state.db, version_id).await?).unwrap_or_default();
    let mode = &meta["controlMode"];
    Ok(Navigation { choice: mode["choice"].as_bool().unwrap_or(true), forward_only: mode["forwardOnly"].as_bool().unwrap_or(false) })
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
    let limits = Limits { suspend_data_max: state.settings.suspend_data_max };
    let reply = state.tracker.scorm_commit(&user.0, item_id, session, body.into_inner(), &limits).await?;
    Ok(HttpResponse::Ok().json(reply))
}

fn commit_purpose(user_id: i64, item_id: i64, session: i64) -> String {
    format!("scorm-commit:{user_id}:{item_id}:{session}")
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
    if !state.signer.verify_purpose(&commit_purpose(user_id, item_id, session), &key) {
        return Err(AppError::Forbidden);
    }
    let user = SessionUser::by_id(&state.db, user_id).await?.ok_or(AppError::Forbidden)?;
    let limits = Limits { suspend_data_max: state.settings.suspend_data_max };
    let reply = state.tracker.scorm_commit(&user, item_id, session, body.into_inner(), &limits).await?;
    Ok(HttpResponse::Ok().json(reply))
}

#[derive(Serialize)]
struct ScoStateJson {
    item_id: i64,
    identifier: String,
    title: String,
    attempt: Option<store::AttemptRow>,
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
    let attempts = store::latest_of_course(&state.db, user.0.id, course.id).await?;
    let scos = items
        .into_iter()
        .filter(|i| i.kind == "sco")
        .map(|i| {
            let attempt = attempts.iter().find(|a| a.item_key == i.identifier).cloned();
            let cmi = attempt.as_ref().map(readable_values).unwrap_or_default();
            ScoStateJson { item_id: i.id, identifier: i.identifier, title: i.name, attempt, cmi }
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(serde_json::json!({"course_id": course.id, "format": course.format, "scos": scos})))
}

/// The core values of a stored state (not interactions, objectives or suspend_data).
fn readable_values(row: &store::AttemptRow) -> serde_json::Map<String, serde_json::Value> {
    const SHOWN: [&str; 16] = [
        "cmi.core.entry", "cmi.core.lesson_status", "cmi.core.lesson_location", "cmi.core.score.raw",
        "cmi.core.total_time", "cmi.core.exit", "cmi.entry", "cmi.completion_status", "cmi.success_status",
        "cmi.location", "cmi.score.raw", "cmi.score.scaled", "cmi.total_time", "cmi.exit", "cmi.progress_measure",
        "cmi.suspend_data",
    ];
    let values: serde_json::Value = serde_json::from_str(&row.state).unwrap_or_default();
    SHOWN
        .iter()
        .filter_map(|k| values["values"].get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}
