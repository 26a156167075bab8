//! SCORM 2004 data model: defaults, types, ranges, access, keywords,
//! collections, dependencies, uniqueness, navigation and error texts.

use super::super::{error_string, new_attempt, CmiState, Launch};
use super::{get, get_code, set, set_all, set_limited, Limits, V2004};

fn fresh() -> CmiState {
    new_attempt(
        V2004,
        &Launch {
            learner_id: "urn:u:1".into(),
            learner_name: "Jane Doe".into(),
            ..Launch::default()
        },
    )
}

#[test]
fn defaults_and_uninitialized_values() {
    let s = fresh();
    let defaults = [
        ("cmi._version", "1.0"),
        ("cmi.completion_status", "unknown"),
        ("cmi.success_status", "unknown"),
        ("cmi.entry", "ab-initio"),
        ("cmi.credit", "credit"),
        ("cmi.mode", "normal"),
        ("cmi.total_time", "PT0H0M0S"),
        ("cmi.time_limit_action", "continue,no message"),
        ("cmi.learner_preference.audio_level", "1"),
        ("cmi.learner_preference.language", ""),
        ("cmi.learner_preference.delivery_speed", "1"),
        ("cmi.learner_preference.audio_captioning", "0"),
        ("adl.nav.request", "_none_"),
        ("adl.nav.request_valid.continue", "unknown"),
        ("adl.nav.request_valid.choice.{target=sco.2}", "unknown"),
        ("cmi.learner_id", "urn:u:1"),
    ];
    for (element, value) in defaults {
        assert_eq!(get(V2004, &s, element), value, "{element}");
    }
    for element in [
        "cmi.location",
        "cmi.suspend_data",
        "cmi.score.raw",
        "cmi.score.scaled",
        "cmi.progress_measure",
        "cmi.launch_data",
        "cmi.completion_threshold",
        "cmi.scaled_passing_score",
        "cmi.max_time_allowed",
    ] {
        assert_eq!(get_code(V2004, &s, element), 403, "{element}");
    }
}

#[test]
fn read_only_write_only_and_keywords() {
    let mut s = fresh();
    for element in [
        "cmi.learner_id",
        "cmi.learner_name",
        "cmi.credit",
        "cmi.entry",
        "cmi.mode",
        "cmi.launch_data",
        "cmi.total_time",
        "cmi.completion_threshold",
        "cmi.scaled_passing_score",
        "cmi.max_time_allowed",
        "cmi.time_limit_action",
        "adl.nav.request_valid.continue",
        "adl.nav.request_valid.jump.{target=x}",
        "cmi._version",
        "cmi.objectives._count",
        "cmi.interactions._children",
    ] {
        assert_eq!(set(V2004, &mut s, element, "x"), 404, "{element}");
    }
    set_all(
        V2004,
        &mut s,
        &[("cmi.exit", "suspend"), ("cmi.session_time", "PT5M")],
    );
    assert_eq!(get_code(V2004, &s, "cmi.exit"), 405);
    assert_eq!(get_code(V2004, &s, "cmi.session_time"), 405);
    assert_eq!(get_code(V2004, &s, "cmi.score._count"), 301);
    assert_eq!(get_code(V2004, &s, "cmi.location._children"), 301);
    assert_eq!(get_code(V2004, &s, "cmi.score._version"), 301);
    assert_eq!(get_code(V2004, &s, "cmi.bogus._count"), 401);
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.n.id", "x"),
        401,
        "n is not an index"
    );
    assert_eq!(get_code(V2004, &s, "cmi.core.lesson_status"), 401);
    assert_eq!(set(V2004, &mut s, "cmi.core.lesson_status", "passed"), 401);
    assert_eq!(get_code(V2004, &s, ""), 301);
    assert_eq!(set(V2004, &mut s, "", "x"), 351);
    assert_eq!(get_code(V2004, &s, "adl.data._count"), 402);
    assert_eq!(get_code(V2004, &s, "adl.nav.request_valid.choice"), 401);
    assert_eq!(
        get_code(V2004, &s, "adl.nav.request_valid.choice.target"),
        401
    );
}

