//! View models shared by pages and the JSON API: rows turned into what a reader sees.

use percent_encoding::utf8_percent_encode;
use serde::Serialize;

use crate::db::courses::{CourseRow, ItemRow};
use crate::domain::url_path::SEGMENT;
use crate::i18n::Lang;

/// The URL that serves a file of a course version, carrying a signed media token; relative
/// links inside HTML keep working because the token is a path segment.
pub fn content_url(version_id: i64, token: &str, path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut url = format!("/content/{version_id}/{token}");
    for segment in path.split('/') {
        url.push('/');
        url.extend(utf8_percent_encode(segment, SEGMENT));
    }
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[derive(Debug, Serialize)]
pub struct CourseView {
    pub id: i64,
    pub slug: String,
    /// Title in the reader's language (falls back to Chinese).
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    pub summary: String,
    pub description: String,
    pub description_en: Option<String>,
    pub subject: Option<String>,
    pub grade: Option<String>,
    pub format: String,
    pub version_id: Option<i64>,
    pub url: String,
}

impl CourseView {
    pub fn new(row: CourseRow, lang: Lang) -> CourseView {
        CourseView {
            id: row.id,
            name: lang.pick(&row.title, row.title_en.as_deref()).to_string(),
            summary: lang.pick(&row.description, row.description_en.as_deref()).to_string(),
            url: format!("/courses/{}", row.id),
            slug: row.slug,
            title: row.title,
            title_en: row.title_en,
            description: row.description,
            description_en: row.description_en,
            subject: row.subject,
            grade: row.grade,
            format: row.format,
            version_id: row.latest_version_id,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CaptionView {
    pub lang: String,
    pub label: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ItemView {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    pub kind: String,
    /// Where the item's content is served; `None` for folders.
    pub url: Option<String>,
    pub page_url: String,
    pub parent: Option<i64>,
    pub depth: usize,
    pub captions: Vec<CaptionView>,
    pub duration_seconds: Option<i64>,
    pub required: bool,
    /// SCORM `isvisible="false"`: not listed, but played where navigation reaches it.
    pub hidden: bool,
    /// SCORM 1.2 `adlcp:prerequisites`, as kept by the importer (it parses and names
    /// only items of the course).
    #[serde(skip)]
    pub prerequisites: Option<String>,
}

#[derive(serde::Deserialize)]
struct StoredCaption {
    file: String,
    lang: String,
    label: String,
}

impl ItemView {
    /// Builds item views for one course; `rows` are in position order, so parents come first.
    pub fn list(course_id: i64, rows: Vec<ItemRow>, lang: Lang, token: &str) -> Vec<ItemView> {
        let mut depths: Vec<usize> = Vec::with_capacity(rows.len());
        let mut hidden: Vec<bool> = Vec::with_capacity(rows.len());
        let mut ids: Vec<i64> = Vec::with_capacity(rows.len());
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let parent_index = row.parent_position.map(|p| p as usize);
            let depth = parent_index.and_then(|p| depths.get(p)).map_or(0, |d| d + 1);
            depths.push(depth);
            ids.push(row.id);
            let parent = parent_index.and_then(|p| ids.get(p).copied());
            let mut view = ItemView::new(course_id, row, lang, parent, depth, token);
            // What a hidden folder holds is hidden with it.
            view.hidden |= parent_index.and_then(|p| hidden.get(p).copied()).unwrap_or(false);
            hidden.push(view.hidden);
            out.push(view);
        }
        out
    }

    pub fn new(course_id: i64, row: ItemRow, lang: Lang, parent: Option<i64>, depth: usize, token: &str) -> ItemView {
        let url = item_url(&row, token);
        let runtime: serde_json::Value = serde_json::from_str(&row.runtime).unwrap_or_default();
        let captions: Vec<StoredCaption> = serde_json::from_str(&row.captions).unwrap_or_default();
        ItemView {
            id: row.id,
            page_url: format!("/courses/{course_id}/lessons/{}", row.id),
            name: lang.pick(&row.title, row.title_en.as_deref()).to_string(),
            captions: captions
                .into_iter()
                .map(|c| CaptionView {
                    url: content_url(row.version_id, token, &c.file),
                    lang: c.lang,
                    label: c.label,
                })
                .collect(),
            identifier: row.identifier,
            title: row.title,
            title_en: row.title_en,
            kind: row.kind,
            url,
            parent,
            depth,
            duration_seconds: row.duration_seconds,
            required: row.required != 0,
            hidden: runtime["isvisible"] == false,
            prerequisites: runtime["prerequisites"].as_str().map(str::to_owned),
        }
    }
}

/// External links keep their own address; everything else is served from the version.
fn item_url(row: &ItemRow, token: &str) -> Option<String> {
    if row.kind == "link" {
        let runtime: serde_json::Value = serde_json::from_str(&row.runtime).ok()?;
        // Only web addresses: a `javascript:` link from a package would run in our origin.
        return runtime
            .get("href")
            .and_then(|h| h.as_str())
            .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
            .map(str::to_owned);
    }
    row.launch.as_deref().map(|launch| content_url(row.version_id, token, launch))
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_urls_escape_segments_but_keep_slashes_and_query() {
        assert_eq!(super::content_url(3, "t", "media/第 1 课.mp4"), "/content/3/t/media/%E7%AC%AC%201%20%E8%AF%BE.mp4");
        assert_eq!(super::content_url(3, "t", "a/index.html?x=1"), "/content/3/t/a/index.html?x=1");
    }
}
