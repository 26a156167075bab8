//! Attempt lifecycle: launch values, resume, time accumulation, Terminate
//! rules, outcomes, batches and the stored JSON.

use super::super::{
    add_session_time, apply_batch, new_attempt, outcome, resume, terminate, CmiState, Completion,
    Launch, Mode, Success, TimeLimitAction, Version,
};
use super::{get, get_code, set, set_all, Limits, V12, V2004};

fn launch() -> Launch {
    Launch {
        learner_id: "urn:u:7".into(),
        learner_name: "Ada".into(),
        launch_data: Some("level=2".into()),
        passing_score: None,
        completion_threshold: None,
        max_time_allowed: Some(5400.0),
        time_limit_action: Some(TimeLimitAction::ExitMessage),
        credit: true,
        mode: Mode::Normal,
        objectives: Vec::new(),
    }
}

#[test]
fn new_attempt_scorm12() {
    let s = new_attempt(
        V12,
        &Launch {
            passing_score: Some(80.0),
            ..launch()
        },
    );
    assert_eq!(get(V12, &s, "cmi.launch_data"), "level=2");
    assert_eq!(get(V12, &s, "cmi.student_data.mastery_score"), "80");
    assert_eq!(
        get(V12, &s, "cmi.student_data.max_time_allowed"),
        "0001:30:00.00"
    );
    assert_eq!(
        get(V12, &s, "cmi.student_data.time_limit_action"),
        "exit,message"
    );
    let s = new_attempt(
        V12,
        &Launch {
            credit: false,
            mode: Mode::Browse,
            passing_score: Some(120.0),
            ..launch()
        },
    );
    assert_eq!(get(V12, &s, "cmi.core.credit"), "no-credit");
    assert_eq!(get(V12, &s, "cmi.core.lesson_mode"), "browse");
    assert_eq!(
        get(V12, &s, "cmi.student_data.mastery_score"),
        "",
        "out of range is ignored"
    );
}

#[test]
fn new_attempt_scorm2004() {
    let s = new_attempt(
        V2004,
        &Launch {
            passing_score: Some(0.8),
            completion_threshold: Some(0.75),
            ..launch()
        },
    );
    assert_eq!(get(V2004, &s, "cmi.entry"), "ab-initio");
    assert_eq!(get(V2004, &s, "cmi.scaled_passing_score"), "0.8");
    assert_eq!(get(V2004, &s, "cmi.completion_threshold"), "0.75");
    assert_eq!(get(V2004, &s, "cmi.max_time_allowed"), "PT1H30M0S");
    assert_eq!(get(V2004, &s, "cmi.time_limit_action"), "exit,message");
    assert_eq!(get(V2004, &s, "cmi.launch_data"), "level=2");
    assert_eq!(get(V2004, &s, "cmi.learner_name"), "Ada");
    assert_eq!(
        TimeLimitAction::parse("continue,no message"),
        Some(TimeLimitAction::ContinueNoMessage)
    );
    assert_eq!(TimeLimitAction::parse("stop"), None);
}

#[test]
fn resume_after_suspend_and_after_other_exits() {
    for (v, exit_key, entry_key, location_key) in [
        (
            V12,
            "cmi.core.exit",
            "cmi.core.entry",
            "cmi.core.lesson_location",
        ),
        (V2004, "cmi.exit", "cmi.entry", "cmi.location"),
    ] {
        let mut s = new_attempt(v, &launch());
        set_all(
            v,
            &mut s,
            &[
                (location_key, "p7"),
                ("cmi.suspend_data", "state"),
                (exit_key, "suspend"),
            ],
        );
        let next = resume(v, &s);
        assert_eq!(get(v, &next, entry_key), "resume");
        assert_eq!(get(v, &next, location_key), "p7");
        assert_eq!(get(v, &next, "cmi.suspend_data"), "state");
        assert!(
            !next.values().contains_key(exit_key),
            "exit belongs to the finished session"
        );
        for exit in ["logout", ""] {
            let mut s2 = s.clone();
            set_all(v, &mut s2, &[(exit_key, exit)]);
            assert_eq!(get(v, &resume(v, &s2), entry_key), "", "exit {exit:?}");
        }
        assert_eq!(
            get(v, &resume(v, &new_attempt(v, &launch())), entry_key),
            "",
            "no exit set"
        );
    }
}

