//! SCORM 1.2 and 2004 packages: the default organization's item tree, resources and launch paths.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::detect::IMS_MANIFEST;
use super::ims::{apply_parameters, based_href, lom_text};
use super::names::{is_absolute_url, split_query};
use super::activity_tree;
use super::sequencing;
use super::outline::{flatten, folder, playable_count, Node};
use super::scorm_runtime::item_runtime;
use super::source::View;
use super::xml::Element;
use crate::domain::prerequisites::Rule;
use super::{ItemKind, PackageFormat, ParsedItem, ParsedPackage, Problem};

struct Resource<'a> {
    el: &'a Element,
    /// xml:base of manifest, `<resources>` and the resource itself.
    bases: [Option<&'a str>; 3],
    /// href with the xml:base chain applied; `None` when the resource has none.
    href: Option<String>,
}

struct Cx<'a> {
    view: &'a View<'a>,
    resources: HashMap<String, Resource<'a>>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Missing paths already reported, so one absent file is one problem.
    missing: HashSet<String>,
}

pub(super) fn parse(
    view: &View,
    manifest: &Element,
    format: PackageFormat,
) -> Result<ParsedPackage, Vec<Problem>> {
    let mut cx = Cx {
        view,
        resources: HashMap::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        missing: HashSet::new(),
    };
    let manifest_base = manifest.attr_nonempty("base");
    cx.collect_resources(manifest, manifest_base);

    let org = cx.choose_organization(manifest);
    let nodes: Vec<Node> = match org {
        Some(org) => org
            .children_named("item")
            .filter_map(|i| cx.item(i))
            .collect(),
        None => Vec::new(),
    };
    cx.check_listed_files();
    let mut items = flatten(nodes);
    review_prerequisites(&mut items, format, &mut cx.warnings);
    let collection = manifest.child("sequencingCollection").map(Element::to_json);
    let mut activity_tree = None;
    if format == PackageFormat::Scorm2004 {
        sequencing::review(&mut items, collection.as_ref(), &mut cx.warnings);
        if let Some(org) = org {
            let kept: HashSet<&str> = items.iter().filter(|i| i.kind != ItemKind::Folder).map(|i| i.identifier.as_str()).collect();
            let tree = activity_tree::read(org, manifest.child("sequencingCollection"), &kept, &mut cx.warnings);
            activity_tree = serde_json::to_value(tree).ok();
        }
    }
    if cx.errors.is_empty() && playable_count(&items) == 0 {
        let line = org.map(|o| o.line).unwrap_or(manifest.line);
        cx.errors.push(Problem::at(
            IMS_MANIFEST,
            line,
            "no playable item: no item of the organization launches anything",
        ));
    }
    let (Some(org), true) = (org, cx.errors.is_empty()) else {
        cx.errors.sort_by_key(|p| p.line);
        return Err(cx.errors);
    };
    let title = org
        .child("title")
        .map(Element::text)
        .filter(|t| !t.is_empty())
        .or_else(|| lom_text(manifest, &["general", "title"]))
        .unwrap_or_default();
    Ok(ParsedPackage {
        format,
        title,
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
        metadata: {
            let mut m = metadata(manifest, org);
            let org_seq = org.child("sequencing").map(Element::to_json);
            m["controlMode"] = sequencing::control_mode(org_seq.as_ref(), collection.as_ref());
            if let Some(tree) = activity_tree {
                m["activityTree"] = tree;
            }
            m
        },
        root: String::new(),
        generated: Vec::new(),
    })
}

impl<'a> Cx<'a> {
    fn collect_resources(&mut self, manifest: &'a Element, manifest_base: Option<&'a str>) {
        let Some(resources) = manifest.child("resources") else {
            return;
        };
        let resources_base = resources.attr_nonempty("base");
        for el in resources.children_named("resource") {
            let Some(id) = el.attr_nonempty("identifier") else {
                self.errors.push(Problem::at(
                    IMS_MANIFEST,
                    el.line,
                    "<resource> has no identifier",
                ));
                continue;
            };
            if self.resources.contains_key(id) {
                self.warnings.push(Problem::at(
                    IMS_MANIFEST,
                    el.line,
                    format!("resource identifier `{id}` is used twice; the first one counts"),
                ));
                continue;
            }
            let bases = [manifest_base, resources_base, el.attr_nonempty("base")];
            let href = el.attr_nonempty("href").map(|h| based_href(&bases, h));
            self.resources
                .insert(id.to_owned(), Resource { el, bases, href });
        }
    }

