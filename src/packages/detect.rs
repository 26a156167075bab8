//! Format detection from what the package contains, never from its file name.

use super::source::View;
use super::xml::{self, Element};
use super::{plain, PackageFormat, Problem};

/// The detected format, carrying the parsed `imsmanifest.xml` so it is read only once.
pub(super) enum Detected {
    Native,
    Cmi5,
    ImsCc(Element),
    /// SCORM with the edition, and a warning when the manifest did not say which.
    Scorm(Element, PackageFormat, Vec<Problem>),
    Plain,
}

pub(super) const IMS_MANIFEST: &str = "imsmanifest.xml";

/// Picks the format: `course.toml`, then `cmi5.xml`, then `imsmanifest.xml` (IMS CC or SCORM),
/// then loose playable files; anything else is refused.
pub(super) fn detect(view: &View) -> Result<Detected, Vec<Problem>> {
    if view.exists("course.toml") {
        return Ok(Detected::Native);
    }
    if view.exists("cmi5.xml") {
        return Ok(Detected::Cmi5);
    }
    if view.exists(IMS_MANIFEST) {
        let bytes = view.read(IMS_MANIFEST).map_err(|p| vec![p])?;
        let manifest = xml::parse(&bytes, IMS_MANIFEST).map_err(|p| vec![p])?;
        if manifest.name != "manifest" {
            return Err(vec![Problem::at(
                IMS_MANIFEST,
                manifest.line,
                format!("the root element is <{}>, not <manifest>", manifest.name),
            )]);
        }
        return Ok(match classify(&manifest) {
            (PackageFormat::ImsCc, _) => Detected::ImsCc(manifest),
            (format, warnings) => Detected::Scorm(manifest, format, warnings),
        });
    }
    if plain::has_playable(view) {
        return Ok(Detected::Plain);
    }
    Err(vec![Problem::new("", no_manifest_message(view))])
}

fn no_manifest_message(view: &View) -> String {
    let files = view.files();
    let mut listed: Vec<String> = files
        .iter()
        .take(5)
        .map(|f| {
            if view.size(f) == Some(0) {
                format!("{f} (empty)")
            } else {
                f.clone()
            }
        })
        .collect();
    if files.len() > 5 {
        listed.push(format!("and {} more", files.len() - 5));
    }
    let contents = if files.is_empty() {
        "it is empty".to_owned()
    } else {
        format!("it holds {}", listed.join(", "))
    };
    format!(
        "unknown package format: no manifest (course.toml, imsmanifest.xml, cmi5.xml) and no playable \
         files (non-empty video, audio, PDF or HTML); {contents}"
    )
}

/// Tells IMS Common Cartridge from SCORM 1.2 / 2004 by schema, schemaversion and namespaces.
fn classify(manifest: &Element) -> (PackageFormat, Vec<Problem>) {
    let meta = |name: &str| {
        manifest
            .path(&["metadata", name])
            .map(Element::text)
            .unwrap_or_default()
    };
    let (schema, version) = (meta("schema").to_lowercase(), meta("schemaversion"));
    let ns: Vec<String> = manifest.namespaces().map(str::to_lowercase).collect();
    let ns_has = |part: &str| ns.iter().any(|n| n.contains(part));

    if schema.contains("common cartridge") || ns_has("imsccv1p") {
        return (PackageFormat::ImsCc, Vec::new());
    }
    let v = version.to_lowercase();
    if v == "1.2" {
        return (PackageFormat::Scorm12, Vec::new());
    }
    if v.contains("2004") || v.contains("cam 1.3") {
        return (PackageFormat::Scorm2004, Vec::new());
    }
    let guessed = if ns_has("adlcp_rootv1p2") || ns_has("imscp_rootv1p1p2") {
        PackageFormat::Scorm12
    } else if ns_has("adlcp_v1p3") || ns_has("imsss") || ns_has("imscp_v1p1") {
        PackageFormat::Scorm2004
    } else {
        PackageFormat::Scorm12
    };
    let said = if version.is_empty() {
        "no schemaversion".to_owned()
    } else {
        format!("schemaversion `{version}`")
    };
    let warning = Problem::at(
        IMS_MANIFEST,
        manifest.line,
        format!(
            "the manifest has {said}; read as {} from its namespaces",
            guessed.as_str()
        ),
    );
    (guessed, vec![warning])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(doc: &str) -> PackageFormat {
        classify(&xml::parse(doc.as_bytes(), "m").unwrap()).0
    }

    #[test]
    fn manifests_are_classified() {
        let md = |s: &str, v: &str| {
            format!("<manifest><metadata><schema>{s}</schema><schemaversion>{v}</schemaversion></metadata></manifest>")
        };
        assert_eq!(class(&md("ADL SCORM", "1.2")), PackageFormat::Scorm12);
        assert_eq!(
            class(&md("ADL SCORM", "2004 4th Edition")),
            PackageFormat::Scorm2004
        );
        assert_eq!(class(&md("ADL SCORM", "CAM 1.3")), PackageFormat::Scorm2004);
        assert_eq!(
            class(&md("IMS Common Cartridge", "1.2.0")),
            PackageFormat::ImsCc
        );
        assert_eq!(
            class(r#"<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p2/imscp_v1p1"/>"#),
            PackageFormat::ImsCc
        );
        assert_eq!(
            class(r#"<manifest xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"/>"#),
            PackageFormat::Scorm2004
        );
        assert_eq!(class("<manifest/>"), PackageFormat::Scorm12);
    }
}
