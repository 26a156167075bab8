//! SCORM time formats: 1.2 CMITimespan and CMITime, 2004 timeinterval and
//! time(second,10,0). Parsers return `None` on any malformed input and never panic.

/// Seconds in a year and a month when a 2004 timeinterval uses Y or M. ISO 8601
/// leaves them calendar-dependent; these are the ADL sample RTE's constants
/// (365 days, 30.417 days) so totals agree with the reference implementation.
const YEAR_SECS: f64 = 31_536_000.0;
const MONTH_SECS: f64 = 2_628_029.0;

/// Largest total we format, in hundredths of a second: far beyond any real
/// attempt, small enough that the integer arithmetic below cannot overflow.
const MAX_CENTIS: u64 = 1_000_000_000_000_000;

/// Parses a SCORM 1.2 CMITimespan `HHHH:MM:SS.SS` into seconds: hours 2 to 4
/// digits, minutes and seconds exactly 2 digits below 60, an optional fraction of
/// 1 or 2 digits (SCORM 1.2 RTE 3.4.2, CMITimespan).
pub fn parse_timespan(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !(2..=4).contains(&h.len()) || !all_digits(h) {
        return None;
    }
    let minutes = two_digits(m, 59)?;
    let seconds = seconds_field(sec)?;
    Some(h.parse::<f64>().ok()? * 3600.0 + f64::from(minutes) * 60.0 + seconds)
}

/// Formats seconds as a CMITimespan, always with hundredths (`0001:02:03.50`);
/// totals past 9999 hours saturate at the largest value the type can hold.
pub fn format_timespan(secs: f64) -> String {
    let centis = to_centis(secs).min(9999 * 360_000 + 359_999);
    let (h, rest) = (centis / 360_000, centis % 360_000);
    format!(
        "{:04}:{:02}:{:02}.{:02}",
        h,
        rest / 6000,
        rest % 6000 / 100,
        rest % 100
    )
}

/// Checks a SCORM 1.2 CMITime `HH:MM:SS(.SS)`: a time of day on a 24 hour clock.
pub fn is_cmi_time(s: &str) -> bool {
    let mut parts = s.split(':');
    let (Some(h), Some(m), Some(sec), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    two_digits(h, 23).is_some() && two_digits(m, 59).is_some() && seconds_field(sec).is_some()
}

/// Parses a SCORM 2004 timeinterval (second,10,2) into seconds:
/// `P[nY][nM][nD][T[nH][nM][n[.n]S]]` with at least one component, a `T` only when
/// a time component follows, and 1 or 2 fraction digits on seconds only (SCORM 2004
/// 4th ed. RTE 4.1.1.7; the ADL sample RTE's DurationValidator accepts the same set).
pub fn parse_timeinterval(s: &str) -> Option<f64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut parts = 0;
    let mut cursor = date;
    for (unit, secs) in [('Y', YEAR_SECS), ('M', MONTH_SECS), ('D', 86_400.0)] {
        if let Some((n, after)) = take_component(cursor, unit, false) {
            total += n * secs;
            parts += 1;
            cursor = after;
        }
    }
    if !cursor.is_empty() {
        return None;
    }
    if let Some(time) = time {
        let mut cursor = time;
        let before = parts;
        for (unit, secs, frac) in [('H', 3600.0, false), ('M', 60.0, false), ('S', 1.0, true)] {
            if let Some((n, after)) = take_component(cursor, unit, frac) {
                total += n * secs;
                parts += 1;
                cursor = after;
            }
        }
        if !cursor.is_empty() || parts == before {
            return None;
        }
    }
    (parts > 0).then_some(total)
}

/// Formats seconds as a 2004 timeinterval with hours, minutes and seconds
/// (`PT1H2M3.5S`, `PT0H0M0S`), to the hundredth the type carries.
pub fn format_timeinterval(secs: f64) -> String {
    let centis = to_centis(secs);
    let (h, rest) = (centis / 360_000, centis % 360_000);
    let (m, cs) = (rest / 6000, rest % 6000);
    let whole = cs / 100;
    match cs % 100 {
        0 => format!("PT{h}H{m}M{whole}S"),
        f if f % 10 == 0 => format!("PT{h}H{m}M{whole}.{}S", f / 10),
        f => format!("PT{h}H{m}M{whole}.{f:02}S"),
    }
}

