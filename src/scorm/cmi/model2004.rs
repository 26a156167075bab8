//! The SCORM 2004 4th edition data model (RTE section 4.2) and the `adl.nav`
//! navigation elements (RTE section 4.4), with defaults and `_children` lists.

use super::spec::{ro, rw, with_default, wo, Model, Spec, Ty, CREDIT, MODE, TIME_LIMIT_ACTION};

pub(super) static MODEL: Model = Model {
    spec,
    children,
    collections: &[
        "cmi.objectives",
        "cmi.interactions",
        "cmi.interactions.n.objectives",
        "cmi.interactions.n.correct_responses",
        "cmi.comments_from_learner",
        "cmi.comments_from_lms",
    ],
};

pub(super) const COMPLETION: &[&str] = &["completed", "incomplete", "not attempted", "unknown"];
pub(super) const SUCCESS: &[&str] = &["passed", "failed", "unknown"];
const ENTRY: &[&str] = &["ab-initio", "resume", ""];
/// The RTE and the ADL sample RTE spell it "time-out"; "timeout" is accepted too
/// because widely copied references (and content written from them) use it.
const EXIT: &[&str] = &["time-out", "timeout", "suspend", "logout", "normal", ""];
pub(super) const INTERACTION_TYPE: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];
const RESULT_VALID: &[&str] = &["true", "false", "unknown"];
const CAPTIONING: &[&str] = &["-1", "0", "1"];

const LONG_ID: Ty = Ty::Uri(4000);
const ANY_REAL: Ty = Ty::Real {
    min: None,
    max: None,
};
const SCALED: Ty = Ty::Real {
    min: Some(-1.0),
    max: Some(1.0),
};
const UNIT: Ty = Ty::Real {
    min: Some(0.0),
    max: Some(1.0),
};
const NON_NEGATIVE: Ty = Ty::Real {
    min: Some(0.0),
    max: None,
};

fn spec(pattern: &str) -> Option<Spec> {
    match pattern {
        "cmi.comments_from_learner.n.comment" => rw(Ty::LangText(4000)),
        "cmi.comments_from_learner.n.location" => rw(Ty::Text(250)),
        "cmi.comments_from_learner.n.timestamp" => rw(Ty::Timestamp),
        "cmi.comments_from_lms.n.comment" => ro(Ty::LangText(4000)),
        "cmi.comments_from_lms.n.location" => ro(Ty::Text(250)),
        "cmi.comments_from_lms.n.timestamp" => ro(Ty::Timestamp),
        "cmi.completion_status" => with_default(rw(Ty::Vocab(COMPLETION)), "unknown"),
        "cmi.completion_threshold" => ro(UNIT),
        "cmi.credit" => with_default(ro(Ty::Vocab(CREDIT)), "credit"),
        "cmi.entry" => with_default(ro(Ty::Vocab(ENTRY)), "ab-initio"),
        "cmi.exit" => wo(Ty::Vocab(EXIT)),
        "cmi.interactions.n.id" | "cmi.interactions.n.objectives.n.id" => rw(LONG_ID),
        "cmi.interactions.n.type" => rw(Ty::Vocab(INTERACTION_TYPE)),
        "cmi.interactions.n.timestamp" => rw(Ty::Timestamp),
        "cmi.interactions.n.correct_responses.n.pattern" => rw(Ty::Pattern),
        "cmi.interactions.n.weighting" => rw(ANY_REAL),
        "cmi.interactions.n.learner_response" => rw(Ty::Response),
        "cmi.interactions.n.result" => rw(Ty::Result2004),
        "cmi.interactions.n.latency" => rw(Ty::Interval),
        "cmi.interactions.n.description" => rw(Ty::LangText(250)),
        "cmi.launch_data" => ro(Ty::Text(4000)),
        "cmi.learner_id" => ro(LONG_ID),
        "cmi.learner_name" => ro(Ty::LangText(250)),
        "cmi.learner_preference.audio_level" => with_default(rw(NON_NEGATIVE), "1"),
        "cmi.learner_preference.language" => with_default(rw(Ty::Language), ""),
        "cmi.learner_preference.delivery_speed" => with_default(rw(NON_NEGATIVE), "1"),
        "cmi.learner_preference.audio_captioning" => with_default(rw(Ty::Vocab(CAPTIONING)), "0"),
        "cmi.location" => rw(Ty::Text(1000)),
        "cmi.max_time_allowed" => ro(Ty::Interval),
        "cmi.mode" => with_default(ro(Ty::Vocab(MODE)), "normal"),
        "cmi.objectives.n.id" => rw(LONG_ID),
        "cmi.objectives.n.score.scaled" => rw(SCALED),
        "cmi.objectives.n.score.raw"
        | "cmi.objectives.n.score.min"
        | "cmi.objectives.n.score.max" => rw(ANY_REAL),
        "cmi.objectives.n.success_status" => with_default(rw(Ty::Vocab(SUCCESS)), "unknown"),
        "cmi.objectives.n.completion_status" => with_default(rw(Ty::Vocab(COMPLETION)), "unknown"),
        "cmi.objectives.n.progress_measure" => rw(UNIT),
        "cmi.objectives.n.description" => rw(Ty::LangText(250)),
        "cmi.progress_measure" => rw(UNIT),
        "cmi.scaled_passing_score" => ro(SCALED),
        "cmi.score.scaled" => rw(SCALED),
        "cmi.score.raw" | "cmi.score.min" | "cmi.score.max" => rw(ANY_REAL),
        "cmi.session_time" => wo(Ty::Interval),
        "cmi.success_status" => with_default(rw(Ty::Vocab(SUCCESS)), "unknown"),
        "cmi.suspend_data" => rw(Ty::SuspendData),
        "cmi.time_limit_action" => {
            with_default(ro(Ty::Vocab(TIME_LIMIT_ACTION)), "continue,no message")
        }
        "cmi.total_time" => with_default(ro(Ty::Interval), "PT0H0M0S"),
        "adl.nav.request" => with_default(rw(Ty::NavRequest), "_none_"),
        // Whether a request would be honoured is the sequencer's to say: the player's
        // launch state carries its answer in a sequenced course (app::scorm), and
        // without one the default is "unknown".
        "adl.nav.request_valid.continue" | "adl.nav.request_valid.previous" => {
            with_default(ro(Ty::Vocab(RESULT_VALID)), "unknown")
        }
        _ => None,
    }
}

fn children(pattern: &str) -> Option<&'static str> {
    Some(match pattern {
        "cmi.comments_from_learner" | "cmi.comments_from_lms" => "comment,location,timestamp",
        "cmi.interactions" => {
            "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description"
        }
        "cmi.learner_preference" => "audio_level,language,delivery_speed,audio_captioning",
        "cmi.objectives" => "id,score,success_status,completion_status,progress_measure,description",
        "cmi.score" | "cmi.objectives.n.score" => "scaled,raw,min,max",
        _ => return None,
    })
}

/// `adl.nav.request_valid.choice.{target=ID}` and `.jump.{target=ID}`: the
/// target may itself contain dots, so these are matched before the name is split.
/// Returns `Some(true)` for a well-formed request, `Some(false)` for a malformed
/// one, `None` when the name is something else.
pub(super) fn is_request_valid_target(element: &str) -> Option<bool> {
    let rest = element
        .strip_prefix("adl.nav.request_valid.choice.")
        .or_else(|| element.strip_prefix("adl.nav.request_valid.jump."))?;
    let target = rest
        .strip_prefix("{target=")
        .and_then(|t| t.strip_suffix('}'));
    Some(target.is_some_and(|t| !t.is_empty() && !t.contains('}')))
}
