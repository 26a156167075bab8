//! What the ingest path needs to know about items, courses and learners, cached in memory.
//! Items and course versions never change once imported, so their facts never go stale;
//! whether a learner may see a course is asked again after [`ACCESS_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::rules::{ItemRules, Outline, OutlineItem};
use crate::auth::policy::Scope;
use crate::auth::session::SessionUser;
use crate::db::{courses, progress, Db, DbError, DbResult};
use crate::domain::quiz::Quiz;

/// How long a visibility decision is reused: a course that is unpublished, or a learner taken
/// out of a class, stops accepting that learner's heartbeats within this time.
pub const ACCESS_TTL: Duration = Duration::from_secs(30);
/// Entries kept before a cache starts over; far above any school's working set.
const MAX_ENTRIES: usize = 200_000;
/// How long a course's current version is reused. An import re-derives its learners' rows
/// right away; a batch in this window may still use the previous version, and the next
/// heartbeat corrects it.
const LATEST_TTL: Duration = Duration::from_secs(2);

/// One item (lesson) of a course version.
#[derive(Debug, Clone)]
pub struct ItemMeta {
    pub item_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    /// The item's identifier from the package: progress is kept against it across versions.
    pub key: String,
    pub kind: String,
    pub quiz: Option<Arc<Quiz>>,
}

impl ItemMeta {
    pub fn is_media(&self) -> bool {
        matches!(self.kind.as_str(), "video" | "audio")
    }

    /// Lessons whose own runtime (SCORM, cmi5) reports a status and score.
    pub fn has_runtime(&self) -> bool {
        matches!(self.kind.as_str(), "sco" | "cmi5_au")
    }
}

/// Shared caches; cheap to consult from every request.
#[derive(Default)]
pub struct Lookups {
    items: Mutex<HashMap<i64, Arc<ItemMeta>>>,
    outlines: Mutex<HashMap<i64, Arc<Outline>>>,
    access: Mutex<HashMap<(i64, i64), (bool, Instant)>>,
    latest: Mutex<HashMap<i64, (Option<i64>, Instant)>>,
}

impl Lookups {
    /// The item, or `None` when there is no such item (or it is a folder).
    pub async fn item(&self, db: &Db, item_id: i64) -> DbResult<Option<Arc<ItemMeta>>> {
        if let Some(meta) = self.items.lock().expect("items cache").get(&item_id) {
            return Ok(Some(meta.clone()));
        }
        let Some(row) = progress::item_meta(db, item_id).await? else { return Ok(None) };
        if row.kind == "folder" {
            return Ok(None);
        }
        let runtime: serde_json::Value = serde_json::from_str(&row.runtime).unwrap_or_default();
        let quiz = serde_json::from_value::<Quiz>(runtime["quiz"].clone()).ok().map(Arc::new);
        let meta = Arc::new(ItemMeta {
            item_id: row.item_id,
            course_id: row.course_id,
            version_id: row.version_id,
            key: row.identifier,
            kind: row.kind,
            quiz,
        });
        insert_capped(&self.items, item_id, meta.clone());
        Ok(Some(meta))
    }

    /// The lessons and completion rule of a course version.
    pub async fn outline(&self, db: &Db, course_id: i64, version_id: i64) -> DbResult<Arc<Outline>> {
        if let Some(outline) = self.outlines.lock().expect("outline cache").get(&version_id) {
            return Ok(outline.clone());
        }
        let (metadata, rows) = progress::outline_rows(db, version_id).await?;
        let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap_or_default();
        let items = rows
            .into_iter()
            .map(|r| {
                let runtime: serde_json::Value = serde_json::from_str(&r.runtime).unwrap_or_default();
                OutlineItem {
                    item_id: r.id,
                    rules: ItemRules::from_item(r.duration_seconds, &runtime),
                    key: r.identifier,
                    kind: r.kind,
                    required: r.required != 0,
                }
            })
            .collect();
        let outline = Arc::new(Outline::new(course_id, version_id, &metadata, items));
        insert_capped(&self.outlines, version_id, outline.clone());
        Ok(outline)
    }

    /// The outline of each course's current version; courses that are gone are left out.
    pub async fn latest_outlines(&self, db: &Db, course_ids: &[i64]) -> DbResult<HashMap<i64, Arc<Outline>>> {
        let mut versions: Vec<(i64, Option<i64>)> = Vec::with_capacity(course_ids.len());
        let mut ask = Vec::new();
        {
            let latest = self.latest.lock().expect("latest cache");
            for &id in course_ids {
                match latest.get(&id) {
                    Some(&(version, at)) if at.elapsed() < LATEST_TTL => versions.push((id, version)),
                    _ => ask.push(id),
                }
            }
        }
        if !ask.is_empty() {
            let found = progress::latest_versions(db, &ask).await?;
            for id in ask {
                let version = found.iter().find(|(c, _)| *c == id).map(|(_, v)| *v);
                insert_capped(&self.latest, id, (version, Instant::now()));
                versions.push((id, version));
            }
        }
        let mut out = HashMap::new();
        for (course_id, version) in versions {
            if let Some(version_id) = version {
                out.insert(course_id, self.outline(db, course_id, version_id).await?);
            }
        }
        Ok(out)
    }

    /// Whether `user` may study the course, as pages decide it ([`Scope::can_view`]).
    pub async fn can_view(&self, db: &Db, user: &SessionUser, course_id: i64, allow_guests: bool) -> DbResult<bool> {
        let key = (user.id, course_id);
        if let Some(&(allowed, at)) = self.access.lock().expect("access cache").get(&key) {
            if at.elapsed() < ACCESS_TTL {
                return Ok(allowed);
            }
        }
        let allowed = match courses::get(db, course_id).await {
            Ok(course) => {
                let classes = courses::course_classes(db, course_id).await?;
                Scope::load(db, Some(user.clone()), allow_guests).await?.can_view(&course, &classes)
            }
            Err(DbError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        insert_capped(&self.access, key, (allowed, Instant::now()));
        Ok(allowed)
    }
}

fn insert_capped<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.lock().expect("cache");
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}
