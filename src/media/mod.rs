//! Serving course files and media with validators, conditional requests and byte ranges (RFC 9110 sections 13-14).
//!
//! [`serve`] takes a file whose length, SHA-256 and modification time the caller
//! already knows (from the blob store), and answers GET and HEAD the way a static
//! file server should: strong ETag from the content hash, 304/412 from the
//! preconditions in the RFC's order, then 206 single or multipart ranges, 416, or
//! 200 with the whole file. The body is produced one chunk per poll, so a slow
//! client holds about one chunk (actix's write buffer; plus one read ahead when the
//! file comes from the disk).
//!
//! Descriptors of recently served blobs are kept open and mapped (`open_files`,
//! `mapped`), and callers can keep a [`Prepared`] file (validators and headers worked
//! out once): a chunk whose pages are in memory is a slice of the mapping, sent
//! without a copy of our own and without a thread hand-off; a chunk that needs the
//! disk is read with pread on the blocking pool.
//!
//! Deliberate differences from nginx are listed, with the RFC clause behind each,
//! in docs/range-differences.md.

pub mod body;
pub mod conditional;
pub mod faststart;
pub mod file_cache;
pub mod mime;
mod mapped;
mod open_files;
pub mod range;
mod response;
pub mod transcode;

#[cfg(test)]
mod tests;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

pub use self::mime::{compressible, mime_for};
pub use self::range::{parse_range, ByteRange, RangeOutcome};

use self::body::{FileBody, HeadBody, Segment};
use self::mapped::OpenBlob;
use self::conditional::{evaluate, if_range_holds, Conditions, Precondition};
use self::response::{accel_response, bare_response, not_modified, Representation};

/// Default cap on parts in a multipart/byteranges response; more (after
/// coalescing) gets the whole file instead, as nginx's `max_ranges` does.
pub const DEFAULT_MAX_RANGES: usize = 16;

/// Who may cache a response and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheControl {
    /// Content-addressed URL: the bytes behind it can never change.
    Immutable,
    /// URL whose content may change or needs access control: revalidate every time.
    Private,
}

impl CacheControl {
    pub fn header_value(self) -> &'static str {
        match self {
            CacheControl::Immutable => "public, max-age=31536000, immutable",
            CacheControl::Private => "private, no-cache",
        }
    }
}

/// A file to serve, described by the caller (normally from the blob store's records).
#[derive(Debug, Clone)]
pub struct ServedFile {
    pub path: PathBuf,
    /// Length in bytes; the file on disk must have exactly this length.
    pub len: u64,
    /// Hex SHA-256 of the content (64 hex digits); the ETag is this in quotes, so
    /// it is the same on every server and after every restart.
    pub sha256: String,
    /// Sent as Last-Modified; compared at whole-second resolution.
    pub last_modified: SystemTime,
    /// Name used for the Content-Type guess and Content-Disposition.
    pub file_name: String,
    pub cache_control: CacheControl,
}

/// Where nginx finds the blob when the body is left to it (X-Accel-Redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccelRedirect {
    /// Prefix of an nginx `internal` location, e.g. `/_blobs`.
    pub internal_prefix: String,
    /// Path of the blob below that location, e.g. `ab/cdef...`; only
    /// `[A-Za-z0-9._/-]` without `..` segments is accepted.
    pub relative_path: String,
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// When set, answer with X-Accel-Redirect and no body so nginx sends the bytes.
    pub accel_redirect: Option<AccelRedirect>,
    /// Most parts a multipart response may have after coalescing; 0 disables ranges.
    pub max_ranges: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            accel_redirect: None,
            max_ranges: DEFAULT_MAX_RANGES,
        }
    }
}

/// Why a file could not be served; all of these are a 500 for the client.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} has {actual} bytes on disk but {expected} were recorded")]
    LengthMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("not a hex SHA-256 digest: {0:?}")]
    BadDigest(String),
    #[error("unsafe X-Accel-Redirect path: {0:?}")]
    BadAccelPath(String),
}

/// What the Range header (if any) turns the response into.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    Whole,
    Ranges(Vec<ByteRange>),
    Unsatisfiable,
}

/// Answers a request for `file`: 200, 206, 304, 412 or 416, with no body for HEAD.
///
/// The caller decides which methods reach this; GET and HEAD get conditional and
/// range handling, any other method gets preconditions checked and the whole file.
/// Errors are returned before any byte is sent, except a file that shrinks while
/// being streamed, which cuts the connection short of Content-Length.
pub async fn serve(
    req: &HttpRequest,
    file: ServedFile,
    opts: &ServeOptions,
) -> Result<HttpResponse, MediaError> {
    serve_prepared(req, &Prepared::new(file)?, opts).await
}

/// A file with its representation headers worked out, for callers that serve the
/// same file many times (the content route caches these per version and path).
pub struct Prepared {
    rep: Representation,
    path: PathBuf,
    len: u64,
}

impl Prepared {
    pub fn new(file: ServedFile) -> Result<Self, MediaError> {
        Ok(Prepared { rep: Representation::new(&file)?, path: file.path, len: file.len })
    }

    /// Hex SHA-256 of the content.
    pub fn sha256(&self) -> &str {
        self.rep.etag.trim_matches('"')
    }
}

