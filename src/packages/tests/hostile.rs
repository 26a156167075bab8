//! Hostile and broken archives: each is refused with a clear problem, never a panic.

use std::io::{Cursor, Write};
use std::sync::OnceLock;
use std::time::Instant;

use encoding_rs::GBK;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::super::{
    inspect, open_package, PackageError, PackageFormat, PackageSource, Problem, ZipLimits,
};
use super::{fixture, show};

fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

/// A zip of stored entries, as bytes.
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, stored()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

fn open_err(bytes: &[u8]) -> Vec<Problem> {
    let f = write_temp(bytes);
    match open_package(f.path(), &ZipLimits::default()) {
        Ok(z) => panic!("accepted: {:?}", z.entries()),
        Err(e) => e,
    }
}

/// Replaces every occurrence of `from` (names appear in both local and central headers).
fn patch_all(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut i = 0;
    let mut hits = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            hits += 1;
        }
        i += 1;
    }
    assert!(hits > 0, "nothing patched");
}

/// Offset of the first central-directory record.
fn central(bytes: &[u8]) -> usize {
    bytes
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central record")
}

fn assert_one(problems: &[Problem], file: &str, needle: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.file == file && p.message.contains(needle)),
        "expected `{needle}` about {file}, got:\n{}",
        show(problems)
    );
}

#[test]
fn zip_slip_and_absolute_paths_are_refused() {
    let errs = open_err(&zip_bytes(&[("ok.html", b"x"), ("../evil.txt", b"x")]));
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert_one(&errs, "../evil.txt", "zip slip");
    assert_one(
        &open_err(&zip_bytes(&[("/etc/x", b"x")])),
        "/etc/x",
        "absolute path",
    );
    assert_one(
        &open_err(&zip_bytes(&[("C:/Windows/x.dll", b"x")])),
        "C:/Windows/x.dll",
        "drive letter",
    );
    assert_one(
        &open_err(&zip_bytes(&[("a\\..\\..\\evil.txt", b"x")])),
        "a\\..\\..\\evil.txt",
        "zip slip",
    );
}

#[test]
fn symlink_entries_are_refused() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("index.html", stored()).unwrap();
    w.write_all(b"x").unwrap();
    w.add_symlink("passwd.html", "/etc/passwd", stored())
        .unwrap();
    let errs = open_err(&w.finish().unwrap().into_inner());
    assert_one(&errs, "passwd.html", "symbolic link");
}

#[test]
fn duplicate_names_are_refused() {
    let mut bytes = zip_bytes(&[("dup.txt", b"1"), ("dup.tx2", b"2")]);
    patch_all(&mut bytes, b"dup.tx2", b"dup.txt");
    assert_one(&open_err(&bytes), "dup.txt", "more than once");
    // Different bytes, same path once backslashes are read as separators.
    let errs = open_err(&zip_bytes(&[("dir/x.txt", b"1"), ("dir\\x.txt", b"2")]));
    assert_one(&errs, "dir/x.txt", "more than once");
}

#[test]
fn encrypted_entries_are_refused() {
    let mut bytes = zip_bytes(&[("secret.html", b"hello")]);
    bytes[6] |= 1; // local header flags
    let c = central(&bytes);
    bytes[c + 8] |= 1;
    assert_one(&open_err(&bytes), "secret.html", "encrypted");
}

#[test]
fn unsupported_compression_is_refused() {
    let mut bytes = zip_bytes(&[("a.html", b"hello")]);
    let c = central(&bytes);
    bytes[c + 10] = 14; // LZMA
    assert_one(&open_err(&bytes), "a.html", "compression method 14");
}

