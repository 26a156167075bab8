//! Course content and media: files of a course version, served with range support.
//!
//! `ContentFastPath` answers well-formed `/content/...` GET and HEAD requests before the
//! session, error-page and path-normalising middleware, which a media byte never needs;
//! anything unusual (percent-escapes, doubled slashes, an error) falls through to the
//! routed handler, which gives the same answer the long way.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::content::content_file;
use crate::app::AppState;
use crate::auth::media_token::{now_secs, TokenError};
use crate::error::AppError;
use crate::media::{self, AccelRedirect, ServeOptions};

/// Serves one file of a course version. The signed token in the path is the authorization:
/// pages hand it out only to readers who may see the course (see `auth::policy`).
pub async fn serve_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (version_id, token, file_path) = path.into_inner();
    serve(&req, &state, version_id, &token, &file_path).await
}

/// The same files on the content origin (`routes::content_origin`), where no session exists:
/// HTML runs unsandboxed there, so a SCO shares its origin with the API bridge it must find.
/// On the application's origin `routes::security_headers` sandboxes every one of them.
pub async fn serve_package_content(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (version_id, token, file_path) = path.into_inner();
    serve(&req, &state, version_id, &token, &file_path).await
}

async fn serve(req: &HttpRequest, state: &AppState, version_id: i64, token: &str, file_path: &str) -> Result<HttpResponse, AppError> {
    match state.signer.verify(version_id, token, now_secs()) {
        Ok(()) => {}
        Err(TokenError::Expired) => {
            return Err(AppError::Gone("this media link has expired; reload the lesson page".into()))
        }
        Err(_) => return Err(AppError::Forbidden),
    }
    let file = content_file(state, version_id, file_path).await?;
    let options = ServeOptions {
        accel_redirect: state.settings.accel_redirect_prefix.as_ref().map(|prefix| {
            let sha = file.prepared.sha256();
            AccelRedirect { internal_prefix: prefix.clone(), relative_path: format!("{}/{}/{}", &sha[..2], &sha[2..4], sha) }
        }),
        ..ServeOptions::default()
    };
    let response = media::serve_prepared(req, &file.prepared, &options)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if req.method() == actix_web::http::Method::GET {
        use actix_web::body::{BodySize, MessageBody};
        if let BodySize::Sized(bytes) = response.body().size() {
            state.tracker.media.add(version_id, bytes);
        }
    }
    Ok(response)
}

/// `/content/{version}/{token}/{path}` split by hand, for paths the router would match
/// unchanged (no escapes to decode, no slashes to merge or trim).
fn split_plain(path: &str) -> Option<(i64, &str, &str)> {
    let rest = path.strip_prefix("/content/")?;
    if rest.contains('%') || rest.contains("//") || rest.ends_with('/') {
        return None;
    }
    let (version, rest) = rest.split_once('/')?;
    let (token, file) = rest.split_once('/')?;
    let version = version.parse().ok()?;
    (!token.is_empty() && !file.is_empty()).then_some((version, token, file))
}

/// Outermost middleware: see the module comment.
pub struct ContentFastPath;

impl<S, B> Transform<S, ServiceRequest> for ContentFastPath
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = ContentFastPathService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ContentFastPathService { service: std::rc::Rc::new(service) }))
    }
}

pub struct ContentFastPathService<S> {
    service: std::rc::Rc<S>,
}

impl<S, B> Service<ServiceRequest> for ContentFastPathService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = std::rc::Rc::clone(&self.service);
        let fast = req.method() == Method::GET || req.method() == Method::HEAD;
        Box::pin(async move {
            if let Some((version, token, file)) = split_plain(req.path()).filter(|_| fast) {
                if let Some(state) = req.app_data::<web::Data<AppState>>() {
                    if let Ok(response) = serve(req.request(), state, version, token, file).await {
                        return Ok(req.into_response(response.map_into_right_body()));
                    }
                }
            }
            service.call(req).await.map(ServiceResponse::map_into_left_body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::split_plain;

    #[test]
    fn only_plain_content_paths_take_the_fast_path() {
        assert_eq!(split_plain("/content/7/tok/a/b.mp4"), Some((7, "tok", "a/b.mp4")));
        assert_eq!(split_plain("/content/7/tok/%E4%B8%AD.pdf"), None);
        assert_eq!(split_plain("/content/7/tok//a.mp4"), None);
        assert_eq!(split_plain("/content/7/tok/dir/"), None);
        assert_eq!(split_plain("/content/x/tok/a.mp4"), None);
        assert_eq!(split_plain("/content/7/tok"), None);
        assert_eq!(split_plain("/courses/7/tok/a.mp4"), None);
    }
}
