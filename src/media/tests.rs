//! End-to-end tests of `serve` through an actix service: status, headers, bytes.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use actix_web::{web, App, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::{serve, AccelRedirect, CacheControl, ServeOptions, ServedFile};

// Sun, 06 Nov 1994 08:49:37 GMT
const LM: u64 = 784_111_777;
const LM_STR: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
const LEN: usize = 10_000;

struct Fixture {
    _dir: tempfile::TempDir,
    file: ServedFile,
    data: Vec<u8>,
    opts: ServeOptions,
}

impl Fixture {
    fn new(name: &str, data: Vec<u8>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&data)
            .unwrap();
        let file = ServedFile {
            path,
            len: data.len() as u64,
            sha256: hex::encode(Sha256::digest(&data)),
            last_modified: UNIX_EPOCH + Duration::from_secs(LM),
            file_name: name.to_string(),
            cache_control: CacheControl::Immutable,
        };
        Fixture {
            _dir: dir,
            file,
            data,
            opts: ServeOptions::default(),
        }
    }

    fn standard() -> Self {
        Fixture::new(
            "lesson.mp4",
            (0..LEN).map(|i| (i * 7 % 256) as u8).collect(),
        )
    }

    fn etag(&self) -> String {
        format!("\"{}\"", self.file.sha256)
    }

    async fn call(&self, req: TestRequest) -> ServiceResponse {
        let file = self.file.clone();
        let opts = self.opts.clone();
        let app = init_service(App::new().default_service(web::to(move |req: HttpRequest| {
            let (file, opts) = (file.clone(), opts.clone());
            async move {
                serve(&req, file, &opts)
                    .await
                    .unwrap_or_else(|e| HttpResponse::InternalServerError().body(e.to_string()))
            }
        })))
        .await;
        call_service(&app, req.uri("/f").to_request()).await
    }

    async fn get(&self, headers: &[(&str, &str)]) -> ServiceResponse {
        self.call(with_headers(TestRequest::get(), headers)).await
    }
}

fn with_headers(mut req: TestRequest, headers: &[(&str, &str)]) -> TestRequest {
    for (k, v) in headers {
        req = req.append_header((*k, *v));
    }
    req
}

fn hdr<'a>(res: &'a ServiceResponse, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

fn body_size(res: &ServiceResponse) -> BodySize {
    res.response().body().size()
}

/// Status, Content-Range and exact bytes of a response.
async fn expect(res: ServiceResponse, status: u16, range: Option<&str>, bytes: &[u8]) {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(hdr(&res, "content-range"), range);
    assert_eq!(body_size(&res), BodySize::Sized(bytes.len() as u64));
    assert_eq!(&read_body(res).await[..], bytes);
}

