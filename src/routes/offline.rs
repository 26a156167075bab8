//! Installable and offline: the web app manifest, the service worker, and the list of what
//! a course's offline copy holds (docs/offline.md).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::offline::offline_manifest;
use crate::app::AppState;
use crate::assets::static_url;
use crate::auth::policy::Scope;
use crate::error::AppError;
use crate::i18n::Lang;

/// `GET /api/v1/courses/{id}/offline`: the pages and files of the course's offline copy with
/// their sizes; authorized as the course page is.
#[tracing::instrument(skip_all, fields(course_id = *course_id))]
pub async fn show_offline_manifest(
    state: web::Data<AppState>,
    course_id: web::Path<i64>,
    lang: Lang,
    scope: Scope,
    query: web::Query<OfflineQuery>,
) -> Result<HttpResponse, AppError> {
    let quality = match query.quality.as_deref() {
        None | Some("auto") => None,
        Some(q @ ("smooth" | "standard" | "high" | "audio")) => Some(q),
        Some(other) => return Err(AppError::BadRequest(format!("quality must be auto, smooth, standard, high or audio, not {other:?}"))),
    };
    let manifest = offline_manifest(&state, &scope, *course_id, lang, quality).await?;
    // Its URLs carry tokens that expire: never reuse a stored copy.
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(manifest))
}

#[derive(serde::Deserialize)]
pub struct OfflineQuery {
    /// The video rendition the learner chose on this device (`static/video.js`).
    quality: Option<String>,
}

/// `/sw.js`: served from the root so that its scope is the whole site.
pub async fn service_worker(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let mut res = crate::routes::assets::static_file(&req, "sw.js")?;
    // A new release's worker must be found on the next visit, not an hour later.
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// `/manifest.webmanifest`: what a phone needs to install the site, in the reader's language.
pub async fn web_manifest(state: web::Data<AppState>, lang: Lang) -> HttpResponse {
    let name = state.renderer.string(lang, "site_name");
    let manifest = serde_json::json!({
        "name": name,
        "short_name": name,
        "lang": lang.code(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f5",
        "theme_color": "#1f7a4d",
        "icons": [{"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/manifest+json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::VARY, "Cookie, Accept-Language"))
        .body(manifest.to_string())
}
