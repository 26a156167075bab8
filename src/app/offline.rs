//! A course's offline copy: which pages and files it holds, their sizes, where each is
//! fetched from (with a signed media token) and the token-free key it is kept under, so
//! the copy outlives the token (docs/offline.md).

use serde::Serialize;

use crate::app::courses::load_course;
use crate::app::views::content_url;
use crate::app::AppState;
use crate::auth::media_token::now_secs;
use crate::auth::policy::Scope;
use crate::db::courses;
use crate::domain::lesson::{runs_on_content_origin, works_offline};
use crate::error::AppError;
use crate::i18n::Lang;

/// The token segment of offline keys. It is never a valid token (the server answers 403),
/// so a key is a name on the device and grants nothing online.
pub const KEY_TOKEN: &str = "-";

/// What a rendered page weighs, at most (the lesson page's budget, tests/api/compression.rs):
/// pages are rendered per reader, so their size is estimated, not stored.
const PAGE_BYTES_ESTIMATE: i64 = 30 * 1024;

/// Static files every page of the copy needs.
const ASSETS: &[&str] = &["app.css", "progress.js", "offline.js", "video.js", "favicon.svg"];

#[derive(Debug, Serialize)]
pub struct OfflineEntry {
    /// `page`, `file` or `asset`.
    pub kind: &'static str,
    /// Where to fetch it now.
    pub url: String,
    /// The cache key it is kept under: the URL without its expiring token.
    pub key: String,
    pub size: i64,
    /// Pages: `size` is an upper estimate.
    pub estimated: bool,
}

#[derive(Debug, Serialize)]
pub struct OfflineManifest {
    pub course_id: i64,
    pub version_id: i64,
    pub total_bytes: i64,
    pub entries: Vec<OfflineEntry>,
    /// Lessons that still need the network (links, SCORM and cmi5 content).
    pub online_only: Vec<i64>,
}

/// The offline copy of a course the reader may see (others get "not found", as for the
/// course page). A video whose renditions are made is kept as the one rendition `quality`
/// names (the learner's choice on this device; the smallest picture when none), with its
/// poster, instead of the file as uploaded: on a phone on a rural link that is a tenth of
/// the bytes, and the lesson page plays a rendition it finds on the device.
#[tracing::instrument(skip_all, fields(course_id = course_id))]
pub async fn offline_manifest(state: &AppState, scope: &Scope, course_id: i64, lang: Lang, quality: Option<&str>) -> Result<OfflineManifest, AppError> {
    let (course, items, _) = load_course(state, scope, course_id, lang).await?;
    let version_id = course.version_id.ok_or(AppError::NotFound("course"))?;
    let page = |url: String| OfflineEntry { kind: "page", key: url.clone(), url, size: PAGE_BYTES_ESTIMATE, estimated: true };
    let mut entries = vec![page(course.url.clone())];
    let mut online_only = Vec::new();
    for item in items.iter().filter(|i| i.kind != "folder") {
        if works_offline(&item.kind, &course.format) {
            entries.push(page(item.page_url.clone()));
        } else {
            online_only.push(item.id);
        }
    }
    if !runs_on_content_origin(&course.format) {
        let token = state.signer.issue(version_id, now_secs());
        let file = |(path, size): (String, i64)| OfflineEntry {
            kind: "file",
            url: content_url(version_id, &token, &path),
            key: content_url(version_id, KEY_TOKEN, &path),
            size,
            estimated: false,
        };
        let mut replaced = std::collections::HashSet::new();
        for item in items.iter().filter(|i| i.kind == "video") {
            let Some((launch, files)) = crate::app::renditions::offline_files(state, item.id, quality.unwrap_or("smooth")).await? else { continue };
            replaced.insert(launch);
            entries.extend(files.into_iter().map(file));
        }
        let stored = courses::version_file_sizes(&state.db, version_id).await?;
        entries.extend(stored.into_iter().filter(|(p, _)| !replaced.contains(p)).map(file));
    }
    for name in ASSETS {
        let asset = crate::assets::static_assets().get(*name).ok_or_else(|| AppError::Internal(anyhow::anyhow!("static file {name} missing")))?;
        let url = crate::assets::static_url(name);
        entries.push(OfflineEntry { kind: "asset", key: url.clone(), url, size: asset.identity.len() as i64, estimated: false });
    }
    let total_bytes = entries.iter().map(|e| e.size).sum();
    Ok(OfflineManifest { course_id, version_id, total_bytes, entries, online_only })
}
