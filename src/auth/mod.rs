//! Accounts and sign-in: password hashing, sessions and API tokens, CSRF protection.

pub mod client;
pub mod csrf;
pub mod login;
pub mod media_token;
pub mod policy;
pub mod password;
pub mod session;

use std::sync::Arc;

/// What the sign-in middleware and the policy extractor need of the application, registered
/// as app data where the app is assembled (`startup`), so that `auth` knows nothing above it.
#[derive(Clone)]
pub struct AuthContext {
    pub db: crate::db::Db,
    pub tokens: Arc<session::TokenCache>,
    pub trusted_proxies: crate::config::TrustedProxies,
    pub allow_guests: bool,
}
