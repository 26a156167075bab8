//! Accounts and sign-in: password hashing today; sessions, roles and CSRF build on it.

pub mod password;
