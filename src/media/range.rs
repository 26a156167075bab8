//! Parsing and planning of `Range: bytes=...` headers (RFC 9110 section 14).

/// Ranges whose gap is smaller than this many bytes are coalesced: a multipart part
/// costs about this much in boundary and part headers (RFC 9110 section 15.3.7.2
/// allows coalescing gaps "smaller than the overhead of sending multiple parts").
pub const MERGE_GAP: u64 = 80;

/// An inclusive byte range `first..=last`, always within the representation
/// (`first <= last < len`). Inclusive because that is how Content-Range spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    /// Number of bytes covered; never zero.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false; present because clippy expects it next to `len`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a `Range` header asks of a representation of a given length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Not a byte range we understand (unknown unit, invalid syntax): serve 200 whole.
    Ignore,
    /// Valid syntax, but no range overlaps the representation: 416.
    Unsatisfiable,
    /// Satisfiable ranges, coalesced, in the order the client first asked for them.
    Ranges(Vec<ByteRange>),
}

/// One syntactically valid range-spec before it is resolved against the length.
#[derive(Debug, Clone, Copy)]
enum Spec {
    /// `first-last` or `first-` (last = None).
    Int { first: u64, last: Option<u64> },
    /// `-n`: the final n bytes.
    Suffix(u64),
}

