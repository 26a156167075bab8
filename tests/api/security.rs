//! Security regressions through the real server: uploaded files never run as documents on
//! the application's origin, duplicated session cookies sign out, the sign-in throttle holds
//! under parallel load and across instances without locking the owner out, forwarding
//! headers count only from trusted proxies, and redirects stay on the site.

use std::io::Write;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::helpers::{spawn_app_with, spawn_app_with_env, Options, TestApp};

/// A zip of `(name, bytes)` entries.
pub fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Uploads `zip` as teacher `username` of school A1, opens the course to everyone, and
/// returns (course id, version id, media token) for building `/content/` URLs.
pub async fn upload_open_course(app: &TestApp, username: &str, name: &str, zip: Vec<u8>) -> (i64, i64, String) {
    let org = app.org().await;
    let teacher = app.add_user(username, "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/packages?name={name}")))
        .bearer_auth(&token)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let report: Value = res.json().await.unwrap();
    assert!(status.is_success(), "upload: {report}");
    let course_id = report["course_id"].as_i64().unwrap();
    courseware::db::courses::update_settings(&app.db, course_id, true, courseware::domain::Visibility::Open).await.unwrap();
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{course_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let url = course["items"].as_array().unwrap().iter().find_map(|i| i["url"].as_str()).expect("an item with a media URL").to_string();
    let mut parts = url.trim_start_matches("/content/").splitn(3, '/');
    let version: i64 = parts.next().unwrap().parse().unwrap();
    let media_token = parts.next().unwrap().to_string();
    (course_id, version, media_token)
}

/// Bodies a browser might take for a document if it sniffed: the magic of each kind.
const MAGICS: &[&[u8]] = &[
    b"<!doctype html><script>parent.pwned=1</script>",
    b"<html><body onload=alert(1)>",
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    b"<?xml version=\"1.0\"?><?xml-stylesheet href=\"x.xsl\"?><x/>",
    b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    b"GIF89a\x01\0\x01\0",
    b"\0\0\0\x18ftypmp42\0\0\0\0",
    b"alert(document.cookie)",
    b"plain words",
];

/// Extensions the importer stores (every file of a package is stored and served), with the
/// ones that were missed by an extension list: `.shtml`, `.xht`, `.svgz`.
const EXTENSIONS: &[&str] = &[
    "html", "htm", "shtml", "xhtml", "xht", "xml", "xsl", "xslt", "svg", "svgz", "mht", "mhtml", "hta", "php",
    "js", "mjs", "json", "css", "txt", "text", "md", "csv", "vtt", "srt", "rss", "atom", "rdf", "xul", "wml",
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "bmp", "ico", "avif", "mp4", "m4v", "webm", "ogv", "mov",
    "mp3", "m4a", "ogg", "oga", "wav", "flac", "aac", "swf", "zip", "doc", "docx", "ppt", "pptx", "xls",
    "xlsx", "epub", "woff", "woff2", "ttf", "wasm", "bin", "dat", "",
];

fn assert_inert(path: &str, res: &reqwest::Response) {
    let headers = res.headers();
    assert_eq!(headers.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}: {headers:?}");
    let csp = headers.get("content-security-policy").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let directives: Vec<&str> = csp.split_whitespace().collect();
    assert_eq!(directives.first(), Some(&"sandbox"), "{path} must be sandboxed on the app origin: {headers:?}");
    assert!(!directives.contains(&"allow-same-origin"), "{path}: {csp}");
}

