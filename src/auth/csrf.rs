//! The `Authenticate` middleware: resolves the user once per request and refuses
//! state-changing requests that ride on the session cookie without the session's CSRF token.
//!
//! The token may come as the `X-CSRF-Token` header (scripts), a `csrf_token` query parameter
//! (`navigator.sendBeacon`, which cannot set headers) or a `csrf_token` field of a
//! urlencoded form. Requests authenticated by a Bearer token carry no cookie and need none.
//! Anonymous state-changing requests (the login form) must not come from another origin.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, Method};
use actix_web::{web, HttpMessage};
use bytes::BytesMut;
use futures_util::StreamExt;

use super::client::ClientInfo;
use super::session::{carries_bearer, clearing_cookies, resolve, Resolved};
use super::AuthContext;
use crate::error::AppError;

/// Largest urlencoded form body inspected for a token; forms here are small.
const MAX_FORM_BYTES: usize = 1 << 20;

pub struct Authenticate;

impl<S, B> Transform<S, ServiceRequest> for Authenticate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = AuthenticateService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthenticateService { service: Rc::new(service) }))
    }
}

pub struct AuthenticateService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for AuthenticateService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let state = req.app_data::<web::Data<AuthContext>>().cloned().expect("AuthContext registered");
            let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            // Media carries its own signed grant and static assets need none: reading them
            // must not cost a session lookup (a video is hundreds of range requests).
            if !unsafe_method && (req.path().starts_with("/content/") || req.path().starts_with("/static/")) {
                req.extensions_mut().insert(Resolved(None));
                return service.call(req).await;
            }
            // A Bearer request (the heartbeats, API clients) needs neither the cookie's name
            // nor an origin check, so the client's address and scheme are not worked out.
            let client = (!carries_bearer(req.request())).then(|| ClientInfo::of(req.request(), &state.trusted_proxies));
            let https = client.as_ref().is_some_and(|c| c.https);
            let resolution = resolve(&state.db, &state.tokens, req.request(), https).await?;
            let user = resolution.user;
            if unsafe_method {
                match user.as_ref().and_then(|u| u.csrf_token.clone()) {
                    Some(expected) => check_token(&mut req, &expected).await?,
                    None if user.is_none() => check_same_origin(&req, client.as_ref().expect("no Bearer token"))?,
                    None => {} // Bearer token: no ambient credential to abuse.
                }
            }
            req.extensions_mut().insert(Resolved(user));
            let mut res = service.call(req).await?;
            if resolution.tossed {
                tracing::warn!(path = res.request().path(), "request carried the session cookie more than once; treated as signed out");
                for cookie in clearing_cookies(res.request().path(), https) {
                    res.response_mut().add_cookie(&cookie).map_err(actix_web::error::ErrorInternalServerError)?;
                }
            }
            Ok(res)
        })
    }
}

async fn check_token(req: &mut ServiceRequest, expected: &str) -> Result<(), AppError> {
    let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
    if header_token.is_some_and(|t| constant_time_eq(t, expected)) {
        return Ok(());
    }
    let query_token = form_field(req.query_string().as_bytes(), "csrf_token");
    if query_token.is_some_and(|t| constant_time_eq(&t, expected)) {
        return Ok(());
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    if is_form {
        let body = read_body(req).await?;
        let form_token = form_field(&body, "csrf_token");
        // Give the handler its body back, whatever the outcome.
        req.set_payload(Payload::from(body.freeze()));
        if form_token.is_some_and(|t| constant_time_eq(&t, expected)) {
            return Ok(());
        }
    }
    Err(AppError::CsrfRejected)
}

async fn read_body(req: &mut ServiceRequest) -> Result<BytesMut, AppError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("reading the form failed: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Without a session there is nothing to steal, but a login form posted from another site
/// could sign a learner into the attacker's account; browsers send Origin on such posts.
/// The whole origin must match, scheme included: `http://host` is not `https://host`.
fn check_same_origin(req: &ServiceRequest, client: &ClientInfo) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    if origin.eq_ignore_ascii_case(&client.origin()) {
        Ok(())
    } else {
        Err(AppError::CsrfRejected)
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
