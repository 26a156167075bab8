//! IMS Common Cartridge 1.1–1.3: web content, files and web links become lessons, discussion
//! topics read-only pages ([`discussion`]), QTI assessments quizzes played by the server
//! ([`qti`]); the pages' placeholder links are rewritten at import ([`links`]). LTI links and
//! other types are skipped with a warning.

mod discussion;
mod links;
mod qti;

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::detect::IMS_MANIFEST;
use super::ims::{based_href, lom_text};
use super::names::{file_stem, is_absolute_url, split_query};
use super::outline::{flatten, folder, playable_count, Node};
use super::plain::html_title;
use super::source::View;
use super::xml::{self, Element};
use super::{GeneratedFile, ItemKind, PackageFormat, ParsedItem, ParsedPackage, Problem};
use links::{relative_url, safe_name, Targets};

/// The largest page whose links are rewritten; a bigger one is stored as it is, with a warning.
const MAX_REWRITTEN_PAGE: u64 = 8 << 20;

struct Resource<'a> {
    el: &'a Element,
    id: &'a str,
    kind: &'a str,
    href: Option<String>,
    bases: [Option<&'a str>; 3],
}

/// A discussion topic read at import, with the page it becomes.
struct TopicPage {
    path: String,
    title: String,
}

/// An assessment read at import: its quiz, its file and the files that must not be served.
struct QuizFile {
    read: qti::ReadQuiz,
    source: String,
    withheld: Vec<String>,
}

struct Cx<'a> {
    view: &'a View<'a>,
    warnings: Vec<Problem>,
    discussions: HashMap<String, TopicPage>,
    quizzes: HashMap<String, QuizFile>,
    /// Quiz resources whose notes became warnings already (a quiz listed twice warns once).
    quiz_warned: HashSet<String>,
}

pub(super) fn parse(view: &View, manifest: &Element) -> Result<ParsedPackage, Vec<Problem>> {
    let mut cx = Cx {
        view,
        warnings: Vec::new(),
        discussions: HashMap::new(),
        quizzes: HashMap::new(),
        quiz_warned: HashSet::new(),
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
    let generated_dir = generated_dir(view);
    let topics = cx.read_resources(&order, &resources, &generated_dir);
    let mut targets = targets(view, &order, &resources, &cx, org, &generated_dir);
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
    let generated = cx.generate(topics, &order, &resources, &mut targets);
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
        generated,
    })
}

/// Folder for the pages made at import, clear of the cartridge's own files.
fn generated_dir(view: &View) -> String {
    (1..)
        .map(|n| if n == 1 { "courseware-cc/".to_owned() } else { format!("courseware-cc-{n}/") })
        .find(|dir| !view.files().iter().any(|f| f.starts_with(dir.as_str())))
        .unwrap_or_default()
}

/// Where each resource (and each item that points at one) plays, for links between them.
fn targets<'a>(
    view: &'a View<'a>,
    order: &[&str],
    resources: &HashMap<&str, Resource>,
    cx: &Cx,
    org: Option<&Element>,
    generated_dir: &str,
) -> Targets<'a> {
    let mut t = Targets {
        view,
        by_id: HashMap::new(),
        by_page: HashMap::new(),
        quizzes: HashMap::new(),
        missing_page: format!("{generated_dir}missing-link.html"),
        generated_dir: generated_dir.to_owned(),
        quiz_pages_used: HashSet::new(),
        missing_page_used: false,
    };
    for id in order {
        let res = &resources[id];
        match classify(res.kind) {
            Type::Content => {
                let Some(path) = res.href.as_deref().and_then(|h| view.resolve(split_query(h).0)) else { continue };
                if ItemKind::from_path(&path) == ItemKind::Html {
                    t.by_page.insert(file_stem(&path).to_lowercase(), path.clone());
                }
                t.by_id.insert((*id).to_owned(), path);
            }
            Type::Discussion => {
                if let Some(made) = cx.discussions.get(*id) {
                    t.by_id.insert((*id).to_owned(), made.path.clone());
                }
            }
            Type::Assessment => {
                if cx.quizzes.get(*id).is_some_and(|q| q.read.quiz.is_some()) {
                    t.quizzes.insert((*id).to_owned(), (*id).to_owned());
                }
            }
            _ => {}
        }
    }
    let mut stack: Vec<&Element> = org.map(|o| o.children_named("item").collect()).unwrap_or_default();
    while let Some(item) = stack.pop() {
        stack.extend(item.children_named("item"));
        let (Some(id), Some(rid)) = (item.attr_nonempty("identifier"), item.attr_nonempty("identifierref")) else { continue };
        if let Some(path) = t.by_id.get(rid).cloned() {
            t.by_id.entry(id.to_owned()).or_insert(path);
        } else if t.quizzes.contains_key(rid) {
            t.quizzes.insert(id.to_owned(), rid.to_owned());
        }
    }
    t
}

