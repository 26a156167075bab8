//! The one error type at the web edge: every handler, extractor and middleware answers
//! with an `AppError`, a status plus a JSON body with a stable code. Pages get the body
//! replaced by a rendered page (`routes::error_pages`).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::telemetry::cause_chain;

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
    Rejected(Vec<crate::domain::package::Problem>),
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
    problems: Option<&'a [crate::domain::package::Problem]>,
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

    /// JSON with a stable code; pages get this replaced by `routes::error_pages`.
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

