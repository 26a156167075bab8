//! SCORM 2004 interaction response formats, through SetValue.

use super::super::{new_attempt, CmiState, Launch};
use super::{set, set_all, V2004};

fn with_type(kind: &str) -> CmiState {
    let mut s = new_attempt(V2004, &Launch::default());
    set_all(
        V2004,
        &mut s,
        &[
            ("cmi.interactions.0.id", "q"),
            ("cmi.interactions.0.type", kind),
        ],
    );
    s
}

fn check(kind: &str, element: &str, good: &[&str], bad: &[&str]) {
    for v in good {
        // A fresh record each time, so uniqueness rules do not interfere.
        let mut s = with_type(kind);
        assert_eq!(
            set(V2004, &mut s, &format!("cmi.interactions.0.{element}"), v),
            0,
            "{kind} {element} {v:?}"
        );
    }
    for v in bad {
        let mut s = with_type(kind);
        assert_eq!(
            set(V2004, &mut s, &format!("cmi.interactions.0.{element}"), v),
            406,
            "{kind} {element} {v:?}"
        );
    }
}

const PATTERN: &str = "correct_responses.0.pattern";
const RESPONSE: &str = "learner_response";

#[test]
fn true_false() {
    check(
        "true-false",
        PATTERN,
        &["true", "false"],
        &["t", "1", "True", ""],
    );
    check("true-false", RESPONSE, &["true", "false"], &["yes"]);
}

#[test]
fn choice() {
    let good = ["a", "a[,]b[,]c", "", "urn:choice:1"];
    let bad = ["a[,]a", "a[,]", "[,]a", "a b", "a[,][,]b"];
    check("choice", PATTERN, &good, &bad);
    check("choice", RESPONSE, &good, &bad);
}

#[test]
fn fill_in() {
    check(
        "fill-in",
        PATTERN,
        &[
            "paris",
            "{case_matters=true}Paris",
            "{order_matters=false}{case_matters=true}a[,]b",
            "{lang=fr}Paris[,]{lang=en}Paris",
            "",
        ],
        &["{case_matters=yes}x", "{lang=!!}x"],
    );
    check(
        "fill-in",
        RESPONSE,
        &["Paris", "{lang=de}Paris[,]London"],
        &["{lang=123}x"],
    );
    let mut s = with_type("fill-in");
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.learner_response",
            &"x".repeat(251)
        ),
        351
    );
}

#[test]
fn long_fill_in() {
    check(
        "long-fill-in",
        PATTERN,
        &["{case_matters=false}{lang=en}A long answer", "text"],
        &["{lang=e}x"],
    );
    check("long-fill-in", RESPONSE, &["{lang=en}An essay"], &[]);
    let mut s = with_type("long-fill-in");
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.learner_response",
            &"x".repeat(4000)
        ),
        0
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.learner_response",
            &"x".repeat(4001)
        ),
        351
    );
}

#[test]
fn likert() {
    check(
        "likert",
        PATTERN,
        &["agree", "urn:scale:5"],
        &["", "strongly agree"],
    );
    check("likert", RESPONSE, &["agree"], &[""]);
}

#[test]
fn matching() {
    check(
        "matching",
        PATTERN,
        &["a[.]1", "a[.]1[,]b[.]2"],
        &["", "a", "a[.]", "[.]1", "a[.]1[.]2", "a[.]1[,]"],
    );
    check("matching", RESPONSE, &["a[.]1", ""], &["a[.]b[.]c"]);
}

#[test]
fn performance() {
    check(
        "performance",
        PATTERN,
        &[
            "step1[.]open",
            "{order_matters=false}s1[.]a[,]s2[.]b",
            "[.]answer",
            "s1[.]",
            "s1[.]1[:]5",
        ],
        &[
            "",
            "[.]",
            "nosep",
            "s1[.]5[:]1",
            "s1[.]a[,]",
            "{order_matters=maybe}s[.]a",
        ],
    );
    check("performance", RESPONSE, &["s1[.]a[,]s2[.]b"], &["s1"]);
}

#[test]
fn sequencing() {
    check(
        "sequencing",
        PATTERN,
        &["a[,]b[,]c", "a"],
        &["", "a[,]", "a[,][,]b", "a b"],
    );
    check("sequencing", RESPONSE, &["c[,]b[,]a"], &[""]);
}

#[test]
fn numeric() {
    check(
        "numeric",
        PATTERN,
        &["1[:]5", "[:]5", "1[:]", "-2.5[:]2.5", "3[:]3", "5", "-0.5", "+2"],
        &["5[:]1", "a[:]b", "1[:]2[:]3", "abc", "1[:]x", "x[:]1", "[:]", "", " 5", "5 ", "1e3", "5[:]5[:]"],
    );
    check(
        "numeric",
        RESPONSE,
        &["3.14", "-1", "0"],
        &["", "1[:]2", "three"],
    );
}

#[test]
fn other() {
    check("other", PATTERN, &["anything at all", ""], &[]);
    check("other", RESPONSE, &["{}[,][.]"], &[]);
}

#[test]
fn sequencing_patterns_are_unique_in_order() {
    let mut s = with_type("sequencing");
    set_all(
        V2004,
        &mut s,
        &[("cmi.interactions.0.correct_responses.0.pattern", "a[,]b")],
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.correct_responses.1.pattern",
            "b[,]a"
        ),
        0
    );
    assert_eq!(
        set(
            V2004,
            &mut s,
            "cmi.interactions.0.correct_responses.2.pattern",
            "a[,]b"
        ),
        351
    );
}
