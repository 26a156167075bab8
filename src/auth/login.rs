//! Password sign-in, throttled so that guessing is slow and the owner is not locked out.
//!
//! Every attempt first reserves a place under up to three keys, in one database statement
//! each (`db::sessions::reserve_login_attempt`), before the password is checked:
//! - `pair:<account>|<address>`: this address on this account, always;
//! - `acct:<account>`: the account from addresses it has never signed in from;
//! - `ip:<address>`: the address across accounts (password spraying), likewise.
//!
//! An owner coming back from an address the account signed in from before is held only by
//! their own pair, so an attacker elsewhere slows themselves, not the owner. After the free
//! attempts each key waits 30 s, then twice as long each time, up to 15 minutes.

use crate::db::users::UserRow;
use crate::db::{now_ms, sessions, users, Db};
use crate::db::sessions::ThrottleRule;
use crate::error::AppError;

use super::password;

const MINUTE_MS: i64 = 60 * 1000;

/// Per account (and per account from one address): five tries, then waits.
const ACCOUNT_RULE: ThrottleRule =
    ThrottleRule { free: 5, first_delay_ms: MINUTE_MS / 2, max_delay_ms: 15 * MINUTE_MS, reset_after_ms: 60 * MINUTE_MS };
/// Per address: a school's pupils behind one NAT sign in from one address.
const ADDRESS_RULE: ThrottleRule = ThrottleRule { free: 50, ..ACCOUNT_RULE };
/// An address counts as known to an account for this long after its last sign-in.
const KNOWN_FOR_MS: i64 = 180 * 24 * 60 * MINUTE_MS;

/// Why an attempt did not sign in.
#[derive(Debug)]
pub enum LoginError {
    /// Wrong username or password; the response must not say which.
    Wrong,
    /// Throttled: no password was checked. The unix ms when a try may be made again.
    Throttled { retry_at: i64 },
    Internal(AppError),
}

impl From<crate::db::DbError> for LoginError {
    fn from(e: crate::db::DbError) -> Self {
        LoginError::Internal(e.into())
    }
}

fn keys(username: &str, address: &str) -> (String, String, String) {
    let account = username.to_lowercase();
    (format!("pair:{account}|{address}"), format!("acct:{account}"), format!("ip:{address}"))
}

/// Checks a username and password from `address`. Every wrong answer looks the same to the
/// caller, so the response does not reveal which usernames exist.
#[tracing::instrument(skip_all, fields(username))]
pub async fn attempt(db: &Db, username: &str, password_text: &str, address: &str) -> Result<UserRow, LoginError> {
    let now = now_ms();
    let (pair_key, account_key, address_key) = keys(username, address);
    let known = sessions::is_known_login_address(db, username, address, now - KNOWN_FOR_MS).await?;
    let mut reserved: Vec<&str> = Vec::with_capacity(3);
    let mut plan: Vec<(&str, ThrottleRule)> = vec![(&pair_key, ACCOUNT_RULE)];
    if !known {
        plan.push((&account_key, ACCOUNT_RULE));
        plan.push((&address_key, ADDRESS_RULE));
    }
    for (key, rule) in plan {
        if let Some(retry_at) = sessions::reserve_login_attempt(db, key, rule, now).await? {
            // The keys already reserved were not used for a check: give them back.
            for key in reserved {
                sessions::release_login_attempt(db, key).await?;
            }
            return Err(LoginError::Throttled { retry_at });
        }
        reserved.push(key);
    }
    let user = users::find_by_username(db, username).await?;
    // Hash even for unknown users so that timing does not reveal which accounts exist.
    let stored = user.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str());
    let ok = password::verify(password_text, stored);
    match user {
        Some(user) if ok && user.disabled == 0 => {
            sessions::clear_login_throttle(db, &[&pair_key], None).await?;
            for key in reserved.iter().filter(|k| **k != pair_key.as_str()) {
                sessions::release_login_attempt(db, key).await?;
            }
            sessions::remember_login_address(db, user.id, address, now).await?;
            Ok(user)
        }
        _ => Err(LoginError::Wrong),
    }
}

/// Lifts every sign-in delay on an account (an admin's action); returns how many keys were
/// cleared. Address-wide keys stay: they protect other accounts too.
/// Runs on the caller's connection, so that the admin's audit record goes with it.
pub async fn unlock(conn: &mut sqlx::AnyConnection, username: &str) -> Result<u64, AppError> {
    let (_, account_key, _) = keys(username, "");
    let pair_prefix = format!("pair:{}|", username.to_lowercase());
    Ok(sessions::clear_login_throttle_in(conn, &[&account_key], Some(&pair_prefix)).await?)
}

/// An argon2id hash of a random string, verified against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1m2xWd8Z1QkHqTqUL6oQm2WkVq5yTKrF3o8ue1yVYvU";
