//! Where a `next=` parameter may send the browser: only a path on this site.
//!
//! The value is parsed as a browser would resolve it against this site (WHATWG URL rules,
//! which drop tabs and newlines and read `/\host` as `//host`), and only a result on the
//! same origin is kept; the `Location` sent is that parsed URL's own path and query, never
//! the raw text. A string check (`starts_with('/')`) let `/%09/host` through.

use url::Url;

/// A stand-in for this site; any target that leaves it is refused.
const BASE: &str = "http://courseware.invalid/";

/// The same-site path `next` names, or `/` when it is missing or leads elsewhere.
pub fn same_site_path(next: Option<&str>) -> String {
    next.and_then(parse).unwrap_or_else(|| "/".to_string())
}

fn parse(next: &str) -> Option<String> {
    // Only paths: "https://this.site/x" and "?x" are refused too rather than guessed at.
    if !next.starts_with('/') {
        return None;
    }
    let base = Url::parse(BASE).expect("base URL");
    let target = base.join(next).ok()?;
    if target.origin() != base.origin() || !target.username().is_empty() || target.password().is_some() {
        return None;
    }
    let mut out = target.path().to_string();
    if let Some(query) = target.query() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = target.fragment() {
        out.push('#');
        out.push_str(fragment);
    }
    // The serializer percent-encodes what a header cannot carry; this stays a guard.
    (out.starts_with('/') && !out.starts_with("//") && !out.bytes().any(|b| b.is_ascii_control())).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::same_site_path;

    #[test]
    fn site_paths_are_kept() {
        assert_eq!(same_site_path(Some("/courses/7?tab=a#x")), "/courses/7?tab=a#x");
        assert_eq!(same_site_path(Some("/courses/%E4%B8%AD")), "/courses/%E4%B8%AD");
        assert_eq!(same_site_path(Some("/a/../b")), "/b");
        assert_eq!(same_site_path(None), "/");
    }

    #[test]
    fn other_sites_are_refused() {
        for next in [
            "//evil.example/",
            "/\t/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/\\/evil.example",
            "//user@evil.example",
            " //evil.example",
        ] {
            assert_eq!(same_site_path(Some(next)), "/", "{next:?}");
        }
    }

    #[test]
    fn control_characters_never_reach_a_header() {
        let got = same_site_path(Some("/a\r\nSet-Cookie: x=1"));
        assert!(!got.bytes().any(|b| b.is_ascii_control()), "{got:?}");
        assert!(got.starts_with("/a"), "{got:?}");
    }
}
