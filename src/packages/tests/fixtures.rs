//! Every real package in the shared fixtures gives the outcome the fixtures README states.

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::super::{
    inspect, ItemKind, PackageFormat, PackageSource, ParsedPackage, Problem, ZipLimits,
};
use super::{fixture, fixtures_dir, outline, show};

fn open(rel: &str) -> Option<Result<ParsedPackage, Vec<Problem>>> {
    let path = fixture(rel)?;
    let source = PackageSource::open(&path, &ZipLimits::default())
        .unwrap_or_else(|e| panic!("{rel} does not open: {}", show(&e)));
    Some(inspect(&source, rel))
}

fn ok(rel: &str) -> Option<ParsedPackage> {
    open(rel).map(|r| r.unwrap_or_else(|e| panic!("{rel} refused:\n{}", show(&e))))
}

fn refused(rel: &str) -> Option<Vec<Problem>> {
    open(rel).map(|r| match r {
        Ok(p) => panic!("{rel} was accepted: {:?}", outline(&p)),
        Err(e) => e,
    })
}

fn titles(p: &ParsedPackage) -> Vec<&str> {
    p.items.iter().map(|i| i.title.as_str()).collect()
}

/// Guards against a fixture added later without a test saying what it should do.
#[test]
fn every_fixture_has_an_expected_outcome() {
    let Some(dir) = fixture("") else { return };
    let expected: &[(&str, Option<PackageFormat>)] = &[
        (
            "cmi5/catapult-masteryscore-responsive.zip",
            Some(PackageFormat::Cmi5),
        ),
        (
            "cmi5/catapult-single-au-basic-framed.zip",
            Some(PackageFormat::Cmi5),
        ),
        (
            "imscc/canvas_cc_gem_course.imscc",
            Some(PackageFormat::ImsCc),
        ),
        ("imscc/latex.imscc", Some(PackageFormat::ImsCc)),
        ("imscc/single-page.imscc", Some(PackageFormat::ImsCc)),
        ("invalid/InvalidFileReferences_SCORM12.zip", None),
        (
            "invalid/InvalidMissingOrgIdentifier_SCORM20043rdEdition.zip",
            None,
        ),
        ("invalid/MalformedXml_SCORM12.zip", None),
        ("invalid/MissingLaunchUrl_SCORM12.zip", None),
        ("invalid/moodle-invalid.zip", None),
        (
            "scorm12/golf-multisco-onefilepersco.zip",
            Some(PackageFormat::Scorm12),
        ),
        (
            "scorm12/golf-runtime-basic.zip",
            Some(PackageFormat::Scorm12),
        ),
        (
            "scorm2004/golf-3rd-multisco-onefilepersco.zip",
            Some(PackageFormat::Scorm2004),
        ),
        (
            "scorm2004/golf-3rd-runtime-basic.zip",
            Some(PackageFormat::Scorm2004),
        ),
        (
            "scorm2004/golf-4th-seq-posttestrollup.zip",
            Some(PackageFormat::Scorm2004),
        ),
        (
            "tolerated/ItemWithNonExistentResourceId_SCORM12.zip",
            Some(PackageFormat::Scorm12),
        ),
    ];
    let mut found = Vec::new();
    for group in std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        // schemas/ holds the standards' XML Schemas for validation, not packages.
        .filter(|e| e.path().is_dir() && e.file_name() != "schemas")
    {
        for f in std::fs::read_dir(group.path()).unwrap().flatten() {
            found.push(format!(
                "{}/{}",
                group.file_name().to_string_lossy(),
                f.file_name().to_string_lossy()
            ));
        }
    }
    found.sort();
    let listed: Vec<String> = expected.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        found,
        listed,
        "fixtures changed under {}",
        fixtures_dir().display()
    );
    for (rel, format) in expected {
        match (open(rel).unwrap(), format) {
            (Ok(p), Some(f)) => assert_eq!(p.format, *f, "{rel}"),
            (Err(_), None) => {}
            (Ok(p), None) => panic!("{rel} should be refused, got {:?}", outline(&p)),
            (Err(e), Some(_)) => panic!("{rel} should import:\n{}", show(&e)),
        }
    }
}

