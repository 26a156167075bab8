//! QTI 1.2 assessments of the Common Cartridge profile, read into the server's own quiz
//! ([`crate::domain::quiz::Quiz`]) so that they are played and scored on the server.
//!
//! The CC profile (CC 1.1-1.3, `cc_profile` metadata) has multiple choice, multiple response,
//! true/false, fill in the blank, pattern match and essay items. All but pattern match are
//! read; Canvas's own `question_type` names are understood too. Anything else (matching,
//! numeric, several blanks ...) is left out with a warning naming the item. Question texts
//! are HTML in QTI; the quiz form shows them as plain text, with the images they show
//! (their `src` as written here, resolved to package files by the caller).

use std::collections::HashSet;

use crate::domain::quiz::{normalize_fill, Answer, Question, Quiz, DEFAULT_PASS_SCORE};

use super::super::xml::Element;

const MAX_QUESTIONS: usize = 200;
const MAX_CHOICES: usize = 26;

/// A quiz read from one assessment document, with what was left out of it.
#[derive(Debug)]
pub(in crate::packages) struct ReadQuiz {
    pub title: String,
    /// `None` when no item could be played.
    pub quiz: Option<Quiz>,
    /// One sentence per item left out or shown with less than it had.
    pub notes: Vec<String>,
}

pub(in crate::packages) fn read_assessment(root: &Element) -> ReadQuiz {
    let assessment = if root.name.eq_ignore_ascii_case("assessment") { Some(root) } else { root.child("assessment") };
    let Some(assessment) = assessment else {
        return ReadQuiz { title: String::new(), quiz: None, notes: vec!["it has no <assessment>".into()] };
    };
    let title = assessment.attr_nonempty("title").map(super::super::clean_text).unwrap_or_default();
    let max_attempts = metadata(assessment, "cc_maxattempts").and_then(|v| v.parse::<u32>().ok()).filter(|&n| n > 0);
    let mut items = Vec::new();
    collect_items(assessment, &mut items);
    let mut notes = Vec::new();
    let mut questions: Vec<Question> = Vec::new();
    let mut ids = HashSet::new();
    for (n, item) in items.iter().enumerate() {
        let label = item_label(item, n);
        if questions.len() == MAX_QUESTIONS {
            notes.push(format!("{label} and the items after it were left out: a quiz holds at most {MAX_QUESTIONS} questions"));
            break;
        }
        match question(item, n) {
            Ok((mut q, note)) => {
                q.id = unique_id(&q.id, n, &mut ids);
                if let Some(note) = note {
                    notes.push(format!("{label}: {note}"));
                }
                questions.push(q);
            }
            Err(why) => notes.push(format!("{label} was left out: {why}")),
        }
    }
    let quiz = (!questions.is_empty()).then_some(Quiz { pass_score: DEFAULT_PASS_SCORE, max_attempts, questions });
    ReadQuiz { title, quiz, notes }
}

fn item_label(item: &Element, n: usize) -> String {
    let ident = item.attr_nonempty("ident").unwrap_or("");
    match item.attr_nonempty("title") {
        Some(t) => format!("item `{ident}` (\"{}\")", super::super::clean_text(t)),
        None if !ident.is_empty() => format!("item `{ident}`"),
        None => format!("item {}", n + 1),
    }
}

/// Items in document order, through nested sections.
fn collect_items<'a>(el: &'a Element, out: &mut Vec<&'a Element>) {
    for c in &el.children {
        if c.name.eq_ignore_ascii_case("item") {
            out.push(c);
        } else if c.name.eq_ignore_ascii_case("section") {
            collect_items(c, out);
        }
    }
}

