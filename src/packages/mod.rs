//! TEMPORARY: replaced by the package parsers.
pub mod import;
