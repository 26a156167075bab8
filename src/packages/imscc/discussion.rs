//! Discussion topics (`imsdt_xmlv1p1`, `imsdt_xmlv1p3`) as read-only pages: the topic's title
//! and prompt, made into an HTML file at import.
//!
//! The prompt is the cartridge author's HTML and is kept as written: the page is stored and
//! served like every other package page, so it runs sandboxed in an opaque origin (or on the
//! content origin), never with a viewer's session, exactly as the cartridge's own pages do.

use super::super::xml::Element;

/// Title and prompt HTML of a topic document.
#[derive(Debug, PartialEq)]
pub(in crate::packages) struct Topic {
    pub title: String,
    /// HTML; a plain-text prompt is escaped, its line breaks kept.
    pub prompt: String,
    /// Attachment hrefs as written (relative to the topic's folder, or `$IMS-CC-FILEBASE$/...`).
    pub attachments: Vec<String>,
}

pub(in crate::packages) fn read_topic(root: &Element) -> Topic {
    let title = root.child("title").map(Element::text).unwrap_or_default();
    let prompt = match root.child("text") {
        Some(text) if is_plain(text) => escape(text.text.trim()).replace('\n', "<br>\n"),
        Some(text) => text.text.trim().to_owned(),
        None => String::new(),
    };
    let attachments = root
        .child("attachments")
        .map(|a| a.children_named("attachment").filter_map(|x| x.attr_nonempty("href")).map(str::to_owned).collect())
        .unwrap_or_default();
    Topic { title, prompt, attachments }
}

fn is_plain(text: &Element) -> bool {
    text.attr("texttype").is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
}

/// The page shown for a topic; `prompt` and attachment links already point inside the package.
/// Both languages are on the page: it is content, served alike to every reader.
pub(in crate::packages) fn page(title: &str, prompt: &str, attachments: &[(String, String)]) -> String {
    let title = escape(title);
    let mut files = String::new();
    if !attachments.is_empty() {
        files.push_str("<h2>附件 · Attachments</h2>\n<ul>\n");
        for (href, name) in attachments {
            files.push_str(&format!("<li><a href=\"{}\">{}</a></li>\n", escape(href), escape(name)));
        }
        files.push_str("</ul>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;line-height:1.6;max-width:48rem;margin:1rem auto;padding:0 1rem}}\
         .note{{color:#555;border-top:1px solid #ddd;padding-top:.5rem;font-size:.9rem}}</style>\n\
         </head><body>\n<article class=\"discussion\">\n<h1>{title}</h1>\n\
         <div class=\"prompt\">\n{prompt}\n</div>\n{files}\
         <p class=\"note\">这是课程包中的讨论题，这里只能阅读，不能回复。<br>\
         This is a discussion topic from the course package; it is shown here to read, without replies.</p>\n\
         </article>\n</body></html>\n"
    )
}

/// A short page for a link whose target plays elsewhere or not at all.
pub(in crate::packages) fn notice_page(title: &str, zh: &str, en: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;line-height:1.6;max-width:48rem;margin:1rem auto;padding:0 1rem}}</style>\n\
         </head><body>\n<h1>{title}</h1>\n<p>{}</p>\n<p>{}</p>\n</body></html>\n",
        escape(zh),
        escape(en)
    )
}

pub(in crate::packages) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::xml;

    #[test]
    fn a_topic_gives_its_title_prompt_and_attachments() {
        let doc = r#"<topic xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1"><title>Week 1: introduce yourself</title>
<text texttype="text/html">&lt;p&gt;Tell us &lt;b&gt;who&lt;/b&gt; you are.&lt;/p&gt;</text>
<attachments><attachment href="files/guide.pdf"/></attachments></topic>"#;
        let topic = read_topic(&xml::parse(doc.as_bytes(), "t.xml").unwrap());
        assert_eq!(topic.title, "Week 1: introduce yourself");
        assert_eq!(topic.prompt, "<p>Tell us <b>who</b> you are.</p>");
        assert_eq!(topic.attachments, ["files/guide.pdf"]);
        let plain = r#"<topic><title>T</title><text texttype="text/plain">a &lt; b
next</text></topic>"#;
        let topic = read_topic(&xml::parse(plain.as_bytes(), "t.xml").unwrap());
        assert_eq!(topic.prompt, "a &lt; b<br>\nnext");
        let html = page("A <b> title", &topic.prompt, &[("../files/guide.pdf".into(), "guide.pdf".into())]);
        assert!(html.contains("<h1>A &lt;b&gt; title</h1>") && html.contains("a &lt; b<br>"), "{html}");
        assert!(html.contains("<a href=\"../files/guide.pdf\">guide.pdf</a>"), "{html}");
    }
}