/// A `qtimetadatafield`'s entry by label, under `el`'s (item)metadata.
fn metadata(el: &Element, label: &str) -> Option<String> {
    let holders = el.children.iter().filter(|c| c.name.eq_ignore_ascii_case("qtimetadata") || c.name.eq_ignore_ascii_case("itemmetadata"));
    for holder in holders {
        let lists = std::iter::once(holder).chain(holder.children_named("qtimetadata"));
        for list in lists {
            for field in list.children_named("qtimetadatafield") {
                if field.child("fieldlabel").is_some_and(|l| l.text().eq_ignore_ascii_case(label)) {
                    return field.child("fieldentry").map(Element::text);
                }
            }
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Single,
    Multiple,
    TrueFalse,
    Fill,
    Essay,
}

fn kind_of(item: &Element, profile: Option<&str>) -> Result<Kind, String> {
    let presentation = item.child("presentation").ok_or("it has no <presentation>")?;
    let mut lids = Vec::new();
    let mut strs = Vec::new();
    find_all(presentation, "response_lid", &mut lids);
    find_all(presentation, "response_str", &mut strs);
    match profile.map(str::to_ascii_lowercase).as_deref() {
        Some("cc.multiple_choice.v0p1" | "multiple_choice_question") => Ok(Kind::Single),
        Some("cc.multiple_response.v0p1" | "multiple_answers_question") => Ok(Kind::Multiple),
        Some("cc.true_false.v0p1" | "true_false_question") => Ok(Kind::TrueFalse),
        Some("cc.fib.v0p1" | "short_answer_question") => Ok(Kind::Fill),
        Some("cc.essay.v0p1" | "essay_question") => Ok(Kind::Essay),
        Some(other) => Err(format!("its type `{other}` is not one this server plays (multiple choice, multiple response, true/false, fill in the blank, essay)")),
        None => match (lids.as_slice(), strs.as_slice()) {
            ([lid], []) if lid.attr("rcardinality").is_some_and(|c| c.eq_ignore_ascii_case("multiple")) => Ok(Kind::Multiple),
            ([_], []) => Ok(Kind::Single),
            ([], [_]) if correct_values(item).0.is_empty() => Ok(Kind::Essay),
            ([], [_]) => Ok(Kind::Fill),
            _ => Err("it is not a single multiple-choice or text response, which this server does not play".into()),
        },
    }
}

fn find_all<'a>(el: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
    for c in &el.children {
        if c.name.eq_ignore_ascii_case(name) {
            out.push(c);
        } else {
            find_all(c, name, out);
        }
    }
}

/// Values the item's response processing rewards (`varequal` under a condition that sets or
/// adds a positive score, not under `<not>`), and whether some were compared case-sensitively.
fn correct_values(item: &Element) -> (Vec<String>, bool) {
    let mut values = Vec::new();
    let mut case_sensitive = false;
    let Some(processing) = item.child("resprocessing") else { return (values, false) };
    for cond in processing.children_named("respcondition") {
        let rewards = cond.children_named("setvar").any(|s| {
            let positive = s.text().parse::<f64>().is_ok_and(|v| v > 0.0);
            let action = s.attr("action").unwrap_or("Set");
            positive && (action.eq_ignore_ascii_case("set") || action.eq_ignore_ascii_case("add"))
        });
        if !rewards {
            continue;
        }
        if let Some(var) = cond.child("conditionvar") {
            rewarded(var, &mut values, &mut case_sensitive);
        }
    }
    (values, case_sensitive)
}

fn rewarded(el: &Element, out: &mut Vec<String>, case_sensitive: &mut bool) {
    for c in &el.children {
        if c.name.eq_ignore_ascii_case("not") {
            continue;
        }
        if c.name.eq_ignore_ascii_case("varequal") {
            *case_sensitive |= c.attr("case").is_some_and(|v| v.eq_ignore_ascii_case("yes"));
            let v = c.text.trim().to_owned();
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        } else {
            rewarded(c, out, case_sensitive);
        }
    }
}

/// One question, with a note when it is shown with less than the cartridge gave it.
fn question(item: &Element, n: usize) -> Result<(Question, Option<String>), String> {
    let profile = metadata(item, "cc_profile").or_else(|| metadata(item, "question_type"));
    let kind = kind_of(item, profile.as_deref())?;
    let presentation = item.child("presentation").ok_or("it has no <presentation>")?;
    let mut note = None;
    let (mut text, images) = prompt_text(presentation);
    if text.is_empty() {
        text = item.attr_nonempty("title").map(super::super::clean_text).unwrap_or_else(|| format!("Question {}", n + 1));
    }
    let points = metadata(item, "cc_weighting")
        .or_else(|| metadata(item, "points_possible"))
        .and_then(|p| p.parse::<f64>().ok())
        .filter(|p| *p > 0.0 && *p <= 1000.0)
        .unwrap_or(1.0);
    let (correct, case_sensitive) = correct_values(item);
    let mut choices = Vec::new();
    let answer = match kind {
        Kind::Single | Kind::Multiple | Kind::TrueFalse => {
            let mut labels = Vec::new();
            find_all(presentation, "response_label", &mut labels);
            if !(2..=MAX_CHOICES).contains(&labels.len()) {
                return Err(format!("it has {} choices; a question needs 2 to {MAX_CHOICES}", labels.len()));
            }
            let idents: Vec<&str> = labels.iter().map(|l| l.attr("ident").unwrap_or("").trim()).collect();
            let labelled: Vec<(String, Vec<String>)> = labels.iter().map(|l| prompt_text(l)).collect();
            if labelled.iter().any(|(_, images)| !images.is_empty()) {
                note = Some("its choices show images, which the quiz page leaves out".to_owned());
            }
            choices = labelled.into_iter().map(|(text, _)| text).collect();
            let picked: Vec<usize> = correct.iter().filter_map(|c| idents.iter().position(|i| i == c)).collect();
            match (kind, picked.as_slice()) {
                (_, []) => return Err("its response processing marks no choice as right".into()),
                (Kind::Multiple, _) => {
                    let mut picked = picked.clone();
                    picked.sort_unstable();
                    Answer::Multiple(picked)
                }
                (_, [one]) => match (kind, truth(&choices[*one]), choices.len()) {
                    (Kind::TrueFalse, Some(value), 2) => {
                        choices.clear();
                        Answer::TrueFalse(value)
                    }
                    _ => Answer::Single(*one),
                },
                _ => return Err("it marks more than one choice right for a one-choice question".into()),
            }
        }
        Kind::Fill => {
            let accepted: Vec<String> = correct.iter().map(|c| normalize_fill(c)).filter(|c| !c.is_empty()).collect();
            if accepted.is_empty() {
                return Err("its response processing accepts no answer".into());
            }
            if case_sensitive {
                note = Some("its answers are compared without regard to case here".to_owned());
            }
            Answer::Fill(accepted)
        }
        Kind::Essay => Answer::Essay,
    };
    let ident = item.attr_nonempty("ident").unwrap_or("").to_owned();
    let question = Question { id: ident, text, text_en: None, choices, choices_en: Vec::new(), points, answer, images };
    Ok((question, note))
}

/// `true`/`false` for the labels of a true/false question, in the languages our users write.
fn truth(label: &str) -> Option<bool> {
    match label.trim().to_lowercase().as_str() {
        "true" | "yes" | "对" | "正确" | "是" | "√" => Some(true),
        "false" | "no" | "错" | "错误" | "否" | "×" => Some(false),
        _ => None,
    }
}

/// The plain text of the `material`s directly under `el` (not inside its responses), and
/// the `src` of the images in it (HTML `<img>` and QTI `<matimage uri>`).
fn prompt_text(el: &Element) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut images = Vec::new();
    let mut materials = Vec::new();
    for c in &el.children {
        if c.name.eq_ignore_ascii_case("material") {
            materials.push(c);
        } else if c.name.eq_ignore_ascii_case("flow") || c.name.eq_ignore_ascii_case("flow_mat") {
            let (text, img) = prompt_text(c);
            parts.push(text);
            images.extend(img);
        }
    }
    for m in materials {
        let mut texts = Vec::new();
        find_all(m, "mattext", &mut texts);
        for t in texts {
            let is_html = t.attr("texttype").is_some_and(|tt| tt.to_ascii_lowercase().contains("html"));
            if is_html {
                images.extend(image_sources(&t.text));
                parts.push(html_to_text(&t.text));
            } else {
                parts.push(super::super::clean_text(&t.text));
            }
        }
        let mut pictures = Vec::new();
        find_all(m, "matimage", &mut pictures);
        images.extend(pictures.iter().filter_map(|p| p.attr_nonempty("uri")).map(str::to_owned));
    }
    let text = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (text, images)
}

