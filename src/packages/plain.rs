//! Packages without a manifest: loose videos, audio, PDFs and web pages become lessons.

use std::cmp::Ordering;

use super::names::file_stem;
use super::source::View;
use super::{
    clean_text, fallback_title, Caption, ItemKind, PackageFormat, ParsedItem, ParsedPackage,
    Problem,
};

/// Kinds that make a loose file a lesson; images and other files are only stored.
fn is_lesson_kind(kind: ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Video | ItemKind::Audio | ItemKind::Pdf | ItemKind::Html
    )
}

/// A non-empty playable file: an empty `test.htm` is a stub, not a course.
fn is_playable(view: &View, path: &str) -> bool {
    is_lesson_kind(ItemKind::from_path(path)) && view.size(path) != Some(0)
}

/// True when the package holds at least one file that could be a lesson.
pub(super) fn has_playable(view: &View) -> bool {
    view.files().iter().any(|f| is_playable(view, f))
}

pub(super) fn parse(view: &View, hint_name: &str) -> Result<ParsedPackage, Vec<Problem>> {
    let course_title = fallback_title(view, hint_name);
    let mut playable: Vec<&String> = view
        .files()
        .iter()
        .filter(|f| is_playable(view, f))
        .collect();
    playable.sort_by(|a, b| natural_cmp(a, b));

    let index = ["index.html", "index.htm"]
        .into_iter()
        .find(|i| view.exists(i) && is_playable(view, i));
    let mut items = Vec::new();
    if let Some(index) = index {
        // A site with an entry page: the other pages are its parts, not lessons of their own.
        let title = html_title(view, index).unwrap_or_else(|| course_title.clone());
        items.push(lesson(view, index, title));
        playable.retain(|f| ItemKind::from_path(f) != ItemKind::Html);
    }
    for file in playable {
        items.push(lesson(view, file, file_stem(file).trim().to_owned()));
    }
    if items.is_empty() {
        return Err(vec![Problem::new("", "no playable files")]);
    }
    Ok(ParsedPackage {
        format: PackageFormat::Plain,
        title: course_title,
        title_en: None,
        description: String::new(),
        description_en: None,
        subject: None,
        grade: None,
        language: None,
        slug: None,
        items,
        warnings: Vec::new(),
        files: Vec::new(),
        metadata: serde_json::json!({}),
        root: String::new(),
        generated: Vec::new(),
    })
}

fn lesson(view: &View, path: &str, title: String) -> ParsedItem {
    let kind = ItemKind::from_path(path);
    let captions = if matches!(kind, ItemKind::Video | ItemKind::Audio) {
        captions_for(view, path)
    } else {
        Vec::new()
    };
    ParsedItem {
        identifier: path.to_owned(),
        parent: None,
        title,
        title_en: None,
        kind,
        launch: Some(path.to_owned()),
        captions,
        duration_seconds: None,
        required: true,
        runtime: serde_json::json!({}),
    }
}

/// `a.mp4` takes `a.vtt` (language unknown) and `a.<lang>.vtt` from the same folder.
fn captions_for(view: &View, media: &str) -> Vec<Caption> {
    let (dir, name) = match media.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), media),
    };
    let stem = file_stem(name);
    let mut found: Vec<Caption> = view
        .files()
        .iter()
        .filter_map(|f| {
            let rest = f.strip_prefix(&dir)?;
            if rest.contains('/') {
                return None;
            }
            let middle = rest
                .strip_prefix(stem)?
                .strip_suffix(".vtt")
                .or_else(|| rest.strip_prefix(stem)?.strip_suffix(".VTT"))?;
            let lang = match middle {
                "" => "und".to_owned(),
                m => m.strip_prefix('.')?.to_owned(),
            };
            Some(Caption {
                file: f.clone(),
                label: language_label(&lang),
                lang,
            })
        })
        .collect();
    found.sort_by(|a, b| a.lang.cmp(&b.lang));
    found
}

fn language_label(lang: &str) -> String {
    let l = lang.to_ascii_lowercase();
    if l == "zh-tw" || l == "zh-hk" || l == "zh-hant" {
        "中文（繁體）".to_owned()
    } else if l == "zh" || l.starts_with("zh-") {
        "中文".to_owned()
    } else if l == "en" || l.starts_with("en-") {
        "English".to_owned()
    } else if l == "und" {
        "字幕".to_owned()
    } else {
        lang.to_owned()
    }
}

/// Orders `2.mp4` before `10.mp4`: digit runs compare as numbers, the rest by character.
pub(super) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let db = b.len() - b.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let (na, nb) = (
                    a[..da].trim_start_matches('0'),
                    b[..db].trim_start_matches('0'),
                );
                let ord = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then_with(|| da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) => {
                let ord = x.to_lowercase().cmp(y.to_lowercase()).then(x.cmp(&y));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

/// The `<title>` of an HTML file in the package, if it has a non-empty one.
pub(super) fn html_title(view: &View, path: &str) -> Option<String> {
    let bytes = view.read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let raw = &text[open_end..close];
    let unescaped = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    Some(clean_text(&unescaped)).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests;
