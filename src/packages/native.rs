//! The server's own format: a `course.toml` beside the lesson files.
//!
//! ```toml
//! format = 1
//! slug = "math-3-fractions"
//! title = "分数的初步认识"
//! title_en = "Fractions"
//! [[lessons]]
//! id = "l1"
//! title = "认识几分之一"
//! kind = "video"            # video|audio|pdf|html|image|file|quiz; default from the file extension
//! file = "videos/l1.mp4"
//! duration_seconds = 300
//! captions = [{ file = "videos/l1.zh-CN.vtt", lang = "zh-CN", label = "中文" }]
//! required = true           # default
//! watched_share = 0.9       # video/audio: share that must be played to complete it
//! min_seconds = 10          # other kinds: seconds the page must be seen to complete it
//! [completion]              # optional: how the course is completed
//! rule = "all_required"     # or "min_score" with `min_score = 80` (percent, over the quizzes)
//! ```
//!
//! A `quiz` lesson's `file` is a quiz TOML file ([`crate::domain::quiz`]); it is parsed here,
//! kept in the item's runtime data, and withheld from the served files so that the answers
//! never reach a browser.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use crate::domain::quiz::Quiz;

use super::names::resolve_relative;
use super::source::View;
use super::{clean_text, Caption, ItemKind, PackageFormat, ParsedItem, ParsedPackage, Problem};

