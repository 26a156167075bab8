//! Tests of the scorm parser on small folder packages built in the test.
use super::super::tests::{inspect_files, outline, show};
use super::super::{ItemKind, PackageFormat};

fn manifest(orgs: &str, resources: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xml:base="course/">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  {orgs}
  <resources xml:base="units/">{resources}</resources>
</manifest>"#
    )
}

#[test]
fn xml_base_case_and_parameters_shape_the_launch() {
    let m = manifest(
        r#"<organizations default="missing"><organization identifier="o1"><title>One</title>
             <item identifier="f"><title>Unit</title>
               <item identifier="i1" identifierref="r1" parameters="?page=2"><title>Page</title></item>
               <item identifier="i2" identifierref="r2"><title>Other</title></item>
             </item>
             <item identifier="empty"><title>Nothing here</title></item>
           </organization><organization identifier="o2"><title>Two</title></organization></organizations>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormType="sco" xml:base="u1/" href="Index.HTML?x=1"><file href="Index.HTML"/></resource>
           <resource identifier="r2" type="webcontent" adlcp:scormType="asset" href="my%20page.html"/>"#,
    );
    let p = inspect_files(&[
        ("imsmanifest.xml", m.as_bytes()),
        ("course/units/u1/index.html", b"x"),
        ("course/units/my page.html", b"x"),
    ])
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.format, PackageFormat::Scorm2004);
    assert_eq!(p.title, "One");
    assert_eq!(
        outline(&p),
        [
            ("Unit".to_owned(), None),
            (
                "Page".to_owned(),
                Some("course/units/u1/index.html?x=1&page=2".to_owned())
            ),
            (
                "Other".to_owned(),
                Some("course/units/my page.html".to_owned())
            ),
        ]
    );
    assert_eq!(
        (p.items[1].parent, p.items[1].kind, p.items[2].kind),
        (Some(0), ItemKind::Sco, ItemKind::Asset)
    );
    assert_eq!(p.warnings.len(), 1, "{}", show(&p.warnings));
    assert!(p.warnings[0]
        .message
        .contains("default organization `missing`"));
    assert_eq!(p.metadata["organization"], "o1");
}

#[test]
fn missing_resource_warns_and_no_playable_item_is_an_error() {
    let m = manifest(
        r#"<organizations default="o1"><organization identifier="o1"><title>T</title>
             <item identifier="i1" identifierref="nope"><title>Ghost</title></item></organization></organizations>"#,
        "",
    );
    let errs = inspect_files(&[("imsmanifest.xml", m.as_bytes())]).unwrap_err();
    assert!(
        errs.iter().any(|e| e.message.contains("no playable item")),
        "{}",
        show(&errs)
    );
}

#[test]
fn absent_launch_file_and_href_are_errors_with_lines() {
    let m = manifest(
        r#"<organizations default="o1"><organization identifier="o1"><title>T</title>
             <item identifier="i1" identifierref="r1"><title>A</title></item>
             <item identifier="i2" identifierref="r2"><title>B</title></item></organization></organizations>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="gone.html"/>
<resource identifier="r2" type="webcontent" adlcp:scormType="sco"/>"#,
    );
    let errs = inspect_files(&[("imsmanifest.xml", m.as_bytes())]).unwrap_err();
    assert_eq!(errs.len(), 2, "{}", show(&errs));
    assert!(
        errs[0].message.contains("`course/units/gone.html`") && errs[0].line == Some(7),
        "{}",
        show(&errs)
    );
    assert!(
        errs[1]
            .message
            .contains("`r2` (sco, used by item `i2`) has no href")
            && errs[1].line == Some(8)
    );
}

#[test]
fn prerequisites_that_cannot_hold_are_dropped_with_a_warning() {
    let m12 = |rule: &str| {
        format!(
            r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations><organization identifier="o"><title>T</title>
    <item identifier="unit"><title>Unit</title><item identifier="a" identifierref="r"><title>A</title></item></item>
    <item identifier="b" identifierref="r"><title>B</title><adlcp:prerequisites type="aicc_script">{rule}</adlcp:prerequisites></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="a.html"/></resources>
</manifest>"#
        )
    };
    let parse = |m: String| inspect_files(&[("imsmanifest.xml", m.as_bytes()), ("a.html", b"x")]).unwrap_or_else(|e| panic!("{}", show(&e)));
    let kept = parse(m12("unit &amp; ~a=failed"));
    assert!(kept.warnings.is_empty(), "{}", show(&kept.warnings));
    assert_eq!(kept.items[2].runtime["prerequisites"], "unit & ~a=failed", "folders and lessons may be named");
    let unknown = parse(m12("a | gone"));
    assert!(unknown.items[2].runtime.get("prerequisites").is_none());
    assert!(unknown.warnings[0].message.contains("item `b`") && unknown.warnings[0].message.contains("not in the organization: gone"), "{}", show(&unknown.warnings));
    let broken = parse(m12("(a"));
    assert!(broken.items[2].runtime.get("prerequisites").is_none());
    assert!(broken.warnings[0].message.contains("does not parse: expected `)` at the end"), "{}", show(&broken.warnings));
    // 2004 has no prerequisites element: a package that carries one is told so.
    let m2004 = manifest(
        r#"<organizations><organization identifier="o"><title>T</title>
             <item identifier="a" identifierref="r" isvisible="false"><title>A</title><adlcp:prerequisites type="aicc_script">a</adlcp:prerequisites></item>
           </organization></organizations>"#,
        r#"<resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"/>"#,
    );
    let p = inspect_files(&[("imsmanifest.xml", m2004.as_bytes()), ("course/units/a.html", b"x")]).unwrap_or_else(|e| panic!("{}", show(&e)));
    assert!(p.items[0].runtime.get("prerequisites").is_none());
    assert_eq!(p.items[0].runtime["isvisible"], false, "2004 hidden items are marked like 1.2 ones");
    assert!(p.warnings.iter().any(|w| w.message.contains("SCORM 1.2 only")), "{}", show(&p.warnings));
}
