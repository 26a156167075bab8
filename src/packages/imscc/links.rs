//! Links inside a cartridge's HTML: `$IMS-CC-FILEBASE$` file links and Canvas-style
//! references to other resources (`$WIKI_REFERENCE$/pages/...`,
//! `$CANVAS_OBJECT_REFERENCE$/quizzes/...`, `$CANVAS_COURSE_REFERENCE$/file_ref/...`),
//! rewritten into relative paths inside the stored package.
//!
//! The rewriting happens at import, not while serving: the rewritten page is stored as a
//! content-addressed blob like every other file, so serving stays a plain (range, ETag,
//! immutable-cache) file response, an offline copy carries working links, and a page is
//! rewritten once rather than on every request. Links are made relative so that they keep
//! working under any version's signed content URL.

use std::collections::{HashMap, HashSet};

use percent_encoding::utf8_percent_encode;

use super::super::names::{is_absolute_url, percent_decode};
use super::super::source::View;
use crate::domain::url_path::SEGMENT;


/// The placeholder names, spelled as exporters write them between `$` (or `%24`) signs.
const PLACEHOLDERS: [(&str, Placeholder); 5] = [
    ("IMS-CC-FILEBASE", Placeholder::FileBase),
    ("IMS_CC_FILEBASE", Placeholder::FileBase),
    ("WIKI_REFERENCE", Placeholder::Reference),
    ("CANVAS_OBJECT_REFERENCE", Placeholder::Reference),
    ("CANVAS_COURSE_REFERENCE", Placeholder::Reference),
];

/// Where the resources of a cartridge play, for links between them.
pub(in crate::packages) struct Targets<'a> {
    pub view: &'a View<'a>,
    /// Resource and item identifiers to the package path that plays them.
    pub by_id: HashMap<String, String>,
    /// Lower-case file stems of pages (`wiki_content/page-2.html` is `page-2`) to their path.
    pub by_page: HashMap<String, String>,
    /// Identifiers (resource or item) of quizzes, which play on the server, not from a file.
    pub quizzes: HashMap<String, String>,
    /// Path of the page that explains a link the cartridge cannot follow.
    pub missing_page: String,
    /// Folder for pages made at import.
    pub generated_dir: String,
    /// Quiz resources some link pointed at (each gets a page saying where the quiz is).
    pub quiz_pages_used: HashSet<String>,
    pub missing_page_used: bool,
}

impl Targets<'_> {
    /// The page made for links to quiz resource `id`.
    pub fn quiz_page(&self, id: &str) -> String {
        format!("{}quiz-{}.html", self.generated_dir, safe_name(id))
    }
}

/// A rewritten text and the links in it that lead nowhere in the cartridge.
#[derive(Debug, PartialEq)]
pub(in crate::packages) struct Rewritten {
    pub text: String,
    pub changed: bool,
    pub unresolved: Vec<String>,
}

/// Whether `bytes` may hold a placeholder link: a cheap test before decoding a page.
pub(in crate::packages) fn has_placeholders(bytes: &[u8]) -> bool {
    let lower = bytes.to_ascii_lowercase();
    [b"filebase".as_slice(), b"_reference".as_slice()].iter().any(|needle| lower.windows(needle.len()).any(|w| w == *needle))
}

/// Rewrites every placeholder link in `html`, which will be stored at `page`. `own_dir`
/// ("" or "dir/") is where `$IMS-CC-FILEBASE$` points first: the CC specification's reading
/// (the folder of the resource that holds the text); Canvas exports mean `web_resources/`,
/// which is tried next, and the package root last. The first that holds the file wins.
pub(in crate::packages) fn rewrite(html: &str, page: &str, own_dir: &str, targets: &mut Targets) -> Rewritten {
    let mut out = String::with_capacity(html.len());
    let mut unresolved = Vec::new();
    let mut changed = false;
    let mut rest = html;
    while let Some((start, name_len, kind)) = next_placeholder(rest) {
        out.push_str(&rest[..start]);
        let after = &rest[start + name_len..];
        // In a quoted attribute the link runs to the closing quote (hand-made cartridges
        // leave spaces in file names); unquoted, or in CSS `url(...)`, to a delimiter.
        let end = match rest[..start].chars().next_back() {
            Some(q @ ('"' | '\'')) => after.find([q, '<', '>']),
            _ => after.find(|c: char| c.is_whitespace() || "\"'<>()".contains(c)),
        }
        .unwrap_or(after.len());
        let (link, tail) = after.split_at(end);
        let original = &rest[start..start + name_len + end];
        let resolved = match kind {
            Placeholder::FileBase => file_link(link, own_dir, targets.view),
            Placeholder::Reference => object_link(link, targets),
        };
        let target = resolved.unwrap_or_else(|| {
            unresolved.push(original.to_owned());
            targets.missing_page_used = true;
            targets.missing_page.clone()
        });
        let (_, suffix) = split_suffix(link);
        out.push_str(&relative_url(page, &target));
        // A page's own anchors survive; Canvas's download switches (`?canvas_download=1`) do not matter here.
        if let Some(fragment) = suffix.find('#').map(|i| &suffix[i..]) {
            out.push_str(fragment);
        }
        changed = true;
        rest = tail;
    }
    out.push_str(rest);
    Rewritten { text: out, changed, unresolved }
}

