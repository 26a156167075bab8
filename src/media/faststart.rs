//! MP4/QuickTime "faststart": detects `moov` after the media data and moves it first, losslessly.
//!
//! A player cannot show a frame before it has `moov` (the sample tables). When an
//! encoder writes it last, as ffmpeg does by default, a player either downloads the
//! whole file first or, if it is clever, makes an extra range request for the end;
//! on a slow rural link both mean a long blank wait. Course package import therefore
//! calls [`inspect`] on every .mp4/.m4v/.mov/.m4a and, for [`Layout::MoovAtEnd`],
//! [`rewrite`] into a new blob.
//!
//! Moving `moov` forward shifts every byte that used to sit between `ftyp` and
//! `moov`'s old place, so the absolute file offsets stored in `moov` (`stco`, `co64`
//! and `saio` tables) are relocated: each offset is looked up in the top-level box
//! that held it in the input and moved by as much as that box moved. That rule stays
//! right whatever the box order was, so it needs no special cases for `free`, `wide`
//! or several `mdat` boxes.
//!
//! Only box headers and `moov` are parsed; media data is copied as opaque bytes
//! through one 256 KiB buffer, so memory use does not grow with the video.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// `return Err(FastStartError::Malformed(format!(...)))`; messages start with the box path.
macro_rules! malformed {
    ($($arg:tt)*) => {
        return Err(FastStartError::Malformed(format!($($arg)*)))
    };
}

/// Largest `moov` that [`rewrite`] reads into memory. The sample tables of a
/// multi-hour lecture take a few MiB; a `moov` past this is broken or hostile.
pub const MAX_MOOV_SIZE: u64 = 64 * 1024 * 1024;

const COPY_BUFFER_SIZE: usize = 256 * 1024;

/// Real files nest `moov/trak/mdia/minf/stbl` five deep; the cap keeps a crafted
/// file of containers inside containers from exhausting the stack.
const MAX_DEPTH: usize = 16;

/// Real non-fragmented files have a handful of top-level boxes. The cap bounds the
/// seeks and memory a crafted file of tiny boxes (8 bytes each) could cost.
const MAX_TOP_LEVEL_BOXES: usize = 10_000;

/// Containers under `moov` that are descended into. Any other box is opaque: its
/// payload may happen to look like child boxes, and patching bytes inside it would
/// corrupt it.
const CONTAINERS: [&[u8; 4]; 8] = [
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"edts", b"dinf",
];

/// Box types accepted as the first box of a file. Anything else means "not an MP4",
/// so that a mislabelled PDF is reported as [`Layout::NoMoov`] rather than as a
/// broken video. QuickTime files may start without `ftyp`, hence the others.
const FIRST_BOX_TYPES: [&[u8; 4]; 9] = [
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"pdin", b"uuid",
];

/// Where `moov` sits relative to the media data, as far as streaming is concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum Layout {
    /// `moov` precedes every `mdat` (or there is no `mdat`): nothing to do.
    FastStart,
    /// At least one `mdat` precedes `moov`: [`rewrite`] should be applied.
    MoovAtEnd,
    /// Not an ISO BMFF file (MP4, QuickTime), or one without a top-level `moov`.
    NoMoov,
    /// Fragmented MP4 (`moof` present). Such files already stream; they are left
    /// alone because [`rewrite`] does not patch fragment offsets.
    Fragmented,
}

/// Why a file could not be rewritten. In every case the caller should keep the
/// original file and warn; none of these are bugs in the caller.
#[derive(Debug)]
pub enum FastStartError {
    /// Reading the input or writing the output failed.
    Io(io::Error),
    /// Not an ISO BMFF file, or it has no top-level `moov`.
    NotIsoBmff,
    /// `moov` is larger than [`MAX_MOOV_SIZE`] (the size in bytes).
    MoovTooLarge(u64),
    /// A 32-bit offset (`stco`, or `saio` version 0) would pass 4 GiB after the
    /// move. Converting `stco` to `co64` would grow `moov` and shift everything
    /// again; files this large are rare enough to be left as they are.
    Overflow,
    /// The structure is broken or unsupported; the message starts with the path
    /// of the offending box, e.g. `moov/trak/mdia/minf/stbl/stco: ...`.
    Malformed(String),
}

