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
file = "quiz/l2.json"
required = false
"#;

fn files(toml: &str) -> Vec<(&str, &[u8])> {
    vec![
        ("course.toml", toml.as_bytes()),
        ("videos/l1.mp4", b"mp4"),
        ("videos/l1.zh-CN.vtt", b"WEBVTT"),
        ("quiz/l2.json", b"{}"),
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
    assert_eq!(p.files.len(), 4);
}

#[test]
fn missing_lesson_file_names_the_lesson_and_line() {
    let toml = GOOD.replace("quiz/l2.json", "quiz/missing.json");
    let errs = inspect_files(&files(&toml)).unwrap_err();
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line),
        ("course.toml", Some(23))
    );
    assert!(
        errs[0].message.contains("lesson `l2`") && errs[0].message.contains("quiz/missing.json"),
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
