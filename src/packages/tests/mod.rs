//! Test helpers shared by the unit tests, plus the fixture and hostile-archive suites.

mod fixtures;
mod hostile;

use std::path::PathBuf;

use super::{inspect, PackageSource, ParsedPackage, Problem, ZipLimits};

/// The shared real-world fixtures: `COURSEWARE_FIXTURES` if set, else `../shared/fixtures`
/// beside the crate (the layout of the main repository).
pub(super) fn fixtures_dir() -> PathBuf {
    match std::env::var_os("COURSEWARE_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")),
    }
}

/// Path of one fixture, or `None` (after saying so) when the fixtures folder is absent.
pub(super) fn fixture(rel: &str) -> Option<PathBuf> {
    let dir = fixtures_dir();
    if !dir.is_dir() {
        eprintln!(
            "skipping: fixtures folder {} not found (set COURSEWARE_FIXTURES)",
            dir.display()
        );
        return None;
    }
    Some(dir.join(rel))
}

/// A folder package holding `files`; keep the returned TempDir alive while the source is used.
pub(super) fn dir_source(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PackageSource) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    let source =
        PackageSource::open(dir.path(), &ZipLimits::default()).expect("folder package opens");
    (dir, source)
}

/// Inspects a folder package made of `files`.
pub(super) fn inspect_files(files: &[(&str, &[u8])]) -> Result<ParsedPackage, Vec<Problem>> {
    let (_dir, source) = dir_source(files);
    inspect(&source, "upload.zip")
}

/// All problems on one line each, for assertion messages.
pub(super) fn show(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Titles and launches of the items, for compact assertions.
pub(super) fn outline(p: &ParsedPackage) -> Vec<(String, Option<String>)> {
    p.items
        .iter()
        .map(|i| (i.title.clone(), i.launch.clone()))
        .collect()
}

#[test]
fn names_round_trip_and_sources_can_move_to_a_worker_thread() {
    use super::{ItemKind, PackageFormat};
    fn assert_send<T: Send>() {}
    assert_send::<PackageSource>();
    for f in ["native", "scorm12", "scorm2004", "cmi5", "imscc", "plain"] {
        let parsed: PackageFormat = f.parse().unwrap();
        assert_eq!(parsed.as_str(), f);
        assert_eq!(serde_json::to_value(parsed).unwrap(), f);
    }
    assert_eq!("cmi5_au".parse::<ItemKind>().unwrap(), ItemKind::Cmi5Au);
    assert_eq!(serde_json::to_value(ItemKind::Cmi5Au).unwrap(), "cmi5_au");
    assert_eq!(ItemKind::from_extension("MP4"), ItemKind::Video);
    assert_eq!(ItemKind::from_path("a/b.c/README"), ItemKind::File);
    let p = Problem::at("imsmanifest.xml", 3, "bad");
    assert_eq!(p.to_string(), "imsmanifest.xml:3: bad");
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        serde_json::json!({"file": "imsmanifest.xml", "line": 3, "message": "bad"})
    );
}
