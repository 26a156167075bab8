//! Package upload by API and CLI: every fixture gives the outcome its README states,
//! hostile zips are refused with the server still up, versions, dedup, catalog search.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{fixtures_dir, spawn_app, spawn_app_with, Options};

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures folder {} is missing: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_valid_fixture_imports_by_api_and_plays_its_first_item() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    for folder in ["scorm12", "scorm2004", "cmi5", "imscc"] {
        for path in fixtures(folder) {
            let res = app.upload(&token, &path).await;
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(status, 201, "{}: {body}", path.display());
            let expected_format = if folder == "scorm2004" { "scorm2004" } else { folder };
            assert_eq!(body["format"], expected_format, "{}", path.display());
            assert!(body["items"].as_u64().unwrap() >= 1);
            assert_eq!(body["version"], 1, "{}: distinct packages are distinct courses", path.display());
            // The teacher's own course is listed with items whose files are served.
            let course = app
                .client
                .get(app.url(&format!("/api/v1/courses/{}", body["course_id"])))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap();
            let first = course["items"].as_array().unwrap().iter().find(|i| i["url"].is_string() && i["kind"] != "link");
            if let Some(item) = first {
                let url = item["url"].as_str().unwrap();
                let res = app.get(url).await;
                assert_eq!(res.status(), 200, "{}: {url}", path.display());
            }
        }
    }
}

#[tokio::test]
async fn invalid_fixtures_are_rejected_with_the_problem_named_and_nothing_imported() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), None).await;
    let token = app.token_for(teacher).await;
    let expectations = [
        ("InvalidFileReferences_SCORM12.zip", "imsmanifest.xml"),
        ("InvalidMissingOrgIdentifier_SCORM20043rdEdition.zip", "identifier"),
        ("MalformedXml_SCORM12.zip", "imsmanifest.xml"),
        ("MissingLaunchUrl_SCORM12.zip", "href"),
        ("moodle-invalid.zip", "no manifest"),
    ];
    for path in fixtures("invalid") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let needle = expectations.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).unwrap_or_else(|| panic!("no expectation for {name}"));
        let res = app.upload(&token, &path).await;
        assert_eq!(res.status(), 422, "{name}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "package_rejected");
        let problems = body["problems"].as_array().unwrap();
        assert!(!problems.is_empty());
        let text = body.to_string();
        assert!(text.contains(needle), "{name}: {text}");
        if name.starts_with("Malformed") {
            assert!(problems[0]["line"].as_u64().is_some(), "XML problems carry a line: {text}");
        }
    }
    let list = app.client.get(app.url("/api/v1/courses")).bearer_auth(&token).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!(list["total"], 0, "nothing half-imported: {list}");
}

#[tokio::test]
async fn tolerated_fixture_imports_with_its_warning() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let path = fixtures("tolerated").remove(0);
    let res = app.upload(&token, &path).await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(warnings[0]["message"].as_str().unwrap().contains("item_1"), "{body}");
}

#[tokio::test]
async fn hostile_upload_is_refused_and_the_server_stays_up() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let dir = tempfile::tempdir().unwrap();
    let slip = dir.path().join("slip.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&slip).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("../../evil.html", opts).unwrap();
        std::io::Write::write_all(&mut zip, b"<p>evil</p>").unwrap();
        zip.finish().unwrap();
    }
    let res = app.upload(&token, &slip).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("evil.html"));
    let truncated = dir.path().join("truncated.zip");
    let good = std::fs::read(fixtures("scorm12").remove(0)).unwrap();
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    assert_eq!(app.upload(&token, &truncated).await.status(), 422);
    let empty = app.client.post(app.url("/api/v1/packages")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(empty.status(), 400);
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert!(!dir.path().parent().unwrap().join("evil.html").exists());
}