impl fmt::Display for FastStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::NotIsoBmff => f.write_str("not an MP4/QuickTime file, or it has no moov box"),
            Self::MoovTooLarge(size) => {
                write!(
                    f,
                    "moov box of {size} bytes exceeds the {MAX_MOOV_SIZE}-byte limit"
                )
            }
            Self::Overflow => {
                f.write_str("a 32-bit chunk offset would exceed 4 GiB after moving moov")
            }
            Self::Malformed(msg) => write!(f, "malformed MP4: {msg}"),
        }
    }
}

impl std::error::Error for FastStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for FastStartError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Classifies the file by walking its top-level box headers; media data is never
/// read. A file that is not ISO BMFF at all is `Ok(NoMoov)`; an MP4 whose boxes
/// are cut short or inconsistent (a truncated upload) is an `InvalidData` error.
/// The stream position is left unspecified.
pub fn inspect(file: &mut (impl Read + Seek)) -> io::Result<Layout> {
    match scan(file) {
        Ok(boxes) => Ok(classify(&boxes)),
        Err(FastStartError::NotIsoBmff) => Ok(Layout::NoMoov),
        Err(FastStartError::Io(e)) => Err(e),
        Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
    }
}

/// Writes `input` to `output` with `moov` placed right after `ftyp` (or first, if
/// there is no `ftyp`) and every other top-level box in its original order, byte
/// for byte. Returns the number of bytes written, which equals the input length.
///
/// All checks on `moov` (size, structure, offset overflow) happen before the
/// first byte is written, so those errors leave `output` untouched. An I/O error
/// during the copy leaves it partial: write to a temporary file and rename.
/// Applying it to a file that is already [`Layout::FastStart`] is harmless.
pub fn rewrite(
    input: &mut (impl Read + Seek),
    output: &mut impl Write,
) -> Result<u64, FastStartError> {
    let boxes = scan(input)?;
    if boxes.iter().any(|b| &b.kind == b"moof") {
        // Fragments carry their own offsets (tfhd, sidx, mfra), which are not patched.
        malformed!("moof: fragmented file, not rewritten");
    }
    let mut moovs = (0..boxes.len()).filter(|&i| &boxes[i].kind == b"moov");
    let moov_idx = moovs.next().ok_or(FastStartError::NotIsoBmff)?;
    if moovs.next().is_some() {
        malformed!("moov: more than one top-level moov box");
    }
    let moov = boxes[moov_idx];
    if moov.size > MAX_MOOV_SIZE {
        return Err(FastStartError::MoovTooLarge(moov.size));
    }

    let mut order: Vec<usize> = (0..boxes.len()).filter(|&i| i != moov_idx).collect();
    let after_ftyp = order
        .iter()
        .position(|&i| &boxes[i].kind == b"ftyp")
        .map_or(0, |p| p + 1);
    order.insert(after_ftyp, moov_idx);
    // A size-0 box means "up to end of file", which only holds while it stays last.
    // `moov` is exempt: its header is rewritten with an explicit size below.
    if let Some(&i) = order[..order.len() - 1]
        .iter()
        .find(|&&i| boxes[i].to_eof && i != moov_idx)
    {
        malformed!(
            "{}: runs to end of file but would not be last",
            name(&boxes[i].kind)
        );
    }
    let reloc = Relocation::new(&boxes, &order);

    input.seek(SeekFrom::Start(moov.start))?;
    // Cannot truncate: moov.size <= MAX_MOOV_SIZE.
    let mut moov_bytes = vec![0u8; moov.size as usize];
    input.read_exact(&mut moov_bytes)?;
    if moov.to_eof {
        moov_bytes[..4].copy_from_slice(&(moov.size as u32).to_be_bytes());
    }
    let (_, header_len) = box_header(&moov_bytes, moov.size, "moov")?;
    patch_container(&mut moov_bytes[header_len..], "moov", &reloc, 0)?;

    let mut buf = vec![0u8; COPY_BUFFER_SIZE];
    let mut written = 0;
    for &i in &order {
        if i == moov_idx {
            output.write_all(&moov_bytes)?;
        } else {
            copy_span(input, output, &boxes[i], &mut buf)?;
        }
        written += boxes[i].size;
    }
    output.flush()?;
    Ok(written)
}

/// A top-level box: position and total size including the header.
#[derive(Clone, Copy, Debug)]
struct TopBox {
    kind: [u8; 4],
    start: u64,
    size: u64,
    /// Declared with size 0 ("extends to end of file").
    to_eof: bool,
}

