//! Streams a request body to a temporary file under the data dir, never holding it whole
//! in memory, and refuses bodies over the configured package limit as they arrive.
//!
//! A spool file lives only as long as its request; one left behind by a process that was
//! killed (SIGKILL, power loss) is removed by [`sweep`] at the next start. Each live spool
//! file is locked (`flock`) by the process writing it, which is how the sweep tells the two
//! apart even while another server shares the data folder.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::web;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::config::Settings;
use crate::error::AppError;

const PREFIX: &str = "spool-";

/// Where spool files go: `<data dir>/uploads`, beside the tus folder and the roster's
/// staged files, which the sweep leaves alone.
pub fn dir(settings: &Settings) -> PathBuf {
    settings.data_dir.join("uploads")
}

/// A new spool file in `dir`, locked for as long as it lives.
fn create(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let temp = tempfile::Builder::new().prefix(PREFIX).tempfile_in(dir)?;
    // Where the filesystem cannot lock, the sweep cannot lock either and keeps every file.
    let _ = temp.as_file().try_lock();
    Ok(temp)
}

/// Removes the spool files in `dir` that no live request holds locked; returns how many.
pub fn sweep(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_spool = entry.file_name().to_string_lossy().starts_with(PREFIX) && entry.file_type().is_ok_and(|t| t.is_file());
        if !is_spool {
            continue;
        }
        let Ok(file) = File::open(&path) else { continue };
        match file.try_lock() {
            Ok(()) => removed += usize::from(std::fs::remove_file(&path).is_ok()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => tracing::warn!(path = %path.display(), error = %e, "cannot tell whether a spool file is in use; kept"),
        }
    }
    removed
}

pub async fn to_temp_file(
    settings: &Settings,
    headers: &HeaderMap,
    mut body: web::Payload,
) -> Result<tempfile::NamedTempFile, AppError> {
    let limit = settings.limits.max_package_bytes;
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge);
    }
    let dir = dir(settings);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| AppError::Internal(e.into()))?;
    let temp = create(&dir).map_err(|e| AppError::Internal(e.into()))?;
    let std_file = temp.reopen().map_err(|e| AppError::Internal(e.into()))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(std_file));
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("the upload was interrupted: {e}")))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(AppError::PayloadTooLarge);
        }
        file.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
    }
    if written == 0 {
        return Err(AppError::BadRequest("the request body is empty: send the package zip as the body".into()));
    }
    file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_removes_abandoned_spool_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let stray = dir.path().join("spool-left-by-a-kill");
        std::fs::write(&stray, b"half a package").unwrap();
        let staged = dir.path().join("roster-1-00112233445566778899aabbccddeeff.csv");
        std::fs::write(&staged, b"username,name,class\n").unwrap();
        std::fs::create_dir(dir.path().join("tus")).unwrap();
        let live = create(dir.path()).unwrap();

        assert_eq!(sweep(dir.path()), 1);
        assert!(!stray.exists(), "abandoned spool file removed");
        assert!(live.path().exists(), "a spool file being written is kept");
        assert!(staged.exists() && dir.path().join("tus").is_dir(), "other uploads are not spool files");

        // Its owner goes away without deleting it (as a killed process would): now it goes.
        let (file, path) = live.keep().unwrap();
        assert_eq!(sweep(dir.path()), 0, "still locked");
        drop(file);
        assert_eq!(sweep(dir.path()), 1);
        assert!(!path.exists());
    }
}
