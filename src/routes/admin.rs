//! Administration in the browser: regions, schools, accounts, password resets, public
//! self-registration, and the audit log. Admins only.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::client::ClientInfo;
use crate::auth::{login, password};
use crate::auth::session::{CurrentUser, SessionUser};
use crate::db::{audit, org, sessions, state as app_state, users};
use crate::domain::Role;
use crate::error::AppError;
use crate::render::PageEnv;
use crate::routes::content_origin::shares_host_with;
use crate::routes::courses::html;
use crate::app::AppState;

pub const REGISTRATION_KEY: &str = "allow_registration";

#[derive(Serialize)]
struct AdminPage {
    regions: Vec<org::RegionRow>,
    schools: Vec<org::SchoolRow>,
    users: Vec<users::UserListRow>,
    audit: Vec<audit::AuditRow>,
    registration: bool,
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
    Password(String, String),
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

fn admin(user: &CurrentUser) -> Result<&SessionUser, AppError> {
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
        Notice::Password(user, password) => (Some((user, password)), None),
        Notice::Unlocked(user) => (None, Some(user)),
    };
    let page = AdminPage {
        unlocked,
        content_origin_warning: shares_host_with(&client.host, &state.content_origin).then(|| state.content_origin.clone()),
        regions: org::regions(&state.db).await?,
        schools: org::schools(&state.db).await?,
        users: users::list(&state.db, 200).await?,
        audit: audit::recent(&state.db, 100).await?,
        registration: app_state::get(&state.db, REGISTRATION_KEY).await?.as_deref() == Some("1"),
        reset,
    };
    Ok(html(state.renderer.render("admin/index.html", env, &page)?))
}

pub async fn show_admin(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser) -> Result<HttpResponse, AppError> {
    admin(&user)?;
    render_admin(&state, &env, &client, Notice::None).await
}

pub async fn add_region(state: web::Data<AppState>, user: CurrentUser, form: web::Form<RegionForm>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let parent = match opt(&form.parent) {
        Some(code) => Some(org::region_by_code(&state.db, code).await.map_err(|_| AppError::BadRequest(format!("region {code} does not exist")))?.id),
        None => None,
    };
    org::add_region(&state.db, form.code.trim(), form.name.trim(), parent).await?;
    audit::record(&state.db, Some(actor.id), "region.add", form.code.trim(), form.name.trim()).await?;
    Ok(back())
}

pub async fn add_school(state: web::Data<AppState>, user: CurrentUser, form: web::Form<SchoolForm>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let region = org::region_by_code(&state.db, form.region.trim())
        .await
        .map_err(|_| AppError::BadRequest(format!("region {} does not exist", form.region.trim())))?;
    org::add_school(&state.db, form.code.trim(), form.name.trim(), region.id).await?;
    audit::record(&state.db, Some(actor.id), "school.add", form.code.trim(), form.name.trim()).await?;
    Ok(back())
}

/// Creates an account and shows its initial password once.
pub async fn add_user(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, form: web::Form<UserForm>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let role = Role::parse(form.role.trim()).map_err(AppError::BadRequest)?;
    let school = match opt(&form.school) {
        Some(code) => Some(org::school_by_code(&state.db, code).await.map_err(|_| AppError::BadRequest(format!("school {code} does not exist")))?),
        None => None,
    };
    let region_id = match opt(&form.region) {
        Some(code) => Some(org::region_by_code(&state.db, code).await.map_err(|_| AppError::BadRequest(format!("region {code} does not exist")))?.id),
        None => school.as_ref().map(|s| s.region_id),
    };
    match role {
        Role::Bureau if region_id.is_none() => return Err(AppError::BadRequest("a bureau officer needs a region".into())),
        Role::Teacher | Role::Student if school.is_none() => return Err(AppError::BadRequest(format!("a {role} needs a school"))),
        _ => {}
    }
    let initial = password::generate();
    let new = users::NewUser {
        username: form.username.trim(),
        display_name: form.name.trim(),
        password_hash: &password::hash(&initial)?,
        role: role.as_str(),
        school_id: school.as_ref().map(|s| s.id),
        region_id,
    };
    users::insert(&state.db, &new).await?;
    audit::record(&state.db, Some(actor.id), "user.add", form.username.trim(), role.as_str()).await?;
    render_admin(&state, &env, &client, Notice::Password(form.username.trim().to_string(), initial)).await
}

/// Sets a new random password, ends the user's sessions, and shows the password once.
pub async fn reset_password(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, user_id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let target = users::get(&state.db, *user_id).await?;
    let initial = password::generate();
    users::set_password(&state.db, target.id, &password::hash(&initial)?).await?;
    sessions::delete_for_user(&state.db, target.id).await?;
    audit::record(&state.db, Some(actor.id), "user.password_reset", &target.username, "").await?;
    render_admin(&state, &env, &client, Notice::Password(target.username, initial)).await
}

/// Lifts the sign-in delays on an account (after its owner was slowed by someone else's
/// guesses, or their own).
pub async fn unlock_user(state: web::Data<AppState>, env: PageEnv, client: ClientInfo, user: CurrentUser, user_id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let target = users::get(&state.db, *user_id).await?;
    let cleared = login::unlock(&state.db, &target.username).await?;
    audit::record(&state.db, Some(actor.id), "user.unlock", &target.username, &format!("{cleared} throttle keys cleared")).await?;
    render_admin(&state, &env, &client, Notice::Unlocked(target.username)).await
}

pub async fn set_registration(state: web::Data<AppState>, user: CurrentUser, form: web::Form<RegistrationForm>) -> Result<HttpResponse, AppError> {
    let actor = admin(&user)?;
    let value = if form.enabled.is_some() { "1" } else { "0" };
    app_state::set(&state.db, REGISTRATION_KEY, value).await?;
    audit::record(&state.db, Some(actor.id), "settings.registration", value, "").await?;
    Ok(back())
}
