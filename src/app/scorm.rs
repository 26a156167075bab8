//! SCORM for a learner: launching a lesson (which frame, which attempt, the player's launch
//! data, the key of the bridge's beacon), committing CMI values, the course's SCO state,
//! and how the organization lets a learner move between lessons.

use serde::Serialize;

use crate::auth::media_token::now_secs;
use crate::auth::session::SessionUser;
use crate::db::{courses, scorm as store, versions};
use crate::error::AppError;
use crate::scorm::cmi::Limits;
use crate::scorm::runtime::{version_of, CommitBody, CommitReply};

use super::AppState;

/// A SCO's newest attempt, as stored.
pub use crate::db::scorm::AttemptRow;

/// The URL, on the content origin, of a file of a course version: the edge that serves
/// `/content/` knows its shape, `(version_id, media token, path in the package)`.
pub type ContentUrl = fn(i64, &str, &str) -> String;

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
    /// A cmi5 AU with `launchMethod="OwnWindow"`: opened in the learner's window, never in
    /// a frame (cmi5 8.1).
    pub own_window: bool,
}

/// The lesson a player is asked for: the item of a course in `format`.
pub struct Lesson<'a> {
    pub course_id: i64,
    pub format: &'a str,
    pub item_id: i64,
    /// The learner's interface language, which a cmi5 AU reads as its language preference.
    pub lang: crate::i18n::Lang,
}

/// The player for a SCO, asset or cmi5 AU lesson, starting (or resuming) the learner's
/// attempt; `None` for other lessons and for guests, whose attempts are not kept.
/// `app_origin` is the application's origin as the browser sees it.
#[tracing::instrument(skip_all, fields(item_id = lesson.item_id))]
pub async fn player(state: &AppState, user: Option<&SessionUser>, lesson: Lesson<'_>, app_origin: &str, content_url: ContentUrl) -> Result<Option<ScormPlayer>, AppError> {
    let Some(user) = user.filter(|_| matches!(lesson.format, "scorm12" | "scorm2004" | "cmi5")) else { return Ok(None) };
    let item = courses::item(&state.db, lesson.item_id).await?;
    let token = &state.signer.issue(item.version_id, now_secs());
    let origin = state.content_origin.clone();
    let frame_only = |frame_url: String| ScormPlayer { frame_url, commit_url: String::new(), content_origin: origin.clone(), wrapper_url: String::new(), launch_json: String::new(), own_window: false };
    if item.kind == "cmi5_au" {
        let rt: serde_json::Value = serde_json::from_str(&item.runtime).unwrap_or_default();
        let au_url = match (item.launch.as_deref(), rt["url"].as_str()) {
            (Some(path), _) => format!("{origin}{}", content_url(item.version_id, token, path)),
            (None, Some(url)) if url.starts_with("https://") || url.starts_with("http://") => url.to_string(),
            _ => return Ok(None),
        };
        let url = super::cmi5::launch_url(state, user, &item, lesson.course_id, app_origin, lesson.lang, au_url).await?;
        let own_window = rt["launchMethod"].as_str() == Some("OwnWindow");
        return Ok(Some(ScormPlayer { own_window, ..frame_only(url) }));
    }
    let Some(version) = version_of(lesson.format) else { return Ok(None) };
    let Some(launch_path) = item.launch.as_deref().filter(|_| matches!(item.kind.as_str(), "sco" | "asset")) else { return Ok(None) };
    let frame_url = format!("{origin}{}", content_url(item.version_id, token, launch_path));
    if item.kind == "asset" {
        return Ok(Some(frame_only(frame_url)));
    }
    let launch = state.tracker.scorm_launch(user, &item, lesson.course_id, version).await?;
    let launch_json = serde_json::json!({
        "version": launch.version,
        "state": launch.state,
        "sco": {"id": item.id.to_string(), "url": frame_url},
        "limits": {"suspend_data_max": state.settings.suspend_data_max},
        "beacon": format!("/scorm/commit/{}/{}/{}/{}", user.id, item.id, launch.session,
            state.signer.sign_purpose(&commit_purpose(user.id, item.id, launch.session))),
    });
    let launch_json = script_json(&launch_json);
    let wrapper_url = format!(
        "{origin}/scorm/wrapper?player={}",
        percent_encoding::utf8_percent_encode(app_origin, percent_encoding::NON_ALPHANUMERIC)
    );
    Ok(Some(ScormPlayer {
        frame_url,
        commit_url: format!("/api/v1/scorm/items/{}/sessions/{}/commit", item.id, launch.session),
        content_origin: origin,
        wrapper_url,
        launch_json,
        own_window: false,
    }))
}

