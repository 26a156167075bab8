//! How a file path of a course package is written inside a URL, one segment at a time.

use percent_encoding::{AsciiSet, CONTROLS};

/// Characters escaped inside one path segment of a URL to a package file: those that would
/// end or change the path (`#`, `?`, `%`) or the HTML attribute around it (quotes, `<`, `>`).
pub const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'\'')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