#[test]
fn scorm12_runtime_basic() {
    let Some(p) = ok("scorm12/golf-runtime-basic.zip") else {
        return;
    };
    assert_eq!(p.format, PackageFormat::Scorm12);
    assert_eq!(p.title, "Golf Explained - Run-time Basic Calls");
    assert_eq!(
        outline(&p),
        [(
            "Golf Explained".to_owned(),
            Some("shared/launchpage.html".to_owned())
        )]
    );
    assert_eq!(
        (p.items[0].identifier.as_str(), p.items[0].kind),
        ("item_1", ItemKind::Sco)
    );
    assert_eq!(p.items[0].runtime["scormType"], "sco");
    assert_eq!(p.metadata["schemaversion"], "1.2");
    assert_eq!(p.metadata["organization"], "golf_sample_default_org");
    assert!(p.warnings.is_empty(), "{}", show(&p.warnings));
    assert_eq!((p.files.len(), p.root.as_str()), (44, ""));
    assert!(p.files.iter().any(|f| f == "imsmanifest.xml"));
}

#[test]
fn scorm12_multisco_tree() {
    let Some(p) = ok("scorm12/golf-multisco-onefilepersco.zip") else {
        return;
    };
    assert_eq!(p.title, "Golf Explained - CP One File Per SCO");
    assert_eq!(p.items.len(), 22);
    let folders: Vec<_> = p
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Folder)
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(
        folders,
        [
            "Playing the Game",
            "Etiquette",
            "Handicapping",
            "Having Fun"
        ]
    );
    assert_eq!(&titles(&p)[..3], ["Playing the Game", "How to Play", "Par"]);
    assert_eq!(p.items[1].launch.as_deref(), Some("Playing/Playing.html"));
    assert_eq!(
        (p.items[1].parent, p.items[1].kind),
        (Some(0), ItemKind::Asset)
    );
    let quiz = p
        .items
        .iter()
        .find(|i| i.identifier == "playing_quiz_item")
        .unwrap();
    assert_eq!(
        quiz.launch.as_deref(),
        Some("shared/assessmenttemplate.html?questions=Playing")
    );
    let etiquette = p.items.iter().position(|i| i.title == "Etiquette").unwrap();
    assert_eq!(p.items[etiquette + 1].parent, Some(etiquette));
    assert_eq!(p.items.last().unwrap().title, "Having Fun Quiz");
}

#[test]
fn scorm2004_3rd_runtime_basic() {
    let Some(p) = ok("scorm2004/golf-3rd-runtime-basic.zip") else {
        return;
    };
    assert_eq!(p.format, PackageFormat::Scorm2004);
    assert_eq!(
        outline(&p),
        [(
            "Golf Explained".to_owned(),
            Some("shared/launchpage.html".to_owned())
        )]
    );
    let seq = &p.items[0].runtime["sequencing"];
    assert_eq!(seq["children"][0]["element"], "deliveryControls");
    assert_eq!(
        seq["children"][0]["attributes"]["completionSetByContent"],
        "true"
    );
    assert_eq!(p.metadata["schemaversion"], "2004 3rd Edition");
    assert_eq!(
        p.metadata["organizationSequencing"]["children"][0]["element"],
        "controlMode"
    );
}

#[test]
fn scorm2004_3rd_multisco() {
    let Some(p) = ok("scorm2004/golf-3rd-multisco-onefilepersco.zip") else {
        return;
    };
    assert_eq!(p.format, PackageFormat::Scorm2004);
    assert_eq!(p.title, "Golf Explained - CP One File Per SCO");
    assert_eq!(
        p.items
            .iter()
            .filter(|i| i.kind != ItemKind::Folder)
            .count(),
        18
    );
    let quiz = p
        .items
        .iter()
        .find(|i| i.identifier == "handicapping_quiz_item")
        .unwrap();
    assert_eq!(
        quiz.launch.as_deref(),
        Some("shared/assessmenttemplate.html?questions=Handicapping")
    );
}

