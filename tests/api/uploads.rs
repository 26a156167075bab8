//! Resumable uploads: a connection cut mid-upload resumes from the acknowledged offset,
//! and the browser form shows real progress and ends on the new course; a restart clears
//! spool files that a killed process left and keeps uploads in progress.

use std::io::{Read, Write};
use std::time::Duration;

use crate::helpers::{fixtures_dir, spawn_app_with, Options};
use crate::webdriver::Browser;

#[tokio::test]
async fn tus_upload_cut_mid_way_resumes_and_imports() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let package = std::fs::read(fixtures_dir().join("scorm2004/golf-3rd-runtime-basic.zip")).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", package.len().to_string())
        .header("Upload-Metadata", "filename Z29sZi56aXA=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();

    // Send half the bytes on a raw socket, announcing all of them, then drop the connection.
    let half = package.len() / 2;
    let port = app.port;
    let (loc, tok, body) = (location.clone(), token.clone(), package[..half].to_vec());
    let total = package.len();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "PATCH {loc} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tok}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {total}\r\n\r\n").unwrap();
        s.write_all(&body).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        s.shutdown(std::net::Shutdown::Both).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    })
    .await
    .unwrap();

    let mut offset = 0u64;
    for _ in 0..50 {
        let head = app.client.head(app.url(&location)).bearer_auth(&token).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        assert_eq!(head.status(), 200);
        offset = head.headers()["upload-offset"].to_str().unwrap().parse().unwrap();
        if offset == half as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offset, half as u64, "every byte that arrived before the cut was kept");

    let res = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(package[offset as usize..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["upload-offset"], package.len().to_string());

    let id = location.rsplit('/').next().unwrap();
    let res = app.client.post(app.url("/teach/uploads/complete")).bearer_auth(&token).json(&serde_json::json!({"upload": id})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["report"]["format"], "scorm2004");
    assert!(body["redirect"].as_str().unwrap().starts_with("/courses/"));
    // The finished upload is gone; another user cannot see someone else's upload.
    let head = app.client.head(app.url(&location)).bearer_auth(&token).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(head.status(), 404);
}

/// Signs `teacher1` in through the login form and waits for the upload form.
async fn open_upload_form(app: &crate::helpers::TestApp, browser: &Browser) {
    browser.goto(&app.url("/login?next=/teach/upload")).await;
    browser.send_keys("input[name=username]", "teacher1").await;
    browser.send_keys("input[name=password]", "teacher1-password").await;
    browser.eval("document.querySelector('form.form').submit(); return true;").await;
    assert!(browser.wait_for("location.pathname === '/teach/upload' && document.getElementById('upload-form')", Duration::from_secs(10)).await, "signed in");
}

#[tokio::test]
async fn browser_upload_shows_progress_and_lands_on_the_new_course() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    app.add_user("teacher1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let Some(browser) = Browser::start("browser_upload_shows_progress_and_lands_on_the_new_course").await else { return };
    open_upload_form(&app, &browser).await;
    // A slow uplink, so the bar has time to move; record every value it shows.
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser.cdp("Network.emulateNetworkConditions", serde_json::json!({"offline": false, "latency": 20, "downloadThroughput": 5_000_000, "uploadThroughput": 150_000})).await;
    // sessionStorage survives the navigation to the course page at the end.
    browser.eval("const seen = []; setInterval(() => { seen.push(document.getElementById('upload-progress').value); sessionStorage.setItem('seen', JSON.stringify(seen)); }, 50); return true;").await;
    let package = fixtures_dir().join("scorm12/golf-multisco-onefilepersco.zip");
    let package = package.canonicalize().unwrap();
    browser.send_keys("input[type=file]", package.to_str().unwrap()).await;
    // Shared with everyone, so that a guest finds it in the catalog below.
    browser.eval("document.querySelector('#upload-form select[name=visibility]').value = 'open'; return true;").await;
    browser.eval("document.querySelector('#upload-form button[type=submit]').click(); return true;").await;
    assert!(browser.wait_for("location.pathname.startsWith('/courses/')", Duration::from_secs(60)).await, "landed on the course page");
    let seen: Vec<f64> = browser
        .eval("return JSON.parse(sessionStorage.getItem('seen') || '[]');")
        .await
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    let mut between: Vec<f64> = seen.iter().copied().filter(|v| *v > 0.0 && *v < 100.0).collect();
    between.dedup();
    assert!(between.len() >= 3, "the bar advanced through several values: {seen:?}");
    assert!(seen.windows(2).all(|w| w[1] >= w[0]), "the bar never went back: {seen:?}");
    let title = browser.eval("return document.querySelector('h1').textContent;").await;
    assert!(title.as_str().unwrap().contains("Golf"), "{title}");
    let catalog = app.get_json("/api/v1/courses").await;
    assert!(catalog.to_string().contains("Golf"), "the new course is in the catalog: {catalog}");

    // Every other valid package of the shared fixtures goes through the same form.
    browser.cdp("Network.emulateNetworkConditions", serde_json::json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})).await;
    let mut others = Vec::new();
    for folder in ["scorm12", "scorm2004", "cmi5", "imscc", "tolerated"] {
        for entry in std::fs::read_dir(fixtures_dir().join(folder)).unwrap() {
            others.push(entry.unwrap().path().canonicalize().unwrap());
        }
    }
    others.sort();
    for path in others {
        browser.goto(&app.url("/teach/upload")).await;
        assert!(browser.wait_for("document.getElementById('upload-form')", Duration::from_secs(10)).await);
        browser.send_keys("input[type=file]", path.to_str().unwrap()).await;
        browser.eval("document.querySelector('#upload-form button[type=submit]').click(); return true;").await;
        // A package the importer warned about lands on its import report first.
        assert!(
            browser.wait_for("location.pathname.startsWith('/courses/') || location.pathname.endsWith('/report')", Duration::from_secs(60)).await,
            "{} imported through the form",
            path.display()
        );
    }
}

