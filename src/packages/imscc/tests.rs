//! Tests of the imscc parser on small folder packages built in the test.
use super::super::tests::{inspect_files, outline, show};
use super::super::{ItemKind, PackageFormat};

const CC: &str = r#"<?xml version="1.0"?>
<manifest identifier="cc" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion></metadata>
  <organizations><organization identifier="org" structure="rooted-hierarchy"><item identifier="root">
    <item identifier="m1"><title>Module</title>
      <item identifier="i1" identifierref="page"><title>A page</title></item>
      <item identifier="i2" identifierref="link"><title>A link</title></item>
      <item identifier="i3" identifierref="topic"><title>Talk</title></item>
      <item identifier="i4" identifierref="doc"><title>Handout</title></item>
    </item>
  </item></organization></organizations>
  <resources>
    <resource identifier="page" type="webcontent" href="wiki/a.html"><file href="wiki/a.html"/></resource>
    <resource identifier="link" type="imswl_xmlv1p3"><file href="link.xml"/></resource>
    <resource identifier="topic" type="imsdt_xmlv1p3"><file href="topic.xml"/></resource>
    <resource identifier="doc" type="webcontent" href="files/handout.pdf"/>
  </resources>
</manifest>"#;

const LINK: &str = r#"<webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"><title>Example</title><url href="https://example.org/x" target="_blank"/></webLink>"#;

#[test]
fn pages_links_and_files_become_lessons_and_topics_are_skipped() {
    let p = inspect_files(&[
        ("imsmanifest.xml", CC.as_bytes()),
        ("wiki/a.html", b"<title>x</title>"),
        ("link.xml", LINK.as_bytes()),
        ("topic.xml", b"<topic/>"),
        ("files/handout.pdf", b"%PDF"),
    ])
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.format, PackageFormat::ImsCc);
    assert_eq!(
        outline(&p),
        [
            ("Module".to_owned(), None),
            ("A page".to_owned(), Some("wiki/a.html".to_owned())),
            ("A link".to_owned(), None),
            ("Handout".to_owned(), Some("files/handout.pdf".to_owned())),
        ]
    );
    let kinds: Vec<_> = p.items.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            ItemKind::Folder,
            ItemKind::Html,
            ItemKind::Link,
            ItemKind::Pdf
        ]
    );
    assert_eq!(p.items[2].runtime["href"], "https://example.org/x");
    assert_eq!(p.warnings.len(), 1, "{}", show(&p.warnings));
    assert!(
        p.warnings[0].message.contains("\"Talk\"")
            && p.warnings[0].message.contains("discussion topic")
    );
    assert_eq!(p.warnings[0].line, Some(8));
}
