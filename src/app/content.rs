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

async fn lookup(state: &AppState, version_id: i64, file_path: &str) -> Result<CachedFile, AppError> {
    let row = courses::version_file(&state.db, version_id, file_path).await?;
    let local = state.store.local_path(&row.sha256).map_err(|e| AppError::Internal(e.into()))?;
    let file_name = file_path.rsplit('/').next().unwrap_or(file_path).to_string();
    let served = ServedFile {
        path: local,
        len: row.size as u64,
        sha256: row.sha256,
        last_modified: std::time::UNIX_EPOCH + std::time::Duration::from_millis(row.created_at.max(0) as u64),
        file_name,
        // A version's files never change, so its URLs can be cached for good.
        cache_control: CacheControl::Immutable,
    };
    let prepared = Prepared::new(served).map_err(|e| AppError::Internal(e.into()))?;
    Ok(CachedFile { prepared })
}
