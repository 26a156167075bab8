//! Roster import for teachers: upload a CSV, preview new/updated/bad rows, then apply the
//! good rows in one transaction and show the new accounts' initial passwords once.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::roster::{self, Preview};
use crate::auth::session::CurrentUser;
use crate::auth::password;
use crate::db::{audit, roster as roster_db};
use crate::domain::Role;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::app::AppState;
use crate::spreadsheet;
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

fn staged_path(state: &AppState, user_id: i64, upload: &str) -> Result<std::path::PathBuf, AppError> {
    if upload.len() != 32 || !upload.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound("roster upload"));
    }
    Ok(state.settings.data_dir.join("uploads").join(format!("roster-{user_id}-{upload}.csv")))
}

pub async fn show_roster(state: web::Data<AppState>, env: PageEnv, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let (_, school_id) = teacher_school(&user)?;
    let students = roster_db::students(&state.db, school_id).await?;
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
    let text = roster::decode(&bytes);
    let preview = classify(&state, &text, school_id).await?;
    let upload = hex::encode(rand::random::<[u8; 16]>());
    let path = staged_path(&state, user_id, &upload)?;
    std::fs::create_dir_all(path.parent().expect("has parent")).map_err(|e| AppError::Internal(e.into()))?;
    std::fs::write(&path, text.as_bytes()).map_err(|e| AppError::Internal(e.into()))?;
    Ok(html(state.renderer.render("teach/roster_preview.html", &env, &PreviewPage { preview, upload })?))
}

async fn classify(state: &AppState, text: &str, school_id: i64) -> Result<Preview, AppError> {
    let usernames: Vec<String> = roster::parse_csv(text).into_iter().skip(1).flat_map(|(_, f)| f.into_iter()).collect();
    let existing = roster_db::existing(&state.db, &usernames).await?;
    roster::preview(text, school_id, &existing).map_err(AppError::BadRequest)
}

/// Re-checks the staged file (accounts may have changed since the preview) and applies
/// the good rows in one transaction.
#[tracing::instrument(skip_all)]
pub async fn apply_roster(
    state: web::Data<AppState>,
    env: PageEnv,
    user: CurrentUser,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, school_id) = teacher_school(&user)?;
    let path = staged_path(&state, user_id, &form.upload)?;
    let text = std::fs::read_to_string(&path).map_err(|_| AppError::NotFound("roster upload"))?;
    let preview = classify(&state, &text, school_id).await?;
    let mut new = Vec::with_capacity(preview.new.len());
    let mut created = Vec::with_capacity(preview.new.len());
    for row in preview.new {
        let initial = password::generate();
        created.push((row.username.clone(), row.name.clone(), row.class.clone(), initial.clone()));
        new.push((row, password::hash(&initial)?));
    }
    roster_db::apply(&state.db, school_id, &new, &preview.updated).await?;
    let _ = std::fs::remove_file(&path);
    audit::record(&state.db, Some(user_id), "roster.import", &school_id.to_string(), &format!("{} new, {} updated", created.len(), preview.updated.len())).await?;
    let mut csv = String::from(spreadsheet::BOM);
    csv.push_str(&spreadsheet::line(["username", "name", "class", "initial_password"]));
    for (u, n, c, p) in &created {
        csv.push_str(&spreadsheet::line([u, n, c, p]));
    }
    let page = DonePage { created, updated: preview.updated.len(), csv };
    Ok(html(state.renderer.render("teach/roster_done.html", &env, &page)?))
}
