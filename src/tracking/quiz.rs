//! Scoring a native quiz attempt on the server, against answers the browser never saw.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::round2;
use crate::domain::quiz::{normalize_fill, Answer, Quiz};

const MAX_VALUES: usize = 50;
const MAX_VALUE_LEN: usize = 500;
/// An essay is a learner's own writing, kept whole for the teacher up to this many characters.
const MAX_ESSAY_LEN: usize = 20_000;

/// One attempt as stored in its event: what was answered, which questions were right, the
/// percent scored (over the scored questions) and whether it reached the pass mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizOutcome {
    pub score: f64,
    pub passed: bool,
    pub right: Vec<String>,
    pub answers: BTreeMap<String, Vec<String>>,
    /// Essays: answered or not, left for the teacher and outside `score`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
    /// The quiz has essays only: nothing for the server to score, so the submission passes
    /// and carries no score (`score` is 0 and means nothing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unscored: bool,
}

impl QuizOutcome {
    /// The percent scored, for progress and statistics; `None` when nothing was scored.
    pub fn scored(&self) -> Option<f64> {
        (!self.unscored).then_some(self.score)
    }
}

/// Scores form fields (question id, value) pairs: a choice's number (1-based), `true` or
/// `false`, or the typed text. A multiple-choice question is right only with exactly its
/// choices. Fields that name no question are ignored. Essays are kept, not scored: the
/// score is the share of the other questions' points.
pub fn score(quiz: &Quiz, fields: &[(String, String)]) -> QuizOutcome {
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in fields {
        if let Some(q) = quiz.questions.iter().find(|q| &q.id == name) {
            let values = answers.entry(q.id.clone()).or_default();
            let max_len = if q.answer.is_scored() { MAX_VALUE_LEN } else { MAX_ESSAY_LEN };
            if values.len() < MAX_VALUES {
                values.push(value.chars().take(max_len).collect());
            }
        }
    }
    let (mut earned, mut total) = (0.0, 0.0);
    let (mut right, mut pending) = (Vec::new(), Vec::new());
    for q in &quiz.questions {
        if !q.answer.is_scored() {
            pending.push(q.id.clone());
            continue;
        }
        total += q.points;
        let given = answers.get(&q.id).map(Vec::as_slice).unwrap_or(&[]);
        if is_right(&q.answer, given) {
            earned += q.points;
            right.push(q.id.clone());
        }
    }
    if total == 0.0 {
        return QuizOutcome { score: 0.0, passed: true, right, answers, pending, unscored: true };
    }
    let score = round2(earned * 100.0 / total);
    QuizOutcome { score, passed: score >= quiz.pass_score, right, answers, pending, unscored: false }
}

fn is_right(answer: &Answer, given: &[String]) -> bool {
    let choices = || -> Option<Vec<usize>> {
        let mut picked: Vec<usize> = given.iter().map(|v| v.trim().parse::<usize>().ok()?.checked_sub(1)).collect::<Option<_>>()?;
        picked.sort_unstable();
        picked.dedup();
        Some(picked)
    };
    match answer {
        Answer::Single(right) => choices().is_some_and(|c| c == [*right]),
        Answer::Multiple(right) => choices().is_some_and(|c| &c == right),
        Answer::TrueFalse(right) => matches!(given, [v] if v.trim() == right.to_string()),
        Answer::Fill(accepted) => matches!(given, [v] if accepted.contains(&normalize_fill(v))),
        Answer::Essay => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> Quiz {
        Quiz::from_toml(crate::domain::quiz::tests::SAMPLE).unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_question_kind_is_scored() {
        let all = score(&quiz(), &fields(&[("q1", "2"), ("pests", "3"), ("pests", "1"), ("q3", "true"), ("q4", " ＥＶＡＰＯＲＡＴＩＯＮ ")]));
        assert_eq!((all.score, all.passed), (100.0, true));
        assert_eq!(all.right, ["q1", "pests", "q3", "q4"]);
        let some = score(&quiz(), &fields(&[("q1", "2"), ("pests", "1"), ("q3", "false"), ("q4", "蒸发")]));
        assert_eq!(some.right, ["q1", "q4"]);
        assert_eq!((some.score, some.passed), (40.0, false));
    }

    #[test]
    fn missing_extra_and_malformed_answers_score_nothing() {
        let none = score(&quiz(), &[]);
        assert_eq!((none.score, none.right.len()), (0.0, 0));
        let odd = score(&quiz(), &fields(&[("q1", "2"), ("q1", "3"), ("pests", "1"), ("pests", "2"), ("pests", "3"), ("q3", "no"), ("zz", "1")]));
        assert!(odd.right.is_empty(), "{odd:?}");
        assert!(!odd.answers.contains_key("zz"));
    }

    #[test]
    fn essays_are_kept_whole_and_left_out_of_the_score() {
        let mut quiz = quiz();
        quiz.questions.push(crate::domain::quiz::Question {
            id: "essay".into(),
            text: "Why?".into(),
            text_en: None,
            choices: Vec::new(),
            choices_en: Vec::new(),
            points: 10.0,
            answer: Answer::Essay,
            images: Vec::new(),
        });
        let long = "字".repeat(3000);
        let all = score(&quiz, &fields(&[("q1", "2"), ("pests", "3"), ("pests", "1"), ("q3", "true"), ("q4", "蒸发"), ("essay", &long)]));
        assert_eq!((all.score, all.passed), (100.0, true), "the essay's 10 points count neither way");
        assert_eq!(all.pending, ["essay"]);
        assert_eq!(all.answers["essay"], [long.clone()]);
        assert!(!all.right.contains(&"essay".to_string()));
        let json = serde_json::to_string(&all).unwrap();
        assert_eq!(serde_json::from_str::<QuizOutcome>(&json).unwrap(), all);
        let none = score(&quiz, &[]);
        assert_eq!((none.score, none.pending.len(), none.scored()), (0.0, 1, Some(0.0)));
        // Essays only: submitted is passed, with no score to count.
        quiz.questions.retain(|q| q.id == "essay");
        let only = score(&quiz, &fields(&[("essay", "Because.")]));
        assert_eq!((only.passed, only.unscored, only.scored()), (true, true, None));
        let old: QuizOutcome = serde_json::from_str(r#"{"score":50.0,"passed":false,"right":[],"answers":{}}"#).unwrap();
        assert_eq!((old.scored(), old.pending.len()), (Some(50.0), 0), "attempts stored before essays read as before");
    }
}