#[test]
fn scorm2004_4th_sequencing_is_kept() {
    let Some(p) = ok("scorm2004/golf-4th-seq-posttestrollup.zip") else {
        return;
    };
    assert_eq!(p.title, "Golf Explained - 4th Edition Features");
    assert_eq!(
        titles(&p),
        [
            "Playing the Game",
            "Etiquette",
            "Handicapping",
            "Having Fun",
            "Quiz"
        ]
    );
    assert_eq!(
        p.items[0].launch.as_deref(),
        Some("shared/launchpage.html?content=playing")
    );
    assert_eq!(
        p.items[4].launch.as_deref(),
        Some("shared/launchpage.html?content=assessment")
    );
    assert!(p.items.iter().all(|i| i.kind == ItemKind::Sco));
    let rt = &p.items[1].runtime;
    assert_eq!(rt["sequencing"]["attributes"]["IDRef"], "content_seq_rules");
    assert_eq!(rt["completionThreshold"]["progressWeight"], 0.3);
    assert_eq!(
        rt["data"]["children"][0]["attributes"]["readSharedData"],
        "true"
    );
    let quiz_seq = serde_json::to_string(&p.items[4].runtime["sequencing"]).unwrap();
    assert!(
        quiz_seq.contains("hiddenFromChoice") && quiz_seq.contains("rollupRules"),
        "{quiz_seq}"
    );
    let coll = &p.metadata["sequencingCollection"]["children"][0];
    assert_eq!(coll["attributes"]["ID"], "content_seq_rules");
    let tree: crate::scorm::sequencing::definition::ActivityDef =
        serde_json::from_value(p.metadata["activityTree"].clone()).expect("the activity tree is stored");
    assert!(tree.sequencing.control.flow && tree.sequencing.control.choice);
    let etiquette = &tree.children[1];
    assert_eq!(etiquette.id, "etuqiette_item");
    assert!(!etiquette.sequencing.rollup.objective_satisfied, "from the collection entry");
    assert_eq!(etiquette.progress_weight, 0.3);
    let previous = &etiquette.sequencing.objectives[1];
    assert_eq!(previous.id, "previous_sco_completed");
    assert_eq!(previous.maps[0].target, "com.scorm.golfsamples.sequencing.forcedsequential.playing_completed");
    assert!(previous.maps[0].read_completion && !previous.maps[0].write_completion);
    let quiz = &tree.children[4];
    assert_eq!(quiz.sequencing.pre_rules.len(), 2);
    assert!(quiz.sequencing.rollup.objective_satisfied && quiz.sequencing.delivery.objective_set_by_content);
}

#[test]
fn cmi5_mastery_score_responsive() {
    let Some(p) = ok("cmi5/catapult-masteryscore-responsive.zip") else {
        return;
    };
    assert_eq!(p.format, PackageFormat::Cmi5);
    assert_eq!(
        p.title,
        "Introduction to Geology - Responsive Style - Mastery Score"
    );
    assert!(p
        .description
        .starts_with("This course will introduce you into the basics of geology."));
    assert_eq!(p.items.len(), 1);
    let au = &p.items[0];
    assert_eq!(
        (au.kind, au.launch.as_deref()),
        (ItemKind::Cmi5Au, Some("index.html"))
    );
    assert_eq!(au.identifier, "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-single-au-mastery-score-responsive/1");
    assert_eq!(au.runtime["moveOn"], "CompletedOrPassed");
    assert_eq!(au.runtime["masteryScore"], 0.3);
    assert_eq!(au.runtime["launchMethod"], "OwnWindow");
    assert_eq!(
        p.metadata["courseId"],
        "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-single-au-mastery-score-responsive"
    );
}

#[test]
fn cmi5_single_au_framed() {
    let Some(p) = ok("cmi5/catapult-single-au-basic-framed.zip") else {
        return;
    };
    assert_eq!(p.title, "Introduction to Geology - Framed Style");
    assert_eq!(
        outline(&p),
        [(
            "Introduction to Geology - Framed Style".to_owned(),
            Some("index.html".to_owned())
        )]
    );
    assert_eq!(p.items[0].runtime["launchMethod"], "AnyWindow");
    assert!(p.items[0].runtime.get("masteryScore").is_none());
}

#[test]
fn imscc_canvas_assignments_from_resources() {
    let Some(p) = ok("imscc/canvas_cc_gem_course.imscc") else {
        return;
    };
    assert_eq!(p.format, PackageFormat::ImsCc);
    assert_eq!(p.title, "Canvas CC Gem Course");
    assert_eq!(
        outline(&p),
        [
            (
                "Assignment: Course with Known Submission Type".to_owned(),
                Some("2d7d5ca55a932e43c614910000000004/assignment-course-with-known-submission-type.html".to_owned())
            ),
            (
                "Assignment: Course with Unknown Submission Type".to_owned(),
                Some("2d7d5ca55a932e43c614910000000005/assignment-course-with-unknown-submission-type.html".to_owned())
            ),
            (
                "Assignment: Course with Missing Submission Type".to_owned(),
                Some("2d7d5ca55a932e43c614910000000006/assignment-course-with-missing-submission-type.html".to_owned())
            ),
        ]
    );
    assert!(p.items.iter().all(|i| i.kind == ItemKind::Html));
    let w = show(&p.warnings);
    assert!(
        w.contains("course_settings/syllabus.html") && w.contains("taken from the resources"),
        "{w}"
    );
}

