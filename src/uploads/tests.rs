//! HTTP-level tests of the tus handlers, wired the way the app routes them.

use std::time::Duration;

use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, Service, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode};
use actix_web::{test, web, App, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::metadata::encode_base64;
use super::{create, delete, head, options, patch, TusConfig, TusError, UploadStore};

const OWNER: i64 = 7;
const BASE: &str = "/api/v1/uploads";

struct Owner(i64);

async fn route_options(store: web::Data<UploadStore>) -> HttpResponse {
    options(&store).await
}

async fn route_create(
    req: HttpRequest,
    body: web::Payload,
    owner: web::Data<Owner>,
    store: web::Data<UploadStore>,
) -> Result<HttpResponse, TusError> {
    create(&req, body, owner.0, &store).await
}

async fn route_head(
    req: HttpRequest,
    id: web::Path<String>,
    owner: web::Data<Owner>,
    store: web::Data<UploadStore>,
) -> Result<HttpResponse, TusError> {
    head(&req, &id, owner.0, &store).await
}

async fn route_patch(
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Payload,
    owner: web::Data<Owner>,
    store: web::Data<UploadStore>,
) -> Result<HttpResponse, TusError> {
    patch(&req, &id, body, owner.0, &store).await
}

async fn route_delete(
    req: HttpRequest,
    id: web::Path<String>,
    owner: web::Data<Owner>,
    store: web::Data<UploadStore>,
) -> Result<HttpResponse, TusError> {
    delete(&req, &id, owner.0, &store).await
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(BASE, web::method(Method::OPTIONS).to(route_options))
        .route(BASE, web::post().to(route_create))
        .route(&format!("{BASE}/{{id}}"), web::head().to(route_head))
        .route(&format!("{BASE}/{{id}}"), web::patch().to(route_patch))
        .route(&format!("{BASE}/{{id}}"), web::delete().to(route_delete));
}

/// The service under test, acting for `owner`. A macro because the request type of
/// `init_service` lives in actix-http, which this crate does not name.
macro_rules! service {
    ($store:expr, $owner:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($store.clone()))
                .app_data(web::Data::new(Owner($owner)))
                .configure(routes),
        )
        .await
    };
}

async fn temp_store(max_size: u64, expire_after: Duration) -> (tempfile::TempDir, UploadStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TusConfig::new(dir.path().join("uploads"), max_size, BASE);
    config.expire_after = expire_after;
    (dir, UploadStore::open(config).await.unwrap())
}

fn header<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn tus(method: Method, uri: &str) -> test::TestRequest {
    test::TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Tus-Resumable", "1.0.0"))
}

fn post(length: u64) -> test::TestRequest {
    tus(Method::POST, BASE).insert_header(("Upload-Length", length.to_string()))
}

fn patch_req(location: &str, offset: u64, body: &[u8]) -> test::TestRequest {
    tus(Method::PATCH, location)
        .insert_header(("Upload-Offset", offset.to_string()))
        .insert_header(("Content-Type", "application/offset+octet-stream"))
        .set_payload(body.to_vec())
}

/// Sends a creation request and returns the new `Location`.
async fn create_upload<S, R>(app: &S, req: R) -> String
where
    S: Service<R, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = test::call_service(app, req).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    header(&res, "Location").unwrap()
}

/// Sends a HEAD request; the status and `Upload-Offset`.
async fn offset_of<S, R>(app: &S, req: R) -> (StatusCode, Option<u64>)
where
    S: Service<R, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = test::call_service(app, req).await;
    let offset = header(&res, "Upload-Offset").map(|v| v.parse().unwrap());
    (res.status(), offset)
}

type BoxedBody = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// Sends a PATCH whose body is the given stream of chunks, as a dropped connection would.
macro_rules! call_with_stream {
    ($app:expr, $location:expr, $offset:expr, $chunks:expr) => {{
        let stream: BoxedBody = Box::pin(futures_util::stream::iter($chunks));
        let req = patch_req($location, $offset, b"").to_request();
        let (req, _) = req.replace_payload(Payload::from(stream));
        test::call_service($app, req).await
    }};
}

/// The `code` of a JSON error body.
async fn error_code<B: MessageBody>(res: ServiceResponse<B>) -> String {
    let body: serde_json::Value = test::read_body_json(res).await;
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    body["code"].as_str().unwrap().to_owned()
}

