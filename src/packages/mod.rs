//! Course package import, reading side: safe archive reading, format detection and one manifest parser per format.
//!
//! Nothing here touches the database or the blob store: [`inspect`] turns a [`PackageSource`]
//! into a [`ParsedPackage`] (or a list of [`Problem`]s to show the uploader), and the caller
//! stores `files` by streaming them through [`PackageSource::copy_entry`].

mod activity_tree;
mod cmi5;
mod detect;
mod dirread;
mod ims;
mod imscc;
mod names;
mod native;
mod outline;
mod plain;
mod scorm;
mod scorm_runtime;
mod sequencing;
mod source;
mod xml;
mod zipcd;
mod zipread;

#[cfg(test)]
mod tests;


use serde::Serialize;

pub use self::dirread::{open_dir, PackageDir};
pub use self::source::PackageSource;
pub use self::zipread::{open_package, EntryInfo, PackageZip, ZipLimits};

use self::detect::Detected;
use self::source::View;

/// Which manifest a package was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum PackageFormat {
    #[serde(rename = "native")]
    Native,
    #[serde(rename = "scorm12")]
    Scorm12,
    #[serde(rename = "scorm2004")]
    Scorm2004,
    #[serde(rename = "cmi5")]
    Cmi5,
    #[serde(rename = "imscc")]
    ImsCc,
    #[serde(rename = "plain")]
    Plain,
}

impl PackageFormat {
    /// The stable name stored in the database; equal to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageFormat::Native => "native",
            PackageFormat::Scorm12 => "scorm12",
            PackageFormat::Scorm2004 => "scorm2004",
            PackageFormat::Cmi5 => "cmi5",
            PackageFormat::ImsCc => "imscc",
            PackageFormat::Plain => "plain",
        }
    }
}

impl std::str::FromStr for PackageFormat {
    type Err = String;

    /// Parses the names [`PackageFormat::as_str`] produces (as stored in the database).
    fn from_str(s: &str) -> Result<Self, String> {
        [
            PackageFormat::Native,
            PackageFormat::Scorm12,
            PackageFormat::Scorm2004,
            PackageFormat::Cmi5,
            PackageFormat::ImsCc,
            PackageFormat::Plain,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
        .ok_or_else(|| format!("unknown package format `{s}`"))
    }
}

// `Problem` is a domain type (the web edge's error carries a list of them); re-exported
// here because every parser of this module speaks of it.
pub use crate::domain::package::Problem;

/// The error type of this layer for operations that can also fail on our side.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The package is at fault; the problem is fit to show to the uploader.
    #[error("{0}")]
    Invalid(Problem),
    /// Writing inflated bytes to the caller's sink failed: a server-side fault, not the package's.
    #[error("writing {file} failed: {source}")]
    Write {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<Problem> for PackageError {
    fn from(p: Problem) -> Self {
        PackageError::Invalid(p)
    }
}

/// What a lesson (or folder) is, as far as the player is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Folder,
    Video,
    Audio,
    Pdf,
    Html,
    Image,
    File,
    Sco,
    Asset,
    Link,
    Cmi5Au,
    Quiz,
}

impl ItemKind {
    /// The stable name stored in the database; equal to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Folder => "folder",
            ItemKind::Video => "video",
            ItemKind::Audio => "audio",
            ItemKind::Pdf => "pdf",
            ItemKind::Html => "html",
            ItemKind::Image => "image",
            ItemKind::File => "file",
            ItemKind::Sco => "sco",
            ItemKind::Asset => "asset",
            ItemKind::Link => "link",
            ItemKind::Cmi5Au => "cmi5_au",
            ItemKind::Quiz => "quiz",
        }
    }

    /// Kind of a standalone file judged by its extension; `File` (a download) when unknown.
    pub fn from_path(path: &str) -> ItemKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name.rsplit_once('.') {
            Some((_, ext)) => ItemKind::from_extension(ext),
            None => ItemKind::File,
        }
    }

    /// Kind for a file extension without the dot, any case (`"MP4"` is a video).
    pub fn from_extension(ext: &str) -> ItemKind {
        match ext.to_ascii_lowercase().as_str() {
            "mp4" | "m4v" | "webm" | "ogv" | "mov" => ItemKind::Video,
            "mp3" | "m4a" | "aac" | "oga" | "ogg" | "opus" | "wav" | "flac" => ItemKind::Audio,
            "pdf" => ItemKind::Pdf,
            "html" | "htm" | "xhtml" => ItemKind::Html,
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" => ItemKind::Image,
            _ => ItemKind::File,
        }
    }
}

impl std::str::FromStr for ItemKind {
    type Err = String;

    /// Parses the names [`ItemKind::as_str`] produces (as stored in the database).
    fn from_str(s: &str) -> Result<Self, String> {
        use ItemKind::*;
        [
            Folder, Video, Audio, Pdf, Html, Image, File, Sco, Asset, Link, Cmi5Au, Quiz,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown item kind `{s}`"))
    }
}

/// A subtitle track attached to a video or audio lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caption {
    /// Path inside the package.
    pub file: String,
    /// BCP 47 tag such as `zh-CN`; `und` when the file name does not say.
    pub lang: String,
    pub label: String,
}

