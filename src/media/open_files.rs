//! Open descriptors (and mappings, see `mapped`) of recently served blobs, so that a
//! small range costs no `open`/`fstat`/`mmap`/`close` (nginx's `open_file_cache`).
//!
//! Blobs are content-addressed and never rewritten in place, so a cached
//! descriptor always reads the right bytes; a blob removed by `gc` stays readable
//! through it until its entry expires ([`TTL`]) and the next blob is opened, which only
//! delays freeing its disk space. The map is bounded so the process stays far below
//! its descriptor limit. An entry dropped from the map is closed and unmapped once the
//! last response using it has finished.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::mapped::OpenBlob;
use super::MediaError;

const TTL: Duration = Duration::from_secs(30);
const MAX_OPEN: usize = 512;

static OPEN: LazyLock<Mutex<HashMap<PathBuf, (Arc<OpenBlob>, Instant)>>> = LazyLock::new(Default::default);

/// The cached descriptor of `path`, if one was opened less than [`TTL`] ago.
pub fn cached(path: &Path) -> Option<Arc<OpenBlob>> {
    let map = OPEN.lock().ok()?;
    let (file, at) = map.get(path)?;
    (at.elapsed() < TTL).then(|| Arc::clone(file))
}

/// Opens `path` on the blocking pool, checks its length against the record (a
/// truncated blob is a 500, not a short body) and caches the descriptor.
pub async fn open(path: &Path, expected: u64) -> Result<Arc<OpenBlob>, MediaError> {
    if let Some(file) = cached(path) {
        return Ok(file);
    }
    let owned = path.to_path_buf();
    let task = tokio::task::spawn_blocking(move || {
        let io_err = |source| MediaError::Io { path: owned.clone(), source };
        let file = File::open(&owned).map_err(io_err)?;
        let actual = file.metadata().map_err(io_err)?.len();
        if actual != expected {
            return Err(MediaError::LengthMismatch { path: owned, expected, actual });
        }
        Ok((file, actual))
    });
    let (file, len) = match task.await {
        Ok(result) => result?,
        Err(join) => return Err(MediaError::Io { path: PathBuf::new(), source: std::io::Error::other(join) }),
    };
    // Many requests for a blob whose entry expired miss together; the first to get
    // here caches it and the others use that entry, so the blob is mapped once (each
    // mapping would fault in, and count in RSS, the pages it sends on its own).
    if let Some(file) = cached(path) {
        return Ok(file);
    }
    // Mapping reads nothing from the disk, so it is done here rather than on the pool.
    let file = Arc::new(OpenBlob::new(file, len));
    if let Ok(mut map) = OPEN.lock() {
        // Expired entries go at every open (at most one per blob per TTL, over at most
        // MAX_OPEN entries), so the descriptors and mapped pages of blobs no longer
        // served are released, not kept until the map fills up.
        map.retain(|_, (_, at)| at.elapsed() < TTL);
        if map.len() >= MAX_OPEN {
            map.clear();
        }
        map.insert(path.to_path_buf(), (Arc::clone(&file), Instant::now()));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn requests_that_miss_together_share_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        std::fs::write(&path, [5u8; 1000]).unwrap();
        let (a, b) = tokio::join!(open(&path, 1000), open(&path, 1000));
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()), "one open blob, one mapping");
        let other = dir.path().join("short");
        std::fs::write(&other, [5u8; 10]).unwrap();
        assert!(matches!(open(&other, 11).await, Err(MediaError::LengthMismatch { .. })));
    }
}
