//! SCORM 1.2 data model: types, vocabularies, access, keywords, collections,
//! limits and error texts.

use super::super::{error_string, new_attempt, CmiState, Launch};
use super::{get, get_code, set, set_all, set_limited, Limits, V12};

fn fresh() -> CmiState {
    new_attempt(
        V12,
        &Launch {
            learner_id: "u1".into(),
            learner_name: "Doe, Jane".into(),
            ..Launch::default()
        },
    )
}

#[test]
fn launch_values_are_readable_and_read_only() {
    let mut s = fresh();
    assert_eq!(get(V12, &s, "cmi.core.student_id"), "u1");
    assert_eq!(get(V12, &s, "cmi.core.student_name"), "Doe, Jane");
    assert_eq!(get(V12, &s, "cmi.core.lesson_status"), "not attempted");
    assert_eq!(get(V12, &s, "cmi.core.entry"), "ab-initio");
    assert_eq!(get(V12, &s, "cmi.core.credit"), "credit");
    assert_eq!(get(V12, &s, "cmi.core.lesson_mode"), "normal");
    assert_eq!(get(V12, &s, "cmi.core.total_time"), "0000:00:00.00");
    for element in [
        "cmi.core.student_id",
        "cmi.core.student_name",
        "cmi.core.credit",
        "cmi.core.entry",
        "cmi.core.total_time",
        "cmi.core.lesson_mode",
        "cmi.launch_data",
        "cmi.comments_from_lms",
        "cmi.student_data.mastery_score",
        "cmi.student_data.max_time_allowed",
        "cmi.student_data.time_limit_action",
    ] {
        assert_eq!(set(V12, &mut s, element, "x"), 403, "{element}");
    }
}

#[test]
fn unset_elements_read_as_empty_without_error() {
    let s = fresh();
    for element in [
        "cmi.core.lesson_location",
        "cmi.suspend_data",
        "cmi.launch_data",
        "cmi.core.score.raw",
        "cmi.comments",
    ] {
        assert_eq!(get(V12, &s, element), "");
    }
}

#[test]
fn write_only_elements_refuse_reads_with_404() {
    let mut s = fresh();
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.core.exit", "suspend"),
            ("cmi.core.session_time", "00:01:00"),
            ("cmi.interactions.0.id", "q1"),
        ],
    );
    for element in [
        "cmi.core.exit",
        "cmi.core.session_time",
        "cmi.interactions.0.id",
    ] {
        assert_eq!(get_code(V12, &s, element), 404, "{element}");
    }
    assert_eq!(get(V12, &s, "cmi.interactions._count"), "1");
}

#[test]
fn lesson_status_vocabulary() {
    let mut s = fresh();
    for v in ["passed", "completed", "failed", "incomplete", "browsed"] {
        assert_eq!(set(V12, &mut s, "cmi.core.lesson_status", v), 0, "{v}");
        assert_eq!(get(V12, &s, "cmi.core.lesson_status"), v);
    }
    for v in ["not attempted", "Completed", "complete", "", "passed "] {
        assert_eq!(set(V12, &mut s, "cmi.core.lesson_status", v), 405, "{v:?}");
    }
    // An objective's status may be "not attempted": only lesson_status is reserved.
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.objectives.0.id", "o1"),
            ("cmi.objectives.0.status", "not attempted"),
        ],
    );
}

#[test]
fn exit_vocabulary() {
    let mut s = fresh();
    for v in ["time-out", "suspend", "logout", ""] {
        assert_eq!(set(V12, &mut s, "cmi.core.exit", v), 0, "{v:?}");
    }
    for v in ["normal", "timeout", "Suspend"] {
        assert_eq!(set(V12, &mut s, "cmi.core.exit", v), 405, "{v:?}");
    }
}

#[test]
fn scores_are_decimals_0_to_100_or_blank() {
    let mut s = fresh();
    for v in ["0", "100", "55.5", "", "-0", ".5", "+7"] {
        assert_eq!(set(V12, &mut s, "cmi.core.score.raw", v), 0, "{v:?}");
    }
    for v in ["101", "-1", "abc", "1e2", "50%", " 50", "NaN", "inf"] {
        assert_eq!(set(V12, &mut s, "cmi.core.score.raw", v), 405, "{v:?}");
    }
    assert_eq!(set(V12, &mut s, "cmi.core.score.max", "100"), 0);
    assert_eq!(get(V12, &s, "cmi.core.score.max"), "100");
}

