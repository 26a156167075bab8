//! tus 1.0.0 on the wire: header names, parsing of the request headers, and the headers
//! that every successful response about an upload carries.

use std::time::SystemTime;

use actix_web::http::header::{HttpDate, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponseBuilder};

use super::error::TusError;
use super::store::UploadInfo;

pub(super) const TUS_VERSION: &str = "1.0.0";
pub(super) const TUS_RESUMABLE: &str = "Tus-Resumable";
pub(super) const TUS_VERSION_HEADER: &str = "Tus-Version";
pub(super) const TUS_EXTENSION: &str = "Tus-Extension";
pub(super) const TUS_MAX_SIZE: &str = "Tus-Max-Size";
pub(super) const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration";
pub(super) const UPLOAD_LENGTH: &str = "Upload-Length";
pub(super) const UPLOAD_OFFSET: &str = "Upload-Offset";
pub(super) const UPLOAD_METADATA: &str = "Upload-Metadata";
pub(super) const UPLOAD_EXPIRES: &str = "Upload-Expires";
pub(super) const UPLOAD_DEFER_LENGTH: &str = "Upload-Defer-Length";
pub(super) const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Every request but OPTIONS must name the protocol version; we speak only 1.0.0.
pub(super) fn check_version(req: &HttpRequest) -> Result<(), TusError> {
    match header_str(req, TUS_RESUMABLE)? {
        Some(TUS_VERSION) => Ok(()),
        Some(other) => Err(TusError::UnsupportedVersion(other.to_owned())),
        None => Err(TusError::UnsupportedVersion(String::new())),
    }
}

/// `Upload-Length` of a creation request. Deferred lengths are refused: a course package
/// is a file the browser already holds, so its size is always known up front.
pub(super) fn upload_length(req: &HttpRequest) -> Result<u64, TusError> {
    if req.headers().contains_key(UPLOAD_DEFER_LENGTH) {
        return Err(TusError::BadRequest(
            "Upload-Defer-Length is not supported; send Upload-Length".into(),
        ));
    }
    header_u64(req, UPLOAD_LENGTH)?
        .ok_or_else(|| TusError::BadRequest("Upload-Length is required".into()))
}

pub(super) fn upload_offset(req: &HttpRequest) -> Result<u64, TusError> {
    header_u64(req, UPLOAD_OFFSET)?
        .ok_or_else(|| TusError::BadRequest("Upload-Offset is required".into()))
}

/// The declared body size, when the client sent one (chunked bodies have none).
pub(super) fn content_length(req: &HttpRequest) -> Result<Option<u64>, TusError> {
    header_u64(req, CONTENT_LENGTH.as_str())
}

/// Whether the body is upload bytes: `application/offset+octet-stream`, parameters ignored.
pub(super) fn has_offset_body(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

pub(super) fn header_str<'a>(
    req: &'a HttpRequest,
    name: &str,
) -> Result<Option<&'a str>, TusError> {
    match req.headers().get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| TusError::BadRequest(format!("{name} must be ASCII"))),
    }
}

/// A non-negative decimal integer; stricter than `u64::from_str`, which would take "+5".
fn header_u64(req: &HttpRequest, name: &str) -> Result<Option<u64>, TusError> {
    let Some(text) = header_str(req, name)? else {
        return Ok(None);
    };
    let bad = || {
        TusError::BadRequest(format!(
            "{name} must be a non-negative integer, got {text:?}"
        ))
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse().map(Some).map_err(|_| bad())
}

/// `Upload-Offset`, `Upload-Expires` and `Tus-Resumable`: what POST, HEAD and PATCH share.
pub(super) fn progress_headers(res: &mut HttpResponseBuilder, info: &UploadInfo) {
    res.insert_header((TUS_RESUMABLE, TUS_VERSION))
        .insert_header((UPLOAD_OFFSET, info.offset))
        .insert_header((UPLOAD_EXPIRES, http_date(info.expires_at)));
}

/// RFC 7231 IMF-fixdate, e.g. `Wed, 25 Jun 2025 07:28:00 GMT`.
pub(super) fn http_date(at: SystemTime) -> String {
    HttpDate::from(at).to_string()
}