/// JSON for `<script type="application/json">`, with `<`, `>` and `&` escaped.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

impl ScormPlayer {
    /// Sets `adl.nav.request_valid.continue` and `.previous` (RTE 4.4.3) in the launch
    /// state from the sequencer's answer; they are read-only to the SCO and not stored.
    pub fn with_nav_validity(mut self, can_continue: bool, can_previous: bool) -> ScormPlayer {
        let Ok(mut launch) = serde_json::from_str::<serde_json::Value>(&self.launch_json) else { return self };
        if let Some(values) = launch["state"]["values"].as_object_mut() {
            values.insert("adl.nav.request_valid.continue".into(), can_continue.to_string().into());
            values.insert("adl.nav.request_valid.previous".into(), can_previous.to_string().into());
            self.launch_json = script_json(&launch);
        }
        self
    }
}

/// How a learner may move between lessons: the organization's SCORM 2004 control modes
/// (defaults for every other course: choice, no forced order).
pub struct Navigation {
    pub choice: bool,
    pub forward_only: bool,
}

/// The navigation of a course in `format` whose current version is `version_id`.
pub async fn navigation(state: &AppState, version_id: Option<i64>, format: &str) -> Result<Navigation, AppError> {
    let free = Navigation { choice: true, forward_only: false };
    let (Some(version_id), "scorm2004") = (version_id, format) else { return Ok(free) };
    let meta: serde_json::Value = serde_json::from_str(&versions::metadata(&state.db, version_id).await?).unwrap_or_default();
    let mode = &meta["controlMode"];
    Ok(Navigation { choice: mode["choice"].as_bool().unwrap_or(true), forward_only: mode["forwardOnly"].as_bool().unwrap_or(false) })
}

/// A commit's reply, with the page a SCORM 2004 SCO's `adl.nav.request` leads to when it
/// terminated with one.
#[derive(Debug, Serialize)]
pub struct Committed {
    #[serde(flatten)]
    pub reply: CommitReply,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_url: Option<String>,
}

/// Commits CMI values of the learner's SCO session; every value is validated again. In a
/// sequenced course the values reach the tracking model too.
#[tracing::instrument(skip_all, fields(item_id = item_id, session = session))]
pub async fn commit(state: &AppState, user: &SessionUser, item_id: i64, session: i64, body: CommitBody) -> Result<Committed, AppError> {
    let limits = Limits { suspend_data_max: state.settings.suspend_data_max };
    let terminated = body.r#final;
    let reply = state.tracker.scorm_commit(user, item_id, session, body, &limits).await?;
    let next_url = super::sequencing::after_commit(state, user.id, item_id, terminated).await?;
    Ok(Committed { reply, next_url })
}

/// [`commit`] for the bridge's beacon, which carries no session: `key` (handed out with the
/// launch) allows committing to that one SCO session of that learner.
#[tracing::instrument(skip_all, fields(user_id = user_id, item_id = item_id, session = session))]
pub async fn keyed_commit(state: &AppState, user_id: i64, item_id: i64, session: i64, key: &str, body: CommitBody) -> Result<Committed, AppError> {
    if !state.signer.verify_purpose(&commit_purpose(user_id, item_id, session), key) {
        return Err(AppError::Forbidden);
    }
    let user = SessionUser::by_id(&state.db, user_id).await?.ok_or(AppError::Forbidden)?;
    commit(state, &user, item_id, session, body).await
}

fn commit_purpose(user_id: i64, item_id: i64, session: i64) -> String {
    format!("scorm-commit:{user_id}:{item_id}:{session}")
}

/// A SCO's newest attempt with the values a SCO reads back at its next launch.
pub struct ScoState {
    pub attempt: AttemptRow,
    /// The core values: entry, location, status, score, times (not interactions or objectives).
    pub cmi: serde_json::Map<String, serde_json::Value>,
}

/// The learner's newest attempt of every SCO of a course they launched.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn sco_states(state: &AppState, user_id: i64, course_id: i64) -> Result<Vec<ScoState>, AppError> {
    let attempts = store::latest_of_course(&state.db, user_id, course_id).await?;
    Ok(attempts.into_iter().map(|a| ScoState { cmi: readable_values(&a), attempt: a }).collect())
}

/// The core values of a stored state (not interactions, objectives or suspend_data).
fn readable_values(row: &AttemptRow) -> serde_json::Map<String, serde_json::Value> {
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
