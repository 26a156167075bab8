//! Value types both data models share: numbers, identifiers, language codes and
//! localized strings. Each check returns a `Bad` that the caller numbers.

use super::error::Bad;

/// Parses a 1.2 CMIDecimal or a 2004 real(10,7): optional sign, digits, optional
/// fraction. No exponent, no blanks, no `NaN`: SCOs send plain decimals, and a
/// lenient float parser would let `"1e999"` or `"inf"` through to reports.
pub(super) fn parse_real(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let well_formed = digits(whole) && digits(frac) && !(whole.is_empty() && frac.is_empty());
    if !well_formed {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a 1.2 CMISInteger: optional minus sign and digits.
pub(super) fn parse_int(s: &str) -> Option<i64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() || body.len() > 6 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Length as SCORM counts it: characters, not bytes.
pub(super) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Checks text against a length limit.
pub(super) fn check_len(s: &str, max: usize, what: &str) -> Result<(), Bad> {
    let len = char_len(s);
    if len > max {
        return Err(Bad::limit(format!(
            "{what} is {len} characters; the limit is {max}"
        )));
    }
    Ok(())
}

/// A language code as the 2004 RTE's language_type uses it (RFC 1766 style):
/// a 2-3 letter primary subtag, or `i`/`x`, then subtags of 1-8 letters or digits.
pub(super) fn is_lang_code(s: &str) -> bool {
    if s.len() > 250 {
        return false;
    }
    let mut tags = s.split('-');
    let primary = tags.next().unwrap_or("");
    let primary_ok = primary.bytes().all(|b| b.is_ascii_alphabetic())
        && (matches!(primary.len(), 2 | 3)
            || primary.eq_ignore_ascii_case("i")
            || primary.eq_ignore_ascii_case("x"));
    primary_ok
        && tags.all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Strips an optional leading `{lang=code}` delimiter, checking the code.
pub(super) fn strip_lang(s: &str) -> Result<&str, Bad> {
    match s.strip_prefix("{lang=").and_then(|r| r.split_once('}')) {
        Some((code, rest)) if is_lang_code(code) => Ok(rest),
        Some((code, _)) => Err(Bad::ty(format!("\"{code}\" is not a language code"))),
        None => Ok(s),
    }
}

/// A 2004 short_identifier_type or long_identifier_type: a URI (RFC 3986), so
/// non-empty, without blanks or the characters URIs never carry unescaped. The
/// ADL sample RTE runs `java.net.URI` on it; this is the same test without a
/// URI library, and it refuses the identifiers with spaces real content sometimes sends.
pub(super) fn check_uri_id(s: &str, spm: usize, what: &str) -> Result<(), Bad> {
    if s.is_empty() {
        return Err(Bad::ty(format!("{what} cannot be empty")));
    }
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let bad = c <= b' '
            || c == 0x7f
            || b"\"<>\\^`{|}".contains(&c)
            || (c == b'%'
                && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)));
        if bad {
            return Err(Bad::ty(format!("{what} \"{s}\" is not a URI")));
        }
    }
    if s.matches('#').count() > 1 {
        return Err(Bad::ty(format!("{what} \"{s}\" is not a URI")));
    }
    check_len(s, spm, what)
}

/// A 1.2 CMIIdentifier: no white space or unprintable characters, at most 255.
pub(super) fn check_ident12(s: &str) -> Result<(), Bad> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Bad::ty(format!("\"{s}\" is not a CMIIdentifier")));
    }
    check_len(s, 255, "CMIIdentifier")
}
