//! Import: open a package, validate it, store its files as blobs, and write the course
//! version in one transaction. A rejected package leaves nothing visible; blobs written
//! before a failure are unreferenced and removed by `courseware gc`.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::{inspect, PackageError, PackageSource, ParsedPackage, Problem, ZipLimits};
use crate::config::{Limits, MediaSettings};
use crate::db::courses::{self, NewFile, NewItem, NewVersion};
use crate::db::Db;
use crate::db::org::SchoolRow;
use crate::domain::{CourseSlug, Visibility};
use crate::storage::{BlobId, BlobStore, Durability, FsBlobStore};

/// Who a course belongs to: `key` scopes slugs ("demo", "school:12", "global").
#[derive(Debug, Clone)]
pub struct Owner {
    pub key: String,
    pub school_id: Option<i64>,
    /// The region a region-wide course is shared in (the school's region by default).
    pub region_id: Option<i64>,
    pub created_by: Option<i64>,
    /// Who may see the course, as the uploader chose. `None`: a new course starts with
    /// [`Visibility::initial`], and a new version of an existing course keeps the course's.
    pub visibility: Option<Visibility>,
}

impl Owner {
    /// A course of one school, shared (when wider) within the school's region.
    pub fn school(school: &SchoolRow, created_by: Option<i64>, visibility: Option<Visibility>) -> Owner {
        Owner { key: format!("school:{}", school.id), school_id: Some(school.id), region_id: Some(school.region_id), created_by, visibility }
    }

    /// A course of no school: an administrator's city-wide course.
    pub fn global(created_by: Option<i64>, visibility: Option<Visibility>) -> Owner {
        Owner { key: "global".into(), school_id: None, region_id: None, created_by, visibility }
    }
}

/// Called with (bytes stored so far, total bytes) while files are copied into the store.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub course_id: i64,
    pub version_id: i64,
    pub version: i64,
    pub format: String,
    pub title: String,
    pub items: usize,
    pub warnings: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("package rejected: {}", summary(.0))]
    Rejected(Vec<Problem>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn summary(problems: &[Problem]) -> String {
    match problems {
        [] => "no reason given".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more problems)", rest.len()),
    }
}

pub fn zip_limits(limits: &Limits) -> ZipLimits {
    ZipLimits {
        max_entries: limits.max_entries,
        max_total_uncompressed: limits.max_uncompressed_bytes,
        max_ratio: limits.max_ratio,
        ..ZipLimits::default()
    }
}

/// Imports the package at `path` (a zip or a folder); `name` is how the user called it
/// (the uploaded file name), used for titles of packages without a manifest.
#[tracing::instrument(skip_all, fields(path = %path.display(), owner = %owner.key))]
pub async fn import_path(
    db: &Db,
    store: &Arc<FsBlobStore>,
    path: &Path,
    name: &str,
    owner: &Owner,
    limits: &Limits,
    media: &MediaSettings,
    progress: Option<Progress>,
) -> Result<ImportReport, ImportError> {
    let (path, name, store_for_copy, zip_limits) = (path.to_owned(), name.to_owned(), store.clone(), zip_limits(limits));
    // Inflating and hashing are CPU and disk work: keep them off the async workers.
    let (parsed, files) = tokio::task::spawn_blocking(move || {
        let source = PackageSource::open(&path, &zip_limits).map_err(ImportError::Rejected)?;
        let parsed = inspect(&source, &name).map_err(ImportError::Rejected)?;
        let (files, video_warnings) = store_files(&source, &parsed, &store_for_copy, progress)?;
        let mut parsed = parsed;
        parsed.warnings.extend(video_warnings);
        Ok::<_, ImportError>((parsed, files))
    })
    .await
    .map_err(|e| ImportError::Internal(anyhow::anyhow!("import task failed: {e}")))??;
    let slug = course_slug(&parsed, name_hint(&parsed)).map_err(|p| ImportError::Rejected(vec![p]))?;
    let new = new_version(parsed.clone(), slug, owner, files);
    let stored = courses::insert_version(db, &new).await.map_err(|e| ImportError::Internal(e.into()))?;
    // Learners' course progress follows the new version's lessons and rules; item progress
    // is kept by lesson id. A failure here leaves rows to be fixed by their next heartbeat.
    if stored.version > 1 {
        let lookups = crate::tracking::meta::Lookups::default();
        if let Err(e) = crate::tracking::rebuild::refresh_course(db, &lookups, stored.course_id).await {
            tracing::warn!(error = %crate::telemetry::cause_chain(&e), course_id = stored.course_id, "progress refresh failed");
        }
    }
    let mut warnings = parsed.warnings;
    // Renditions are made after the import; a machine without ffmpeg serves the originals,
    // and the teacher should know that before a learner on a slow link finds out.
    let videos: Vec<&str> = parsed.items.iter().filter(|i| i.kind == crate::packages::ItemKind::Video).filter_map(|i| i.launch.as_deref()).collect();
    if !videos.is_empty() {
        if let Err(e) = crate::media::transcode::Tools::find(&media.ffmpeg) {
            warnings.extend(videos.iter().map(|v| Problem::new(*v, format!("no smaller renditions will be made: {e}"))));
        }
    }
    Ok(ImportReport {
        course_id: stored.course_id,
        version_id: stored.version_id,
        version: stored.version,
        format: parsed.format.as_str().to_string(),
        title: parsed.title,
        items: parsed.items.len(),
        warnings,
    })
}

