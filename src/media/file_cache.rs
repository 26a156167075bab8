//! A small cache of (version, path) → prepared file for the content route. A version's
//! files never change, so a hit is always right while the version exists; deleting a
//! version (or its course) drops its entries at once ([`FileCache::forget_versions`]),
//! entries expire after a minute anyway, and the map is bounded so it cannot grow without
//! limit. Lookups take a `&str` and allocate nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::media::Prepared;

const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 20_000;

/// What the content route needs to answer for one file, worked out once.
pub struct CachedFile {
    pub prepared: Prepared,
}

#[derive(Default)]
pub struct FileCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    versions: HashMap<i64, HashMap<Box<str>, (Arc<CachedFile>, Instant)>>,
    len: usize,
    /// Versions deleted less than [`TTL`] ago: a request that looked its file up before the
    /// delete must not put it back afterwards.
    forgotten: HashMap<i64, Instant>,
}

impl FileCache {
    pub fn get(&self, version_id: i64, path: &str) -> Option<Arc<CachedFile>> {
        let inner = self.inner.lock().ok()?;
        let (file, at) = inner.versions.get(&version_id)?.get(path)?;
        (at.elapsed() < TTL).then(|| Arc::clone(file))
    }

    pub fn put(&self, version_id: i64, path: &str, file: Arc<CachedFile>) {
        let Ok(mut inner) = self.inner.lock() else { return };
        if inner.forgotten.get(&version_id).is_some_and(|at| at.elapsed() < TTL) {
            return;
        }
        if inner.len >= MAX_ENTRIES {
            inner.versions.retain(|_, files| {
                files.retain(|_, (_, at)| at.elapsed() < TTL);
                !files.is_empty()
            });
            inner.len = inner.versions.values().map(HashMap::len).sum();
            if inner.len >= MAX_ENTRIES {
                inner.versions.clear();
                inner.len = 0;
            }
        }
        let files = inner.versions.entry(version_id).or_default();
        if files.insert(path.into(), (file, Instant::now())).is_none() {
            inner.len += 1;
        }
    }

    /// Drops every file of these versions, which were just deleted, so that their URLs
    /// answer "not found" now rather than when the entries would have expired.
    pub fn forget_versions(&self, version_ids: &[i64]) {
        let Ok(mut inner) = self.inner.lock() else { return };
        inner.forgotten.retain(|_, at| at.elapsed() < TTL);
        for id in version_ids {
            if let Some(files) = inner.versions.remove(id) {
                inner.len -= files.len();
            }
            inner.forgotten.insert(*id, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(dir: &std::path::Path) -> Arc<CachedFile> {
        let path = dir.join("blob");
        std::fs::write(&path, b"hello").unwrap();
        let served = crate::media::ServedFile {
            path,
            len: 5,
            sha256: "0".repeat(64),
            last_modified: std::time::UNIX_EPOCH,
            file_name: "a.txt".into(),
            cache_control: crate::media::CacheControl::Immutable,
        };
        Arc::new(CachedFile { prepared: Prepared::new(served).unwrap() })
    }

    #[test]
    fn forgotten_versions_are_gone_and_stay_out() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::default();
        cache.put(1, "a.txt", cached(dir.path()));
        cache.put(2, "a.txt", cached(dir.path()));
        cache.forget_versions(&[1]);
        assert!(cache.get(1, "a.txt").is_none());
        assert!(cache.get(2, "a.txt").is_some(), "other versions are kept");
        // A lookup that started before the delete finishes after it: not cached again.
        cache.put(1, "a.txt", cached(dir.path()));
        assert!(cache.get(1, "a.txt").is_none());
        assert_eq!(cache.inner.lock().unwrap().len, 1);
    }
}