    /// The default organization; the first when `default` is missing or names nothing.
    fn choose_organization(&mut self, manifest: &'a Element) -> Option<&'a Element> {
        let Some(orgs_el) = manifest.child("organizations") else {
            self.errors.push(Problem::at(
                IMS_MANIFEST,
                manifest.line,
                "the manifest has no <organizations>",
            ));
            return None;
        };
        let orgs: Vec<&Element> = orgs_el.children_named("organization").collect();
        for org in &orgs {
            if org.attr_nonempty("identifier").is_none() {
                self.errors.push(Problem::at(
                    IMS_MANIFEST,
                    org.line,
                    "<organization> has no identifier attribute, which SCORM requires",
                ));
            }
        }
        let first = orgs.first().copied();
        let Some(first) = first else {
            self.errors.push(Problem::at(
                IMS_MANIFEST,
                orgs_el.line,
                "<organizations> is empty: there is nothing to play",
            ));
            return None;
        };
        let Some(default) = orgs_el.attr_nonempty("default") else {
            return Some(first);
        };
        match orgs
            .iter()
            .find(|o| o.attr("identifier").map(str::trim) == Some(default))
        {
            Some(org) => Some(*org),
            None => {
                self.warnings.push(Problem::at(
                    IMS_MANIFEST,
                    orgs_el.line,
                    format!("the default organization `{default}` does not exist; using the first organization"),
                ));
                Some(first)
            }
        }
    }

    fn item(&mut self, el: &'a Element) -> Option<Node> {
        let Some(id) = el.attr_nonempty("identifier") else {
            self.errors.push(Problem::at(
                IMS_MANIFEST,
                el.line,
                "<item> has no identifier",
            ));
            return None;
        };
        let title = el
            .child("title")
            .map(Element::text)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| id.to_owned());
        let children: Vec<Node> = el
            .children_named("item")
            .filter_map(|c| self.item(c))
            .collect();
        let Some(rid) = el.attr_nonempty("identifierref") else {
            let mut item = folder(id, &title);
            // A hidden aggregation hides what is in it (see `ItemView::list`).
            if el.attr_nonempty("isvisible") == Some("false") {
                item.runtime["isvisible"] = json!(false);
            }
            return Some(Node { item, children });
        };
        let Some(resource) = self.resources.get(rid) else {
            self.warnings.push(Problem::at(
                IMS_MANIFEST,
                el.line,
                format!("item `{id}` (\"{title}\") refers to resource `{rid}`, which does not exist; the item is skipped"),
            ));
            return (!children.is_empty()).then(|| Node {
                item: folder(id, &title),
                children,
            });
        };
        let (res_el, href) = (resource.el, resource.href.clone());
        let launch = self.launch(id, rid, res_el, href, el.attr("parameters").unwrap_or(""))?;
        let runtime = item_runtime(el, res_el, rid);
        let kind = if runtime["scormType"] == json!("sco") {
            ItemKind::Sco
        } else {
            ItemKind::Asset
        };
        let item = ParsedItem {
            identifier: id.to_owned(),
            parent: None,
            title,
            title_en: None,
            kind,
            launch: Some(launch),
            captions: Vec::new(),
            duration_seconds: None,
            required: true,
            runtime,
        };
        Some(Node { item, children })
    }

    /// The launch path (with query) of an item, or an error recorded against its resource.
    fn launch(
        &mut self,
        id: &str,
        rid: &str,
        res: &Element,
        href: Option<String>,
        params: &str,
    ) -> Option<String> {
        let Some(href) = href else {
            let what = res
                .attr_nonempty("scormtype")
                .unwrap_or("resource")
                .to_ascii_lowercase();
            self.errors.push(Problem::at(
                IMS_MANIFEST,
                res.line,
                format!("resource `{rid}` ({what}, used by item `{id}`) has no href, so there is nothing to launch"),
            ));
            return None;
        };
        if is_absolute_url(&href) {
            return Some(apply_parameters(&href, params));
        }
        let (path, query) = split_query(&href);
        match self.view.resolve(path) {
            Some(actual) => Some(apply_parameters(&format!("{actual}{query}"), params)),
            None => {
                self.missing.insert(path.to_owned());
                self.errors.push(Problem::at(
                    IMS_MANIFEST,
                    res.line,
                    format!("launch file `{path}` of resource `{rid}` (item `{id}`) is not in the package"),
                ));
                None
            }
        }
    }