#[test]
fn session_time_is_a_timespan() {
    let mut s = fresh();
    assert_eq!(set(V12, &mut s, "cmi.core.session_time", "0000:10:30.5"), 0);
    for v in ["PT10M", "10:30", "00:61:00", ""] {
        assert_eq!(set(V12, &mut s, "cmi.core.session_time", v), 405, "{v:?}");
    }
}

#[test]
fn string_lengths() {
    let mut s = fresh();
    assert_eq!(
        set(V12, &mut s, "cmi.core.lesson_location", &"x".repeat(255)),
        0
    );
    assert_eq!(
        set(V12, &mut s, "cmi.core.lesson_location", &"x".repeat(256)),
        405
    );
    assert_eq!(
        set(V12, &mut s, "cmi.comments", &"é".repeat(4096)),
        0,
        "characters, not bytes"
    );
    assert_eq!(set(V12, &mut s, "cmi.comments", &"x".repeat(4097)), 405);
}

#[test]
fn suspend_data_accepts_past_4096_up_to_the_ceiling() {
    let mut s = fresh();
    assert_eq!(set(V12, &mut s, "cmi.suspend_data", &"a".repeat(4097)), 0);
    assert_eq!(set(V12, &mut s, "cmi.suspend_data", &"a".repeat(64_000)), 0);
    assert_eq!(
        set(V12, &mut s, "cmi.suspend_data", &"b".repeat(64_001)),
        405
    );
    assert_eq!(
        get(V12, &s, "cmi.suspend_data").len(),
        64_000,
        "refused value not stored"
    );
    let small = Limits {
        suspend_data_max: 10,
    };
    assert_eq!(
        set_limited(V12, &mut s, "cmi.suspend_data", "0123456789", &small),
        0
    );
    assert_eq!(
        set_limited(V12, &mut s, "cmi.suspend_data", "0123456789a", &small),
        405
    );
}

#[test]
fn student_preferences() {
    let mut s = fresh();
    let ok = [
        ("audio", "-1"),
        ("audio", "100"),
        ("speed", "-100"),
        ("speed", "100"),
        ("text", "-1"),
        ("text", "1"),
        ("language", "fr"),
    ];
    for (el, v) in ok {
        assert_eq!(
            set(V12, &mut s, &format!("cmi.student_preference.{el}"), v),
            0,
            "{el}={v}"
        );
    }
    let bad = [
        ("audio", "-2"),
        ("audio", "101"),
        ("speed", "101"),
        ("text", "2"),
        ("audio", "1.5"),
        ("text", ""),
    ];
    for (el, v) in bad {
        assert_eq!(
            set(V12, &mut s, &format!("cmi.student_preference.{el}"), v),
            405,
            "{el}={v}"
        );
    }
    assert_eq!(get(V12, &s, "cmi.student_preference.speed"), "100");
}

#[test]
fn keywords() {
    let mut s = fresh();
    assert_eq!(
        get(V12, &s, "cmi.core._children"),
        "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time"
    );
    assert_eq!(get(V12, &s, "cmi.core.score._children"), "raw,min,max");
    assert_eq!(get(V12, &s, "cmi.objectives._children"), "id,score,status");
    assert_eq!(
        get(V12, &s, "cmi.student_data._children"),
        "mastery_score,max_time_allowed,time_limit_action"
    );
    assert_eq!(
        get(V12, &s, "cmi.student_preference._children"),
        "audio,language,speed,text"
    );
    assert_eq!(
        get(V12, &s, "cmi.interactions._children"),
        "id,objectives,time,type,correct_responses,weighting,student_response,result,latency"
    );
    assert_eq!(get(V12, &s, "cmi.objectives._count"), "0");
    assert_eq!(get_code(V12, &s, "cmi.core.student_id._children"), 202);
    assert_eq!(get_code(V12, &s, "cmi.core._count"), 203);
    assert_eq!(get_code(V12, &s, "cmi.suspend_data._count"), 203);
    assert_eq!(get_code(V12, &s, "cmi.nothing._children"), 401);
    assert_eq!(set(V12, &mut s, "cmi.core._children", "x"), 402);
    assert_eq!(set(V12, &mut s, "cmi.objectives._count", "3"), 402);
    assert_eq!(get_code(V12, &s, "cmi._version"), 401);
}

