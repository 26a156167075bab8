//! The one error type at the web edge, and the page renderer for error responses.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::render::{PageEnv, Renderer};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first")]
    Unauthorized,
    #[error("the Bearer token is not valid (unknown, revoked, or its account is disabled)")]
    InvalidToken,
    #[error("you may not do this")]
    Forbidden,
    #[error("the form is out of date or was sent from another site (missing or wrong CSRF token); reload the page and try again")]
    CsrfRejected,
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Gone(String),
    #[error("the package was rejected: {}", .0.first().map(|p| p.to_string()).unwrap_or_default())]
    Rejected(Vec<crate::packages::Problem>),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [crate::packages::Problem]>,
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidToken => "invalid_token",
            AppError::Forbidden => "forbidden",
            AppError::CsrfRejected => "csrf",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Gone(_) => "gone",
            AppError::Rejected(_) => "package_rejected",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<crate::packages::import::ImportError> for AppError {
    fn from(err: crate::packages::import::ImportError) -> Self {
        match err {
            crate::packages::import::ImportError::Rejected(problems) => AppError::Rejected(problems),
            crate::packages::import::ImportError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::tracking::TrackError> for AppError {
    fn from(err: crate::tracking::TrackError) -> Self {
        use crate::tracking::TrackError;
        match err {
            TrackError::NotFound(what) => AppError::NotFound(what),
            TrackError::Invalid(msg) => AppError::BadRequest(msg),
            TrackError::Refused(msg) => AppError::Conflict(msg),
            TrackError::Db(e) => e.into(),
            e @ TrackError::Unavailable => AppError::Internal(e.into()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound(what) => AppError::NotFound(what),
            DbError::Conflict(msg) => AppError::Conflict(msg),
            other => AppError::Internal(other.into()),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidToken => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// JSON with a stable code; pages get this replaced by [`render_error_page`].
    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = %cause_chain(cause.as_ref()), "internal error");
        }
        let problems = match self {
            AppError::Rejected(problems) => Some(problems.as_slice()),
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::InvalidToken = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
        }
        response.json(ErrorBody {
            code: self.code(),
            message: self.to_string(),
            problems,
        })
    }
}

/// Formats an error with all its causes on one line, for logs and CLI messages.
pub fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    message: Option<String>,
}

/// Middleware hook: error responses to browser routes become rendered HTML pages,
/// API and media routes keep their JSON or empty bodies.
pub fn render_error_page<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let path = res.request().path();
    let is_page = !(path.starts_with("/api/") || path.starts_with("/content/") || path == "/healthz"
        || path.starts_with("/static/"));
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_page || !(is_json || res.response().body().size().is_eof() || res.status().as_u16() == 404) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    // Headers set on the way (a session cookie cleared, a Bearer challenge, a delay) survive
    // the page that replaces the body.
    let carried: Vec<(header::HeaderName, header::HeaderValue)> = [header::SET_COOKIE, header::WWW_AUTHENTICATE, header::RETRY_AFTER]
        .into_iter()
        .flat_map(|name| res.headers().get_all(&name).cloned().map(move |v| (name.clone(), v)).collect::<Vec<_>>())
        .collect();
    let keep_headers = |mut response: HttpResponse| {
        for (name, value) in &carried {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
    };
    // A rejected Bearer token is an API client's error, whatever the path: no login page.
    if status == StatusCode::UNAUTHORIZED && !res.headers().contains_key(header::WWW_AUTHENTICATE) {
        let next = res.request().uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
        let location = format!("/login?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC));
        let (req, _) = res.into_parts();
        let response = keep_headers(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()).map_into_right_body();
        return Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response)));
    }
    let (req, res) = res.into_parts();
    let message = if status.is_client_error() {
        error_message(res.into_body())
    } else {
        None
    };
    let env = PageEnv::of_request(&req);
    let template = match status.as_u16() {
        404 => "errors/404.html",
        500..=599 => "errors/500.html",
        _ => "errors/other.html",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        message,
    };
    let html = req
        .app_data::<web::Data<Renderer>>()
        .and_then(|renderer| renderer.render(template, &env, &page).ok())
        .unwrap_or_else(|| format!("<!doctype html><title>{status}</title><h1>{status}</h1>"));
    let response = keep_headers(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html));
    let response: HttpResponse<EitherBody<B, BoxBody>> = response.map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response)))
}

/// Pulls the `message` out of an [`AppError`] JSON body already in memory.
fn error_message<B: MessageBody>(body: B) -> Option<String> {
    let bytes = body.try_into_bytes().ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}