#[tokio::test]
async fn no_uploaded_file_runs_as_a_document_on_the_application_origin() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let mut files: Vec<(String, Vec<u8>)> = vec![("lesson.html".into(), b"<p>lesson</p>".to_vec())];
    // Every known extension with every kind of content: an HTML file named .png, an SVG
    // named .txt, a PDF named .html ...
    for (i, ext) in EXTENSIONS.iter().enumerate() {
        let magic = MAGICS[i % MAGICS.len()];
        let name = if ext.is_empty() { format!("noext{i}") } else { format!("known/f{i}.{ext}") };
        files.push((name, magic.to_vec()));
    }
    // Fuzz: random extensions (letters, digits, doubled, upper case) and random bodies.
    for i in 0..150 {
        let len = rng.gen_range(1..7);
        let mut ext: String = (0..len).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyzHTMLSVG0123456789"[rng.gen_range(0..43)])).collect();
        if rng.gen_bool(0.3) {
            ext = format!("{}.{ext}", EXTENSIONS[rng.gen_range(0..EXTENSIONS.len())]);
        }
        let mut body = MAGICS[rng.gen_range(0..MAGICS.len())].to_vec();
        body.extend((0..rng.gen_range(0..64)).map(|_| rng.gen::<u8>()));
        files.push((format!("fuzz/r{i}.{ext}"), body));
    }
    let (_, version, token) = upload_open_course(&app, "xss-teacher", "types.zip", zip_of(&files)).await;
    for (name, body) in &files {
        let path = format!("/content/{version}/{token}/{name}");
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_inert(&path, &res);
        assert_eq!(&res.bytes().await.unwrap()[..], &body[..], "{path}: served as stored");
        let head = app.client.head(app.url(&path)).send().await.unwrap();
        assert_inert(&path, &head);
        let range = app.client.get(app.url(&path)).header("range", "bytes=0-3").send().await.unwrap();
        assert_inert(&path, &range);
    }
    // Errors on the content path are documents too.
    for path in [
        format!("/content/{version}/{token}/missing.shtml"),
        format!("/content/{version}/bad-token/lesson.html"),
        format!("/content/{version}/{token}/%2e%2e/%2e%2e/etc/passwd"),
    ] {
        let res = app.get(&path).await;
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        assert_inert(&path, &res);
    }
    // And nothing anywhere is sniffed.
    for path in ["/", "/login", "/static/style.css", "/healthz", "/api/v1/courses", "/no-such-page"] {
        let res = app.get(path).await;
        assert_eq!(res.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
    }
}

/// Signs `client` in as `username` (password `<username>-password`) from `address`, seen
/// through a trusted proxy at 127.0.0.1 via `X-Forwarded-For`.
async fn sign_in_from(app: &TestApp, client: &reqwest::Client, username: &str, password: &str, address: &str) -> reqwest::StatusCode {
    client
        .post(app.url("/login"))
        .header("x-forwarded-for", address)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap()
}

