//! Content-Type and Content-Disposition for served files.

/// Extensions whose mime_guess answer is wrong or non-standard for browsers.
const OVERRIDES: &[(&str, &str)] = &[
    // mime_guess says audio/m4a, which is not registered; RFC 4337 gives audio/mp4.
    ("m4a", "audio/mp4"),
    // RFC 9239 makes text/javascript the one JavaScript type, modules included.
    ("mjs", "text/javascript"),
    ("js", "text/javascript"),
    ("vtt", "text/vtt"),
    ("srt", "application/x-subrip"),
    // HLS (RFC 8216 section 4): playlists and fMP4 media segments of renditions.
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("m4s", "video/iso.segment"),
];

/// Content-Type for a file name and whether it should display inline.
///
/// Textual types get `; charset=utf-8` because course packages are UTF-8 and a
/// browser guessing otherwise garbles captions and SCORM pages. Inline is for what a
/// browser shows itself (PDF, video, audio, images, HTML, plain text, captions);
/// everything else is offered as a download.
pub fn mime_for(file_name: &str) -> (String, bool) {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let essence = OVERRIDES
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| (*t).to_string())
        .unwrap_or_else(|| {
            mime_guess::from_ext(&ext)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_string()
        });
    let inline = is_inline(&essence);
    if is_textual(&essence) {
        (format!("{essence}; charset=utf-8"), inline)
    } else {
        (essence, inline)
    }
}

/// Whether a Content-Type is worth compressing on the wire: text, scripts, data and SVG.
/// Images, audio, video, PDFs and archives are compressed already.
pub fn compressible(content_type: &str) -> bool {
    is_textual(content_type.split(';').next().unwrap_or("").trim())
}

fn is_textual(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript" | "application/json" | "application/xml"
        )
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
}

fn is_inline(essence: &str) -> bool {
    let top = essence.split('/').next().unwrap_or("");
    matches!(top, "video" | "audio" | "image")
        || matches!(
            essence,
            "application/pdf" | "text/html" | "application/xhtml+xml" | "text/plain" | "text/vtt"
        )
}

/// `inline` or `attachment` with an ASCII fallback `filename` and the exact name as
/// `filename*` (RFC 6266 section 4.3 recommends sending both).
pub fn content_disposition(file_name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = file_name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode(file_name)
    )
}

/// Percent-encodes everything outside RFC 8187's `attr-char`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(mime_for("a.mp4"), ("video/mp4".into(), true));
        assert_eq!(mime_for("a.webm"), ("video/webm".into(), true));
        assert_eq!(mime_for("a.m4a"), ("audio/mp4".into(), true));
        assert_eq!(mime_for("a.mp3"), ("audio/mpeg".into(), true));
        assert_eq!(mime_for("a.pdf"), ("application/pdf".into(), true));
        assert_eq!(mime_for("a.PNG"), ("image/png".into(), true));
    }

    #[test]
    fn text_types_get_utf8() {
        assert_eq!(mime_for("c.vtt"), ("text/vtt; charset=utf-8".into(), true));
        assert_eq!(
            mime_for("i.html"),
            ("text/html; charset=utf-8".into(), true)
        );
        assert_eq!(
            mime_for("a.js"),
            ("text/javascript; charset=utf-8".into(), false)
        );
        assert_eq!(
            mime_for("a.mjs"),
            ("text/javascript; charset=utf-8".into(), false)
        );
        assert_eq!(
            mime_for("a.json"),
            ("application/json; charset=utf-8".into(), false)
        );
        assert_eq!(
            mime_for("a.svg"),
            ("image/svg+xml; charset=utf-8".into(), true)
        );
        assert_eq!(mime_for("a.css"), ("text/css; charset=utf-8".into(), false));
        assert_eq!(
            mime_for("imsmanifest.xml"),
            ("text/xml; charset=utf-8".into(), false)
        );
    }

    #[test]
    fn unknown_and_missing_extensions_download() {
        assert_eq!(mime_for("blob"), ("application/octet-stream".into(), false));
        assert_eq!(
            mime_for("a.zzzz"),
            ("application/octet-stream".into(), false)
        );
        assert!(!mime_for("a.zip").1);
    }

    #[test]
    fn disposition_encodes_names() {
        assert_eq!(
            content_disposition("Lesson 1.pdf", true),
            "inline; filename=\"Lesson 1.pdf\"; filename*=UTF-8''Lesson%201.pdf"
        );
        assert_eq!(
            content_disposition("Übung \"A\".zip", false),
            "attachment; filename=\"_bung _A_.zip\"; filename*=UTF-8''%C3%9Cbung%20%22A%22.zip"
        );
    }
}