/// The `src` values of the `<img>` tags of an HTML fragment, entities in them decoded.
fn image_sources(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<img").map(|i| from + i) {
        let end = lower[at..].find('>').map_or(lower.len(), |i| at + i);
        let tag = &html[at..end];
        let tag_lower = &lower[at..end];
        if let Some(src) = tag_lower.find("src=").map(|i| i + 4) {
            let value = match tag.as_bytes().get(src) {
                Some(&q @ (b'"' | b'\'')) => tag[src + 1..].split(q as char).next(),
                _ => tag[src..].split(|c: char| c.is_whitespace() || c == '/').next(),
            };
            out.extend(value.map(decode_entities).filter(|v| !v.is_empty()));
        }
        from = end;
    }
    out
}

/// Visible text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &rest[open + close + 1..];
        if name == "script" || name == "style" {
            let end = rest.to_ascii_lowercase().find(&format!("</{name}")).unwrap_or(rest.len());
            rest = &rest[end..];
        }
        // Block elements part words; inline ones (`<b>`, `<span>`) sit inside them.
        if matches!(name.as_str(), "p" | "br" | "div" | "li" | "ul" | "ol" | "tr" | "td" | "th" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "img") {
            out.push(' ');
        }
    }
    out.push_str(rest);
    super::super::clean_text(&decode_entities(&out))
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                _ if name.starts_with("#x") || name.starts_with("#X") => char::from_u32(u32::from_str_radix(&name[2..], 16).ok()?)?,
                _ if name.starts_with('#') => char::from_u32(name[1..].parse().ok()?)?,
                _ => return None,
            };
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A form-safe question id: the item's ident when it is one, else `q<n>`; never repeated.
fn unique_id(ident: &str, n: usize, seen: &mut HashSet<String>) -> String {
    let valid = !ident.is_empty() && ident.len() <= 60 && ident.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let mut id = if valid { ident.to_owned() } else { format!("q{}", n + 1) };
    let mut k = 2;
    while !seen.insert(id.clone()) {
        id = format!("q{}-{k}", n + 1);
        k += 1;
    }
    id
}

#[cfg(test)]
pub(in crate::packages) mod tests;