#[tokio::test]
async fn a_hundred_parallel_guesses_get_at_most_five_checks_and_the_owner_still_signs_in() {
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.add_user("owner", "student", None, None).await;
    let known = "198.51.100.20";
    assert_eq!(sign_in_from(&app, &fresh_client(), "owner", "owner-password", known).await, 303, "the owner's usual address");

    // A second instance on the same database: reservations must be seen across instances.
    let second = app.restart().await;
    let second_url = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    let attacker = "203.0.113.66";
    let mut burst = Vec::new();
    for i in 0..100 {
        let base = if i % 2 == 0 { app.address.clone() } else { second_url.clone() };
        burst.push(tokio::spawn(async move {
            let res = fresh_client()
                .post(format!("{base}/login"))
                .header("x-forwarded-for", attacker)
                .form(&[("username", "owner"), ("password", format!("guess-{i}").as_str())])
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in burst {
        statuses.push(task.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!((1..=5).contains(&checked), "at most five passwords checked, got {checked}: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 100 - checked, "the rest refused unchecked: {statuses:?}");

    // The right password in the next over-limit burst does not sign the attacker in.
    let mut burst = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { app.address.clone() } else { second_url.clone() };
        let password = if i == 9 { "owner-password".to_string() } else { format!("guess-{i}") };
        burst.push(tokio::spawn(async move {
            let res = fresh_client().post(format!("{base}/login")).header("x-forwarded-for", attacker).form(&[("username", "owner"), ("password", password.as_str())]).send().await.unwrap();
            res.status().as_u16()
        }));
    }
    for task in burst {
        assert_eq!(task.await.unwrap(), 429);
    }
    // The owner from their usual address is not.
    assert_eq!(sign_in_from(&app, &fresh_client(), "owner", "owner-password", known).await, 303);
    let res = fresh_client()
        .post(format!("{second_url}/login"))
        .header("x-forwarded-for", known)
        .form(&[("username", "owner"), ("password", "owner-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "and on the other instance");
    // From an address never used before the owner is slowed, not locked out for good:
    // the answer says how long to wait, and an admin can lift it at once.
    let new_place = "192.0.2.77";
    let res = fresh_client()
        .post(app.url("/login"))
        .header("x-forwarded-for", new_place)
        .form(&[("username", "owner"), ("password", "owner-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "an unknown address waits while the account is under attack");
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    let admin = fresh_client();
    assert_eq!(sign_in_from(&app, &admin, "admin", crate::helpers::ADMIN_PASSWORD, "192.0.2.1").await, 303);
    let csrf = admin.get(app.url("/api/v1/me")).send().await.unwrap().json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let owner_id = courseware::db::users::find_by_username(&app.db, "owner").await.unwrap().unwrap().id;
    let res = admin.post(app.url(&format!("/admin/users/{owner_id}/unlock"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("owner"));
    assert_eq!(sign_in_from(&app, &fresh_client(), "owner", "owner-password", new_place).await, 303, "unlocked by the admin");
    let audit: Vec<(String,)> = sqlx::query_as("SELECT action FROM audit_log WHERE action = 'user.unlock'").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    // No trusted proxy: a client rotating X-Forwarded-For is still one address.
    let app = spawn_app_with(Options { import_demo: false }).await;
    app.add_user("victim", "student", None, None).await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(sign_in_from(&app, &fresh_client(), "victim", "wrong", &format!("10.9.{i}.1")).await.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    let res = app
        .client
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("cw_session=") && !cookie.contains("Secure"), "a client's X-Forwarded-Proto is not believed: {cookie}");

    // Behind a trusted proxy that says HTTPS: a Secure `__Host-` cookie.
    let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let client = fresh_client();
    let res = client
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .header("origin", format!("https://127.0.0.1:{}", app.port))
        .form(&[("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-cw_session=") && cookie.contains("Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    // Over HTTPS only the `__Host-` cookie is read: a plain one (which any http page on the
    // host could plant) is no session there.
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let over_https = |cookie: String| {
        reqwest::Client::new().get(app.url("/api/v1/me")).header("x-forwarded-proto", "https").header("cookie", cookie).send()
    };
    assert_eq!(over_https(format!("__Host-cw_session={value}")).await.unwrap().status(), 200);
    assert_eq!(over_https(format!("cw_session={value}")).await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_login_origin_check_compares_the_scheme() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let form = [("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD)];
    for (origin, expected) in [
        (format!("https://127.0.0.1:{}", app.port), 403),
        (format!("http://127.0.0.1:{}.evil.example", app.port), 403),
        ("null".to_string(), 403),
        (format!("http://127.0.0.1:{}", app.port), 303),
    ] {
        let res = fresh_client().post(app.url("/login")).header("origin", origin.as_str()).form(&form).send().await.unwrap();
        assert_eq!(res.status(), expected, "Origin: {origin}");
    }
}

#[tokio::test]
async fn a_duplicated_session_cookie_signs_out_and_is_cleared() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    app.add_user("victim", "student", None, None).await;
    app.add_user("mallory", "student", None, None).await;
    let session_of = |res: &reqwest::Response| {
        res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1.to_string()
    };
    let res = fresh_client().post(app.url("/login")).form(&[("username", "victim"), ("password", "victim-password")]).send().await.unwrap();
    let victim = session_of(&res);
    let res = fresh_client().post(app.url("/login")).form(&[("username", "mallory"), ("password", "mallory-password")]).send().await.unwrap();
    let mallory = session_of(&res);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let me = plain.get(app.url("/api/v1/me")).header("cookie", format!("cw_session={victim}")).send().await.unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["user"]["username"], "victim");
    // The browser sends the more specific path first: the tossed cookie would win.
    for header in [format!("cw_session={mallory}; cw_session={victim}"), format!("cw_session={victim}; lang=en; cw_session={mallory}")] {
        let res = plain.get(app.url("/api/v1/me")).header("cookie", header.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 401, "{header}: signed out, as neither");
        let page = plain.get(app.url("/courses/1/lessons/2")).header("cookie", header.as_str()).send().await.unwrap();
        let cleared: Vec<String> = page.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        for path in ["/", "/courses", "/courses/", "/courses/1", "/courses/1/lessons", "/courses/1/lessons/2"] {
            assert!(
                cleared.iter().any(|c| c.starts_with("cw_session=;") && c.contains(&format!("Path={path};")) && c.contains("Max-Age=0")),
                "cleared for {path}: {cleared:?}"
            );
        }
    }
    // A posted form with both cookies acts for nobody, whatever CSRF token it carries.
    let res = plain
        .post(app.url("/account/password"))
        .header("cookie", format!("cw_session={mallory}; cw_session={victim}"))
        .form(&[("current", "victim-password"), ("new", "changed-by-x"), ("confirm", "changed-by-x")])
        .send()
        .await
        .unwrap();
    assert!(matches!(res.status().as_u16(), 303 | 401 | 403), "{}", res.status());
    assert_eq!(sign_in_from(&app, &fresh_client(), "victim", "victim-password", "").await, 303, "password unchanged");
}

#[tokio::test]
async fn an_invalid_bearer_token_is_401_even_on_public_routes() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    for path in ["/", "/api/v1/courses", "/courses/1", "/login"] {
        let res = app.client.get(app.url(path)).header("authorization", "Bearer garbage").send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let challenge = res.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer") && challenge.contains("invalid_token"), "{challenge}");
    }
    let res = app.client.get(app.url("/api/v1/courses")).send().await.unwrap();
    assert_eq!(res.status(), 200, "no token at all is a guest");
    let admin = courseware::db::users::find_by_username(&app.db, "admin").await.unwrap().unwrap().id;
    let token = app.token_for(admin).await;
    let res = app.client.get(app.url("/api/v1/me")).header("authorization", format!("bearer {token}")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the scheme is case-insensitive");
}

#[tokio::test]
async fn redirects_stay_on_the_site() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let hostile = ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "%2F%2Fevil.example", "https://evil.example/", "/%0d%0aSet-Cookie:%20x=1", "/\\/evil.example"];
    for next in hostile {
        let res = app.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(res.status(), 303, "{next}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with('/') && !location.starts_with("//") && !location.contains('\\') && !location.contains("evil"), "{next} -> {location:?}");
        assert!(!location.bytes().any(|b| b.is_ascii_control()), "{next} -> {location:?}");

        let page = app.get(&format!("/login?next={next}")).await;
        assert_eq!(page.status(), 200, "{next}");
        let res = fresh_client()
            .post(app.url("/login"))
            .body(format!("username=admin&password={}&next={next}", crate::helpers::ADMIN_PASSWORD))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with('/') && !location.starts_with("//") && !location.contains("evil"), "{next} -> {location:?}");
    }
    let res = app.get("/lang/en?next=/courses/7%3Ftab%3Dx").await;
    assert_eq!(res.headers()["location"], "/courses/7?tab=x", "same-site paths still work");
}

#[tokio::test]
async fn a_content_origin_on_the_application_host_is_warned_about() {
    // At start, on stderr (stdout stays the one address line scripts read).
    for (content_bind, warned) in [("127.0.0.1:0", true), ("localhost:0", false)] {
        let data = tempfile::tempdir().unwrap();
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_courseware"))
            .args(["--bind", "127.0.0.1:0", "--data-dir", data.path().to_str().unwrap(), "serve"])
            .env("COURSEWARE_CONTENT_BIND", content_bind)
            .env("COURSEWARE_IMPORT_DEMO", "false")
            .env("COURSEWARE_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
            .env("COURSEWARE_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The first start prints the admin account first; the address line comes last.
        let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("is serving on") {
            line.clear();
            assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0, "the server stopped before serving");
        }
        assert!(line.contains("is serving on http://127.0.0.1:"), "{line}");
        server.kill().unwrap();
        let output = server.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.contains("warning: package content"), warned, "{content_bind}: {stderr}");
    }
    // On /admin, compared with the host the admin is using.
    for (content_bind, warned) in [("127.0.0.1:0", true), ("localhost:0", false)] {
        let app = spawn_app_with_env(Options { import_demo: false }, &[("COURSEWARE_CONTENT_BIND", content_bind)]).await;
        let admin = fresh_client();
        assert_eq!(sign_in_from(&app, &admin, "admin", crate::helpers::ADMIN_PASSWORD, "").await, 303);
        let page = admin.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
        assert_eq!(page.contains("id=\"content-origin-warning\""), warned, "{content_bind}");
    }
}