#[test]
fn imscc_latex_module_tree() {
    let Some(p) = ok("imscc/latex.imscc") else {
        return;
    };
    assert_eq!(p.title, "LaTeX Equations");
    assert_eq!(
        outline(&p),
        [
            ("Example Module".to_owned(), None),
            (
                "Page 1".to_owned(),
                Some("wiki_content/page-1.html".to_owned())
            ),
            (
                "Page 2".to_owned(),
                Some("wiki_content/page-2.html".to_owned())
            ),
        ]
    );
    assert_eq!((p.items[1].parent, p.items[2].parent), (Some(0), Some(0)));
    assert_eq!(p.items[1].identifier, "gee9afc2ef7df780222cad39a74feeadb");
    assert!(p.warnings.is_empty(), "{}", show(&p.warnings));
}

#[test]
fn imscc_single_page() {
    let Some(p) = ok("imscc/single-page.imscc") else {
        return;
    };
    assert_eq!(p.title, "The Life of Paul");
    assert_eq!(p.metadata["schemaversion"], "1.3.0");
    assert_eq!(
        outline(&p),
        [(
            "Our Purpose".to_owned(),
            Some("wiki_content/our-purpose.html".to_owned())
        )]
    );
}

#[test]
fn invalid_malformed_xml_names_the_line() {
    let Some(errs) = refused("invalid/MalformedXml_SCORM12.zip") else {
        return;
    };
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line),
        ("imsmanifest.xml", Some(27)),
        "{}",
        errs[0]
    );
    assert!(
        errs[0].message.contains("malformed XML") && errs[0].message.contains("item"),
        "{}",
        errs[0]
    );
}

#[test]
fn invalid_missing_launch_url() {
    let Some(errs) = refused("invalid/MissingLaunchUrl_SCORM12.zip") else {
        return;
    };
    let e = errs
        .iter()
        .find(|e| e.message.contains("has no href"))
        .unwrap_or_else(|| panic!("{}", show(&errs)));
    assert_eq!((e.file.as_str(), e.line), ("imsmanifest.xml", Some(30)));
    assert!(
        e.message.contains("resource `resource_1`") && e.message.contains("item `item_1`"),
        "{e}"
    );
}

#[test]
fn invalid_missing_organization_identifier() {
    let Some(errs) = refused("invalid/InvalidMissingOrgIdentifier_SCORM20043rdEdition.zip") else {
        return;
    };
    let e = errs
        .iter()
        .find(|e| e.message.contains("<organization> has no identifier"))
        .unwrap_or_else(|| panic!("{}", show(&errs)));
    assert_eq!((e.file.as_str(), e.line), ("imsmanifest.xml", Some(12)));
}

#[test]
fn invalid_file_references() {
    let Some(errs) = refused("invalid/InvalidFileReferences_SCORM12.zip") else {
        return;
    };
    let lines: Vec<_> = errs.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [Some(26), Some(28), Some(29), Some(33)],
        "{}",
        show(&errs)
    );
    assert!(
        errs[0]
            .message
            .contains("launch file `content/nonexistent.html`"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1]
            .message
            .contains("file `content/nonexistent.js` listed by resource `resource_1`"),
        "{}",
        errs[1]
    );
    assert!(errs.iter().all(|e| e.file == "imsmanifest.xml"));
}

#[test]
fn invalid_moodle_stub_is_an_unknown_format() {
    let Some(errs) = refused("invalid/moodle-invalid.zip") else {
        return;
    };
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    let m = &errs[0].message;
    assert!(
        m.contains("unknown package format")
            && m.contains("no manifest")
            && m.contains("test.htm (empty)"),
        "{m}"
    );
}

#[test]
fn tolerated_missing_resource_gives_one_warning() {
    let Some(p) = ok("tolerated/ItemWithNonExistentResourceId_SCORM12.zip") else {
        return;
    };
    assert_eq!(
        outline(&p),
        [("Item 2".to_owned(), Some("content/item2.html".to_owned()))]
    );
    assert_eq!(p.warnings.len(), 1, "{}", show(&p.warnings));
    let w = &p.warnings[0];
    assert_eq!((w.file.as_str(), w.line), ("imsmanifest.xml", Some(20)));
    assert!(
        w.message.contains("item `item_1`") && w.message.contains("non_existent_resource"),
        "{w}"
    );
}