#[tokio::test]
async fn import_warnings_are_shown_after_the_upload_and_on_the_workbench_until_dismissed() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    app.add_user("teacher1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    app.add_user("teacher2", "teacher", Some(org.school_b1), Some(org.region_b)).await;
    let Some(browser) = Browser::start("import_warnings_are_shown_after_the_upload_and_on_the_workbench_until_dismissed").await else { return };
    open_upload_form(&app, &browser).await;

    // A refused package: the form lists the importer's problems, not a bare status code.
    let broken = fixtures_dir().join("invalid/MalformedXml_SCORM12.zip").canonicalize().unwrap();
    browser.send_keys("input[type=file]", broken.to_str().unwrap()).await;
    browser.eval("document.querySelector('#upload-form button[type=submit]').click(); return true;").await;
    assert!(browser.wait_for("document.querySelectorAll('#upload-problems li').length > 0", Duration::from_secs(60)).await, "problems listed");
    let problems = browser.eval("return document.getElementById('upload-problems').textContent;").await;
    assert!(problems.as_str().unwrap().contains("imsmanifest.xml"), "the problem names the file: {problems}");
    let status = browser.eval("return document.getElementById('upload-status').textContent;").await;
    assert!(!status.as_str().unwrap().contains("HTTP 4"), "a message, not a status code: {status}");
    let enabled = browser.eval("return !document.querySelector('#upload-form button[type=submit]').disabled;").await;
    assert_eq!(enabled, serde_json::json!(true), "the form can be used again");

    // A package imported with a warning: the teacher lands on its report.
    let warned = fixtures_dir().join("tolerated/ItemWithNonExistentResourceId_SCORM12.zip").canonicalize().unwrap();
    browser.goto(&app.url("/teach/upload")).await;
    assert!(browser.wait_for("document.getElementById('upload-form')", Duration::from_secs(10)).await);
    browser.send_keys("input[type=file]", warned.to_str().unwrap()).await;
    browser.eval("document.querySelector('#upload-form button[type=submit]').click(); return true;").await;
    assert!(browser.wait_for("location.pathname.endsWith('/report')", Duration::from_secs(60)).await, "landed on the import report");
    let shown = browser.eval("return document.getElementById('import-warnings').textContent;").await;
    let shown = shown.as_str().unwrap().to_string();
    let path = browser.eval("return location.pathname;").await;
    let course_id: i64 = path.as_str().unwrap().split('/').nth(3).unwrap().parse().unwrap();
    let course = courseware::db::courses::get(&app.db, course_id).await.unwrap();
    let stored = courseware::db::versions::report(&app.db, course.latest_version_id.unwrap()).await.unwrap();
    let stored: Vec<serde_json::Value> = serde_json::from_str(&stored.warnings).unwrap();
    assert!(!stored.is_empty());
    for w in &stored {
        assert!(shown.contains(w["message"].as_str().unwrap()), "every stored warning is shown: {w} in {shown}");
    }
    let h1 = browser.eval("return document.querySelector('h1').textContent;").await;
    assert!(["导入报告", "Import report"].contains(&h1.as_str().unwrap()), "{h1}");

    // The workbench keeps saying so until the teacher dismisses it.
    browser.goto(&app.url("/teach")).await;
    assert!(browser.wait_for("document.querySelector('.import-warnings')", Duration::from_secs(10)).await, "the workbench shows the warning");
    let notice = browser.eval("return document.querySelector('.import-warnings').textContent;").await;
    let n = stored.len();
    assert!([format!("{n} 条提示"), format!("with {n} warnings")].iter().any(|t| notice.as_str().unwrap().contains(t.as_str())), "{notice}");
    // Another school's teacher can neither read nor dismiss it.
    let other = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    other.post(app.url("/login")).form(&[("username", "teacher2"), ("password", "teacher2-password")]).send().await.unwrap();
    let other_csrf = other.get(app.url("/api/v1/me")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(other.get(app.url(&format!("/teach/courses/{course_id}/report"))).send().await.unwrap().status(), 404);
    let dismiss = app.url(&format!("/teach/courses/{course_id}/versions/{}/dismiss", course.latest_version_id.unwrap()));
    assert_eq!(other.post(&dismiss).form(&[("csrf_token", other_csrf.as_str())]).send().await.unwrap().status(), 404);
    assert!(courseware::db::versions::report(&app.db, course.latest_version_id.unwrap()).await.unwrap().warnings_dismissed_at.is_none());

    browser.eval("document.querySelector('.import-warnings button[type=submit]').click(); return true;").await;
    assert!(browser.wait_for("location.pathname === '/teach' && !document.querySelector('.import-warnings')", Duration::from_secs(10)).await, "dismissed");
    browser.goto(&app.url("/teach")).await;
    assert!(browser.wait_for("document.querySelector('table.manage') && !document.querySelector('.import-warnings')", Duration::from_secs(10)).await, "stays dismissed");
    // The report itself stays readable.
    browser.goto(&app.url(&format!("/teach/courses/{course_id}/report"))).await;
    assert!(browser.wait_for("document.getElementById('import-warnings') && !document.querySelector('form[action$=dismiss]')", Duration::from_secs(10)).await);
}

#[tokio::test]
async fn a_restart_removes_stray_spool_files_and_a_tus_upload_in_progress_carries_on() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let package = std::fs::read(fixtures_dir().join("tolerated/ItemWithNonExistentResourceId_SCORM12.zip")).unwrap();
    let half = package.len() / 2;
    let tus = |client: &reqwest::Client, method: reqwest::Method, url: String| {
        client.request(method, url).bearer_auth(&token).header("Tus-Resumable", "1.0.0")
    };
    let res = tus(&app.client, reqwest::Method::POST, app.url("/api/v1/uploads"))
        .header("Upload-Length", package.len().to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(package[..half].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    // What a SIGKILL during a direct upload leaves, next to a roster waiting to be applied.
    let uploads = app.data_dir.path().join("uploads");
    std::fs::write(uploads.join("spool-AbC123"), vec![0u8; 4096]).unwrap();
    let staged = uploads.join("roster-9-00112233445566778899aabbccddeeff.csv");
    std::fs::write(&staged, b"username,name,class\n").unwrap();

    let restarted = app.restart().await;
    let base = format!("http://127.0.0.1:{}", restarted.port());
    tokio::spawn(restarted.run_until_stopped());
    assert!(!uploads.join("spool-AbC123").exists(), "the stray spool file is gone");
    assert!(staged.exists(), "a staged roster is not a spool file");

    let client = reqwest::Client::new();
    let head = tus(&client, reqwest::Method::HEAD, format!("{base}{location}")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"], half.to_string());
    let res = tus(&client, reqwest::Method::PATCH, format!("{base}{location}"))
        .header("Upload-Offset", half.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(package[half..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let id = location.rsplit('/').next().unwrap();
    let res = client.post(format!("{base}/teach/uploads/complete")).bearer_auth(&token).json(&serde_json::json!({"upload": id})).send().await.unwrap();
    assert_eq!(res.status(), 201, "the upload begun before the restart imports after it");
}