#[test]
fn undefined_and_empty_names() {
    let mut s = fresh();
    for element in [
        "cmi.core.foo",
        "xyz.score.result",
        "cmi.completion_status",
        "cmi.core",
        "cmi..core",
        "cmi.core.",
    ] {
        assert_eq!(get_code(V12, &s, element), 401, "{element}");
        assert_eq!(set(V12, &mut s, element, "x"), 401, "{element}");
    }
    assert_eq!(get_code(V12, &s, ""), 201);
    assert_eq!(set(V12, &mut s, "", "x"), 201);
}

#[test]
fn objectives_append_only_at_count() {
    let mut s = fresh();
    assert_eq!(
        set(V12, &mut s, "cmi.objectives.1.id", "o2"),
        201,
        "index past _count"
    );
    assert_eq!(get(V12, &s, "cmi.objectives._count"), "0");
    // 1.2 has no id-first rule: any element may open the record.
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.objectives.0.score.raw", "80"),
            ("cmi.objectives.0.id", "o1"),
            ("cmi.objectives.1.id", "o2"),
        ],
    );
    assert_eq!(get(V12, &s, "cmi.objectives._count"), "2");
    assert_eq!(get(V12, &s, "cmi.objectives.0.score.raw"), "80");
    assert_eq!(
        get(V12, &s, "cmi.objectives.0.score._children"),
        "raw,min,max"
    );
    assert_eq!(
        get_code(V12, &s, "cmi.objectives.2.id"),
        201,
        "read past _count"
    );
    assert_eq!(set(V12, &mut s, "cmi.objectives.0.id", "has space"), 405);
    assert_eq!(
        set(V12, &mut s, "cmi.objectives.01.status", "passed"),
        0,
        "01 is index 1"
    );
    assert_eq!(get(V12, &s, "cmi.objectives.1.status"), "passed");
}

#[test]
fn interactions_are_a_write_only_journal() {
    let mut s = fresh();
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.interactions.0.id", "q1"),
            ("cmi.interactions.0.type", "choice"),
            ("cmi.interactions.0.objectives.0.id", "o1"),
            ("cmi.interactions.0.time", "13:05:00"),
            ("cmi.interactions.0.correct_responses.0.pattern", "a"),
            ("cmi.interactions.0.weighting", "1.5"),
            ("cmi.interactions.0.student_response", "b"),
            ("cmi.interactions.0.result", "wrong"),
            ("cmi.interactions.0.latency", "00:00:12.5"),
            ("cmi.interactions.1.result", "0.75"),
        ],
    );
    assert_eq!(get(V12, &s, "cmi.interactions._count"), "2");
    assert_eq!(get(V12, &s, "cmi.interactions.0.objectives._count"), "1");
    assert_eq!(
        get(V12, &s, "cmi.interactions.0.correct_responses._count"),
        "1"
    );
    assert_eq!(get_code(V12, &s, "cmi.interactions.0.result"), 404);
    assert_eq!(
        get_code(V12, &s, "cmi.interactions.0.objectives._children"),
        202
    );
    let bad = [
        ("cmi.interactions.0.type", "long-fill-in"),
        ("cmi.interactions.0.result", "incorrect"),
        ("cmi.interactions.0.time", "25:00:00"),
        ("cmi.interactions.0.latency", "PT12S"),
        ("cmi.interactions.0.weighting", "heavy"),
        ("cmi.interactions.0.student_response", &"x".repeat(256)),
        ("cmi.interactions.0.id", ""),
    ];
    for (el, v) in bad {
        assert_eq!(set(V12, &mut s, el, v), 405, "{el}={v}");
    }
    assert_eq!(
        set(V12, &mut s, "cmi.interactions.0.objectives.2.id", "o3"),
        201
    );
    assert_eq!(set(V12, &mut s, "cmi.interactions.3.id", "q4"), 201);
}

#[test]
fn error_strings_are_the_standard_texts() {
    let expected = [
        (0, "No error"),
        (101, "General Exception"),
        (201, "Invalid argument error"),
        (202, "Element cannot have children"),
        (203, "Element not an array - cannot have count"),
        (301, "Not initialized"),
        (401, "Not implemented error"),
        (402, "Invalid set value, element is a keyword"),
        (403, "Element is read only"),
        (404, "Element is write only"),
        (405, "Incorrect Data Type"),
    ];
    for (code, text) in expected {
        assert_eq!(error_string(V12, code), text);
    }
    assert_eq!(error_string(V12, 406), "");
    assert_eq!(error_string(V12, 351), "");
}
