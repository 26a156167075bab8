//! The upload store: creating, inspecting, removing and expiring uploads, and the
//! per-upload locks that keep writers apart. Appending bytes lives in `writer`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::fs;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::error::TusError;
use super::record::{self, ms_to_time, now_ms, UploadId, UploadRecord};
use super::TusConfig;

/// How long a writer waits for another writer of the same upload before answering
/// `Busy` (409). Long enough for a broken-off PATCH to fsync what it got; a live one
/// holding the lock means a second client is racing the first, and waiting would not help.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// Stray files younger than this are left alone: they may belong to a create in progress.
const STRAY_GRACE: Duration = Duration::from_secs(60 * 60);

/// Handle to the uploads directory; clones share the same locks.
#[derive(Clone)]
pub struct UploadStore {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: TusConfig,
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// An upload as HEAD and PATCH report it.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub id: String,
    pub length: u64,
    /// Bytes durably stored; never more than `length`.
    pub offset: u64,
    pub metadata: HashMap<String, String>,
    pub created_at: SystemTime,
    pub expires_at: SystemTime,
}

/// A finished upload handed to the app. The file stays the store's until the app calls
/// [`UploadStore::remove`]; it may read or copy it, but should not move it.
#[derive(Debug, Clone)]
pub struct CompletedUpload {
    pub path: PathBuf,
    pub metadata: HashMap<String, String>,
    pub length: u64,
}

impl From<UploadRecord> for UploadInfo {
    fn from(record: UploadRecord) -> Self {
        UploadInfo {
            id: record.id,
            length: record.length,
            offset: record.offset,
            metadata: record.metadata,
            created_at: ms_to_time(record.created_at_ms),
            expires_at: ms_to_time(record.expires_at_ms),
        }
    }
}