#[derive(Clone, Copy)]
enum Placeholder {
    FileBase,
    Reference,
}

/// The next placeholder in `s`: (byte offset, length of `$NAME$` as written, kind).
fn next_placeholder(s: &str) -> Option<(usize, usize, Placeholder)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let sign = match bytes[i] {
            b'$' => 1,
            b'%' if bytes.get(i + 1..i + 3).is_some_and(|h| h == b"24") => 3,
            _ => {
                i += 1;
                continue;
            }
        };
        for (name, kind) in PLACEHOLDERS {
            let at = i + sign;
            let Some(candidate) = bytes.get(at..at + name.len()) else { continue };
            if !candidate.eq_ignore_ascii_case(name.as_bytes()) {
                continue;
            }
            let close = at + name.len();
            let close_len = match bytes.get(close..) {
                Some([b'$', ..]) => 1,
                Some([b'%', b'2', b'4', ..]) => 3,
                _ => continue,
            };
            return Some((i, close + close_len - i, kind));
        }
        i += 1;
    }
    None
}

/// `/path?query#fragment` split into the path and the rest.
fn split_suffix(link: &str) -> (&str, &str) {
    match link.find(['?', '#']) {
        Some(i) => (&link[..i], &link[i..]),
        None => (link, ""),
    }
}

/// The path of a link as a file name: HTML entities and percent escapes undone.
fn decoded_path(link: &str) -> Option<String> {
    let (path, _) = split_suffix(link);
    let path = path.replace("&amp;", "&");
    percent_decode(path.trim_start_matches('/'))
}

/// The package file an image `src` written in a text of the resource in `own_dir` names:
/// a `$IMS-CC-FILEBASE$` link or a relative path; `None` for other sites and missing files.
pub(in crate::packages) fn resolve_file(src: &str, own_dir: &str, view: &View) -> Option<String> {
    if let Some((0, len, Placeholder::FileBase)) = next_placeholder(src) {
        return file_link(&src[len..], own_dir, view);
    }
    if is_absolute_url(src) || src.starts_with('/') {
        return None;
    }
    view.resolve(&format!("{own_dir}{}", decoded_path(src)?))
}

fn file_link(link: &str, own_dir: &str, view: &View) -> Option<String> {
    let path = decoded_path(link).filter(|p| !p.is_empty())?;
    [own_dir, "web_resources/", ""].iter().find_map(|base| view.resolve(&format!("{base}{path}")))
}

/// A reference to another resource: by any of its path segments as an identifier (the last
/// first), else by a page's name (`$WIKI_REFERENCE$/pages/page-2`).
fn object_link(link: &str, targets: &mut Targets) -> Option<String> {
    let path = decoded_path(link)?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for seg in segments.iter().rev() {
        if let Some(found) = targets.by_id.get(*seg) {
            return Some(found.clone());
        }
        if let Some(id) = targets.quizzes.get(*seg).cloned() {
            let page = targets.quiz_page(&id);
            targets.quiz_pages_used.insert(id);
            return Some(page);
        }
    }
    let last = segments.last()?.to_lowercase();
    targets.by_page.get(&last).cloned()
}

/// A relative URL from the page at `from` to the file at `to` (both package paths).
pub(in crate::packages) fn relative_url(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let (to_dirs, to_name) = to_parts.split_at(to_parts.len() - 1);
    let common = from_dirs.iter().zip(to_dirs).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from_dirs.len() - common];
    parts.extend(to_dirs[common..].iter().chain(to_name).map(|s| utf8_percent_encode(s, SEGMENT).to_string()));
    parts.join("/")
}

