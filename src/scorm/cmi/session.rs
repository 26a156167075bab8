//! The attempt lifecycle: what the LMS gives a SCO at launch, what carries over
//! to the next session, and what the LMS does at Terminate / LMSFinish.

use serde::{Deserialize, Serialize};

use super::objectives::{seed_objectives, ObjectiveSeed};
use super::outcome::{completion_2004, lesson_status_12, success_2004};
use super::time::{format_timeinterval, format_timespan, parse_timeinterval, parse_timespan};
use super::{CmiState, Version};

/// cmi.core.lesson_mode (1.2) / cmi.mode (2004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Normal,
    Browse,
    Review,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Browse => "browse",
            Mode::Review => "review",
        }
    }
}

/// adlcp:timeLimitAction: what the SCO should do when max_time_allowed passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeLimitAction {
    ExitMessage,
    ExitNoMessage,
    ContinueMessage,
    ContinueNoMessage,
}

impl TimeLimitAction {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeLimitAction::ExitMessage => "exit,message",
            TimeLimitAction::ExitNoMessage => "exit,no message",
            TimeLimitAction::ContinueMessage => "continue,message",
            TimeLimitAction::ContinueNoMessage => "continue,no message",
        }
    }

    /// Parses the manifest spelling (`exit,message` ...).
    pub fn parse(s: &str) -> Option<TimeLimitAction> {
        [
            Self::ExitMessage,
            Self::ExitNoMessage,
            Self::ContinueMessage,
            Self::ContinueNoMessage,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// What the LMS knows at launch: the learner, and the SCO's manifest settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub learner_id: String,
    pub learner_name: String,
    /// adlcp:datafromlms (1.2) / adlcp:dataFromLMS (2004).
    pub launch_data: Option<String>,
    /// 1.2: adlcp:masteryscore, 0..=100. 2004: the scaled passing score from
    /// imsss:primaryObjective (satisfiedByMeasure), -1..=1. Out of range: ignored.
    pub passing_score: Option<f64>,
    /// 2004 adlcp:completionThreshold, 0..=1 (ignored for 1.2 and out of range).
    pub completion_threshold: Option<f64>,
    /// adlcp:maxtimeallowed / attemptAbsoluteDurationLimit, in seconds.
    pub max_time_allowed: Option<f64>,
    pub time_limit_action: Option<TimeLimitAction>,
    /// Whether the attempt counts for credit.
    pub credit: bool,
    pub mode: Mode,
    /// 2004: the objectives `cmi.objectives` starts with (the manifest's, in order;
    /// ignored for 1.2, whose manifest declares none).
    pub objectives: Vec<ObjectiveSeed>,
}

impl Default for Launch {
    fn default() -> Self {
        Launch {
            learner_id: String::new(),
            learner_name: String::new(),
            launch_data: None,
            passing_score: None,
            completion_threshold: None,
            max_time_allowed: None,
            time_limit_action: None,
            credit: true,
            mode: Mode::Normal,
            objectives: Vec::new(),
        }
    }
}

/// The state of a fresh attempt: the read-only values the LMS provides, and the
/// initial values the RTE requires (1.2 lesson_status "not attempted" and entry
/// "ab-initio"; 2004 entry "ab-initio", other elements at their defaults).
pub fn new_attempt(version: Version, launch: &Launch) -> CmiState {
    let mut s = CmiState::default();
    let mut put = |k: &str, v: String| {
        s.values.insert(k.to_string(), v);
    };
    let credit = if launch.credit { "credit" } else { "no-credit" };
    let in_range = |x: Option<f64>, lo: f64, hi: f64| x.filter(|v| (lo..=hi).contains(v));
    match version {
        Version::Scorm12 => {
            put("cmi.core.student_id", launch.learner_id.clone());
            put("cmi.core.student_name", launch.learner_name.clone());
            put("cmi.core.credit", credit.into());
            put("cmi.core.lesson_status", "not attempted".into());
            put("cmi.core.entry", "ab-initio".into());
            put("cmi.core.total_time", "0000:00:00.00".into());
            put("cmi.core.lesson_mode", launch.mode.as_str().into());
            if let Some(d) = &launch.launch_data {
                put("cmi.launch_data", d.clone());
            }
            if let Some(m) = in_range(launch.passing_score, 0.0, 100.0) {
                put("cmi.student_data.mastery_score", m.to_string());
            }
            if let Some(t) = launch.max_time_allowed {
                put("cmi.student_data.max_time_allowed", format_timespan(t));
            }
            if let Some(a) = launch.time_limit_action {
                put("cmi.student_data.time_limit_action", a.as_str().into());
            }
        }
        Version::Scorm2004 => {
            put("cmi.learner_id", launch.learner_id.clone());
            put("cmi.learner_name", launch.learner_name.clone());
            put("cmi.credit", credit.into());
            put("cmi.mode", launch.mode.as_str().into());
            put("cmi.entry", "ab-initio".into());
            if let Some(d) = &launch.launch_data {
                put("cmi.launch_data", d.clone());
            }
            if let Some(p) = in_range(launch.passing_score, -1.0, 1.0) {
                put("cmi.scaled_passing_score", p.to_string());
            }
            if let Some(t) = in_range(launch.completion_threshold, 0.0, 1.0) {
                put("cmi.completion_threshold", t.to_string());
            }
            if let Some(t) = launch.max_time_allowed {
                put("cmi.max_time_allowed", format_timeinterval(t));
            }
            if let Some(a) = launch.time_limit_action {
                put("cmi.time_limit_action", a.as_str().into());
            }
            seed_objectives(&mut s, &launch.objectives);
        }
    }
    s
}

/// The state for the next session of the same attempt. Everything carries over
/// (location, suspend_data, scores, objectives, interactions, total_time) except
/// the session's own exit, session_time and navigation request; entry becomes
/// "resume" when the previous session exited with "suspend", else "" (1.2 RTE
/// 3.4.4 cmi.core.exit; 2004 RTE 4.2.7 cmi.entry). An unfolded session_time is
/// added to total_time first, so no time is lost.
///
/// In 2004 an exit other than "suspend" ends the attempt: the caller normally
/// starts `new_attempt` then, and `resume` gives the "" entry of a re-entry
/// into a finished attempt (review).
pub fn resume(version: Version, previous: &CmiState) -> CmiState {
    let mut next = previous.clone();
    add_session_time(version, &mut next);
    let (exit, entry) = match version {
        Version::Scorm12 => ("cmi.core.exit", "cmi.core.entry"),
        Version::Scorm2004 => ("cmi.exit", "cmi.entry"),
    };
    let suspended = next.values.remove(exit).is_some_and(|e| e == "suspend");
    next.values.remove("adl.nav.request");
    next.values
        .insert(entry.into(), if suspended { "resume" } else { "" }.into());
    next
}

/// Adds session_time to total_time and clears session_time, as the LMS does
/// when a session ends. Does nothing when the SCO reported no session time.
pub fn add_session_time(version: Version, state: &mut CmiState) {
    let (total_key, session_key) = match version {
        Version::Scorm12 => ("cmi.core.total_time", "cmi.core.session_time"),
        Version::Scorm2004 => ("cmi.total_time", "cmi.session_time"),
    };
    let Some(session) = state.values.remove(session_key) else {
        return;
    };
    let parse = |s: &str| match version {
        Version::Scorm12 => parse_timespan(s),
        Version::Scorm2004 => parse_timeinterval(s),
    };
    let total = state
        .values
        .get(total_key)
        .and_then(|t| parse(t))
        .unwrap_or(0.0);
    let added = total + parse(&session).unwrap_or(0.0);
    let formatted = match version {
        Version::Scorm12 => format_timespan(added),
        Version::Scorm2004 => format_timeinterval(added),
    };
    state.values.insert(total_key.into(), formatted);
}

/// Everything the LMS does at Terminate / LMSFinish: adds the session time and
/// settles the status.
///
/// 1.2 (RTE 3.4.4, cmi.core.lesson_status, "Additional Behavior Requirements"):
/// a status still "not attempted" becomes "completed" ("browsed" in browse
/// mode); then, with credit and a mastery score, score.raw decides passed or
/// failed. 2004 (RTE 4.2.4.1, 4.2.22.1): completion_threshold with
/// progress_measure, and scaled_passing_score with score.scaled, replace what
/// the SCO set, as the ADL sample RTE stores them at Terminate.
pub fn terminate(version: Version, state: &mut CmiState) {
    add_session_time(version, state);
    match version {
        Version::Scorm12 => {
            let key = "cmi.core.lesson_status".to_string();
            if state.values.get(&key).is_none_or(|s| s == "not attempted") {
                let browse = state
                    .values
                    .get("cmi.core.lesson_mode")
                    .is_some_and(|m| m == "browse");
                state.values.insert(
                    key.clone(),
                    if browse { "browsed" } else { "completed" }.into(),
                );
            }
            let settled = lesson_status_12(state);
            state.values.insert(key, settled);
        }
        Version::Scorm2004 => {
            let has = |s: &CmiState, k: &str| s.values.contains_key(k);
            if has(state, "cmi.completion_threshold") && has(state, "cmi.progress_measure") {
                let c = completion_2004(state);
                state.values.insert("cmi.completion_status".into(), c);
            }
            if has(state, "cmi.scaled_passing_score") {
                let s = success_2004(state);
                state.values.insert("cmi.success_status".into(), s);
            }
        }
    }
}
