//! Conditional request evaluation (RFC 9110 section 13): If-Match, If-None-Match,
//! If-Modified-Since, If-Unmodified-Since and If-Range, plus HTTP-date handling.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderMap, HeaderName, HttpDate};

/// Result of the precondition steps 1-4 of RFC 9110 section 13.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on to Range handling and send the representation.
    Proceed,
    /// 304 Not Modified (only ever for GET and HEAD).
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// The conditional request headers of one request, as raw field values.
/// A field sent on several lines is joined with ", " as section 5.3 allows; for the
/// date fields that yields an invalid date, which the RFC says to ignore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub if_unmodified_since: Option<String>,
    pub if_range: Option<String>,
}

impl Conditions {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Conditions {
            if_match: joined(headers, &header::IF_MATCH),
            if_none_match: joined(headers, &header::IF_NONE_MATCH),
            if_modified_since: joined(headers, &header::IF_MODIFIED_SINCE),
            if_unmodified_since: joined(headers, &header::IF_UNMODIFIED_SINCE),
            if_range: joined(headers, &header::IF_RANGE),
        }
    }

    /// True when a validator other than If-None-Match/If-Modified-Since is present;
    /// nginx would judge those against its own validators, so X-Accel-Redirect
    /// mode serves such requests itself.
    pub fn needs_own_validators(&self) -> bool {
        self.if_match.is_some() || self.if_unmodified_since.is_some() || self.if_range.is_some()
    }
}

/// Non-UTF-8 values become an empty string: they can never match or parse, which
/// is the safe reading for every one of these fields.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

