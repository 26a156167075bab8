//! Time formats: valid and invalid tables, arithmetic and formatting.

use super::super::time::{
    format_timeinterval, format_timespan, is_cmi_time, is_timestamp, parse_timeinterval,
    parse_timespan,
};

#[test]
fn timespan_valid_forms() {
    let cases = [
        ("00:00:00", 0.0),
        ("01:02:03", 3723.0),
        ("0001:02:03.5", 3723.5),
        ("9999:59:59.99", 9999.0 * 3600.0 + 3599.99),
        ("123:00:00", 123.0 * 3600.0),
        ("00:00:07.25", 7.25),
    ];
    for (s, secs) in cases {
        let got = parse_timespan(s).unwrap_or_else(|| panic!("{s} should parse"));
        assert!((got - secs).abs() < 1e-6, "{s}: {got} != {secs}");
    }
}

#[test]
fn timespan_invalid_forms() {
    for s in [
        "",
        "0:00:00",
        "00000:00:00",
        "00:60:00",
        "00:00:60",
        "00:0:00",
        "00:00:0",
        "00:00:00.",
        "00:00:00.123",
        "00:00",
        "00:00:00:00",
        "-01:00:00",
        "aa:bb:cc",
        "PT1H",
        "01:00:00 ",
        " 01:00:00",
        "01:00:00.5.5",
        "١٢:00:00",
    ] {
        assert!(parse_timespan(s).is_none(), "{s:?} should be refused");
    }
}

#[test]
fn cmi_time_table() {
    for s in ["00:00:00", "23:59:59", "12:30:00.5", "12:30:00.55"] {
        assert!(is_cmi_time(s), "{s} should be a CMITime");
    }
    for s in [
        "24:00:00",
        "12:60:00",
        "12:00:60",
        "1:00:00",
        "12:00",
        "12:00:00.555",
        "",
        "12:00:00Z",
    ] {
        assert!(!is_cmi_time(s), "{s:?} should not be a CMITime");
    }
}

#[test]
fn timeinterval_valid_forms() {
    let cases = [
        ("PT1H30M", 5400.0),
        ("P1DT0.5S", 86400.5),
        ("PT0S", 0.0),
        ("P0Y0M0DT0H0M12.34S", 12.34),
        ("PT1H2M3.5S", 3723.5),
        ("P1D", 86400.0),
        ("PT10M", 600.0),
        ("P1Y", 31_536_000.0),
        ("P1M", 2_628_029.0),
        ("PT100S", 100.0),
        ("P2DT3H", 2.0 * 86400.0 + 3.0 * 3600.0),
        ("PT0H0M0S", 0.0),
    ];
    for (s, secs) in cases {
        let got = parse_timeinterval(s).unwrap_or_else(|| panic!("{s} should parse"));
        assert!((got - secs).abs() < 1e-6, "{s}: {got} != {secs}");
    }
}

#[test]
fn timeinterval_invalid_forms() {
    for s in [
        "",
        "P",
        "PT",
        "1H",
        "PT50S.21S",
        "P1DT",
        "T1H",
        "PT1.5H",
        "P1.5D",
        "PT.5S",
        "PT1.S",
        "PT1.234S",
        "PT1H1H",
        "P1D1Y",
        "PT1S1M",
        "-PT1S",
        "pt1s",
        "PT1s",
        "P1W",
        "PT 1S",
        "PT1S ",
        "PTS",
        "PT1HM",
        "P1DT1H2M3S4",
        "PT-1S",
        "P+1D",
        "PT1,5S",
        "PT1HT2M",
    ] {
        assert!(parse_timeinterval(s).is_none(), "{s:?} should be refused");
    }
}

#[test]
fn timeinterval_never_panics_on_odd_input() {
    let long = format!("PT{}S", "9".repeat(400));
    assert!(parse_timeinterval(&long).is_some());
    assert!(format_timeinterval(f64::INFINITY).starts_with("PT"));
    for s in [
        "P\u{0}",
        "PT\u{fffd}S",
        "P𝟙D",
        "PTTTT",
        "P.",
        "PT..S",
        "P9999999999999999999999D",
    ] {
        let _ = parse_timeinterval(s);
        let _ = parse_timespan(s);
    }
}

#[test]
fn formats_round_trip() {
    assert_eq!(format_timeinterval(3723.5), "PT1H2M3.5S");
    assert_eq!(format_timeinterval(0.0), "PT0H0M0S");
    assert_eq!(format_timeinterval(12.34), "PT0H0M12.34S");
    assert_eq!(format_timeinterval(90061.0), "PT25H1M1S");
    assert_eq!(format_timeinterval(0.05), "PT0H0M0.05S");
    assert_eq!(format_timeinterval(-5.0), "PT0H0M0S");
    assert_eq!(format_timespan(3723.5), "0001:02:03.50");
    assert_eq!(format_timespan(0.0), "0000:00:00.00");
    assert_eq!(format_timespan(1e12), "9999:59:59.99");
    for secs in [0.0, 1.0, 59.99, 3600.0, 86399.5, 123456.78] {
        let a = parse_timeinterval(&format_timeinterval(secs)).unwrap();
        let b = parse_timespan(&format_timespan(secs)).unwrap();
        assert!(
            (a - secs).abs() < 0.006 && (b - secs).abs() < 0.006,
            "{secs}"
        );
    }
}

#[test]
fn timestamp_table() {
    for s in [
        "2004",
        "2004-07",
        "2004-07-25",
        "2004-07-25T03",
        "2004-07-25T03:00",
        "2004-07-25T03:00:00",
        "2004-07-25T03:00:00.5",
        "2004-07-25T03:00:00.25Z",
        "2004-07-25T03:00:00.2+05",
        "2004-07-25T03:00:00.2-05:30",
        "2000-02-29T00:00:00",
        "1970-01-01",
        "2038-12-31",
    ] {
        assert!(is_timestamp(s), "{s} should be a time");
    }
    for s in [
        "",
        "200",
        "1969-12-31",
        "2039-01-01",
        "2004-13-01",
        "2004-00-01",
        "2004-02-30",
        "2001-02-29",
        "2004-07-25T24:00",
        "2004-07-25T03:60",
        "2004-07-25T03:00:60",
        "2004-07-25T03:00:00Z",
        "2004-07-25T03:00:00.123",
        "2004-07-25 03:00:00",
        "2004-7-25",
        "2004-07-25T",
        "2004-07-25T03:00:00.5Q",
        "2004-07-25T03:00:00.5+5",
        "2004-07-25T03:00:00.5+05:3",
        "2004-07-25T03:00:00.5ZZ",
        "20O4",
        "2024-01-01T10:00:00.000Z",
    ] {
        assert!(!is_timestamp(s), "{s:?} should not be a time");
    }
}