fn id_of(location: &str) -> &str {
    location.rsplit('/').next().unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[actix_web::test]
async fn options_advertises_the_protocol() {
    let (_dir, store) = temp_store(1000, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let res = test::call_service(
        &app,
        test::TestRequest::default()
            .method(Method::OPTIONS)
            .uri(BASE)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "Tus-Resumable").unwrap(), "1.0.0");
    assert_eq!(header(&res, "Tus-Version").unwrap(), "1.0.0");
    assert_eq!(header(&res, "Tus-Max-Size").unwrap(), "1000");
    let extensions = header(&res, "Tus-Extension").unwrap();
    for ext in [
        "creation",
        "termination",
        "expiration",
        "creation-with-upload",
    ] {
        assert!(extensions.split(',').any(|e| e == ext), "{extensions}");
    }
}

#[actix_web::test]
async fn upload_in_two_patches_completes() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let data = pattern(1000);

    let res = test::call_service(&app, post(1000).to_request()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "Tus-Resumable").unwrap(), "1.0.0");
    let expires = header(&res, "Upload-Expires").unwrap();
    assert!(
        expires.ends_with(" GMT") && expires.contains(", "),
        "{expires}"
    );
    let location = header(&res, "Location").unwrap();
    assert!(location.starts_with("/api/v1/uploads/") && id_of(&location).len() == 32);

    let res = test::call_service(&app, tus(Method::HEAD, &location).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "Upload-Offset").unwrap(), "0");
    assert_eq!(header(&res, "Upload-Length").unwrap(), "1000");
    assert_eq!(header(&res, "Cache-Control").unwrap(), "no-store");
    assert!(header(&res, "Upload-Expires").is_some());

    let res = test::call_service(&app, patch_req(&location, 0, &data[..500]).to_request()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "Upload-Offset").unwrap(), "500");
    assert!(header(&res, "Upload-Expires").is_some());
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(500))
    );

    let early = store.take_completed(id_of(&location), OWNER).await;
    assert!(matches!(
        early,
        Err(TusError::Incomplete {
            offset: 500,
            length: 1000
        })
    ));

    let res = test::call_service(&app, patch_req(&location, 500, &data[500..]).to_request()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "Upload-Offset").unwrap(), "1000");

    let done = store.take_completed(id_of(&location), OWNER).await.unwrap();
    assert_eq!(done.length, 1000);
    assert_eq!(std::fs::read(&done.path).unwrap(), data);
    store.remove(id_of(&location), OWNER).await.unwrap();
    assert!(!done.path.exists());
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn creation_with_upload_stores_the_first_bytes() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let req = post(10)
        .insert_header(("Content-Type", "application/offset+octet-stream"))
        .set_payload(&b"hello"[..])
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "Upload-Offset").unwrap(), "5");
    let location = header(&res, "Location").unwrap();
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(5))
    );
}

#[actix_web::test]
async fn wrong_offset_is_a_conflict() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(100).to_request()).await;
    let res = test::call_service(&app, patch_req(&location, 10, b"abc").to_request()).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(header(&res, "Tus-Resumable").unwrap(), "1.0.0");
    assert_eq!(error_code(res).await, "offset_mismatch");
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(0))
    );
}

#[actix_web::test]
async fn patch_needs_the_offset_content_type() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(100).to_request()).await;
    let req = tus(Method::PATCH, &location)
        .insert_header(("Upload-Offset", "0"))
        .insert_header(("Content-Type", "application/octet-stream"))
        .set_payload(&b"abc"[..])
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(res).await, "unsupported_media_type");
}

#[actix_web::test]
async fn missing_or_wrong_tus_resumable_is_412() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let req = test::TestRequest::post()
        .uri(BASE)
        .insert_header(("Upload-Length", "5"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header(&res, "Tus-Version").unwrap(), "1.0.0");
    assert_eq!(error_code(res).await, "unsupported_version");

    let location = create_upload(&app, post(5).to_request()).await;
    let req = patch_req(&location, 0, b"abc")
        .insert_header(("Tus-Resumable", "0.2.2"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(0))
    );
}

#[actix_web::test]
async fn creation_checks_length_headers() {
    let (_dir, store) = temp_store(1000, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);

    let res = test::call_service(&app, post(1001).to_request()).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(res).await, "too_large");
    assert_eq!(
        test::call_service(&app, post(1000).to_request())
            .await
            .status(),
        StatusCode::CREATED
    );

    let cases = [
        tus(Method::POST, BASE),
        tus(Method::POST, BASE).insert_header(("Upload-Defer-Length", "1")),
        tus(Method::POST, BASE).insert_header(("Upload-Length", "-4")),
        tus(Method::POST, BASE).insert_header(("Upload-Length", "+4")),
    ];
    for req in cases {
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}

