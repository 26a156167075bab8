//! A small cache of (version, path) → prepared file for the content route. A version's
//! files never change, so a hit is always right; entries expire after a minute so that a
//! deleted course stops being served soon, and the map is bounded so it cannot grow
//! without limit. Lookups take a `&str` and allocate nothing.

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
}

impl FileCache {
    pub fn get(&self, version_id: i64, path: &str) -> Option<Arc<CachedFile>> {
        let inner = self.inner.lock().ok()?;
        let (file, at) = inner.versions.get(&version_id)?.get(path)?;
        (at.elapsed() < TTL).then(|| Arc::clone(file))
    }

    pub fn put(&self, version_id: i64, path: &str, file: Arc<CachedFile>) {
        let Ok(mut inner) = self.inner.lock() else { return };
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
}
