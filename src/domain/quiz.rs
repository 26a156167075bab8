//! The native quiz: questions, their right answers and the pass mark, parsed from a quiz
//! TOML file (docs/package-format.md). A parsed [`Quiz`] is valid; the answers it holds stay
//! on the server ([`Quiz::public`] is what a page may show).

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Percent needed to pass when the quiz file does not say.
pub const DEFAULT_PASS_SCORE: f64 = 60.0;
const MAX_QUESTIONS: usize = 200;
const MAX_CHOICES: usize = 26;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    /// Percent (0-100) of the points needed to pass.
    pub pass_score: f64,
    /// Submissions allowed per learner; `None` is unlimited.
    pub max_attempts: Option<u32>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Unique within the quiz; the form field name.
    pub id: String,
    pub text: String,
    pub text_en: Option<String>,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub choices_en: Vec<String>,
    pub points: f64,
    pub answer: Answer,
    /// Package paths of images shown with the question (imported quizzes' question text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// The right answer. Choice numbers are 0-based here (1-based in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Single(usize),
    Multiple(Vec<usize>),
    TrueFalse(bool),
    /// Accepted answers, already normalised with [`normalize_fill`].
    Fill(Vec<String>),
    /// Free text kept for the teacher; never scored by the server, so it counts neither
    /// for nor against the score. Only imported quizzes (IMS CC QTI) have essays.
    Essay,
}

impl Answer {
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Single(_) => "single",
            Answer::Multiple(_) => "multiple",
            Answer::TrueFalse(_) => "true_false",
            Answer::Fill(_) => "fill",
            Answer::Essay => "essay",
        }
    }

    /// Whether the server scores this answer (everything but essays).
    pub fn is_scored(&self) -> bool {
        !matches!(self, Answer::Essay)
    }
}

/// A question as the learner sees it: no answer.
#[derive(Debug, Clone, Serialize)]
pub struct PublicQuestion {
    pub id: String,
    pub kind: &'static str,
    pub text: String,
    pub text_en: Option<String>,
    pub choices: Vec<String>,
    pub choices_en: Vec<String>,
    pub points: f64,
    pub images: Vec<String>,
}

impl Quiz {
    /// Parses a quiz file; problems come back as (1-based line, message).
    pub fn from_toml(text: &str) -> Result<Quiz, Vec<(u32, String)>> {
        let line_of = |offset: usize| 1 + text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() as u32;
        let file: QuizFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(s.start)).unwrap_or(1);
            vec![(line, e.message().split_whitespace().collect::<Vec<_>>().join(" "))]
        })?;
        let mut problems = Vec::new();
        let pass_score = file.pass_score.unwrap_or(DEFAULT_PASS_SCORE);
        if !(0.0..=100.0).contains(&pass_score) {
            problems.push((1, format!("pass_score {pass_score} is not between 0 and 100")));
        }
        if file.questions.is_empty() {
            problems.push((1, "the quiz has no [[questions]]".to_string()));
        }
        if file.questions.len() > MAX_QUESTIONS {
            problems.push((1, format!("the quiz has more than {MAX_QUESTIONS} questions")));
        }
        let mut questions: Vec<Question> = Vec::new();
        for (n, raw) in file.questions.into_iter().enumerate() {
            let line = line_of(raw.kind.span().start);
            match raw.into_question(n) {
                Ok(q) if questions.iter().any(|o| o.id == q.id) => {
                    problems.push((line, format!("question id `{}` is used more than once", q.id)))
                }
                Ok(q) => questions.push(q),
                Err(message) => problems.push((line, message)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Quiz { pass_score, max_attempts: file.max_attempts.filter(|&n| n > 0), questions })
    }

    /// The questions without their answers, for the page.
    pub fn public(&self) -> Vec<PublicQuestion> {
        self.questions
            .iter()
            .map(|q| PublicQuestion {
                id: q.id.clone(),
                kind: q.answer.kind(),
                text: q.text.clone(),
                text_en: q.text_en.clone(),
                choices: q.choices.clone(),
                choices_en: q.choices_en.clone(),
                points: q.points,
                images: q.images.clone(),
            })
            .collect()
    }
}

