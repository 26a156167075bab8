//! One reading API over zipped and folder packages, and the root-relative view the parsers use.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::dirread::{open_dir, PackageDir};
use super::names::{percent_decode, resolve_relative};
use super::zipread::{open_package, EntryInfo, PackageZip, ZipLimits};
use super::{PackageError, Problem};

/// Largest manifest or small side file a parser will read into memory.
pub(super) const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// A package to inspect and store: a zip archive or a folder on disk.
#[derive(Debug)]
pub enum PackageSource {
    Zip(PackageZip),
    Dir(PackageDir),
}

impl PackageSource {
    /// Opens `path` as a folder package if it is a directory, else as a zip archive.
    pub fn open(path: &Path, limits: &ZipLimits) -> Result<PackageSource, Vec<Problem>> {
        if path.is_dir() {
            open_dir(path, limits).map(PackageSource::Dir)
        } else {
            open_package(path, limits).map(PackageSource::Zip)
        }
    }

    /// Regular files, with normalised '/'-separated names.
    pub fn entries(&self) -> &[EntryInfo] {
        match self {
            PackageSource::Zip(z) => z.entries(),
            PackageSource::Dir(d) => d.entries(),
        }
    }

    /// Reads a whole file of at most `max_bytes`.
    pub fn read_small(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, Problem> {
        match self {
            PackageSource::Zip(z) => z.read_small(name, max_bytes),
            PackageSource::Dir(d) => d.read_small(name, max_bytes),
        }
    }

    /// Streams one file into `out` under the package's limits; returns bytes written and SHA-256.
    pub fn copy_entry(
        &self,
        name: &str,
        out: &mut dyn Write,
    ) -> Result<(u64, [u8; 32]), PackageError> {
        match self {
            PackageSource::Zip(z) => z.copy_entry(name, out),
            PackageSource::Dir(d) => d.copy_entry(name, out),
        }
    }
}

/// The package as the parsers see it: junk left out, and rooted at the folder the package was
/// zipped in, if it was zipped inside exactly one.
pub(super) struct View<'a> {
    source: &'a PackageSource,
    root: String,
    files: Vec<String>,
    sizes: HashMap<String, u64>,
    by_lowercase: HashMap<String, Vec<usize>>,
}

/// Names the package format manifests, which pin the root where they are found.
const MANIFESTS: [&str; 3] = ["course.toml", "imsmanifest.xml", "cmi5.xml"];

impl<'a> View<'a> {
    pub fn new(source: &'a PackageSource) -> View<'a> {
        let all: Vec<&EntryInfo> = source
            .entries()
            .iter()
            .filter(|e| !is_junk(&e.name))
            .collect();
        let root = single_root_folder(&all);
        let mut files = Vec::with_capacity(all.len());
        let mut sizes = HashMap::with_capacity(all.len());
        let mut by_lowercase: HashMap<String, Vec<usize>> = HashMap::new();
        for e in all {
            let rel = e.name[root.len()..].to_owned();
            by_lowercase
                .entry(rel.to_lowercase())
                .or_default()
                .push(files.len());
            sizes.insert(rel.clone(), e.size);
            files.push(rel);
        }
        View {
            source,
            root,
            files,
            sizes,
            by_lowercase,
        }
    }

    /// "" or "folder/": the prefix to put back before reading from the source.
    pub fn root(&self) -> &str {
        &self.root
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn exists(&self, path: &str) -> bool {
        self.sizes.contains_key(path)
    }

    /// Size the source claims for a file.
    pub fn size(&self, path: &str) -> Option<u64> {
        self.sizes.get(path).copied()
    }

    /// Finds the file a manifest href means: exact, then %-decoded, then differing only in case
    /// (packages authored on Windows often get case wrong, which only bites once served from Linux).
    pub fn resolve(&self, href_path: &str) -> Option<String> {
        let path = resolve_relative(href_path).ok()?;
        if self.exists(&path) {
            return Some(path);
        }
        let decoded = percent_decode(&path)?;
        if self.exists(&decoded) {
            return Some(decoded);
        }
        match self.by_lowercase.get(&decoded.to_lowercase()) {
            Some(hits) if hits.len() == 1 => Some(self.files[hits[0]].clone()),
            _ => None,
        }
    }

    /// Reads a file of the view (root-relative name) of at most [`MAX_MANIFEST_BYTES`].
    pub fn read(&self, path: &str) -> Result<Vec<u8>, Problem> {
        self.source
            .read_small(&format!("{}{}", self.root, path), MAX_MANIFEST_BYTES)
            .map_err(|mut p| {
                p.file = path.to_owned();
                p
            })
    }
}

/// Files that operating systems and version control sprinkle into archives; never course content.
fn is_junk(path: &str) -> bool {
    let mut parts = path.split('/');
    let name = path.rsplit('/').next().unwrap_or(path);
    parts.any(|p| p == "__MACOSX" || p == ".git" || p == ".svn")
        || name.starts_with("._")
        || matches!(name, ".DS_Store" | "Thumbs.db" | "desktop.ini")
}

/// "folder/" when every file sits under that one top-level folder and no manifest is at the top.
fn single_root_folder(entries: &[&EntryInfo]) -> String {
    let mut first: Option<&str> = None;
    for e in entries {
        if MANIFESTS.contains(&e.name.as_str()) {
            return String::new();
        }
        let Some((top, _)) = e.name.split_once('/') else {
            return String::new();
        };
        match first {
            None => first = Some(top),
            Some(f) if f == top => {}
            Some(_) => return String::new(),
        }
    }
    first.map(|f| format!("{f}/")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(names: &[&str]) -> Vec<EntryInfo> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| EntryInfo {
                name: n.to_string(),
                size: 1,
                index: i,
            })
            .collect()
    }

    #[test]
    fn one_enclosing_folder_becomes_the_root() {
        let es = entries(&[
            "course/imsmanifest.xml",
            "course/a/b.html",
            "__MACOSX/course/._a",
        ]);
        let kept: Vec<&EntryInfo> = es.iter().filter(|e| !is_junk(&e.name)).collect();
        assert_eq!(single_root_folder(&kept), "course/");
        let es = entries(&["a/x.html", "b/y.html"]);
        assert_eq!(single_root_folder(&es.iter().collect::<Vec<_>>()), "");
        let es = entries(&["imsmanifest.xml"]);
        assert_eq!(single_root_folder(&es.iter().collect::<Vec<_>>()), "");
    }

    #[test]
    fn junk_is_recognised() {
        assert!(is_junk("__MACOSX/a/._b.html"));
        assert!(is_junk("a/.DS_Store"));
        assert!(is_junk("Thumbs.db"));
        assert!(!is_junk("a/b.html"));
    }
}
