//! Embedded static assets and the language switch.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use actix_web::http::header::{AcceptEncoding, Encoding};
use actix_web::{HttpMessage, HttpRequest};

use crate::assets::static_assets;
use crate::error::AppError;
use crate::i18n::{Lang, LANG_COOKIE};

/// Serves a file compiled into the binary; assets change only with a new release.
pub async fn serve_static(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    static_file(&req, &path)
}

/// Where a browser or a bookmark tool looks without reading the page's `<link rel=icon>`:
/// the same SVG icon, served here rather than redirected (a round trip is 300 ms and more
/// on a rural link).
pub async fn favicon(req: HttpRequest) -> Result<HttpResponse, AppError> {
    static_file(&req, "favicon.svg")
}

/// A static file, brotli or gzip where the client takes it (compressed once, at start).
/// A URL with the file's current `?v=` is cached for a year: templates link assets that
/// way ([`crate::assets::static_url`]), so a release changes the URL, not the meaning.
pub fn static_file(req: &HttpRequest, path: &str) -> Result<HttpResponse, AppError> {
    let asset = static_assets().get(path).ok_or(AppError::NotFound("file"))?;
    let offered = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
    let chosen = req.get_header::<AcceptEncoding>().and_then(|accept| accept.negotiate(offered.iter()));
    let (body, coding) = match chosen {
        Some(e) if e == Encoding::brotli() && asset.encoded().brotli.is_some() => (asset.encoded().brotli.as_ref(), Some("br")),
        Some(e) if e == Encoding::gzip() && asset.encoded().gzip.is_some() => (asset.encoded().gzip.as_ref(), Some("gzip")),
        _ => (Some(&asset.identity), None),
    };
    // The stored bytes' tag: the compression policy suffixes it per encoding.
    let etag = format!("\"{}\"", asset.version);
    let versioned = web::Query::<VersionQuery>::from_query(req.query_string()).ok().and_then(|q| q.0.v).is_some_and(|v| v == asset.version);
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    let unchanged = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut res = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag)).insert_header((header::CACHE_CONTROL, cache));
    if asset.encoded().gzip.is_some() || asset.encoded().brotli.is_some() {
        res.insert_header((header::VARY, "Accept-Encoding"));
    }
    if unchanged {
        return Ok(res.finish());
    }
    res.insert_header((header::CONTENT_TYPE, asset.mime.clone()));
    // A Content-Encoding also tells the Compress middleware to leave the body alone.
    if let Some(c) = coding {
        res.insert_header((header::CONTENT_ENCODING, c));
    }
    Ok(res.body(body.cloned().unwrap_or_default()))
}

#[derive(serde::Deserialize)]
struct VersionQuery {
    v: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// Remembers the chosen language in a cookie and goes back to the page the reader was on.
pub async fn switch_language(
    code: web::Path<String>,
    query: web::Query<SwitchQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or_else(|| AppError::BadRequest(format!("unknown language {code:?}")))?;
    // Only same-site paths: an open redirect would let a link send readers anywhere.
    let next = crate::routes::redirect::same_site_path(query.next.as_deref());
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, next))
        .finish())
}
