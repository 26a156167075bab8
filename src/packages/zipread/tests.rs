//! Unit tests of the safe zip reader.

use super::*;
use std::io::{repeat, sink};

fn meter<'a>(
    limits: &'a ZipLimits,
    declared: Option<u64>,
    compressed: u64,
    inflated: &'a Cell<u64>,
) -> Meter<'a> {
    Meter {
        name: "x.bin",
        declared,
        compressed,
        limits,
        inflated,
        archive_len: u64::MAX,
    }
}

#[test]
fn ratio_is_enforced_while_inflating() {
    let limits = ZipLimits::default();
    let zeros = repeat(0).take(300 << 20);
    let err = meter(&limits, None, 1000, &Cell::new(0))
        .copy(zeros, &mut sink())
        .unwrap_err();
    assert!(err.to_string().contains("ratio over 200:1"), "{err}");
}

#[test]
fn total_is_enforced_while_inflating() {
    let limits = ZipLimits {
        max_total_uncompressed: 3 << 20,
        ..ZipLimits::default()
    };
    let data = repeat(7).take(2 << 20);
    let err = meter(&limits, None, 2 << 20, &Cell::new(2 << 20))
        .copy(data, &mut sink())
        .unwrap_err();
    assert!(err.to_string().contains("in total"), "{err}");
}

#[test]
fn lying_declared_size_is_caught_and_nothing_past_it_is_written() {
    let limits = ZipLimits::default();
    let mut out = Vec::new();
    let err = meter(&limits, Some(1000), 1000, &Cell::new(0))
        .copy(repeat(1).take(1 << 20), &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("header declares"), "{err}");
    assert!(out.is_empty());
}

#[test]
fn honest_copy_hashes() {
    let limits = ZipLimits::default();
    let (n, hash) = meter(&limits, Some(3), 3, &Cell::new(0))
        .copy(&b"abc"[..], &mut sink())
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        hex::encode(hash),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn every_inflated_byte_counts_and_the_package_ratio_is_enforced() {
    let limits = ZipLimits::default();
    let inflated = Cell::new(0);
    // Each entry alone is honest (1:1), but the package is a 1 MiB file that keeps giving.
    let mut m = meter(&limits, None, 1 << 20, &inflated);
    m.archive_len = 1 << 20;
    let mut copies = 0;
    let err = loop {
        match m.copy(repeat(7).take(1 << 20), &mut sink()) {
            Ok(_) => copies += 1,
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("package inflates at a ratio over 200:1"), "{err}");
    assert_eq!(copies, 200, "stopped as soon as the package passed 200:1");
    assert!(inflated.get() > 200 << 20 && inflated.get() <= 201 << 20, "{}", inflated.get());

    // A copy that fails midway still counts what it inflated.
    let inflated = Cell::new(0);
    let _ = meter(&limits, Some(1000), 1000, &inflated).copy(repeat(1).take(5000), &mut sink());
    assert!(inflated.get() > 1000, "{}", inflated.get());
}