#[test]
fn total_time_accumulates_across_sessions() {
    let mut s = new_attempt(V2004, &launch());
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.session_time", "PT1H1M"),
            ("adl.nav.request", "continue"),
        ],
    );
    add_session_time(V2004, &mut s);
    assert_eq!(get(V2004, &s, "cmi.total_time"), "PT1H1M0S");
    assert!(!s.values().contains_key("cmi.session_time"));
    add_session_time(V2004, &mut s);
    assert_eq!(
        get(V2004, &s, "cmi.total_time"),
        "PT1H1M0S",
        "nothing to add"
    );
    set_all(V2004, &mut s, &[("cmi.session_time", "PT1M2.5S")]);
    let next = resume(V2004, &s);
    assert_eq!(
        get(V2004, &next, "cmi.total_time"),
        "PT1H2M2.5S",
        "resume folds pending time"
    );
    assert_eq!(get(V2004, &next, "adl.nav.request"), "_none_");

    let mut s = new_attempt(V12, &launch());
    set_all(V12, &mut s, &[("cmi.core.session_time", "0000:30:00.25")]);
    add_session_time(V12, &mut s);
    set_all(V12, &mut s, &[("cmi.core.session_time", "01:45:00.5")]);
    assert_eq!(
        outcome(V12, &s).total_time_seconds,
        8100.75,
        "pending session counts in the outcome"
    );
    add_session_time(V12, &mut s);
    assert_eq!(get(V12, &s, "cmi.core.total_time"), "0002:15:00.75");
}

#[test]
fn scorm12_finish_infers_status() {
    let mut s = new_attempt(V12, &launch());
    assert_eq!(outcome(V12, &s).completion, Completion::NotAttempted);
    terminate(V12, &mut s);
    assert_eq!(get(V12, &s, "cmi.core.lesson_status"), "completed");
    let mut b = new_attempt(
        V12,
        &Launch {
            mode: Mode::Browse,
            ..launch()
        },
    );
    terminate(V12, &mut b);
    assert_eq!(get(V12, &b, "cmi.core.lesson_status"), "browsed");
    let mut i = new_attempt(V12, &launch());
    set_all(V12, &mut i, &[("cmi.core.lesson_status", "incomplete")]);
    terminate(V12, &mut i);
    assert_eq!(get(V12, &i, "cmi.core.lesson_status"), "incomplete");
}

#[test]
fn scorm12_mastery_score_decides_pass_or_fail() {
    let cases = [
        (true, "completed", "85", "passed"),
        (true, "completed", "79.9", "failed"),
        (true, "passed", "50", "failed"),
        (true, "failed", "80", "passed"),
        (true, "incomplete", "95", "incomplete"),
        (false, "completed", "95", "completed"),
        (true, "completed", "", "completed"),
    ];
    for (credit, status, raw, expected) in cases {
        let mut s = new_attempt(
            V12,
            &Launch {
                credit,
                passing_score: Some(80.0),
                ..launch()
            },
        );
        set_all(
            V12,
            &mut s,
            &[
                ("cmi.core.lesson_status", status),
                ("cmi.core.score.raw", raw),
            ],
        );
        terminate(V12, &mut s);
        assert_eq!(
            get(V12, &s, "cmi.core.lesson_status"),
            expected,
            "{credit} {status} {raw}"
        );
    }
    let mut s = new_attempt(V12, &launch());
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.core.score.raw", "10"),
            ("cmi.core.lesson_status", "passed"),
        ],
    );
    terminate(V12, &mut s);
    assert_eq!(
        get(V12, &s, "cmi.core.lesson_status"),
        "passed",
        "no mastery score: SCO decides"
    );
    let o = outcome(V12, &s);
    assert_eq!(
        (o.completion, o.success, o.score_raw, o.score_scaled),
        (
            Completion::Completed,
            Success::Passed,
            Some(10.0),
            Some(0.1)
        )
    );
}

