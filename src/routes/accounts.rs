//! Sign in, sign out, and the user's own account page.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::accounts::{self, Change, SignIn};
use crate::app::AppState;
use crate::auth::client::ClientInfo;
use crate::auth::session::CurrentUser;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::courses::html;
use crate::routes::redirect::same_site_path;

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

fn text(state: &AppState, env: &PageEnv, key: &str) -> String {
    state.renderer.string(env.lang, key)
}

pub async fn show_login(state: web::Data<AppState>, env: PageEnv, query: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    let page = LoginPage { next: same_site_path(query.next.as_deref()), ..LoginPage::default() };
    Ok(html(state.renderer.render("auth/login.html", &env, &page)?))
}

#[tracing::instrument(skip_all, fields(username = %form.username))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    env: PageEnv,
    client: ClientInfo,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = same_site_path(form.next.as_deref());
    let (status, key, retry_after) = match accounts::sign_in(&state, &req, &client, &form.username, &form.password).await? {
        SignIn::Done(cookie) => return Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, next)).finish()),
        SignIn::Wrong => (StatusCode::UNAUTHORIZED, "auth.wrong_credentials", None),
        SignIn::Throttled { seconds } => (StatusCode::TOO_MANY_REQUESTS, "auth.throttled", Some(seconds)),
    };
    let mut error = text(&state, &env, key);
    if let Some(seconds) = retry_after {
        error = error.replace("{seconds}", &seconds.to_string());
    }
    let page = LoginPage { next, username: form.username.clone(), error: Some(error) };
    let body = state.renderer.render("auth/login.html", &env, &page)?;
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(body))
}

pub async fn logout(req: HttpRequest, state: web::Data<AppState>, client: ClientInfo) -> Result<HttpResponse, AppError> {
    let cookie = accounts::sign_out(&state, &req, client.https).await?;
    Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, "/")).finish())
}

pub async fn show_account(state: web::Data<AppState>, env: PageEnv, _user: CurrentUser) -> Result<HttpResponse, AppError> {
    Ok(html(state.renderer.render("auth/account.html", &env, &AccountPage::default())?))
}

#[tracing::instrument(skip_all, fields(user_id = user.0.id))]
pub async fn change_password(
    client: ClientInfo,
    state: web::Data<AppState>,
    env: PageEnv,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    match accounts::change_password(&state, &user.0, client.https, &form.current, &form.new, &form.confirm).await? {
        Change::Refused(key) => {
            let page = AccountPage { error: Some(text(&state, &env, key)), changed: false };
            let body = state.renderer.render("auth/account.html", &env, &page)?;
            Ok(HttpResponse::BadRequest().content_type("text/html; charset=utf-8").body(body))
        }
        Change::Done(cookie) => {
            let page = AccountPage { error: None, changed: true };
            let body = state.renderer.render("auth/account.html", &env, &page)?;
            Ok(HttpResponse::Ok().cookie(cookie).content_type("text/html; charset=utf-8").body(body))
        }
    }
}

/// `GET /api/v1/me`: the signed-in user and, for cookie sessions, the CSRF token scripts
/// must send as `X-CSRF-Token`.
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": user.0,
        "csrf_token": user.0.csrf_token,
    }))
}