const FILE: &str = "course.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    format: Option<Spanned<i64>>,
    slug: Option<String>,
    title: Option<Spanned<String>>,
    title_en: Option<String>,
    description: Option<String>,
    description_en: Option<String>,
    subject: Option<String>,
    grade: Option<String>,
    language: Option<String>,
    #[serde(default)]
    lessons: Vec<LessonToml>,
    completion: Option<Spanned<CompletionToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletionToml {
    rule: Option<String>,
    min_score: Option<f64>,
    watched_share: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonToml {
    id: Spanned<String>,
    title: String,
    title_en: Option<String>,
    kind: Option<Spanned<String>>,
    file: Spanned<String>,
    duration_seconds: Option<u32>,
    #[serde(default)]
    captions: Vec<CaptionToml>,
    required: Option<bool>,
    watched_share: Option<f64>,
    min_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptionToml {
    file: String,
    lang: String,
    label: Option<String>,
}

pub(super) fn parse(view: &View) -> Result<ParsedPackage, Vec<Problem>> {
    let bytes = view.read(FILE).map_err(|p| vec![p])?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        vec![Problem::at(
            FILE,
            line,
            "not valid UTF-8; save course.toml as UTF-8",
        )]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = Lines(text);
    let course: CourseToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| lines.at(s.start)).unwrap_or(1);
        vec![Problem::at(FILE, line, clean_text(e.message()))]
    })?;

    let mut problems = Vec::new();
    match &course.format {
        None => problems.push(Problem::at(
            FILE,
            1,
            "`format` is missing; write `format = 1`",
        )),
        Some(f) if *f.get_ref() != 1 => problems.push(Problem::at(
            FILE,
            lines.at(f.span().start),
            format!(
                "format {} is not supported; this server reads format = 1",
                f.get_ref()
            ),
        )),
        Some(_) => {}
    }
    let title = match &course.title {
        Some(t) if !t.get_ref().trim().is_empty() => clean_text(t.get_ref()),
        Some(t) => {
            problems.push(Problem::at(
                FILE,
                lines.at(t.span().start),
                "`title` is empty",
            ));
            String::new()
        }
        None => {
            problems.push(Problem::at(FILE, 1, "`title` is missing"));
            String::new()
        }
    };
    if course.lessons.is_empty() {
        problems.push(Problem::new(FILE, "the course has no [[lessons]]"));
    }

    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for lesson in &course.lessons {
        match lesson_item(view, &lines, lesson, &mut seen) {
            Ok(item) => items.push(item),
            Err(mut p) => problems.append(&mut p),
        }
    }
    let completion = match &course.completion {
        Some(c) => completion_json(c.get_ref()).map_err(|m| Problem::at(FILE, lines.at(c.span().start), m)),
        None => Ok(serde_json::json!({})),
    };
    let completion = completion.unwrap_or_else(|p| {
        problems.push(p);
        serde_json::Value::Null
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(ParsedPackage {
        format: PackageFormat::Native,
        title,
        title_en: nonempty(&course.title_en),
        description: course
            .description
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_owned(),
        description_en: nonempty(&course.description_en),
        subject: nonempty(&course.subject),
        grade: nonempty(&course.grade),
        language: nonempty(&course.language),
        slug: nonempty(&course.slug),
        items,
        warnings: Vec::new(),
        files: Vec::new(),
        metadata: serde_json::json!({ "format": 1, "completion": completion }),
        root: String::new(),
        generated: Vec::new(),
    })
}

fn lesson_item(
    view: &View,
    lines: &Lines,
    lesson: &LessonToml,
    seen: &mut HashSet<String>,
) -> Result<ParsedItem, Vec<Problem>> {
    let id = lesson.id.get_ref().trim();
    let id_line = lines.at(lesson.id.span().start);
    let mut problems = Vec::new();
    if id.is_empty() {
        problems.push(Problem::at(FILE, id_line, "a lesson has an empty `id`"));
    } else if !seen.insert(id.to_owned()) {
        problems.push(Problem::at(
            FILE,
            id_line,
            format!("lesson id `{id}` is used more than once"),
        ));
    }
    let file_line = lines.at(lesson.file.span().start);
    let mut launch = match check_file(view, lesson.file.get_ref()) {
        Ok(path) => Some(path),
        Err(why) => {
            problems.push(Problem::at(
                FILE,
                file_line,
                format!("lesson `{id}`: file {why}"),
            ));
            None
        }
    };
    let kind = match &lesson.kind {
        None => ItemKind::from_path(lesson.file.get_ref()),
        Some(k) => match k.get_ref().as_str() {
            "video" => ItemKind::Video,
            "audio" => ItemKind::Audio,
            "pdf" => ItemKind::Pdf,
            "html" => ItemKind::Html,
            "image" => ItemKind::Image,
            "file" => ItemKind::File,
            "quiz" => ItemKind::Quiz,
            other => {
                problems.push(Problem::at(
                    FILE,
                    lines.at(k.span().start),
                    format!("lesson `{id}`: kind `{other}` is not one of video, audio, pdf, html, image, file, quiz"),
                ));
                ItemKind::File
            }
        },
    };
    let mut captions = Vec::new();
    for c in &lesson.captions {
        match check_file(view, &c.file) {
            Ok(file) => captions.push(Caption {
                file,
                lang: c.lang.trim().to_owned(),
                label: c.label.clone().unwrap_or_else(|| c.lang.trim().to_owned()),
            }),
            Err(why) => problems.push(Problem::at(
                FILE,
                id_line,
                format!("lesson `{id}`: caption file {why}"),
            )),
        }
    }
    if lesson.title.trim().is_empty() {
        problems.push(Problem::at(
            FILE,
            id_line,
            format!("lesson `{id}` has an empty title"),
        ));
    }
    let rules = lesson_rules(lesson).map_err(|m| Problem::at(FILE, id_line, format!("lesson `{id}`: {m}")));
    let mut runtime = rules.unwrap_or_else(|p| {
        problems.push(p);
        serde_json::json!({})
    });
    if kind == ItemKind::Quiz {
        if let Some(path) = launch.take() {
            match read_quiz(view, &path) {
                Ok(quiz) => runtime = serde_json::json!({ "quiz": quiz, "source": path }),
                Err(mut p) => problems.append(&mut p),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ParsedItem {
        identifier: id.to_owned(),
        parent: None,
        title: clean_text(&lesson.title),
        title_en: lesson
            .title_en
            .as_deref()
            .map(clean_text)
            .filter(|t| !t.is_empty()),
        kind,
        launch,
        captions,
        duration_seconds: lesson.duration_seconds,
        required: lesson.required.unwrap_or(true),
        runtime,
    })
}

/// Completion settings of one lesson, as kept in the item's runtime data.
fn lesson_rules(lesson: &LessonToml) -> Result<serde_json::Value, String> {
    let mut rules = serde_json::Map::new();
    if let Some(share) = lesson.watched_share {
        check_share(share)?;
        rules.insert("watched_share".into(), share.into());
    }
    if let Some(seconds) = lesson.min_seconds {
        rules.insert("min_seconds".into(), seconds.into());
    }
    Ok(rules.into())
}

/// The course's `[completion]` table, as kept in the version's metadata.
fn completion_json(c: &CompletionToml) -> Result<serde_json::Value, String> {
    let mut out = serde_json::Map::new();
    match (c.rule.as_deref().unwrap_or("all_required"), c.min_score) {
        ("all_required", None) => {}
        ("all_required", Some(_)) => return Err("[completion] `min_score` needs `rule = \"min_score\"`".into()),
        ("min_score", Some(score)) if (0.0..=100.0).contains(&score) => {
            out.insert("rule".into(), "min_score".into());
            out.insert("min_score".into(), score.into());
        }
        ("min_score", _) => return Err("[completion] `rule = \"min_score\"` needs `min_score` between 0 and 100".into()),
        (other, _) => return Err(format!("[completion] rule `{other}` is not one of all_required, min_score")),
    }
    if let Some(share) = c.watched_share {
        check_share(share)?;
        out.insert("watched_share".into(), share.into());
    }
    Ok(out.into())
}

fn check_share(share: f64) -> Result<(), String> {
    if share > 0.0 && share <= 1.0 {
        Ok(())
    } else {
        Err(format!("watched_share {share} must be above 0 and at most 1"))
    }
}

/// Reads and checks a quiz file; its problems carry its own name and lines.
fn read_quiz(view: &View, path: &str) -> Result<Quiz, Vec<Problem>> {
    let bytes = view.read(path).map_err(|p| vec![p])?;
    let text = std::str::from_utf8(&bytes).map_err(|_| vec![Problem::new(path, "not valid UTF-8; save the quiz as UTF-8")])?;
    Quiz::from_toml(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|errs| errs.into_iter().map(|(line, message)| Problem::at(path, line, message)).collect())
}

/// Our own format is exact: the file must exist under precisely this name.
fn check_file(view: &View, file: &str) -> Result<String, String> {
    let path = resolve_relative(file.trim())?;
    if view.exists(&path) {
        return Ok(path);
    }
    match view.resolve(&path) {
        Some(near) => Err(format!(
            "`{file}` is not in the package (did you mean `{near}`?)"
        )),
        None => Err(format!("`{file}` is not in the package")),
    }
}

/// Byte offsets of the TOML text to 1-based lines.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn at(&self, offset: usize) -> u32 {
        let end = offset.min(self.0.len());
        1 + self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
    }
}

#[cfg(test)]
mod tests;
