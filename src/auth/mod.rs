//! Accounts and sign-in: password hashing, sessions and API tokens, CSRF protection.

pub mod client;
pub mod csrf;
pub mod login;
pub mod media_token;
pub mod policy;
pub mod roster;
pub mod password;
pub mod session;
