//! Administration in the browser: regions, schools, accounts, password resets, public
//! self-registration, and the audit log. Admins only.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::admin::{self, Handout, NewAccount, Overview};
use crate::app::AppState;
use crate::auth::client::ClientInfo;
use crate::auth::session::{CurrentUser, SessionUser};
use crate::domain::Role;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::content_origin::shares_host_with;
use crate::routes::courses::html;

#[derive(Serialize)]
struct AdminPage {
    #[serde(flatten)]
    overview: Overview,
    reset: Option<(String, String)>,
    /// The account whose sign-in delays were just lifted.
    unlocked: Option<String>,
    /// The content origin shares this site's host name: cookies can be planted from it.
    content_origin_warning: Option<String>,
}

/// What the admin page shows after an action.
#[derive(Default)]
enum Notice {
    #[default]
    None,
    Password(Handout),
    Unlocked(String),
}

#[derive(Deserialize)]
pub struct RegionForm {
    code: String,
    name: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
pub struct SchoolForm {
    code: String,
    name: String,
    region: String,
}

#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    name: String,
    role: String,
    school: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
pub struct RegistrationForm {
    enabled: Option<String>,
}

fn require_admin(user: &CurrentUser) -> Result<&SessionUser, AppError> {
    user.require(&[Role::Admin])
}

fn back() -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin")).finish()
}

fn opt(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn render_admin(state: &AppState, env: &PageEnv, client: &ClientInfo, notice: Notice) -> Result<HttpResponse, AppError> {
    let (reset, unlocked) = match notice {
        Notice::None => (None, None),
        Notice::Password(Handout { username, password }) => (Some((username, password)), None),
        Notice::Unlocked(user) => (None, Some(user)),
    };
    let page = AdminPage {
        overview: admin::overview(state).await?,
        reset,
        unlocked,
        content_origin_warning: shares_host_with(&client.host, &state.content_origin).then(|| state.content_origin.clone()),
    };
    Ok(html(state.renderer.render("admin/index.html", env, &page)?))
}

pub async fn show_admin(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser) -> Result<HttpResponse, AppError> {
    require_admin(&user)?;
    render_admin(&state, &env, &client, Notice::None).await
}

pub async fn add_region(state: web::Data<AppState>, user: CurrentUser, form: web::Form<RegionForm>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    admin::add_region(&state, actor, form.code.trim(), form.name.trim(), opt(&form.parent)).await?;
    Ok(back())
}

pub async fn add_school(state: web::Data<AppState>, user: CurrentUser, form: web::Form<SchoolForm>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    admin::add_school(&state, actor, form.code.trim(), form.name.trim(), form.region.trim()).await?;
    Ok(back())
}

/// Creates an account and shows its initial password once.
pub async fn add_user(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, form: web::Form<UserForm>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    let new = NewAccount {
        username: &form.username,
        name: form.name.trim(),
        role: form.role.trim(),
        school: opt(&form.school),
        region: opt(&form.region),
    };
    let handout = admin::add_user(&state, actor, &new).await?;
    render_admin(&state, &env, &client, Notice::Password(handout)).await
}

/// Sets a new random password, ends the user's sessions, and shows the password once.
pub async fn reset_password(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, user_id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    let handout = admin::reset_password(&state, actor, *user_id).await?;
    render_admin(&state, &env, &client, Notice::Password(handout)).await
}

/// Lifts the sign-in delays on an account (after its owner was slowed by someone else's
/// guesses, or their own).
pub async fn unlock_user(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, user_id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    let username = admin::unlock_user(&state, actor, *user_id).await?;
    render_admin(&state, &env, &client, Notice::Unlocked(username)).await
}

pub async fn set_registration(state: web::Data<AppState>, user: CurrentUser, form: web::Form<RegistrationForm>) -> Result<HttpResponse, AppError> {
    let actor = require_admin(&user)?;
    admin::set_registration(&state, actor, form.enabled.is_some()).await?;
    Ok(back())
}
