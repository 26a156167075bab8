//! The error type of the upload layer, and the status and JSON body each case answers with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::protocol::{TUS_RESUMABLE, TUS_VERSION, TUS_VERSION_HEADER};

/// Everything that can go wrong with an upload. Messages name the problem for the client;
/// storage causes stay in the `source()` chain and are never shown.
#[derive(Debug, thiserror::Error)]
pub enum TusError {
    #[error("upload not found")]
    NotFound,
    #[error("upload has expired")]
    Gone,
    #[error("this server speaks tus {TUS_VERSION}: send the header Tus-Resumable: {TUS_VERSION} (got {0:?})")]
    UnsupportedVersion(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("Upload-Length {length} is larger than the maximum of {max} bytes")]
    TooLarge { length: u64, max: u64 },
    #[error("the body runs past Upload-Length {length}; the upload keeps its first {length} bytes at most")]
    ExceedsLength { length: u64 },
    #[error("Content-Type must be application/offset+octet-stream")]
    UnsupportedMediaType,
    #[error("Upload-Offset {given} does not match the upload's offset {current}")]
    OffsetMismatch { given: u64, current: u64 },
    #[error("another request is writing to this upload; send HEAD and retry")]
    Busy,
    #[error("the upload is not complete: {offset} of {length} bytes")]
    Incomplete { offset: u64, length: u64 },
    #[error("the request body broke off; {offset} bytes of the upload are stored")]
    Interrupted { offset: u64 },
    #[error("upload storage failed")]
    Io(#[from] std::io::Error),
    #[error("upload state is unreadable")]
    Corrupt(#[from] serde_json::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
}

impl TusError {
    /// Stable machine code for clients; the message may change, this may not.
    pub fn code(&self) -> &'static str {
        match self {
            TusError::NotFound => "not_found",
            TusError::Gone => "gone",
            TusError::UnsupportedVersion(_) => "unsupported_version",
            TusError::BadRequest(_) => "bad_request",
            TusError::TooLarge { .. } => "too_large",
            TusError::ExceedsLength { .. } => "exceeds_length",
            TusError::UnsupportedMediaType => "unsupported_media_type",
            TusError::OffsetMismatch { .. } => "offset_mismatch",
            TusError::Busy => "upload_busy",
            TusError::Incomplete { .. } => "incomplete",
            TusError::Interrupted { .. } => "interrupted",
            TusError::Io(_) | TusError::Corrupt(_) => "internal",
        }
    }
}

impl ResponseError for TusError {
    fn status_code(&self) -> StatusCode {
        match self {
            TusError::NotFound => StatusCode::NOT_FOUND,
            TusError::Gone => StatusCode::GONE,
            TusError::UnsupportedVersion(_) => StatusCode::PRECONDITION_FAILED,
            TusError::BadRequest(_) | TusError::Interrupted { .. } => StatusCode::BAD_REQUEST,
            TusError::TooLarge { .. } | TusError::ExceedsLength { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            TusError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // Busy is a conflict too: the client's answer to both is HEAD, then resume.
            TusError::OffsetMismatch { .. } | TusError::Busy | TusError::Incomplete { .. } => {
                StatusCode::CONFLICT
            }
            TusError::Io(_) | TusError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        // The spec wants Tus-Resumable on every response but OPTIONS, errors included.
        res.insert_header((TUS_RESUMABLE, TUS_VERSION));
        if let TusError::UnsupportedVersion(_) = self {
            res.insert_header((TUS_VERSION_HEADER, TUS_VERSION));
        }
        res.json(ErrorBody {
            code: self.code(),
            message: self.to_string(),
        })
    }
}
