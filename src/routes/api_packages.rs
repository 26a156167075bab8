//! `POST /api/v1/packages`: upload a course package as the request body (teachers, admins).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::packages::{import_package, Arrival};
use crate::app::AppState;
use crate::auth::session::CurrentUser;
use crate::domain::Role;
use crate::error::AppError;
use crate::uploads::spool;

#[derive(Deserialize)]
pub struct UploadQuery {
    /// Admins choose the owning school; teachers always upload to their own.
    school: Option<String>,
    /// The package's file name, for titles of packages without a manifest.
    name: Option<String>,
    /// Who may see the course: open, region, school or classes. Without it a new course is
    /// seen by its school only, and a new version keeps its course's visibility.
    visibility: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.0.username))]
pub async fn upload_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let uploader = user.require(&[Role::Admin, Role::Teacher])?;
    let owner = crate::routes::teach::owner_for(&state, uploader, query.school.as_deref(), query.visibility.as_deref()).await?;
    let file = spool::to_temp_file(&state.settings, req.headers(), body).await?;
    let name = query.name.clone().unwrap_or_else(|| "package.zip".into());
    let report = import_package(&state, uploader, file.path(), &name, &owner, Arrival::Body).await?;
    Ok(HttpResponse::Created().json(report))
}
