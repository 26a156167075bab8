//! Headers every response of the application's origin carries, decided in one place.
//!
//! - `X-Content-Type-Options: nosniff` everywhere, so a browser renders a response only as
//!   the type it was sent with (an HTML file uploaded as `notes.png` stays an image).
//! - `Content-Security-Policy: sandbox ...` on *every* `/content/...` response, whatever
//!   its type or name. Uploaded files are a teacher's, not ours: HTML, SVG, XHTML, XSLT or
//!   a type nobody listed can run script, and a list of extensions (`.html`, `.svg` ...)
//!   missed `.shtml`, `.xht` and `.svgz`. In the sandbox a document runs in an opaque
//!   origin: no cookies, no storage, no same-origin requests to the API. Media, images and
//!   PDFs loaded by a page ignore the header (it governs documents only), and Chromium's
//!   PDF viewer works under it (an `<iframe sandbox>` attribute would block it).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use actix_web::middleware::Next;

/// The sandbox for uploaded documents on the application's origin: scripts and forms may
/// run, but only in an opaque origin.
pub const CONTENT_SANDBOX: &str = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/// Middleware for the application's listener (`actix_web::middleware::from_fn`).
pub async fn app_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let uploaded = req.path().starts_with("/content/");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if uploaded {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SANDBOX));
    }
    Ok(res)
}

/// Middleware for the content listener: package pages run unsandboxed there (a SCO must
/// reach the API bridge of its own origin), but nothing is sniffed.
pub async fn content_origin_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    res.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(res)
}