#[actix_web::test]
async fn body_past_the_length_is_refused_and_not_stored() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(10).to_request()).await;

    // Declared too long: refused before anything is written.
    let res = test::call_service(&app, patch_req(&location, 0, &pattern(11)).to_request()).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(0))
    );

    // Undeclared (chunked) and too long: the first 10 bytes are kept, the rest dropped.
    let chunks = vec![Ok(Bytes::from(pattern(6))), Ok(Bytes::from(pattern(6)))];
    let res = call_with_stream!(&app, &location, 0, chunks);
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(10))
    );
    let done = store.take_completed(id_of(&location), OWNER).await.unwrap();
    let mut expected = pattern(6);
    expected.extend_from_slice(&pattern(4));
    assert_eq!(std::fs::read(done.path).unwrap(), expected);
}

#[actix_web::test]
async fn other_owners_upload_is_not_found() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let mine = service!(store, OWNER);
    let theirs = service!(store, OWNER + 1);
    let location = create_upload(&mine, post(3).to_request()).await;

    assert_eq!(
        offset_of(&theirs, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::NOT_FOUND, None)
    );
    let res = test::call_service(&theirs, patch_req(&location, 0, b"abc").to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = test::call_service(&theirs, tus(Method::DELETE, &location).to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    test::call_service(&mine, patch_req(&location, 0, b"abc").to_request()).await;
    let stolen = store.take_completed(id_of(&location), OWNER + 1).await;
    assert!(matches!(stolen, Err(TusError::NotFound)));
    assert!(store.take_completed(id_of(&location), OWNER).await.is_ok());
}

#[actix_web::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    for id in [
        "0123456789abcdef0123456789abcdef",
        "..%2F..%2Fetc",
        "ABCDEF",
    ] {
        let (status, _) = offset_of(
            &app,
            tus(Method::HEAD, &format!("{BASE}/{id}")).to_request(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
    }
}

#[actix_web::test]
async fn made_up_ids_leave_no_locks_behind() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    for i in 0..5 {
        let location = format!("{BASE}/{i:032x}");
        let res = test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = test::call_service(&app, tus(Method::DELETE, &location).to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(store.lock_count(), 0);
    let location = create_upload(&app, post(3).to_request()).await;
    test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;
    store.remove(id_of(&location), OWNER).await.unwrap();
    assert_eq!(store.lock_count(), 0);
}

#[actix_web::test]
async fn delete_terminates_the_upload() {
    let (dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(100).to_request()).await;
    test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;

    let res = test::call_service(&app, tus(Method::DELETE, &location).to_request()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "Tus-Resumable").unwrap(), "1.0.0");
    assert_eq!(
        std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let res = test::call_service(&app, tus(Method::DELETE, &location).to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn expired_uploads_are_gone_then_swept() {
    let (dir, store) = temp_store(1 << 20, Duration::ZERO).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(100).to_request()).await;

    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request())
            .await
            .0,
        StatusCode::GONE
    );
    let res = test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;
    assert_eq!(res.status(), StatusCode::GONE);

    let uploads = dir.path().join("uploads");
    // A part file from a create that crashed long ago, and one from a create in progress.
    let stale = uploads.join("00000000000000000000000000000001.part");
    let fresh = uploads.join("00000000000000000000000000000002.part");
    let unrelated = uploads.join("README");
    for path in [&stale, &fresh, &unrelated] {
        std::fs::write(path, b"x").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    assert_eq!(store.sweep_expired().await, 2);
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert!(!stale.exists() && fresh.exists() && unrelated.exists());
    assert_eq!(store.sweep_expired().await, 0);
}

#[actix_web::test]
async fn sweep_keeps_live_uploads() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(100).to_request()).await;
    assert_eq!(store.sweep_expired().await, 0);
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(0))
    );
}

#[actix_web::test]
async fn metadata_is_decoded_and_echoed() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let name = "三年级数学 第2单元.zip";
    let header_value = format!(
        "filename {},filetype {}",
        encode_base64(name.as_bytes()),
        encode_base64(b"application/zip")
    );
    let req = post(3)
        .insert_header(("Upload-Metadata", header_value.as_str()))
        .to_request();
    let location = header(&test::call_service(&app, req).await, "Location").unwrap();

    let res = test::call_service(&app, tus(Method::HEAD, &location).to_request()).await;
    assert_eq!(header(&res, "Upload-Metadata").unwrap(), header_value);
    test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;
    let done = store.take_completed(id_of(&location), OWNER).await.unwrap();
    assert_eq!(done.metadata["filename"], name);
    assert_eq!(done.metadata["filetype"], "application/zip");

    let req = post(3)
        .insert_header(("Upload-Metadata", "filename 5LiJ5bm057qn!"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = test::read_body_json(res).await;
    assert!(
        body["message"].as_str().unwrap().contains("filename"),
        "{body}"
    );
}

#[actix_web::test]
async fn broken_off_body_keeps_what_arrived_and_resumes() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let data = pattern(300_000);
    let location = create_upload(&app, post(data.len() as u64).to_request()).await;

    let chunks = vec![
        Ok(Bytes::copy_from_slice(&data[..65_536])),
        Ok(Bytes::copy_from_slice(&data[65_536..100_000])),
        Err(PayloadError::Incomplete(None)),
        Ok(Bytes::copy_from_slice(&data[100_000..])),
    ];
    let res = call_with_stream!(&app, &location, 0, chunks);
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "interrupted");
    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(100_000))
    );

    let res = test::call_service(
        &app,
        patch_req(&location, 100_000, &data[100_000..]).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let done = store.take_completed(id_of(&location), OWNER).await.unwrap();
    assert!(std::fs::read(done.path).unwrap() == data);
}