#[test]
fn children_lists() {
    let s = fresh();
    assert_eq!(get(V2004, &s, "cmi.score._children"), "scaled,raw,min,max");
    assert_eq!(
        get(V2004, &s, "cmi.learner_preference._children"),
        "audio_level,language,delivery_speed,audio_captioning"
    );
    assert_eq!(
        get(V2004, &s, "cmi.objectives._children"),
        "id,score,success_status,completion_status,progress_measure,description"
    );
    assert_eq!(
        get(V2004, &s, "cmi.interactions._children"),
        "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description"
    );
    assert_eq!(
        get(V2004, &s, "cmi.comments_from_learner._children"),
        "comment,location,timestamp"
    );
    assert_eq!(
        get(V2004, &s, "cmi.comments_from_lms._children"),
        "comment,location,timestamp"
    );
}

#[test]
fn vocabularies() {
    let mut s = fresh();
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "cmi.completion_status",
            &["completed", "incomplete", "not attempted", "unknown"],
            &["passed", "Completed", ""],
        ),
        (
            "cmi.success_status",
            &["passed", "failed", "unknown"],
            &["completed", "PASSED"],
        ),
        (
            "cmi.exit",
            &["time-out", "timeout", "suspend", "logout", "normal", ""],
            &["exit", "Suspend"],
        ),
        (
            "cmi.learner_preference.audio_captioning",
            &["-1", "0", "1"],
            &["2", "yes", ""],
        ),
    ];
    for (element, good, bad) in cases {
        for v in good {
            assert_eq!(set(V2004, &mut s, element, v), 0, "{element}={v:?}");
        }
        for v in bad {
            assert_eq!(set(V2004, &mut s, element, v), 406, "{element}={v:?}");
        }
    }
}

#[test]
fn reals_and_ranges() {
    let mut s = fresh();
    let cases: [(&str, &[&str], &[&str]); 5] = [
        (
            "cmi.score.scaled",
            &["-1", "1", "0.5", "-0.25"],
            &["1.01", "-1.5"],
        ),
        (
            "cmi.progress_measure",
            &["0", "1", "0.75"],
            &["-0.1", "1.1"],
        ),
        (
            "cmi.learner_preference.audio_level",
            &["0", "2.5", "100"],
            &["-1"],
        ),
        (
            "cmi.learner_preference.delivery_speed",
            &["0", "1.5"],
            &["-0.5"],
        ),
        ("cmi.score.raw", &["-500", "1000", "3.14159"], &[]),
    ];
    for (element, good, out_of_range) in cases {
        for v in good {
            assert_eq!(set(V2004, &mut s, element, v), 0, "{element}={v}");
        }
        for v in out_of_range {
            assert_eq!(set(V2004, &mut s, element, v), 407, "{element}={v}");
        }
        for v in ["abc", "", "1e3", "0x1", "1,5", "NaN"] {
            assert_eq!(set(V2004, &mut s, element, v), 406, "{element}={v:?}");
        }
    }
}

#[test]
fn strings_language_and_lengths() {
    let mut s = fresh();
    assert_eq!(set(V2004, &mut s, "cmi.location", &"x".repeat(1000)), 0);
    assert_eq!(set(V2004, &mut s, "cmi.location", &"x".repeat(1001)), 351);
    for v in [
        "en",
        "en-US",
        "fr-CA",
        "i-klingon",
        "x-custom",
        "zh-Hant-TW",
        "",
    ] {
        assert_eq!(
            set(V2004, &mut s, "cmi.learner_preference.language", v),
            0,
            "{v:?}"
        );
    }
    for v in ["english", "e", "en_US", "en-", "12"] {
        assert_eq!(
            set(V2004, &mut s, "cmi.learner_preference.language", v),
            406,
            "{v:?}"
        );
    }
}

#[test]
fn suspend_data_limit_uses_351_past_the_ceiling() {
    let mut s = fresh();
    assert_eq!(
        set(V2004, &mut s, "cmi.suspend_data", &"a".repeat(64_000)),
        0
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.suspend_data", &"a".repeat(64_001)),
        351
    );
    let big = Limits {
        suspend_data_max: 100_000,
    };
    assert_eq!(
        set_limited(
            V2004,
            &mut s,
            "cmi.suspend_data",
            &"a".repeat(100_000),
            &big
        ),
        0
    );
    assert_eq!(
        set_limited(
            V2004,
            &mut s,
            "cmi.suspend_data",
            &"a".repeat(100_001),
            &big
        ),
        351
    );
}

