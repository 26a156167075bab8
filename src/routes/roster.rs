//! Roster import for teachers: upload a CSV, preview new/updated/bad rows, then apply the
//! good rows in one transaction and show the new accounts' initial passwords once.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::roster;
use crate::auth::session::CurrentUser;
use crate::domain::roster::Preview;
use crate::domain::Role;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::app::AppState;
use crate::uploads::multipart;

const MAX_CSV_BYTES: usize = 5 << 20;

#[derive(Serialize)]
struct RosterPage {
    students: Vec<(String, String, Option<String>)>,
}

#[derive(Serialize)]
struct PreviewPage {
    preview: Preview,
    upload: String,
}

#[derive(Serialize)]
struct DonePage {
    created: Vec<(String, String, String, String)>,
    updated: usize,
    csv: String,
}

#[derive(Deserialize)]
pub struct ApplyForm {
    upload: String,
}

fn teacher_school(user: &CurrentUser) -> Result<(i64, i64), AppError> {
    let teacher = user.require(&[Role::Teacher])?;
    Ok((teacher.id, teacher.school_id.ok_or(AppError::Forbidden)?))
}

pub async fn show_roster(state: web::Data<AppState>, env: PageEnv, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let (_, school_id) = teacher_school(&user)?;
    let students = roster::students(&state, school_id).await?;
    Ok(html(state.renderer.render("teach/roster.html", &env, &RosterPage { students })?))
}

/// Parses the CSV and shows what applying it would do; nothing is written to the database.
#[tracing::instrument(skip_all)]
pub async fn preview_roster(
    req: HttpRequest,
    state: web::Data<AppState>,
    env: PageEnv,
    user: CurrentUser,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (user_id, school_id) = teacher_school(&user)?;
    let bytes = multipart::read_field(req.headers(), body, "file", MAX_CSV_BYTES).await?;
    let (preview, upload) = roster::preview(&state, user_id, school_id, &bytes).await?;
    Ok(html(state.renderer.render("teach/roster_preview.html", &env, &PreviewPage { preview, upload })?))
}

/// Applies the previewed file and shows the new accounts' initial passwords once.
#[tracing::instrument(skip_all)]
pub async fn apply_roster(
    state: web::Data<AppState>,
    env: PageEnv,
    user: CurrentUser,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, school_id) = teacher_school(&user)?;
    let applied = roster::apply(&state, user_id, school_id, &form.upload).await?;
    let page = DonePage { created: applied.created, updated: applied.updated, csv: applied.csv };
    Ok(html(state.renderer.render("teach/roster_done.html", &env, &page)?))
}