#[actix_web::test]
async fn dropped_request_future_still_records_its_bytes() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let info = store.create(OWNER, 100, Default::default()).await.unwrap();
    // Forty bytes, then a body that never ends: the request is dropped mid-body.
    let body = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(pattern(40)))])
        .chain(futures_util::stream::pending());
    let append = store.append(&info.id, OWNER, 0, Some(100), body);
    assert!(tokio::time::timeout(Duration::from_millis(200), append)
        .await
        .is_err());

    let mut offset = 0;
    for _ in 0..50 {
        offset = store.info(&info.id, OWNER).await.unwrap().offset;
        if offset == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(offset, 40);
}

#[actix_web::test]
async fn crash_residue_past_the_offset_is_cut_off() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let app = service!(store, OWNER);
    let location = create_upload(&app, post(6).to_request()).await;
    test::call_service(&app, patch_req(&location, 0, b"abc").to_request()).await;
    let path = store
        .config()
        .dir
        .join(format!("{}.part", id_of(&location)));
    // Bytes written by a PATCH that died before it could record them.
    std::fs::write(&path, b"abcXYZW").unwrap();

    assert_eq!(
        offset_of(&app, tus(Method::HEAD, &location).to_request()).await,
        (StatusCode::OK, Some(3))
    );
    let res = test::call_service(&app, patch_req(&location, 3, b"def").to_request()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(std::fs::read(&path).unwrap(), b"abcdef");
}

#[actix_web::test]
async fn concurrent_patch_gets_busy() {
    let (_dir, store) = temp_store(1 << 20, Duration::from_secs(60)).await;
    let info = store.create(OWNER, 100, Default::default()).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let slow_body =
        futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|x| (x, rx)) });
    let first = tokio::spawn({
        let (store, id) = (store.clone(), info.id.clone());
        async move { store.append(&id, OWNER, 0, None, Box::pin(slow_body)).await }
    });
    tx.send(Ok(Bytes::from_static(b"12345"))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let second = store
        .append(
            &info.id,
            OWNER,
            0,
            None,
            futures_util::stream::empty::<Result<Bytes, std::io::Error>>(),
        )
        .await;
    assert!(matches!(second, Err(TusError::Busy)), "{second:?}");

    tx.send(Err(std::io::Error::other("connection reset")))
        .await
        .unwrap();
    assert!(matches!(
        first.await.unwrap(),
        Err(TusError::Interrupted { offset: 5 })
    ));
    assert_eq!(store.info(&info.id, OWNER).await.unwrap().offset, 5);
}

/// The real thing: a TCP client that sends part of a PATCH body and hangs up.
#[actix_web::test]
async fn real_connection_dropped_mid_body_keeps_bytes() {
    use std::io::Write;

    let (_dir, store) = temp_store(1 << 24, Duration::from_secs(60)).await;
    let app_store = store.clone();
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(app_store.clone()))
            .app_data(web::Data::new(Owner(OWNER)))
            .configure(routes)
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let info = store
        .create(OWNER, 1_000_000, Default::default())
        .await
        .unwrap();
    let data = pattern(1_000_000);
    let id = info.id.clone();
    let sent = data[..300_000].to_vec();
    tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "PATCH {BASE}/{id} HTTP/1.1\r\nHost: localhost\r\nTus-Resumable: 1.0.0\r\n\
             Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n\
             Content-Length: 1000000\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).unwrap();
        conn.write_all(&sent).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    })
    .await
    .unwrap();

    let mut offset = 0;
    for _ in 0..100 {
        offset = store.info(&info.id, OWNER).await.unwrap().offset;
        if offset == 300_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offset, 300_000);
    let part = std::fs::read(store.config().dir.join(format!("{}.part", info.id))).unwrap();
    assert!(part == data[..300_000]);
    handle.stop(true).await;
}