/// A package zipped inside one folder, with macOS junk beside it, reads the same.
#[test]
fn package_nested_in_one_folder_is_rooted_there() {
    let Some(src) = fixture("tolerated/ItemWithNonExistentResourceId_SCORM12.zip") else {
        return;
    };
    let mut original = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let mut w = zip::ZipWriter::new(tmp.reopen().unwrap());
    for i in 0..original.len() {
        let mut f = original.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        w.start_file(
            format!("我的课程/{}", f.name()),
            SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::copy(&mut f, &mut w).unwrap();
    }
    w.start_file(
        "__MACOSX/我的课程/._imsmanifest.xml",
        SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"junk").unwrap();
    w.finish().unwrap();

    let source = PackageSource::open(tmp.path(), &ZipLimits::default()).unwrap();
    let p = inspect(&source, "x.zip").unwrap_or_else(|e| panic!("{}", show(&e)));
    assert_eq!(p.root, "我的课程/");
    assert_eq!(
        outline(&p),
        [("Item 2".to_owned(), Some("content/item2.html".to_owned()))]
    );
    assert_eq!(p.files, ["content/item2.html", "imsmanifest.xml"]);
    let mut out = Vec::new();
    let (n, _) = source
        .copy_entry(&p.source_name("content/item2.html"), &mut out)
        .unwrap();
    assert_eq!(n, 515);
}

/// Storing reads every file once; sizes and hashes come out of the real archives.
#[test]
fn every_file_of_a_real_package_copies_with_its_hash() {
    let Some(path) = fixture("scorm12/golf-runtime-basic.zip") else {
        return;
    };
    let source = PackageSource::open(&path, &ZipLimits::default()).unwrap();
    let p = inspect(&source, "golf").unwrap();
    let mut total = 0;
    for f in &p.files {
        let mut out = Vec::new();
        let (n, hash) = source.copy_entry(&p.source_name(f), &mut out).unwrap();
        assert_eq!(n as usize, out.len());
        use sha2::Digest;
        assert_eq!(hash, <[u8; 32]>::from(sha2::Sha256::digest(&out)));
        total += n;
    }
    let claimed: u64 = source.entries().iter().map(|e| e.size).sum();
    assert_eq!(total, claimed);
}

#[test]
fn scorm2004_4th_sequencing_runs_as_the_sn_book_says() {
    use crate::scorm::sequencing::{definition::ActivityDef, ActivityTree, NavRequest, Outcome, ScoResult, Sequencer, State};
    let Some(p) = ok("scorm2004/golf-4th-seq-posttestrollup.zip") else {
        return;
    };
    let def: ActivityDef = serde_json::from_value(p.metadata["activityTree"].clone()).unwrap();
    let tree = ActivityTree::new(&def);
    let mut state = State::for_tree(&tree, 1);
    let mut seq = Sequencer::new(&tree, &mut state);
    let playing = tree.find("playing_item").unwrap();
    assert_eq!(seq.open(), Ok(Outcome::Deliver(playing)));
    let view = seq.view();
    let shown = |id: &str| view.activities.iter().find(|a| a.id == id).unwrap().clone();
    assert!(!shown("etuqiette_item").selectable, "disabled until Playing is completed");
    assert!(shown("assessment_item").hidden, "the quiz is hidden from choice until then");
    assert_eq!(seq.navigate(&NavRequest::Choice("etuqiette_item".into())).unwrap_err().code, "DB.1.1-3");
    seq.report(playing, &ScoResult { completed: Some(true), ..ScoResult::default() });
    let etiquette = tree.find("etuqiette_item").unwrap();
    assert_eq!(seq.navigate(&NavRequest::Continue), Ok(Outcome::Deliver(etiquette)));
    assert!(!seq.view().activities.iter().find(|a| a.id == "handicapping_item").unwrap().selectable);
    let quiz = tree.find("assessment_item").unwrap();
    assert_eq!(seq.navigate(&NavRequest::Jump("assessment_item".into())), Ok(Outcome::Deliver(quiz)), "jump passes hiddenFromChoice");
    seq.report(quiz, &ScoResult { completed: Some(true), satisfied: Some(true), measure: Some(0.9), ..ScoResult::default() });
    assert_eq!(seq.navigate(&NavRequest::ExitAll), Ok(Outcome::EndSession));
    let root = 0;
    assert_eq!(seq.satisfied(root, seq.primary(root)), Some(true), "only the post test rolls up");
}
