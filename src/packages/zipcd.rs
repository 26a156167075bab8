//! Raw central-directory reader: the facts about every entry, read before anything is inflated.
//!
//! The zip crate keys entries by decoded name, so it silently merges duplicates and has
//! already guessed an encoding; we need the raw bytes, flags and attributes of every record.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;

/// One central-directory record, undecoded.
#[derive(Debug, Clone)]
pub(super) struct CdEntry {
    pub raw_name: Vec<u8>,
    /// Name from an Info-ZIP Unicode Path extra field whose checksum matches `raw_name`.
    pub unicode_name: Option<String>,
    pub flags: u16,
    pub method: u16,
    /// Host system of "version made by" (3 = Unix, 19 = macOS): says how to read `external_attr`.
    pub made_by_host: u8,
    pub external_attr: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    /// Where the entry's local header starts in the file (a self-extractor's stub included).
    pub local_header_offset: u64,
}

impl CdEntry {
    pub fn is_encrypted(&self) -> bool {
        // Bit 0: traditional or AES encryption; bit 6: strong encryption; method 99: AES.
        self.flags & 0x0041 != 0 || self.method == 99
    }

    pub fn utf8_flag(&self) -> bool {
        self.flags & 0x0800 != 0
    }

    pub fn is_symlink(&self) -> bool {
        let mode = self.external_attr >> 16;
        let unix_host = self.made_by_host == 3 || self.made_by_host == 19;
        (unix_host || mode != 0) && mode & 0o170000 == 0o120000
    }
}

/// Why the directory could not be read; the text completes "the archive ...".
#[derive(Debug)]
pub(super) enum CdError {
    TooManyEntries(u64),
    Corrupt(String),
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn corrupt(msg: impl Into<String>) -> CdError {
    CdError::Corrupt(msg.into())
}

fn read_at(file: &mut File, at: u64, len: usize) -> Result<Vec<u8>, CdError> {
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|_| corrupt("is truncated: a directory record lies past the end of the file"))?;
    Ok(buf)
}

/// Reads every central-directory record, refusing early when the end record announces more than `max_entries`.
pub(super) fn read_central_directory(
    file: &mut File,
    max_entries: usize,
) -> Result<Vec<CdEntry>, CdError> {
    let len = file
        .metadata()
        .map_err(|e| corrupt(format!("cannot be read: {e}")))?
        .len();
    if len < 22 {
        return Err(corrupt("is not a zip archive (too short)"));
    }
    // The end record is 22 bytes plus a comment of at most 65535 bytes.
    let tail_len = len.min(22 + 65_535) as usize;
    let tail_start = len - tail_len as u64;
    let tail = read_at(file, tail_start, tail_len)?;
    let pos = (0..=tail_len - 22)
        .rev()
        .find(|&p| le32(&tail, p) == EOCD_SIG && p + 22 + le16(&tail, p + 20) as usize <= tail_len)
        .ok_or_else(|| {
            corrupt("is not a zip archive, or it is truncated: no end-of-central-directory record")
        })?;
    let eocd = &tail[pos..pos + 22];
    let eocd_at = tail_start + pos as u64;
    let (disk, cd_disk) = (le16(eocd, 4), le16(eocd, 6));
    let mut total = le16(eocd, 10) as u64;
    let mut cd_size = le32(eocd, 12) as u64;
    let mut cd_offset = le32(eocd, 16) as u64;
    let mut cd_end_limit = eocd_at;

    let needs_zip64 = total == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF;
    if needs_zip64 && eocd_at >= 20 {
        let loc = read_at(file, eocd_at - 20, 20)?;
        if le32(&loc, 0) == ZIP64_LOCATOR_SIG {
            let z_at = le64(&loc, 8);
            if z_at >= eocd_at {
                return Err(corrupt(
                    "is corrupt: the zip64 end record points past the end record",
                ));
            }
            let z = read_at(file, z_at, 56)?;
            if le32(&z, 0) != ZIP64_EOCD_SIG {
                return Err(corrupt("is corrupt: the zip64 end record is missing"));
            }
            total = le64(&z, 32);
            cd_size = le64(&z, 40);
            cd_offset = le64(&z, 48);
            cd_end_limit = z_at;
        }
    } else if disk != 0 || cd_disk != 0 {
        return Err(corrupt(
            "is one part of a split (multi-volume) archive; upload it as one zip",
        ));
    }

    if total > max_entries as u64 {
        return Err(CdError::TooManyEntries(total));
    }
    let cd_end = cd_offset
        .checked_add(cd_size)
        .ok_or_else(|| corrupt("is corrupt: impossible central directory size"))?;
    if cd_end > cd_end_limit {
        return Err(corrupt(
            "is truncated or corrupt: the central directory runs past its end record",
        ));
    }
    // Self-extracting archives carry a stub before the zip, so recorded offsets fall short by
    // its length; only assume that when the directory is not where the record says.
    let gap = cd_end_limit - cd_end;
    let at_offset = total == 0 || le32(&read_at(file, cd_offset, 4)?, 0) == CENTRAL_SIG;
    let shift = if at_offset || cd_end_limit != eocd_at {
        0
    } else {
        gap
    };

    file.seek(SeekFrom::Start(cd_offset + shift))
        .map_err(|e| corrupt(format!("cannot be read: {e}")))?;
    let mut reader = BufReader::new(file.take(cd_size));
    let mut entries = Vec::with_capacity(total as usize);
    for n in 0..total {
        let mut entry = read_record(&mut reader, n)?;
        entry.local_header_offset = entry.local_header_offset.saturating_add(shift);
        entries.push(entry);
    }
    Ok(entries)
}

