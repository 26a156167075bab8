//! Accounts: signing in (and starting the session), changing one's own password, and
//! self-registration of public learners.

use actix_web::cookie::Cookie;
use actix_web::HttpRequest;

use crate::app::AppState;
use crate::auth::client::ClientInfo;
use crate::auth::login::{self, LoginError};
use crate::auth::password;
use crate::auth::session::{self, SessionUser};
use crate::db::{self, audit, sessions, state as app_state, users, DbError};
use crate::domain::account::{is_long_enough_password, is_valid_username};
use crate::domain::Role;
use crate::error::AppError;

/// The `app_state` key of the admin's registration switch; `"1"` means open.
pub const REGISTRATION_KEY: &str = "allow_registration";

/// How a sign-in ended.
pub enum SignIn {
    /// Signed in: the cookie of the fresh session.
    Done(Cookie<'static>),
    Wrong,
    /// Throttled: whole seconds until a try may be made again (at least one).
    Throttled { seconds: i64 },
}

/// An account change that was made, or refused with the message key saying why.
pub enum Change {
    Done(Cookie<'static>),
    Refused(&'static str),
}

/// Checks the credentials and, when they are right, ends the request's session and starts
/// a fresh one: a new session id at every sign-in defeats session fixation.
#[tracing::instrument(skip_all)]
pub async fn sign_in(state: &AppState, req: &HttpRequest, client: &ClientInfo, username: &str, password_text: &str) -> Result<SignIn, AppError> {
    match login::attempt(&state.db, username.trim(), password_text, &client.address).await {
        Ok(user) => {
            let mut tx = state.db.begin().await?;
            session::end_in(&mut tx, req, client.https).await?;
            let cookie = session::start_in(&mut tx, user.id, client.https).await?;
            db::commit(tx).await?;
            Ok(SignIn::Done(cookie))
        }
        Err(LoginError::Wrong) => Ok(SignIn::Wrong),
        Err(LoginError::Throttled { retry_at }) => {
            let seconds = ((retry_at - db::now_ms()).max(0) + 999) / 1000;
            Ok(SignIn::Throttled { seconds: seconds.max(1) })
        }
        Err(LoginError::Internal(e)) => Err(e),
    }
}

/// Ends the request's session; returns the cookie that clears it.
pub async fn sign_out(state: &AppState, req: &HttpRequest, https: bool) -> Result<Cookie<'static>, AppError> {
    Ok(session::end(&state.db, req, https).await?)
}

/// Changes the user's own password. Every other session ends; this device gets a fresh one.
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn change_password(state: &AppState, user: &SessionUser, https: bool, current: &str, new: &str, confirm: &str) -> Result<Change, AppError> {
    let row = users::get(&state.db, user.id).await?;
    if !password::verify(current, &row.password_hash) {
        return Ok(Change::Refused("auth.wrong_credentials"));
    }
    if let Some(key) = new_password_problem(new, confirm) {
        return Ok(Change::Refused(key));
    }
    let hash = password::hash(new)?;
    let mut tx = state.db.begin().await?;
    users::set_password_in(&mut tx, user.id, &hash).await?;
    sessions::delete_for_user_in(&mut tx, user.id).await?;
    let cookie = session::start_in(&mut tx, user.id, https).await?;
    audit::record_in(&mut tx, Some(user.id), "user.password", &user.username, "changed own password").await?;
    db::commit(tx).await?;
    Ok(Change::Done(cookie))
}

/// The message key of what is wrong with a new password and its confirmation, if anything.
fn new_password_problem(new: &str, confirm: &str) -> Option<&'static str> {
    if new != confirm {
        Some("auth.password_mismatch")
    } else if !is_long_enough_password(new) {
        Some("auth.password_short")
    } else {
        None
    }
}

/// Whether the admin allows self-registration.
pub async fn registration_open(state: &AppState) -> Result<bool, AppError> {
    Ok(app_state::get(&state.db, REGISTRATION_KEY).await?.as_deref() == Some("1"))
}

/// The registration pages exist only while registration is open.
pub async fn require_registration_open(state: &AppState) -> Result<(), AppError> {
    if registration_open(state).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("page"))
    }
}

/// What a public learner fills in to register.
pub struct Registration<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub confirm: &'a str,
}

/// Creates a public learner's account and signs it in, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn register(state: &AppState, https: bool, form: &Registration<'_>) -> Result<Change, AppError> {
    require_registration_open(state).await?;
    let username = form.username.trim();
    let problem = if !is_valid_username(username) {
        Some("register.bad_username")
    } else if form.name.trim().is_empty() {
        Some("register.name_required")
    } else {
        new_password_problem(form.password, form.confirm)
    };
    if let Some(key) = problem {
        return Ok(Change::Refused(key));
    }
    let new = users::NewUser {
        username,
        display_name: form.name.trim(),
        password_hash: &password::hash(form.password)?,
        role: Role::Public.as_str(),
        school_id: None,
        region_id: None,
    };
    let mut tx = state.db.begin().await?;
    let id = match users::insert_in(&mut tx, &new).await {
        Ok(id) => id,
        Err(DbError::Conflict(_)) => return Ok(Change::Refused("register.taken")),
        Err(e) => return Err(e.into()),
    };
    let cookie = session::start_in(&mut tx, id, https).await?;
    db::commit(tx).await?;
    Ok(Change::Done(cookie))
}
