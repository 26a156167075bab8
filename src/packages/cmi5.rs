//! cmi5 course structures (`cmi5.xml`): blocks become folders, assignable units become lessons.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::names::{is_absolute_url, split_query};
use super::outline::{flatten, folder, playable_count, Node};
use super::source::View;
use super::xml::{self, Element};
use super::{ItemKind, PackageFormat, ParsedItem, ParsedPackage, Problem};

const FILE: &str = "cmi5.xml";

/// A langstring choice: the text shown, its language, and the English text when that differs.
struct Picked {
    text: String,
    lang: Option<String>,
    en: Option<String>,
}

/// Picks zh-CN, then any zh, then en, then the first langstring: the audience reads Chinese.
fn pick_langstring(parent: Option<&Element>) -> Option<Picked> {
    let strings: Vec<(String, String)> = parent?
        .children_named("langstring")
        .map(|l| (l.attr("lang").unwrap_or("").trim().to_owned(), l.text()))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let lower = |l: &str| l.to_ascii_lowercase();
    let find = |pred: &dyn Fn(&str) -> bool| strings.iter().find(|(l, _)| pred(&lower(l)));
    let chosen = find(&|l| l == "zh-cn" || l == "zh-hans-cn")
        .or_else(|| find(&|l| l == "zh" || l.starts_with("zh-")))
        .or_else(|| find(&|l| l == "en" || l.starts_with("en-")))
        .or_else(|| strings.first())?;
    let en = find(&|l| l == "en" || l.starts_with("en-"))
        .filter(|(l, _)| *l != chosen.0)
        .map(|(_, t)| t.clone());
    Some(Picked {
        text: chosen.1.clone(),
        lang: Some(chosen.0.clone()).filter(|l| !l.is_empty()),
        en,
    })
}

struct Cx<'a> {
    view: &'a View<'a>,
    errors: Vec<Problem>,
    ids: HashSet<String>,
}

pub(super) fn parse(view: &View) -> Result<ParsedPackage, Vec<Problem>> {
    let bytes = view.read(FILE).map_err(|p| vec![p])?;
    let root = xml::parse(&bytes, FILE).map_err(|p| vec![p])?;
    if root.name != "courseStructure" {
        let msg = format!("the root element is <{}>, not <courseStructure>", root.name);
        return Err(vec![Problem::at(FILE, root.line, msg)]);
    }
    let mut cx = Cx {
        view,
        errors: Vec::new(),
        ids: HashSet::new(),
    };
    let Some(course) = root.child("course") else {
        return Err(vec![Problem::at(
            FILE,
            root.line,
            "<courseStructure> has no <course>",
        )]);
    };
    let course_id = course.attr_nonempty("id").unwrap_or("").to_owned();
    if course_id.is_empty() {
        cx.errors
            .push(Problem::at(FILE, course.line, "<course> has no id"));
    }
    let nodes = cx.children(&root);
    let items = flatten(nodes);
    if cx.errors.is_empty() && playable_count(&items) == 0 {
        cx.errors.push(Problem::at(
            FILE,
            root.line,
            "the course has no assignable unit (<au>)",
        ));
    }
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let title = pick_langstring(course.child("title"));
    let description = pick_langstring(course.child("description"));
    let mut metadata = Map::new();
    metadata.insert("courseId".into(), json!(course_id));
    if let Some(objectives) = root.child("objectives") {
        metadata.insert("objectives".into(), objectives.to_json());
    }
    Ok(ParsedPackage {
        format: PackageFormat::Cmi5,
        language: title.as_ref().and_then(|t| t.lang.clone()),
        title_en: title.as_ref().and_then(|t| t.en.clone()),
        title: title.map(|t| t.text).unwrap_or_default(),
        description_en: description.as_ref().and_then(|d| d.en.clone()),
        description: description.map(|d| d.text).unwrap_or_default(),
        subject: None,
        grade: None,
        slug: None,
        items,
        warnings: Vec::new(),
        files: Vec::new(),
        metadata: Value::Object(metadata),
        root: String::new(),
        generated: Vec::new(),
    })
}