/// Checks a SCORM 2004 time(second,10,0) `YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]]`:
/// year 1970-2038, real calendar dates, 1 or 2 fraction digits, and a time zone
/// designator (`Z`, `+hh`, `+hh:mm`) only after the fraction, as the grammar nests
/// it and the ADL sample RTE's DateTimeValidator enforces.
pub fn is_timestamp(s: &str) -> bool {
    timestamp_parts(s).is_some()
}

fn timestamp_parts(s: &str) -> Option<()> {
    let b = s.as_bytes();
    let year = digits_at(b, 0, 4)?;
    if !(1970..=2038).contains(&year) {
        return None;
    }
    let mut i = 4;
    if i == b.len() {
        return Some(());
    }
    expect(b, i, b'-')?;
    let month = digits_at(b, i + 1, 2)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    i += 3;
    if i == b.len() {
        return Some(());
    }
    expect(b, i, b'-')?;
    let day = digits_at(b, i + 1, 2)?;
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    i += 3;
    if i == b.len() {
        return Some(());
    }
    expect(b, i, b'T')?;
    if digits_at(b, i + 1, 2)? > 23 {
        return None;
    }
    i += 3;
    for _ in 0..2 {
        if i == b.len() {
            return Some(());
        }
        expect(b, i, b':')?;
        if digits_at(b, i + 1, 2)? > 59 {
            return None;
        }
        i += 3;
    }
    if i == b.len() {
        return Some(());
    }
    expect(b, i, b'.')?;
    let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&frac) {
        return None;
    }
    i += 1 + frac;
    match b.get(i) {
        None => Some(()),
        Some(b'Z') if i + 1 == b.len() => Some(()),
        Some(b'+' | b'-') => {
            if digits_at(b, i + 1, 2)? > 23 {
                return None;
            }
            match b.len() - (i + 3) {
                0 => Some(()),
                3 if b[i + 3] == b':' && digits_at(b, i + 4, 2)? <= 59 => Some(()),
                _ => None,
            }
        }
        Some(_) => None,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits_at(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    slice.iter().all(u8::is_ascii_digit).then(|| {
        slice
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    })
}

fn expect(b: &[u8], at: usize, c: u8) -> Option<()> {
    (b.get(at) == Some(&c)).then_some(())
}

/// Reads `digits[.digits]unit` from the front of `s` when `s` starts with one.
/// Leaves `s` alone (returns `None`) when the next component has another unit,
/// so optional components can be tried in order.
fn take_component(s: &str, unit: char, fraction: bool) -> Option<(f64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, rest) = s.split_at(end);
    let after = rest.strip_prefix(unit)?;
    let value = match num.split_once('.') {
        None if !num.is_empty() && all_digits(num) => num.parse().ok()?,
        Some((w, f))
            if fraction
                && !w.is_empty()
                && all_digits(w)
                && (1..=2).contains(&f.len())
                && all_digits(f) =>
        {
            num.parse().ok()?
        }
        _ => return None,
    };
    Some((value, after))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn two_digits(s: &str, max: u32) -> Option<u32> {
    if s.len() != 2 || !all_digits(s) {
        return None;
    }
    s.parse().ok().filter(|v| *v <= max)
}

/// `SS` or `SS.S` or `SS.SS`, below 60.
fn seconds_field(s: &str) -> Option<f64> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) if (1..=2).contains(&f.len()) && all_digits(f) => (w, f),
        Some(_) => return None,
        None => (s, ""),
    };
    two_digits(whole, 59)?;
    let text = if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    };
    text.parse().ok()
}

fn to_centis(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        return 0;
    }
    let c = (secs * 100.0).round();
    if c >= MAX_CENTIS as f64 {
        MAX_CENTIS
    } else {
        c as u64
    }
}