/// Splits a multipart/byteranges body into (part headers, part bytes).
fn parse_multipart(content_type: &str, body: &[u8]) -> Vec<(Vec<String>, Vec<u8>)> {
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap();
    let delim = format!("\r\n--{boundary}");
    let text = body.to_vec();
    let mut parts = Vec::new();
    let mut pos = 0;
    loop {
        let start = find(&text[pos..], delim.as_bytes()).unwrap() + pos + delim.len();
        if text[start..].starts_with(b"--\r\n") {
            assert_eq!(start + 4, text.len(), "trailer ends the body");
            return parts;
        }
        let head_end = find(&text[start..], b"\r\n\r\n").unwrap() + start;
        let headers = String::from_utf8(text[start + 2..head_end].to_vec()).unwrap();
        let data_start = head_end + 4;
        let data_end = find(&text[data_start..], delim.as_bytes()).unwrap() + data_start;
        parts.push((
            headers.split("\r\n").map(str::to_string).collect(),
            text[data_start..data_end].to_vec(),
        ));
        pos = data_end;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[actix_web::test]
async fn whole_file_with_all_headers() {
    let fx = Fixture::standard();
    let res = fx.get(&[]).await;
    assert_eq!(hdr(&res, "etag"), Some(fx.etag().as_str()));
    assert_eq!(hdr(&res, "last-modified"), Some(LM_STR));
    assert_eq!(
        hdr(&res, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(hdr(&res, "content-type"), Some("video/mp4"));
    assert_eq!(hdr(&res, "accept-ranges"), Some("bytes"));
    assert_eq!(hdr(&res, "x-content-type-options"), Some("nosniff"));
    assert_eq!(hdr(&res, "content-encoding"), Some("identity"));
    assert_eq!(
        hdr(&res, "content-disposition"),
        Some("inline; filename=\"lesson.mp4\"; filename*=UTF-8''lesson.mp4")
    );
    expect(res, 200, None, &fx.data).await;
}

#[actix_web::test]
async fn private_cache_control_and_text_type() {
    let mut fx = Fixture::new("captions.de.vtt", b"WEBVTT\n".to_vec());
    fx.file.cache_control = CacheControl::Private;
    let res = fx.get(&[]).await;
    assert_eq!(hdr(&res, "cache-control"), Some("private, no-cache"));
    assert_eq!(hdr(&res, "content-type"), Some("text/vtt; charset=utf-8"));
}

#[actix_web::test]
async fn single_suffix_and_open_ended_ranges() {
    let fx = Fixture::standard();
    let d = &fx.data;
    let cases = [
        ("bytes=0-499", "bytes 0-499/10000", &d[..500]),
        ("bytes=-500", "bytes 9500-9999/10000", &d[9500..]),
        ("bytes=9500-", "bytes 9500-9999/10000", &d[9500..]),
        ("bytes=0-", "bytes 0-9999/10000", &d[..]),
        ("bytes=-20000", "bytes 0-9999/10000", &d[..]),
        ("bytes=9990-20000", "bytes 9990-9999/10000", &d[9990..]),
        (
            "bytes=20000-,-0,100-109",
            "bytes 100-109/10000",
            &d[100..110],
        ),
        ("bytes = 0-1", "", &d[..]),
        ("bytes= 1 - 2 ,", "bytes 1-2/10000", &d[1..3]),
    ];
    for (range, content_range, bytes) in cases {
        let res = fx.get(&[("range", range)]).await;
        let (status, cr) = if content_range.is_empty() {
            (200, None)
        } else {
            (206, Some(content_range))
        };
        assert_eq!(res.status().as_u16(), status, "{range}");
        assert_eq!(hdr(&res, "etag"), Some(fx.etag().as_str()), "{range}");
        expect(res, status, cr, bytes).await;
    }
}

#[actix_web::test]
async fn unsatisfiable_is_416_with_length() {
    let fx = Fixture::standard();
    for range in [
        "bytes=10000-",
        "bytes=20000-30000",
        "bytes=-0",
        "bytes=10000-,-0",
    ] {
        let res = fx.get(&[("range", range)]).await;
        assert_eq!(hdr(&res, "cache-control"), None);
        expect(res, 416, Some("bytes */10000"), b"").await;
    }
}

#[actix_web::test]
async fn unknown_units_and_garbage_are_ignored() {
    let fx = Fixture::standard();
    for range in [
        "items=0-1",
        "bytes=abc",
        "bytes=5-2",
        "bytes=0-1,x",
        "bytes=",
    ] {
        expect(fx.get(&[("range", range)]).await, 200, None, &fx.data).await;
    }
}

#[actix_web::test]
async fn multiple_ranges_are_multipart_in_request_order() {
    let fx = Fixture::standard();
    let res = fx.get(&[("range", "bytes=5000-5099, 0-9,-10")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(hdr(&res, "content-range"), None);
    assert_eq!(hdr(&res, "etag"), Some(fx.etag().as_str()));
    let ct = hdr(&res, "content-type").unwrap().to_string();
    let size = body_size(&res);
    let body = read_body(res).await;
    assert_eq!(size, BodySize::Sized(body.len() as u64));
    let parts = parse_multipart(&ct, &body);
    let want = [(5000, 5099), (0, 9), (9990, 9999)];
    assert_eq!(parts.len(), want.len());
    for ((headers, bytes), (a, b)) in parts.iter().zip(want) {
        assert_eq!(
            headers,
            &vec![
                "Content-Type: video/mp4".to_string(),
                format!("Content-Range: bytes {a}-{b}/10000"),
            ]
        );
        assert_eq!(&bytes[..], &fx.data[a..=b]);
    }
}

#[actix_web::test]
async fn overlapping_and_nearby_ranges_merge_into_one_part() {
    let fx = Fixture::standard();
    let res = fx.get(&[("range", "bytes=100-199,150-299,320-399")]).await;
    expect(res, 206, Some("bytes 100-399/10000"), &fx.data[100..400]).await;
}

#[actix_web::test]
async fn too_many_ranges_get_the_whole_file() {
    let mut fx = Fixture::standard();
    let many: Vec<String> = (0..17)
        .map(|i| format!("{}-{}", i * 500, i * 500))
        .collect();
    let header = format!("bytes={}", many.join(","));
    expect(fx.get(&[("range", &header)]).await, 200, None, &fx.data).await;
    let sixteen = format!("bytes={}", many[..16].join(","));
    assert_eq!(
        fx.get(&[("range", &sixteen)]).await.status(),
        StatusCode::PARTIAL_CONTENT
    );
    fx.opts.max_ranges = 0;
    expect(fx.get(&[("range", "bytes=0-1")]).await, 200, None, &fx.data).await;
}

#[actix_web::test]
async fn ranges_across_chunk_boundaries() {
    let n = super::body::CHUNK * 2 + 1000;
    let fx = Fixture::new("big.webm", (0..n).map(|i| (i % 253) as u8).collect());
    let (a, b) = (super::body::CHUNK - 10, super::body::CHUNK * 2 + 10);
    let res = fx.get(&[("range", &format!("bytes={a}-{b}"))]).await;
    expect(
        res,
        206,
        Some(&format!("bytes {a}-{b}/{n}")),
        &fx.data[a..=b],
    )
    .await;
    expect(fx.get(&[]).await, 200, None, &fx.data).await;
}

#[actix_web::test]
async fn if_range() {
    let fx = Fixture::standard();
    let etag = fx.etag();
    let weak = format!("W/{etag}");
    let range = ("range", "bytes=0-9");
    let partial = [
        vec![range, ("if-range", etag.as_str())],
        vec![range, ("if-range", LM_STR)],
    ];
    for headers in partial {
        expect(
            fx.get(&headers).await,
            206,
            Some("bytes 0-9/10000"),
            &fx.data[..10],
        )
        .await;
    }
    let whole = [
        vec![range, ("if-range", "\"other\"")],
        vec![range, ("if-range", weak.as_str())],
        vec![range, ("if-range", "Sun, 06 Nov 1994 08:49:38 GMT")],
        vec![range, ("if-range", "Sun, 06 Nov 1994 08:49:36 GMT")],
        vec![range, ("if-range", "garbage")],
        vec![("range", "bytes=999999-"), ("if-range", "\"other\"")],
        vec![("if-range", etag.as_str())],
    ];
    for headers in whole {
        expect(fx.get(&headers).await, 200, None, &fx.data).await;
    }
}

#[actix_web::test]
async fn if_match_and_if_unmodified_since_fail_with_412() {
    let fx = Fixture::standard();
    for headers in [
        vec![("if-match", "\"other\"")],
        vec![("if-match", "\"other\""), ("range", "bytes=0-9")],
        vec![("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")],
    ] {
        let res = fx.get(&headers).await;
        assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED, "{headers:?}");
        assert!(read_body(res).await.is_empty());
    }
    let etag = fx.etag();
    for headers in [vec![("if-match", "*")], vec![("if-match", etag.as_str())]] {
        expect(fx.get(&headers).await, 200, None, &fx.data).await;
    }
}

#[actix_web::test]
async fn if_none_match_is_304_before_range() {
    let fx = Fixture::standard();
    let etag = fx.etag();
    let weak = format!("W/{etag}");
    for inm in [etag.as_str(), weak.as_str(), "*", &format!("\"x\", {etag}")] {
        let res = fx
            .get(&[("if-none-match", inm), ("range", "bytes=0-9")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{inm}");
        assert_eq!(hdr(&res, "etag"), Some(etag.as_str()));
        assert_eq!(
            hdr(&res, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(hdr(&res, "content-range"), None);
        assert!(read_body(res).await.is_empty());
    }
    let res = fx
        .get(&[("if-none-match", "\"other\""), ("range", "bytes=0-9")])
        .await;
    expect(res, 206, Some("bytes 0-9/10000"), &fx.data[..10]).await;
}

#[actix_web::test]
async fn if_modified_since() {
    let fx = Fixture::standard();
    for ims in [LM_STR, "Mon, 07 Nov 1994 00:00:00 GMT"] {
        let res = fx.get(&[("if-modified-since", ims)]).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    }
    for ims in ["Sun, 06 Nov 1994 08:49:36 GMT", "garbage"] {
        expect(
            fx.get(&[("if-modified-since", ims)]).await,
            200,
            None,
            &fx.data,
        )
        .await;
    }
    // If-None-Match present: If-Modified-Since is not consulted.
    let res = fx
        .get(&[("if-none-match", "\"x\""), ("if-modified-since", LM_STR)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn head_matches_get_without_body() {
    let fx = Fixture::standard();
    let etag = fx.etag();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("range", "bytes=0-9")],
        vec![("range", "bytes=0-9,5000-5009")],
        vec![("range", "bytes=20000-")],
        vec![("if-none-match", etag.as_str())],
        vec![("if-match", "\"x\"")],
    ];
    for headers in cases {
        let get = fx.get(&headers).await;
        let head = fx
            .call(with_headers(
                TestRequest::default().method(Method::HEAD),
                &headers,
            ))
            .await;
        assert_eq!(get.status(), head.status(), "{headers:?}");
        assert_eq!(body_size(&get), body_size(&head), "{headers:?}");
        for name in get.headers().keys() {
            let (g, h) = (
                hdr(&get, name.as_str()).unwrap(),
                hdr(&head, name.as_str()).unwrap(),
            );
            if name == header::CONTENT_TYPE && g.starts_with("multipart/") {
                assert!(h.starts_with("multipart/byteranges; boundary="));
            } else {
                assert_eq!(g, h, "{name}");
            }
        }
        assert_eq!(get.headers().len(), head.headers().len());
        assert!(read_body(head).await.is_empty());
    }
}

#[actix_web::test]
async fn other_methods_ignore_range() {
    let fx = Fixture::standard();
    let post = |h: &[(&str, &str)]| with_headers(TestRequest::post(), h);
    expect(
        fx.call(post(&[("range", "bytes=0-9")])).await,
        200,
        None,
        &fx.data,
    )
    .await;
    let res = fx.call(post(&[("if-none-match", "*")])).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let res = fx.call(post(&[("if-modified-since", LM_STR)])).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn empty_file() {
    let fx = Fixture::new("empty.txt", Vec::new());
    expect(fx.get(&[]).await, 200, None, b"").await;
    expect(
        fx.get(&[("range", "bytes=0-")]).await,
        416,
        Some("bytes */0"),
        b"",
    )
    .await;
    expect(
        fx.get(&[("range", "bytes=-0")]).await,
        416,
        Some("bytes */0"),
        b"",
    )
    .await;
    expect(fx.get(&[("range", "bytes=-5")]).await, 200, None, b"").await;
}

#[actix_web::test]
async fn storage_faults_are_errors() {
    let mut fx = Fixture::standard();
    fx.file.len += 1;
    assert_eq!(
        fx.get(&[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    fx.file.len -= 1;
    fx.file.path = fx.file.path.with_file_name("missing");
    assert_eq!(
        fx.get(&[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // Validators need no disk access: a cached client still gets its 304.
    let etag = fx.etag();
    assert_eq!(
        fx.get(&[("if-none-match", &etag)]).await.status(),
        StatusCode::NOT_MODIFIED
    );
    fx.file.sha256 = "not-hex".into();
    assert_eq!(
        fx.get(&[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[actix_web::test]
async fn accel_redirect_mode() {
    let mut fx = Fixture::new("Kapitel 1.pdf", b"%PDF-1.4 test".to_vec());
    fx.opts.accel_redirect = Some(AccelRedirect {
        internal_prefix: "/_blobs".into(),
        relative_path: "ab/abcdef".into(),
    });
    let res = fx.get(&[("range", "bytes=0-3")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(hdr(&res, "x-accel-redirect"), Some("/_blobs/ab/abcdef"));
    assert_eq!(hdr(&res, "content-type"), Some("application/pdf"));
    assert_eq!(hdr(&res, "etag"), Some(fx.etag().as_str()));
    assert_eq!(
        hdr(&res, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        hdr(&res, "content-disposition"),
        Some("inline; filename=\"Kapitel 1.pdf\"; filename*=UTF-8''Kapitel%201.pdf")
    );
    assert!(read_body(res).await.is_empty());
    // Validators nginx cannot judge are handled here, with our ETag.
    let etag = fx.etag();
    let res = fx.get(&[("range", "bytes=0-3"), ("if-range", &etag)]).await;
    assert_eq!(hdr(&res, "x-accel-redirect"), None);
    expect(res, 206, Some("bytes 0-3/13"), b"%PDF").await;
    let res = fx.get(&[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    fx.opts.accel_redirect.as_mut().unwrap().relative_path = "../x".into();
    assert_eq!(
        fx.get(&[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[actix_web::test]
async fn last_modified_is_the_callers_time_in_whole_seconds() {
    // Last-Modified is the caller's time, never the file's mtime.
    let mut fx = Fixture::standard();
    fx.file.last_modified = SystemTime::UNIX_EPOCH + Duration::from_millis(LM * 1000 + 999);
    assert_eq!(hdr(&fx.get(&[]).await, "last-modified"), Some(LM_STR));
}
