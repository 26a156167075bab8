//! First-start work: the data folder, the administrator account and the demo courses.

use std::path::Path;
use std::sync::Arc;

use crate::assets::DemoCourses;
use crate::auth::password;
use crate::config::Settings;
use crate::db::{self, users, Db};
use crate::domain::Visibility;
use crate::packages::import::{self, Owner};
use crate::storage::{BlobStore, FsBlobStore};

const DEMO_IMPORTED: &str = "demo_courses_imported";
const MEDIA_KEY: &str = "media_signing_key";

/// The key that signs media URLs, made once and kept in the database so that every
/// instance sharing the database accepts the others' URLs.
pub async fn media_signer(db: &Db) -> anyhow::Result<crate::auth::media_token::MediaSigner> {
    let key = match db::state::get(db, MEDIA_KEY).await? {
        Some(key) => key,
        None => {
            let fresh = hex::encode(rand::random::<[u8; 32]>());
            db::state::insert_if_absent(db, MEDIA_KEY, &fresh).await?;
            // Another instance may have won the race; use whichever key was stored.
            db::state::get(db, MEDIA_KEY).await?.unwrap_or(fresh)
        }
    };
    Ok(crate::auth::media_token::MediaSigner::new(key.as_bytes()))
}

/// Creates the data folder and proves it is writable, so a bad setting fails at start-up
/// with its name rather than at the first upload.
pub fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create data dir {}: {e}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| anyhow::anyhow!("data dir {} is not writable: {e}", dir.display()))?;
    Ok(())
}

pub fn open_store(settings: &Settings) -> anyhow::Result<Arc<FsBlobStore>> {
    let store = FsBlobStore::open(settings.data_dir.join("blobs"))
        .map_err(|e| anyhow::anyhow!("cannot open blob store: {e}"))?;
    // Temp files can only be left by an import that was killed; none is running yet.
    let swept = store.sweep_temp().map_err(|e| anyhow::anyhow!("{e}"))?;
    if swept > 0 {
        tracing::info!(swept, "removed temporary files of interrupted imports");
    }
    Ok(Arc::new(store))
}

/// The store of resumable uploads; expired ones (older than a day without activity) go, and
/// so do spool files of direct uploads that a killed process left behind.
pub async fn open_uploads(settings: &Settings) -> anyhow::Result<crate::uploads::UploadStore> {
    let spooled = crate::uploads::spool::sweep(&crate::uploads::spool::dir(settings));
    if spooled > 0 {
        tracing::info!(spooled, "removed spool files of interrupted uploads");
    }
    let config = crate::uploads::TusConfig::new(
        settings.data_dir.join("uploads").join("tus"),
        settings.limits.max_package_bytes,
        "/api/v1/uploads",
    );
    let store = crate::uploads::UploadStore::open(config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the upload folder: {e}"))?;
    let swept = store.sweep_expired().await;
    if swept > 0 {
        tracing::info!(swept, "removed expired uploads");
    }
    Ok(store)
}

/// Creates the `admin` account once. The password comes from `COURSEWARE_ADMIN_PASSWORD`
/// or is generated and printed a single time; a restart never changes it.
pub async fn ensure_admin(db: &Db, env_password: Option<String>) -> anyhow::Result<()> {
    if users::find_by_username(db, "admin").await?.is_some() {
        return Ok(());
    }
    let generated = env_password.is_none();
    let password = env_password.unwrap_or_else(password::generate);
    let hash = password::hash(&password)?;
    let created = users::insert_if_absent(
        db,
        &users::NewUser {
            username: "admin",
            display_name: "管理员 Administrator",
            password_hash: &hash,
            role: "admin",
            school_id: None,
            region_id: None,
        },
    )
    .await?;
    if created && generated {
        println!("Created the administrator account 'admin' with password: {password}");
        println!("This password is shown only once; change it after signing in.");
    } else if created {
        println!("Created the administrator account 'admin' with the password from COURSEWARE_ADMIN_PASSWORD.");
    }
    Ok(())
}

/// Imports the demo courses embedded in the binary, once per installation.
pub async fn import_demo_courses(db: &Db, store: &Arc<FsBlobStore>, settings: &Settings) -> anyhow::Result<()> {
    if !settings.import_demo || db::state::get(db, DEMO_IMPORTED).await?.is_some() {
        return Ok(());
    }
    let staging = tempfile::Builder::new()
        .prefix("demo-")
        .tempdir_in(&settings.data_dir)?;
    let mut folders = std::collections::BTreeSet::new();
    for name in DemoCourses::iter() {
        let target = staging.path().join(&*name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, DemoCourses::get(&name).expect("listed").data)?;
        if let Some((folder, _)) = name.split_once('/') {
            folders.insert(folder.to_string());
        }
    }
    // The demo courses are there for everyone to try, guests included.
    let owner = Owner {
        key: "demo".into(),
        school_id: None,
        region_id: None,
        created_by: None,
        visibility: Some(Visibility::Open),
    };
    for folder in folders {
        let path = staging.path().join(&folder);
        let report = import::import_path(db, store, &path, &folder, &owner, &settings.limits, &settings.media, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo course {folder}: {e}"))?;
        tracing::info!(course_id = report.course_id, folder, "imported demo course");
    }
    db::state::set(db, DEMO_IMPORTED, &db::now_ms().to_string()).await?;
    Ok(())
}
