//! The browser-side SCORM runtime (static/scorm-*.js) is tested with Node's test runner
//! against the same parity cases as the Rust validator; this runs them with `cargo test`.

#[test]
fn scorm_runtime_javascript_passes_its_node_tests() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js");
    let Ok(out) = std::process::Command::new("node").arg("--test").arg(".").current_dir(dir).output() else {
        println!("SKIP scorm_runtime_javascript_passes_its_node_tests: node is not installed");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "node --test failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
