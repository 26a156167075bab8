//! Renditions of uploaded videos: the job after import (queued, run, visible to the
//! teacher), its HLS and progressive files checked with a playlist parser and ffprobe and
//! served with ranges, a job killed with its server taken again after a restart, a server
//! without ffmpeg that says so and plays the original, and gc removing renditions with
//! their video.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{spawn_app_with_env, Options, TestApp};

fn have_ffmpeg() -> bool {
    let ok = |p: &str| Command::new(p).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if ok("ffmpeg") && ok("ffprobe") {
        return true;
    }
    println!("SKIP rendition test: ffmpeg/ffprobe not installed (apt-get install ffmpeg)");
    false
}

/// A native package with one 720p H.264/AAC video of `seconds`, made with ffmpeg.
fn video_package(dir: &Path, seconds: u32) -> PathBuf {
    let video = dir.join("lesson.mp4");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("testsrc2=size=1280x720:rate=25:duration={seconds}")])
        .args(["-f", "lavfi", "-i", &format!("sine=frequency=440:duration={seconds}")])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart"])
        .arg(&video)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let package = dir.join("video.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&package).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("course.toml", opts).unwrap();
    zip.write_all("format = 1\nslug = \"rendered\"\ntitle = \"转码视频\"\n\n[[lessons]]\nid = \"v\"\ntitle = \"视频课\"\nkind = \"video\"\nfile = \"lesson.mp4\"\n".as_bytes()).unwrap();
    zip.start_file("lesson.mp4", opts).unwrap();
    zip.write_all(&std::fs::read(&video).unwrap()).unwrap();
    zip.finish().unwrap();
    package
}

async fn admin_token(app: &TestApp) -> String {
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap();
    app.token_for(admin.id).await
}

