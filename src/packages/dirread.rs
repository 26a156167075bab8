//! Packages that are plain folders on disk (the demo courses), read with the same checks as zips.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::names::normalise_entry;
use super::zipread::{EntryInfo, Meter, ZipLimits};
use super::{PackageError, Problem};

/// A vetted folder package: regular files only, no symlinks anywhere inside.
#[derive(Debug)]
pub struct PackageDir {
    root: PathBuf,
    label: String,
    entries: Vec<EntryInfo>,
    by_name: HashMap<String, usize>,
    limits: ZipLimits,
    inflated: Cell<u64>,
}

/// Lists a folder package, refusing symlinks, special files, non-UTF-8 names and the zip limits' excesses.
pub fn open_dir(path: &Path, limits: &ZipLimits) -> Result<PackageDir, Vec<Problem>> {
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let root = path.canonicalize().map_err(|e| {
        vec![Problem::new(
            label.clone(),
            format!("cannot open the folder: {e}"),
        )]
    })?;
    let mut walk = Walk {
        limits,
        entries: Vec::new(),
        problems: Vec::new(),
        total: 0,
    };
    walk.visit(&root, "");
    if walk.total > limits.max_total_uncompressed {
        walk.problems.push(Problem::new(
            label.clone(),
            format!(
                "the folder holds {} bytes; at most {} are allowed",
                walk.total, limits.max_total_uncompressed
            ),
        ));
    }
    if !walk.problems.is_empty() {
        return Err(walk.problems);
    }
    // A stable order, like a zip's, keeps imports of the same folder reproducible.
    walk.entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut by_name = HashMap::new();
    for (i, e) in walk.entries.iter_mut().enumerate() {
        e.index = i;
        by_name.insert(e.name.clone(), i);
    }
    Ok(PackageDir {
        root,
        label,
        entries: walk.entries,
        by_name,
        limits: limits.clone(),
        inflated: Cell::new(0),
    })
}

struct Walk<'a> {
    limits: &'a ZipLimits,
    entries: Vec<EntryInfo>,
    problems: Vec<Problem>,
    total: u64,
}

impl Walk<'_> {
    fn visit(&mut self, dir: &Path, prefix: &str) {
        if !self.problems.is_empty() {
            return;
        }
        let listing = match fs::read_dir(dir) {
            Ok(l) => l,
            Err(e) => {
                return self
                    .problems
                    .push(Problem::new(prefix, format!("cannot list folder: {e}")))
            }
        };
        for item in listing {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    return self
                        .problems
                        .push(Problem::new(prefix, format!("cannot list folder: {e}")))
                }
            };
            let Some(file_name) = item.file_name().to_str().map(str::to_owned) else {
                self.problems
                    .push(Problem::new(prefix, "a file name is not valid UTF-8"));
                continue;
            };
            let rel = format!("{prefix}{file_name}");
            // symlink_metadata: never follow a link, or a package could read /etc through one.
            let meta = match fs::symlink_metadata(item.path()) {
                Ok(m) => m,
                Err(e) => {
                    self.problems
                        .push(Problem::new(rel, format!("cannot read: {e}")));
                    continue;
                }
            };
            if meta.file_type().is_symlink() {
                self.problems.push(Problem::new(
                    rel,
                    "is a symbolic link; packages may only contain files and folders",
                ));
            } else if meta.is_dir() {
                self.visit(&item.path(), &format!("{rel}/"));
            } else if !meta.is_file() {
                self.problems
                    .push(Problem::new(rel, "is not a regular file"));
            } else if self.entries.len() >= self.limits.max_entries {
                self.problems.push(Problem::new(
                    rel,
                    format!("the folder has more than {} files", self.limits.max_entries),
                ));
                return;
            } else {
                match normalise_entry(&rel, self.limits.max_entry_name_len) {
                    Ok(name) => {
                        self.total = self.total.saturating_add(meta.len());
                        self.entries.push(EntryInfo {
                            name: name.path,
                            size: meta.len(),
                            index: 0,
                        });
                    }
                    Err(msg) => self.problems.push(Problem::new(rel, msg)),
                }
            }
        }
    }
}