impl TopBox {
    fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// Reads the top-level box headers, checking that the boxes tile the file exactly;
/// a box that overruns the end is the signature of a truncated upload. Stops at
/// the first `moof`: a fragmented file is left alone, so nothing after it matters,
/// and a long one has thousands of fragments.
fn scan(r: &mut (impl Read + Seek)) -> Result<Vec<TopBox>, FastStartError> {
    let len = r.seek(SeekFrom::End(0))?;
    let mut boxes = Vec::new();
    let mut pos = 0;
    while pos < len {
        let remaining = len - pos;
        let first = boxes.is_empty();
        if boxes.len() == MAX_TOP_LEVEL_BOXES {
            malformed!("more than {MAX_TOP_LEVEL_BOXES} top-level boxes");
        }
        if remaining < 8 {
            if first {
                return Err(FastStartError::NotIsoBmff);
            }
            malformed!("{remaining} stray bytes after the last box (truncated file?)");
        }
        let mut header = [0u8; 16];
        let header = &mut header[..remaining.min(16) as usize];
        r.seek(SeekFrom::Start(pos))?;
        r.read_exact(header)?;
        let kind: [u8; 4] = header[4..8].try_into().expect("4-byte slice");
        if first && !FIRST_BOX_TYPES.contains(&&kind) {
            return Err(FastStartError::NotIsoBmff);
        }
        let label = format!("{} at offset {pos}", name(&kind));
        if !kind.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
            malformed!("{label}: not a box type");
        }
        let (size, _) = box_header(header, remaining, &label)?;
        let to_eof = header[..4] == [0; 4];
        boxes.push(TopBox {
            kind,
            start: pos,
            size,
            to_eof,
        });
        if &kind == b"moof" {
            break;
        }
        pos += size;
    }
    Ok(boxes)
}

fn classify(boxes: &[TopBox]) -> Layout {
    if boxes.iter().any(|b| &b.kind == b"moof") {
        return Layout::Fragmented;
    }
    match boxes.iter().position(|b| &b.kind == b"moov") {
        None => Layout::NoMoov,
        Some(i) if boxes[..i].iter().any(|b| &b.kind == b"mdat") => Layout::MoovAtEnd,
        Some(_) => Layout::FastStart,
    }
}

/// Maps an offset in the input file to the same byte's offset in the output.
struct Relocation {
    /// (old start, old end, new start) per top-level box, sorted by old start.
    spans: Vec<(u64, u64, u64)>,
    len: u64,
}

impl Relocation {
    fn new(boxes: &[TopBox], order: &[usize]) -> Self {
        let mut new_start = vec![0; boxes.len()];
        let mut pos = 0;
        for &i in order {
            new_start[i] = pos;
            pos += boxes[i].size;
        }
        let spans = boxes
            .iter()
            .zip(new_start)
            .map(|(b, n)| (b.start, b.end(), n))
            .collect();
        Self { spans, len: pos }
    }

    fn map(&self, offset: u64) -> Option<u64> {
        // An empty chunk may point at the very end of the file; that end does not move.
        if offset == self.len {
            return Some(offset);
        }
        let i = self.spans.partition_point(|&(_, end, _)| end <= offset);
        let &(start, _, new_start) = self.spans.get(i)?;
        (start <= offset).then(|| new_start + (offset - start))
    }
}

/// Walks the child boxes of a container's payload and patches offset tables in place.
fn patch_container(
    payload: &mut [u8],
    path: &str,
    reloc: &Relocation,
    depth: usize,
) -> Result<(), FastStartError> {
    if depth >= MAX_DEPTH {
        malformed!("{path}: boxes nested deeper than {MAX_DEPTH}");
    }
    let mut pos = 0;
    while pos < payload.len() {
        let rest = &payload[pos..];
        if rest.len() < 8 {
            // QuickTime allows a 32-bit zero terminator at the end of an atom list.
            if rest.iter().all(|&b| b == 0) {
                break;
            }
            malformed!("{path}: {} stray bytes after the last child", rest.len());
        }
        let kind: [u8; 4] = rest[4..8].try_into().expect("4-byte slice");
        let child = format!("{path}/{}", name(&kind));
        let (size, header_len) = box_header(rest, rest.len() as u64, &child)?;
        let body = &mut payload[pos + header_len..pos + size as usize];
        match &kind {
            b"stco" => patch_offsets(body, 4, 4, &child, reloc)?,
            b"co64" => patch_offsets(body, 4, 8, &child, reloc)?,
            b"saio" => patch_saio(body, &child, reloc)?,
            b"cmov" => malformed!("{child}: compressed movie header not supported"),
            k if CONTAINERS.contains(&k) => patch_container(body, &child, reloc, depth + 1)?,
            _ => {}
        }
        pos += size as usize;
    }
    Ok(())
}

