//! Files embedded in the binary so that it runs from any directory.

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
pub struct Templates;

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
pub struct Static;

#[derive(rust_embed::RustEmbed)]
#[folder = "locales/"]
pub struct Locales;

#[derive(rust_embed::RustEmbed)]
#[folder = "courses/"]
#[exclude = "tools/*"]
pub struct DemoCourses;

/// An embedded static file ready to send, in each encoding worth having. The encodings are
/// made once per process at the strongest settings: on first use, or earlier by
/// [`warm_static_assets`], so a start is not held up and no request compresses.
pub struct Asset {
    pub mime: String,
    pub identity: Vec<u8>,
    /// A digest of the content: the ETag's core and the `?v=` of versioned URLs.
    pub version: String,
    compressible: bool,
    encoded: std::sync::OnceLock<Encoded>,
}

/// gzip and brotli bodies, each kept only where it is smaller than the file.
pub struct Encoded {
    pub gzip: Option<Vec<u8>>,
    pub brotli: Option<Vec<u8>>,
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    out
}

impl Asset {
    fn new(path: &str, data: Vec<u8>, digest: [u8; 32]) -> Asset {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let compressible = crate::media::compressible(mime.essence_str());
        let mime = if mime.type_() == "text" || mime.subtype() == "javascript" { format!("{mime}; charset=utf-8") } else { mime.to_string() };
        Asset { mime, identity: data, version: hex::encode(&digest[..6]), compressible, encoded: std::sync::OnceLock::new() }
    }

    pub fn encoded(&self) -> &Encoded {
        self.encoded.get_or_init(|| {
            if !self.compressible {
                return Encoded { gzip: None, brotli: None };
            }
            let smaller = |v: Vec<u8>| (v.len() < self.identity.len()).then_some(v);
            Encoded { gzip: smaller(gzip(&self.identity)), brotli: smaller(brotli(&self.identity)) }
        })
    }
}

/// Every embedded static file by path (digests only; see [`Asset::encoded`]).
pub fn static_assets() -> &'static std::collections::HashMap<String, Asset> {
    static ASSETS: std::sync::OnceLock<std::collections::HashMap<String, Asset>> = std::sync::OnceLock::new();
    ASSETS.get_or_init(|| {
        Static::iter()
            .filter_map(|path| {
                let file = Static::get(&path)?;
                let digest = file.metadata.sha256_hash();
                Some((path.to_string(), Asset::new(&path, file.data.into_owned(), digest)))
            })
            .collect()
    })
}

/// Compresses every static file on a thread of its own, smallest first (the page's own
/// scripts and styles before a large vendored library).
pub fn warm_static_assets() {
    std::thread::spawn(|| {
        let mut assets: Vec<&Asset> = static_assets().values().collect();
        assets.sort_by_key(|a| a.identity.len());
        for asset in assets {
            asset.encoded();
        }
    });
}

/// The URL of a static file that changes whenever its content does, so it can be cached
/// for a year.
pub fn static_url(path: &str) -> String {
    match static_assets().get(path) {
        Some(asset) => format!("/static/{path}?v={}", asset.version),
        None => format!("/static/{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_assets_are_precompressed_and_round_trip() {
        let css = &static_assets()["app.css"];
        assert!(css.mime.starts_with("text/css"));
        let (gz, br) = (css.encoded().gzip.as_ref().unwrap(), css.encoded().brotli.as_ref().unwrap());
        assert!(br.len() < css.identity.len() / 2 && gz.len() < css.identity.len() / 2, "{} {} {}", css.identity.len(), gz.len(), br.len());
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
        assert_eq!(unzipped, css.identity);
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, css.identity);
        assert_eq!(static_url("app.css"), format!("/static/app.css?v={}", css.version));
        assert_eq!(css.version.len(), 12);
    }
}
