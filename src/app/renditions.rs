//! Rendition jobs: each instance runs `[media] transcode_workers` loops that claim a queued
//! video (or one whose worker died), make its renditions with ffmpeg in a folder of the
//! job's own, store every file as a blob and record them all in one transaction. A job
//! holds a lease it renews while ffmpeg runs; a killed server's job is taken again once
//! the lease runs out, from the start (a half-made folder is never trusted).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::db::renditions::{self as store, JobRow, NewRendition};
use crate::error::AppError;
use crate::media::transcode::{self, Made, Tools, TranscodeError};
use crate::storage::{BlobStore, Durability};

use super::AppState;

/// How long a claimed job stays this worker's without a renewal.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often a running job reports progress and renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long an idle worker waits before looking for work again.
const IDLE: Duration = Duration::from_secs(3);

/// Starts this instance's workers; with no ffmpeg the jobs are marked `unavailable` (the
/// original is served) and taken again by a server that has one.
pub fn start_workers(state: Arc<AppState>) {
    let workers = state.settings.media.transcode_workers;
    if workers == 0 {
        return;
    }
    tokio::spawn(async move {
        let tools = match Tools::find(&state.settings.media.ffmpeg) {
            Ok(tools) => {
                // A server that found no ffmpeg before may have left jobs for one that has it.
                if let Err(e) = store::requeue_unavailable(&state.db).await {
                    tracing::warn!(error = %crate::telemetry::cause_chain(&e), "could not requeue rendition jobs");
                }
                Ok(tools)
            }
            Err(e) => Err(e.to_string()),
        };
        for _ in 0..workers {
            let (state, tools) = (Arc::clone(&state), tools.clone());
            tokio::spawn(async move { work(state, tools).await });
        }
    });
}

async fn work(state: Arc<AppState>, tools: Result<Tools, String>) {
    loop {
        match store::claim(&state.db, LEASE.as_millis() as i64).await {
            Ok(Some(job)) => {
                let outcome = match &tools {
                    Ok(tools) => run(&state, tools, &job).await,
                    Err(message) => Err(TranscodeError::Unavailable(message.clone())),
                };
                if let Err(e) = settle(&state, &job, outcome).await {
                    tracing::warn!(error = %crate::telemetry::cause_chain(&e), source = %job.source_sha256, "rendition job not recorded");
                }
            }
            Ok(None) => tokio::time::sleep(IDLE).await,
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::cause_chain(&e), "rendition queue unreadable");
                tokio::time::sleep(IDLE).await;
            }
        }
    }
}

async fn settle(state: &AppState, job: &JobRow, outcome: Result<(), TranscodeError>) -> Result<(), crate::db::DbError> {
    match outcome {
        Ok(()) => Ok(()),
        // Lost the lease: the job is someone else's now.
        Err(TranscodeError::Cancelled) => Ok(()),
        Err(TranscodeError::Unavailable(message)) => store::give_up(&state.db, &job.source_sha256, job.attempts, "unavailable", &message).await,
        Err(e) => {
            tracing::warn!(error = %e, source = %job.source_sha256, file = %job.file_name, "renditions failed");
            store::give_up(&state.db, &job.source_sha256, job.attempts, "failed", &e.to_string()).await
        }
    }
}