fn name_hint(parsed: &ParsedPackage) -> &str {
    parsed.metadata.get("identifier").or_else(|| parsed.metadata.get("courseId")).and_then(|v| v.as_str()).unwrap_or("")
}

/// Copies every file into the blob store, hashing once on the way.
fn store_files(
    source: &PackageSource,
    parsed: &ParsedPackage,
    store: &FsBlobStore,
    progress: Option<Progress>,
) -> Result<(Vec<NewFile>, Vec<Problem>), ImportError> {
    let mut warnings = Vec::new();
    let sizes: std::collections::HashMap<&str, u64> =
        source.entries().iter().map(|e| (e.name.as_str(), e.size)).collect();
    let total: u64 = parsed.files.iter().filter_map(|f| sizes.get(parsed.source_name(f).as_str())).sum();
    let mut done = 0u64;
    let mut files = Vec::with_capacity(parsed.files.len());
    let generated: std::collections::HashMap<&str, &[u8]> =
        parsed.generated.iter().map(|g| (g.path.as_str(), g.bytes.as_slice())).collect();
    for file in &parsed.files {
        let mut writer = store.unhashed_writer().map_err(|e| ImportError::Internal(e.into()))?;
        let copied = match generated.get(file.as_str()) {
            Some(bytes) => write_generated(bytes, &mut writer).map_err(|source| PackageError::Write { file: file.clone(), source }),
            None => source.copy_entry(&parsed.source_name(file), &mut writer),
        };
        let (size, digest) = match copied {
            Ok(done) => done,
            Err(PackageError::Invalid(problem)) => return Err(ImportError::Rejected(vec![problem])),
            Err(e @ PackageError::Write { .. }) => return Err(ImportError::Internal(e.into())),
        };
        done += size;
        if let Some(report) = &progress {
            report(done, total.max(done));
        }
        let sha256 = hex::encode(digest);
        let mut id = store.commit(writer, Some(&sha256), Durability::Batch).map_err(|e| ImportError::Internal(e.into()))?;
        if is_mp4_family(file) {
            if let Some((checked, warning)) = make_faststart(store, &id.sha256, file)? {
                id = checked;
                warnings.push(warning);
            }
        }
        files.push(NewFile {
            path: file.clone(),
            sha256: id.sha256,
            size: id.size as i64,
        });
    }
    // Every blob must be on disk before the database refers to it.
    store.sync().map_err(|e| ImportError::Internal(e.into()))?;
    Ok((files, warnings))
}

/// Writes a file the parser made, hashing it as `copy_entry` does.
fn write_generated(bytes: &[u8], out: &mut dyn std::io::Write) -> std::io::Result<(u64, [u8; 32])> {
    use sha2::Digest;
    out.write_all(bytes)?;
    Ok((bytes.len() as u64, sha2::Sha256::digest(bytes).into()))
}

fn is_mp4_family(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".mp4", ".m4v", ".mov", ".m4a"].iter().any(|ext| lower.ends_with(ext))
}

