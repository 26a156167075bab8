//! Pieces shared by the IMS content-packaging formats (SCORM and Common Cartridge).

use super::names::join_base;
use super::xml::Element;

/// Text of a LOM field such as `["general", "title"]` under `<metadata><lom>`, whatever the
/// prefixes (`imsmd:`, `lomimscc:`); the first `langstring`/`string`, or the field's own text.
pub(super) fn lom_text(manifest: &Element, field: &[&str]) -> Option<String> {
    let lom = manifest.path(&["metadata", "lom"])?;
    let el = lom.path(field)?;
    let text = el
        .children
        .iter()
        .find(|c| {
            c.name.eq_ignore_ascii_case("langstring") || c.name.eq_ignore_ascii_case("string")
        })
        .map(Element::text)
        .unwrap_or_else(|| el.text());
    Some(text).filter(|t| !t.is_empty())
}

/// The xml:base chain of manifest, `<resources>` and `<resource>` applied to an href.
pub(super) fn based_href(bases: &[Option<&str>], href: &str) -> String {
    bases
        .iter()
        .rev()
        .flatten()
        .fold(href.to_owned(), |acc, base| join_base(base.trim(), &acc))
}

/// Appends an item's `parameters` to a launch href as SCORM CAM describes: a leading `?` or `&`
/// is dropped and the rest joined with `&` if the href already has a query, else `?`; a
/// `#fragment` is appended unless the href has one.
pub(super) fn apply_parameters(href: &str, parameters: &str) -> String {
    let p = parameters.trim();
    if p.is_empty() {
        return href.to_owned();
    }
    let (base, fragment) = match href.find('#') {
        Some(i) => (&href[..i], &href[i..]),
        None => (href, ""),
    };
    if let Some(frag) = p.strip_prefix('#') {
        return if fragment.is_empty() {
            format!("{href}#{frag}")
        } else {
            href.to_owned()
        };
    }
    let p = p.trim_start_matches(['?', '&']);
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{p}{fragment}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_join_like_scorm_cam() {
        assert_eq!(apply_parameters("a.html", "?x=1"), "a.html?x=1");
        assert_eq!(apply_parameters("a.html?c=2", "?x=1"), "a.html?c=2&x=1");
        assert_eq!(apply_parameters("a.html?c=2", "&x=1"), "a.html?c=2&x=1");
        assert_eq!(apply_parameters("a.html#f", "x=1"), "a.html?x=1#f");
        assert_eq!(apply_parameters("a.html", "#top"), "a.html#top");
        assert_eq!(apply_parameters("a.html", "  "), "a.html");
    }

    #[test]
    fn bases_chain_outermost_first() {
        assert_eq!(
            based_href(&[Some("course/"), None, Some("unit1/")], "a.html"),
            "course/unit1/a.html"
        );
        assert_eq!(
            based_href(&[Some("course/"), Some("http://cdn/x/")], "a.html"),
            "http://cdn/x/a.html"
        );
        assert_eq!(based_href(&[None, None, None], "a.html"), "a.html");
    }
}
