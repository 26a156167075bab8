//! The house's layers, checked from the source: every `crate::<module>` a file names is an
//! arrow between top-level modules, and arrows may point down or sideways only (STYLE.md).
//!
//! `KNOWN_UPWARD` and `KNOWN_CYCLE_ARROWS` would list arrows that still point up or close a
//! cycle (both are empty now); a listed arrow that is gone fails the test, so they only
//! shrink. No route file may use `db/`: handlers call use cases in `app/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Floors, lowest first. A module may use modules on its own floor or below.
const FLOORS: &[&[&str]] = &[
    // Types and rules with no I/O.
    &["domain"],
    // Settings, embedded files, persistence and the media byte server.
    &["config", "assets", "i18n", "telemetry", "spreadsheet", "db", "storage", "media"],
    // Capabilities with rules of their own, and the web edge's error type: the sign-in
    // middleware and the tus handlers answer HTTP themselves.
    &["auth", "packages", "tracking", "scorm", "stats", "uploads", "error"],
    // What a user does (use cases, first-start provisioning), and page rendering.
    &["app", "provision", "render"],
    // The edges.
    &["routes", "cli"],
    // Assembly.
    &["startup"],
];

/// Upward arrows still in the code: (from, to).
const KNOWN_UPWARD: &[(&str, &str)] = &[
];

/// Sideways arrows that close a cycle, still in the code: (from, to).
const KNOWN_CYCLE_ARROWS: &[(&str, &str)] = &[];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|floor| floor.contains(&module))
}

/// Arrows between top-level modules, each with one file that draws it.
fn arrows() -> BTreeMap<(String, String), String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let from = relative.split('/').next().unwrap().trim_end_matches(".rs").to_string();
            if from == "lib" || from == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("crate::") {
                let to: String = text[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !to.is_empty() && to != from {
                    found.entry((from.clone(), to)).or_insert_with(|| relative.clone());
                }
            }
        }
    }
    found
}

#[test]
fn every_top_level_module_has_a_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        assert!(floor_of(&name).is_some(), "src/{name} is on no floor of tests/layers.rs: place it");
    }
}

#[test]
fn imports_point_down_or_sideways() {
    let mut upward = BTreeSet::new();
    let mut new = Vec::new();
    for ((from, to), file) in arrows() {
        let (Some(a), Some(b)) = (floor_of(&from), floor_of(&to)) else { continue };
        if b > a {
            upward.insert((from.clone(), to.clone()));
            if !KNOWN_UPWARD.contains(&(from.as_str(), to.as_str())) {
                new.push(format!("src/{file}: {from} (floor {a}) uses {to} (floor {b})"));
            }
        }
    }
    assert!(new.is_empty(), "imports that point up a floor:\n{}", new.join("\n"));
    let gone: Vec<_> = KNOWN_UPWARD.iter().filter(|(f, t)| !upward.contains(&(f.to_string(), t.to_string()))).collect();
    assert!(gone.is_empty(), "fixed, so take them off KNOWN_UPWARD: {gone:?}");
}

#[test]
fn modules_on_one_floor_form_no_cycle() {
    // Sideways arrows are allowed, but two modules of a floor that use each other are one
    // knot: a depth-first search over the sideways arrows finds it.
    let mut sideways: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let all = arrows();
    for (from, to) in all.keys() {
        if KNOWN_CYCLE_ARROWS.contains(&(from.as_str(), to.as_str())) {
            continue;
        }
        if floor_of(from).is_some() && floor_of(from) == floor_of(to) {
            sideways.entry(from.clone()).or_default().insert(to.clone());
        }
    }
    let gone: Vec<_> = KNOWN_CYCLE_ARROWS.iter().filter(|(f, t)| !all.contains_key(&(f.to_string(), t.to_string()))).collect();
    assert!(gone.is_empty(), "fixed, so take them off KNOWN_CYCLE_ARROWS: {gone:?}");
    fn visit(node: &str, graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in sideways.keys() {
        if let Some(cycle) = visit(node, &sideways, &mut Vec::new(), &mut done) {
            panic!("a cycle between top-level modules: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn routes_reach_the_database_only_through_use_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut using = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if text.contains("crate::db") || text.contains(" db::") || text.contains("(db::") {
            using.insert(entry.file_name().to_string_lossy().to_string());
        }
    }
    assert!(using.is_empty(), "route files that use db/ directly (call a use case in app/ instead): {using:?}");
}
