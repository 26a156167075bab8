//! A teacher's view of a course's learners: one row per learner, one cell per lesson, and
//! the same as CSV (one line per learner and lesson) for spreadsheets.

use std::collections::HashMap;

use serde::Serialize;

use crate::db::progress::{CourseProgressRow, ItemProgressRow};
use crate::db::progress_read::LearnerRow;
use crate::spreadsheet;

/// A lesson column.
#[derive(Debug, Clone, Serialize)]
pub struct ReportItem {
    pub key: String,
    pub title: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub status: String,
    pub score: Option<f64>,
    /// Course cells: percent of the required lessons done; lesson cells: share watched.
    pub percent: Option<i64>,
    pub time_spent_ms: i64,
    pub minutes: i64,
    pub attempts: i64,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub last_access: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReportRow {
    pub learner: LearnerRow,
    pub course: Cell,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
pub struct ClassReport {
    pub items: Vec<ReportItem>,
    pub rows: Vec<ReportRow>,
}

impl ClassReport {
    pub fn new(items: Vec<ReportItem>, learners: Vec<LearnerRow>, item_rows: Vec<ItemProgressRow>, course_rows: Vec<CourseProgressRow>) -> ClassReport {
        let by_item: HashMap<(i64, &str), &ItemProgressRow> = item_rows.iter().map(|r| ((r.user_id, r.item_key.as_str()), r)).collect();
        let by_course: HashMap<i64, &CourseProgressRow> = course_rows.iter().map(|r| (r.user_id, r)).collect();
        let rows = learners
            .into_iter()
            .map(|learner| ReportRow {
                course: course_cell(by_course.get(&learner.id).copied()),
                cells: items.iter().map(|i| item_cell(by_item.get(&(learner.id, i.key.as_str())).copied())).collect(),
                learner,
            })
            .collect();
        ClassReport { items, rows }
    }

    /// UTF-8 with a byte-order mark, which spreadsheet programs on Chinese Windows need to
    /// read the names right. Lines: one per learner for the course, then one per lesson.
    pub fn to_csv(&self, course_title: &str) -> String {
        let mut out = String::from(spreadsheet::BOM);
        out.push_str(&spreadsheet::line([
            "username", "name", "lesson_id", "lesson", "kind", "status", "score", "percent", "time_spent_seconds", "attempts",
            "last_access_utc",
        ]));
        for row in &self.rows {
            let mut line = |key: &str, title: &str, kind: &str, cell: &Cell| {
                let fields = [
                    row.learner.username.clone(),
                    row.learner.display_name.clone(),
                    key.to_string(),
                    title.to_string(),
                    kind.to_string(),
                    cell.status.clone(),
                    cell.score.map(|s| s.to_string()).unwrap_or_default(),
                    cell.percent.map(|p| p.to_string()).unwrap_or_default(),
                    (cell.time_spent_ms / 1000).to_string(),
                    cell.attempts.to_string(),
                    cell.last_access.clone().unwrap_or_default(),
                ];
                out.push_str(&spreadsheet::line(&fields));
            };
            line("", course_title, "course", &row.course);
            for (item, cell) in self.items.iter().zip(&row.cells) {
                line(&item.key, &item.title, &item.kind, cell);
            }
        }
        out
    }
}

fn course_cell(row: Option<&CourseProgressRow>) -> Cell {
    Cell {
        status: row.map_or("not_started".into(), |r| r.status.clone()),
        score: row.and_then(|r| r.score),
        percent: Some(row.map_or(0, |r| r.percent)),
        time_spent_ms: row.map_or(0, |r| r.time_spent_ms),
        minutes: row.map_or(0, |r| minutes(r.time_spent_ms)),
        attempts: 0,
        last_access: row.map(|r| format_utc(r.last_access)),
    }
}

fn item_cell(row: Option<&ItemProgressRow>) -> Cell {
    Cell {
        status: row.map_or("not_started".into(), |r| r.status.clone()),
        score: row.and_then(|r| r.score),
        percent: row.and_then(|r| r.watched_share).map(|s| (s * 100.0).floor() as i64),
        time_spent_ms: row.map_or(0, |r| r.time_spent_ms),
        minutes: row.map_or(0, |r| minutes(r.time_spent_ms)),
        attempts: row.map_or(0, |r| r.attempts),
        last_access: row.map(|r| format_utc(r.last_access)),
    }
}

/// Whole minutes, rounded up: a learner who studied 20 s has studied, not "0 min".
pub fn minutes(ms: i64) -> i64 {
    (ms + 59_999) / 60_000
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in UTC.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = crate::domain::calendar::civil(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00");
        assert_eq!(format_utc(1_700_000_000_000), "2023-11-14 22:13");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00");
    }

    #[test]
    fn a_learner_without_progress_gets_a_row_of_not_started() {
        let items = vec![ReportItem { key: "v".into(), title: "视频".into(), kind: "video".into() }];
        let learners = vec![LearnerRow { id: 1, username: "s1".into(), display_name: "学生一".into() }];
        let report = ClassReport::new(items, learners, Vec::new(), Vec::new());
        assert_eq!(report.rows[0].cells[0].status, "not_started");
        let csv = report.to_csv("水稻");
        assert!(csv.starts_with("\u{feff}username,"), "{csv}");
        assert!(csv.contains("s1,学生一,,水稻,course,not_started,,0,0,0,\r\n"), "{csv}");
        assert!(csv.contains("s1,学生一,v,视频,video,not_started,,,0,0,\r\n"), "{csv}");
    }
}
