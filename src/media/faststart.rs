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

mod patch;
use patch::{patch_container, Relocation};

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
mod tests;
