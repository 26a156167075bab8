//! Streams a request body to a temporary file under the data dir, never holding it whole
//! in memory, and refuses bodies over the configured package limit as they arrive.

use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::web;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::config::Settings;
use crate::error::AppError;

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
    let dir = settings.data_dir.join("uploads");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| AppError::Internal(e.into()))?;
    let temp = tempfile::Builder::new()
        .prefix("spool-")
        .tempfile_in(&dir)
        .map_err(|e| AppError::Internal(e.into()))?;
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
