//! The rows of a dashboard's tables as HTML, written here rather than in the template: a
//! bureau's page has about 7,000 cells (500 courses, 200 schools), which Tera took 60-90 ms
//! to render on the benchmark machine and a string builder writes in about one.

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::stats::view::Table;
use crate::render::escape_html;

/// A table as the page shows it: its header comes from the template (labels are in the
/// locale files), its rows from [`rows`].
#[derive(Debug, Serialize)]
pub struct HtmlTable {
    pub id: &'static str,
    pub columns: Vec<&'static str>,
    pub empty: bool,
    /// `<tr>` elements, escaped.
    pub rows: String,
}

/// Where a table's names link to: the dashboard's query string (`from=...&to=...`) and range.
pub struct Links<'a> {
    pub query: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

impl HtmlTable {
    pub fn of(table: &Table, links: &Links<'_>) -> HtmlTable {
        HtmlTable { id: table.id, columns: table.columns.clone(), empty: table.rows.is_empty(), rows: rows(table, links) }
    }
}

/// Every row of `table`: one cell per column, `data-col` naming it; names of schools,
/// courses and regions link to their dashboards; nothing shows as a dash.
pub fn rows(table: &Table, links: &Links<'_>) -> String {
    let mut out = String::with_capacity(table.rows.len() * table.columns.len() * 40);
    for row in &table.rows {
        out.push_str("<tr>");
        let id = row.first().map(|id| escape_html(&cell_text(id))).unwrap_or_default();
        for (col, v) in table.columns.iter().zip(row) {
            let text = escape_html(&cell_text(v));
            let _ = write!(out, "<td data-col=\"{col}\">");
            let href = match (*col, table.id) {
                ("name", "schools") => Some(format!("/stats/schools/{id}?{}", escape_html(links.query))),
                ("name", "courses") => Some(format!("/stats/courses/{id}?{}", escape_html(links.query))),
                ("name", "regions") => Some(format!("/stats?region={id}&amp;from={}&amp;to={}", escape_html(links.from), escape_html(links.to))),
                _ => None,
            };
            match href {
                Some(href) => {
                    let _ = write!(out, "<a href=\"{href}\">{text}</a>");
                }
                None => out.push_str(&text),
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out
}

/// A value as the page shows it: numbers as numbers (50.0 as 50), text as is, nothing
/// (null, empty text) as a dash.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Bool(true) => "true".into(),
        _ => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_are_escaped_linked_and_dashed() {
        let table = Table {
            id: "schools",
            columns: vec!["id", "name", "learner_days", "average_score"],
            rows: vec![vec![json!(7), json!("<一中> & \"二\""), json!("<5"), Value::Null], vec![json!(8), json!("B"), json!(12), json!(50.0)]],
        };
        let html = rows(&table, &Links { query: "from=2026-09-01&to=2026-09-30", from: "2026-09-01", to: "2026-09-30" });
        assert_eq!(
            html,
            "<tr><td data-col=\"id\">7</td><td data-col=\"name\"><a href=\"/stats/schools/7?from=2026-09-01&amp;to=2026-09-30\">&lt;一中&gt; &amp; &quot;二&quot;</a></td>\
             <td data-col=\"learner_days\">&lt;5</td><td data-col=\"average_score\">—</td></tr>\n\
             <tr><td data-col=\"id\">8</td><td data-col=\"name\"><a href=\"/stats/schools/8?from=2026-09-01&amp;to=2026-09-30\">B</a></td>\
             <td data-col=\"learner_days\">12</td><td data-col=\"average_score\">50</td></tr>\n"
        );
        let regions = Table { id: "regions", columns: vec!["id", "name"], rows: vec![vec![json!(3), json!("")]] };
        assert_eq!(
            rows(&regions, &Links { query: "", from: "2026-09-01", to: "2026-09-30" }),
            "<tr><td data-col=\"id\">3</td><td data-col=\"name\"><a href=\"/stats?region=3&amp;from=2026-09-01&amp;to=2026-09-30\">—</a></td></tr>\n"
        );
        assert_eq!(cell_text(&json!(12.5)), "12.5");
    }
}
