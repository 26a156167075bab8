//! A bad configuration exits non-zero with one clear line naming the problem, never a panic.

use std::process::{Command, Output};

fn courseware(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_courseware"));
    cmd.args(args).env_remove("COURSEWARE_DATABASE_URL").env("COURSEWARE_IMPORT_DEMO", "false");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "exit code must be non-zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unparsable_toml_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "bind = [unclosed\n").unwrap();
    let out = courseware(&["--config", config.to_str().unwrap(), "migrate"], &[]);
    assert_one_line_error(&out, "bad.toml");
}

#[test]
fn unreachable_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = courseware(
        &["--data-dir", dir.path().to_str().unwrap(), "--database-url", "postgres://nobody@127.0.0.1:1/none", "migrate"],
        &[],
    );
    assert_one_line_error(&out, "cannot connect to database postgres://nobody@127.0.0.1:1/none");
}

#[test]
fn unwritable_data_dir_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a folder is needed: unwritable even for root, who ignores modes.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let data_dir = file.join("data");
    let out = courseware(&["--data-dir", data_dir.to_str().unwrap(), "migrate"], &[]);
    assert_one_line_error(&out, "data dir");
}

#[test]
fn port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = courseware(&["--data-dir", dir.path().to_str().unwrap(), "--bind", &addr, "serve"], &[("COURSEWARE_ADMIN_PASSWORD", "x-password")]);
    assert_one_line_error(&out, &format!("cannot listen on {addr}"));
}

#[test]
fn bad_environment_value_is_named() {
    let out = courseware(&["migrate"], &[("COURSEWARE_DATABASE_URL", "mysql://x/y")]);
    assert_one_line_error(&out, "sqlite:// or postgres://");
}

#[test]
fn migrate_creates_the_sqlite_database_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = courseware(&["--data-dir", dir.path().to_str().unwrap(), "migrate"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("courseware.db").is_file());
    let header = std::fs::read(dir.path().join("courseware.db")).unwrap();
    // Bytes 18 and 19 of a SQLite header are 2 for a database in WAL mode.
    assert_eq!((header[18], header[19]), (2, 2));
}
