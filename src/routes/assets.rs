//! Embedded static assets and the language switch.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::assets::Static;
use crate::error::AppError;
use crate::i18n::{Lang, LANG_COOKIE};

/// Serves a file compiled into the binary; assets change only with a new release.
pub async fn serve_static(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    static_file(&path)
}

pub fn static_file(path: &str) -> Result<HttpResponse, AppError> {
    let file = Static::get(path).ok_or(AppError::NotFound("file"))?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime_with_charset(&mime)))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.data.into_owned()))
}

fn mime_with_charset(mime: &mime_guess::Mime) -> String {
    if mime.type_() == "text" || mime.subtype() == "javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
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