    /// Every `<file href>` must be in the package, and dependencies must name resources.
    fn check_listed_files(&mut self) {
        let mut problems = Vec::new();
        let mut resources: Vec<(&String, &Resource)> = self.resources.iter().collect();
        resources.sort_by_key(|(_, r)| r.el.line);
        for (rid, res) in resources {
            for file in res.el.children_named("file") {
                let Some(href) = file.attr_nonempty("href") else {
                    continue;
                };
                let full = based_href(&res.bases, href);
                if is_absolute_url(&full) {
                    continue;
                }
                let (path, _) = split_query(&full);
                if self.view.resolve(path).is_none() && self.missing.insert(path.to_owned()) {
                    problems.push(Problem::at(
                        IMS_MANIFEST,
                        file.line,
                        format!("file `{path}` listed by resource `{rid}` is not in the package"),
                    ));
                }
            }
            for dep in res.el.children_named("dependency") {
                let target = dep.attr_nonempty("identifierref").unwrap_or("");
                if !self.resources.contains_key(target) {
                    self.warnings.push(Problem::at(
                        IMS_MANIFEST,
                        dep.line,
                        format!("resource `{rid}` depends on `{target}`, which does not exist"),
                    ));
                }
            }
        }
        self.errors.append(&mut problems);
    }
}

/// Keeps the `adlcp:prerequisites` a learner can be held to: a SCORM 1.2 rule that parses
/// and names only items of the organization. Any other is dropped with a warning, so no
/// lesson is locked by a rule that can never hold (2004 has no such element).
fn review_prerequisites(items: &mut [ParsedItem], format: PackageFormat, warnings: &mut Vec<Problem>) {
    let known: HashSet<String> = items.iter().map(|i| i.identifier.clone()).collect();
    for item in items.iter_mut() {
        let Some(text) = item.runtime.get("prerequisites").and_then(Value::as_str).map(str::to_owned) else { continue };
        let problem = if format != PackageFormat::Scorm12 {
            Some("adlcp:prerequisites is SCORM 1.2 only".to_string())
        } else {
            match Rule::parse(&text) {
                Err(e) => Some(format!("it does not parse: {e}")),
                Ok(rule) => {
                    let unknown: Vec<&str> = rule.identifiers().into_iter().filter(|id| !known.contains(*id)).collect();
                    (!unknown.is_empty()).then(|| format!("it names items that are not in the organization: {}", unknown.join(", ")))
                }
            }
        };
        if let Some(problem) = problem {
            warnings.push(Problem::new(
                IMS_MANIFEST,
                format!("item `{}`: prerequisites \"{text}\" are ignored, the lesson is not locked: {problem}", item.identifier),
            ));
            if let Some(rt) = item.runtime.as_object_mut() {
                rt.remove("prerequisites");
            }
        }
    }
}

fn metadata(manifest: &Element, org: &Element) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.to_owned(), json!(v));
        }
    };
    put(
        "schema",
        manifest.path(&["metadata", "schema"]).map(Element::text),
    );
    put(
        "schemaversion",
        manifest
            .path(&["metadata", "schemaversion"])
            .map(Element::text),
    );
    put(
        "identifier",
        manifest.attr_nonempty("identifier").map(str::to_owned),
    );
    put(
        "version",
        manifest.attr_nonempty("version").map(str::to_owned),
    );
    put(
        "organization",
        org.attr_nonempty("identifier").map(str::to_owned),
    );
    put(
        "objectivesGlobalToSystem",
        org.attr_nonempty("objectivesGlobalToSystem")
            .map(str::to_owned),
    );
    put(
        "sharedDataGlobalToSystem",
        org.attr_nonempty("sharedDataGlobalToSystem")
            .map(str::to_owned),
    );
    if let Some(seq) = org.child("sequencing") {
        m.insert("organizationSequencing".into(), seq.to_json());
    }
    if let Some(coll) = manifest.child("sequencingCollection") {
        m.insert("sequencingCollection".into(), coll.to_json());
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests;
