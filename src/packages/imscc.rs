//! IMS Common Cartridge 1.1–1.3: web content, files and web links become lessons; discussions,
//! assessments and LTI links are skipped with a warning.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::detect::IMS_MANIFEST;
use super::ims::{based_href, lom_text};
use super::names::{file_stem, is_absolute_url, split_query};
use super::outline::{flatten, folder, playable_count, Node};
use super::plain::html_title;
use super::source::View;
use super::xml::{self, Element};
use super::{ItemKind, PackageFormat, ParsedItem, ParsedPackage, Problem};

struct Resource<'a> {
    el: &'a Element,
    id: &'a str,
    kind: &'a str,
    href: Option<String>,
    bases: [Option<&'a str>; 3],
}

struct Cx<'a> {
    view: &'a View<'a>,
    warnings: Vec<Problem>,
}

pub(super) fn parse(view: &View, manifest: &Element) -> Result<ParsedPackage, Vec<Problem>> {
    let mut cx = Cx {
        view,
        warnings: Vec::new(),
    };
    let manifest_base = manifest.attr_nonempty("base");
    let mut order = Vec::new();
    let mut resources = HashMap::new();
    if let Some(list) = manifest.child("resources") {
        for el in list.children_named("resource") {
            let Some(id) = el.attr_nonempty("identifier") else {
                continue;
            };
            let bases = [
                manifest_base,
                list.attr_nonempty("base"),
                el.attr_nonempty("base"),
            ];
            let href = el.attr_nonempty("href").map(|h| based_href(&bases, h));
            let kind = el.attr("type").unwrap_or("").trim();
            if !resources.contains_key(id) {
                order.push(id);
                resources.insert(
                    id,
                    Resource {
                        el,
                        id,
                        kind,
                        href,
                        bases,
                    },
                );
            }
        }
    }

    let org = manifest.path(&["organizations", "organization"]);
    let mut top: Vec<&Element> = org
        .map(|o| o.children_named("item").collect())
        .unwrap_or_default();
    // A rooted hierarchy wraps everything in one untitled item; its children are the real top level.
    if let [root] = top.as_slice() {
        if root.attr_nonempty("identifierref").is_none()
            && root.child("title").is_none_or(|t| t.text().is_empty())
        {
            top = root.children_named("item").collect();
        }
    }
    let nodes: Vec<Node> = top
        .into_iter()
        .filter_map(|i| cx.item(i, &resources))
        .collect();
    let mut items = flatten(nodes);

    if playable_count(&items) == 0 {
        // Canvas exports often leave the organization empty and list pages only as resources.
        let fallback: Vec<Node> = order
            .iter()
            .filter_map(|id| cx.loose_resource(&resources[id]))
            .collect();
        if !fallback.is_empty() {
            let n = fallback.len();
            let lessons = if n == 1 {
                "1 lesson was".to_owned()
            } else {
                format!("{n} lessons were")
            };
            cx.warnings.push(Problem::new(
                IMS_MANIFEST,
                format!("the organization lists nothing to play; {lessons} taken from the resources in manifest order"),
            ));
        }
        items = flatten(fallback);
    }
    if playable_count(&items) == 0 {
        let mut problems = vec![Problem::at(
            IMS_MANIFEST,
            manifest.line,
            "the cartridge has no page, file or link to play",
        )];
        problems.append(&mut cx.warnings);
        return Err(problems);
    }

    let mut metadata = Map::new();
    for (key, value) in [
        (
            "schema",
            manifest.path(&["metadata", "schema"]).map(Element::text),
        ),
        (
            "schemaversion",
            manifest
                .path(&["metadata", "schemaversion"])
                .map(Element::text),
        ),
        (
            "identifier",
            manifest.attr_nonempty("identifier").map(str::to_owned),
        ),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            metadata.insert(key.into(), json!(v));
        }
    }
    Ok(ParsedPackage {
        format: PackageFormat::ImsCc,
        title: lom_text(manifest, &["general", "title"]).unwrap_or_default(),
        title_en: None,
        description: lom_text(manifest, &["general", "description"]).unwrap_or_default(),
        description_en: None,
        subject: None,
        grade: None,
        language: lom_text(manifest, &["general", "language"]),
        slug: None,
        items,
        warnings: cx.warnings,
        files: Vec::new(),
        metadata: Value::Object(metadata),
        root: String::new(),
    })
}