/// [`serve`] for a file prepared earlier.
pub async fn serve_prepared(
    req: &HttpRequest,
    file: &Prepared,
    opts: &ServeOptions,
) -> Result<HttpResponse, MediaError> {
    let rep = &file.rep;
    let method = req.method();
    let get_or_head = method == Method::GET || method == Method::HEAD;
    let conditions = Conditions::from_headers(req.headers());
    match evaluate(&conditions, get_or_head, &rep.etag, rep.last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => return Ok(not_modified(rep)),
        Precondition::Failed => return Ok(bare_response(StatusCode::PRECONDITION_FAILED)),
    }
    if let Some(accel) = &opts.accel_redirect {
        // nginx would judge If-Match, If-Unmodified-Since and If-Range against its
        // own ETag and file mtime, so those requests are streamed from here.
        if !conditions.needs_own_validators() {
            return accel_response(rep, accel);
        }
    }
    let plan = plan(req, &conditions, rep, file.len, opts.max_ranges);
    let (mut builder, segments) = match plan {
        Plan::Unsatisfiable => return Ok(response::unsatisfiable(file.len)),
        Plan::Whole => (rep.builder(StatusCode::OK), whole(file.len)),
        Plan::Ranges(ranges) => rep.ranged(&ranges, file.len),
    };
    // Opened (or found open) for HEAD too, so that HEAD fails exactly when GET would.
    let handle = open_files::open(&file.path, file.len).await?;
    let total: u64 = segments.iter().map(Segment::byte_len).sum();
    if method == Method::HEAD {
        return Ok(builder.body(HeadBody(total)));
    }
    if total <= SMALL_BODY {
        // Page-cached bytes are read right here (RWF_NOWAIT never blocks); only a
        // read that would wait for the disk goes to the blocking pool.
        let body = match read_cached(&file.path, &handle, &segments, total)? {
            Some(body) => body,
            None => read_small(file.path.clone(), handle, segments, total).await?,
        };
        return Ok(builder.body(body));
    }
    Ok(builder.body(FileBody::new(handle, segments)))
}

fn whole(len: u64) -> Vec<Segment> {
    vec![Segment::File { offset: 0, len }]
}

/// Steps 5-6 of RFC 9110 section 13.2.2 plus section 14.2's rules for Range.
fn plan(
    req: &HttpRequest,
    conditions: &Conditions,
    rep: &Representation,
    len: u64,
    max_ranges: usize,
) -> Plan {
    // Section 14.2: range handling is defined for GET only; HEAD mirrors GET
    // (section 9.3.2) so it gets the same status and headers.
    let method = req.method();
    if method != Method::GET && method != Method::HEAD {
        return Plan::Whole;
    }
    let mut values = req.headers().get_all(header::RANGE);
    let (Some(value), None) = (values.next(), values.next()) else {
        // No Range, or several Range lines, which is not a valid single field.
        return Plan::Whole;
    };
    if let Some(if_range) = &conditions.if_range {
        if !if_range_holds(if_range, &rep.etag, rep.last_modified) {
            return Plan::Whole;
        }
    }
    let Ok(value) = value.to_str() else {
        return Plan::Whole;
    };
    match parse_range(value, len) {
        RangeOutcome::Ignore => Plan::Whole,
        RangeOutcome::Unsatisfiable => Plan::Unsatisfiable,
        // Section 14.2 lets a server ignore a Range that would be costly; serving
        // the whole file bounds the response like nginx's max_ranges does.
        RangeOutcome::Ranges(ranges) if ranges.len() > max_ranges => Plan::Whole,
        RangeOutcome::Ranges(ranges) => Plan::Ranges(ranges),
    }
}

/// Bodies up to this many bytes are read whole by the task that opens the file.
const SMALL_BODY: u64 = 64 * 1024;

/// Reads the segments without blocking: `None` when some byte is not in the page cache.
/// A single range in memory is a slice of the blob's mapping, not a copy.
fn read_cached(
    path: &std::path::Path,
    file: &OpenBlob,
    segments: &[Segment],
    total: u64,
) -> Result<Option<bytes::Bytes>, MediaError> {
    if let [Segment::File { offset, len }] = segments {
        if let Some(slice) = file.resident_slice(*offset, *len as usize) {
            return Ok(Some(slice));
        }
    }
    let mut out = Vec::with_capacity(total as usize);
    for segment in segments {
        match segment {
            Segment::Bytes(b) => out.extend_from_slice(b),
            Segment::File { offset, len } => {
                let (start, n) = (out.len(), *len as usize);
                match body::pread_nowait(file.file(), &mut out.spare_capacity_mut()[..n], *offset) {
                    // SAFETY: all n bytes after `start` were written.
                    Ok(true) => unsafe { out.set_len(start + n) },
                    Ok(false) => return Ok(None),
                    Err(source) => return Err(MediaError::Io { path: path.to_path_buf(), source }),
                }
            }
        }
    }
    Ok(Some(bytes::Bytes::from(out)))
}

/// Reads every segment in one blocking task (the bytes are not all in the page cache).
async fn read_small(
    path: PathBuf,
    file: Arc<OpenBlob>,
    segments: Vec<Segment>,
    total: u64,
) -> Result<bytes::Bytes, MediaError> {
    let task = tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        let io_err = |source| MediaError::Io { path: path.clone(), source };
        let mut out = Vec::with_capacity(total as usize);
        for segment in &segments {
            match segment {
                Segment::Bytes(b) => out.extend_from_slice(b),
                Segment::File { offset, len } => {
                    let start = out.len();
                    out.resize(start + *len as usize, 0);
                    file.file().read_exact_at(&mut out[start..], *offset).map_err(io_err)?;
                }
            }
        }
        Ok(bytes::Bytes::from(out))
    });
    match task.await {
        Ok(result) => result,
        Err(join) => Err(MediaError::Io { path: PathBuf::new(), source: io::Error::other(join) }),
    }
}