#[test]
fn truncated_and_corrupt_archives_are_refused() {
    let Some(path) = fixture("scorm12/golf-runtime-basic.zip") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let errs = open_err(&bytes[..bytes.len() / 2]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("truncated"), "{}", errs[0]);
    assert!(
        errs[0].message.contains("end-of-central-directory"),
        "{}",
        errs[0]
    );

    let mut damaged = bytes.clone();
    let c = central(&damaged);
    damaged[c + 46 * 3..c + 46 * 3 + 400].fill(0);
    let errs = open_err(&damaged);
    assert!(
        errs[0].message.contains("damaged") || errs[0].message.contains("corrupt"),
        "{}",
        show(&errs)
    );

    assert!(open_err(b"PK\x03\x04 not really")[0]
        .message
        .contains("not a zip"));
    assert!(open_err(b"")[0].message.contains("not a zip"));
}

#[test]
fn corrupt_entry_data_fails_the_copy_not_the_process() {
    let mut bytes = zip_bytes(&[("a.html", b"hello world")]);
    patch_all(&mut bytes, b"hello", b"jello");
    let f = write_temp(&bytes);
    let z = open_package(f.path(), &ZipLimits::default()).unwrap();
    let err = z.copy_entry("a.html", &mut Vec::new()).unwrap_err();
    assert!(
        matches!(&err, PackageError::Invalid(p) if p.message.contains("corrupt")),
        "{err}"
    );
    assert!(z
        .read_small("a.html", 5)
        .unwrap_err()
        .message
        .contains("at most 5"));
    assert!(z.read_small("missing.html", 5).is_err());
}

#[test]
fn hundred_thousand_entries_are_refused_quickly() {
    let started = Instant::now();
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..100_000 {
        w.start_file(format!("{i}"), stored()).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    let errs = open_err(&bytes);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].message.contains("100000 entries; at most 20000"),
        "{}",
        errs[0]
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}

/// 300 MiB of zeros deflated to about 300 KiB, built once, streaming, for both bomb tests.
fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1));
        w.start_file("index.html", stored()).unwrap();
        w.write_all(b"<title>hi</title>").unwrap();
        w.start_file("bomb.mp4", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap().into_inner()
    })
}

#[test]
fn zip_bomb_with_honest_header_is_refused_at_open() {
    let errs = open_err(bomb());
    assert_one(&errs, "bomb.mp4", "ratio over 200:1");
}

#[test]
fn zip_bomb_with_lying_header_is_stopped_while_inflating() {
    let mut bytes = bomb().to_vec();
    let size = (300u32 << 20).to_le_bytes();
    let small = 1000u32.to_le_bytes();
    // Uncompressed size sits at +22 in the local header and +24 in the central record.
    let local = bytes.windows(8).position(|w| w == b"bomb.mp4").unwrap() - 30;
    assert_eq!(&bytes[local + 22..local + 26], &size);
    bytes[local + 22..local + 26].copy_from_slice(&small);
    let c = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    assert_eq!(&bytes[c + 24..c + 28], &size);
    bytes[c + 24..c + 28].copy_from_slice(&small);

    let f = write_temp(&bytes);
    let source = PackageSource::Zip(
        open_package(f.path(), &ZipLimits::default()).expect("the lie passes the header checks"),
    );
    let started = Instant::now();
    let mut out = Vec::new();
    let err = source.copy_entry("bomb.mp4", &mut out).unwrap_err();
    assert!(
        matches!(&err, PackageError::Invalid(p) if p.message.contains("header declares")),
        "{err}"
    );
    assert!(out.len() <= 1000, "{} bytes escaped", out.len());
    assert!(started.elapsed().as_secs() < 2);
    // The same package is otherwise fine to inspect: the bomb is just a file to store.
    assert_eq!(
        inspect(&source, "b.zip").unwrap().format,
        PackageFormat::Plain
    );
}

