//! Password sign-in with throttling per account and per client address.

use crate::db::users::UserRow;
use crate::db::{now_ms, sessions, users, Db};
use crate::error::AppError;

use super::password;

/// Failures allowed per account, and per address, within [`WINDOW_MS`].
const MAX_PER_ACCOUNT: i64 = 5;
const MAX_PER_ADDRESS: i64 = 20;
const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Checks a username and password. Every failure looks the same to the caller, so the
/// response does not reveal which usernames exist.
pub async fn attempt(db: &Db, username: &str, password_text: &str, address: &str) -> Result<UserRow, AppError> {
    let account_key = format!("user:{}", username.to_lowercase());
    let address_key = format!("ip:{address}");
    let since = now_ms() - WINDOW_MS;
    if sessions::count_login_failures(db, &account_key, since).await? >= MAX_PER_ACCOUNT
        || sessions::count_login_failures(db, &address_key, since).await? >= MAX_PER_ADDRESS
    {
        return Err(AppError::TooManyRequests(
            "too many failed sign-in attempts; wait 15 minutes and try again".into(),
        ));
    }
    let user = users::find_by_username(db, username).await?;
    // Hash even for unknown users so that timing does not reveal which accounts exist.
    let stored = user.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str());
    let ok = password::verify(password_text, stored);
    match user {
        Some(user) if ok && user.disabled == 0 => {
            sessions::clear_login_failures(db, &account_key).await?;
            Ok(user)
        }
        _ => {
            sessions::record_login_failure(db, &[&account_key, &address_key]).await?;
            Err(AppError::BadRequest("wrong username or password".into()))
        }
    }
}

/// An argon2id hash of a random string, verified against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1m2xWd8Z1QkHqTqUL6oQm2WkVq5yTKrF3o8ue1yVYvU";
