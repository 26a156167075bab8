//! Course content and media: files of a course version, served with range support.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::media_token::{now_secs, TokenError};
use crate::db::courses;
use crate::error::AppError;
use crate::media::{self, AccelRedirect, CacheControl, ServeOptions, ServedFile};
use crate::startup::AppState;
use crate::storage::BlobStore;

/// Uploaded HTML (and SVG, which can carry script) runs in an opaque origin: it can run its scripts but cannot read this
/// site's cookies, storage or pages on behalf of the learner.
const HTML_SANDBOX: &str = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/// Serves one file of a course version. The signed token in the path is the authorization:
/// pages hand it out only to readers who may see the course (see `auth::policy`).
#[tracing::instrument(skip_all, fields(version_id = path.0, path = %path.2))]
pub async fn serve_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (version_id, token, file_path) = path.into_inner();
    match state.signer.verify(version_id, &token, now_secs()) {
        Ok(()) => {}
        Err(TokenError::Expired) => {
            return Err(AppError::Gone("this media link has expired; reload the lesson page".into()))
        }
        Err(_) => return Err(AppError::Forbidden),
    }
    let file = match state.file_cache.get(version_id, &file_path) {
        Some(hit) => hit,
        None => {
            let row = courses::version_file(&state.db, version_id, &file_path).await?;
            state.file_cache.put(version_id, &file_path, row.clone());
            row
        }
    };
    let local = state
        .store
        .local_path(&file.sha256)
        .map_err(|e| AppError::Internal(e.into()))?;
    let served = ServedFile {
        path: local,
        len: file.size as u64,
        sha256: file.sha256,
        last_modified: std::time::UNIX_EPOCH + std::time::Duration::from_millis(file.created_at.max(0) as u64),
        file_name: file_path.rsplit('/').next().unwrap_or(&file_path).to_string(),
        // A version's files never change, so its URLs can be cached for good.
        cache_control: CacheControl::Immutable,
    };
    let lower = served.file_name.to_ascii_lowercase();
    let is_active = [".html", ".htm", ".xhtml", ".svg", ".xml"].iter().any(|ext| lower.ends_with(ext));
    let options = ServeOptions {
        accel_redirect: state.settings.accel_redirect_prefix.as_ref().map(|prefix| AccelRedirect {
            internal_prefix: prefix.clone(),
            relative_path: format!("{}/{}/{}", &served.sha256[..2], &served.sha256[2..4], served.sha256),
        }),
        ..ServeOptions::default()
    };
    let mut response = media::serve(&req, served, &options)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if req.method() == actix_web::http::Method::GET {
        use actix_web::body::{BodySize, MessageBody};
        if let BodySize::Sized(bytes) = response.body().size() {
            state.tracker.media.add(version_id, bytes);
        }
    }
    if is_active {
        response.headers_mut().insert(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(HTML_SANDBOX),
        );
    }
    Ok(response)
}
