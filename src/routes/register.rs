//! Self-registration of public learners (farmers, adults), when an admin allows it.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::client::ClientInfo;
use crate::auth::{password, session};
use crate::db::{state as app_state, users, DbError};
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::admin::REGISTRATION_KEY;
use crate::routes::courses::html;
use crate::app::AppState;

#[derive(Deserialize)]
pub struct RegisterForm {
    username: String,
    name: String,
    password: String,
    confirm: String,
}

#[derive(Serialize, Default)]
struct RegisterPage {
    error: Option<String>,
    username: String,
    name: String,
}

async fn enabled(state: &AppState) -> Result<(), AppError> {
    match app_state::get(&state.db, REGISTRATION_KEY).await?.as_deref() {
        Some("1") => Ok(()),
        _ => Err(AppError::NotFound("page")),
    }
}

pub async fn show_register(state: web::Data<AppState>, env: PageEnv) -> Result<HttpResponse, AppError> {
    enabled(&state).await?;
    Ok(html(state.renderer.render("auth/register.html", &env, &RegisterPage::default())?))
}

#[tracing::instrument(skip_all, fields(username = %form.username))]
pub async fn register(client: ClientInfo, state: web::Data<AppState>, env: PageEnv, form: web::Form<RegisterForm>) -> Result<HttpResponse, AppError> {
    enabled(&state).await?;
    let username = form.username.trim();
    let valid_name = (2..=64).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    let error = if !valid_name {
        Some("register.bad_username")
    } else if form.name.trim().is_empty() {
        Some("register.name_required")
    } else if form.password != form.confirm {
        Some("auth.password_mismatch")
    } else if form.password.chars().count() < 8 {
        Some("auth.password_short")
    } else {
        None
    };
    let new = users::NewUser {
        username,
        display_name: form.name.trim(),
        password_hash: &password::hash(&form.password)?,
        role: "public",
        school_id: None,
        region_id: None,
    };
    let error = match error {
        Some(e) => Some(e),
        None => match users::insert(&state.db, &new).await {
            Ok(id) => {
                let cookie = session::start(&state.db, id, client.https).await?;
                return Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, "/")).finish());
            }
            Err(DbError::Conflict(_)) => Some("register.taken"),
            Err(e) => return Err(e.into()),
        },
    };
    let page = RegisterPage {
        error: error.map(|key| state.renderer.string(env.lang, key)),
        username: username.to_string(),
        name: form.name.clone(),
    };
    let body = state.renderer.render("auth/register.html", &env, &page)?;
    Ok(HttpResponse::build(StatusCode::BAD_REQUEST).content_type("text/html; charset=utf-8").body(body))
}
