//! What travels compressed over a slow link and what must not: pages, data and scripts
//! in brotli or gzip with `Vary`, media and ranges as stored bytes, versioned static files
//! cached for a year, and a lesson page that stays within its weight budget.

use std::io::Read;
use std::time::Duration;

use crate::helpers::{spawn_app, TestApp};
use crate::webdriver::Browser;

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("valid gzip");
    out
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &data[..], &mut out).expect("valid brotli");
    out
}

/// The same resource fetched as-is and with `encoding`: (identity body, encoded response's
/// headers, decoded body, encoded length).
async fn both(app: &TestApp, path: &str, encoding: &str, token: Option<&str>) -> (Vec<u8>, reqwest::header::HeaderMap, Vec<u8>, usize) {
    let get = |accept: &'static str| {
        let mut req = app.client.get(app.url(path)).header("accept-encoding", accept);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    };
    let plain = get("identity").send().await.unwrap();
    assert_eq!(plain.status(), 200, "{path}");
    assert!(!encoded(plain.headers()), "identity asked for {path}");
    let plain = plain.bytes().await.unwrap().to_vec();
    let accept = if encoding == "br" { "br" } else { "gzip" };
    let res = get(accept).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    let raw = res.bytes().await.unwrap().to_vec();
    let decoded = match headers.get("content-encoding").map(|v| v.to_str().unwrap().to_string()).as_deref() {
        Some("br") => unbrotli(&raw),
        Some("gzip") => gunzip(&raw),
        other => panic!("{path} with Accept-Encoding {accept}: Content-Encoding {other:?}"),
    };
    (plain, headers, decoded, raw.len())
}

/// Whether a response's body is encoded (the media server says `identity` outright).
fn encoded(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get("content-encoding").is_some_and(|v| v != "identity")
}

fn varies_on_encoding(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"))
}

#[tokio::test]
async fn pages_data_scripts_and_package_files_are_compressed_and_vary_on_accept_encoding() {
    let app = spawn_app().await;
    let org = app.org().await;
    let bureau = app.token_for(app.add_user("bureau_z", "bureau", None, Some(org.region_a)).await).await;
    let course = app.demo_course("rice-growing").await;
    let html_item = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "html").unwrap().clone();
    let package_page = html_item["url"].as_str().unwrap().to_string();

    let cases: Vec<(String, &str, Option<&str>)> = vec![
        ("/".into(), "br", None),
        (format!("/courses/{}", course["id"]), "gzip", None),
        ("/api/v1/courses".into(), "gzip", None),
        ("/api/v1/courses".into(), "br", None),
        ("/stats".into(), "br", Some(&bureau)),
        ("/stats/export/rollup".into(), "gzip", Some(&bureau)),
        (package_page.clone(), "br", None),
    ];
    for (path, encoding, token) in cases {
        let (plain, headers, decoded, encoded_len) = both(&app, &path, encoding, token).await;
        assert_eq!(decoded, plain, "{path}: the decoded body is the page");
        assert!(varies_on_encoding(&headers), "{path}: Vary: Accept-Encoding, so a cache keeps both: {headers:?}");
        // Small pages carry a larger share of prose that compresses less (a course page of
        // 3 KB, half of it the offline download's messages, saves 45%).
        if plain.len() > 4_000 {
            assert!(encoded_len * 2 < plain.len(), "{path}: {encoded_len} compressed of {} bytes", plain.len());
        } else if plain.len() > 2_000 {
            assert!(encoded_len * 10 < plain.len() * 6, "{path}: {encoded_len} compressed of {} bytes", plain.len());
        }
    }
    let csv = both(&app, "/stats/export/rollup", "gzip", Some(&bureau)).await.1;
    assert!(csv["content-type"].to_str().unwrap().starts_with("text/csv"));

}

