//! A small element tree over quick-xml, with line numbers and prefix-blind name matching.
//!
//! Manifests are small (bounded by `MAX_MANIFEST_BYTES`) and parsers look around a lot, so a
//! tree is simpler than streaming. Names are matched on the local part, ASCII case-insensitively:
//! SCORM 1.2 writes `adlcp:scormtype`, 2004 `adlcp:scormType`, and authoring tools pick prefixes freely.

use std::borrow::Cow;

use encoding_rs::{Encoding, GBK, UTF_8};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Map, Value};

use super::Problem;

/// Deeper nesting than this is hostile, not a course.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Element {
    /// Local name, without prefix.
    pub name: String,
    /// Attributes with their qualified names as written (`xmlns:adlcp`, `adlcp:scormtype`).
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Direct text and CDATA, unescaped, as written.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u32,
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

impl Element {
    /// Attribute by local name; `xmlns` declarations are never matched.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| !k.starts_with("xmlns") && local(k).eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Attribute by local name, trimmed, `None` when empty.
    pub fn attr_nonempty(&self, name: &str) -> Option<&str> {
        self.attr(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// Direct text with whitespace runs collapsed.
    pub fn text(&self) -> String {
        super::clean_text(&self.text)
    }

    /// Namespace URIs declared on this element.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.attrs
            .iter()
            .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
            .map(|(_, v)| v.as_str())
    }

    /// The subtree as JSON for the runtime: `{"element", "attributes", "children", "text"}`,
    /// names without prefixes, namespace declarations left out, empty parts omitted.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("element".into(), json!(self.name));
        let attrs: Map<String, Value> = self
            .attrs
            .iter()
            .filter(|(k, _)| !k.starts_with("xmlns"))
            .map(|(k, v)| (local(k).to_owned(), json!(v)))
            .collect();
        if !attrs.is_empty() {
            obj.insert("attributes".into(), Value::Object(attrs));
        }
        if !self.children.is_empty() {
            obj.insert(
                "children".into(),
                self.children.iter().map(Element::to_json).collect(),
            );
        }
        let text = self.text();
        if !text.is_empty() {
            obj.insert("text".into(), json!(text));
        }
        Value::Object(obj)
    }
}

/// Parses a whole document; `file` names it in problems.
pub(super) fn parse(bytes: &[u8], file: &str) -> Result<Element, Problem> {
    let text = to_utf8(bytes).map_err(|msg| Problem::new(file, msg))?;
    let mut lines = LineCounter {
        text: &text,
        pos: 0,
        line: 1,
    };
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let line = lines.line_at(reader.error_position() as usize);
            Problem::at(file, line, format!("malformed XML: {e}"))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let line = lines.line_at(start);
                return Err(Problem::at(
                    file,
                    line,
                    format!("malformed XML: <{}> after the root element", name_of(&e)),
                ));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Problem::at(
                        file,
                        lines.line_at(start),
                        "XML is nested too deeply",
                    ));
                }
                stack.push(element(&e, lines.line_at(start), file)?);
            }
            Event::Empty(e) => {
                let el = element(&e, lines.line_at(start), file)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(Problem::at(
                        file,
                        lines.line_at(start),
                        "malformed XML: closing tag without an opening one",
                    ));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    // An unknown entity (&nbsp; from HTML habits) should not sink a manifest.
                    match t.unescape() {
                        Ok(s) => top.text.push_str(&s),
                        Err(_) => top.text.push_str(&String::from_utf8_lossy(&t)),
                    }
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        let line = lines.line_at(text.len());
        return Err(Problem::at(
            file,
            line,
            format!(
                "malformed XML: the file ends before <{}> (opened on line {}) is closed",
                open.name, open.line
            ),
        ));
    }
    root.ok_or_else(|| Problem::new(file, "malformed XML: no root element"))
}

fn name_of(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn element(e: &BytesStart, line: u32, file: &str) -> Result<Element, Problem> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a =
            a.map_err(|err| Problem::at(file, line, format!("malformed XML attribute: {err}")))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        };
        attrs.push((key, value));
    }
    Ok(Element {
        name: name_of(e),
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

/// Turns byte offsets into line numbers; offsets are asked for in increasing order, so it only scans forward.
struct LineCounter<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.pos {
            let before = &self.text.as_bytes()[..offset];
            return 1 + before.iter().filter(|&&b| b == b'\n').count() as u32;
        }
        self.line += self.text.as_bytes()[self.pos..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        self.pos = offset;
        self.line
    }
}

/// Decodes a document to UTF-8: BOMs first, then the declared encoding; undeclared non-UTF-8
/// is tried as GBK, which is what Chinese Windows editors save as "ANSI".
fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return if had_errors {
            Err(format!("not valid {}", enc.name()))
        } else {
            Ok(text)
        };
    }
    if let Some(enc) = declared_encoding(bytes) {
        if enc != UTF_8 {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            return if had_errors {
                Err(format!("not valid {} as declared", enc.name()))
            } else {
                Ok(text)
            };
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(e) => {
            let (text, had_errors) = GBK.decode_without_bom_handling(bytes);
            if had_errors || declared_encoding(bytes).is_some() {
                let line = 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                Err(format!("line {line}: not valid UTF-8"))
            } else {
                Ok(text)
            }
        }
    }
}

fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(200)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    Encoding::for_label(label.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_keeps_lines_attributes_and_text() {
        let doc = "<?xml version=\"1.0\"?>\n<m:root xmlns:m=\"urn:x\" a=\"1 &amp; 2\">\n  <m:item ID=\"i\">\n    <title> Hello\n  world </title>\n  </m:item>\n  <empty/>\n</m:root>";
        let root = parse(doc.as_bytes(), "f.xml").unwrap();
        assert_eq!(root.name, "root");
        assert_eq!(root.line, 2);
        assert_eq!(root.attr("a"), Some("1 & 2"));
        assert_eq!(root.namespaces().collect::<Vec<_>>(), ["urn:x"]);
        let item = root.child("ITEM").unwrap();
        assert_eq!(item.line, 3);
        assert_eq!(item.attr("id"), Some("i"));
        assert_eq!(item.child("title").unwrap().text(), "Hello world");
        assert_eq!(root.child("empty").unwrap().line, 7);
        assert_eq!(
            item.to_json(),
            json!({"element": "item", "attributes": {"ID": "i"},
            "children": [{"element": "title", "text": "Hello world"}]})
        );
    }

    #[test]
    fn mismatched_and_unclosed_tags_report_lines() {
        let err = parse(b"<a>\n<b>\n</a>", "m.xml").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("m.xml", Some(3)), "{err}");
        let err = parse(b"<a>\n<b>\n", "m.xml").unwrap_err();
        assert!(err.message.contains("<b>"), "{err}");
        assert!(parse(b"", "m.xml").is_err());
    }

    #[test]
    fn declared_and_undeclared_gbk_are_decoded() {
        let (gbk, _, _) = GBK.encode("<?xml version=\"1.0\" encoding=\"GBK\"?><t>第一课</t>");
        assert_eq!(parse(&gbk, "x").unwrap().text(), "第一课");
        let (gbk, _, _) = GBK.encode("<t>第一课</t>");
        assert_eq!(parse(&gbk, "x").unwrap().text(), "第一课");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("<t>ü</t>".as_bytes());
        assert_eq!(parse(&bom, "x").unwrap().text(), "ü");
    }
}
