//! Tests of the cmi5 parser on small folder packages built in the test.
use super::super::tests::{inspect_files, outline, show};
use super::super::{ItemKind, PackageFormat};

const CMI5: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="urn:c">
    <title><langstring lang="en-US">Rocks</langstring><langstring lang="zh-CN">岩石</langstring></title>
    <description><langstring lang="en-US">About rocks</langstring></description>
  </course>
  <block id="urn:b1">
    <title><langstring lang="en">Block one</langstring></title>
    <au id="urn:au1" moveOn="Passed" masteryScore="0.8" activityType="http://adlnet.gov/expapi/activities/lesson">
      <title><langstring lang="zh">第一单元</langstring></title>
      <url>content/au1.html?lang=zh</url>
    </au>
  </block>
  <au id="urn:au2"><title><langstring lang="en">Remote</langstring></title><url>https://example.org/au2</url></au>
</courseStructure>"#;

#[test]
fn blocks_become_folders_and_aus_lessons() {
    let p = inspect_files(&[("cmi5.xml", CMI5.as_bytes()), ("content/au1.html", b"x")])
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.format, PackageFormat::Cmi5);
    assert_eq!(
        (
            p.title.as_str(),
            p.title_en.as_deref(),
            p.language.as_deref()
        ),
        ("岩石", Some("Rocks"), Some("zh-CN"))
    );
    assert_eq!(p.description, "About rocks");
    assert_eq!(
        outline(&p),
        [
            ("Block one".to_owned(), None),
            (
                "第一单元".to_owned(),
                Some("content/au1.html?lang=zh".to_owned())
            ),
            ("Remote".to_owned(), None),
        ]
    );
    assert_eq!(
        (p.items[1].parent, p.items[1].kind),
        (Some(0), ItemKind::Cmi5Au)
    );
    let rt = &p.items[1].runtime;
    assert_eq!(
        (
            rt["moveOn"].as_str(),
            rt["masteryScore"].as_f64(),
            rt["launchMethod"].as_str()
        ),
        (Some("Passed"), Some(0.8), Some("AnyWindow"))
    );
    assert_eq!(p.items[2].runtime["url"], "https://example.org/au2");
    assert_eq!(p.metadata["courseId"], "urn:c");
}

#[test]
fn missing_au_file_and_bad_scheme_are_errors() {
    let errs = inspect_files(&[("cmi5.xml", CMI5.as_bytes())]).unwrap_err();
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert!(
        errs[0].message.contains("`content/au1.html`") && errs[0].line == Some(11),
        "{}",
        errs[0]
    );
    let bad = CMI5.replace("https://example.org/au2", "javascript:alert(1)");
    let errs =
        inspect_files(&[("cmi5.xml", bad.as_bytes()), ("content/au1.html", b"x")]).unwrap_err();
    assert!(
        errs[0].message.contains("neither a path"),
        "{}",
        show(&errs)
    );
}