#[test]
fn scorm2004_threshold_and_passing_score_override_the_sco() {
    let mut s = new_attempt(
        V2004,
        &Launch {
            passing_score: Some(0.7),
            completion_threshold: Some(0.8),
            ..launch()
        },
    );
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.completion_status", "completed"),
            ("cmi.success_status", "passed"),
        ],
    );
    assert_eq!(
        get(V2004, &s, "cmi.completion_status"),
        "completed",
        "no progress_measure: SCO's value"
    );
    assert_eq!(
        get(V2004, &s, "cmi.success_status"),
        "unknown",
        "no score.scaled: unknown"
    );
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.progress_measure", "0.5"),
            ("cmi.score.scaled", "0.69"),
        ],
    );
    assert_eq!(get(V2004, &s, "cmi.completion_status"), "incomplete");
    assert_eq!(get(V2004, &s, "cmi.success_status"), "failed");
    let o = outcome(V2004, &s);
    assert_eq!(
        (o.completion, o.success, o.score_scaled),
        (Completion::Incomplete, Success::Failed, Some(0.69))
    );
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.progress_measure", "0.8"),
            ("cmi.score.scaled", "0.7"),
            ("cmi.location", "p2"),
        ],
    );
    terminate(V2004, &mut s);
    assert_eq!(
        s.values().get("cmi.completion_status").map(String::as_str),
        Some("completed")
    );
    assert_eq!(
        s.values().get("cmi.success_status").map(String::as_str),
        Some("passed")
    );
    let o = outcome(V2004, &s);
    assert_eq!(
        (o.completion, o.success, o.location.as_deref()),
        (Completion::Completed, Success::Passed, Some("p2"))
    );
}

#[test]
fn scorm2004_without_rules_reports_what_the_sco_set() {
    let mut s = new_attempt(V2004, &launch());
    assert_eq!(outcome(V2004, &s).completion, Completion::Unknown);
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.completion_status", "not attempted"),
            ("cmi.progress_measure", "1"),
        ],
    );
    assert_eq!(
        outcome(V2004, &s).completion,
        Completion::NotAttempted,
        "progress alone decides nothing"
    );
    set_all(
        V2004,
        &mut s,
        &[("cmi.success_status", "failed"), ("cmi.score.raw", "12")],
    );
    terminate(V2004, &mut s);
    let o = outcome(V2004, &s);
    assert_eq!(
        (o.success, o.score_raw, o.score_scaled, o.location),
        (Success::Failed, Some(12.0), None, None)
    );
}

