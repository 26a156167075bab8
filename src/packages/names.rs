//! Entry names and hrefs: decoding legacy zip name encodings and keeping every path inside the package.

use encoding_rs::GBK;

/// Decodes a zip entry name.
///
/// Names flagged UTF-8 (general purpose bit 11) and plain ASCII are taken as they are. Unflagged
/// names are officially CP437, but in practice they come from Windows with the local ANSI code
/// page, and for our users that is GBK/CP936. Some tools write UTF-8 without setting the flag, so
/// bytes that are valid UTF-8 win over GBK: a real GBK name is almost never valid UTF-8 (GBK
/// trail bytes fall outside UTF-8's continuation range for all common hanzi).
pub(super) fn decode_zip_name(raw: &[u8], utf8_flag: bool) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_owned();
    }
    let (decoded, had_errors) = GBK.decode_without_bom_handling(raw);
    if utf8_flag && had_errors {
        // Flagged UTF-8 but broken, and not GBK either: keep what UTF-8 can make of it.
        return String::from_utf8_lossy(raw).into_owned();
    }
    decoded.into_owned()
}

/// A validated entry name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EntryName {
    /// '/'-separated, no empty, `.` or `..` components, no leading '/'.
    pub path: String,
    pub is_dir: bool,
}

/// Normalises an archive or folder entry name, refusing anything that could land outside the package.
///
/// Backslashes count as separators because Windows zip tools write them. The error is a
/// sentence fragment for a [`Problem`](super::Problem) about this entry.
pub(super) fn normalise_entry(name: &str, max_len: usize) -> Result<EntryName, String> {
    if name.len() > max_len {
        return Err(format!(
            "entry name is {} bytes long (the limit is {max_len})",
            name.len()
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("entry name contains control characters".to_owned());
    }
    let slashed = name.replace('\\', "/");
    if slashed.starts_with('/') {
        return Err("entry has an absolute path".to_owned());
    }
    let b = slashed.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("entry path starts with a drive letter".to_owned());
    }
    let is_dir = slashed.ends_with('/');
    let mut parts = Vec::new();
    for part in slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err("entry path climbs out of the package with `..` (zip slip)".to_owned())
            }
            p => parts.push(p),
        }
    }
    Ok(EntryName {
        path: parts.join("/"),
        is_dir: is_dir || parts.is_empty(),
    })
}

/// True for hrefs that are URLs rather than paths inside the package (`http:`, `mailto:`, `//host` ...).
pub(super) fn is_absolute_url(href: &str) -> bool {
    if href.starts_with("//") {
        return true;
    }
    match href.find(':') {
        // One letter before ':' is a Windows drive, not a scheme.
        Some(i) if i > 1 => {
            let scheme = &href[..i];
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        _ => false,
    }
}

/// Joins xml:base values and an href the way a browser would for relative references.
pub(super) fn join_base(base: &str, href: &str) -> String {
    if base.is_empty() || is_absolute_url(href) || href.starts_with('/') {
        return href.to_owned();
    }
    if base.ends_with('/') {
        format!("{base}{href}")
    } else {
        format!("{base}/{href}")
    }
}

/// Splits `a/b.html?x=1#y` into the path and the rest (`?x=1#y`).
pub(super) fn split_query(href: &str) -> (&str, &str) {
    match href.find(['?', '#']) {
        Some(i) => (&href[..i], &href[i..]),
        None => (href, ""),
    }
}

/// Resolves a relative path (from a manifest) against the package root, removing `.` and `..`.
///
/// `..` may move up inside the package but never above its root.
pub(super) fn resolve_relative(path: &str) -> Result<String, String> {
    let slashed = path.replace('\\', "/");
    if slashed.starts_with('/') {
        return Err(format!("`{path}` is an absolute path"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{path}` points outside the package"));
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(format!("`{path}` names no file"));
    }
    Ok(parts.join("/"))
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8 or an escape is broken.
pub(super) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// File name without directories or extension, for titles.
pub(super) fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_names_without_flag_are_decoded() {
        let (gbk, _, _) = GBK.encode("第一课.html");
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode_zip_name(&gbk, false), "第一课.html");
    }

    #[test]
    fn utf8_names_win_with_or_without_flag() {
        let raw = "第一课.html".as_bytes();
        assert_eq!(decode_zip_name(raw, true), "第一课.html");
        assert_eq!(decode_zip_name(raw, false), "第一课.html");
        assert_eq!(decode_zip_name(b"plain/a.txt", false), "plain/a.txt");
    }

    #[test]
    fn entry_names_are_normalised_or_refused() {
        let ok = |n: &str| normalise_entry(n, 1024).unwrap();
        assert_eq!(ok("a\\b\\c.txt").path, "a/b/c.txt");
        assert_eq!(ok("./a//b.txt").path, "a/b.txt");
        assert!(ok("dir/").is_dir);
        assert!(!ok("dir/x").is_dir);
        for bad in [
            "../evil.txt",
            "a/../../x",
            "/etc/x",
            "\\\\server\\x",
            "C:/x",
            "c:x",
            "a\\..\\..\\x",
        ] {
            assert!(normalise_entry(bad, 1024).is_err(), "{bad} accepted");
        }
        assert!(normalise_entry("a\0b", 1024).is_err());
        assert!(normalise_entry(&"a".repeat(20), 10).is_err());
    }

    #[test]
    fn hrefs_resolve_inside_the_package_only() {
        assert_eq!(resolve_relative("a/./b/../c.html").unwrap(), "a/c.html");
        assert!(resolve_relative("../x.html").is_err());
        assert!(resolve_relative("a/../../x.html").is_err());
        assert_eq!(join_base("course/", "a.html"), "course/a.html");
        assert_eq!(join_base("course", "a.html"), "course/a.html");
        assert_eq!(join_base("course/", "http://x/y"), "http://x/y");
        assert!(is_absolute_url("https://example.org/a"));
        assert!(!is_absolute_url("c:/a"));
        assert!(!is_absolute_url("a/b.html?x=http://y"));
        assert_eq!(split_query("a.html?x=1#f"), ("a.html", "?x=1#f"));
        assert_eq!(percent_decode("my%20file.html").unwrap(), "my file.html");
        assert_eq!(file_stem("a/b/第一课.mp4"), "第一课");
    }
}
