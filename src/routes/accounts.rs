//! Sign in, sign out, and the user's own account page.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::session::{self, CurrentUser};
use crate::auth::{login, password};
use crate::db::{sessions, users};
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::startup::AppState;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

#[derive(Serialize, Default)]
struct LoginPage {
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

#[derive(Serialize, Default)]
struct AccountPage {
    error: Option<String>,
    changed: bool,
}

/// Only same-site paths, so a crafted link cannot bounce a learner to another site.
pub(crate) fn local_path(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/")
        .to_string()
}

fn text(state: &AppState, env: &PageEnv, key: &str) -> String {
    state.renderer.string(env.lang, key)
}

pub async fn show_login(state: web::Data<AppState>, env: PageEnv, query: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    let page = LoginPage { next: local_path(query.next.as_deref()), ..LoginPage::default() };
    Ok(html(state.renderer.render("auth/login.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(username = %form.username))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    env: PageEnv,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let next = local_path(form.next.as_deref());
    match login::attempt(&state.db, form.username.trim(), &form.password, &address).await {
        Ok(user) => {
            // A fresh session id at every sign-in defeats session fixation.
            let _ = session::end(&state.db, &req, session::is_https(&req)).await?;
            let cookie = session::start(&state.db, user.id, session::is_https(&req)).await?;
            Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, next)).finish())
        }
        Err(err @ (AppError::BadRequest(_) | AppError::TooManyRequests(_))) => {
            let (status, key) = match err {
                AppError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "auth.throttled"),
                _ => (StatusCode::UNAUTHORIZED, "auth.wrong_credentials"),
            };
            let page = LoginPage { next, username: form.username.clone(), error: Some(text(&state, &env, key)) };
            let body = state.renderer.render("auth/login.html", &env, &page)?;
            Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
        }
        Err(other) => Err(other),
    }
}

pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let cookie = session::end(&state.db, &req, session::is_https(&req)).await?;
    Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, "/")).finish())
}

pub async fn show_account(state: web::Data<AppState>, env: PageEnv, _user: CurrentUser) -> Result<HttpResponse, AppError> {
    Ok(html(state.renderer.render("auth/account.html", &env, &AccountPage::default())?))
}

#[tracing::instrument(skip_all, fields(user_id = user.0.id))]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    env: PageEnv,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let row = users::get(&state.db, user.0.id).await?;
    let error = if !password::verify(&form.current, &row.password_hash) {
        Some("auth.wrong_credentials")
    } else if form.new != form.confirm {
        Some("auth.password_mismatch")
    } else if form.new.chars().count() < 8 {
        Some("auth.password_short")
    } else {
        None
    };
    if let Some(key) = error {
        let page = AccountPage { error: Some(text(&state, &env, key)), changed: false };
        let body = state.renderer.render("auth/account.html", &env, &page)?;
        return Ok(HttpResponse::BadRequest().content_type("text/html; charset=utf-8").body(body));
    }
    users::set_password(&state.db, user.0.id, &password::hash(&form.new)?).await?;
    // Every other session ends; this device gets a fresh one.
    sessions::delete_for_user(&state.db, user.0.id).await?;
    let cookie = session::start(&state.db, user.0.id, session::is_https(&req)).await?;
    crate::db::audit::record(&state.db, Some(user.0.id), "user.password", &user.0.username, "changed own password").await?;
    let page = AccountPage { error: None, changed: true };
    let body = state.renderer.render("auth/account.html", &env, &page)?;
    Ok(HttpResponse::Ok().cookie(cookie).content_type("text/html; charset=utf-8").body(body))
}

/// `GET /api/v1/me`: the signed-in user and, for cookie sessions, the CSRF token scripts
/// must send as `X-CSRF-Token`.
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": user.0,
        "csrf_token": user.0.csrf_token,
    }))
}