async fn renditions(app: &TestApp, token: &str, course: i64) -> Value {
    // This test's server shares the test's one thread with blocking waits for the child
    // servers, so an idle keep-alive connection may be closed as it is reused: ask again.
    for _ in 0..5 {
        match app.client.get(app.url(&format!("/api/v1/courses/{course}/renditions"))).bearer_auth(token).send().await {
            Ok(res) => {
                assert_eq!(res.status(), 200);
                return res.json().await.unwrap();
            }
            Err(e) if e.is_request() => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the renditions API did not answer")
}

/// Polls the course's rendition jobs until the first video's state is one of `states`.
async fn wait_for_state(app: &TestApp, token: &str, course: i64, states: &[&str], timeout: Duration) -> Value {
    let start = Instant::now();
    loop {
        let jobs = renditions(app, token, course).await;
        let state = jobs["videos"][0]["state"].as_str().unwrap_or("").to_string();
        if states.contains(&state.as_str()) {
            return jobs["videos"][0].clone();
        }
        assert!(start.elapsed() < timeout, "still {state} after {timeout:?}: {jobs}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn attr(html: &str, name: &str) -> String {
    let at = html.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("{name} in the page")) + name.len() + 2;
    html[at..].chars().take_while(|c| *c != '"').collect::<String>().replace("&quot;", "\"").replace("&#x2F;", "/").replace("&amp;", "&")
}

fn ffprobe(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.mp4");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffprobe").args(["-v", "error", "-print_format", "json", "-show_streams"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_video_gets_a_ladder_hls_and_a_poster_after_import_served_with_ranges() {
    if !have_ffmpeg() {
        return;
    }
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRANSCODE_WORKERS", "1")]).await;
    let token = admin_token(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let res = app.upload(&token, &video_package(dir.path(), 8)).await;
    assert_eq!(res.status(), 201);
    let report: Value = res.json().await.unwrap();
    assert!(!report["warnings"].to_string().contains("renditions"), "ffmpeg is here: {report}");
    let course = report["course_id"].as_i64().unwrap();
    let job = wait_for_state(&app, &token, course, &["done", "failed"], Duration::from_secs(240)).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["percent"], 100);
    assert_eq!(job["renditions"], serde_json::json!(["240p", "360p", "480p", "720p", "audio"]), "{job}");

    // The teacher sees it on the import report.
    let report_page = app.client.get(app.url(&format!("/teach/courses/{course}/report"))).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(report_page.contains("id=\"video-renditions\"") && report_page.contains("data-state=\"done\""), "{report_page}");

    // The lesson page offers the renditions.
    let course_json: Value = app.client.get(app.url(&format!("/api/v1/courses/{course}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let lesson = course_json["items"][0]["page_url"].as_str().unwrap().to_string();
    let html = app.get(&lesson).await.text().await.unwrap();
    let master_url = attr(&html, "data-hls");
    assert!(!html.contains("hls.light.min.js\"></script>"), "hls.js is loaded only where needed");
    let poster_url = attr(&html, "poster");
    let choices: Value = serde_json::from_str(&attr(&html, "data-choices")).unwrap();
    let keys: Vec<&str> = choices.as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["smooth", "standard", "high", "audio"], "{choices}");

    // The master playlist and every media playlist parse; each segment is served, with ranges.
    let master_bytes = app.get(&master_url).await.bytes().await.unwrap();
    let Ok(m3u8_rs::Playlist::MasterPlaylist(master)) = m3u8_rs::parse_playlist_res(&master_bytes) else { panic!("master: {}", String::from_utf8_lossy(&master_bytes)) };
    assert_eq!(master.variants.len(), 5);
    let heights: Vec<u64> = master.variants.iter().map(|v| v.resolution.map_or(0, |r| r.height)).collect();
    assert_eq!(heights, [240, 360, 480, 720, 0]);
    assert!(master.variants[0].bandwidth < 350_000, "240p fits a slow link: {}", master.variants[0].bandwidth);
    assert!(master.variants[4].bandwidth < 80_000, "audio only: {}", master.variants[4].bandwidth);
    let base = master_url.rsplit_once('/').unwrap().0.to_string();
    for variant in &master.variants {
        let playlist_url = format!("{base}/{}", variant.uri);
        let res = app.get(&playlist_url).await;
        assert_eq!(res.status(), 200, "{playlist_url}");
        assert_eq!(res.headers()["content-type"], "application/vnd.apple.mpegurl");
        let bytes = res.bytes().await.unwrap();
        let Ok(m3u8_rs::Playlist::MediaPlaylist(media)) = m3u8_rs::parse_playlist_res(&bytes) else { panic!("media playlist {}", variant.uri) };
        assert!(media.end_list && media.segments.len() >= 2, "{} segments", media.segments.len());
        let dir_url = playlist_url.rsplit_once('/').unwrap().0.to_string();
        let init = media.segments[0].map.as_ref().expect("fMP4 init section").uri.clone();
        assert_eq!(app.get(&format!("{dir_url}/{init}")).await.status(), 200);
        for seg in &media.segments {
            assert!(seg.duration <= 4.6, "segments of about 4 s: {}", seg.duration);
            let url = format!("{dir_url}/{}", seg.uri);
            let ranged = app.client.get(app.url(&url)).header("range", "bytes=0-99").send().await.unwrap();
            assert_eq!(ranged.status(), 206, "{url}");
            assert_eq!(ranged.bytes().await.unwrap().len(), 100);
        }
    }

    // Progressive files: the 240p MP4 is 240 lines of H.264 with AAC; audio only has no picture.
    let smooth = choices[0]["url"].as_str().unwrap();
    let streams = ffprobe(&app.get(smooth).await.bytes().await.unwrap());
    let v = streams["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == "video").unwrap();
    assert_eq!((v["codec_name"].as_str(), v["height"].as_i64()), (Some("h264"), Some(240)));
    assert!(streams["streams"].as_array().unwrap().iter().any(|s| s["codec_type"] == "audio" && s["codec_name"] == "aac" && s["channels"] == 1));
    let audio = ffprobe(&app.get(choices[3]["url"].as_str().unwrap()).await.bytes().await.unwrap());
    assert!(audio["streams"].as_array().unwrap().iter().all(|s| s["codec_type"] == "audio"), "{audio}");
    // The strip of frames for seeking by picture, and its WebVTT cues.
    let strip = attr(&html[html.find("id=\"filmstrip\"").expect("a filmstrip")..], "data-url");
    let sprite = ffprobe(&app.get(&strip).await.bytes().await.unwrap());
    assert_eq!((sprite["streams"][0]["width"].as_i64(), sprite["streams"][0]["height"].as_i64()), (Some(160), Some(90)), "{sprite}");
    let vtt = app.get(&strip.replace("thumbs.jpg", "thumbs.vtt")).await.text().await.unwrap();
    assert!(vtt.starts_with("WEBVTT") && vtt.contains("00:00:00.000 --> 00:00:08.") && vtt.contains("thumbs.jpg#xywh=0,0,160,90"), "{vtt}");
    let poster = app.get(&poster_url).await;
    assert_eq!(poster.headers()["content-type"], "image/jpeg");
    assert!(poster.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));

    // A token for another version reaches none of these files.
    let other = app.url(&master_url).replacen("/content/1/", "/content/999/", 1);
    assert_ne!(app.client.get(other).send().await.unwrap().status(), 200);

    // The admin sees what the renditions take in storage.
    let admin_res = app.client.get(app.url("/admin")).bearer_auth(&token).header("accept-language", "en").send().await.unwrap();
    let status = admin_res.status();
    let admin_page = admin_res.text().await.unwrap();
    assert_eq!(status, 200, "{}", &admin_page[..500.min(admin_page.len())]);
    let storage = &admin_page[admin_page.find("id=\"storage\"").expect("a storage figure")..];
    let renditions_count = courseware::db::blobs::totals(&app.db).await.unwrap().rendition_files;
    assert!(renditions_count > 20 && storage.contains(&format!("video renditions: {renditions_count} files")), "{}", &storage[..300.min(storage.len())]);

    // Deleting the course and collecting garbage removes the renditions' blobs too.
    let blobs_before = courseware::db::blobs::all(&app.db).await.unwrap().len();
    courseware::db::courses::delete(&app.db, course).await.unwrap();
    let out = app.cli(&["gc", "--min-age-secs", "0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let blobs_after = courseware::db::blobs::all(&app.db).await.unwrap().len();
    assert!(blobs_before > 20 && blobs_after == 0, "{blobs_before} blobs before, {blobs_after} after gc");
    assert!(renditions_rows(&app).await == 0);
}

async fn renditions_rows(app: &TestApp) -> i64 {
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM renditions").fetch_one(&app.db.pool).await.unwrap();
    row.0
}

#[tokio::test]
async fn without_ffmpeg_the_import_and_the_teacher_are_told_and_the_original_plays() {
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRANSCODE_WORKERS", "1"), ("COURSEWARE_FFMPEG", "/nonexistent/ffmpeg")]).await;
    if !have_ffmpeg() {
        return;
    }
    let token = admin_token(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let res = app.upload(&token, &video_package(dir.path(), 2)).await;
    assert_eq!(res.status(), 201);
    let report: Value = res.json().await.unwrap();
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("lesson.mp4") && warnings.contains("ffmpeg was not found"), "{report}");
    let course = report["course_id"].as_i64().unwrap();
    let job = wait_for_state(&app, &token, course, &["unavailable"], Duration::from_secs(30)).await;
    assert!(job["message"].as_str().unwrap().contains("apt-get install ffmpeg"), "{job}");
    let course_json: Value = app.client.get(app.url(&format!("/api/v1/courses/{course}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let html = app.get(course_json["items"][0]["page_url"].as_str().unwrap()).await.text().await.unwrap();
    assert!(!html.contains("data-hls"), "no renditions offered");
    let original = course_json["items"][0]["url"].as_str().unwrap();
    assert!(html.contains(&format!("src=\"{}\"", original.replace('/', "&#x2F;"))) || html.contains(&format!("src=\"{original}\"")), "the original plays");
}

/// A server of its own over the test's data folder and database, with renditions on.
fn start_server(app: &TestApp) -> (std::process::Child, String) {
    app.start_server_process(&[("COURSEWARE_IMPORT_DEMO", "false"), ("COURSEWARE_CONTENT_BIND", "127.0.0.1:0"), ("COURSEWARE_TRANSCODE_WORKERS", "1")])
}

#[tokio::test]
async fn a_job_whose_server_is_killed_is_taken_again_after_a_restart() {
    if !have_ffmpeg() {
        return;
    }
    // The test's own server runs no jobs: the child processes do.
    let app = spawn_app_with_env(Options { import_demo: false }, &[]).await;
    let token = admin_token(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let res = app.upload(&token, &video_package(dir.path(), 40)).await;
    assert_eq!(res.status(), 201);
    let course = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    assert_eq!(wait_for_state(&app, &token, course, &["queued"], Duration::from_secs(5)).await["state"], "queued", "queued until a worker takes it");

    let (mut first, _) = start_server(&app);
    let running = wait_for_state(&app, &token, course, &["running", "done"], Duration::from_secs(60)).await;
    assert_eq!(running["state"], "running", "{running}");
    // Let it get some way in, then kill the server (and with it ffmpeg) mid-job.
    let start = Instant::now();
    while renditions(&app, &token, course).await["videos"][0]["percent"].as_u64().unwrap_or(0) < 5 && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    unsafe { libc::kill(first.id() as i32, libc::SIGKILL) };
    first.wait().unwrap();
    let stuck = renditions(&app, &token, course).await;
    assert_eq!(stuck["videos"][0]["state"], "running", "the killed worker's lease still holds: {stuck}");
    assert_eq!(renditions_rows(&app).await, 0, "nothing half-made is recorded");

    let (mut second, _) = start_server(&app);
    let done = wait_for_state(&app, &token, course, &["done", "failed"], Duration::from_secs(300)).await;
    unsafe { libc::kill(second.id() as i32, libc::SIGKILL) };
    second.wait().unwrap();
    assert_eq!(done["state"], "done", "{done}");
    let attempts: (i64,) = sqlx::query_as("SELECT attempts FROM media_jobs").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(attempts.0, 2, "taken again once");
    assert!(renditions_rows(&app).await > 10);
    let leftovers: Vec<_> = std::fs::read_dir(app.data_dir.path().join("tmp/renditions")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "the killed attempt's folder is gone: {leftovers:?}");
}

/// Imports a 6 s video, waits for its renditions and returns its lesson page's address.
async fn rendered_lesson(app: &TestApp) -> String {
    let token = admin_token(app).await;
    let dir = tempfile::tempdir().unwrap();
    let res = app.upload(&token, &video_package(dir.path(), 6)).await;
    let course = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    assert_eq!(wait_for_state(app, &token, course, &["done", "failed"], Duration::from_secs(240)).await["state"], "done");
    let course_json: Value = app.client.get(app.url(&format!("/api/v1/courses/{course}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    app.url(course_json["items"][0]["page_url"].as_str().unwrap())
}

#[tokio::test]
async fn the_lesson_page_plays_a_rendition_and_remembers_the_learners_choice() {
    if !have_ffmpeg() {
        return;
    }
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRANSCODE_WORKERS", "1")]).await;
    let Some(browser) = crate::webdriver::Browser::start("the_lesson_page_plays_a_rendition_and_remembers_the_learners_choice").await else { return };
    let lesson = rendered_lesson(&app).await;

    browser.goto(&lesson).await;
    assert!(browser.wait_for("document.querySelector('video#player') && document.querySelector('video#player').readyState >= 1", Duration::from_secs(20)).await, "metadata of a rendition");
    let auto = browser.eval("const v = document.querySelector('video#player'); return [v.currentSrc, v.canPlayType('application/vnd.apple.mpegurl'), document.getElementById('quality').value];").await;
    let src = auto[0].as_str().unwrap();
    let native_hls = auto[1].as_str().unwrap() != "";
    assert!(if native_hls { src.ends_with("/hls/master.m3u8") } else { src.contains(".mp4") }, "automatic pick: {auto}");
    assert_eq!(auto[2], "auto");
    assert_eq!(browser.play_muted_video().await, "playing");
    assert!(browser.wait_for("document.querySelector('video#player').currentTime > 1", Duration::from_secs(20)).await, "plays");

    // The learner picks audio only: the position is kept, and the choice outlives the page.
    let at = browser.eval("return document.querySelector('video#player').currentTime").await.as_f64().unwrap();
    browser.eval("const s = document.getElementById('quality'); s.value = 'audio'; s.dispatchEvent(new Event('change'));").await;
    assert!(browser.wait_for("document.querySelector('video#player').currentSrc.endsWith('/audio.m4a') && document.querySelector('video#player').readyState >= 1", Duration::from_secs(20)).await, "audio only");
    assert!(browser.wait_for(&format!("document.querySelector('video#player').currentTime >= {}", at - 0.5), Duration::from_secs(10)).await, "position kept after the switch");
    browser.goto(&lesson).await;
    assert!(browser.wait_for("document.querySelector('video#player') && document.querySelector('video#player').currentSrc.endsWith('/audio.m4a')", Duration::from_secs(20)).await, "remembered on this device");
    assert_eq!(browser.eval("return document.getElementById('quality').value").await, "audio");
    let no_errors = browser.eval("return document.querySelector('video#player').error === null").await;
    assert_eq!(no_errors, true);
}

#[tokio::test]
async fn without_native_hls_the_vendored_hls_js_plays_the_master_playlist() {
    if !have_ffmpeg() {
        return;
    }
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRANSCODE_WORKERS", "1")]).await;
    let Some(browser) = crate::webdriver::Browser::start("without_native_hls_the_vendored_hls_js_plays_the_master_playlist").await else { return };
    let lesson = rendered_lesson(&app).await;
    // A browser that does not play HLS itself (Firefox, older Chromium), as far as the page can tell.
    browser.cdp("Page.enable", serde_json::json!({})).await;
    browser
        .cdp("Page.addScriptToEvaluateOnNewDocument", serde_json::json!({"source":
            "const orig = HTMLMediaElement.prototype.canPlayType; HTMLMediaElement.prototype.canPlayType = function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };"}))
        .await;
    browser.goto(&lesson).await;
    assert!(browser.wait_for("window.Hls !== undefined", Duration::from_secs(20)).await, "hls.js loaded from this server");
    assert!(browser.wait_for("document.querySelector('video#player').readyState >= 1", Duration::from_secs(20)).await);
    let src = browser.eval("return document.querySelector('video#player').currentSrc").await;
    assert!(src.as_str().unwrap().starts_with("blob:"), "played through Media Source Extensions: {src}");
    let scripts = browser.eval("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('hls.light.min.js'))").await;
    assert!(scripts[0].as_str().unwrap().starts_with(&app.address), "vendored, not from a CDN: {scripts}");
    assert_eq!(browser.play_muted_video().await, "playing");
    assert!(browser.wait_for("document.querySelector('video#player').currentTime > 1", Duration::from_secs(20)).await, "plays");
}

#[tokio::test]
async fn a_course_kept_offline_holds_the_chosen_rendition_and_plays_it_without_a_network() {
    if !have_ffmpeg() {
        return;
    }
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRANSCODE_WORKERS", "1")]).await;
    let Some(browser) = crate::webdriver::Browser::start("a_course_kept_offline_holds_the_chosen_rendition").await else { return };
    let lesson = rendered_lesson(&app).await;
    let course_id: i64 = lesson.split("/courses/").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    let learner = crate::progress::learner(&app, "offline_learner", None, None).await;

    // The list for the download: the smallest picture and the poster instead of the upload.
    let list = |quality: &'static str| {
        let (app, token) = (&app, learner.token.clone());
        async move {
            let res = app.client.get(app.url(&format!("/api/v1/courses/{course_id}/offline?quality={quality}"))).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            body["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "file").map(|e| e["key"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    let smooth = list("smooth").await;
    assert!(smooth.iter().any(|k| k.ends_with("/240p.mp4")) && smooth.iter().any(|k| k.ends_with("/poster.jpg")), "{smooth:?}");
    assert!(!smooth.iter().any(|k| k.ends_with("/lesson.mp4")), "the upload is not kept when a rendition is: {smooth:?}");
    assert!(list("audio").await.iter().any(|k| k.ends_with("/audio.m4a")));
    let bad = app.client.get(app.url(&format!("/api/v1/courses/{course_id}/offline?quality=huge"))).bearer_auth(&learner.token).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    crate::offline_browser::sign_in_at(&browser, &app.address, "offline_learner").await;
    crate::offline_browser::open_course_page(&browser, &app.address, course_id).await;
    let status = crate::offline_browser::download_course(&browser).await;
    assert_eq!(browser.eval("return !document.querySelector('#offline .offline-remove').hidden;").await, true, "downloaded: {status}");

    // No network: the lesson plays the rendition kept on the device.
    crate::offline_browser::emulate_offline(&browser, true).await;
    browser.goto(&lesson).await;
    assert!(browser.wait_for("document.querySelector('video#player') && document.querySelector('video#player').readyState >= 1", Duration::from_secs(15)).await, "the video opens offline");
    let src = browser.eval("return [document.querySelector('video#player').currentSrc, document.getElementById('quality').value]").await;
    assert!(src[0].as_str().unwrap().ends_with("/240p.mp4"), "{src}");
    assert_eq!(src[1], "smooth");
    assert_eq!(browser.play_muted_video().await, "playing");
    assert!(browser.wait_for("document.querySelector('video#player').currentTime > 1", Duration::from_secs(15)).await, "plays offline");
    crate::offline_browser::emulate_offline(&browser, false).await;
}