/// An identifier as a file name: ASCII letters, digits, `-` and `_` only.
pub(in crate::packages) fn safe_name(id: &str) -> String {
    let name: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(80).collect();
    if name.is_empty() {
        "resource".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::tests::dir_source;

    fn targets<'a>(view: &'a View<'a>) -> Targets<'a> {
        Targets {
            view,
            by_id: HashMap::from([("topic1".to_owned(), "cc-made/discussion-topic1.html".to_owned())]),
            by_page: HashMap::from([("page-2".to_owned(), "wiki_content/page-2.html".to_owned())]),
            quizzes: HashMap::from([("quiz1".to_owned(), "quiz1".to_owned())]),
            missing_page: "cc-made/missing-link.html".into(),
            generated_dir: "cc-made/".into(),
            quiz_pages_used: HashSet::new(),
            missing_page_used: false,
        }
    }

    #[test]
    fn file_links_point_at_the_cartridge_files_in_every_spelling() {
        let (_dir, source) = dir_source(&[
            ("web_resources/Uploaded Media/cat pic.png", b"png"),
            ("wiki_content/own.png", b"png"),
            ("wiki_content/page-2.html", b"<p>"),
        ]);
        let view = View::new(&source);
        let mut t = targets(&view);
        let html = r#"<img src="$IMS-CC-FILEBASE$/Uploaded%20Media/cat%20pic.png?canvas_download=1&amp;x=2" alt="">
<a href="%24IMS-CC-FILEBASE%24/Uploaded Media/cat pic.png#top">x</a><link href=$IMS-CC-FILEBASE$/own.png>
<img src="$IMS-CC-FILEBASE$/nothing.png">"#;
        let r = rewrite(html, "wiki_content/page-1.html", "wiki_content/", &mut t);
        assert!(r.changed);
        assert_eq!(
            r.text,
            r#"<img src="../web_resources/Uploaded%20Media/cat%20pic.png" alt="">
<a href="../web_resources/Uploaded%20Media/cat%20pic.png#top">x</a><link href=own.png>
<img src="../cc-made/missing-link.html">"#
        );
        assert_eq!(r.unresolved, ["$IMS-CC-FILEBASE$/nothing.png"]);
        assert!(t.missing_page_used);
    }

    #[test]
    fn references_to_other_resources_lead_to_where_they_play() {
        let (_dir, source) = dir_source(&[("wiki_content/page-2.html", b"<p>")]);
        let view = View::new(&source);
        let mut t = targets(&view);
        let html = concat!(
            r#"<a href="$WIKI_REFERENCE$/pages/page-2#part">p</a> "#,
            r#"<a href="%24CANVAS_OBJECT_REFERENCE%24/discussion_topics/topic1">d</a> "#,
            r#"<a href="$CANVAS_OBJECT_REFERENCE$/quizzes/quiz1">q</a> "#,
            r#"<a href="$CANVAS_COURSE_REFERENCE$/modules">m</a> costs $5"#
        );
        let r = rewrite(html, "wiki_content/page-1.html", "wiki_content/", &mut t);
        assert_eq!(
            r.text,
            concat!(
                r#"<a href="page-2.html#part">p</a> "#,
                r#"<a href="../cc-made/discussion-topic1.html">d</a> "#,
                r#"<a href="../cc-made/quiz-quiz1.html">q</a> "#,
                r#"<a href="../cc-made/missing-link.html">m</a> costs $5"#
            )
        );
        assert_eq!(r.unresolved, ["$CANVAS_COURSE_REFERENCE$/modules"]);
        assert!(t.quiz_pages_used.contains("quiz1"));
        let plain = rewrite("no links, $ and %24 alone", "a.html", "", &mut t);
        assert!(!plain.changed);
        assert_eq!(plain.text, "no links, $ and %24 alone");
    }

    #[test]
    fn image_sources_resolve_to_package_files() {
        let (_dir, source) = dir_source(&[("web_resources/a b.png", b"png"), ("quiz/q.png", b"png")]);
        let view = View::new(&source);
        assert_eq!(resolve_file("$IMS-CC-FILEBASE$/a%20b.png", "quiz/", &view).as_deref(), Some("web_resources/a b.png"));
        assert_eq!(resolve_file("q.png", "quiz/", &view).as_deref(), Some("quiz/q.png"));
        assert_eq!(resolve_file("https://example.org/x.png", "quiz/", &view), None);
        assert_eq!(resolve_file("/abs.png", "quiz/", &view), None);
        assert_eq!(resolve_file("../../x.png", "quiz/", &view), None);
    }

    #[test]
    fn relative_urls_climb_and_escape() {
        assert_eq!(relative_url("a/b/c.html", "a/x.png"), "../x.png");
        assert_eq!(relative_url("c.html", "d/e f.png"), "d/e%20f.png");
        assert_eq!(relative_url("a/c.html", "a/d.png"), "d.png");
        assert_eq!(safe_name("g1/\"x\""), "g1__x_");
    }
}
