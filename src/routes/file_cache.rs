//! A small cache of (version, path) → blob lookups for the content route. A version's files
//! never change, so a hit is always right; entries expire after a minute so that a deleted
//! course stops being served soon, and the map is bounded so it cannot grow without limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::courses::VersionFileRow;

const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 20_000;

#[derive(Default)]
pub struct FileCache {
    entries: Mutex<HashMap<(i64, String), (VersionFileRow, Instant)>>,
}

impl FileCache {
    pub fn get(&self, version_id: i64, path: &str) -> Option<VersionFileRow> {
        let entries = self.entries.lock().ok()?;
        let (row, at) = entries.get(&(version_id, path.to_string()))?;
        (at.elapsed() < TTL).then(|| row.clone())
    }

    pub fn put(&self, version_id: i64, path: &str, row: VersionFileRow) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (_, at)| at.elapsed() < TTL);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert((version_id, path.to_string()), (row, Instant::now()));
        }
    }
}