/// A video whose `moov` atom sits after the media data cannot start playing until it is
/// fully downloaded; rewrite it (losslessly) with `moov` first and say so in a warning.
/// A file that cannot be rewritten is kept as it is, with a warning naming why.
fn make_faststart(store: &FsBlobStore, sha256: &str, file: &str) -> Result<Option<(BlobId, Problem)>, ImportError> {
    use crate::media::faststart::{inspect as layout_of, rewrite, Layout};
    let internal = |e: std::io::Error| ImportError::Internal(e.into());
    let path = store.local_path(sha256).map_err(|e| ImportError::Internal(e.into()))?;
    let mut input = std::fs::File::open(&path).map_err(internal)?;
    let unchanged = BlobId { sha256: sha256.to_string(), size: input.metadata().map_err(internal)?.len() };
    match layout_of(&mut input) {
        Ok(Layout::MoovAtEnd) => {}
        Ok(_) => return Ok(None),
        Err(e) => return Ok(Some((unchanged, Problem::new(file, format!("this video looks damaged and may not play: {e}"))))),
    }
    std::io::Seek::seek(&mut input, std::io::SeekFrom::Start(0)).map_err(internal)?;
    let mut writer = store.writer().map_err(|e| ImportError::Internal(e.into()))?;
    let rewritten = {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
        rewrite(&mut input, &mut buffered).map(|_| std::io::Write::flush(&mut buffered))
    };
    match rewritten {
        Ok(flushed) => {
            flushed.map_err(internal)?;
            let id = store.commit(writer, None, Durability::Batch).map_err(|e| ImportError::Internal(e.into()))?;
            let warning = Problem::new(
                file,
                "the moov atom was at the end of this video, so it could not start playing before it was fully \
                 downloaded; it was rewritten to fast start (moov first) without re-encoding",
            );
            Ok(Some((id, warning)))
        }
        // The writer's temp file is swept at the next start; the original is kept.
        Err(e) => Ok(Some((
            unchanged,
            Problem::new(file, format!("the moov atom is at the end of this video (slow to start on slow links) and it could not be rewritten: {e}")),
        ))),
    }
}

/// The slug that makes a re-upload a new version of the same course: the native manifest's
/// slug, else the manifest identifier, else the title.
fn course_slug(parsed: &ParsedPackage, identifier: &str) -> Result<CourseSlug, Problem> {
    if let Some(slug) = parsed.slug.as_deref() {
        return CourseSlug::parse(slug).map_err(|m| Problem::new("course.toml", m));
    }
    let basis = if identifier.is_empty() { parsed.title.as_str() } else { identifier };
    Ok(CourseSlug::derive(basis))
}

fn new_version(parsed: ParsedPackage, slug: CourseSlug, owner: &Owner, files: Vec<NewFile>) -> NewVersion {
    let items = parsed
        .items
        .iter()
        .map(|item| NewItem {
            parent_position: item.parent.map(|p| p as i64),
            identifier: item.identifier.clone(),
            title: item.title.clone(),
            title_en: item.title_en.clone(),
            kind: item.kind.as_str().to_string(),
            launch: item.launch.clone(),
            captions: serde_json::to_string(&item.captions).unwrap_or_else(|_| "[]".into()),
            duration_seconds: item.duration_seconds.map(i64::from),
            required: item.required,
            runtime: item.runtime.to_string(),
        })
        .collect();
    NewVersion {
        owner_key: owner.key.clone(),
        slug: slug.as_str().to_string(),
        school_id: owner.school_id,
        region_id: owner.region_id,
        title: parsed.title,
        title_en: parsed.title_en,
        description: parsed.description,
        description_en: parsed.description_en,
        subject: parsed.subject.filter(|s| !s.is_empty()),
        grade: parsed.grade.filter(|s| !s.is_empty()),
        format: parsed.format.as_str().to_string(),
        metadata: parsed.metadata.to_string(),
        warnings: serde_json::to_string(&parsed.warnings).unwrap_or_else(|_| "[]".into()),
        created_by: owner.created_by,
        visibility: owner.visibility.unwrap_or_else(|| Visibility::initial(owner.school_id.is_some())),
        keep_visibility: owner.visibility.is_none(),
        files,
        items,
    }
}

impl From<ImportError> for crate::error::AppError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Rejected(problems) => crate::error::AppError::Rejected(problems),
            ImportError::Internal(e) => crate::error::AppError::Internal(e),
        }
    }
}
