//! Resumable uploads over the tus 1.0.0 protocol (core, creation, creation-with-upload,
//! termination, expiration): the on-disk store of partial uploads and the request handlers.
//!
//! The app routes the handlers itself after authenticating the user, passing the user id
//! as `owner`; an upload belonging to someone else answers 404 exactly like a missing one.
//! A typical table, with `base_path = "/api/v1/uploads"`:
//!
//! ```text
//! OPTIONS /api/v1/uploads        -> options
//! POST    /api/v1/uploads        -> create
//! HEAD    /api/v1/uploads/{id}   -> head
//! PATCH   /api/v1/uploads/{id}   -> patch
//! DELETE  /api/v1/uploads/{id}   -> delete
//! ```
//!
//! Each route is a thin wrapper in the app, e.g.
//!
//! ```text
//! async fn patch_upload(req: HttpRequest, id: web::Path<String>, body: web::Payload,
//!                       user: CurrentUser, store: web::Data<UploadStore>) -> Result<HttpResponse, TusError> {
//!     uploads::patch(&req, &id, body, user.id, &store).await
//! }
//! ```
//!
//! When the upload is complete the app calls [`UploadStore::take_completed`], imports the
//! file, then [`UploadStore::remove`]s it. [`UploadStore::sweep_expired`] runs at start (an
//! expired upload lingers until the next start: its record says it is expired, and it is
//! refused as such).

mod error;
mod handlers;
mod metadata;
mod protocol;
mod record;
pub mod multipart;
pub mod spool;
mod store;
mod writer;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

pub use error::TusError;
pub use handlers::{create, delete, head, options, patch};
pub use store::{CompletedUpload, UploadInfo, UploadStore};

/// Where partial uploads live and what the server accepts.
#[derive(Debug, Clone)]
pub struct TusConfig {
    /// Directory holding `<id>.part` (bytes) and `<id>.json` (state); created if missing.
    /// Keep it on the same filesystem as the blob store so imports can rename, not copy.
    pub dir: PathBuf,
    /// Largest `Upload-Length` accepted, advertised as `Tus-Max-Size`.
    pub max_size: u64,
    /// How long an upload lives after its creation or its last PATCH.
    pub expire_after: Duration,
    /// Public path of the upload collection, e.g. `/api/v1/uploads`; `Location` is
    /// `<base_path>/<id>`.
    pub base_path: String,
}

impl TusConfig {
    /// A config with the default expiry of 24 hours.
    pub fn new(dir: impl Into<PathBuf>, max_size: u64, base_path: impl Into<String>) -> Self {
        TusConfig {
            dir: dir.into(),
            max_size,
            expire_after: Duration::from_secs(24 * 60 * 60),
            base_path: base_path.into(),
        }
    }
}