/// What a resource type is, for the lessons we make and the warnings we give.
enum Type {
    Content,
    WebLink,
    Discussion,
    Assessment,
    Unsupported(&'static str),
}

fn classify(kind: &str) -> Type {
    let k = kind.to_ascii_lowercase();
    if k == "webcontent" || k.contains("learning-application-resource") {
        Type::Content
    } else if k.starts_with("imswl_xmlv1p") {
        Type::WebLink
    } else if k.starts_with("imsdt_xmlv1p") {
        Type::Discussion
    } else if k.contains("question-bank") {
        Type::Unsupported("a question bank (questions for quizzes to draw from, not a quiz)")
    } else if k.starts_with("imsqti_xmlv1p") || k.contains("assessment") {
        Type::Assessment
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
            Type::Discussion => self.discussion(res)?,
            Type::Assessment => self.quiz(res, el.line, &label)?,
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

    /// The XML file a discussion, assessment or web link resource keeps its content in.
    fn resource_file(&self, res: &Resource) -> Option<String> {
        let href = res.el.child("file").and_then(|f| f.attr_nonempty("href")).map(|h| based_href(&res.bases, h)).or_else(|| res.href.clone())?;
        self.view.resolve(&href)
    }

    fn read_xml(&mut self, res: &Resource, what: &str) -> Option<(String, Element)> {
        let Some(file) = self.resource_file(res) else {
            let msg = format!("{what} `{}` has no file in the package; skipped", res.id);
            self.warnings.push(Problem::at(IMS_MANIFEST, res.el.line, msg));
            return None;
        };
        match self.view.read(&file).and_then(|b| xml::parse(&b, &file)) {
            Ok(root) => Some((file, root)),
            Err(p) => {
                self.warnings.push(p);
                None
            }
        }
    }

    /// Reads every discussion topic and assessment up front, so that links from any page can
    /// lead to them; returns the topics, whose pages are made once all targets are known.
    fn read_resources(&mut self, order: &[&str], resources: &HashMap<&str, Resource>, generated_dir: &str) -> Vec<(String, String, discussion::Topic)> {
        let mut topics = Vec::new();
        let mut names = HashSet::new();
        for id in order {
            let res = &resources[id];
            match classify(res.kind) {
                Type::Discussion => {
                    let Some((file, root)) = self.read_xml(res, "discussion") else { continue };
                    let topic = discussion::read_topic(&root);
                    let mut name = format!("discussion-{}", safe_name(res.id));
                    while !names.insert(name.clone()) {
                        name.push('_');
                    }
                    let title = if topic.title.is_empty() { res.id.to_owned() } else { topic.title.clone() };
                    self.discussions.insert(res.id.to_owned(), TopicPage { path: format!("{generated_dir}{name}.html"), title });
                    topics.push((res.id.to_owned(), file, topic));
                }
                Type::Assessment => {
                    let Some((source, root)) = self.read_xml(res, "assessment") else { continue };
                    // The question files, not the images beside them that questions show.
                    let answers = |path: &String| [".xml", ".qti"].iter().any(|ext| path.to_ascii_lowercase().ends_with(ext));
                    let mut withheld: Vec<String> = res.el.children_named("file").filter_map(|f| f.attr_nonempty("href")).filter_map(|h| self.view.resolve(&based_href(&res.bases, h))).filter(answers).collect();
                    // Canvas keeps a second copy with the answers in a dependency (`non_cc_assessments/`).
                    for dep in res.el.children_named("dependency").filter_map(|d| d.attr_nonempty("identifierref")) {
                        if let Some(dep) = resources.get(dep).filter(|d| !matches!(classify(d.kind), Type::Content) || d.kind.contains("learning-application")) {
                            withheld.extend(dep.el.children_named("file").filter_map(|f| f.attr_nonempty("href")).filter_map(|h| self.view.resolve(&based_href(&dep.bases, h))).filter(answers));
                        }
                    }
                    let mut read = qti::read_assessment(&root);
                    self.resolve_images(&mut read, dir_of(&source));
                    self.quizzes.insert(res.id.to_owned(), QuizFile { read, source, withheld });
                }
                _ => {}
            }
        }
        topics
    }

    /// Question images as package paths (the quiz page shows them from the version's files);
    /// those not in the package are left out with a note.
    fn resolve_images(&self, read: &mut qti::ReadQuiz, own_dir: &str) {
        let Some(quiz) = read.quiz.as_mut() else { return };
        for q in &mut quiz.questions {
            let mut found = Vec::new();
            for src in std::mem::take(&mut q.images) {
                match links::resolve_file(&src, own_dir, self.view) {
                    Some(path) if !found.contains(&path) => found.push(path),
                    Some(_) => {}
                    None => read.notes.push(format!("question `{}`: its image `{src}` is not in the package; left out", q.id)),
                }
            }
            q.images = found;
        }
    }

    /// A discussion topic as a lesson: the read-only page made for it.
    fn discussion(&self, res: &Resource) -> Option<ParsedItem> {
        let made = self.discussions.get(res.id)?;
        let mut item = lesson(res, ItemKind::Html, &made.title);
        item.launch = Some(made.path.clone());
        Some(item)
    }

    /// An assessment as a quiz lesson, scored on the server; its files are never served.
    fn quiz(&mut self, res: &Resource, line: u32, label: &str) -> Option<ParsedItem> {
        let found = self.quizzes.get(res.id)?;
        let title = if found.read.title.is_empty() { label.to_owned() } else { found.read.title.clone() };
        if self.quiz_warned.insert(res.id.to_owned()) {
            for note in &found.read.notes {
                self.warnings.push(Problem::new(&found.source, format!("quiz \"{title}\": {note}")));
            }
            if found.read.quiz.is_none() {
                let msg = format!("quiz \"{label}\" (`{}`) has no question this server can play; skipped", res.id);
                self.warnings.push(Problem::at(IMS_MANIFEST, line, msg));
            }
        }
        let quiz = found.read.quiz.as_ref()?;
        let mut item = lesson(res, ItemKind::Quiz, &title);
        item.runtime["quiz"] = json!(quiz);
        item.runtime["source"] = json!(found.source);
        item.runtime["withheld"] = json!(found.withheld);
        Some(item)
    }

    /// The files made at import: discussion pages, pages whose placeholder links were
    /// rewritten, and the pages those links may lead to.
    fn generate(&mut self, topics: Vec<(String, String, discussion::Topic)>, order: &[&str], resources: &HashMap<&str, Resource>, targets: &mut Targets) -> Vec<GeneratedFile> {
        let mut out = Vec::new();
        for (id, file, topic) in topics {
            let made = &self.discussions[&id];
            let (page, title) = (made.path.clone(), made.title.clone());
            let own_dir = dir_of(&file);
            let prompt = links::rewrite(&topic.prompt, &page, own_dir, targets);
            let mut unresolved = prompt.unresolved;
            let attachments = topic.attachments.iter().filter_map(|href| {
                let name = href.rsplit('/').next().unwrap_or(href).to_owned();
                if links::has_placeholders(href.as_bytes()) {
                    let r = links::rewrite(href, &page, own_dir, targets);
                    unresolved.extend(r.unresolved);
                    return Some((r.text, name));
                }
                match self.view.resolve(&format!("{own_dir}{href}")).or_else(|| self.view.resolve(href)) {
                    Some(path) => Some((relative_url(&page, &path), name)),
                    None => {
                        unresolved.push(href.clone());
                        None
                    }
                }
            }).collect::<Vec<_>>();
            self.warn_unresolved(&file, &unresolved);
            out.push(GeneratedFile { path: page, bytes: discussion::page(&title, &prompt.text, &attachments).into_bytes() });
        }
        let mut pages: Vec<String> = Vec::new();
        for id in order {
            let res = &resources[id];
            if !matches!(classify(res.kind), Type::Content) {
                continue;
            }
            let hrefs = res.href.iter().cloned().chain(res.el.children_named("file").filter_map(|f| f.attr_nonempty("href")).map(|h| based_href(&res.bases, h)));
            for href in hrefs {
                let Some(path) = self.view.resolve(split_query(&href).0) else { continue };
                if ItemKind::from_path(&path) == ItemKind::Html && !pages.contains(&path) {
                    pages.push(path);
                }
            }
        }
        for page in pages {
            if let Some(file) = self.rewrite_page(&page, targets) {
                out.push(file);
            }
        }
        for id in std::mem::take(&mut targets.quiz_pages_used) {
            let title = self.quizzes.get(&id).map(|q| q.read.title.clone()).filter(|t| !t.is_empty()).unwrap_or_else(|| id.clone());
            let zh = format!("“{title}”是本课程的一个测验，请在课程目录中打开它作答。");
            let en = format!("“{title}” is a quiz of this course: open it from the course's list of lessons to take it.");
            out.push(GeneratedFile { path: targets.quiz_page(&id), bytes: discussion::notice_page(&title, &zh, &en).into_bytes() });
        }
        if targets.missing_page_used {
            let page = discussion::notice_page(
                "链接无法打开 · Link not available",
                "这个链接指向原课程中的内容，但课程包里没有包含它。",
                "This link pointed to something in the original course that the course package does not include.",
            );
            out.push(GeneratedFile { path: targets.missing_page.clone(), bytes: page.into_bytes() });
        }
        out
    }

    /// A page of the cartridge with its placeholder links rewritten, if it has any.
    fn rewrite_page(&mut self, page: &str, targets: &mut Targets) -> Option<GeneratedFile> {
        if self.view.size(page).is_some_and(|n| n > MAX_REWRITTEN_PAGE) {
            let msg = format!("page is over {} MB, so its $IMS-CC-FILEBASE$ links were not rewritten", MAX_REWRITTEN_PAGE >> 20);
            self.warnings.push(Problem::new(page, msg));
            return None;
        }
        let bytes = self.view.read(page).ok()?;
        if !links::has_placeholders(&bytes) {
            return None;
        }
        let Ok(html) = std::str::from_utf8(&bytes) else {
            self.warnings.push(Problem::new(page, "page is not UTF-8, so its $IMS-CC-FILEBASE$ links were not rewritten"));
            return None;
        };
        let r = links::rewrite(html, page, dir_of(page), targets);
        self.warn_unresolved(page, &r.unresolved);
        r.changed.then(|| GeneratedFile { path: page.to_owned(), bytes: r.text.into_bytes() })
    }

    fn warn_unresolved(&mut self, file: &str, unresolved: &[String]) {
        if unresolved.is_empty() {
            return;
        }
        let shown: Vec<&str> = unresolved.iter().take(5).map(String::as_str).collect();
        let more = if unresolved.len() > 5 { format!(" and {} more", unresolved.len() - 5) } else { String::new() };
        let msg = format!(
            "{} link(s) lead to nothing in the cartridge ({}{more}); they now open a page saying so",
            unresolved.len(),
            shown.join(", ")
        );
        self.warnings.push(Problem::new(file, msg));
    }

    /// Fallback lesson from a resource the organization did not list: pages, PDFs, media,
    /// discussions and quizzes.
    fn loose_resource(&mut self, res: &Resource) -> Option<Node> {
        match classify(res.kind) {
            Type::Content => {}
            Type::Discussion => return self.discussion(res).map(Node::leaf),
            Type::Assessment => return self.quiz(res, res.el.line, res.id).map(Node::leaf),
            _ => return None,
        }
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

/// "" or "dir/": the folder of a package path.
fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
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
