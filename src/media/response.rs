//! Response heads for every outcome of [`super::serve`]: the representation
//! headers shared by 200 and 206, and the bare 304, 412, 416 and accel responses.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};

use super::body::{multipart, new_boundary, Segment};
use super::conditional::{format_http_date, unix_secs};
use super::mime::{compressible, content_disposition, mime_for};
use super::range::ByteRange;
use super::{AccelRedirect, MediaError, ServedFile};

const NOSNIFF: (header::HeaderName, HeaderValue) = (
    header::X_CONTENT_TYPE_OPTIONS,
    HeaderValue::from_static("nosniff"),
);

/// The validators and metadata of one file, computed once per request.
pub(super) struct Representation {
    /// Strong entity-tag, quotes included.
    pub etag: String,
    /// Unix seconds.
    pub last_modified: u64,
    pub content_type: String,
    pub disposition: String,
    pub cache_control: &'static str,
}

impl Representation {
    pub fn new(file: &ServedFile) -> Result<Self, MediaError> {
        let digest = &file.sha256;
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MediaError::BadDigest(digest.clone()));
        }
        let (content_type, inline) = mime_for(&file.file_name);
        Ok(Representation {
            etag: format!("\"{}\"", digest.to_ascii_lowercase()),
            last_modified: unix_secs(file.last_modified),
            content_type,
            disposition: content_disposition(&file.file_name, inline),
            cache_control: file.cache_control.header_value(),
        })
    }

    /// A 200 or 206 head with every representation header except Content-Range.
    pub fn builder(&self, status: StatusCode) -> HttpResponseBuilder {
        let mut b = HttpResponse::build(status);
        b.insert_header((header::CONTENT_TYPE, self.content_type.as_str()));
        self.validators(&mut b);
        b.insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header((header::CONTENT_DISPOSITION, self.disposition.as_str()))
            .insert_header(NOSNIFF);
        // actix's Compress middleware leaves a response alone when it already has a
        // Content-Encoding: media, PDFs and archives are sent as stored. Pages, scripts
        // and captions may be compressed; the web edge then gives each encoding its own
        // ETag (RFC 9110 8.8.3.3) and never compresses a range.
        if !compressible(&self.content_type) {
            b.insert_header((header::CONTENT_ENCODING, "identity"));
        }
        b
    }

    fn validators(&self, b: &mut HttpResponseBuilder) {
        b.insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::LAST_MODIFIED, format_http_date(self.last_modified)))
            .insert_header((header::CACHE_CONTROL, self.cache_control));
    }

    /// A 206 head and body layout for satisfiable, coalesced ranges.
    pub fn ranged(&self, ranges: &[ByteRange], len: u64) -> (HttpResponseBuilder, Vec<Segment>) {
        let mut b = self.builder(StatusCode::PARTIAL_CONTENT);
        if let [r] = ranges {
            b.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{len}", r.first, r.last),
            ));
            return (b, vec![Segment::file_range(*r)]);
        }
        let boundary = new_boundary();
        b.insert_header((
            header::CONTENT_TYPE,
            format!("multipart/byteranges; boundary={boundary}"),
        ));
        (b, multipart(ranges, len, &self.content_type, &boundary))
    }
}

/// 304: section 15.4.5 wants the ETag and Cache-Control a 200 would carry, and no
/// other representation metadata (Last-Modified adds nothing next to an ETag).
pub(super) fn not_modified(rep: &Representation) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, rep.etag.as_str()))
        .insert_header((header::CACHE_CONTROL, rep.cache_control))
        .insert_header(NOSNIFF)
        .finish()
}

/// A status with no body and no validators, for 412.
pub(super) fn bare_response(status: StatusCode) -> HttpResponse {
    HttpResponse::build(status).insert_header(NOSNIFF).finish()
}

/// 416 with the current length, as section 15.5.17 asks. No Cache-Control: an
/// error must not be cached for a year just because the file is immutable.
pub(super) fn unsatisfiable(len: u64) -> HttpResponse {
    HttpResponse::RangeNotSatisfiable()
        .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header(NOSNIFF)
        .finish()
}

/// Headers only; nginx's internal location sends the bytes. nginx keeps
/// Content-Type, Content-Disposition and Cache-Control from this response; ETag
/// and Last-Modified must be copied by `add_header` in that location (see
/// docs/x-accel-redirect.md).
pub(super) fn accel_response(
    rep: &Representation,
    accel: &AccelRedirect,
) -> Result<HttpResponse, MediaError> {
    let uri = accel_uri(accel)?;
    let mut b = HttpResponse::Ok();
    b.insert_header((header::CONTENT_TYPE, rep.content_type.as_str()));
    rep.validators(&mut b);
    b.insert_header((header::CONTENT_DISPOSITION, rep.disposition.as_str()))
        .insert_header(NOSNIFF)
        .insert_header(("x-accel-redirect", uri));
    Ok(b.finish())
}

/// Joins prefix and path after checking that nginx cannot be steered elsewhere:
/// no `..` segment, no query, no escapes (nginx would decode them).
fn accel_uri(accel: &AccelRedirect) -> Result<String, MediaError> {
    let safe = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
            && !s.split('/').any(|seg| seg == "..")
    };
    let prefix = accel.internal_prefix.trim_end_matches('/');
    let rel = &accel.relative_path;
    if !prefix.starts_with('/')
        || !safe(prefix)
        || !safe(rel)
        || rel.starts_with('/')
        || rel.is_empty()
    {
        return Err(MediaError::BadAccelPath(format!("{prefix}/{rel}")));
    }
    Ok(format!("{prefix}/{rel}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accel(prefix: &str, rel: &str) -> Result<String, MediaError> {
        accel_uri(&AccelRedirect {
            internal_prefix: prefix.into(),
            relative_path: rel.into(),
        })
    }

    #[test]
    fn accel_paths() {
        assert_eq!(accel("/_blobs/", "ab/cd.mp4").unwrap(), "/_blobs/ab/cd.mp4");
        assert_eq!(accel("/_blobs", "ab").unwrap(), "/_blobs/ab");
        for (p, r) in [
            ("/_blobs", "../etc/passwd"),
            ("/_blobs", "a/../../b"),
            ("/_blobs", "/abs"),
            ("/_blobs", ""),
            ("/_blobs", "a%2e%2e"),
            ("/_blobs", "a?x=1"),
            ("/_blobs", "a b"),
            ("_blobs", "a"),
        ] {
            assert!(accel(p, r).is_err(), "{p} {r}");
        }
    }
}
