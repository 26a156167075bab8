//! Filesystem blob store: `blobs/ab/cd/abcd…` under the data dir, temp files in `blobs/tmp`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{check_name, BlobId, BlobStore, BlobWriter, Durability, StorageError, StorageResult};

pub struct FsBlobStore {
    root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_owned(),
        source,
    }
}

impl FsBlobStore {
    /// Opens (creating if needed) a store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>) -> StorageResult<Self> {
        let root = root.into();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        Ok(FsBlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256)
    }

    /// fsyncs a folder so that a rename into it survives a crash.
    fn sync_dir(&self, dir: &Path) -> StorageResult<()> {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
    }

    fn new_writer(&self, hashed: bool) -> StorageResult<BlobWriter> {
        let name = format!("{}.part", hex::encode(rand::random::<[u8; 12]>()));
        let path = self.root.join("tmp").join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        Ok(BlobWriter::new(file, path, hashed))
    }
}

impl BlobStore for FsBlobStore {
    fn writer(&self) -> StorageResult<BlobWriter> {
        self.new_writer(true)
    }

    fn unhashed_writer(&self) -> StorageResult<BlobWriter> {
        self.new_writer(false)
    }

    fn commit(&self, writer: BlobWriter, sha256: Option<&str>, durability: Durability) -> StorageResult<BlobId> {
        let (file, temp_path, id) = writer.finish(sha256)?;
        let target = self.blob_path(&id.sha256);
        if target.exists() {
            // Same content already stored: the new copy is redundant. Touch the stored
            // one so `gc` sees it as fresh while the import that reuses it commits.
            drop(file);
            if let Ok(existing) = std::fs::File::options().append(true).open(&target) {
                let _ = existing.set_modified(SystemTime::now());
            }
            std::fs::remove_file(&temp_path).map_err(io_err(&temp_path))?;
            return Ok(id);
        }
        if durability == Durability::Now {
            file.sync_all().map_err(io_err(&temp_path))?;
        }
        drop(file);
        // Try the rename first: the fan-out folders usually exist already, and creating
        // them for every blob doubled the filesystem work of a large import.
        if let Err(e) = std::fs::rename(&temp_path, &target) {
            if e.kind() != io::ErrorKind::NotFound {
                return Err(io_err(&target)(e));
            }
            let dir = target.parent().expect("blob path has a parent");
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            std::fs::rename(&temp_path, &target).map_err(io_err(&target))?;
        }
        if durability == Durability::Now {
            self.sync_dir(target.parent().expect("blob path has a parent"))?;
        }
        Ok(id)
    }

    /// One `syncfs` flushes every file and folder written to the store's filesystem,
    /// renames included, far cheaper than an fsync per blob.
    fn sync(&self) -> StorageResult<()> {
        let dir = std::fs::File::open(&self.root).map_err(io_err(&self.root))?;
        // SAFETY: syncfs only reads the descriptor, which `dir` keeps open for the call.
        let rc = unsafe { libc::syncfs(std::os::unix::io::AsRawFd::as_raw_fd(&dir)) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io_err(&self.root)(io::Error::last_os_error()))
        }
    }

    fn local_path(&self, sha256: &str) -> StorageResult<PathBuf> {
        check_name(sha256)?;
        Ok(self.blob_path(sha256))
    }

    fn contains(&self, sha256: &str) -> bool {
        check_name(sha256).is_ok() && self.blob_path(sha256).is_file()
    }

    fn remove(&self, sha256: &str) -> StorageResult<()> {
        check_name(sha256)?;
        let path = self.blob_path(sha256);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err(&path)(e)),
            _ => Ok(()),
        }
    }

    fn list(&self) -> StorageResult<Vec<String>> {
        let mut out = Vec::new();
        for level1 in read_dir(&self.root)? {
            if level1.file_name().map_or(true, |n| n.len() != 2) {
                continue;
            }
            for level2 in read_dir(&level1)? {
                for blob in read_dir(&level2)? {
                    if let Some(name) = blob.file_name().and_then(|n| n.to_str()) {
                        if check_name(name).is_ok() {
                            out.push(name.to_string());
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn sweep_temp(&self) -> StorageResult<usize> {
        let mut removed = 0;
        for path in read_dir(&self.root.join("tmp"))? {
            std::fs::remove_file(&path).map_err(io_err(&path))?;
            removed += 1;
        }
        Ok(removed)
    }
}

fn read_dir(dir: &Path) -> StorageResult<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.map_err(io_err(dir))?.path());
    }
    Ok(out)
}

/// Whether a file was modified more than `age` ago; used so garbage collection never races
/// an import that has written blobs but not yet committed its transaction.
pub fn older_than(path: &Path, age: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| SystemTime::now().duration_since(t).unwrap_or_default() > age)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn same_bytes_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let mut w = store.writer().unwrap();
            w.write_all(b"hello").unwrap();
            ids.push(store.commit(w, None, Durability::Now).unwrap());
        }
        assert_eq!(ids[0], ids[1]);
        assert_eq!(
            ids[0].sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(store.list().unwrap(), vec![ids[0].sha256.clone()]);
        assert_eq!(store.sweep_temp().unwrap(), 0);
    }

    #[test]
    fn uncommitted_writers_leave_temp_files_that_sweep_removes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write_all(b"partial").unwrap();
        drop(w);
        assert_eq!(store.sweep_temp().unwrap(), 1);
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn names_that_are_not_hashes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        assert!(store.local_path("../../etc/passwd").is_err());
        assert!(!store.contains("ABC"));
    }
}
