//! Accounts and sign-in: password hashing, sessions and API tokens, CSRF protection.

pub mod csrf;
pub mod login;
pub mod password;
pub mod session;
