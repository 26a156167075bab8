//! Safe zip reading: every entry is vetted before use, and inflation is metered, never trusted.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::names::{decode_zip_name, normalise_entry};
use super::zipcd::{entry_span, overlaps, read_central_directory, CdEntry, CdError};
use super::{PackageError, Problem};

/// Below this many inflated bytes an entry is never called a bomb: small files compress wildly
/// (a 10 KiB run of spaces) and cannot hurt.
const RATIO_GRACE: u64 = 1 << 20;
/// Below this many inflated bytes a whole package is never called a bomb: the ratio of
/// everything inflated to the archive's size is only checked past it.
const PACKAGE_RATIO_GRACE: u64 = 16 << 20;
/// Reading more problems than this helps nobody; the rest is summarised in one line.
const MAX_REPORTED: usize = 50;

/// Bounds on what an uploaded archive may make us do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipLimits {
    /// Central-directory records, directories included.
    pub max_entries: usize,
    /// Bytes inflated over the whole package, counted as they come out of the decompressor.
    pub max_total_uncompressed: u64,
    /// Inflated:compressed per entry, enforced once an entry passes 1 MiB inflated; and
    /// everything inflated so far to the archive's size, once that passes 16 MiB.
    pub max_ratio: u64,
    /// Bytes of one entry name after decoding.
    pub max_entry_name_len: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 20_000,
            max_total_uncompressed: 8 << 30,
            max_ratio: 200,
            max_entry_name_len: 1024,
        }
    }
}

/// A regular file of a package (directories are not listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// Normalised '/'-separated path; never absolute, never containing `..`.
    pub name: String,
    /// Size the archive header claims (for folders: the size on disk). Not trusted for limits.
    pub size: u64,
    /// Position in the archive (or folder listing).
    pub index: usize,
}

/// An opened, vetted zip package.
pub struct PackageZip {
    label: String,
    archive: RefCell<ZipArchive<File>>,
    entries: Vec<EntryInfo>,
    compressed: Vec<u64>,
    by_name: HashMap<String, usize>,
    limits: ZipLimits,
    /// Bytes that came out of the decompressor so far, manifests and failed copies included.
    inflated: Cell<u64>,
    archive_len: u64,
}