/// Makes, stores and records one job's renditions.
async fn run(state: &AppState, tools: &Tools, job: &JobRow) -> Result<(), TranscodeError> {
    let work_dir = state.settings.data_dir.join("tmp").join("renditions").join(format!("{}-{}", job.source_sha256, job.attempts));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| TranscodeError::Io { path, source }
    };
    // Folders of earlier attempts (a killed server's) are never trusted.
    if let Ok(entries) = std::fs::read_dir(work_dir.parent().expect("under tmp")) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{}-", job.source_sha256)) {
                std::fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
            }
        }
    }
    std::fs::create_dir_all(&work_dir).map_err(io(&work_dir))?;
    let source = state.store.local_path(&job.source_sha256).map_err(|e| TranscodeError::Failed(e.to_string()))?;
    let progress = Arc::new(AtomicU64::new(0f64.to_bits()));
    let cancel = Arc::new(AtomicBool::new(false));
    let task = {
        let (tools, source, dir, progress, cancel, store) = (tools.clone(), source.clone(), work_dir.clone(), Arc::clone(&progress), Arc::clone(&cancel), Arc::clone(&state.store));
        tokio::task::spawn_blocking(move || {
            let made = transcode::make(&tools, &source, &dir, &|f| progress.store(f.to_bits(), Ordering::Relaxed), &cancel)?;
            let files = store_files(store.as_ref(), &dir)?;
            Ok::<_, TranscodeError>((made, files))
        })
    };
    tokio::pin!(task);
    let made = loop {
        tokio::select! {
            joined = &mut task => break joined.map_err(|e| TranscodeError::Failed(format!("the rendition task stopped: {e}")))?,
            _ = tokio::time::sleep(RENEW_EVERY) => {
                let done = f64::from_bits(progress.load(Ordering::Relaxed));
                // A database hiccup is not a lost lease; only a refusal is.
                if let Ok(false) = store::renew(&state.db, &job.source_sha256, job.attempts, done * 0.99, LEASE.as_millis() as i64).await {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    let result = std::fs::remove_dir_all(&work_dir);
    let (made, files) = made?;
    result.map_err(io(&work_dir))?;
    let json = serde_json::to_string(&made).expect("serialisable");
    match store::finish(&state.db, &job.source_sha256, job.attempts, &files, &json).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(TranscodeError::Cancelled),
        Err(e) => Err(TranscodeError::Failed(format!("recording the renditions failed: {}", crate::telemetry::cause_chain(&e)))),
    }
}

/// Every file under `dir` as a blob, named by its path relative to `dir`.
fn store_files(store: &dyn BlobStore, dir: &Path) -> Result<Vec<NewRendition>, TranscodeError> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|source| TranscodeError::Io { path: folder.clone(), source })? {
            let path = entry.map_err(|source| TranscodeError::Io { path: folder.clone(), source })?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let fail = |e: crate::storage::StorageError| TranscodeError::Failed(format!("storing {}: {e}", path.display()));
            let mut writer = store.writer().map_err(fail)?;
            let mut file = std::fs::File::open(&path).map_err(|source| TranscodeError::Io { path: path.clone(), source })?;
            std::io::copy(&mut file, &mut writer).map_err(|source| TranscodeError::Io { path: path.clone(), source })?;
            let blob = store.commit(writer, None, Durability::Batch).map_err(fail)?;
            let relative = path.strip_prefix(dir).expect("under dir").to_string_lossy().replace('\\', "/");
            files.push(NewRendition { path: relative, sha256: blob.sha256, size: blob.size as i64 });
        }
    }
    store.sync().map_err(|e| TranscodeError::Failed(format!("syncing the blob store: {e}")))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// A video's renditions as a teacher sees them.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub file_name: String,
    /// queued, running, done, failed, unavailable
    pub state: String,
    pub percent: u32,
    pub message: String,
    pub renditions: Vec<String>,
}

impl From<JobRow> for JobView {
    fn from(row: JobRow) -> Self {
        let made: Option<Made> = serde_json::from_str(&row.result).ok();
        JobView {
            file_name: row.file_name,
            percent: (row.progress.clamp(0.0, 1.0) * 100.0).round() as u32,
            message: row.message,
            renditions: made.map(|m| m.variants.into_iter().map(|v| v.name).collect()).unwrap_or_default(),
            state: row.state,
        }
    }
}

/// The rendition jobs of a course version's videos.
pub async fn jobs_of_version(state: &AppState, version_id: i64) -> Result<Vec<JobView>, AppError> {
    Ok(store::jobs_of_version(&state.db, version_id).await?.into_iter().map(JobView::from).collect())
}

/// What the player needs to offer a video's renditions: `None` until they are made.
pub async fn made_for(state: &AppState, source_sha256: &str) -> Result<Option<Made>, AppError> {
    let Some(job) = store::job(&state.db, source_sha256).await? else { return Ok(None) };
    Ok((job.state == "done").then(|| serde_json::from_str(&job.result).ok()).flatten())
}

