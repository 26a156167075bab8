//! TEMPORARY placeholder.
use std::path::Path;
use std::sync::Arc;
use crate::config::Limits;
use crate::db::Db;
use crate::storage::FsBlobStore;

pub struct Owner { pub key: String, pub school_id: Option<i64>, pub created_by: Option<i64> }
pub struct ImportReport { pub course_id: i64 }

pub async fn import_path(_db: &Db, _store: &Arc<FsBlobStore>, _path: &Path, _owner: &Owner, _limits: &Limits) -> anyhow::Result<ImportReport> {
    anyhow::bail!("not yet")
}
