//! Which responses actix-web's `Compress` middleware may encode, and their validators.
//! `Compress` already leaves alone 206s, bodies that carry a Content-Encoding (media as
//! stored, the precompressed static files), images other than SVG and video; this
//! policy, which runs outside it, hides the client's `Accept-Encoding` where compressing
//! would be wrong or wasted, and gives each encoding its own ETag.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;

/// The codings `Compress` is built with here, as ETag suffixes.
const CODINGS: &[&str] = &["br", "gzip"];

/// Middleware (`from_fn`), wrapped outside `Compress` on both listeners.
///
/// An encoded body is a different representation with its own strong validator (RFC 9110
/// 8.8.3.3), but handlers know only the stored bytes' ETag. So on the way out an encoded
/// response's ETag gets the coding as a suffix (`"abc-br"`), and on the way in a
/// conditional request's tag loses it again, where the client still takes that coding, so
/// the handler compares its own tag and a revalidation still gets its 304.
pub async fn compression_policy(mut req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut stripped = None;
    if !worth_compressing(&req) {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    } else if let Some((tag, coding)) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).and_then(split_coding) {
        if accepts(&req, coding) {
            if let Ok(value) = HeaderValue::from_str(&tag) {
                req.headers_mut().insert(header::IF_NONE_MATCH, value);
                stripped = Some(coding);
            }
        }
    }
    let mut res = next.call(req).await?;
    let coding = match res.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()) {
        Some(c) if CODINGS.contains(&c) => Some(c.to_string()),
        _ if res.status() == actix_web::http::StatusCode::NOT_MODIFIED => stripped.map(str::to_string),
        _ => None,
    };
    if let Some(coding) = coding {
        let tagged = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).and_then(|etag| with_coding(etag, &coding));
        if let Some(value) = tagged.and_then(|t| HeaderValue::from_str(&t).ok()) {
            res.headers_mut().insert(header::ETAG, value);
        }
    }
    Ok(res)
}

/// `"abc"` -> `"abc-br"`; `W/"abc"` -> `W/"abc-br"`.
fn with_coding(etag: &str, coding: &str) -> Option<String> {
    let open = etag.strip_suffix('"')?;
    if CODINGS.iter().any(|c| open.ends_with(&format!("-{c}"))) {
        return None;
    }
    Some(format!("{open}-{coding}\""))
}

/// A single entity tag that ends in a coding suffix: (the tag without it, the coding).
fn split_coding(value: &str) -> Option<(String, &'static str)> {
    if value.contains(',') {
        return None;
    }
    let open = value.trim().strip_suffix('"')?;
    CODINGS.iter().find_map(|c| open.strip_suffix(&format!("-{c}")).map(|tag| (format!("{tag}\""), *c)))
}

fn accepts(req: &ServiceRequest, coding: &str) -> bool {
    let Some(accept) = req.get_header::<AcceptEncoding>() else { return false };
    let wanted = if coding == "br" { Encoding::brotli() } else { Encoding::gzip() };
    accept.negotiate([wanted.clone(), Encoding::identity()].iter()) == Some(wanted)
}

fn worth_compressing(req: &ServiceRequest) -> bool {
    // Ranges are byte offsets into the file as stored: a 200 answering a stale If-Range
    // must be those same bytes, not an encoding of them.
    if req.headers().contains_key(header::RANGE) || req.headers().contains_key(header::IF_RANGE) {
        return false;
    }
    let path = req.path();
    // Acknowledgements of a few bytes, on the hottest route: encoding them costs more
    // CPU than it saves bytes.
    if path == "/api/v1/progress/events" || path == "/healthz" {
        return false;
    }
    // Files of packages: the pages, scripts and captions of a lesson, never its audio,
    // video, PDFs or archives (already compressed, and their Content-Length lets a
    // player seek).
    if path.starts_with("/content/") {
        let name = path.rsplit('/').next().unwrap_or("");
        return crate::media::compressible(&crate::media::mime_for(name).0);
    }
    true
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::{split_coding, with_coding, worth_compressing};

    #[test]
    fn media_ranges_and_acknowledgements_are_not_compressed() {
        let yes = |path: &str| worth_compressing(&TestRequest::get().uri(path).to_srv_request());
        assert!(yes("/stats"));
        assert!(yes("/content/1/tok/index.html"));
        assert!(yes("/content/1/tok/js/app.js"));
        assert!(yes("/content/1/tok/captions/zh.vtt"));
        assert!(yes("/content/1/tok/img/diagram.svg"));
        assert!(!yes("/content/1/tok/video/lesson.mp4"));
        assert!(!yes("/content/1/tok/audio/lesson.mp3"));
        assert!(!yes("/content/1/tok/book.pdf"));
        assert!(!yes("/content/1/tok/files/pack.zip"));
        assert!(!yes("/api/v1/progress/events"));
        let ranged = TestRequest::get().uri("/content/1/tok/index.html").insert_header(("Range", "bytes=0-9")).to_srv_request();
        assert!(!worth_compressing(&ranged));
    }

    #[test]
    fn each_coding_gets_its_own_entity_tag_and_loses_it_on_the_way_back() {
        assert_eq!(with_coding("\"abc\"", "br").as_deref(), Some("\"abc-br\""));
        assert_eq!(with_coding("W/\"abc\"", "gzip").as_deref(), Some("W/\"abc-gzip\""));
        assert_eq!(with_coding("\"abc-br\"", "br"), None, "tagged once");
        assert_eq!(split_coding("\"abc-gzip\""), Some(("\"abc\"".to_string(), "gzip")));
        assert_eq!(split_coding("\"abc\""), None);
        assert_eq!(split_coding("\"abc-br\", \"def\""), None, "lists are left as they are");
        assert_eq!(split_coding("\"a-br\", \"b-br\""), None);
    }
}
