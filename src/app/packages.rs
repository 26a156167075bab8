//! Importing a course package (a request body or a finished resumable upload) as a new
//! course or version, with its audit record.

use std::path::Path;

use crate::app::AppState;
use crate::auth::session::SessionUser;
use crate::db::audit;
use crate::error::AppError;
use crate::packages::import::{import_path, ImportReport, Owner};

/// How the package arrived, for the audit record.
pub enum Arrival {
    /// As the body of `POST /api/v1/packages`.
    Body,
    /// As a resumable upload, under the file name it was uploaded with.
    Upload,
}

/// Imports the package at `path` for `owner`; `name` is the uploaded file's name. The import
/// stores the version in its own transaction (`courses::insert_version`), so the audit
/// record follows it rather than sharing it.
#[tracing::instrument(skip_all, fields(user = %uploader.username))]
pub async fn import_package(state: &AppState, uploader: &SessionUser, path: &Path, name: &str, owner: &Owner, arrival: Arrival) -> Result<ImportReport, AppError> {
    let report = import_path(&state.db, &state.store, path, name, owner, &state.settings.limits, &state.settings.media, None).await?;
    let detail = match arrival {
        Arrival::Body => format!("version {}", report.version),
        Arrival::Upload => format!("version {} from {name}", report.version),
    };
    audit::record(&state.db, Some(uploader.id), "course.import", &report.course_id.to_string(), &detail).await?;
    Ok(report)
}
