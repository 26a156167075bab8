//! The calendar usage totals are kept by: a fixed-offset zone, day numbers, weeks (Monday
//! first), months, and a range cut into whole periods. Pure arithmetic, no I/O.

const DAY_MS: i64 = 86_400_000;

/// The time zone whose calendar days totals are kept by. A fixed offset: the default zone,
/// Asia/Shanghai, has had no daylight saving time since 1991, and a fixed offset needs no
/// time zone database (a zone with DST would need one; none is supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    offset_ms: i64,
}

impl Zone {
    /// `Asia/Shanghai` (and the other China zone names), `UTC`, or `+HH:MM` / `-HH:MM`.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let minutes = match text {
            "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Harbin" | "PRC" | "Asia/Hong_Kong" | "Asia/Macau" | "Asia/Taipei" => 480,
            "UTC" | "Etc/UTC" | "Z" => 0,
            _ => parse_offset(text).ok_or_else(|| {
                format!("time zone {text:?} is not supported: use Asia/Shanghai, UTC or a fixed offset like +08:00")
            })?,
        };
        Ok(Zone { offset_ms: minutes * 60_000 })
    }

    /// The day number (days since 1970-01-01 in this zone) of a unix-ms instant.
    pub fn day(self, at_ms: i64) -> i64 {
        (at_ms + self.offset_ms).div_euclid(DAY_MS)
    }

    /// The unix-ms instant a day starts.
    pub fn day_start_ms(self, day: i64) -> i64 {
        day * DAY_MS - self.offset_ms
    }
}

fn parse_offset(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// The Monday of a day's week (1970-01-01 was a Thursday).
pub fn week_start(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// The first day of a day's month.
pub fn month_start(day: i64) -> i64 {
    let (y, m, _) = civil(day);
    days_from_civil(y, m, 1)
}

/// The first day of the month after the one starting on `month`.
pub fn next_month(month: i64) -> i64 {
    month_start(month + 31)
}

/// `from..=to` as spans of whole periods, each `(period, first start, last start)`: whole
/// months (`'m'`), then whole weeks (`'w'`, Monday to Sunday) of the ends left over, then the
/// days (`'d'`) left over from those, so that a year is about 30 periods and 30 days about 10,
/// however it falls on the calendar.
pub fn spans(from: i64, to: i64) -> Vec<(char, i64, i64)> {
    let first = if month_start(from) == from { from } else { next_month(month_start(from)) };
    let mut end = first;
    while next_month(end) - 1 <= to {
        end = next_month(end);
    }
    if end == first {
        return week_spans(from, to);
    }
    let mut out = week_spans(from, first - 1);
    out.push(('m', first, month_start(end - 1)));
    out.extend(week_spans(end, to));
    out
}

/// `from..=to` (possibly empty) as the days before its first Monday, its whole weeks, and
/// the days after them.
fn week_spans(from: i64, to: i64) -> Vec<(char, i64, i64)> {
    let first = if week_start(from) == from { from } else { week_start(from) + 7 };
    let weeks = (to + 1 - first).div_euclid(7);
    if weeks <= 0 {
        return if from <= to { vec![('d', from, to)] } else { Vec::new() };
    }
    let end = first + weeks * 7;
    let mut out = Vec::with_capacity(3);
    if from < first {
        out.push(('d', from, first - 1));
    }
    out.push(('w', first, end - 7));
    if end <= to {
        out.push(('d', end, to));
    }
    out
}

/// Year, month, day of a day number (Howard Hinnant's `civil_from_days`).
pub fn civil(day: i64) -> (i64, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day number of a calendar date (`days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-09-01`.
pub fn date_text(day: i64) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Reads `YYYY-MM-DD`; `None` when it is not a real date.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let day = days_from_civil(y, m, d);
    (civil(day) == (y, m, d)).then_some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_weeks_and_months_follow_the_zone() {
        let zone = Zone::parse("Asia/Shanghai").unwrap();
        // 2026-09-01 00:30 in Shanghai is 2026-08-31 16:30 UTC.
        let at = Zone::parse("UTC").unwrap().day_start_ms(parse_date("2026-08-31").unwrap()) + 16 * 3_600_000 + 1_800_000;
        assert_eq!(date_text(zone.day(at)), "2026-09-01");
        assert_eq!(date_text(Zone::parse("UTC").unwrap().day(at)), "2026-08-31");
        assert_eq!(date_text(week_start(parse_date("2026-09-03").unwrap())), "2026-08-31");
        assert_eq!(date_text(month_start(parse_date("2026-02-28").unwrap())), "2026-02-01");
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(Zone::parse("-05:30").unwrap().offset_ms, -330 * 60_000);
        assert!(Zone::parse("Europe/Berlin").is_err());
        assert_eq!(zone.day(zone.day_start_ms(20_000)), 20_000);
    }

    #[test]
    fn ranges_split_into_whole_months_weeks_and_ragged_ends() {
        let d = |s: &str| parse_date(s).unwrap();
        // 2026-01-12 and 2026-11-02 are Mondays.
        assert_eq!(
            spans(d("2026-01-10"), d("2026-01-31")),
            vec![('d', d("2026-01-10"), d("2026-01-11")), ('w', d("2026-01-12"), d("2026-01-19")), ('d', d("2026-01-26"), d("2026-01-31"))]
        );
        assert_eq!(spans(d("2026-01-13"), d("2026-01-18")), vec![('d', d("2026-01-13"), d("2026-01-18"))]);
        assert_eq!(spans(d("2026-01-12"), d("2026-01-18")), vec![('w', d("2026-01-12"), d("2026-01-12"))]);
        assert_eq!(spans(d("2026-01-01"), d("2026-01-31")), vec![('m', d("2026-01-01"), d("2026-01-01"))]);
        assert_eq!(
            spans(d("2025-11-28"), d("2026-11-27")),
            vec![
                ('d', d("2025-11-28"), d("2025-11-30")),
                ('m', d("2025-12-01"), d("2026-10-01")),
                ('d', d("2026-11-01"), d("2026-11-01")),
                ('w', d("2026-11-02"), d("2026-11-16")),
                ('d', d("2026-11-23"), d("2026-11-27")),
            ]
        );
        assert_eq!(next_month(d("2024-02-01")), d("2024-03-01"));
    }

    #[test]
    fn spans_cover_every_day_of_a_range_once() {
        let d = |s: &str| parse_date(s).unwrap();
        let base = d("2025-12-20");
        for from in base..base + 40 {
            for to in from..from + 400 {
                let mut covered = Vec::new();
                for (period, first, last) in spans(from, to) {
                    let mut start = first;
                    while start <= last {
                        let next = match period {
                            'd' => start + 1,
                            'w' => {
                                assert_eq!(week_start(start), start);
                                start + 7
                            }
                            _ => {
                                assert_eq!(month_start(start), start);
                                next_month(start)
                            }
                        };
                        covered.extend(start..next);
                        start = next;
                    }
                }
                assert_eq!(covered, (from..=to).collect::<Vec<_>>(), "{from}..={to}");
                assert!(spans(from, to).len() <= 7);
            }
        }
    }
}
