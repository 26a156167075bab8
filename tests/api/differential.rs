//! Differential test against nginx: a package uploaded to the real server, its files served
//! at their signed `/content/...` URLs and by nginx's static module from the same bytes; a
//! few hundred generated requests (the fixed range/conditional cases, malformed headers,
//! random ranges) compared by tests/differential/diff_nginx.py on status, the headers that
//! matter and the body bytes. Every difference must be a row of docs/range-differences.md.
//! The same script also checks X-Accel-Redirect mode through an nginx front against
//! direct answers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{spawn_app_with, Options};

const NGINX: &str = "/usr/sbin/nginx";

/// Deterministic bytes (xorshift), so a failure can be replayed.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn text(len: usize, seed: u64) -> Vec<u8> {
    noise(len, seed).into_iter().map(|b| b"abcdefghij \n"[b as usize % 12]).collect()
}

/// (path in the package, lesson id and kind if it is a lesson, bytes)
fn package_files() -> Vec<(&'static str, Option<(&'static str, &'static str)>, Vec<u8>)> {
    let mut vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n".to_vec();
    vtt.extend(text(500, 3));
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(noise(3_000, 4));
    let mut html = b"<!doctype html><meta charset=\"utf-8\"><title>t</title><p>".to_vec();
    html.extend(text(1_000, 5));
    vec![
        ("media/lesson.mp4", Some(("video", "video")), noise(300_000, 1)),
        ("media/lesson.vtt", None, vtt), // a caption of the video lesson
        ("media/big.webm", Some(("big", "video")), noise(2_000_000, 2)),
        ("docs/handout.pdf", Some(("handout", "pdf")), pdf),
        ("pages/第 1 课.html", Some(("page", "html")), html),
        ("notes/small.txt", Some(("notes", "file")), text(1_024, 6)),
        ("data/one.bin", Some(("one", "file")), vec![0x5a]),
        ("data/empty.txt", Some(("empty", "file")), Vec::new()),
        ("extra/unlisted.bin", None, noise(700, 7)), // no lesson refers to it
    ]
}

fn manifest(files: &[(&str, Option<(&str, &str)>, Vec<u8>)]) -> String {
    let mut toml = String::from("format = 1\nslug = \"differential\"\ntitle = \"对照测试\"\n");
    for (path, lesson, _) in files {
        let Some((id, kind)) = lesson else { continue };
        toml.push_str(&format!("\n[[lessons]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"{kind}\"\nfile = \"{path}\"\n"));
        if *id == "video" {
            toml.push_str("captions = [{ file = \"media/lesson.vtt\", lang = \"zh-CN\", label = \"中文\" }]\n");
        }
    }
    toml
}

fn write_package(dir: &Path) -> (PathBuf, PathBuf) {
    let files = package_files();
    let root = dir.join("root");
    let zip_path = dir.join("differential.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("course.toml", opts).unwrap();
    std::io::Write::write_all(&mut zip, manifest(&files).as_bytes()).unwrap();
    for (path, _, bytes) in &files {
        let on_disk = root.join(path);
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, bytes).unwrap();
        zip.start_file(*path, opts).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
    (zip_path, root)
}

fn python3() -> Option<&'static str> {
    Command::new("python3").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "python3")
}

#[tokio::test]
async fn differential_against_nginx() {
    if !Path::new(NGINX).exists() {
        println!("SKIP differential_against_nginx: nginx is not installed (apt-get install nginx-light)");
        return;
    }
    let Some(python) = python3() else {
        println!("SKIP differential_against_nginx: python3 is not installed (apt-get install python3)");
        return;
    };
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let dir = tempfile::tempdir().unwrap();
    let (zip_path, root) = write_package(dir.path());
    let res = app.upload(&token, &zip_path).await;
    let status = res.status();
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{report}");
    let course: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/courses/{}", report["course_id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // file in the package -> signed URL path on our server
    let mut map = serde_json::Map::new();
    let items = course["items"].as_array().unwrap();
    let mut prefix = None;
    for (path, lesson, _) in package_files() {
        let Some((id, _)) = lesson else { continue };
        let item = items.iter().find(|i| i["identifier"] == id).unwrap_or_else(|| panic!("lesson {id}: {course}"));
        let url = item["url"].as_str().unwrap().to_string();
        // "/content/{version}/{token}/" is the same for every file of the version.
        let parts: Vec<&str> = url.splitn(5, '/').collect();
        prefix.get_or_insert_with(|| format!("/{}/{}/{}/", parts[1], parts[2], parts[3]));
        map.insert(path.to_string(), url.into());
    }
    let video = items.iter().find(|i| i["identifier"] == "video").unwrap();
    map.insert("media/lesson.vtt".into(), video["captions"][0]["url"].clone());
    let prefix = prefix.unwrap();
    map.insert("extra/unlisted.bin".into(), format!("{prefix}extra/unlisted.bin").into());
    assert_eq!(map.len(), package_files().len());
    let map_path = dir.path().join("map.json");
    std::fs::write(&map_path, serde_json::to_vec_pretty(&map).unwrap()).unwrap();

    // A second server over the same database and blobs in X-Accel-Redirect mode
    // (docs/x-accel-redirect.md), for the script's nginx front; same signing key, same URLs.
    let mut accel_settings = app.settings.clone();
    accel_settings.accel_redirect_prefix = Some("/_blobs".into());
    let accel_state = courseware::cli::build_state(accel_settings).await.expect("accel app state");
    let accel = courseware::startup::Application::build(accel_state).expect("accel server builds");
    let accel_address = format!("http://127.0.0.1:{}", accel.port());
    tokio::spawn(accel.run_until_stopped());
    let blobs = app.data_dir.path().join("blobs");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/diff_nginx.py");
    // DIFF_NGINX_SEED / DIFF_NGINX_RANDOM replay or widen a run (defaults: seed 1, 30 random ranges per file).
    let seed = std::env::var("DIFF_NGINX_SEED").unwrap_or_else(|_| "1".into());
    let random = std::env::var("DIFF_NGINX_RANDOM").unwrap_or_else(|_| "30".into());
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .args(["--ours", &app.address, "--nginx", NGINX, "--seed", &seed, "--random", &random])
        .arg("--map")
        .arg(&map_path)
        .arg("--root")
        .arg(&root)
        .args(["--accel", &accel_address])
        .arg("--blobs")
        .arg(&blobs);
    // The script blocks; keep it off the runtime thread that drives the server.
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("run diff_nginx.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stdout.lines().filter(|l| l.starts_with("direct:") || l.starts_with("accel:")) {
        println!("{line}");
    }
    let summary = stdout.lines().rev().find(|l| l.starts_with("differential:")).unwrap_or("no summary line");
    println!("{summary}");
    assert!(out.status.success(), "diff_nginx.py failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(summary.ends_with(" 0 unexplained"), "{stdout}");
}
