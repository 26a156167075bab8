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

const TOPIC: &str = r#"<topic xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3"><title>Say hello</title>
<text texttype="text/html">&lt;p&gt;Introduce yourself. &lt;img src="$IMS-CC-FILEBASE$/hello.png"&gt; See &lt;a href="$WIKI_REFERENCE$/pages/a"&gt;the page&lt;/a&gt;.&lt;/p&gt;</text></topic>"#;

#[test]
fn pages_links_files_discussions_and_quizzes_become_lessons() {
    let qti = super::qti::tests::sample();
    let manifest = CC.replace(
        r#"<resource identifier="doc""#,
        r#"<resource identifier="quiz" type="imsqti_xmlv1p2/imscc_xmlv1p3/assessment"><file href="quiz/assessment.xml"/></resource>
    <resource identifier="doc""#,
    ).replace(r#"<item identifier="i4""#, r#"<item identifier="i5" identifierref="quiz"><title>Check</title></item><item identifier="i4""#);
    let page = r#"<title>x</title><img src="$IMS-CC-FILEBASE$/pic.png"><a href="$CANVAS_OBJECT_REFERENCE$/quizzes/quiz">quiz</a>"#;
    let p = inspect_files(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("wiki/a.html", page.as_bytes()),
        ("web_resources/pic.png", b"png"),
        ("web_resources/hello.png", b"png"),
        ("web_resources/primes.png", b"png"),
        ("link.xml", LINK.as_bytes()),
        ("topic.xml", TOPIC.as_bytes()),
        ("quiz/assessment.xml", qti.as_bytes()),
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
            ("Talk".to_owned(), Some("courseware-cc/discussion-topic.html".to_owned())),
            ("Check".to_owned(), None),
            ("Handout".to_owned(), Some("files/handout.pdf".to_owned())),
        ]
    );
    let kinds: Vec<_> = p.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ItemKind::Folder, ItemKind::Html, ItemKind::Link, ItemKind::Html, ItemKind::Quiz, ItemKind::Pdf]);
    assert_eq!(p.items[2].runtime["href"], "https://example.org/x");
    let quiz = &p.items[4].runtime;
    assert_eq!(quiz["quiz"]["questions"].as_array().unwrap().len(), 5);
    assert_eq!(quiz["source"], "quiz/assessment.xml");
    assert_eq!(quiz["quiz"]["questions"][1]["images"], serde_json::json!(["web_resources/primes.png"]), "a question's image, found through $IMS-CC-FILEBASE$");
    assert!(p.files.contains(&"web_resources/primes.png".to_owned()), "and served");
    assert!(!p.files.contains(&"quiz/assessment.xml".to_owned()), "the answers are never served");

    let generated = |path: &str| {
        let g = p.generated.iter().find(|g| g.path == path).unwrap_or_else(|| panic!("{path} not made"));
        assert!(p.files.contains(&g.path), "{path} is stored");
        String::from_utf8(g.bytes.clone()).unwrap()
    };
    let page = generated("wiki/a.html");
    assert!(page.contains(r#"<img src="../web_resources/pic.png">"#), "{page}");
    assert!(page.contains(r#"<a href="../courseware-cc/quiz-quiz.html">quiz</a>"#), "{page}");
    assert!(generated("courseware-cc/quiz-quiz.html").contains("Animals &amp; numbers"));
    let topic = generated("courseware-cc/discussion-topic.html");
    assert!(topic.contains("<h1>Say hello</h1>"), "{topic}");
    assert!(topic.contains(r#"<img src="../web_resources/hello.png">"#) && topic.contains(r#"<a href="../wiki/a.html">the page</a>"#), "{topic}");

    // The quiz's notes (case ignored, the pattern-match item) are warnings.
    let text = show(&p.warnings);
    assert_eq!(p.warnings.len(), 2, "{text}");
    assert!(text.contains("quiz/assessment.xml") && text.contains("`match`") && text.contains("was left out"), "{text}");
}

#[test]
fn a_cartridge_of_only_a_discussion_or_only_a_quiz_imports() {
    let only = |kind: &str, file: &str| {
        format!(
            r#"<manifest identifier="cc" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"><organizations><organization identifier="o"/></organizations>
<resources><resource identifier="r1" type="{kind}"><file href="{file}"/></resource></resources></manifest>"#
        )
    };
    let qti = super::qti::tests::sample();
    let p = inspect_files(&[("imsmanifest.xml", only("imsqti_xmlv1p2/imscc_xmlv1p1/assessment", "a.xml").as_bytes()), ("a.xml", qti.as_bytes())])
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(outline(&p), [("Animals & numbers".to_owned(), None)]);
    assert_eq!(p.items[0].kind, ItemKind::Quiz);
    let p = inspect_files(&[("imsmanifest.xml", only("imsdt_xmlv1p1", "t.xml").as_bytes()), ("t.xml", TOPIC.as_bytes())])
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(outline(&p), [("Say hello".to_owned(), Some("courseware-cc/discussion-r1.html".to_owned()))]);
    let missing = p.generated.iter().find(|g| g.path.ends_with("discussion-r1.html")).unwrap();
    let html = String::from_utf8(missing.bytes.clone()).unwrap();
    assert!(html.contains(r#"src="../courseware-cc/missing-link.html""#) || html.contains(r#"src="missing-link.html""#), "{html}");
    assert!(show(&p.warnings).contains("lead to nothing"), "{}", show(&p.warnings));
}
