//! Administration: regions, schools, accounts, password resets, sign-in unlocks and the
//! registration switch, each with its audit record in the same transaction; and what the
//! admin page shows.

use serde::Serialize;

use crate::app::accounts::{registration_open, REGISTRATION_KEY};
use crate::app::AppState;
use crate::auth::session::SessionUser;
use crate::auth::{login, password};
use crate::db::{self, audit, org, sessions, state as app_state, users};
use crate::domain::account::Username;
use crate::domain::Role;
use crate::error::AppError;

/// What the admin page lists.
#[derive(Serialize)]
pub struct Overview {
    pub regions: Vec<org::RegionRow>,
    pub schools: Vec<org::SchoolRow>,
    pub users: Vec<users::UserListRow>,
    pub audit: Vec<audit::AuditRow>,
    pub registration: bool,
    pub storage: StorageView,
}

/// The blob store's size in MB, and how much of it is video renditions (as text: the
/// page puts them into a sentence with Tera's `replace`, which takes text).
#[derive(Serialize)]
pub struct StorageView {
    pub files: String,
    pub megabytes: String,
    pub rendition_files: String,
    pub rendition_megabytes: String,
}

/// A new account as the admin typed it: codes of its school and region, if any.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub school: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// An account's username and the password to hand its owner, shown once.
pub struct Handout {
    pub username: String,
    pub password: String,
}

pub async fn overview(state: &AppState) -> Result<Overview, AppError> {
    Ok(Overview {
        regions: org::regions(&state.db).await?,
        schools: org::schools(&state.db).await?,
        users: users::list(&state.db, 200).await?,
        audit: audit::recent(&state.db, 100).await?,
        registration: registration_open(state).await?,
        storage: storage(state).await?,
    })
}

async fn storage(state: &AppState) -> Result<StorageView, AppError> {
    let t = crate::db::blobs::totals(&state.db).await?;
    let mb = |bytes: i64| format!("{:.1}", bytes as f64 / 1e6);
    Ok(StorageView { files: t.files.to_string(), megabytes: mb(t.bytes), rendition_files: t.rendition_files.to_string(), rendition_megabytes: mb(t.rendition_bytes) })
}

async fn region(state: &AppState, code: &str) -> Result<org::RegionRow, AppError> {
    org::region_by_code(&state.db, code).await.map_err(|_| AppError::BadRequest(format!("region {code} does not exist")))
}

#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn add_region(state: &AppState, actor: &SessionUser, code: &str, name: &str, parent: Option<&str>) -> Result<(), AppError> {
    let parent = match parent {
        Some(code) => Some(region(state, code).await?.id),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    org::add_region_in(&mut tx, code, name, parent).await?;
    audit::record_in(&mut tx, Some(actor.id), "region.add", code, name).await?;
    Ok(db::commit(tx).await?)
}

#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn add_school(state: &AppState, actor: &SessionUser, code: &str, name: &str, region_code: &str) -> Result<(), AppError> {
    let region = region(state, region_code).await?;
    let mut tx = state.db.begin().await?;
    org::add_school_in(&mut tx, code, name, region.id).await?;
    audit::record_in(&mut tx, Some(actor.id), "school.add", code, name).await?;
    Ok(db::commit(tx).await?)
}

/// Creates an account with a random initial password. A bureau officer needs a region; a
/// teacher or student a school (whose region they are in unless one is named).
#[tracing::instrument(skip_all, fields(username = %new.username))]
pub async fn add_user(state: &AppState, actor: &SessionUser, new: &NewAccount<'_>) -> Result<Handout, AppError> {
    let username = Username::parse(new.username).map_err(AppError::BadRequest)?;
    let role = Role::parse(new.role).map_err(AppError::BadRequest)?;
    let school = match new.school {
        Some(code) => Some(org::school_by_code(&state.db, code).await.map_err(|_| AppError::BadRequest(format!("school {code} does not exist")))?),
        None => None,
    };
    let region_id = match new.region {
        Some(code) => Some(region(state, code).await?.id),
        None => school.as_ref().map(|s| s.region_id),
    };
    match role {
        Role::Bureau if region_id.is_none() => return Err(AppError::BadRequest("a bureau officer needs a region".into())),
        Role::Teacher | Role::Student if school.is_none() => return Err(AppError::BadRequest(format!("a {role} needs a school"))),
        _ => {}
    }
    let initial = password::generate();
    let row = users::NewUser {
        username: username.as_str(),
        display_name: new.name,
        password_hash: &password::hash(&initial)?,
        role: role.as_str(),
        school_id: school.as_ref().map(|s| s.id),
        region_id,
    };
    let mut tx = state.db.begin().await?;
    users::insert_in(&mut tx, &row).await?;
    audit::record_in(&mut tx, Some(actor.id), "user.add", username.as_str(), role.as_str()).await?;
    db::commit(tx).await?;
    Ok(Handout { username: username.into_string(), password: initial })
}

/// Sets a new random password and ends the user's sessions.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn reset_password(state: &AppState, actor: &SessionUser, user_id: i64) -> Result<Handout, AppError> {
    let target = users::get(&state.db, user_id).await?;
    let initial = password::generate();
    let hash = password::hash(&initial)?;
    let mut tx = state.db.begin().await?;
    users::set_password_in(&mut tx, target.id, &hash).await?;
    sessions::delete_for_user_in(&mut tx, target.id).await?;
    audit::record_in(&mut tx, Some(actor.id), "user.password_reset", &target.username, "").await?;
    db::commit(tx).await?;
    Ok(Handout { username: target.username, password: initial })
}

/// Lifts the sign-in delays on an account; returns its username.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn unlock_user(state: &AppState, actor: &SessionUser, user_id: i64) -> Result<String, AppError> {
    let target = users::get(&state.db, user_id).await?;
    let mut tx = state.db.begin().await?;
    let cleared = login::unlock(&mut tx, &target.username).await?;
    audit::record_in(&mut tx, Some(actor.id), "user.unlock", &target.username, &format!("{cleared} throttle keys cleared")).await?;
    db::commit(tx).await?;
    Ok(target.username)
}

/// Opens or closes self-registration of public learners.
pub async fn set_registration(state: &AppState, actor: &SessionUser, enabled: bool) -> Result<(), AppError> {
    let value = if enabled { "1" } else { "0" };
    let mut tx = state.db.begin().await?;
    app_state::set_in(&mut tx, REGISTRATION_KEY, value).await?;
    audit::record_in(&mut tx, Some(actor.id), "settings.registration", value, "").await?;
    Ok(db::commit(tx).await?)
}