/// Parses a `Range` header value against a representation of `len` bytes.
///
/// Pure. Invalid syntax anywhere in the header makes the whole header ignored
/// (RFC 9110 section 14.2 lets a server ignore an invalid ranges-specifier; nginx
/// answers 416 instead). Empty list elements are skipped as section 5.6.1.2 requires.
/// Spaces and tabs around numbers, dashes and commas are tolerated, as nginx does.
/// Numbers too large for u64 saturate, which turns them into "past the end".
pub fn parse_range(header: &str, len: u64) -> RangeOutcome {
    let Some(specs) = parse_specs(header) else {
        return RangeOutcome::Ignore;
    };
    if len == 0 {
        // Section 14.1.1: on an empty representation only a non-zero suffix is
        // satisfiable, yet no 206 can describe zero bytes, so such a request gets the
        // whole (empty) representation, as nginx does; anything else is a 416.
        let suffix = specs.iter().any(|s| matches!(s, Spec::Suffix(n) if *n > 0));
        return if suffix {
            RangeOutcome::Ignore
        } else {
            RangeOutcome::Unsatisfiable
        };
    }
    let resolved: Vec<ByteRange> = specs.iter().filter_map(|s| resolve(*s, len)).collect();
    if resolved.is_empty() {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Ranges(coalesce(&resolved))
}

/// Splits `bytes=<range-set>` into specs; None when the header is not a valid
/// bytes ranges-specifier.
fn parse_specs(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.trim_matches(is_ows).split_once('=')?;
    // Range units are case-insensitive (section 14.1); no whitespace around '='.
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for element in set.split(',') {
        let element = element.trim_matches(is_ows);
        if element.is_empty() {
            continue;
        }
        specs.push(parse_spec(element)?);
    }
    if specs.is_empty() {
        return None;
    }
    Some(specs)
}

fn parse_spec(element: &str) -> Option<Spec> {
    if let Some(rest) = element.strip_prefix('-') {
        return Some(Spec::Suffix(parse_digits(rest.trim_start_matches(is_ows))?));
    }
    let (first, last) = element.split_once('-')?;
    let first = parse_digits(first.trim_end_matches(is_ows))?;
    let last = last.trim_start_matches(is_ows);
    if last.is_empty() {
        return Some(Spec::Int { first, last: None });
    }
    let last = parse_digits(last)?;
    // Section 14.1.1: a last-pos below first-pos makes the range-spec invalid.
    if last < first {
        return None;
    }
    Some(Spec::Int {
        first,
        last: Some(last),
    })
}

/// `1*DIGIT`, saturating at u64::MAX rather than failing: a huge first-pos is still
/// a valid (unsatisfiable) position and a huge last-pos means "to the end".
fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Clips a spec to `len` (> 0); None when it is unsatisfiable.
fn resolve(spec: Spec, len: u64) -> Option<ByteRange> {
    match spec {
        Spec::Int { first, last } if first < len => Some(ByteRange {
            first,
            last: last.map_or(len - 1, |l| l.min(len - 1)),
        }),
        Spec::Int { .. } | Spec::Suffix(0) => None,
        Spec::Suffix(n) => Some(ByteRange {
            first: len.saturating_sub(n),
            last: len - 1,
        }),
    }
}

/// Merges ranges that overlap or lie within [`MERGE_GAP`] of each other, then
/// orders the survivors by where the client first mentioned any of their members:
/// section 15.3.7.2 asks for parts in request order, and a plain request order is
/// kept exactly when nothing needed merging (which is also what nginx sends).
fn coalesce(ranges: &[ByteRange]) -> Vec<ByteRange> {
    let mut by_start: Vec<(ByteRange, usize)> =
        ranges.iter().copied().zip(0..ranges.len()).collect();
    by_start.sort_by_key(|(r, _)| r.first);
    let mut merged: Vec<(ByteRange, usize)> = Vec::with_capacity(by_start.len());
    for (r, order) in by_start {
        match merged.last_mut() {
            Some((m, m_order)) if r.first <= m.last.saturating_add(MERGE_GAP) => {
                m.last = m.last.max(r.last);
                *m_order = (*m_order).min(order);
            }
            _ => merged.push((r, order)),
        }
    }
    merged.sort_by_key(|(_, order)| *order);
    merged.into_iter().map(|(r, _)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    fn ranges(v: &[(u64, u64)]) -> RangeOutcome {
        RangeOutcome::Ranges(v.iter().map(|&(a, b)| r(a, b)).collect())
    }

    #[test]
    fn single_range() {
        assert_eq!(parse_range("bytes=0-499", 10_000), ranges(&[(0, 499)]));
        assert_eq!(parse_range("bytes=500-999", 10_000), ranges(&[(500, 999)]));
    }

    #[test]
    fn suffix_range() {
        assert_eq!(parse_range("bytes=-500", 10_000), ranges(&[(9500, 9999)]));
    }

    #[test]
    fn suffix_larger_than_file_is_whole_file() {
        assert_eq!(parse_range("bytes=-20000", 10_000), ranges(&[(0, 9999)]));
    }

    #[test]
    fn open_ended_range() {
        assert_eq!(parse_range("bytes=9500-", 10_000), ranges(&[(9500, 9999)]));
        assert_eq!(parse_range("bytes=0-", 10_000), ranges(&[(0, 9999)]));
    }

    #[test]
    fn last_pos_past_end_is_clipped() {
        assert_eq!(
            parse_range("bytes=9000-20000", 10_000),
            ranges(&[(9000, 9999)])
        );
    }

    #[test]
    fn start_beyond_end_is_unsatisfiable() {
        assert_eq!(
            parse_range("bytes=10000-", 10_000),
            RangeOutcome::Unsatisfiable
        );
        assert_eq!(
            parse_range("bytes=20000-30000", 10_000),
            RangeOutcome::Unsatisfiable
        );
        assert_eq!(parse_range("bytes=-0", 10_000), RangeOutcome::Unsatisfiable);
    }

    #[test]
    fn mix_of_satisfiable_and_unsatisfiable_keeps_the_satisfiable() {
        assert_eq!(parse_range("bytes=20000-,0-9", 10_000), ranges(&[(0, 9)]));
        assert_eq!(parse_range("bytes=-0,5-9", 10_000), ranges(&[(5, 9)]));
    }

    #[test]
    fn multiple_far_apart_ranges_keep_request_order() {
        assert_eq!(
            parse_range("bytes=5000-5099,0-99,9000-9099", 10_000),
            ranges(&[(5000, 5099), (0, 99), (9000, 9099)])
        );
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merge() {
        assert_eq!(
            parse_range("bytes=0-99,50-149", 10_000),
            ranges(&[(0, 149)])
        );
        assert_eq!(
            parse_range("bytes=0-99,100-199", 10_000),
            ranges(&[(0, 199)])
        );
        // 79-byte gap merges, an 80-byte gap does not.
        assert_eq!(
            parse_range("bytes=0-99,179-199", 10_000),
            ranges(&[(0, 199)])
        );
        assert_eq!(
            parse_range("bytes=0-99,180-199", 10_000),
            ranges(&[(0, 99), (180, 199)])
        );
    }

    #[test]
    fn merged_range_takes_the_earliest_request_position() {
        assert_eq!(
            parse_range("bytes=5000-5099,0-99,5050-5200", 10_000),
            ranges(&[(5000, 5200), (0, 99)])
        );
        assert_eq!(
            parse_range("bytes=9000-9099,0-99,9050-,50-60", 10_000),
            ranges(&[(9000, 9999), (0, 99)])
        );
    }

    #[test]
    fn many_tiny_ranges_collapse() {
        let header = format!(
            "bytes={}",
            (0..1000)
                .map(|i| format!("{}-{}", i * 10, i * 10))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(parse_range(&header, 10_000), ranges(&[(0, 9990)]));
    }

    #[test]
    fn unknown_unit_is_ignored() {
        assert_eq!(parse_range("items=0-1", 10_000), RangeOutcome::Ignore);
        assert_eq!(parse_range("0-1", 10_000), RangeOutcome::Ignore);
    }

    #[test]
    fn unit_is_case_insensitive() {
        assert_eq!(parse_range("Bytes=0-1", 10_000), ranges(&[(0, 1)]));
    }

    #[test]
    fn garbled_headers_are_ignored() {
        for h in [
            "bytes=abc",
            "bytes=",
            "bytes=,",
            "bytes=1-2-3",
            "bytes=5-2",
            "bytes=-",
            "bytes=--5",
            "bytes=0x10-",
            "bytes=+1-2",
            "bytes=1-2,x",
            "bytes =0-1",
            "bytes=0-1;q=1",
        ] {
            assert_eq!(parse_range(h, 10_000), RangeOutcome::Ignore, "{h}");
        }
    }

    #[test]
    fn whitespace_is_tolerated() {
        assert_eq!(
            parse_range("bytes= 0-9 , 100-109 ", 10_000),
            ranges(&[(0, 9), (100, 109)])
        );
        assert_eq!(parse_range("bytes=0 - 9", 10_000), ranges(&[(0, 9)]));
        assert_eq!(parse_range("bytes=\t- 5", 10_000), ranges(&[(9995, 9999)]));
        assert_eq!(parse_range("  bytes=0-9  ", 10_000), ranges(&[(0, 9)]));
    }

    #[test]
    fn empty_list_elements_are_skipped() {
        assert_eq!(parse_range("bytes=,0-9,,", 10_000), ranges(&[(0, 9)]));
    }

    #[test]
    fn huge_numbers_saturate() {
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 10_000),
            RangeOutcome::Unsatisfiable
        );
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999", 10),
            ranges(&[(0, 9)])
        );
        assert_eq!(
            parse_range("bytes=-99999999999999999999999", 10),
            ranges(&[(0, 9)])
        );
    }

    #[test]
    fn empty_representation() {
        assert_eq!(parse_range("bytes=0-", 0), RangeOutcome::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), RangeOutcome::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 0), RangeOutcome::Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), RangeOutcome::Ignore);
        assert_eq!(parse_range("bytes=abc", 0), RangeOutcome::Ignore);
    }

    #[test]
    fn one_byte_file() {
        assert_eq!(parse_range("bytes=0-0", 1), ranges(&[(0, 0)]));
        assert_eq!(parse_range("bytes=-1", 1), ranges(&[(0, 0)]));
        assert_eq!(parse_range("bytes=1-", 1), RangeOutcome::Unsatisfiable);
    }

    #[test]
    fn byte_range_len() {
        assert_eq!(r(0, 0).len(), 1);
        assert_eq!(r(10, 19).len(), 10);
    }
}
