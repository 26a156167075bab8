//! Tests of the plain parser on small folder packages built in the test.
use std::cmp::Ordering;

use super::super::tests::{inspect_files, outline, show};
use super::super::{ItemKind, PackageFormat};
use super::natural_cmp;

#[test]
fn loose_media_become_lessons_in_natural_order_with_captions() {
    let p = inspect_files(&[
        ("10 总结.mp4", b"v"),
        ("2 练习.pdf", b"p"),
        ("1 导入.mp4", b"v"),
        ("1 导入.zh-CN.vtt", b"WEBVTT"),
        ("1 导入.en.vtt", b"WEBVTT"),
        ("cover.jpg", b"i"),
    ])
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.format, PackageFormat::Plain);
    assert_eq!(p.title, "upload");
    let titles: Vec<_> = outline(&p).into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, ["1 导入", "2 练习", "10 总结"]);
    let caps: Vec<_> = p.items[0]
        .captions
        .iter()
        .map(|c| (c.lang.as_str(), c.label.as_str()))
        .collect();
    assert_eq!(caps, [("en", "English"), ("zh-CN", "中文")]);
    assert_eq!(p.items[1].kind, ItemKind::Pdf);
    assert_eq!(p.files.len(), 6);
}

#[test]
fn index_html_is_one_lesson_plus_the_media() {
    let p = inspect_files(&[
        (
            "index.html",
            b"<html><head><title>Site &amp; more</title></head></html>",
        ),
        ("page2.html", b"x"),
        ("clip.mp3", b"a"),
    ])
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(
        outline(&p),
        [
            ("Site & more".to_owned(), Some("index.html".to_owned())),
            ("clip".to_owned(), Some("clip.mp3".to_owned()))
        ]
    );
}

#[test]
fn nothing_playable_is_refused() {
    let errs = inspect_files(&[("readme.txt", b"hi"), ("empty.html", b"")]).unwrap_err();
    assert!(
        errs[0]
            .message
            .contains("unknown package format: no manifest"),
        "{}",
        show(&errs)
    );
    assert!(
        errs[0].message.contains("empty.html (empty)"),
        "{}",
        show(&errs)
    );
}

#[test]
fn natural_order() {
    assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
    assert_eq!(natural_cmp("a010", "a9"), Ordering::Greater);
    assert_eq!(natural_cmp("B", "a"), Ordering::Greater);
    assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
}