/// `saio` (auxiliary data for encrypted samples) holds absolute file offsets when it
/// sits under `moov`, exactly like `stco`; missing it would break decryption.
fn patch_saio(body: &mut [u8], path: &str, reloc: &Relocation) -> Result<(), FastStartError> {
    if body.len() < 4 {
        malformed!("{path}: too short");
    }
    let width = if body[0] == 0 { 4 } else { 8 };
    // Flag bit 0: aux_info_type and aux_info_type_parameter precede the count.
    let count_at = if body[3] & 1 == 1 { 12 } else { 4 };
    patch_offsets(body, count_at, width, path, reloc)
}

/// Patches a table of `width`-byte big-endian offsets whose u32 entry count sits at
/// `count_at` and whose entries follow it.
fn patch_offsets(
    body: &mut [u8],
    count_at: usize,
    width: usize,
    path: &str,
    reloc: &Relocation,
) -> Result<(), FastStartError> {
    let Some(count_bytes) = body.get(count_at..count_at + 4) else {
        malformed!("{path}: too short for an entry count");
    };
    let count = u32::from_be_bytes(count_bytes.try_into().expect("4 bytes")) as usize;
    let entries = &mut body[count_at + 4..];
    if count.saturating_mul(width) > entries.len() {
        malformed!(
            "{path}: {count} entries do not fit in {} bytes",
            entries.len()
        );
    }
    for entry in entries.chunks_exact_mut(width).take(count) {
        let mut be = [0u8; 8];
        be[8 - width..].copy_from_slice(entry);
        let old = u64::from_be_bytes(be);
        let Some(new) = reloc.map(old) else {
            malformed!("{path}: offset {old} lies outside the file");
        };
        if width == 4 && new > u64::from(u32::MAX) {
            return Err(FastStartError::Overflow);
        }
        entry.copy_from_slice(&new.to_be_bytes()[8 - width..]);
    }
    Ok(())
}

