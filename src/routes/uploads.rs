//! Resumable uploads (tus 1.0) for teachers, and turning a finished upload into a course.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::packages::{import_package, Arrival};
use crate::app::AppState;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::domain::Role;
use crate::error::AppError;
use crate::uploads;

fn uploader(user: &CurrentUser) -> Result<&SessionUser, AppError> {
    user.require(&[Role::Teacher, Role::Admin])
}

pub async fn options(state: web::Data<AppState>) -> HttpResponse {
    uploads::options(&state.uploads).await
}

pub async fn create(req: HttpRequest, state: web::Data<AppState>, user: CurrentUser, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let owner = uploader(&user)?.id;
    Ok(uploads::create(&req, body, owner, &state.uploads).await?)
}

pub async fn head(req: HttpRequest, state: web::Data<AppState>, user: CurrentUser, id: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let owner = uploader(&user)?.id;
    Ok(uploads::head(&req, &id, owner, &state.uploads).await?)
}

pub async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let owner = uploader(&user)?.id;
    Ok(uploads::patch(&req, &id, body, owner, &state.uploads).await?)
}

pub async fn delete(req: HttpRequest, state: web::Data<AppState>, user: CurrentUser, id: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let owner = uploader(&user)?.id;
    Ok(uploads::delete(&req, &id, owner, &state.uploads).await?)
}

#[derive(Deserialize)]
pub struct CompleteForm {
    upload: String,
    /// The uploader's choice of who may see the course; absent or empty: the default.
    visibility: Option<String>,
}

/// Imports a finished upload into the teacher's school; the upload is removed either way,
/// so a rejected package is not left taking space.
#[tracing::instrument(skip_all, fields(upload = %form.upload))]
pub async fn complete(state: web::Data<AppState>, user: CurrentUser, form: web::Json<CompleteForm>) -> actix_web::Result<HttpResponse> {
    let uploader = uploader(&user)?;
    // A bad visibility is refused before the upload is used up, so the form can be resent.
    let owner = crate::routes::teach::owner_for(&state, uploader, None, form.visibility.as_deref()).await?;
    let done = state.uploads.take_completed(&form.upload, uploader.id).await?;
    let name = done.metadata.get("filename").cloned().unwrap_or_else(|| "package.zip".into());
    let result = import_package(&state, uploader, &done.path, &name, &owner, Arrival::Upload).await;
    let _ = state.uploads.remove(&form.upload, uploader.id).await;
    let report = result?;
    // A teacher must see what the importer had to say before moving on.
    let redirect = if report.warnings.is_empty() {
        format!("/courses/{}", report.course_id)
    } else {
        format!("/teach/courses/{}/report?version={}", report.course_id, report.version_id)
    };
    Ok(HttpResponse::Created().json(json!({"redirect": redirect, "report": report})))
}
