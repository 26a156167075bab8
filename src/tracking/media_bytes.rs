//! Media bytes served, counted in memory by the content route (which must stay free of
//! database round trips) and added to `stats_media` every few seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::calendar::Zone;
use crate::db::{now_ms, stats_write, Db};

/// How often counted bytes are written out; a crash loses at most this much counting.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

pub struct MediaTally {
    db: Db,
    zone: Zone,
    /// (day, course version) -> bytes. The signed URL names the version, nothing more.
    counts: Mutex<HashMap<(i64, i64), i64>>,
    /// Course of each version seen; versions never move between courses.
    courses: Mutex<HashMap<i64, i64>>,
}

impl MediaTally {
    /// Starts the periodic flush on the current Tokio runtime (when there is one).
    pub fn start(db: Db, zone: Zone) -> Arc<MediaTally> {
        let tally = Arc::new(MediaTally { db, zone, counts: Mutex::default(), courses: Mutex::default() });
        if tokio::runtime::Handle::try_current().is_ok() {
            let weak = Arc::downgrade(&tally);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FLUSH_EVERY);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let Some(tally) = weak.upgrade() else { return };
                    if let Err(e) = tally.flush().await {
                        tracing::warn!(error = %e, "writing media byte counts failed; will try again");
                    }
                }
            });
        }
        tally
    }

    /// Counts `bytes` of a response for a file of `version_id`.
    pub fn add(&self, version_id: i64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let day = self.zone.day(now_ms());
        *self.counts.lock().expect("media counts").entry((day, version_id)).or_default() += bytes as i64;
    }

    /// Writes out what was counted since the last flush. On failure the counts are kept for
    /// the next try.
    pub async fn flush(&self) -> crate::db::DbResult<()> {
        let counts = std::mem::take(&mut *self.counts.lock().expect("media counts"));
        if counts.is_empty() {
            return Ok(());
        }
        let unknown: Vec<i64> = {
            let known = self.courses.lock().expect("version courses");
            let mut ids: Vec<i64> = counts.keys().map(|(_, v)| *v).filter(|v| !known.contains_key(v)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let found = match stats_write::version_courses(&self.db, &unknown).await {
            Ok(found) => found,
            Err(e) => {
                self.restore(counts);
                return Err(e);
            }
        };
        let mut rows: HashMap<(i64, i64), i64> = HashMap::new();
        {
            let mut known = self.courses.lock().expect("version courses");
            known.extend(found);
            for (&(day, version), &bytes) in &counts {
                // A version deleted meanwhile has no course any more; its bytes are dropped.
                if let Some(&course) = known.get(&version) {
                    *rows.entry((day, course)).or_default() += bytes;
                }
            }
        }
        let mut rows: Vec<(i64, i64, i64)> = rows.into_iter().map(|((d, c), b)| (d, c, b)).collect();
        rows.sort_unstable();
        if let Err(e) = stats_write::add_media(&self.db, &rows).await {
            self.restore(counts);
            return Err(e);
        }
        Ok(())
    }

    fn restore(&self, counts: HashMap<(i64, i64), i64>) {
        let mut now = self.counts.lock().expect("media counts");
        for (key, bytes) in counts {
            *now.entry(key).or_default() += bytes;
        }
    }
}
