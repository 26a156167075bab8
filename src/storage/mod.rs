//! The content-addressed blob store: every file is kept once, named by its SHA-256.
//!
//! Writers stream into a temporary file while hashing, then the file is renamed into place,
//! so a blob path either does not exist or holds exactly the bytes its name promises.

mod fs;

pub use fs::{older_than, FsBlobStore};

use std::io::{self, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob store I/O error at {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("invalid blob name {0:?}")]
    BadName(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// When a committed blob must be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before the commit returns (a single blob).
    Now,
    /// Leave it to one [`BlobStore::sync`] after many blobs: an fsync per file made
    /// importing a package of thousands of small files wait seconds on the disk.
    Batch,
}

/// A stored blob's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobId {
    pub sha256: String,
    pub size: u64,
}

/// Where blobs live. The filesystem store is the only one today; object storage comes later.
pub trait BlobStore: Send + Sync {
    /// Starts a new blob; bytes written to it are hashed as they pass.
    fn writer(&self) -> StorageResult<BlobWriter>;
    /// Starts a new blob whose hash the caller computes itself (saves hashing twice when
    /// the bytes are already hashed on their way in, as package import does).
    fn unhashed_writer(&self) -> StorageResult<BlobWriter>;
    /// Makes a written blob visible under its hash: the writer's own, or for an unhashed
    /// writer the `sha256` the caller computed over exactly the bytes written. With
    /// [`Durability::Now`] it is on disk when this returns; with [`Durability::Batch`] the
    /// caller must call [`BlobStore::sync`] before recording the blob anywhere.
    fn commit(&self, writer: BlobWriter, sha256: Option<&str>, durability: Durability) -> StorageResult<BlobId>;
    /// Makes every blob committed with [`Durability::Batch`] durable, in one go.
    fn sync(&self) -> StorageResult<()>;
    /// The local file holding a blob, for range serving.
    fn local_path(&self, sha256: &str) -> StorageResult<PathBuf>;
    fn contains(&self, sha256: &str) -> bool;
    fn remove(&self, sha256: &str) -> StorageResult<()>;
    /// Every blob on disk, for garbage collection.
    fn list(&self) -> StorageResult<Vec<String>>;
    /// Removes temporary files left by writers that never committed (a killed import).
    fn sweep_temp(&self) -> StorageResult<usize>;
}

/// A blob being written: a temporary file plus a running hash.
pub struct BlobWriter {
    pub(crate) file: std::fs::File,
    pub(crate) temp_path: PathBuf,
    hasher: Option<Sha256>,
    size: u64,
}

impl BlobWriter {
    pub(crate) fn new(file: std::fs::File, temp_path: PathBuf, hashed: bool) -> Self {
        BlobWriter {
            file,
            temp_path,
            hasher: hashed.then(Sha256::new),
            size: 0,
        }
    }

    /// Closes the writer and names the blob; fails when neither a hash was computed here
    /// nor a valid one supplied.
    pub(crate) fn finish(self, known: Option<&str>) -> StorageResult<(std::fs::File, PathBuf, BlobId)> {
        let sha256 = match (self.hasher, known) {
            (Some(h), _) => hex::encode(h.finalize()),
            (None, Some(k)) => {
                check_name(k)?;
                k.to_string()
            }
            (None, None) => return Err(StorageError::BadName("missing hash".into())),
        };
        let id = BlobId {
            sha256,
            size: self.size,
        };
        Ok((self.file, self.temp_path, id))
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Accepts only lowercase hex SHA-256 names, so a name can never walk out of the store.
pub fn check_name(sha256: &str) -> StorageResult<()> {
    let ok = sha256.len() == 64 && sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(())
    } else {
        Err(StorageError::BadName(sha256.to_string()))
    }
}