/// A zip bomb by overlap: `copies` central-directory records, all pointing at one stored
/// entry of `size` bytes, so that its bytes would be inflated `copies` times.
fn overlapping_zip(copies: usize, size: usize) -> Vec<u8> {
    use std::io::Write;
    let data: Vec<u8> = (0..size as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("index.html", stored).unwrap();
    w.write_all(b"<title>x</title>").unwrap();
    w.start_file("m0000.bin", stored).unwrap();
    w.write_all(&data).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let eocd = bytes.len() - 22;
    let cd_offset = u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let records = &bytes[cd_offset..eocd];
    let second = records.windows(9).position(|w| w == b"m0000.bin").unwrap() - 46;
    let mut out = bytes[..cd_offset + second].to_vec();
    for i in 0..copies {
        let mut record = records[second..].to_vec();
        record[46..55].copy_from_slice(format!("m{i:04}.bin").as_bytes());
        out.extend(record);
    }
    let mut end = bytes[eocd..].to_vec();
    let total = (copies as u16 + 1).to_le_bytes();
    end[8..10].copy_from_slice(&total);
    end[10..12].copy_from_slice(&total);
    end[12..16].copy_from_slice(&((out.len() - cd_offset) as u32).to_le_bytes());
    out.extend(end);
    out
}

#[tokio::test]
async fn a_zip_whose_records_all_point_at_one_entry_is_refused_and_nothing_is_stored() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("overlap.zip");
    std::fs::write(&bomb, overlapping_zip(1000, 8 << 20)).unwrap();
    let blobs = app.data_dir.path().join("blobs");
    let before = count_files(&blobs);

    let res = app.upload(&token, &bomb).await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "package_rejected");
    let text = body.to_string();
    assert!(text.contains("overlapping entries") && text.contains("zip bomb"), "the problem is named: {text}");
    assert_eq!(count_files(&blobs), before, "no blob written");
    let list: serde_json::Value = app.client.get(app.url("/api/v1/courses")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0, "no course: {list}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn students_and_anonymous_users_cannot_upload() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let student = app.add_user("s1", "student", Some(org.school_a1), None).await;
    let token = app.token_for(student).await;
    let path = fixtures("scorm12").remove(0);
    assert_eq!(app.upload(&token, &path).await.status(), 403);
    let anon = app.client.post(app.url("/api/v1/packages")).body(std::fs::read(&path).unwrap()).send().await.unwrap();
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn reupload_makes_a_new_version_and_stores_shared_bytes_once() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let path = fixtures("scorm12").into_iter().find(|p| p.to_string_lossy().contains("runtime-basic")).unwrap();
    let first: serde_json::Value = app.upload(&token, &path).await.json().await.unwrap();
    let blobs_after_first = count_files(&app.data_dir.path().join("blobs"));
    let second: serde_json::Value = app.upload(&token, &path).await.json().await.unwrap();
    assert_eq!(first["course_id"], second["course_id"]);
    assert_eq!(second["version"], 2);
    assert_eq!(count_files(&app.data_dir.path().join("blobs")), blobs_after_first, "no new blobs for identical files");
    let course: serde_json::Value = app.client.get(app.url(&format!("/api/v1/courses/{}", first["course_id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(course["version_id"], second["version_id"], "course shows the latest version");
    // The old version's files stay readable by their URLs.
    let old_item = courseware::db::courses::items(&app.db, first["version_id"].as_i64().unwrap()).await.unwrap();
    assert!(!old_item.is_empty());
}

fn count_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().unwrap() != "tmp" {
            n += count_files(&path);
        } else if path.is_file() {
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn catalog_searches_chinese_and_english_and_filters() {
    let app = spawn_app().await;
    let found = app.get_json("/api/v1/courses?q=水稻").await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["courses"][0]["slug"], "rice-growing");
    let found = app.get_json("/api/v1/courses?q=WATER").await;
    assert_eq!(found["courses"][0]["slug"], "water-cycle", "{found}");
    let found = app.get_json("/api/v1/courses?subject=agriculture").await;
    assert_eq!(found["total"], 1);
    let found = app.get_json("/api/v1/courses?q=%25").await;
    assert_eq!(found["total"], 0, "LIKE wildcards are literal: {found}");
    let page = app.get("/?q=循环").await.text().await.unwrap();
    assert!(page.contains("水的循环") && !page.contains("水稻种植入门"));
}

#[tokio::test]
async fn cli_import_prints_json_and_fails_on_rejection() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let _ = app.org().await;
    let bin = env!("CARGO_BIN_EXE_courseware");
    let valid: Vec<PathBuf> = ["scorm12", "scorm2004", "cmi5", "imscc", "tolerated"].iter().flat_map(|f| fixtures(f)).collect();
    let out = Command::new(bin)
        .args(["--data-dir", app.data_dir.path().to_str().unwrap(), "--database-url", &app.settings.database_url])
        .arg("import")
        .args(&valid)
        .args(["--school", "A1", "--json"])
        .env("COURSEWARE_IMPORT_DEMO", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), valid.len(), "one JSON object per package");
    for (line, path) in lines.iter().zip(&valid) {
        for key in ["course_id", "version", "format", "items", "warnings"] {
            assert!(line.get(key).is_some(), "{key} in {line}");
        }
        let folder = path.parent().unwrap().file_name().unwrap().to_str().unwrap();
        if folder != "tolerated" {
            assert_eq!(line["format"], folder, "{}", path.display());
        } else {
            assert_eq!(line["warnings"].as_array().unwrap().len(), 1);
        }
    }
    let bad = fixtures("invalid").remove(0);
    let out = Command::new(bin)
        .args(["--data-dir", app.data_dir.path().to_str().unwrap(), "--database-url", &app.settings.database_url])
        .args(["import", bad.to_str().unwrap(), "--json"])
        .env("COURSEWARE_IMPORT_DEMO", "false")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let line: serde_json::Value = serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert!(line["problems"].as_array().unwrap().len() >= 1, "{line}");
}

#[tokio::test]
async fn a_video_with_moov_at_the_end_is_warned_about_and_rewritten_to_fast_start() {
    if std::process::Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("SKIP faststart import test: ffmpeg is not installed (apt-get install ffmpeg)");
        return;
    }
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let dir = tempfile::tempdir().unwrap();
    let demo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/courses/rice-growing/media/rice-intro.mp4"));
    let slow = dir.path().join("slow.mp4");
    // Stream copy without +faststart: ffmpeg writes moov after the media data.
    let out = Command::new("ffmpeg").args(["-v", "error", "-y", "-i"]).arg(&demo).args(["-c", "copy"]).arg(&slow).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let package = dir.path().join("slow.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&package).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("course.toml", opts).unwrap();
        std::io::Write::write_all(&mut zip, b"format = 1\nslug = \"slow-video\"\ntitle = \"\xe6\x85\xa2\xe8\xa7\x86\xe9\xa2\x91\"\n\n[[lessons]]\nid = \"v\"\ntitle = \"v\"\nkind = \"video\"\nfile = \"slow.mp4\"\n").unwrap();
        zip.start_file("slow.mp4", opts).unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(&slow).unwrap()).unwrap();
        zip.finish().unwrap();
    }
    let res = app.upload(&token, &package).await;
    assert_eq!(res.status(), 201);
    let report: serde_json::Value = res.json().await.unwrap();
    assert!(report["warnings"].to_string().contains("moov"), "{report}");
    let course: serde_json::Value = app.client.get(app.url(&format!("/api/v1/courses/{}", report["course_id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let bytes = app.get(course["items"][0]["url"].as_str().unwrap()).await.bytes().await.unwrap();
    let first = u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
    assert_eq!(&bytes[4..8], b"ftyp");
    assert_eq!(&bytes[first + 4..first + 8], b"moov", "moov right after ftyp");
    assert_eq!(bytes.len() as u64, std::fs::metadata(&slow).unwrap().len(), "same bytes, reordered");
}

#[tokio::test]
async fn older_versions_stay_readable_until_removed() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let path = fixtures_dir().join("imscc/latex.imscc");
    let v1: serde_json::Value = app.upload(&token, &path).await.json().await.unwrap();
    let v2: serde_json::Value = app.upload(&token, &path).await.json().await.unwrap();
    let course = v1["course_id"].as_i64().unwrap();
    let get = |p: String| app.client.get(app.url(&p)).bearer_auth(&token).send();
    let list: serde_json::Value = get(format!("/api/v1/courses/{course}/versions")).await.unwrap().json().await.unwrap();
    assert_eq!(list["versions"].as_array().unwrap().len(), 2);
    assert_eq!(list["versions"][0]["latest"], true);
    let old: serde_json::Value = get(format!("/api/v1/courses/{course}/versions/{}", v1["version_id"])).await.unwrap().json().await.unwrap();
    let url = old["items"].as_array().unwrap().iter().find_map(|i| i["url"].as_str()).unwrap().to_string();
    assert!(url.starts_with(&format!("/content/{}/", v1["version_id"])));
    assert_eq!(app.get(&url).await.status(), 200, "old version's files are served");
    let del = |v: &serde_json::Value| app.client.delete(app.url(&format!("/api/v1/courses/{course}/versions/{}", v["version_id"]))).bearer_auth(&token).send();
    assert_eq!(del(&v2).await.unwrap().status(), 409, "the latest version cannot be removed");
    assert_eq!(del(&v1).await.unwrap().status(), 204);
    assert_eq!(app.get(&url).await.status(), 404, "its files stop at once, not when the file cache expires");
    assert_eq!(get(format!("/api/v1/courses/{course}/versions/{}", v1["version_id"])).await.unwrap().status(), 404);
    let list: serde_json::Value = get(format!("/api/v1/courses/{course}/versions")).await.unwrap().json().await.unwrap();
    assert_eq!(list["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn gc_removes_blobs_of_deleted_courses_and_keeps_shared_ones() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    let token = app.token_for(admin.id).await;
    let keep: serde_json::Value = app.upload(&token, &fixtures_dir().join("imscc/latex.imscc")).await.json().await.unwrap();
    let gone: serde_json::Value = app.upload(&token, &fixtures_dir().join("scorm12/golf-runtime-basic.zip")).await.json().await.unwrap();
    let blobs = app.data_dir.path().join("blobs");
    let before = count_files(&blobs);
    courseware::db::courses::delete(&app.db, gone["course_id"].as_i64().unwrap()).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_courseware"))
        .args(["--data-dir", app.data_dir.path().to_str().unwrap(), "--database-url", &app.settings.database_url])
        .args(["gc", "--min-age-secs", "0"])
        .env("COURSEWARE_IMPORT_DEMO", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed"));
    let after = count_files(&blobs);
    assert!(after < before, "{before} -> {after}");
    // The kept course still serves every file.
    let course: serde_json::Value = app.client.get(app.url(&format!("/api/v1/courses/{}", keep["course_id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    for item in course["items"].as_array().unwrap() {
        if let Some(url) = item["url"].as_str().filter(|u| u.starts_with("/content/")) {
            assert_eq!(app.get(url).await.status(), 200, "{url}");
        }
    }
    let referenced: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT sha256 FROM version_files").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(after, referenced.len(), "exactly the referenced blobs remain");
}
