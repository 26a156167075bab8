//! The SCORM run-time on the server: what a SCO gets at launch (a new attempt, or the
//! suspended one resumed), and what a commit from the player does (re-validate every value
//! with the CMI rules, store the state per learner, SCO and attempt, and report the outcome
//! to the progress model as a `result` event).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use super::cmi::{self, CmiState, Completion, Launch, Limits, ObjectiveSeed, Success, TimeLimitAction, Version};
use crate::tracking::event::{Event, EventKind, Payload, Position, Reported};
use crate::tracking::meta::ItemMeta;
use crate::tracking::{TrackError, Tracker};
use crate::auth::session::SessionUser;
use crate::db::scorm::{self as store, AttemptRow, ScoKey};
use crate::db::{courses, now_ms};

/// Launch and commit of one SCO are read-modify-write of one row; they are serialised per
/// learner and SCO by these stripes (one process; see README for several instances).
static LOCKS: [Mutex<()>; 64] = [const { Mutex::const_new(()) }; 64];

fn lock_for(key: ScoKey<'_>) -> &'static Mutex<()> {
    let mut h = DefaultHasher::new();
    (key.user_id, key.course_id, key.item_key).hash(&mut h);
    &LOCKS[(h.finish() % LOCKS.len() as u64) as usize]
}

/// What the player page hands the browser runtime.
#[derive(Debug, Clone, Serialize)]
pub struct ScoLaunch {
    pub version: Version,
    pub attempt: i64,
    pub session: i64,
    pub state: CmiState,
}

/// A commit as the player sends it (`static/scorm-player.js`).
#[derive(Debug, Deserialize)]
pub struct CommitBody {
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub r#final: bool,
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct RefusedValue {
    pub element: String,
    pub code: u16,
    pub diagnostic: String,
}

#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub sco: String,
    pub completion: Completion,
    pub success: Success,
}

#[derive(Debug, Serialize)]
pub struct CommitReply {
    /// Values refused with their standard error code; nothing of them was stored.
    pub rejected: Vec<RefusedValue>,
    pub toc: Vec<TocEntry>,
}

/// The SCORM edition of a course version's format, if it is SCORM.
pub fn version_of(format: &str) -> Option<Version> {
    match format {
        "scorm12" => Some(Version::Scorm12),
        "scorm2004" => Some(Version::Scorm2004),
        _ => None,
    }
}

impl Tracker {
    /// Starts a session of `item` for `user`: the suspended (or unfinished) attempt resumed,
    /// or a new attempt. Every launch is a new session; commits of older ones are refused.
    pub async fn scorm_launch(&self, user: &SessionUser, item: &courses::ItemRow, course_id: i64, version: Version) -> Result<ScoLaunch, TrackError> {
        let key = ScoKey { user_id: user.id, course_id, item_key: &item.identifier };
        let _guard = lock_for(key).lock().await;
        let latest = store::latest(&self.db, key).await?;
        let (attempt, session, state) = match latest {
            Some(row) => {
                let previous: CmiState = serde_json::from_str(&row.state).map_err(|e| TrackError::Invalid(format!("stored CMI state is unreadable: {e}")))?;
                let exit = previous.values().get(if version == Version::Scorm12 { "cmi.core.exit" } else { "cmi.exit" });
                let suspended = exit.is_some_and(|e| e == "suspend");
                // 2004 RTE 4.2.8: an exit other than suspend ends the attempt.
                if version == Version::Scorm2004 && row.terminated == 1 && !suspended {
                    if let Some(limit) = attempt_limit_reached(&item.runtime, row.attempt) {
                        return Err(TrackError::Refused(format!("all {limit} attempts of this lesson are used")));
                    }
                    (row.attempt + 1, 1, cmi::new_attempt(version, &launch_settings(user, item, version)))
                } else {
                    let mut state = cmi::resume(version, &previous);
                    // An attempt begun before its objectives were known (an older import)
                    // gets them now; what the SCO stored for them stays.
                    if version == Version::Scorm2004 {
                        cmi::seed_objectives(&mut state, &initial_objectives(&item.runtime));
                    }
                    (row.attempt, row.session + 1, state)
                }
            }
            None => (1, 1, cmi::new_attempt(version, &launch_settings(user, item, version))),
        };
        let row = attempt_row(item, version, attempt, session, &state, false);
        store::save(&self.db, key, &row).await?;
        Ok(ScoLaunch { version, attempt, session, state })
    }

    /// Applies a commit of session `session` of `item_id`: every value re-validated, the
    /// good ones stored, the outcome reported to progress when it changed or the session ended.
    pub async fn scorm_commit(&self, user: &SessionUser, item_id: i64, session: i64, body: CommitBody, limits: &Limits) -> Result<CommitReply, TrackError> {
        let item = self.visible_item(user, item_id).await?.filter(|i| i.kind == "sco").ok_or(TrackError::NotFound("SCO"))?;
        let key = ScoKey { user_id: user.id, course_id: item.course_id, item_key: &item.key };
        let _guard = lock_for(key).lock().await;
        let row = store::latest(&self.db, key).await?.ok_or(TrackError::Refused("this SCO was not launched".into()))?;
        if row.session != session || row.item_id != item_id {
            return Err(TrackError::Refused("this session of the SCO has ended; a newer one was launched".into()));
        }
        if row.terminated == 1 {
            // The bridge's beacon and the player both carry Terminate when a tab closes;
            // the second is a duplicate, not an error. Anything else after it is refused.
            if body.r#final {
                return Ok(CommitReply { rejected: Vec::new(), toc: vec![toc_entry(item_id, &row)] });
            }
            return Err(TrackError::Refused("this session of the SCO has already terminated".into()));
        }
        let version = if row.scorm_version == "1.2" { Version::Scorm12 } else { Version::Scorm2004 };
        let mut state: CmiState = serde_json::from_str(&row.state).map_err(|e| TrackError::Invalid(format!("stored CMI state is unreadable: {e}")))?;
        let refused = cmi::apply_batch(version, &mut state, &body.values, limits);
        let session_seconds = session_seconds(version, &state);
        if body.r#final {
            cmi::terminate(version, &mut state);
        }
        let now = now_ms();
        let mut next = attempt_row_for(&row, version, &state, body.r#final, now);
        next.item_id = item_id;
        let changed = (&next.completion, &next.success, next.score_scaled, &next.location) != (&row.completion, &row.success, row.score_scaled, &row.location);
        // Progress first: once the attempt reads as stored (or terminated), its result is
        // in progress too, and a failed report leaves the commit to be sent again whole.
        if changed || body.r#final {
            let ended = body.r#final.then_some(session_seconds).flatten();
            self.report_result(user, item.clone(), &next, body.seq, ended, now).await?;
        }
        store::save(&self.db, key, &next).await?;
        Ok(CommitReply {
            rejected: refused.into_iter().map(|(element, e)| RefusedValue { element, code: e.code, diagnostic: e.diagnostic }).collect(),
            toc: vec![toc_entry(item_id, &next)],
        })
    }

    /// The outcome as a `result` event, through the same writer as every other event, so
    /// item and course progress (and `progress rebuild`) see SCORM like any lesson.
    async fn report_result(&self, user: &SessionUser, item: Arc<ItemMeta>, row: &AttemptRow, seq: u64, session_seconds: Option<f64>, now: i64) -> Result<(), TrackError> {
        let status = match (row.completion.as_str(), row.success.as_str()) {
            (_, "passed") => Some(Reported::Passed),
            (_, "failed") => Some(Reported::Failed),
            ("completed", _) => Some(Reported::Completed),
            ("incomplete", _) => Some(Reported::Incomplete),
            _ => None,
        };
        let score = row.score_scaled.map(|s| (s.clamp(0.0, 1.0) * 10_000.0).round() / 100.0);
        // The SCO's own session time, as time spent (at most a working day per session).
        let active = session_seconds
            .map(|s| (s.clamp(0.0, 12.0 * 3600.0) * 1000.0) as i64)
            .filter(|&ms| ms > 0)
            .map(|ms| vec![[now - ms, now]])
            .unwrap_or_default();
        let payload = Payload { active, position: row.location.clone().map(Position::Location), status, score, ..Payload::default() };
        // The player and the bridge number their commits separately: the server's clock names the event.
        let client_id = format!("scorm:{}:{}:{}:{}:{}", item.item_id, row.attempt, row.session, now, seq);
        let event = Event { client_id, user_id: user.id, item, kind: EventKind::Result, client_ts: now, at: now, received_at: now, payload };
        self.writer.write_now(vec![event]).await?;
        Ok(())
    }
}