/// How typed answers are compared: case, spacing and full-width forms (as Chinese input
/// methods type them) do not matter.
pub fn normalize_fill(text: &str) -> String {
    let halfwidth: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect();
    halfwidth.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizFile {
    pass_score: Option<f64>,
    max_attempts: Option<u32>,
    #[serde(default)]
    questions: Vec<QuestionToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionToml {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: String,
    text_en: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
    #[serde(default)]
    choices_en: Vec<String>,
    points: Option<f64>,
    answer: toml::Value,
}

impl QuestionToml {
    fn into_question(self, index: usize) -> Result<Question, String> {
        let id = self.id.map(|s| s.trim().to_string()).unwrap_or_else(|| format!("q{}", index + 1));
        let valid_id = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_id {
            return Err(format!("question id `{id}`: use ASCII letters, digits, '-' and '_'"));
        }
        let at = |msg: String| format!("question `{id}`: {msg}");
        if self.text.trim().is_empty() {
            return Err(at("`text` is empty".into()));
        }
        let points = self.points.unwrap_or(1.0);
        if !(points > 0.0 && points <= 1000.0) {
            return Err(at(format!("points {points} must be above 0 and at most 1000")));
        }
        let kind = self.kind.into_inner();
        let choice_count = self.choices.len();
        let with_choices = matches!(kind.as_str(), "single" | "multiple");
        if with_choices && !(2..=MAX_CHOICES).contains(&choice_count) {
            return Err(at(format!("a `{kind}` question needs 2 to {MAX_CHOICES} `choices`")));
        }
        if !with_choices && choice_count > 0 {
            return Err(at(format!("a `{kind}` question has no `choices`")));
        }
        if !self.choices_en.is_empty() && self.choices_en.len() != choice_count {
            return Err(at("`choices_en` must have as many entries as `choices`".into()));
        }
        let choice = |v: &toml::Value| -> Result<usize, String> {
            match v.as_integer() {
                Some(n) if n >= 1 && (n as usize) <= choice_count => Ok(n as usize - 1),
                _ => Err(at(format!("`answer` must name a choice by its number, 1 to {choice_count}"))),
            }
        };
        let answer = match kind.as_str() {
            "single" => Answer::Single(choice(&self.answer)?),
            "multiple" => {
                let list = self.answer.as_array().ok_or_else(|| at("`answer` must be a list of choice numbers, e.g. [1, 3]".into()))?;
                let mut picked = list.iter().map(choice).collect::<Result<Vec<_>, _>>()?;
                picked.sort_unstable();
                picked.dedup();
                if picked.is_empty() {
                    return Err(at("`answer` lists no choice".into()));
                }
                Answer::Multiple(picked)
            }
            "true_false" => Answer::TrueFalse(self.answer.as_bool().ok_or_else(|| at("`answer` must be true or false".into()))?),
            "fill" => {
                let texts: Vec<String> = match &self.answer {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
                    _ => Vec::new(),
                };
                let accepted: Vec<String> = texts.iter().map(|t| normalize_fill(t)).filter(|t| !t.is_empty()).collect();
                if accepted.is_empty() {
                    return Err(at("`answer` must be the accepted text, or a list of accepted texts".into()));
                }
                Answer::Fill(accepted)
            }
            other => return Err(at(format!("type `{other}` is not one of single, multiple, true_false, fill"))),
        };
        Ok(Question {
            id,
            text: self.text.trim().to_string(),
            text_en: self.text_en.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            choices: self.choices.iter().map(|c| c.trim().to_string()).collect(),
            choices_en: self.choices_en.iter().map(|c| c.trim().to_string()).collect(),
            points,
            answer,
            images: Vec::new(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One question of each kind; also scored in `tracking::quiz`'s tests.
    pub(crate) const SAMPLE: &str = r#"
pass_score = 75
max_attempts = 3

[[questions]]
type = "single"
text = "秧苗几叶时插秧？"
choices = ["1-2 叶", "3-4 叶", "6-7 叶"]
answer = 2

[[questions]]
id = "pests"
type = "multiple"
text = "哪些是水稻害虫？"
choices = ["稻飞虱", "蚯蚓", "二化螟"]
answer = [3, 1]
points = 2

[[questions]]
type = "true_false"
text = "晒田可以控制无效分蘖。"
answer = true

[[questions]]
type = "fill"
text = "水变成水蒸气叫作＿＿。"
answer = ["蒸发", "Evaporation"]
"#;

    #[test]
    fn a_quiz_file_parses_with_defaults() {
        let quiz = Quiz::from_toml(SAMPLE).unwrap();
        assert_eq!((quiz.pass_score, quiz.max_attempts), (75.0, Some(3)));
        let ids: Vec<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["q1", "pests", "q3", "q4"]);
        assert_eq!(quiz.questions[0].answer, Answer::Single(1));
        assert_eq!(quiz.questions[1].answer, Answer::Multiple(vec![0, 2]));
        assert_eq!(quiz.questions[1].points, 2.0);
        assert_eq!(quiz.questions[3].answer, Answer::Fill(vec!["蒸发".into(), "evaporation".into()]));
    }

    #[test]
    fn the_public_view_holds_no_answers() {
        let quiz = Quiz::from_toml(SAMPLE).unwrap();
        let json = serde_json::to_string(&quiz.public()).unwrap();
        assert!(!json.contains("answer") && !json.contains("Evaporation") && !json.contains("蒸发\""), "{json}");
        assert!(json.contains("稻飞虱"));
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let bad = SAMPLE.replace("answer = 2", "answer = 4");
        let errs = Quiz::from_toml(&bad).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, 6, "{errs:?}");
        assert!(errs[0].1.contains("question `q1`") && errs[0].1.contains("1 to 3"), "{errs:?}");
        let errs = Quiz::from_toml(&SAMPLE.replace("\"true_false\"", "\"essay\"")).unwrap_err();
        assert!(errs[0].1.contains("essay"), "{errs:?}");
        let errs = Quiz::from_toml(&SAMPLE.replace("id = \"pests\"", "id = \"q3\"")).unwrap_err();
        assert!(errs[0].1.contains("`q3` is used more than once"), "{errs:?}");
        let errs = Quiz::from_toml("pass_score = 60\n").unwrap_err();
        assert!(errs[0].1.contains("no [[questions]]"));
        let errs = Quiz::from_toml("pass_scor = 60\n").unwrap_err();
        assert!(errs[0].1.contains("pass_scor"), "{errs:?}");
    }

    #[test]
    fn fill_answers_ignore_case_space_and_full_width() {
        assert_eq!(normalize_fill("  Ｅｖａｐｏｒａｔｉｏｎ　"), "evaporation");
        assert_eq!(normalize_fill("蒸  发"), "蒸 发");
    }
}