impl std::fmt::Debug for PackageZip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageZip")
            .field("label", &self.label)
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// Opens a zip package and validates every entry up front.
///
/// Refused: zip slip (`..`, absolute paths, drive letters), symlinks, duplicate names,
/// encrypted entries, compression other than stored/deflate, more than `max_entries`,
/// header claims beyond the size or ratio limits, entries that overlap (share bytes), and
/// archives that are truncated or corrupt.
pub fn open_package(path: &Path, limits: &ZipLimits) -> Result<PackageZip, Vec<Problem>> {
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let archive_problem = |msg: String| vec![Problem::new(label.clone(), msg)];
    let mut file =
        File::open(path).map_err(|e| archive_problem(format!("cannot open the archive: {e}")))?;

    let records = read_central_directory(&mut file, limits.max_entries).map_err(|e| match e {
        CdError::TooManyEntries(n) => archive_problem(format!(
            "the archive has {n} entries; at most {} are allowed",
            limits.max_entries
        )),
        CdError::Corrupt(msg) => archive_problem(format!("the archive {msg}")),
    })?;

    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut kept = Vec::new();
    let mut claimed_total: u64 = 0;
    for (index, rec) in records.iter().enumerate() {
        match vet_record(rec, limits, &mut seen) {
            Ok(Some(name)) => {
                claimed_total = claimed_total.saturating_add(rec.uncompressed_size);
                kept.push((index, name, rec));
            }
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    if claimed_total > limits.max_total_uncompressed {
        problems.push(Problem::new(
            label.clone(),
            format!(
                "the archive would inflate to {claimed_total} bytes; at most {} are allowed",
                limits.max_total_uncompressed
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(summarise(problems, &label));
    }
    refuse_overlaps(&mut file, &kept).map_err(archive_problem)?;
    let archive_len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);

    let archive = ZipArchive::new(file)
        .map_err(|e| archive_problem(format!("the archive is corrupt: {e}")))?;
    if archive.len() != records.len() {
        // The zip crate merges entries whose names it decodes alike; indexes would no longer line up.
        return Err(archive_problem(
            "the archive has entries whose names collide".to_owned(),
        ));
    }

    let mut entries = Vec::with_capacity(kept.len());
    let mut compressed = Vec::with_capacity(kept.len());
    let mut by_name = HashMap::with_capacity(kept.len());
    for (index, name, rec) in kept {
        by_name.insert(name.clone(), entries.len());
        entries.push(EntryInfo {
            name,
            size: rec.uncompressed_size,
            index,
        });
        compressed.push(rec.compressed_size);
    }
    Ok(PackageZip {
        label,
        archive: RefCell::new(archive),
        entries,
        compressed,
        by_name,
        limits: limits.clone(),
        inflated: Cell::new(0),
        archive_len,
    })
}

/// Every stored file must have bytes of its own: records that point into the same bytes
/// would make us inflate them again and again (a zip bomb by overlap).
fn refuse_overlaps(file: &mut File, kept: &[(usize, String, &CdEntry)]) -> Result<(), String> {
    let mut spans = Vec::with_capacity(kept.len());
    for (_, _, rec) in kept {
        spans.push(entry_span(file, rec).map_err(|e| match e {
            CdError::Corrupt(msg) => format!("the archive {msg}"),
            CdError::TooManyEntries(n) => format!("the archive has {n} entries"),
        })?);
    }
    let found = overlaps(&spans);
    let Some(&(first, second)) = found.first() else {
        return Ok(());
    };
    Err(format!(
        "the archive has overlapping entries: {} of its records point into bytes that another entry also uses \
         (e.g. {:?} and {:?}), so the same data would be inflated more than once; refusing a likely zip bomb",
        found.len(),
        kept[first].1,
        kept[second].1
    ))
}

/// Checks one record; `Ok(None)` for directories, which carry nothing to store.
fn vet_record(
    rec: &CdEntry,
    limits: &ZipLimits,
    seen: &mut HashSet<String>,
) -> Result<Option<String>, Problem> {
    let decoded = match &rec.unicode_name {
        Some(n) => n.clone(),
        None => decode_zip_name(&rec.raw_name, rec.utf8_flag()),
    };
    let bad = |msg: String| Problem::new(decoded.clone(), msg);
    let name = normalise_entry(&decoded, limits.max_entry_name_len).map_err(bad)?;
    if rec.is_symlink() {
        return Err(bad(
            "entry is a symbolic link; packages may only contain files and folders".into(),
        ));
    }
    if name.is_dir {
        return Ok(None);
    }
    if rec.is_encrypted() {
        return Err(bad(
            "entry is encrypted; upload the package without a password".into(),
        ));
    }
    if rec.method != 0 && rec.method != 8 {
        return Err(bad(format!(
            "entry uses compression method {}; only stored and deflate are supported",
            rec.method
        )));
    }
    if rec.uncompressed_size > RATIO_GRACE
        && rec.uncompressed_size / rec.compressed_size.max(1) > limits.max_ratio
    {
        return Err(bad(format!(
            "entry claims a compression ratio over {}:1 ({} bytes from {}); refusing a likely zip bomb",
            limits.max_ratio, rec.uncompressed_size, rec.compressed_size
        )));
    }
    if !seen.insert(name.path.clone()) {
        return Err(Problem::new(
            name.path,
            "the archive contains this path more than once",
        ));
    }
    Ok(Some(name.path))
}

fn summarise(mut problems: Vec<Problem>, label: &str) -> Vec<Problem> {
    if problems.len() > MAX_REPORTED {
        let more = problems.len() - MAX_REPORTED;
        problems.truncate(MAX_REPORTED);
        problems.push(Problem::new(label, format!("... and {more} more problems")));
    }
    problems
}

impl PackageZip {
    /// Regular files in archive order.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// Reads a whole entry of at most `max_bytes` (manifests). Counts towards the package
    /// total like any inflation: a package that makes us read it more often pays for it.
    pub fn read_small(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, Problem> {
        let pos = self.position(name)?;
        let entry = &self.entries[pos];
        if entry.size > max_bytes {
            return Err(Problem::new(
                name,
                format!("file is {} bytes; at most {max_bytes} are read", entry.size),
            ));
        }
        let mut out = Vec::with_capacity(entry.size as usize);
        let meter = self.meter(name, pos);
        let mut archive = self.archive()?;
        let reader = archive
            .by_index(entry.index)
            .map_err(|e| corrupt_entry(name, e))?;
        match meter.copy(reader, &mut out) {
            Ok(_) => Ok(out),
            Err(PackageError::Invalid(p)) => Err(p),
            Err(e @ PackageError::Write { .. }) => Err(Problem::new(name, e.to_string())),
        }
    }

    /// Inflates one entry into `out`, returning the bytes written and their SHA-256.
    ///
    /// Stops with `PackageError::Invalid` as soon as the entry inflates past the size its header
    /// declared, past the ratio limit, or the package past its total limit; `out` then holds a
    /// partial copy that the caller must discard.
    pub fn copy_entry(
        &self,
        name: &str,
        out: &mut dyn Write,
    ) -> Result<(u64, [u8; 32]), PackageError> {
        let pos = self.position(name)?;
        let entry = &self.entries[pos];
        let meter = self.meter(name, pos);
        let mut archive = self.archive()?;
        let reader = archive
            .by_index(entry.index)
            .map_err(|e| corrupt_entry(name, e))?;
        meter.copy(reader, out)
    }

    fn meter<'a>(&'a self, name: &'a str, pos: usize) -> Meter<'a> {
        Meter {
            name,
            declared: Some(self.entries[pos].size),
            compressed: self.compressed[pos],
            limits: &self.limits,
            inflated: &self.inflated,
            archive_len: self.archive_len,
        }
    }

    /// The archive reader; refused rather than panicking if a sink re-enters this package.
    fn archive(&self) -> Result<std::cell::RefMut<'_, ZipArchive<File>>, Problem> {
        self.archive
            .try_borrow_mut()
            .map_err(|_| Problem::new(self.label.clone(), "the archive is already being read"))
    }

    fn position(&self, name: &str) -> Result<usize, Problem> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| Problem::new(name, format!("no such file in {}", self.label)))
    }
}

fn corrupt_entry(name: &str, e: impl std::fmt::Display) -> Problem {
    Problem::new(
        name,
        format!("entry cannot be read; the archive is corrupt ({e})"),
    )
}

/// Counts and hashes bytes as they are inflated, stopping at the first limit crossed.
pub(super) struct Meter<'a> {
    pub name: &'a str,
    /// Size the header claims; inflating past it proves the header lies.
    pub declared: Option<u64>,
    pub compressed: u64,
    pub limits: &'a ZipLimits,
    /// Bytes inflated from this package so far, counted as they come out (this entry's too,
    /// whether or not its copy succeeds): the limits hold what we did, not what headers say.
    pub inflated: &'a Cell<u64>,
    /// The archive's size on disk; `u64::MAX` for folders, which inflate nothing.
    pub archive_len: u64,
}

impl Meter<'_> {
    pub fn copy(
        &self,
        mut reader: impl Read,
        out: &mut dyn Write,
    ) -> Result<(u64, [u8; 32]), PackageError> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(corrupt_entry(self.name, e).into()),
            };
            written += n as u64;
            self.inflated.set(self.inflated.get().saturating_add(n as u64));
            self.check(written)?;
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|source| PackageError::Write {
                    file: self.name.to_owned(),
                    source,
                })?;
        }
        Ok((written, hasher.finalize().into()))
    }

    /// Called before bytes are passed on, so nothing past a limit ever reaches `out`.
    fn check(&self, written: u64) -> Result<(), Problem> {
        let refuse = |msg: String| Err(Problem::new(self.name, msg));
        if let Some(declared) = self.declared {
            if written > declared {
                return refuse(format!(
                    "entry inflates past the {declared} bytes its header declares; refusing a likely zip bomb"
                ));
            }
        }
        if written > RATIO_GRACE && written / self.compressed.max(1) > self.limits.max_ratio {
            return refuse(format!(
                "entry inflates at a ratio over {}:1 (from {} compressed bytes); refusing a likely zip bomb",
                self.limits.max_ratio, self.compressed
            ));
        }
        let total = self.inflated.get();
        if total > self.limits.max_total_uncompressed {
            return refuse(format!(
                "package inflates past {} bytes in total; refusing it",
                self.limits.max_total_uncompressed
            ));
        }
        if total > PACKAGE_RATIO_GRACE && total / self.archive_len.max(1) > self.limits.max_ratio {
            return refuse(format!(
                "package inflates at a ratio over {}:1 of its {} bytes in total; refusing a likely zip bomb",
                self.limits.max_ratio, self.archive_len
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