/// The manifest's attemptLimit (limitConditions, resolved at import) when `used` attempts
/// exhaust it.
fn attempt_limit_reached(runtime: &str, used: i64) -> Option<i64> {
    let rt: Value = serde_json::from_str(runtime).ok()?;
    let limit = rt["attemptLimit"].as_i64().filter(|&l| l > 0)?;
    (used >= limit).then_some(limit)
}

/// Session time the SCO reported in this session, in seconds.
fn session_seconds(version: Version, state: &CmiState) -> Option<f64> {
    match version {
        Version::Scorm12 => state.values().get("cmi.core.session_time").and_then(|t| cmi::time::parse_timespan(t)),
        Version::Scorm2004 => state.values().get("cmi.session_time").and_then(|t| cmi::time::parse_timeinterval(t)),
    }
}

fn toc_entry(item_id: i64, row: &AttemptRow) -> TocEntry {
    TocEntry { sco: item_id.to_string(), completion: completion_of(&row.completion), success: success_of(&row.success) }
}

fn completion_of(s: &str) -> Completion {
    match s {
        "completed" => Completion::Completed,
        "incomplete" => Completion::Incomplete,
        "not_attempted" => Completion::NotAttempted,
        _ => Completion::Unknown,
    }
}

fn success_of(s: &str) -> Success {
    match s {
        "passed" => Success::Passed,
        "failed" => Success::Failed,
        _ => Success::Unknown,
    }
}