impl UploadStore {
    /// Creates the directory if needed. Call [`UploadStore::sweep_expired`] afterwards to
    /// clear what a previous run left behind.
    pub async fn open(config: TusConfig) -> Result<Self, TusError> {
        fs::create_dir_all(&config.dir).await?;
        Ok(UploadStore {
            inner: Arc::new(Inner {
                config,
                locks: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &TusConfig {
        &self.inner.config
    }

    pub(super) fn dir(&self) -> &Path {
        &self.inner.config.dir
    }

    /// Starts an empty upload of `length` bytes owned by `owner`.
    pub async fn create(
        &self,
        owner: i64,
        length: u64,
        metadata: HashMap<String, String>,
    ) -> Result<UploadInfo, TusError> {
        let max = self.config().max_size;
        if length > max {
            return Err(TusError::TooLarge { length, max });
        }
        let id = UploadId::random();
        let now = now_ms();
        let record = UploadRecord {
            id: id.as_str().to_owned(),
            owner,
            length,
            offset: 0,
            metadata,
            created_at_ms: now,
            expires_at_ms: now.saturating_add(self.expire_ms()),
        };
        record::create_part(self.dir(), &id).await?;
        record::write_record(self.dir(), &record).await?;
        Ok(record.into())
    }

    /// The upload's state; `NotFound` for unknown ids and other owners' uploads, `Gone`
    /// once expired.
    pub async fn info(&self, id: &str, owner: i64) -> Result<UploadInfo, TusError> {
        let id = UploadId::parse(id)?;
        Ok(self.load(&id, owner).await?.into())
    }

    /// The finished file, for import. `Incomplete` (409) until every byte has arrived.
    pub async fn take_completed(&self, id: &str, owner: i64) -> Result<CompletedUpload, TusError> {
        let id = UploadId::parse(id)?;
        let record = self.load(&id, owner).await?;
        if record.offset != record.length {
            return Err(TusError::Incomplete {
                offset: record.offset,
                length: record.length,
            });
        }
        Ok(CompletedUpload {
            path: record::part_path(self.dir(), &id),
            metadata: record.metadata,
            length: record.length,
        })
    }

    /// Deletes the upload's files (termination, or after import). Expired uploads can
    /// still be removed; other owners' cannot.
    pub async fn remove(&self, id: &str, owner: i64) -> Result<(), TusError> {
        let id = UploadId::parse(id)?;
        let _guard = self.lock(&id).await?;
        match record::read_record(self.dir(), &id).await? {
            Some(record) if record.owner == owner => {}
            _ => return Err(TusError::NotFound),
        }
        record::remove_files(self.dir(), &id).await?;
        self.forget_lock(&id);
        Ok(())
    }

    /// Removes expired uploads, uploads whose state is unreadable or whose bytes are gone,
    /// and leftovers of interrupted creates and record writes. Returns how many uploads or
    /// stray files went. Uploads being written right now are skipped.
    pub async fn sweep_expired(&self) -> usize {
        let mut names = Vec::new();
        if let Ok(mut entries) = fs::read_dir(self.dir()).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        let mut removed = 0;
        for name in &names {
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            let Ok(id) = UploadId::parse(stem) else {
                continue;
            };
            let path = self.dir().join(name);
            let gone = match ext {
                "json" => self.sweep_record(&id).await,
                "part" if !names.contains(&format!("{stem}.json")) => self.sweep_stray(&path).await,
                "json.tmp" => self.sweep_stray(&path).await,
                _ => false,
            };
            removed += usize::from(gone);
        }
        removed
    }

    async fn sweep_record(&self, id: &UploadId) -> bool {
        let Ok(lock) = self.lock_handle(id).try_lock_owned() else {
            return false;
        };
        // Checked now rather than from the listing, which may predate a create in progress.
        let has_part = fs::metadata(record::part_path(self.dir(), id))
            .await
            .is_ok();
        let (doomed, exists) = match record::read_record(self.dir(), id).await {
            Ok(Some(record)) => (record.expired(now_ms()) || !has_part, true),
            Ok(None) => (false, false),
            Err(TusError::Corrupt(_)) => (true, true),
            Err(_) => (false, true),
        };
        let removed = doomed && record::remove_files(self.dir(), id).await.is_ok();
        drop(lock);
        if removed || !exists {
            self.forget_lock(id);
        }
        removed
    }

    async fn sweep_stray(&self, path: &Path) -> bool {
        let old = match fs::metadata(path).await.and_then(|m| m.modified()) {
            Ok(modified) => modified.elapsed().is_ok_and(|age| age >= STRAY_GRACE),
            Err(_) => false,
        };
        old && fs::remove_file(path).await.is_ok()
    }

    /// The record if `owner` may see it: another owner's upload is indistinguishable from
    /// a missing one.
    pub(super) async fn load(&self, id: &UploadId, owner: i64) -> Result<UploadRecord, TusError> {
        match record::read_record(self.dir(), id).await? {
            Some(record) if record.owner == owner => {
                if record.expired(now_ms()) {
                    Err(TusError::Gone)
                } else {
                    Ok(record)
                }
            }
            _ => Err(TusError::NotFound),
        }
    }

    pub(super) fn expire_ms(&self) -> u64 {
        u64::try_from(self.config().expire_after.as_millis()).unwrap_or(u64::MAX)
    }

    /// Takes the upload's writer lock, waiting at most [`LOCK_WAIT`]. Ids without a record
    /// are refused first, so requests for made-up ids cannot grow the lock map.
    pub(super) async fn lock(&self, id: &UploadId) -> Result<OwnedMutexGuard<()>, TusError> {
        if fs::metadata(record::record_path(self.dir(), id))
            .await
            .is_err()
        {
            return Err(TusError::NotFound);
        }
        let handle = self.lock_handle(id);
        tokio::time::timeout(LOCK_WAIT, handle.lock_owned())
            .await
            .map_err(|_| TusError::Busy)
    }

    fn lock_handle(&self, id: &UploadId) -> Arc<AsyncMutex<()>> {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(id.as_str().to_owned()).or_default().clone()
    }

    #[cfg(test)]
    pub(super) fn lock_count(&self) -> usize {
        self.inner.locks.lock().unwrap().len()
    }

    /// Drops the lock entry of a deleted upload so the map does not grow without bound.
    /// A request still waiting on the old lock finds no record and answers 404.
    fn forget_lock(&self, id: &UploadId) {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.remove(id.as_str());
    }
}