/// The bytes an entry occupies: its local header (whose name and extra field may differ
/// in length from the central record's) and its compressed data.
pub(super) fn entry_span(file: &mut File, entry: &CdEntry) -> Result<std::ops::Range<u64>, CdError> {
    let at = entry.local_header_offset;
    let missing = || corrupt("is truncated or corrupt: an entry's local header is missing");
    let mut header = [0u8; 30];
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.read_exact(&mut header))
        .map_err(|_| missing())?;
    if le32(&header, 0) != LOCAL_SIG {
        return Err(missing());
    }
    let data_at = at + 30 + le16(&header, 26) as u64 + le16(&header, 28) as u64;
    let end = data_at
        .checked_add(entry.compressed_size)
        .ok_or_else(|| corrupt("is corrupt: impossible entry size"))?;
    Ok(at..end)
}

/// Pairs `(earlier, later)` of indexes into `spans` whose byte ranges overlap: `later`
/// starts inside `earlier`. An honest archive has none; a zip bomb by overlap (many records
/// pointing at one entry's data, or entries nested in each other's data) is made of them.
pub(super) fn overlaps(spans: &[std::ops::Range<u64>]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, std::cmp::Reverse(spans[i].end)));
    let mut found = Vec::new();
    // The entry reaching furthest so far: any later start before its end overlaps it.
    let mut furthest: Option<usize> = None;
    for i in order {
        match furthest {
            Some(f) if spans[i].start < spans[f].end => {
                found.push((f, i));
                if spans[i].end > spans[f].end {
                    furthest = Some(i);
                }
            }
            _ => furthest = Some(i),
        }
    }
    found
}

fn read_record(reader: &mut impl Read, n: u64) -> Result<CdEntry, CdError> {
    let bad = || {
        corrupt(format!(
            "is truncated or corrupt: central directory record {} is damaged",
            n + 1
        ))
    };
    let mut fixed = [0u8; 46];
    reader.read_exact(&mut fixed).map_err(|_| bad())?;
    if le32(&fixed, 0) != CENTRAL_SIG {
        return Err(bad());
    }
    let mut var =
        vec![
            0u8;
            le16(&fixed, 28) as usize + le16(&fixed, 30) as usize + le16(&fixed, 32) as usize
        ];
    reader.read_exact(&mut var).map_err(|_| bad())?;
    let name_len = le16(&fixed, 28) as usize;
    let raw_name = var[..name_len].to_vec();
    let extra = &var[name_len..name_len + le16(&fixed, 30) as usize];

    let mut entry = CdEntry {
        unicode_name: None,
        flags: le16(&fixed, 8),
        method: le16(&fixed, 10),
        made_by_host: fixed[5],
        external_attr: le32(&fixed, 38),
        compressed_size: le32(&fixed, 20) as u64,
        uncompressed_size: le32(&fixed, 24) as u64,
        local_header_offset: le32(&fixed, 42) as u64,
        raw_name,
    };
    read_extra_fields(&mut entry, extra);
    Ok(entry)
}

fn read_extra_fields(entry: &mut CdEntry, mut extra: &[u8]) {
    while extra.len() >= 4 {
        let (id, size) = (le16(extra, 0), le16(extra, 2) as usize);
        let Some(body) = extra.get(4..4 + size) else {
            break;
        };
        match id {
            0x0001 => {
                // Zip64 values appear only for the fields saturated in the fixed record, in this order.
                let mut at = 0;
                for field in [&mut entry.uncompressed_size, &mut entry.compressed_size, &mut entry.local_header_offset] {
                    if *field == 0xFFFF_FFFF && body.len() >= at + 8 {
                        *field = le64(body, at);
                        at += 8;
                    }
                }
            }
            // Only trust a Unicode name that was written for this very raw name.
            0x7075 if body.len() > 5 && body[0] == 1 && le32(body, 1) == crc32(&entry.raw_name) => {
                entry.unicode_name = String::from_utf8(body[5..].to_vec()).ok();
            }
            _ => {}
        }
        extra = &extra[4 + size..];
    }
}

/// Plain CRC-32 (IEEE); only used on entry names, so a bitwise loop is fast enough.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn symlink_detection_reads_unix_mode_bits() {
        let mut e = CdEntry {
            raw_name: b"l".to_vec(),
            unicode_name: None,
            flags: 0,
            method: 0,
            made_by_host: 3,
            external_attr: 0o120777 << 16,
            compressed_size: 0,
            uncompressed_size: 0,
            local_header_offset: 0,
        };
        assert!(e.is_symlink());
        e.external_attr = 0o100644 << 16;
        assert!(!e.is_symlink());
        e.made_by_host = 0;
        e.external_attr = 0x20; // DOS archive bit only
        assert!(!e.is_symlink());
    }

    #[test]
    fn overlapping_spans_are_found_and_neighbours_are_not() {
        // Back to back, as an honest archive lays entries out.
        assert!(overlaps(&[0..100, 100..250, 250..251]).is_empty());
        // Two records at one offset, whatever order they are listed in.
        assert_eq!(overlaps(&[100..200, 0..100, 100..200]), vec![(0, 2)]);
        // One entry's data holding the next entries (nested), and a partial overlap.
        assert_eq!(overlaps(&[0..1000, 40..900, 60..800]), vec![(0, 1), (0, 2)]);
        assert_eq!(overlaps(&[0..100, 90..300, 250..400]), vec![(0, 1), (1, 2)]);
    }
}
