//! Self-registration of public learners (farmers, adults), when an admin allows it.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::accounts::{self, Change, Registration};
use crate::app::AppState;
use crate::auth::client::ClientInfo;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;

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

pub async fn show_register(state: web::Data<AppState>, env: PageEnv) -> Result<HttpResponse, AppError> {
    accounts::require_registration_open(&state).await?;
    Ok(html(state.renderer.render("auth/register.html", &env, &RegisterPage::default())?))
}

#[tracing::instrument(skip_all, fields(username = %form.username))]
pub async fn register(client: ClientInfo, state: web::Data<AppState>, env: PageEnv, form: web::Form<RegisterForm>) -> Result<HttpResponse, AppError> {
    let registration = Registration { username: &form.username, name: &form.name, password: &form.password, confirm: &form.confirm };
    let key = match accounts::register(&state, client.https, &registration).await? {
        Change::Done(cookie) => return Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, "/")).finish()),
        Change::Refused(key) => key,
    };
    let page = RegisterPage {
        error: Some(state.renderer.string(env.lang, key)),
        username: form.username.trim().to_string(),
        name: form.name.clone(),
    };
    let body = state.renderer.render("auth/register.html", &env, &page)?;
    Ok(HttpResponse::build(StatusCode::BAD_REQUEST).content_type("text/html; charset=utf-8").body(body))
}
