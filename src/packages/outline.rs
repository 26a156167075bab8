//! Building the flat, pre-ordered item list from a parsed tree, dropping folders with nothing to play.

use super::{ItemKind, ParsedItem};

/// An item with its children, before flattening.
pub(super) struct Node {
    pub item: ParsedItem,
    pub children: Vec<Node>,
}

impl Node {
    pub fn leaf(item: ParsedItem) -> Node {
        Node {
            item,
            children: Vec::new(),
        }
    }

    fn plays_something(&self) -> bool {
        self.item.kind != ItemKind::Folder || self.children.iter().any(Node::plays_something)
    }
}

/// A folder item with the fields that folders never use left empty.
pub(super) fn folder(identifier: &str, title: &str) -> ParsedItem {
    ParsedItem {
        identifier: identifier.to_owned(),
        parent: None,
        title: title.to_owned(),
        title_en: None,
        kind: ItemKind::Folder,
        launch: None,
        captions: Vec::new(),
        duration_seconds: None,
        required: true,
        runtime: serde_json::json!({}),
    }
}

/// Pre-order flattening with `parent` indexes; empty folders vanish (a module whose pages
/// were all skipped should not show up as an empty heading).
pub(super) fn flatten(nodes: Vec<Node>) -> Vec<ParsedItem> {
    let mut out = Vec::new();
    push_all(nodes, None, &mut out);
    out
}

fn push_all(nodes: Vec<Node>, parent: Option<usize>, out: &mut Vec<ParsedItem>) {
    for node in nodes {
        if !node.plays_something() {
            continue;
        }
        let Node { mut item, children } = node;
        item.parent = parent;
        let index = out.len();
        out.push(item);
        push_all(children, Some(index), out);
    }
}

/// Number of items that are not folders.
pub(super) fn playable_count(items: &[ParsedItem]) -> usize {
    items.iter().filter(|i| i.kind != ItemKind::Folder).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_keeps_preorder_and_drops_empty_folders() {
        let mut page = folder("p", "Page");
        page.kind = ItemKind::Html;
        let tree = vec![
            Node {
                item: folder("a", "A"),
                children: vec![Node::leaf(page.clone()), Node::leaf(folder("e", "E"))],
            },
            Node::leaf(folder("empty", "Empty")),
            Node::leaf(page),
        ];
        let items = flatten(tree);
        let ids: Vec<_> = items
            .iter()
            .map(|i| (i.identifier.as_str(), i.parent))
            .collect();
        assert_eq!(ids, [("a", None), ("p", Some(0)), ("p", None)]);
        assert_eq!(playable_count(&items), 2);
    }
}
