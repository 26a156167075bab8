//! The SCORM 1.2 data model (SCORM 1.2 RTE section 3.4): every `cmi.*`
//! element with its access, type and `_children` list.

use super::spec::{ro, rw, wo, Model, Spec, Ty, CREDIT, MODE, TIME_LIMIT_ACTION};

pub(super) static MODEL: Model = Model {
    spec,
    children,
    collections: &[
        "cmi.objectives",
        "cmi.interactions",
        "cmi.interactions.n.objectives",
        "cmi.interactions.n.correct_responses",
    ],
};

/// What a SCO may store in `cmi.core.lesson_status`. "not attempted" is in the
/// element's vocabulary but only the LMS sets it (RTE 3.4.4, LMSSetValue of
/// cmi.core.lesson_status), so a SCO that sends it gets 405.
const LESSON_STATUS_SET: &[&str] = &["passed", "completed", "failed", "incomplete", "browsed"];
pub(super) const STATUS: &[&str] = &[
    "passed",
    "completed",
    "failed",
    "incomplete",
    "browsed",
    "not attempted",
];
const ENTRY: &[&str] = &["ab-initio", "resume", ""];
const EXIT: &[&str] = &["time-out", "suspend", "logout", ""];
const INTERACTION_TYPE: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
];

fn spec(pattern: &str) -> Option<Spec> {
    let any_decimal = Ty::Real {
        min: None,
        max: None,
    };
    match pattern {
        "cmi.core.student_id" | "cmi.core.student_name" => ro(Ty::Text(255)),
        "cmi.core.lesson_location" => rw(Ty::Text(255)),
        "cmi.core.credit" => ro(Ty::Vocab(CREDIT)),
        "cmi.core.lesson_status" => rw(Ty::Vocab(LESSON_STATUS_SET)),
        "cmi.core.entry" => ro(Ty::Vocab(ENTRY)),
        "cmi.core.score.raw" | "cmi.core.score.min" | "cmi.core.score.max" => rw(Ty::Score12),
        "cmi.core.total_time" => ro(Ty::Timespan),
        "cmi.core.lesson_mode" => ro(Ty::Vocab(MODE)),
        "cmi.core.exit" => wo(Ty::Vocab(EXIT)),
        "cmi.core.session_time" => wo(Ty::Timespan),
        "cmi.suspend_data" => rw(Ty::SuspendData),
        "cmi.launch_data" => ro(Ty::Text(4096)),
        "cmi.comments" => rw(Ty::Text(4096)),
        "cmi.comments_from_lms" => ro(Ty::Text(4096)),
        "cmi.objectives.n.id" => rw(Ty::Ident12),
        "cmi.objectives.n.score.raw"
        | "cmi.objectives.n.score.min"
        | "cmi.objectives.n.score.max" => rw(Ty::Score12),
        "cmi.objectives.n.status" => rw(Ty::Vocab(STATUS)),
        "cmi.student_data.mastery_score" => ro(Ty::Score12),
        "cmi.student_data.max_time_allowed" => ro(Ty::Timespan),
        "cmi.student_data.time_limit_action" => ro(Ty::Vocab(TIME_LIMIT_ACTION)),
        "cmi.student_preference.audio" => rw(Ty::Int(-1, 100)),
        "cmi.student_preference.language" => rw(Ty::Text(255)),
        "cmi.student_preference.speed" => rw(Ty::Int(-100, 100)),
        "cmi.student_preference.text" => rw(Ty::Int(-1, 1)),
        // Interactions are a journal the SCO writes and never reads back
        // (RTE 3.4.4, cmi.interactions: all write-only except the counts).
        "cmi.interactions.n.id" | "cmi.interactions.n.objectives.n.id" => wo(Ty::Ident12),
        "cmi.interactions.n.time" => wo(Ty::CmiTime),
        "cmi.interactions.n.type" => wo(Ty::Vocab(INTERACTION_TYPE)),
        "cmi.interactions.n.correct_responses.n.pattern"
        | "cmi.interactions.n.student_response" => wo(Ty::Feedback12),
        "cmi.interactions.n.weighting" => wo(any_decimal),
        "cmi.interactions.n.result" => wo(Ty::Result12),
        "cmi.interactions.n.latency" => wo(Ty::Timespan),
        _ => None,
    }
}

fn children(pattern: &str) -> Option<&'static str> {
    Some(match pattern {
        "cmi.core" => {
            "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time"
        }
        "cmi.core.score" | "cmi.objectives.n.score" => "raw,min,max",
        "cmi.objectives" => "id,score,status",
        "cmi.student_data" => "mastery_score,max_time_allowed,time_limit_action",
        "cmi.student_preference" => "audio,language,speed,text",
        "cmi.interactions" => {
            "id,objectives,time,type,correct_responses,weighting,student_response,result,latency"
        }
        _ => return None,
    })
}
