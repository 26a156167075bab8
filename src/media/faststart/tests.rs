//! Unit tests of the faststart rewrite: layouts, offsets patched, the ffmpeg-made file, hostile boxes.

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
