//! Content files of a course version, found for serving: by version and path, through the
//! cache of prepared files. The caller has checked the signed token.

use std::sync::Arc;

use crate::app::AppState;
use crate::db::courses;
use crate::error::AppError;
use crate::media::file_cache::CachedFile;
use crate::media::{CacheControl, Prepared, ServedFile};
use crate::storage::BlobStore;

/// The file at `file_path` in version `version_id`, prepared for range serving.
pub async fn content_file(state: &AppState, version_id: i64, file_path: &str) -> Result<Arc<CachedFile>, AppError> {
    if let Some(hit) = state.file_cache.get(version_id, file_path) {
        return Ok(hit);
    }
    let file = Arc::new(lookup(state, version_id, file_path).await?);
    state.file_cache.put(version_id, file_path, Arc::clone(&file));
    Ok(file)
}

/// The first segment of a rendition's path inside a version's URL space:
/// `r:<source sha256>/<rendition path>`. Package files can never be named so: import
/// refuses entry paths that start with a drive letter (`X:`).
pub const RENDITIONS_PREFIX: &str = "r:";

/// The URL of a rendition file of a video of version `version_id`.
pub fn rendition_url(version_id: i64, token: &str, source_sha256: &str, path: &str) -> String {
    crate::app::views::content_url(version_id, token, &format!("{RENDITIONS_PREFIX}{source_sha256}/{path}"))
}

async fn lookup(state: &AppState, version_id: i64, file_path: &str) -> Result<CachedFile, AppError> {
    let (sha256, size, created_at) = match file_path.strip_prefix(RENDITIONS_PREFIX).and_then(|rest| rest.split_once('/')) {
        Some((source, path)) => crate::db::renditions::file_of_version(&state.db, version_id, source, path).await?.ok_or(AppError::NotFound("file"))?,
        None => {
            let row = courses::version_file(&state.db, version_id, file_path).await?;
            (row.sha256, row.size, row.created_at)
        }
    };
    let local = state.store.local_path(&sha256).map_err(|e| AppError::Internal(e.into()))?;
    let file_name = file_path.rsplit('/').next().unwrap_or(file_path).to_string();
    let served = ServedFile {
        path: local,
        len: size as u64,
        sha256,
        last_modified: std::time::UNIX_EPOCH + std::time::Duration::from_millis(created_at.max(0) as u64),
        file_name,
        // A version's files never change, so its URLs can be cached for good.
        cache_control: CacheControl::Immutable,
    };
    let prepared = Prepared::new(served).map_err(|e| AppError::Internal(e.into()))?;
    Ok(CachedFile { prepared })
}