/// Runs steps 1-4 of RFC 9110 section 13.2.2 in order.
///
/// `etag` is our strong entity-tag including quotes; `last_modified` is in whole
/// seconds since the epoch, the resolution of HTTP-date.
pub fn evaluate(c: &Conditions, get_or_head: bool, etag: &str, last_modified: u64) -> Precondition {
    if let Some(list) = &c.if_match {
        if !(is_star(list) || list_matches(list, etag, Comparison::Strong)) {
            return Precondition::Failed;
        }
    } else if let Some(date) = c.if_unmodified_since.as_deref().and_then(parse_http_date) {
        // Section 13.1.4: IUS only counts when If-Match is absent.
        if last_modified > date {
            return Precondition::Failed;
        }
    }
    if let Some(list) = &c.if_none_match {
        if is_star(list) || list_matches(list, etag, Comparison::Weak) {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head {
        // Section 13.1.3: IMS only counts when If-None-Match is absent.
        if let Some(date) = c.if_modified_since.as_deref().and_then(parse_http_date) {
            if last_modified <= date {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

/// Step 5 of section 13.2.2: does If-Range let the Range header apply?
///
/// An entity-tag must match strongly (a weak one never does); a date must equal
/// Last-Modified exactly. Anything unparseable is false, so the client gets the
/// whole representation, which is always safe.
pub fn if_range_holds(value: &str, etag: &str, last_modified: u64) -> bool {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if value.starts_with('"') || value.starts_with("W/") {
        return match parse_entity_tag(value) {
            Some((tag, rest)) if rest.trim().is_empty() => strong_eq(tag, etag),
            _ => false,
        };
    }
    parse_http_date(value) == Some(last_modified)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Strong,
    Weak,
}

fn is_star(list: &str) -> bool {
    list.trim() == "*"
}

/// True when any entity-tag in the comma-separated `list` matches `ours`.
/// Malformed members are skipped up to the next comma rather than failing the
/// whole field, so one bad member cannot turn a match into a mismatch.
fn list_matches(list: &str, ours: &str, cmp: Comparison) -> bool {
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        match parse_entity_tag(rest) {
            Some((tag, tail)) => {
                let hit = match cmp {
                    Comparison::Strong => strong_eq(tag, ours),
                    Comparison::Weak => weak_eq(tag, ours),
                };
                if hit {
                    return true;
                }
                rest = tail;
            }
            None => rest = rest.split_once(',').map_or("", |(_, tail)| tail),
        }
    }
}

/// Parses one `entity-tag` at the start of `s`; returns it and the remainder.
fn parse_entity_tag(s: &str) -> Option<(&str, &str)> {
    let opaque_start = if s.starts_with("W/") { 2 } else { 0 };
    let after = s.get(opaque_start..)?.strip_prefix('"')?;
    let close = after.find('"')?;
    let end = opaque_start + 1 + close + 1;
    Some((&s[..end], &s[end..]))
}

/// Section 8.8.3.2: strong comparison needs both tags strong and identical.
fn strong_eq(theirs: &str, ours: &str) -> bool {
    !theirs.starts_with("W/") && !ours.starts_with("W/") && theirs == ours
}

/// Section 8.8.3.2: weak comparison ignores the weakness indicator.
fn weak_eq(theirs: &str, ours: &str) -> bool {
    theirs.trim_start_matches("W/") == ours.trim_start_matches("W/")
}

/// Parses any of the three HTTP-date forms (section 5.6.7) to unix seconds.
pub fn parse_http_date(value: &str) -> Option<u64> {
    let date: HttpDate = value.trim().parse().ok()?;
    Some(unix_secs(SystemTime::from(date)))
}

/// Formats unix seconds as an IMF-fixdate.
pub fn format_http_date(secs: u64) -> String {
    HttpDate::from(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// Whole seconds since the epoch; times before it clamp to 0.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";
    // Sun, 06 Nov 1994 08:49:37 GMT
    const LM: u64 = 784_111_777;
    const LM_STR: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const EARLIER: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const LATER: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn eval(c: Conditions) -> Precondition {
        evaluate(&c, true, TAG, LM)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn dates_round_trip_in_all_three_formats() {
        assert_eq!(parse_http_date(LM_STR), Some(LM));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(LM));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(LM));
        assert_eq!(format_http_date(LM), LM_STR);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn no_conditions_proceed() {
        assert_eq!(eval(Conditions::default()), Precondition::Proceed);
    }

    #[test]
    fn if_match() {
        let c = |v: &str| Conditions {
            if_match: s(v),
            ..Default::default()
        };
        assert_eq!(eval(c("\"abc\"")), Precondition::Proceed);
        assert_eq!(eval(c("\"x\", \"abc\"")), Precondition::Proceed);
        assert_eq!(eval(c("*")), Precondition::Proceed);
        assert_eq!(eval(c("\"x\"")), Precondition::Failed);
        // Strong comparison: a weak tag never matches.
        assert_eq!(eval(c("W/\"abc\"")), Precondition::Failed);
        assert_eq!(eval(c("garbage")), Precondition::Failed);
        assert_eq!(eval(c("garbage, \"abc\"")), Precondition::Proceed);
    }

    #[test]
    fn if_unmodified_since() {
        let c = |v: &str| Conditions {
            if_unmodified_since: s(v),
            ..Default::default()
        };
        assert_eq!(eval(c(LM_STR)), Precondition::Proceed);
        assert_eq!(eval(c(LATER)), Precondition::Proceed);
        assert_eq!(eval(c(EARLIER)), Precondition::Failed);
        // Invalid dates are ignored (section 13.1.4).
        assert_eq!(eval(c("not a date")), Precondition::Proceed);
    }

    #[test]
    fn if_match_takes_precedence_over_if_unmodified_since() {
        let c = Conditions {
            if_match: s(TAG),
            if_unmodified_since: s(EARLIER),
            ..Default::default()
        };
        assert_eq!(eval(c), Precondition::Proceed);
    }

    #[test]
    fn if_none_match() {
        let c = |v: &str| Conditions {
            if_none_match: s(v),
            ..Default::default()
        };
        assert_eq!(eval(c("\"abc\"")), Precondition::NotModified);
        // Weak comparison: W/ is ignored.
        assert_eq!(eval(c("W/\"abc\"")), Precondition::NotModified);
        assert_eq!(eval(c("\"x\",W/\"abc\"")), Precondition::NotModified);
        assert_eq!(eval(c("*")), Precondition::NotModified);
        assert_eq!(eval(c("\"x\"")), Precondition::Proceed);
        assert_eq!(eval(c("abc")), Precondition::Proceed);
    }

    #[test]
    fn if_none_match_on_other_methods_fails() {
        let c = Conditions {
            if_none_match: s("*"),
            ..Default::default()
        };
        assert_eq!(evaluate(&c, false, TAG, LM), Precondition::Failed);
    }

    #[test]
    fn if_modified_since() {
        let c = |v: &str| Conditions {
            if_modified_since: s(v),
            ..Default::default()
        };
        assert_eq!(eval(c(LM_STR)), Precondition::NotModified);
        assert_eq!(eval(c(LATER)), Precondition::NotModified);
        assert_eq!(eval(c(EARLIER)), Precondition::Proceed);
        assert_eq!(eval(c("garbage")), Precondition::Proceed);
        assert_eq!(
            eval(c(&format!("{LM_STR}, {LM_STR}"))),
            Precondition::Proceed
        );
        // Ignored for methods other than GET and HEAD.
        assert_eq!(evaluate(&c(LM_STR), false, TAG, LM), Precondition::Proceed);
    }

    #[test]
    fn if_none_match_overrides_if_modified_since() {
        let c = Conditions {
            if_none_match: s("\"other\""),
            if_modified_since: s(LATER),
            ..Default::default()
        };
        assert_eq!(eval(c), Precondition::Proceed);
        let c = Conditions {
            if_none_match: s(TAG),
            if_modified_since: s(EARLIER),
            ..Default::default()
        };
        assert_eq!(eval(c), Precondition::NotModified);
    }

    #[test]
    fn if_match_failure_wins_over_if_none_match() {
        let c = Conditions {
            if_match: s("\"x\""),
            if_none_match: s(TAG),
            ..Default::default()
        };
        assert_eq!(eval(c), Precondition::Failed);
    }

    #[test]
    fn if_range() {
        assert!(if_range_holds(TAG, TAG, LM));
        assert!(if_range_holds(" \"abc\" ", TAG, LM));
        assert!(!if_range_holds("\"x\"", TAG, LM));
        assert!(!if_range_holds("W/\"abc\"", TAG, LM));
        assert!(!if_range_holds("\"abc\", \"abc\"", TAG, LM));
        assert!(if_range_holds(LM_STR, TAG, LM));
        assert!(!if_range_holds(LATER, TAG, LM));
        assert!(!if_range_holds(EARLIER, TAG, LM));
        assert!(!if_range_holds("garbage", TAG, LM));
        assert!(!if_range_holds("", TAG, LM));
    }

    #[test]
    fn entity_tag_parsing() {
        assert_eq!(parse_entity_tag("\"a\", x"), Some(("\"a\"", ", x")));
        assert_eq!(parse_entity_tag("W/\"a\""), Some(("W/\"a\"", "")));
        assert_eq!(parse_entity_tag("\"a"), None);
        assert_eq!(parse_entity_tag("w/\"a\""), None);
    }

    #[test]
    fn from_headers_joins_repeated_fields() {
        let mut h = HeaderMap::new();
        h.append(header::IF_NONE_MATCH, "\"a\"".parse().unwrap());
        h.append(header::IF_NONE_MATCH, "\"b\"".parse().unwrap());
        let c = Conditions::from_headers(&h);
        assert_eq!(c.if_none_match.as_deref(), Some("\"a\", \"b\""));
        assert!(!c.needs_own_validators());
    }
}