#[test]
fn zip_bomb_is_stopped_by_the_total_limit_too() {
    let f = write_temp(bomb());
    let limits = ZipLimits {
        max_ratio: 10_000,
        max_total_uncompressed: 512 << 20,
        ..ZipLimits::default()
    };
    let z = open_package(f.path(), &limits).unwrap();
    z.copy_entry("bomb.mp4", &mut std::io::sink()).unwrap();
    let err = z.copy_entry("bomb.mp4", &mut std::io::sink()).unwrap_err();
    assert!(err.to_string().contains("in total"), "{err}");
}

#[test]
fn gbk_names_without_the_utf8_flag_are_decoded() {
    let (gbk, _, _) = GBK.encode("第一课.html");
    assert_eq!(gbk.len(), "abcdef.html".len());
    let mut bytes = zip_bytes(&[
        ("abcdef.html", b"<title>x</title>"),
        ("abcdefghi.mp4", b"v"),
    ]);
    patch_all(&mut bytes, b"abcdef.html", &gbk);
    // UTF-8 written without the flag, as some tools do.
    patch_all(&mut bytes, b"abcdefghi.mp4", "第二课.mp4".as_bytes());
    assert_eq!(bytes[7] & 0x08, 0, "flag bit 11 must be clear");

    let f = write_temp(&bytes);
    let source = PackageSource::open(f.path(), &ZipLimits::default()).unwrap();
    let names: Vec<_> = source.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["第一课.html", "第二课.mp4"]);
    let p = inspect(&source, "课程.zip").unwrap();
    let titles: Vec<_> = p.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["第一课", "第二课"]);
    assert_eq!(p.title, "课程");
    assert_eq!(
        source.read_small("第一课.html", 100).unwrap(),
        b"<title>x</title>"
    );
}

/// Points the central record of `name` at `offset` (its local header offset, at +42).
fn point_record_at(bytes: &mut [u8], name: &[u8], offset: u32) {
    let c = central(bytes);
    let at = c + bytes[c..]
        .windows(name.len())
        .position(|w| w == name)
        .expect("name in the central directory")
        - 46;
    bytes[at + 42..at + 46].copy_from_slice(&offset.to_le_bytes());
}

#[test]
fn two_records_pointing_at_one_entry_are_refused() {
    let mut bytes = zip_bytes(&[("a.bin", &[7u8; 4096]), ("b.bin", &[8u8; 4096])]);
    point_record_at(&mut bytes, b"b.bin", 0);
    let errs = open_err(&bytes);
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    assert!(
        errs[0].message.contains("overlapping entries") && errs[0].message.contains("\"a.bin\" and \"b.bin\""),
        "{}",
        errs[0]
    );
}

#[test]
fn an_entry_hidden_inside_another_entry_is_refused() {
    // b.bin's local header and data, stored again as the data of a.bin; b.bin's record then
    // points into a.bin, so its bytes would be read twice.
    let inner = zip_bytes(&[("b.bin", b"hello")]);
    let inner_local = &inner[..central(&inner)];
    let mut bytes = zip_bytes(&[("a.bin", inner_local), ("b.bin", b"hello")]);
    let hidden = bytes.windows(inner_local.len()).position(|w| w == inner_local).unwrap();
    assert!(hidden > 0, "inside a.bin's data, not at the start of the file");
    point_record_at(&mut bytes, b"b.bin", hidden as u32);
    let errs = open_err(&bytes);
    assert!(errs[0].message.contains("overlapping entries"), "{}", show(&errs));
    // Untouched, the same two entries open fine: neighbours do not overlap.
    let honest = zip_bytes(&[("a.bin", inner_local), ("b.bin", b"hello")]);
    assert!(open_package(write_temp(&honest).path(), &ZipLimits::default()).is_ok());
}

#[test]
fn a_record_pointing_at_no_local_header_is_refused() {
    let mut bytes = zip_bytes(&[("a.bin", &[7u8; 100]), ("b.bin", &[8u8; 100])]);
    point_record_at(&mut bytes, b"b.bin", 40);
    let errs = open_err(&bytes);
    assert!(errs[0].message.contains("local header is missing"), "{}", show(&errs));
}
