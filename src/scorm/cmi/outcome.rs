//! What an attempt amounts to: completion, success, score, bookmark and time,
//! with the LMS-side rules (1.2 mastery score, 2004 completion threshold and
//! scaled passing score) applied over what the SCO reported.

use serde::{Deserialize, Serialize};

use super::time::{parse_timeinterval, parse_timespan};
use super::types::parse_real;
use super::{CmiState, Version};

/// Whether the learner has finished the SCO (2004 completion_status; 1.2 lesson_status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    NotAttempted,
    Incomplete,
    Completed,
    Unknown,
}

/// Whether the learner has mastered the SCO (2004 success_status; 1.2 passed/failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Success {
    Passed,
    Failed,
    Unknown,
}

/// The attempt as progress tracking and reports see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub completion: Completion,
    pub success: Success,
    /// 2004: cmi.score.scaled. 1.2 has no scaled score, so it is derived from
    /// score.raw: `(raw - min) / (max - min)` when both bounds are set, else
    /// `raw / 100` (1.2 raw scores are 0..100).
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    /// The bookmark (1.2 cmi.core.lesson_location, 2004 cmi.location), if any.
    pub location: Option<String>,
    /// total_time plus a session_time not yet folded in by `add_session_time`.
    pub total_time_seconds: f64,
}

/// Computes the outcome. 1.2 lesson_status maps as: passed → completed and
/// passed; failed → completed and failed (the learner finished and did not
/// pass); completed → completed; incomplete and browsed → incomplete (browsing
/// earns no credit); not attempted → not attempted.
pub fn outcome(version: Version, state: &CmiState) -> Outcome {
    let get = |k: &str| state.values.get(k).map(String::as_str);
    let real = |k: &str| get(k).and_then(parse_real);
    match version {
        Version::Scorm12 => {
            let (completion, success) = match lesson_status_12(state).as_str() {
                "passed" => (Completion::Completed, Success::Passed),
                "failed" => (Completion::Completed, Success::Failed),
                "completed" => (Completion::Completed, Success::Unknown),
                "incomplete" | "browsed" => (Completion::Incomplete, Success::Unknown),
                _ => (Completion::NotAttempted, Success::Unknown),
            };
            let raw = real("cmi.core.score.raw");
            let scaled =
                raw.map(
                    |r| match (real("cmi.core.score.min"), real("cmi.core.score.max")) {
                        (Some(lo), Some(hi)) if hi > lo => ((r - lo) / (hi - lo)).clamp(-1.0, 1.0),
                        _ => (r / 100.0).clamp(-1.0, 1.0),
                    },
                );
            let time = |k: &str| get(k).and_then(parse_timespan).unwrap_or(0.0);
            Outcome {
                completion,
                success,
                score_scaled: scaled,
                score_raw: raw,
                location: get("cmi.core.lesson_location")
                    .filter(|s| !s.is_empty())
                    .map(String::from),
                total_time_seconds: time("cmi.core.total_time") + time("cmi.core.session_time"),
            }
        }
        Version::Scorm2004 => {
            let completion = match completion_2004(state).as_str() {
                "completed" => Completion::Completed,
                "incomplete" => Completion::Incomplete,
                "not attempted" => Completion::NotAttempted,
                _ => Completion::Unknown,
            };
            let success = match success_2004(state).as_str() {
                "passed" => Success::Passed,
                "failed" => Success::Failed,
                _ => Success::Unknown,
            };
            let time = |k: &str| get(k).and_then(parse_timeinterval).unwrap_or(0.0);
            Outcome {
                completion,
                success,
                score_scaled: real("cmi.score.scaled"),
                score_raw: real("cmi.score.raw"),
                location: get("cmi.location")
                    .filter(|s| !s.is_empty())
                    .map(String::from),
                total_time_seconds: time("cmi.total_time") + time("cmi.session_time"),
            }
        }
    }
}

/// 1.2 lesson_status with the mastery score applied. SCORM 1.2 RTE 3.4.4
/// (cmi.core.lesson_status, cmi.student_data.mastery_score): with credit and a
/// mastery score, the LMS may set passed or failed from score.raw; the 1.2
/// Conformance Requirements limit this to a status the SCO did not set to
/// "incomplete". Applied here to a finished result (completed, passed, failed)
/// only: a "not attempted" or "browsed" SCO has not been judged.
pub(super) fn lesson_status_12(state: &CmiState) -> String {
    let get = |k: &str| state.values.get(k).map(String::as_str);
    let status = get("cmi.core.lesson_status").unwrap_or("not attempted");
    let credit = get("cmi.core.credit").unwrap_or("credit") == "credit";
    let mastery = get("cmi.student_data.mastery_score").and_then(parse_real);
    let raw = get("cmi.core.score.raw").and_then(parse_real);
    match (credit, mastery, raw, status) {
        (true, Some(m), Some(r), "completed" | "passed" | "failed") => {
            if r >= m { "passed" } else { "failed" }.to_string()
        }
        _ => status.to_string(),
    }
}

/// 2004 completion_status as the LMS reports it (RTE 4.2.4.1): with a
/// completion_threshold and a progress_measure, progress decides; otherwise the
/// SCO's value, "unknown" if it set none.
pub(super) fn completion_2004(state: &CmiState) -> String {
    let get = |k: &str| state.values.get(k).and_then(|v| parse_real(v));
    match (get("cmi.completion_threshold"), get("cmi.progress_measure")) {
        (Some(t), Some(p)) => if p >= t { "completed" } else { "incomplete" }.to_string(),
        _ => state
            .values
            .get("cmi.completion_status")
            .cloned()
            .unwrap_or_else(|| "unknown".into()),
    }
}

/// 2004 success_status as the LMS reports it (RTE 4.2.22.1): with a
/// scaled_passing_score, score.scaled decides, and without a scaled score the
/// result is "unknown" whatever the SCO said; otherwise the SCO's value.
pub(super) fn success_2004(state: &CmiState) -> String {
    let get = |k: &str| state.values.get(k).and_then(|v| parse_real(v));
    match (get("cmi.scaled_passing_score"), get("cmi.score.scaled")) {
        (Some(p), Some(s)) => if s >= p { "passed" } else { "failed" }.to_string(),
        (Some(_), None) => "unknown".to_string(),
        _ => state
            .values
            .get("cmi.success_status")
            .cloned()
            .unwrap_or_else(|| "unknown".into()),
    }
}