impl Cx<'_> {
    fn children(&mut self, parent: &Element) -> Vec<Node> {
        let mut nodes = Vec::new();
        for el in &parent.children {
            let node = match el.name.as_str() {
                "block" => self.block(el),
                "au" => self.au(el),
                _ => None,
            };
            nodes.extend(node);
        }
        nodes
    }

    fn id(&mut self, el: &Element) -> Option<String> {
        let Some(id) = el.attr_nonempty("id") else {
            self.errors.push(Problem::at(
                FILE,
                el.line,
                format!("<{}> has no id", el.name),
            ));
            return None;
        };
        if !self.ids.insert(id.to_owned()) {
            self.errors.push(Problem::at(
                FILE,
                el.line,
                format!("id `{id}` is used more than once"),
            ));
        }
        Some(id.to_owned())
    }

    fn block(&mut self, el: &Element) -> Option<Node> {
        let id = self.id(el)?;
        let title = pick_langstring(el.child("title"));
        let mut item = folder(&id, title.as_ref().map(|t| t.text.as_str()).unwrap_or(&id));
        item.title_en = title.and_then(|t| t.en);
        Some(Node {
            item,
            children: self.children(el),
        })
    }

    fn au(&mut self, el: &Element) -> Option<Node> {
        let id = self.id(el)?;
        let url = el.child("url").map(Element::text).unwrap_or_default();
        if url.is_empty() {
            self.errors.push(Problem::at(
                FILE,
                el.line,
                format!("assignable unit `{id}` has no <url>"),
            ));
            return None;
        }
        let launch = self.launch(&id, &url, el.child("url").map_or(el.line, |u| u.line))?;
        let mut rt = Map::new();
        rt.insert("auId".into(), json!(id));
        rt.insert("url".into(), json!(url));
        rt.insert(
            "moveOn".into(),
            json!(el.attr_nonempty("moveOn").unwrap_or("NotApplicable")),
        );
        rt.insert(
            "launchMethod".into(),
            json!(el.attr_nonempty("launchMethod").unwrap_or("AnyWindow")),
        );
        if let Some(score) = el.attr_nonempty("masteryScore") {
            match score.parse::<f64>() {
                Ok(s) if (0.0..=1.0).contains(&s) => {
                    rt.insert("masteryScore".into(), json!(s));
                }
                _ => self.errors.push(Problem::at(
                    FILE,
                    el.line,
                    format!("assignable unit `{id}`: masteryScore `{score}` is not a number from 0 to 1"),
                )),
            }
        }
        if let Some(t) = el.attr_nonempty("activityType") {
            rt.insert("activityType".into(), json!(t));
        }
        for (tag, key) in [
            ("launchParameters", "launchParameters"),
            ("entitlementKey", "entitlementKey"),
        ] {
            if let Some(text) = el.child(tag).map(Element::text).filter(|t| !t.is_empty()) {
                rt.insert(key.into(), json!(text));
            }
        }
        if let Some(objectives) = el.child("objectives") {
            rt.insert("objectives".into(), objectives.to_json());
        }
        let title = pick_langstring(el.child("title"));
        let item = ParsedItem {
            identifier: id.clone(),
            parent: None,
            title: title
                .as_ref()
                .map(|t| t.text.clone())
                .unwrap_or_else(|| id.clone()),
            title_en: title.and_then(|t| t.en),
            kind: ItemKind::Cmi5Au,
            launch,
            captions: Vec::new(),
            duration_seconds: None,
            required: true,
            runtime: Value::Object(rt),
        };
        Some(Node::leaf(item))
    }

    /// `Some(None)` for absolute http(s) URLs (kept in runtime.url), `Some(Some(path))` for
    /// files in the package, `None` after recording an error.
    fn launch(&mut self, id: &str, url: &str, line: u32) -> Option<Option<String>> {
        if is_absolute_url(url) {
            let lower = url.to_ascii_lowercase();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                return Some(None);
            }
            let msg = format!(
                "assignable unit `{id}`: url `{url}` is neither a path in the package nor http(s)"
            );
            self.errors.push(Problem::at(FILE, line, msg));
            return None;
        }
        let (path, query) = split_query(url);
        match self.view.resolve(path) {
            Some(actual) => Some(Some(format!("{actual}{query}"))),
            None => {
                let msg =
                    format!("assignable unit `{id}`: launch file `{path}` is not in the package");
                self.errors.push(Problem::at(FILE, line, msg));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
