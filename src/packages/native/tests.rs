//! Tests of the native parser on small folder packages built in the test.
use super::super::tests::{inspect_files, show};
use super::super::{ItemKind, PackageFormat};

const GOOD: &str = r#"
format = 1
slug = "math-3-fractions"
title = "分数的初步认识"
title_en = "Fractions"
description = "三年级"
subject = "math"
grade = "3"
language = "zh-CN"

[[lessons]]
id = "l1"
title = "认识几分之一"
title_en = "One part of several"
file = "videos/l1.mp4"
duration_seconds = 300
captions = [{ file = "videos/l1.zh-CN.vtt", lang = "zh-CN", label = "中文" }]

[[lessons]]
id = "l2"
title = "练习"
kind = "quiz"
file = "quiz/l2.toml"
required = false
"#;

const QUIZ: &str = "[[questions]]\ntype = \"true_false\"\ntext = \"1/2 > 1/3\"\nanswer = true\n";

fn files(toml: &str) -> Vec<(&str, &[u8])> {
    vec![
        ("course.toml", toml.as_bytes()),
        ("videos/l1.mp4", b"mp4"),
        ("videos/l1.zh-CN.vtt", b"WEBVTT"),
        ("quiz/l2.toml", QUIZ.as_bytes()),
    ]
}

#[test]
fn native_course_parses() {
    let p = inspect_files(&files(GOOD)).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.format, PackageFormat::Native);
    assert_eq!(
        (p.title.as_str(), p.title_en.as_deref()),
        ("分数的初步认识", Some("Fractions"))
    );
    assert_eq!(p.slug.as_deref(), Some("math-3-fractions"));
    assert_eq!(
        (
            p.subject.as_deref(),
            p.grade.as_deref(),
            p.language.as_deref()
        ),
        (Some("math"), Some("3"), Some("zh-CN"))
    );
    assert_eq!(p.items.len(), 2);
    let l1 = &p.items[0];
    assert_eq!(
        (l1.identifier.as_str(), l1.kind, l1.launch.as_deref()),
        ("l1", ItemKind::Video, Some("videos/l1.mp4"))
    );
    assert_eq!(l1.duration_seconds, Some(300));
    assert_eq!(l1.captions[0].file, "videos/l1.zh-CN.vtt");
    assert!(l1.required);
    assert_eq!(
        (p.items[1].kind, p.items[1].required),
        (ItemKind::Quiz, false)
    );
    // The quiz file holds the answers: parsed into the item, never stored as a served file.
    assert_eq!(p.files.len(), 3);
    assert!(!p.files.iter().any(|f| f.starts_with("quiz/")), "{:?}", p.files);
    assert_eq!(p.items[1].launch, None);
    assert_eq!(p.items[1].runtime["source"], "quiz/l2.toml");
    assert_eq!(p.items[1].runtime["quiz"]["questions"][0]["answer"]["true_false"], true);
}

#[test]
fn quiz_file_problems_name_the_quiz_file_and_line() {
    let mut list = files(GOOD);
    list[3] = ("quiz/l2.toml", b"[[questions]]\ntype = \"single\"\ntext = \"?\"\nchoices = [\"a\", \"b\"]\nanswer = 3\n");
    let errs = inspect_files(&list).unwrap_err();
    assert_eq!((errs[0].file.as_str(), errs[0].line), ("quiz/l2.toml", Some(2)), "{}", show(&errs));
}

#[test]
fn completion_rules_are_kept_for_progress() {
    let toml = GOOD.replace("duration_seconds = 300", "duration_seconds = 300\nwatched_share = 0.8")
        + "\n[completion]\nrule = \"min_score\"\nmin_score = 70\n";
    let p = inspect_files(&files(&toml)).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.items[0].runtime["watched_share"], 0.8);
    assert_eq!(p.metadata["completion"]["rule"], "min_score");
    assert_eq!(p.metadata["completion"]["min_score"], 70.0);
    let bad = GOOD.to_string() + "\n[completion]\nrule = \"min_score\"\n";
    let errs = inspect_files(&files(&bad)).unwrap_err();
    assert!(errs[0].message.contains("needs `min_score`"), "{}", show(&errs));
    let bad = GOOD.replace("duration_seconds = 300", "watched_share = 1.5");
    let errs = inspect_files(&files(&bad)).unwrap_err();
    assert!(errs[0].message.contains("watched_share 1.5"), "{}", show(&errs));
}

#[test]
fn missing_lesson_file_names_the_lesson_and_line() {
    let toml = GOOD.replace("quiz/l2.toml", "quiz/missing.toml");
    let errs = inspect_files(&files(&toml)).unwrap_err();
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line),
        ("course.toml", Some(23))
    );
    assert!(
        errs[0].message.contains("lesson `l2`") && errs[0].message.contains("quiz/missing.toml"),
        "{}",
        errs[0]
    );
}

#[test]
fn duplicate_lesson_id_is_refused() {
    let toml = GOOD.replace("id = \"l2\"", "id = \"l1\"");
    let errs = inspect_files(&files(&toml)).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.message.contains("`l1` is used more than once") && e.line == Some(20)),
        "{}",
        show(&errs)
    );
}

#[test]
fn toml_syntax_errors_carry_the_line() {
    let toml = GOOD.replace("grade = \"3\"", "grade = \"3");
    let errs = inspect_files(&files(&toml)).unwrap_err();
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line),
        ("course.toml", Some(8)),
        "{}",
        show(&errs)
    );
}

#[test]
fn format_unknown_fields_and_kinds_are_checked() {
    let errs = inspect_files(&files(&GOOD.replace("format = 1", ""))).unwrap_err();
    assert!(errs[0].message.contains("format"), "{}", show(&errs));
    let errs = inspect_files(&files(&GOOD.replace("format = 1", "format = 2"))).unwrap_err();
    assert!(
        errs[0].message.contains("format 2 is not supported"),
        "{}",
        show(&errs)
    );
    let errs =
        inspect_files(&files(&GOOD.replace("kind = \"quiz\"", "kind = \"game\""))).unwrap_err();
    assert!(
        errs[0].message.contains("kind `game`") && errs[0].line == Some(22),
        "{}",
        show(&errs)
    );
    let errs = inspect_files(&files(&GOOD.replace("subject =", "subjekt ="))).unwrap_err();
    assert!(
        errs[0].message.contains("subjekt") && errs[0].line == Some(7),
        "{}",
        show(&errs)
    );
}