#[test]
fn session_time_is_a_timeinterval() {
    let mut s = fresh();
    for v in ["PT1H30M", "P1DT0.5S", "PT0S", "P0Y0M0DT0H0M12.34S"] {
        assert_eq!(set(V2004, &mut s, "cmi.session_time", v), 0, "{v}");
    }
    for v in ["PT50S.21S", "P", "PT", "1H", "00:10:00", ""] {
        assert_eq!(set(V2004, &mut s, "cmi.session_time", v), 406, "{v:?}");
    }
}

#[test]
fn objectives_need_their_id_first() {
    let mut s = fresh();
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.score.scaled", "0.5"),
        408
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.success_status", "passed"),
        408
    );
    assert_eq!(
        get(V2004, &s, "cmi.objectives._count"),
        "0",
        "refused set opens no record"
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.1.id", "o2"),
        351,
        "index past _count"
    );
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.objectives.0.id", "urn:obj:1"),
            ("cmi.objectives.0.score.scaled", "0.5"),
        ],
    );
    assert_eq!(get(V2004, &s, "cmi.objectives.0.success_status"), "unknown");
    assert_eq!(
        get(V2004, &s, "cmi.objectives.0.completion_status"),
        "unknown"
    );
    assert_eq!(get_code(V2004, &s, "cmi.objectives.0.score.raw"), 403);
    assert_eq!(
        get(V2004, &s, "cmi.objectives.0.score._children"),
        "scaled,raw,min,max"
    );
    assert_eq!(get_code(V2004, &s, "cmi.objectives.1.id"), 301);
    assert_eq!(get_code(V2004, &s, "cmi.objectives.1.score._children"), 301);
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.score.scaled", "2"),
        407
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.progress_measure", "0.3"),
        0
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.objectives.0.description",
            "{lang=en}Know the rules"
        ),
        0
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.description", "{lang=??}x"),
        406
    );
}

#[test]
fn objective_ids_are_unique_and_fixed() {
    let mut s = fresh();
    set_all(
        V2004,
        &mut s,
        &[("cmi.objectives.0.id", "a"), ("cmi.objectives.1.id", "b")],
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.id", "a"),
        0,
        "same value again is fine"
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.0.id", "c"),
        351,
        "id cannot change"
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.objectives.2.id", "b"),
        351,
        "id must be unique"
    );
    assert_eq!(set(V2004, &mut s, "cmi.objectives.2.id", "has space"), 406);
    assert_eq!(set(V2004, &mut s, "cmi.objectives.2.id", ""), 406);
    assert_eq!(get(V2004, &s, "cmi.objectives._count"), "2");
}

#[test]
fn interactions_need_id_then_type() {
    let mut s = fresh();
    assert_eq!(set(V2004, &mut s, "cmi.interactions.0.type", "choice"), 408);
    assert_eq!(
        set(V2004, &mut s, "cmi.interactions.0.objectives.0.id", "o1"),
        408
    );
    assert_eq!(set(V2004, &mut s, "cmi.interactions.0.id", "q1"), 0);
    assert_eq!(
        set(V2004, &mut s, "cmi.interactions.0.learner_response", "a"),
        408,
        "type first"
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.correct_responses.0.pattern",
            "a"
        ),
        408
    );
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.interactions.0.type", "choice"),
            ("cmi.interactions.0.objectives.0.id", "o1"),
            ("cmi.interactions.0.timestamp", "2024-05-01T10:00:00"),
            ("cmi.interactions.0.correct_responses.0.pattern", "a[,]b"),
            ("cmi.interactions.0.weighting", "2"),
            ("cmi.interactions.0.learner_response", "a"),
            ("cmi.interactions.0.result", "incorrect"),
            ("cmi.interactions.0.latency", "PT4.5S"),
            ("cmi.interactions.0.description", "Pick the primes"),
        ],
    );
    assert_eq!(get(V2004, &s, "cmi.interactions.0.learner_response"), "a");
    assert_eq!(
        get(V2004, &s, "cmi.interactions.0.correct_responses._count"),
        "1"
    );
    assert_eq!(
        get_code(V2004, &s, "cmi.interactions.0.objectives._children"),
        301
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.interactions.0.objectives.1.id", "o1"),
        351,
        "unique per interaction"
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.correct_responses.1.pattern",
            "b[,]a"
        ),
        351,
        "same set"
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.interactions.0.result", "wrong"),
        406
    );
    assert_eq!(set(V2004, &mut s, "cmi.interactions.0.result", "0.5"), 0);
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.timestamp",
            "2024-05-01 10:00"
        ),
        406
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.interactions.1.id", "q1"),
        0,
        "interaction ids may repeat"
    );
    assert_eq!(set(V2004, &mut s, "cmi.interactions.3.id", "q3"), 351);
}