fn name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn attempt_row(item: &courses::ItemRow, version: Version, attempt: i64, session: i64, state: &CmiState, terminated: bool) -> AttemptRow {
    let blank = AttemptRow {
        item_key: item.identifier.clone(),
        attempt,
        item_id: item.id,
        session,
        scorm_version: name(version),
        state: String::new(),
        terminated: 0,
        completion: String::new(),
        success: String::new(),
        score_scaled: None,
        score_raw: None,
        location: None,
        total_seconds: 0.0,
        updated_at: 0,
    };
    attempt_row_for(&blank, version, state, terminated, now_ms())
}

/// `base` with the state and its outcome filled in.
fn attempt_row_for(base: &AttemptRow, version: Version, state: &CmiState, terminated: bool, now: i64) -> AttemptRow {
    let out = cmi::outcome(version, state);
    AttemptRow {
        state: serde_json::to_string(state).expect("CMI state serialises"),
        terminated: i64::from(terminated),
        completion: name(out.completion),
        success: name(out.success),
        score_scaled: out.score_scaled,
        score_raw: out.score_raw,
        location: out.location,
        total_seconds: (out.total_time_seconds * 100.0).round() / 100.0,
        updated_at: now,
        ..base.clone()
    }
}

/// The manifest's settings for a SCO (stored by the importer in the item's runtime JSON).
fn launch_settings(user: &SessionUser, item: &courses::ItemRow, version: Version) -> Launch {
    let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
    let num = |v: &Value| v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    let threshold = &rt["completionThreshold"];
    // 4th edition: the threshold applies only when completedByMeasure is true; 3rd edition
    // writes it as text, which always applies.
    let by_measure = threshold.get("completedByMeasure").map_or(true, |b| b.as_bool() == Some(true));
    let max_time = rt["maxTimeAllowed"].as_str().and_then(|t| match version {
        Version::Scorm12 => cmi::time::parse_timespan(t),
        Version::Scorm2004 => cmi::time::parse_timeinterval(t),
    });
    Launch {
        learner_id: user.username.clone(),
        learner_name: user.display_name.clone(),
        launch_data: rt["dataFromLMS"].as_str().map(str::to_owned),
        passing_score: num(&rt["masteryScore"]),
        completion_threshold: if by_measure { num(&threshold["minProgressMeasure"]) } else { None },
        max_time_allowed: max_time,
        time_limit_action: rt["timeLimitAction"].as_str().and_then(TimeLimitAction::parse),
        objectives: initial_objectives(&item.runtime),
        ..Launch::default()
    }
}

/// The objectives a SCO starts with: those the manifest declares for its item (resolved at
/// import into the runtime's `objectives`, its own or its sequencingCollection entry's),
/// with unknown statuses. This is where the states of mapped global objectives
/// (`mapInfo` read maps) come in once the sequencer keeps them: a seed's known statuses
/// are written over the stored ones by `cmi::seed_objectives`.
fn initial_objectives(runtime: &str) -> Vec<ObjectiveSeed> {
    let rt: Value = serde_json::from_str(runtime).unwrap_or(Value::Null);
    rt["objectives"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .map(ObjectiveSeed::declared)
        .collect()
}

impl Tracker {
    /// A cmi5 AU's standing (from its statements and moveOn) as a `result` event.
    pub async fn report_cmi5(&self, user_id: i64, item_id: i64, client_id: String, status: Option<Reported>, score: Option<f64>) -> Result<(), TrackError> {
        let item = self.lookups.item(&self.db, item_id).await?.ok_or(TrackError::NotFound("AU"))?;
        let now = now_ms();
        let score = score.map(|s| (s.clamp(0.0, 1.0) * 10_000.0).round() / 100.0);
        let payload = Payload { status, score, ..Payload::default() };
        let event = Event { client_id, user_id, item, kind: EventKind::Result, client_ts: now, at: now, received_at: now, payload };
        self.writer.write_now(vec![event]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn attempt_limits_stop_new_attempts() {
        assert_eq!(super::attempt_limit_reached(r#"{"attemptLimit": 2}"#, 1), None);
        assert_eq!(super::attempt_limit_reached(r#"{"attemptLimit": 2}"#, 2), Some(2));
        assert_eq!(super::attempt_limit_reached(r#"{"attemptLimit": 0}"#, 9), None, "0 means no limit");
        assert_eq!(super::attempt_limit_reached("{}", 9), None);
    }
}