/// One choice the learner has on the lesson page.
#[derive(Debug, Clone, Serialize)]
pub struct QualityChoice {
    /// `smooth` (流畅), `standard` (标清), `high` (高清) or `audio` (仅音频).
    pub key: &'static str,
    pub url: String,
    pub height: u32,
    /// Peak bits per second, for the player's own pick by measured throughput.
    pub bandwidth: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThumbnailStrip {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub columns: u32,
    pub count: u32,
    pub interval: f64,
}

/// The renditions of a video lesson as the player offers them.
#[derive(Debug, Clone, Serialize)]
pub struct VideoPlayer {
    /// The HLS master playlist, for browsers that play HLS themselves.
    pub hls: String,
    pub poster: Option<String>,
    /// The strip of frames for seeking by picture, with its geometry.
    pub thumbnails: Option<ThumbnailStrip>,
    pub choices: Vec<QualityChoice>,
    /// `choices` as JSON, for the page's script.
    pub choices_json: String,
}

/// A video lesson's version, launch path and source blob, and what its job made; `None`
/// for other lessons and until the renditions are made.
async fn rendered(state: &AppState, item_id: i64) -> Result<Option<(i64, String, String, Made)>, AppError> {
    let item = crate::db::courses::item(&state.db, item_id).await?;
    let Some(launch) = item.launch.filter(|_| item.kind == "video") else { return Ok(None) };
    let file = crate::db::courses::version_file(&state.db, item.version_id, &launch).await?;
    Ok(made_for(state, &file.sha256).await?.map(|made| (item.version_id, launch, file.sha256, made)))
}

/// The rendition a choice names: `smooth` the smallest picture, `standard` 360p (or the
/// second), `high` the largest when it is at least 480 lines, `audio` audio only.
fn pick<'a>(made: &'a Made, key: &str) -> Option<&'a transcode::Variant> {
    let mut video = made.variants.iter().filter(|v| v.height > 0);
    let by_name = |name: &str| made.variants.iter().find(|v| v.name == name);
    match key {
        "smooth" => video.next(),
        "standard" => by_name("360p").or_else(|| video.nth(1)),
        "high" => video.last().filter(|v| v.height >= 480),
        "audio" => by_name("audio"),
        _ => None,
    }
}

/// The player of video lesson `item_id` once its renditions exist; `None` before (the
/// original plays) and for other lessons.
pub async fn player_for(state: &AppState, item_id: i64) -> Result<Option<VideoPlayer>, AppError> {
    let Some((version_id, _, source, made)) = rendered(state, item_id).await? else { return Ok(None) };
    let token = state.signer.issue(version_id, crate::auth::media_token::now_secs());
    let url = |path: &str| super::content::rendition_url(version_id, &token, &source, path);
    let choices: Vec<QualityChoice> = ["smooth", "standard", "high", "audio"]
        .into_iter()
        .filter_map(|key| pick(&made, key).map(|v| QualityChoice { key, url: url(&v.file), height: v.height, bandwidth: v.bandwidth }))
        .collect();
    let choices_json = serde_json::to_string(&choices).expect("serialisable");
    let thumbnails = made.thumbnails.as_ref().map(|t| ThumbnailStrip { url: url(&t.file), width: t.width, height: t.height, columns: t.columns, count: t.count, interval: t.interval });
    Ok(Some(VideoPlayer { hls: url(&made.master), poster: made.poster.as_deref().map(url), thumbnails, choices, choices_json }))
}

/// For an offline copy of video lesson `item_id`: its launch path (the file it replaces)
/// and the version-relative paths and sizes of the rendition `quality` names (the
/// smallest picture when it names none that exists) and the poster. `None` until the
/// renditions are made.
pub async fn offline_files(state: &AppState, item_id: i64, quality: &str) -> Result<Option<(String, Vec<(String, i64)>)>, AppError> {
    let Some((version_id, launch, source, made)) = rendered(state, item_id).await? else { return Ok(None) };
    let Some(chosen) = pick(&made, quality).or_else(|| pick(&made, "smooth")) else { return Ok(None) };
    let mut files = Vec::new();
    for path in std::iter::once(&chosen.file).chain(made.poster.as_ref()) {
        let Some((_, size, _)) = store::file_of_version(&state.db, version_id, &source, path).await? else { continue };
        files.push((format!("{}{source}/{path}", super::content::RENDITIONS_PREFIX), size));
    }
    Ok(Some((launch, files)))
}
