//! The use-case layer: what a user does (sign in, import a package, change a course's
//! settings, read a dashboard ...), one module per area. A use case owns its transaction and
//! calls `db/`, `storage/`, `media/` and the capabilities; `routes/` and `cli/` parse,
//! authorize, call one use case and render.

pub mod accounts;
pub mod admin;
pub mod class_report;
pub mod cmi5;
pub mod content;
pub mod courses;
pub mod essays;
pub mod offline;
pub mod packages;
pub mod progress_views;
pub mod quizzes;
pub mod renditions;
pub mod roster;
pub mod scorm;
pub mod sequencing;
pub mod stats;
pub mod teach;
pub mod views;

use std::sync::Arc;

use crate::auth::media_token::MediaSigner;
use crate::config::Settings;
use crate::db::Db;
use crate::render::Renderer;
use crate::storage::FsBlobStore;

/// The services every use case and handler may need, built once (`cli::build_state`) and
/// shared by all workers.
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub store: Arc<FsBlobStore>,
    /// Shared with the error pages, which are rendered outside any handler.
    pub renderer: Arc<Renderer>,
    pub signer: MediaSigner,
    pub file_cache: crate::media::file_cache::FileCache,
    pub uploads: crate::uploads::UploadStore,
    pub tracker: crate::tracking::Tracker,
    pub tokens: Arc<crate::auth::session::TokenCache>,
    /// Public origin of the content listener; set when it is bound (`Application::build`).
    pub content_origin: String,
}