impl PackageDir {
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// Reads a whole file of at most `max_bytes` (manifests).
    pub fn read_small(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, Problem> {
        let (file, size) = self.open(name)?;
        if size > max_bytes {
            return Err(Problem::new(
                name,
                format!("file is {size} bytes; at most {max_bytes} are read"),
            ));
        }
        let mut out = Vec::with_capacity(size as usize);
        // The file may have grown since listing; the meter caps the read at the listed size.
        let meter = Meter {
            name,
            declared: Some(max_bytes),
            compressed: u64::MAX,
            limits: &self.limits,
            // Reading a manifest is not counted: a file on disk is read, not inflated.
            inflated: &Cell::new(0),
            archive_len: u64::MAX,
        };
        match meter.copy(file, &mut out) {
            Ok(_) => Ok(out),
            Err(PackageError::Invalid(p)) => Err(p),
            Err(e) => Err(Problem::new(name, e.to_string())),
        }
    }

    /// Copies one file into `out`, returning the bytes written and their SHA-256.
    pub fn copy_entry(
        &self,
        name: &str,
        out: &mut dyn Write,
    ) -> Result<(u64, [u8; 32]), PackageError> {
        let (file, _) = self.open(name)?;
        // Files on disk cannot be bombs, but the total still bounds what one import may store.
        let meter = Meter {
            name,
            declared: None,
            compressed: u64::MAX,
            limits: &self.limits,
            inflated: &self.inflated,
            archive_len: u64::MAX,
        };
        meter.copy(file, out)
    }

    /// Opens a listed file, re-checking that it still resolves inside the root: the folder
    /// may have changed since it was listed.
    fn open(&self, name: &str) -> Result<(File, u64), Problem> {
        if !self.by_name.contains_key(name) {
            return Err(Problem::new(
                name,
                format!("no such file in {}", self.label),
            ));
        }
        let path = self.root.join(name);
        let real = path
            .canonicalize()
            .map_err(|e| Problem::new(name, format!("cannot open: {e}")))?;
        if real != path || !real.starts_with(&self.root) {
            return Err(Problem::new(
                name,
                "now resolves through a symbolic link; refusing it",
            ));
        }
        let file =
            File::open(&real).map_err(|e| Problem::new(name, format!("cannot open: {e}")))?;
        let size = file
            .metadata()
            .map_err(|e| Problem::new(name, format!("cannot read: {e}")))?
            .len();
        Ok((file, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_list_files_and_refuse_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/a.txt"), b"hello").unwrap();
        fs::write(dir.path().join("b.txt"), b"x").unwrap();
        let pkg = open_dir(dir.path(), &ZipLimits::default()).unwrap();
        let names: Vec<_> = pkg.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["b.txt", "sub/a.txt"]);
        assert_eq!(pkg.read_small("sub/a.txt", 100).unwrap(), b"hello");
        let mut out = Vec::new();
        assert_eq!(pkg.copy_entry("sub/a.txt", &mut out).unwrap().0, 5);
        assert!(pkg.read_small("../etc/passwd", 100).is_err());

        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("sub/link")).unwrap();
        let errs = open_dir(dir.path(), &ZipLimits::default()).unwrap_err();
        assert_eq!(errs[0].file, "sub/link");
        assert!(errs[0].message.contains("symbolic link"));
    }

    #[test]
    fn folder_file_swapped_for_a_symlink_after_listing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), b"x").unwrap();
        let pkg = open_dir(dir.path(), &ZipLimits::default()).unwrap();
        fs::remove_file(dir.path().join("a.txt")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("a.txt")).unwrap();
        let err = pkg.read_small("a.txt", 1000).unwrap_err();
        assert!(err.message.contains("symbolic link"), "{err}");
    }
}