#[tokio::test]
async fn an_svg_from_a_package_is_compressed() {
    let app = spawn_app().await;
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">{}</svg>", "<rect width=\"1\" height=\"1\" fill=\"green\"/>".repeat(100));
    let zip = crate::security::zip_of(&[("index.html".into(), b"<!doctype html><img src=\"diagram.svg\">".to_vec()), ("diagram.svg".into(), svg.clone().into_bytes())]);
    let (_, version, token) = crate::security::upload_open_course(&app, "svg_teacher", "svg", zip).await;
    let svg_url = courseware::app::views::content_url(version, &token, "diagram.svg");
    let (plain, headers, decoded, encoded_len) = both(&app, &svg_url, "gzip", None).await;
    assert_eq!(plain, svg.as_bytes());
    assert_eq!(decoded, plain);
    assert!(headers["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
    assert!(varies_on_encoding(&headers));
    assert!(encoded_len * 5 < plain.len(), "{encoded_len} of {}", plain.len());

    // The encoded representation has its own tag, and revalidating with it gets a 304.
    let identity_tag = app.client.get(app.url(&svg_url)).header("accept-encoding", "identity").send().await.unwrap().headers()["etag"].to_str().unwrap().to_string();
    let gzip_tag = headers["etag"].to_str().unwrap().to_string();
    assert_eq!(gzip_tag, format!("{}-gzip\"", identity_tag.trim_end_matches('"')));
    let again = app.client.get(app.url(&svg_url)).header("accept-encoding", "gzip").header("if-none-match", &gzip_tag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), gzip_tag);
    let other = app.client.get(app.url(&svg_url)).header("accept-encoding", "identity").header("if-none-match", &gzip_tag).send().await.unwrap();
    assert_eq!(other.status(), 200, "the gzip tag does not validate the plain bytes");
}

#[tokio::test]
async fn media_ranges_and_acknowledgements_travel_as_stored() {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let items = course["items"].as_array().unwrap().clone();
    let url_of = |kind: &str| items.iter().find(|i| i["kind"] == kind).unwrap()["url"].as_str().unwrap().to_string();
    for kind in ["video", "pdf"] {
        let url = url_of(kind);
        let plain = app.client.get(app.url(&url)).header("accept-encoding", "identity").send().await.unwrap().bytes().await.unwrap();
        let res = app.client.get(app.url(&url)).header("accept-encoding", "br, gzip").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(!encoded(res.headers()), "{kind} is sent as stored: {:?}", res.headers());
        assert_eq!(res.headers()["content-length"].to_str().unwrap(), plain.len().to_string(), "{kind}: a player needs the length");
        assert_eq!(res.bytes().await.unwrap(), plain);
    }

    // A range of a page that would otherwise be compressed: the bytes at those offsets.
    let page = url_of("html");
    let whole = app.client.get(app.url(&page)).header("accept-encoding", "identity").send().await.unwrap().bytes().await.unwrap();
    let res = app.client.get(app.url(&page)).header("accept-encoding", "gzip, br").header("range", "bytes=10-59").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert!(!encoded(res.headers()), "{:?}", res.headers());
    assert_eq!(res.bytes().await.unwrap(), whole.slice(10..60));
    let stale = app.client.get(app.url(&page)).header("accept-encoding", "gzip").header("range", "bytes=0-9").header("if-range", "\"stale\"").send().await.unwrap();
    assert_eq!(stale.status(), 200, "a stale If-Range gets the whole file");
    assert!(!encoded(stale.headers()), "as stored, so a later range still fits it");

    // Progress acknowledgements stay a few plain bytes.
    let learner = crate::progress::learner(&app, "压缩学生", None, None).await;
    let item = items.iter().find(|i| i["kind"] == "html").unwrap()["id"].as_i64().unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/progress/events"))
        .bearer_auth(&learner.token)
        .header("accept-encoding", "gzip, br")
        .json(&serde_json::json!({"events": [crate::progress::open("c1", item, crate::progress::now_ms() - 1_000)]}))
        .send()
        .await
        .unwrap();
    let headers = res.headers().clone();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(!encoded(&headers), "{headers:?}");
}

