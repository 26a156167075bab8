//! One upload on disk: its id, its state record, and the file operations that keep the
//! `<id>.part` bytes and the `<id>.json` state consistent across crashes.

use std::collections::HashMap;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::error::TusError;

/// 128 random bits as 32 lowercase hex digits. Parsing is the only way in, so an id can
/// always be used as a file name without escaping the upload directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct UploadId(String);

impl UploadId {
    pub(super) fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        UploadId(hex::encode(bytes))
    }

    /// A malformed id names no upload, so it is a 404 like any unknown one.
    pub(super) fn parse(text: &str) -> Result<Self, TusError> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(UploadId(text.to_owned()))
        } else {
            Err(TusError::NotFound)
        }
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `<id>.json` contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct UploadRecord {
    pub id: String,
    pub owner: i64,
    pub length: u64,
    /// Bytes known to be on disk: the part file was fsynced at least this long before this
    /// record was written. Anything in the file past it is the residue of a crash.
    pub offset: u64,
    pub metadata: HashMap<String, String>,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
}

impl UploadRecord {
    pub(super) fn expired(&self, now_ms: u64) -> bool {
        self.expires_at_ms <= now_ms
    }
}

pub(super) fn part_path(dir: &Path, id: &UploadId) -> PathBuf {
    dir.join(format!("{}.part", id.as_str()))
}

pub(super) fn record_path(dir: &Path, id: &UploadId) -> PathBuf {
    dir.join(format!("{}.json", id.as_str()))
}

pub(super) fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    since.as_millis() as u64
}

pub(super) fn ms_to_time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// `None` when there is no such upload.
pub(super) async fn read_record(
    dir: &Path,
    id: &UploadId,
) -> Result<Option<UploadRecord>, TusError> {
    match fs::read(record_path(dir, id)).await {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the record atomically (write, fsync, rename, fsync the directory), so a
/// crash leaves either the old record or the new one, never half of one.
pub(super) async fn write_record(dir: &Path, record: &UploadRecord) -> Result<(), TusError> {
    let id = UploadId::parse(&record.id)?;
    let tmp = dir.join(format!("{}.json.tmp", id.as_str()));
    let mut file = File::create(&tmp).await?;
    file.write_all(&serde_json::to_vec(record)?).await?;
    file.sync_all().await?;
    drop(file);
    fs::rename(&tmp, record_path(dir, &id)).await?;
    sync_dir(dir).await?;
    Ok(())
}

/// Makes a new empty part file durable before its record exists, so a record never
/// points at a missing file.
pub(super) async fn create_part(dir: &Path, id: &UploadId) -> Result<(), TusError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(part_path(dir, id))
        .await?;
    file.sync_all().await?;
    Ok(())
}

/// Opens the part file for appending at `offset`, cutting off bytes a crash left past it:
/// they were never acknowledged, and the client will send them again.
pub(super) async fn open_part_at(dir: &Path, id: &UploadId, offset: u64) -> Result<File, TusError> {
    let mut file = match OpenOptions::new()
        .write(true)
        .open(part_path(dir, id))
        .await
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(TusError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let len = file.metadata().await?.len();
    if len < offset {
        return Err(io::Error::other(format!(
            "part file {} has {len} bytes, record says {offset}",
            id.as_str()
        ))
        .into());
    }
    if len > offset {
        file.set_len(offset).await?;
    }
    file.seek(SeekFrom::Start(offset)).await?;
    Ok(file)
}

/// Removes the record first: a crash in between leaves a stray part file, which the sweep
/// deletes, rather than a record pointing at nothing.
pub(super) async fn remove_files(dir: &Path, id: &UploadId) -> Result<(), TusError> {
    for path in [record_path(dir, id), part_path(dir, id)] {
        match fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directory fsync is how POSIX makes a rename durable; Windows cannot open directories.
    if cfg!(unix) {
        File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}
