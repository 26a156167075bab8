//! `courseware gc`: removes blobs that no course version refers to.

use std::time::Duration;

use crate::config::Settings;
use crate::db::blobs;
use crate::storage::BlobStore;

/// Files younger than `min_age` are left alone: an import may have written them (or reused
/// them) and not yet committed the version that refers to them. An hour by default.
pub async fn run(settings: &Settings, min_age: Duration) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    let store = crate::provision::open_store(settings)?;
    // Renditions of videos no version holds any more go with their source.
    crate::db::renditions::forget_orphans(&db).await?;
    let mut removed = 0usize;
    let mut bytes = 0u64;
    for sha256 in blobs::unreferenced(&db).await? {
        let path = store.local_path(&sha256)?;
        if path.exists() && !crate::storage::older_than(&path, min_age) {
            continue;
        }
        if blobs::delete_if_unreferenced(&db, &sha256).await? {
            bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            store.remove(&sha256)?;
            removed += 1;
        }
    }
    // Files on disk the database never recorded: left by imports that failed before commit.
    let known: std::collections::HashSet<String> = blobs::all(&db).await?.into_iter().collect();
    for sha256 in store.list()? {
        let path = store.local_path(&sha256)?;
        if !known.contains(&sha256) && crate::storage::older_than(&path, min_age) {
            bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            store.remove(&sha256)?;
            removed += 1;
        }
    }
    println!("removed {removed} unreferenced blobs ({:.1} MB)", bytes as f64 / 1e6);
    Ok(())
}