/// What a resource type is, for the lessons we make and the warnings we give.
enum Type {
    Content,
    WebLink,
    Unsupported(&'static str),
}

fn classify(kind: &str) -> Type {
    let k = kind.to_ascii_lowercase();
    if k == "webcontent" || k.contains("learning-application-resource") {
        Type::Content
    } else if k.starts_with("imswl_xmlv1p") {
        Type::WebLink
    } else if k.starts_with("imsdt_xmlv1p") {
        Type::Unsupported("a discussion topic")
    } else if k.starts_with("imsqti_xmlv1p") || k.contains("assessment") {
        Type::Unsupported("an assessment")
    } else if k.starts_with("imsbasiclti_xmlv1p") {
        Type::Unsupported("an LTI link")
    } else {
        Type::Unsupported("of an unsupported type")
    }
}

impl<'a> Cx<'a> {
    fn item(&mut self, el: &Element, resources: &HashMap<&str, Resource>) -> Option<Node> {
        let id = el.attr_nonempty("identifier").unwrap_or("");
        let title = el
            .child("title")
            .map(Element::text)
            .filter(|t| !t.is_empty());
        let children: Vec<Node> = el
            .children_named("item")
            .filter_map(|c| self.item(c, resources))
            .collect();
        let Some(rid) = el.attr_nonempty("identifierref") else {
            let title = title.unwrap_or_else(|| id.to_owned());
            return Some(Node {
                item: folder(id, &title),
                children,
            });
        };
        let label = title.clone().unwrap_or_else(|| id.to_owned());
        let Some(res) = resources.get(rid) else {
            let msg = format!("item `{id}` (\"{label}\") refers to resource `{rid}`, which does not exist; skipped");
            self.warnings.push(Problem::at(IMS_MANIFEST, el.line, msg));
            return None;
        };
        let mut item = match classify(res.kind) {
            Type::Content => self.content(res, el.line, Some(&label))?,
            Type::WebLink => self.weblink(res, el.line)?,
            Type::Unsupported(what) => {
                let msg = format!("item \"{label}\" (`{id}`) is {what} ({}), which this server does not play; skipped", res.kind);
                self.warnings.push(Problem::at(IMS_MANIFEST, el.line, msg));
                return None;
            }
        };
        item.identifier = id.to_owned();
        if let Some(t) = title {
            item.title = t;
        }
        Some(Node { item, children })
    }

    /// A page or file resource as a lesson; `None` (with a warning) if its file is missing.
    fn content(&mut self, res: &Resource, line: u32, label: Option<&str>) -> Option<ParsedItem> {
        let who = match label {
            Some(label) => format!("\"{label}\": resource `{}`", res.id),
            None => format!("resource `{}`", res.id),
        };
        let Some(href) = &res.href else {
            self.warnings.push(Problem::at(
                IMS_MANIFEST,
                line,
                format!("{who} has no href; skipped"),
            ));
            return None;
        };
        let (path, query) = split_query(href);
        let Some(actual) = self.view.resolve(path) else {
            let msg = format!("{who}: file `{path}` is not in the package; skipped");
            self.warnings.push(Problem::at(IMS_MANIFEST, line, msg));
            return None;
        };
        let mut item = lesson(res, ItemKind::from_path(&actual), file_stem(&actual));
        item.launch = Some(format!("{actual}{query}"));
        Some(item)
    }

    /// A web link: the URL lives in the resource's own XML file.
    fn weblink(&mut self, res: &Resource, line: u32) -> Option<ParsedItem> {
        let file = res
            .el
            .child("file")
            .and_then(|f| f.attr_nonempty("href"))
            .map(|h| based_href(&res.bases, h))
            .or_else(|| res.href.clone());
        let parsed = file
            .as_deref()
            .and_then(|f| self.view.resolve(f))
            .ok_or_else(|| {
                Problem::at(
                    IMS_MANIFEST,
                    line,
                    format!("web link `{}` has no link file; skipped", res.id),
                )
            })
            .and_then(|f| xml::parse(&self.view.read(&f)?, &f));
        let link = match parsed {
            Ok(link) => link,
            Err(p) => {
                self.warnings.push(p);
                return None;
            }
        };
        let url = link
            .child("url")
            .and_then(|u| u.attr_nonempty("href"))
            .unwrap_or("");
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            let msg = format!(
                "web link `{}` has no http(s) URL (`{url}`); skipped",
                res.id
            );
            self.warnings.push(Problem::at(IMS_MANIFEST, line, msg));
            return None;
        }
        let title = link
            .child("title")
            .map(Element::text)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| url.to_owned());
        let mut item = lesson(res, ItemKind::Link, &title);
        item.runtime["href"] = json!(url);
        if let Some(target) = link.child("url").and_then(|u| u.attr_nonempty("target")) {
            item.runtime["target"] = json!(target);
        }
        Some(item)
    }

    /// Fallback lesson from a resource the organization did not list: pages, PDFs and media only.
    fn loose_resource(&mut self, res: &Resource) -> Option<Node> {
        let Type::Content = classify(res.kind) else {
            return None;
        };
        let (path, _) = split_query(res.href.as_deref()?);
        if is_absolute_url(path) || !is_playable(path) {
            return None;
        }
        let mut item = self.content(res, res.el.line, None)?;
        let launch = item.launch.clone().unwrap_or_default();
        if item.kind == ItemKind::Html {
            if let Some(t) = html_title(self.view, split_query(&launch).0) {
                item.title = t;
            }
        }
        item.identifier = res.id.to_owned();
        Some(Node::leaf(item))
    }
}

fn is_playable(path: &str) -> bool {
    matches!(
        ItemKind::from_path(path),
        ItemKind::Html | ItemKind::Pdf | ItemKind::Video | ItemKind::Audio
    )
}

fn lesson(res: &Resource, kind: ItemKind, title: &str) -> ParsedItem {
    ParsedItem {
        identifier: res.id.to_owned(),
        parent: None,
        title: title.to_owned(),
        title_en: None,
        kind,
        launch: None,
        captions: Vec::new(),
        duration_seconds: None,
        required: true,
        runtime: json!({ "resource": res.id, "resourceType": res.kind }),
    }
}

#[cfg(test)]
mod tests;