fn copy_span(
    input: &mut (impl Read + Seek),
    output: &mut impl Write,
    span: &TopBox,
    buf: &mut [u8],
) -> io::Result<()> {
    input.seek(SeekFrom::Start(span.start))?;
    let mut left = span.size;
    while left > 0 {
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        input.read_exact(&mut buf[..n])?;
        output.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Size and header length of the box whose header starts `h`, with `room` bytes
/// left in the file or parent box; size 0 means "all of the room".
fn box_header(h: &[u8], room: u64, path: &str) -> Result<(u64, usize), FastStartError> {
    let (size, header_len) = match u32::from_be_bytes(h[..4].try_into().expect("4 bytes")) {
        0 => (room, 8),
        1 if h.len() >= 16 => (
            u64::from_be_bytes(h[8..16].try_into().expect("8 bytes")),
            16,
        ),
        1 => malformed!("{path}: 64-bit size cut short"),
        n => (u64::from(n), 8),
    };
    if size < header_len as u64 || size > room {
        malformed!("{path}: claims {size} bytes but only {room} remain");
    }
    Ok((size, header_len))
}

/// Box type for messages; escapes bytes so a garbage type cannot break a log line.
fn name(kind: &[u8; 4]) -> String {
    kind.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    // ---- hand-built boxes ----

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    /// A box with a 64-bit largesize header, as muxers write for mdat over 4 GiB.
    fn large_header(kind: &[u8; 4], body_len: u64) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(&(body_len + 16).to_be_bytes());
        v
    }

    /// stco (width 4) or co64 (width 8) with version/flags zero.
    fn table(kind: &[u8; 4], width: usize, offsets: &[u64]) -> Vec<u8> {
        let mut body = vec![0u8; 4];
        body.extend_from_slice(&(offsets.len() as u32).to_be_bytes());
        for &o in offsets {
            body.extend_from_slice(&o.to_be_bytes()[8 - width..]);
        }
        bx(kind, &body)
    }

    /// moov with one trak per table, each at moov/trak/mdia/minf/stbl.
    fn moov_with(tables: &[Vec<u8>]) -> Vec<u8> {
        let mut traks = Vec::new();
        for t in tables {
            let stbl = bx(b"stbl", &[bx(b"stsd", &[0; 8]), t.clone()].concat());
            let minf = bx(b"minf", &stbl);
            let mdia = bx(b"mdia", &[bx(b"mdhd", &[0; 24]), minf].concat());
            traks.extend(bx(b"trak", &mdia));
        }
        bx(b"moov", &[bx(b"mvhd", &[0; 100]), traks].concat())
    }

    fn ftyp() -> Vec<u8> {
        bx(b"ftyp", b"isom\0\0\x02\0isomiso2")
    }

    const CHUNK: usize = 32;

    fn chunk(i: usize) -> Vec<u8> {
        let mut c = format!("chunk{i:02}").into_bytes();
        c.resize(CHUNK, i as u8);
        c
    }

    /// ftyp, free, mdat (64-bit header), moov: chunks 0-1 through co64, 2-3 through stco.
    fn synthetic(moov_to_eof: bool) -> Vec<u8> {
        let mut file = ftyp();
        file.extend(bx(b"free", &[0; 8]));
        let data: Vec<u8> = (0..4).flat_map(chunk).collect();
        file.extend(large_header(b"mdat", data.len() as u64));
        let base = file.len() as u64;
        file.extend(data);
        let off = |i: u64| base + i * CHUNK as u64;
        let mut moov = moov_with(&[
            table(b"co64", 8, &[off(0), off(1)]),
            table(b"stco", 4, &[off(2), off(3)]),
        ]);
        if moov_to_eof {
            moov[..4].copy_from_slice(&[0; 4]);
        }
        file.extend(moov);
        file
    }

    /// Entries of the first `tag` table in `file`; synthetic files have no other match.
    fn offsets(file: &[u8], tag: &[u8; 4], width: usize) -> Vec<u64> {
        let at = file
            .windows(4)
            .position(|w| w == tag)
            .expect("table present")
            + 4;
        let count = u32::from_be_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
        (0..count)
            .map(|i| {
                let e = &file[at + 8 + i * width..at + 8 + (i + 1) * width];
                let mut b = [0u8; 8];
                b[8 - width..].copy_from_slice(e);
                u64::from_be_bytes(b)
            })
            .collect()
    }

    fn rewrite_vec(input: &[u8]) -> Result<Vec<u8>, FastStartError> {
        let mut out = Vec::new();
        let n = rewrite(&mut Cursor::new(input), &mut out)?;
        assert_eq!(n, out.len() as u64);
        Ok(out)
    }

    fn inspect_vec(input: &[u8]) -> io::Result<Layout> {
        inspect(&mut Cursor::new(input))
    }

    fn assert_malformed(r: Result<Vec<u8>, FastStartError>, needle: &str) {
        match r {
            Err(FastStartError::Malformed(msg)) => assert!(msg.contains(needle), "{msg}"),
            other => panic!("expected Malformed containing {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn synthetic_co64_and_stco_offsets_follow_their_chunks() {
        let input = synthetic(false);
        assert_eq!(inspect_vec(&input).unwrap(), Layout::MoovAtEnd);
        let out = rewrite_vec(&input).unwrap();
        assert_eq!(out.len(), input.len());
        assert_eq!(inspect_vec(&out).unwrap(), Layout::FastStart);
        let ftyp_len = ftyp().len();
        let moov_len = u32::from_be_bytes(out[ftyp_len..ftyp_len + 4].try_into().unwrap()) as u64;
        assert_eq!(&out[ftyp_len + 4..ftyp_len + 8], b"moov");
        for (tag, width) in [(b"co64", 8), (b"stco", 4)] {
            let old = offsets(&input, tag, width);
            let new = offsets(&out, tag, width);
            for (o, n) in old.iter().zip(&new) {
                assert_eq!(*n, o + moov_len, "{tag:?}");
                assert_eq!(out[*n as usize..][..CHUNK], input[*o as usize..][..CHUNK]);
            }
        }
        // free sat between ftyp and mdat; it keeps its place after moov.
        assert_eq!(&out[ftyp_len + moov_len as usize + 4..][..4], b"free");
    }

    #[test]
    fn moov_declared_to_end_of_file_gets_an_explicit_size() {
        let input = synthetic(true);
        assert_eq!(inspect_vec(&input).unwrap(), Layout::MoovAtEnd);
        let out = rewrite_vec(&input).unwrap();
        assert_eq!(inspect_vec(&out).unwrap(), Layout::FastStart);
        let moov_len = input.len() - input.windows(4).rposition(|w| w == b"moov").unwrap() + 4;
        let at = ftyp().len();
        assert_eq!(
            u32::from_be_bytes(out[at..at + 4].try_into().unwrap()) as usize,
            moov_len
        );
    }

    #[test]
    fn rewriting_a_faststart_file_changes_nothing() {
        let moved = rewrite_vec(&synthetic(false)).unwrap();
        assert_eq!(rewrite_vec(&moved).unwrap(), moved);
    }

    #[test]
    fn non_iso_files_are_no_moov() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
        let text = b"hello, this is a course README and not a video".to_vec();
        let ftyp_only = ftyp();
        let no_moov = [ftyp(), bx(b"mdat", &[1; 40])].concat();
        for input in [vec![], b"abc".to_vec(), png, text, ftyp_only, no_moov] {
            assert_eq!(inspect_vec(&input).unwrap(), Layout::NoMoov, "{input:?}");
            assert!(matches!(
                rewrite_vec(&input),
                Err(FastStartError::NotIsoBmff)
            ));
        }
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let input = synthetic(false);
        let mut boundaries = vec![0];
        let mut pos = 0;
        while pos < input.len() {
            let size = match u32::from_be_bytes(input[pos..pos + 4].try_into().unwrap()) {
                1 => u64::from_be_bytes(input[pos + 8..pos + 16].try_into().unwrap()) as usize,
                n => n as usize,
            };
            pos += size;
            boundaries.push(pos);
        }
        for cut in 1..input.len() {
            let part = &input[..cut];
            assert!(rewrite_vec(part).is_err(), "cut at {cut}");
            match inspect_vec(part) {
                Ok(layout) => assert!(
                    cut < 8 || (boundaries.contains(&cut) && layout == Layout::NoMoov),
                    "cut at {cut}: {layout:?}"
                ),
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::InvalidData, "cut at {cut}"),
            }
        }
    }

    #[test]
    fn table_longer_than_its_box_is_malformed_and_named() {
        let mut stco = table(b"stco", 4, &[40]);
        stco[12..16].copy_from_slice(&1000u32.to_be_bytes());
        let input = [ftyp(), bx(b"mdat", &[0; 64]), moov_with(&[stco])].concat();
        assert_malformed(
            rewrite_vec(&input),
            "moov/trak/mdia/minf/stbl/stco: 1000 entries",
        );
    }

    #[test]
    fn offset_outside_the_file_is_malformed() {
        let input = [
            ftyp(),
            bx(b"mdat", &[0; 64]),
            moov_with(&[table(b"co64", 8, &[1 << 40])]),
        ]
        .concat();
        assert_malformed(
            rewrite_vec(&input),
            "co64: offset 1099511627776 lies outside",
        );
    }

    #[test]
    fn fragmented_files_are_reported_and_left_alone() {
        let input = [
            ftyp(),
            bx(b"moov", &bx(b"mvex", &[])),
            bx(b"moof", &[0; 16]),
            bx(b"mdat", &[0; 16]),
        ]
        .concat();
        assert_eq!(inspect_vec(&input).unwrap(), Layout::Fragmented);
        assert_malformed(rewrite_vec(&input), "moof");
    }

    #[test]
    fn fragments_after_the_first_moof_are_not_walked() {
        // The trailing mdat claims more bytes than exist; unread, so no error.
        let input = [
            ftyp(),
            bx(b"moov", &[]),
            bx(b"moof", &[0; 16]),
            bx(b"mdat", &[0; 16]),
        ]
        .concat();
        assert_eq!(
            inspect_vec(&input[..input.len() - 4]).unwrap(),
            Layout::Fragmented
        );
    }

    #[test]
    fn flood_of_tiny_boxes_is_refused() {
        let mut input = ftyp();
        for _ in 0..MAX_TOP_LEVEL_BOXES {
            input.extend(bx(b"free", &[]));
        }
        input.extend(moov_with(&[]));
        let err = inspect_vec(&input).unwrap_err();
        assert!(err.to_string().contains("top-level boxes"), "{err}");
    }

    #[test]
    fn crafted_deep_nesting_is_refused_without_overflowing_the_stack() {
        let mut inner = table(b"stco", 4, &[]);
        for _ in 0..10_000 {
            inner = bx(b"trak", &inner);
        }
        let input = [ftyp(), bx(b"mdat", &[0; 8]), bx(b"moov", &inner)].concat();
        assert_malformed(rewrite_vec(&input), "nested deeper");
    }

    #[test]
    fn errors_display_and_chain() {
        let io = FastStartError::from(io::Error::other("disk gone"));
        assert!(std::error::Error::source(&io).is_some());
        assert!(FastStartError::Overflow.to_string().contains("4 GiB"));
        assert!(FastStartError::MoovTooLarge(1 << 30)
            .to_string()
            .contains("1073741824"));
    }

    // ---- large files without disk: head bytes, then zeros, then tail bytes ----

    struct Sparse {
        head: Vec<u8>,
        gap: u64,
        tail: Vec<u8>,
        pos: u64,
    }

    impl Sparse {
        fn len(&self) -> u64 {
            self.head.len() as u64 + self.gap + self.tail.len() as u64
        }
    }

    impl Read for Sparse {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let head = self.head.len() as u64;
            let n = if self.pos < head {
                let src = &self.head[self.pos as usize..];
                let n = src.len().min(buf.len());
                buf[..n].copy_from_slice(&src[..n]);
                n
            } else if self.pos < head + self.gap {
                let n = (head + self.gap - self.pos).min(buf.len() as u64) as usize;
                buf[..n].fill(0);
                n
            } else {
                let src = self
                    .tail
                    .get((self.pos - head - self.gap) as usize..)
                    .unwrap_or(&[]);
                let n = src.len().min(buf.len());
                buf[..n].copy_from_slice(&src[..n]);
                n
            };
            self.pos += n as u64;
            Ok(n)
        }
    }

    impl Seek for Sparse {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.pos = match to {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::End(d) => self.len().checked_add_signed(d),
                SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            }
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad seek"))?;
            Ok(self.pos)
        }
    }

    /// Keeps the first MiB written (where moov lands) and counts the rest.
    #[derive(Default)]
    struct Head {
        kept: Vec<u8>,
        total: u64,
    }

    impl Write for Head {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let room = (1usize << 20)
                .saturating_sub(self.kept.len())
                .min(buf.len());
            self.kept.extend_from_slice(&buf[..room]);
            self.total += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// ftyp, 64-bit mdat of `gap` zero bytes, then `moov`.
    fn big_file(gap: u64, moov: Vec<u8>) -> Sparse {
        let head = [ftyp(), large_header(b"mdat", gap)].concat();
        Sparse {
            head,
            gap,
            tail: moov,
            pos: 0,
        }
    }

    #[test]
    fn stco_overflow_is_reported_before_anything_is_written() {
        let near_end = u64::from(u32::MAX) - 10;
        let mut file = big_file(
            u64::from(u32::MAX),
            moov_with(&[table(b"stco", 4, &[near_end])]),
        );
        assert_eq!(inspect(&mut file).unwrap(), Layout::MoovAtEnd);
        let mut out = Vec::new();
        assert!(matches!(
            rewrite(&mut file, &mut out),
            Err(FastStartError::Overflow)
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn oversized_moov_is_refused() {
        let gap = MAX_MOOV_SIZE + 1 - 8;
        let head = [
            ftyp(),
            bx(b"mdat", &[]),
            (MAX_MOOV_SIZE as u32 + 1).to_be_bytes().to_vec(),
            b"moov".to_vec(),
        ]
        .concat();
        let mut file = Sparse {
            head,
            gap,
            tail: vec![],
            pos: 0,
        };
        let mut out = Vec::new();
        let r = rewrite(&mut file, &mut out);
        assert!(
            matches!(r, Err(FastStartError::MoovTooLarge(n)) if n == MAX_MOOV_SIZE + 1),
            "{r:?}"
        );
    }

    #[test]
    fn co64_past_4_gib_is_shifted_and_media_streamed() {
        let gap = (5 << 30) + 123;
        let target = 5 << 30; // somewhere inside the 5 GiB mdat
        let mut file = big_file(gap, moov_with(&[table(b"co64", 8, &[target])]));
        let moov_len = file.tail.len() as u64;
        let mut out = Head::default();
        let n = rewrite(&mut file, &mut out).unwrap();
        assert_eq!(n, file.len());
        assert_eq!(out.total, file.len());
        assert_eq!(
            inspect_vec(&out.kept[..ftyp().len() + moov_len as usize]).unwrap(),
            Layout::FastStart
        );
        assert_eq!(offsets(&out.kept, b"co64", 8), [target + moov_len]);
        // the 64-bit mdat header follows moov unchanged
        let mdat_at = ftyp().len() + moov_len as usize;
        assert_eq!(
            out.kept[mdat_at..mdat_at + 16],
            large_header(b"mdat", gap)[..]
        );
    }

    // ---- real files from ffmpeg ----

    fn have_ffmpeg() -> bool {
        let ok = |tool: &str| {
            Command::new(tool)
                .arg("-version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if ok("ffmpeg") && ok("ffprobe") {
            return true;
        }
        println!("SKIP: ffmpeg/ffprobe not found; real-file faststart tests not run");
        false
    }

    /// Three seconds of H.264 + AAC (or only AAC with `-vn`); ffmpeg puts moov last
    /// unless `+faststart` is asked for.
    fn make_media(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let out = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=160x120:rate=10",
            ])
            .args([
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=22050",
                "-t",
                "3",
            ])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-c:a", "aac", "-b:a", "32k"])
            .args(extra)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ffmpeg: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    }

    fn run(tool: &str, args: &[&str], file: &Path) -> (String, String) {
        let out = Command::new(tool)
            .args(["-v", "error", "-i"])
            .arg(file)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn duration(file: &Path) -> String {
        let (out, err) = run(
            "ffprobe",
            &["-show_entries", "format=duration", "-of", "csv=p=0"],
            file,
        );
        assert_eq!(err, "", "ffprobe complained about {file:?}");
        out
    }

    /// Decodes every audio and video frame; the decode must print nothing at
    /// `-v error`, which is the same check as decoding to `-f null`.
    fn frame_hashes(file: &Path) -> String {
        let (hashes, errors) = run("ffmpeg", &["-f", "framemd5", "-"], file);
        assert_eq!(errors, "", "decoding {file:?} reported errors");
        hashes
    }

    /// Generates `name` with moov last, rewrites it and checks that players see the
    /// same media: same duration, clean decode, identical decoded frames.
    fn check_rewrite_of_ffmpeg_output(name: &str, extra: &[&str]) {
        if !have_ffmpeg() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let original = make_media(dir.path(), name, extra);
        let mut input = std::fs::File::open(&original).unwrap();
        assert_eq!(inspect(&mut input).unwrap(), Layout::MoovAtEnd);

        let rewritten = dir.path().join(format!("fast-{name}"));
        let mut output = io::BufWriter::new(std::fs::File::create(&rewritten).unwrap());
        let n = rewrite(&mut input, &mut output).unwrap();
        drop(output);
        assert_eq!(n, std::fs::metadata(&original).unwrap().len());
        let mut check = std::fs::File::open(&rewritten).unwrap();
        assert_eq!(inspect(&mut check).unwrap(), Layout::FastStart);

        assert_eq!(duration(&rewritten), duration(&original));
        let hashes = frame_hashes(&rewritten);
        assert!(hashes.lines().filter(|l| !l.starts_with('#')).count() > 10);
        assert_eq!(hashes, frame_hashes(&original));
    }

    #[test]
    fn ffmpeg_mp4_with_moov_at_end_is_rewritten_and_decodes_identically() {
        check_rewrite_of_ffmpeg_output("late.mp4", &["-movflags", "-faststart"]);
    }

    /// QuickTime: no free box but a `wide` placeholder before mdat.
    #[test]
    fn ffmpeg_mov_with_moov_at_end_is_rewritten_and_decodes_identically() {
        check_rewrite_of_ffmpeg_output("late.mov", &[]);
    }

    #[test]
    fn ffmpeg_m4a_with_moov_at_end_is_rewritten_and_decodes_identically() {
        check_rewrite_of_ffmpeg_output("late.m4a", &["-vn"]);
    }

    #[test]
    fn ffmpeg_faststart_file_is_recognised_and_kept_byte_for_byte() {
        if !have_ffmpeg() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = make_media(dir.path(), "fast.mp4", &["-movflags", "+faststart"]);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(inspect_vec(&bytes).unwrap(), Layout::FastStart);
        assert_eq!(rewrite_vec(&bytes).unwrap(), bytes);
    }

    #[test]
    fn ffmpeg_file_cut_mid_download_is_an_error() {
        if !have_ffmpeg() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = make_media(dir.path(), "cut.mp4", &[]);
        let bytes = std::fs::read(&path).unwrap();
        let part = &bytes[..bytes.len() / 2];
        assert_eq!(
            inspect_vec(part).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_malformed(rewrite_vec(part), "mdat at offset");
    }
}