#[tokio::test]
async fn versioned_static_files_are_precompressed_and_cached_for_a_year() {
    let app = spawn_app().await;
    let page = app.get("/").await.text().await.unwrap();
    let start = page.find("/static/app.css?v=").expect("the page links the versioned stylesheet");
    let css_url: String = page[start..].chars().take_while(|c| *c != '"').collect();

    let (plain, headers, decoded, encoded_len) = both(&app, &css_url, "br", None).await;
    assert_eq!(decoded, plain);
    assert!(encoded_len * 3 < plain.len(), "brotli at its strongest: {encoded_len} of {}", plain.len());
    assert!(varies_on_encoding(&headers));
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    let br_etag = headers["etag"].to_str().unwrap().to_string();
    let gz = both(&app, &css_url, "gzip", None).await.1;
    let gz_etag = gz["etag"].to_str().unwrap().to_string();
    assert_ne!(br_etag, gz_etag, "each encoding is its own representation");

    let again = app.client.get(app.url(&css_url)).header("accept-encoding", "br").header("if-none-match", &br_etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    // Without the current version (an old page, a hand-typed URL) it may change: an hour.
    for url in ["/static/app.css", "/static/app.css?v=000000000000"] {
        let res = app.get(url).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "public, max-age=3600", "{url}");
    }
    // Every script and stylesheet a page links is versioned, on the lesson page too.
    app.add_user("versioned_learner", "student", None, None).await;
    app.login("versioned_learner").await;
    let course = app.demo_course("rice-growing").await;
    let video = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap()["page_url"].as_str().unwrap().to_string();
    let html = app.get(&video).await.text().await.unwrap();
    for asset in ["progress.js", "app.css"] {
        assert!(html.contains(&format!("/static/{asset}?v=")), "{asset} linked with its version");
    }
}

/// Bytes over the wire (headers included) of every document, script, stylesheet and data
/// request of the current window or frame; media excluded, and a frame's own requests are
/// counted inside that frame (its origin is the content host, which the page cannot read).
const TRANSFERRED_BEFORE_MEDIA: &str = "
    const nav = performance.getEntriesByType('navigation')[0];
    let total = nav ? nav.transferSize : 0;
    const listed = [location.href + ' ' + total];
    for (const e of performance.getEntriesByType('resource')) {
      if (['video', 'audio', 'img', 'image', 'track', 'css', 'iframe'].includes(e.initiatorType) && !/\\.(css|js)(\\?|$)/.test(e.name)) continue;
      if (/\\.(mp4|webm|mp3|m4a|png|jpe?g|gif|webp|vtt|pdf)(\\?|$)/.test(e.name)) continue;
      total += e.transferSize;
      listed.push(e.name + ' ' + e.transferSize);
    }
    return {total, listed};";

#[tokio::test]
async fn a_lesson_page_weighs_under_30_kb_compressed_before_media() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start("a_lesson_page_weighs_under_30_kb_compressed_before_media").await else { return };
    let course = app.demo_course("rice-growing").await;
    for kind in ["html", "video", "pdf"] {
        let item = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap().clone();
        browser.goto(&app.url(item["page_url"].as_str().unwrap())).await;
        assert!(browser.wait_for("document.readyState === 'complete'", Duration::from_secs(10)).await);
        if kind == "html" {
            assert!(
                browser.wait_for("(() => { const f = document.querySelector('iframe'); return f && f.contentDocument && f.contentDocument.readyState === 'complete'; })()", Duration::from_secs(10)).await
                    || browser.wait_for("document.querySelector('iframe') !== null", Duration::from_secs(1)).await,
                "lesson frame loaded"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let top = browser.eval(TRANSFERRED_BEFORE_MEDIA).await;
        let frame = if browser.eval("return document.querySelector('iframe') !== null").await == true {
            browser.enter_frame("iframe").await;
            let inner = browser.eval(TRANSFERRED_BEFORE_MEDIA).await;
            browser.leave_frames().await;
            inner
        } else {
            serde_json::json!({"total": 0, "listed": []})
        };
        let weight = serde_json::json!([top, frame]);
        let (top, frame) = (top["total"].as_i64().unwrap(), frame["total"].as_i64().unwrap());
        assert!(top > 1_000, "{kind}: the page's own bytes were measured: {weight}");
        if kind == "html" {
            assert!(frame > 500, "{kind}: the lesson frame's bytes were measured: {weight}");
        }
        assert!(top + frame < 30 * 1024, "{kind} lesson: {} bytes before media: {weight}", top + frame);
    }
}