/// One node of the course outline: a folder or something to play.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedItem {
    /// Stable id from the manifest (native lesson id, SCORM item identifier, cmi5 AU id ...).
    pub identifier: String,
    /// Index into `ParsedPackage::items` of the enclosing `Folder`; always smaller than this item's own index.
    pub parent: Option<usize>,
    pub title: String,
    pub title_en: Option<String>,
    pub kind: ItemKind,
    /// Normalised '/'-separated path inside the package, with any query string the launch needs;
    /// `None` for folders, links and absolute cmi5 URLs (those live in `runtime`).
    pub launch: Option<String>,
    pub captions: Vec<Caption>,
    pub duration_seconds: Option<u32>,
    pub required: bool,
    /// Format-specific data kept for the player and runtime (SCORM sequencing, cmi5 moveOn ...).
    pub runtime: serde_json::Value,
}

/// Everything the importer needs to store a package, read without side effects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedPackage {
    pub format: PackageFormat,
    pub title: String,
    pub title_en: Option<String>,
    pub description: String,
    pub description_en: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub language: Option<String>,
    pub slug: Option<String>,
    /// The outline in document pre-order.
    pub items: Vec<ParsedItem>,
    pub warnings: Vec<Problem>,
    /// Every regular file of the package, relative to `root`; junk such as `__MACOSX/` is left out.
    pub files: Vec<String>,
    /// Format-level facts: SCORM schemaversion and organization id, cmi5 course id ...
    pub metadata: serde_json::Value,
    /// Folder inside the source that every path above is relative to: "" or e.g. "mycourse/"
    /// when the whole package was zipped inside one folder. Read entries as `root + file`.
    pub root: String,
    /// Files the parser wrote itself (pages made from a cartridge's discussions, pages with
    /// their links rewritten): stored in place of a package file of the same path, or beside
    /// them. Each path is also in `files`.
    #[serde(skip)]
    pub generated: Vec<GeneratedFile>,
}

/// A file made at import rather than copied from the package.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedFile {
    /// Path relative to the package root, like the entries of `files`.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl ParsedPackage {
    /// The name to pass to [`PackageSource::copy_entry`] for one of `files`.
    pub fn source_name(&self, file: &str) -> String {
        format!("{}{}", self.root, file)
    }
}

/// Detects the format of `source` and parses its manifest.
///
/// `hint_name` is the uploaded file or folder name; it only supplies a title when the package has none.
/// On `Err` the package must not be imported at all; the problems say why.
pub fn inspect(source: &PackageSource, hint_name: &str) -> Result<ParsedPackage, Vec<Problem>> {
    let view = View::new(source);
    let detected = detect::detect(&view)?;
    let mut parsed = match detected {
        Detected::Native => native::parse(&view)?,
        Detected::Cmi5 => cmi5::parse(&view)?,
        Detected::ImsCc(manifest) => imscc::parse(&view, &manifest)?,
        Detected::Scorm(manifest, format, warnings) => {
            let mut p = scorm::parse(&view, &manifest, format)?;
            p.warnings.splice(0..0, warnings);
            p
        }
        Detected::Plain => plain::parse(&view, hint_name)?,
    };
    if parsed.title.trim().is_empty() {
        parsed.title = fallback_title(&view, hint_name);
    }
    let withheld = withheld_files(&parsed.items);
    parsed.files = view.files().iter().filter(|f| !withheld.contains(f.as_str())).cloned().collect();
    for g in &parsed.generated {
        if !view.exists(&g.path) {
            parsed.files.push(g.path.clone());
        }
    }
    parsed.root = view.root().to_owned();
    Ok(parsed)
}

/// Files read at import that must never be served: quiz files hold their answers (a native
/// quiz's `source`; an imported quiz may name more, such as Canvas's copy, in `withheld`).
fn withheld_files(items: &[ParsedItem]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for runtime in items.iter().filter(|i| i.kind == ItemKind::Quiz).map(|i| &i.runtime) {
        out.extend(runtime.get("source").and_then(|s| s.as_str()).map(str::to_owned));
        let more = runtime.get("withheld").and_then(|w| w.as_array()).into_iter().flatten();
        out.extend(more.filter_map(|w| w.as_str()).map(str::to_owned));
    }
    out
}

/// A title for packages whose manifest gives none: the folder they were zipped in, else the upload's name.
fn fallback_title(view: &View, hint_name: &str) -> String {
    let root = view.root().trim_end_matches('/');
    if !root.is_empty() {
        return root.to_owned();
    }
    let base = hint_name.rsplit(['/', '\\']).next().unwrap_or(hint_name);
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    };
    if stem.trim().is_empty() {
        "Untitled course".to_owned()
    } else {
        stem.trim().to_owned()
    }
}

/// Collapses runs of whitespace (manifests wrap titles over lines) and trims.
fn clean_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
pub mod import;