#[test]
fn apply_batch_keeps_good_pairs_and_reports_bad_ones() {
    let mut s = new_attempt(V2004, &launch());
    let pairs: Vec<(String, String)> = [
        ("cmi.objectives.0.score.scaled", "0.5"),
        ("cmi.objectives.0.id", "o1"),
        ("cmi.objectives.0.score.scaled", "0.5"),
        ("cmi.location", "p9"),
        ("cmi.learner_id", "someone-else"),
        ("cmi.score.scaled", "7"),
        ("cmi.suspend_data", &"z".repeat(70_000)),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let rejected = apply_batch(V2004, &mut s, &pairs, &Limits::default());
    let codes: Vec<(&str, u16)> = rejected
        .iter()
        .map(|(e, err)| (e.as_str(), err.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("cmi.objectives.0.score.scaled", 408),
            ("cmi.learner_id", 404),
            ("cmi.score.scaled", 407),
            ("cmi.suspend_data", 351)
        ]
    );
    assert_eq!(get(V2004, &s, "cmi.objectives.0.score.scaled"), "0.5");
    assert_eq!(get(V2004, &s, "cmi.location"), "p9");
    assert_eq!(get(V2004, &s, "cmi.learner_id"), "urn:u:7");
    assert_eq!(get_code(V2004, &s, "cmi.score.scaled"), 403);
    assert_eq!(get_code(V2004, &s, "cmi.suspend_data"), 403);
    assert!(rejected.iter().all(|(_, e)| !e.diagnostic.is_empty()));
}

#[test]
fn state_round_trips_as_json() {
    let mut s = new_attempt(V12, &launch());
    set_all(
        V12,
        &mut s,
        &[
            ("cmi.objectives.0.id", "o1"),
            ("cmi.core.lesson_location", "x"),
        ],
    );
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.starts_with("{\"values\":{"), "{json}");
    let back: CmiState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(serde_json::to_string(&Version::Scorm12).unwrap(), "\"1.2\"");
    assert_eq!(
        serde_json::from_str::<Version>("\"2004\"").unwrap(),
        Version::Scorm2004
    );
    let o = serde_json::to_value(outcome(V12, &s)).unwrap();
    assert_eq!(o["completion"], "not_attempted");
    assert_eq!(set(V12, &mut s, "cmi.objectives.1.id", "o2"), 0);
}

#[test]
fn declared_objectives_are_there_at_launch_and_resume_keeps_what_the_sco_stored() {
    use super::super::{seed_objectives, ObjectiveSeed};
    let seeds = vec![ObjectiveSeed::declared("obj_etiquette"), ObjectiveSeed::declared("obj_handicapping"), ObjectiveSeed::declared("bad id")];
    let mut s = new_attempt(V2004, &Launch { objectives: seeds.clone(), ..Launch::default() });
    assert_eq!(get(V2004, &s, "cmi.objectives._count"), "2", "an invalid id is skipped");
    assert_eq!(get(V2004, &s, "cmi.objectives.1.id"), "obj_handicapping");
    assert_eq!(get(V2004, &s, "cmi.objectives.0.success_status"), "unknown");
    assert_eq!(get(V2004, &s, "cmi.objectives.0.completion_status"), "unknown");
    assert_eq!(get_code(V2004, &s, "cmi.objectives.0.score.scaled"), 403);
    set_all(V2004, &mut s, &[("cmi.objectives.1.success_status", "passed"), ("cmi.objectives.1.score.scaled", "0.9"), ("cmi.objectives.2.id", "sco_own"), ("cmi.exit", "suspend")]);
    let mut next = resume(V2004, &s);
    seed_objectives(&mut next, &seeds);
    assert_eq!(get(V2004, &next, "cmi.objectives._count"), "3", "nothing is added twice");
    assert_eq!(get(V2004, &next, "cmi.objectives.1.success_status"), "passed");
    assert_eq!(get(V2004, &next, "cmi.objectives.1.score.scaled"), "0.9");
    // A known state (a mapped global objective) is written over the stored one; an
    // out-of-range score is not.
    let known = ObjectiveSeed { success: Some(Success::Failed), score_scaled: Some(3.0), ..ObjectiveSeed::declared("obj_handicapping") };
    seed_objectives(&mut next, &[known, ObjectiveSeed::declared("new_one")]);
    assert_eq!(get(V2004, &next, "cmi.objectives.1.success_status"), "failed");
    assert_eq!(get(V2004, &next, "cmi.objectives.1.score.scaled"), "0.9");
    assert_eq!(get(V2004, &next, "cmi.objectives.3.id"), "new_one");
    // 1.2 manifests declare no objectives; a 1.2 launch ignores any given.
    let s12 = new_attempt(V12, &Launch { objectives: seeds, ..Launch::default() });
    assert_eq!(get(V12, &s12, "cmi.objectives._count"), "0");
}
