//! Completion rules: when an item and a course count as done, by what the course declares
//! (docs/package-format.md: `watched_share`, `min_seconds`, `[completion]`).

use serde::{Deserialize, Serialize};

use crate::db::progress::CourseProgressRow;

/// Share of a video or audio that must have been played for it to count as watched.
pub const DEFAULT_WATCHED_SHARE: f64 = 0.9;
/// Seconds a page, document or file lesson must have been on screen to count as seen.
pub const DEFAULT_MIN_SECONDS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    InProgress,
    Completed,
    Passed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Passed => "passed",
            Status::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Status {
        match text {
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            "passed" => Status::Passed,
            "failed" => Status::Failed,
            _ => Status::NotStarted,
        }
    }

    /// Counts towards course completion.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Completed | Status::Passed)
    }
}

/// How one item is completed; what the package did not say takes the defaults above.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemRules {
    /// Known media length from the package; else the longest the player reported is used.
    pub duration_s: Option<f64>,
    pub watched_share: Option<f64>,
    pub min_seconds: Option<u32>,
}

impl ItemRules {
    /// Reads `duration_seconds` and the item's runtime JSON (`watched_share`, `min_seconds`).
    pub fn from_item(duration_seconds: Option<i64>, runtime: &serde_json::Value) -> ItemRules {
        ItemRules {
            duration_s: duration_seconds.filter(|&d| d > 0).map(|d| d as f64),
            watched_share: runtime.get("watched_share").and_then(|v| v.as_f64()),
            min_seconds: runtime.get("min_seconds").and_then(|v| v.as_u64()).map(|v| v as u32),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CourseRule {
    /// Every required item done (every item, where none is marked required).
    AllRequired,
    /// The average best score over the scored items (quizzes) reaches this percent.
    MinScore(f64),
}

/// One lesson of a course version, as the rules see it.
#[derive(Debug, Clone)]
pub struct OutlineItem {
    pub item_id: i64,
    pub key: String,
    pub kind: String,
    pub required: bool,
    pub rules: ItemRules,
}

/// The lessons (no folders) of a course's version and how the course is completed.
#[derive(Debug, Clone)]
pub struct Outline {
    pub course_id: i64,
    pub version_id: i64,
    pub items: Vec<OutlineItem>,
    pub rule: CourseRule,
    /// The course-wide `watched_share`, under any lesson's own.
    pub watched_share: Option<f64>,
}

impl Outline {
    /// `metadata` is the version's metadata JSON (`completion` in the native format).
    pub fn new(course_id: i64, version_id: i64, metadata: &serde_json::Value, items: Vec<OutlineItem>) -> Outline {
        let completion = &metadata["completion"];
        let rule = match (completion["rule"].as_str(), completion["min_score"].as_f64()) {
            (Some("min_score"), Some(score)) => CourseRule::MinScore(score),
            _ => CourseRule::AllRequired,
        };
        let items = items.into_iter().filter(|i| i.kind != "folder").collect();
        Outline { course_id, version_id, items, rule, watched_share: completion["watched_share"].as_f64() }
    }

    pub fn item(&self, key: &str) -> Option<&OutlineItem> {
        self.items.iter().find(|i| i.key == key)
    }

    /// The rules for an item key; keys a newer version dropped get the defaults.
    pub fn rules(&self, key: &str) -> ItemRules {
        let mut rules = self.item(key).map(|i| i.rules.clone()).unwrap_or_default();
        rules.watched_share = rules.watched_share.or(self.watched_share);
        rules
    }
}

/// What course progress is computed from: one learner's derived item rows.
#[derive(Debug, Clone)]
pub struct ItemSummary {
    pub key: String,
    pub status: Status,
    pub score: Option<f64>,
    pub time_spent_ms: i64,
    pub first_access: i64,
    pub last_access: i64,
}

/// Course progress of `user_id` from their item rows. Items of older versions that the
/// outline no longer has add study time but no completion.
pub fn course_row(outline: &Outline, user_id: i64, items: &[ItemSummary]) -> CourseProgressRow {
    let find = |key: &str| items.iter().find(|i| i.key == key);
    let any_required = outline.items.iter().any(|i| i.required);
    let counted: Vec<&OutlineItem> = outline.items.iter().filter(|i| i.required || !any_required).collect();
    let completed = counted.iter().filter(|o| find(&o.key).is_some_and(|i| i.status.is_done())).count() as i64;
    let required = counted.len() as i64;
    let scored: Vec<&OutlineItem> = outline.items.iter().filter(|o| o.kind == "quiz").collect();
    let score = (!scored.is_empty()).then(|| {
        let total: f64 = scored.iter().map(|o| find(&o.key).and_then(|i| i.score).unwrap_or(0.0)).sum();
        round2(total / scored.len() as f64)
    });
    let status = match outline.rule {
        _ if items.is_empty() => Status::NotStarted,
        CourseRule::AllRequired if required > 0 && completed == required => Status::Completed,
        CourseRule::AllRequired => Status::InProgress,
        CourseRule::MinScore(min) if score.unwrap_or(0.0) >= min => Status::Passed,
        CourseRule::MinScore(_) => {
            let all_tried = scored.iter().all(|o| find(&o.key).is_some_and(|i| matches!(i.status, Status::Passed | Status::Failed)));
            if all_tried { Status::Failed } else { Status::InProgress }
        }
    };
    let last = items.iter().max_by(|a, b| (a.last_access, &a.key).cmp(&(b.last_access, &b.key)));
    CourseProgressRow {
        user_id,
        course_id: outline.course_id,
        version_id: outline.version_id,
        status: status.as_str().to_string(),
        score,
        completed_items: completed,
        required_items: required,
        percent: if required > 0 { completed * 100 / required } else { 0 },
        time_spent_ms: items.iter().map(|i| i.time_spent_ms).sum(),
        first_access: items.iter().map(|i| i.first_access).min().unwrap_or(0),
        last_access: last.map_or(0, |i| i.last_access),
        last_item_key: last.map(|i| i.key.clone()),
    }
}

/// Scores are kept to two decimals so that they print and compare the same everywhere.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(rule: CourseRule) -> Outline {
        let item = |key: &str, kind: &str, required: bool| OutlineItem {
            item_id: 0,
            key: key.into(),
            kind: kind.into(),
            required,
            rules: ItemRules::default(),
        };
        Outline {
            course_id: 1,
            version_id: 1,
            items: vec![item("v", "video", true), item("q", "quiz", true), item("extra", "pdf", false)],
            rule,
            watched_share: None,
        }
    }

    fn summary(key: &str, status: Status, score: Option<f64>, at: i64) -> ItemSummary {
        ItemSummary { key: key.into(), status, score, time_spent_ms: 1000, first_access: at, last_access: at }
    }

    #[test]
    fn all_required_items_complete_the_course() {
        let o = outline(CourseRule::AllRequired);
        assert_eq!(course_row(&o, 1, &[]).status, "not_started");
        let half = [summary("v", Status::Completed, None, 5), summary("extra", Status::InProgress, None, 9)];
        let s = course_row(&o, 1, &half);
        assert_eq!((s.status.as_str(), s.completed_items, s.required_items, s.percent), ("in_progress", 1, 2, 50));
        assert_eq!((s.last_item_key.as_deref(), s.time_spent_ms, s.first_access), (Some("extra"), 2000, 5));
        let done = [summary("v", Status::Completed, None, 5), summary("q", Status::Passed, Some(80.0), 6)];
        assert_eq!(course_row(&o, 1, &done).status, "completed");
        let failed = [summary("v", Status::Completed, None, 5), summary("q", Status::Failed, Some(20.0), 6)];
        assert_eq!(course_row(&o, 1, &failed).status, "in_progress");
    }

    #[test]
    fn a_minimum_score_passes_or_fails_the_course() {
        let o = outline(CourseRule::MinScore(70.0));
        let low = [summary("q", Status::Failed, Some(50.0), 1)];
        assert_eq!(course_row(&o, 1, &low).status, "failed");
        assert_eq!(course_row(&o, 1, &low).score, Some(50.0));
        let opened = [summary("q", Status::InProgress, None, 1)];
        assert_eq!(course_row(&o, 1, &opened).status, "in_progress");
        let high = [summary("q", Status::Passed, Some(90.0), 1)];
        assert_eq!(course_row(&o, 1, &high).status, "passed");
    }

    #[test]
    fn completion_metadata_picks_the_rule() {
        let meta = serde_json::json!({"completion": {"rule": "min_score", "min_score": 80.0, "watched_share": 0.5}});
        let o = Outline::new(1, 2, &meta, Vec::new());
        assert_eq!((o.rule, o.watched_share), (CourseRule::MinScore(80.0), Some(0.5)));
        assert_eq!(Outline::new(1, 2, &serde_json::json!({}), Vec::new()).rule, CourseRule::AllRequired);
    }
}
