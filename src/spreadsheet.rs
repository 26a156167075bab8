//! CSV files that people open in spreadsheets (initial passwords, class progress,
//! statistics): one writer for all of them. Quoting is the csv crate's (RFC 4180), and a
//! cell that a spreadsheet would run as a formula is neutralised by the OWASP rule: a
//! leading `'` before `=`, `+`, `-`, `@`, tab or carriage return. Names and titles are
//! typed by users (a learner can call themselves `=HYPERLINK(...)`), so every cell goes
//! through here.

use std::borrow::Cow;

/// Written first: spreadsheet programs on Chinese Windows need it to read UTF-8 names right.
pub const BOM: &str = "\u{feff}";

/// `text` as a spreadsheet shows it, never as a formula it runs.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One record, neutralised and quoted where needed, ending in CRLF (as spreadsheets write).
pub fn line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let cells: Vec<String> = cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()).collect();
    // Writing to memory cannot fail, and every cell is UTF-8 on the way in and out.
    writer.write_record(&cells).expect("CSV to memory");
    String::from_utf8(writer.into_inner().expect("CSV to memory")).expect("UTF-8 in, UTF-8 out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(line(["王小明", "a,b", "say \"hi\""]), "王小明,\"a,b\",\"say \"\"hi\"\"\"\r\n");
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        assert_eq!(line(["=HYPERLINK(\"x\")", "", "ok"]), "\"'=HYPERLINK(\"\"x\"\")\",,ok\r\n");
        assert_eq!(line(["two\nlines"]), "\"two\nlines\"\r\n");
    }

    #[test]
    fn lines_read_back_as_the_same_columns() {
        let cells = ["li4", "Li, \"Four\"", "=cmd|' /C calc'!A0", "7班"];
        let text = line(cells);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.iter().collect::<Vec<_>>(), ["li4", "Li, \"Four\"", "'=cmd|' /C calc'!A0", "7班"]);
    }
}
