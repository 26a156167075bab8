//! Uploads: request bodies spooled to disk, and (later) resumable tus uploads.

pub mod spool;