#[test]
fn single_pattern_types_take_one_correct_response() {
    let mut s = fresh();
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.interactions.0.id", "q"),
            ("cmi.interactions.0.type", "true-false"),
            ("cmi.interactions.0.correct_responses.0.pattern", "true"),
        ],
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.correct_responses.1.pattern",
            "false"
        ),
        351
    );
}

#[test]
fn comments_from_learner() {
    let mut s = fresh();
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.comments_from_learner.0.comment", "{lang=en}Nice"),
            ("cmi.comments_from_learner.0.location", "page 3"),
            (
                "cmi.comments_from_learner.0.timestamp",
                "2024-05-01T10:00:00.5Z",
            ),
        ],
    );
    assert_eq!(get(V2004, &s, "cmi.comments_from_learner._count"), "1");
    assert_eq!(get_code(V2004, &s, "cmi.comments_from_lms.0.comment"), 301);
    assert_eq!(
        set(V2004, &mut s, "cmi.comments_from_lms.0.comment", "x"),
        404
    );
    assert_eq!(
        set(V2004, &mut s, "cmi.comments_from_learner.2.comment", "x"),
        351
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.comments_from_learner.1.comment",
            &"x".repeat(4001)
        ),
        351
    );
}

#[test]
fn navigation_requests() {
    let mut s = fresh();
    for v in [
        "continue",
        "previous",
        "exit",
        "exitAll",
        "abandon",
        "abandonAll",
        "suspendAll",
        "_none_",
        "{target=sco-2}choice",
        "{target=urn:x:y}jump",
    ] {
        assert_eq!(set(V2004, &mut s, "adl.nav.request", v), 0, "{v}");
        assert_eq!(get(V2004, &s, "adl.nav.request"), v);
    }
    for v in [
        "choice",
        "jump",
        "{target=}choice",
        "{target=a b}choice",
        "{target=x}start",
        "Continue",
        "",
    ] {
        assert_eq!(set(V2004, &mut s, "adl.nav.request", v), 406, "{v:?}");
    }
}

#[test]
fn error_strings_are_the_standard_texts() {
    let expected = [
        (0, "No Error"),
        (101, "General Exception"),
        (102, "General Initialization Failure"),
        (103, "Already Initialized"),
        (104, "Content Instance Terminated"),
        (111, "General Termination Failure"),
        (112, "Termination Before Initialization"),
        (113, "Termination After Termination"),
        (122, "Retrieve Data Before Initialization"),
        (123, "Retrieve Data After Termination"),
        (132, "Store Data Before Initialization"),
        (133, "Store Data After Termination"),
        (142, "Commit Before Initialization"),
        (143, "Commit After Termination"),
        (201, "General Argument Error"),
        (301, "General Get Failure"),
        (351, "General Set Failure"),
        (391, "General Commit Failure"),
        (401, "Undefined Data Model Element"),
        (402, "Unimplemented Data Model Element"),
        (403, "Data Model Element Value Not Initialized"),
        (404, "Data Model Element Is Read Only"),
        (405, "Data Model Element Is Write Only"),
        (406, "Data Model Element Type Mismatch"),
        (407, "Data Model Element Value Out Of Range"),
        (408, "Data Model Dependency Not Established"),
    ];
    for (code, text) in expected {
        assert_eq!(error_string(V2004, code), text);
    }
    assert_eq!(error_string(V2004, 202), "");
}
