//! Response bodies: a pread-based file stream that yields one chunk per poll, and
//! the multipart/byteranges layout built on top of it.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::{Bytes, BytesMut};
use rand::Rng;
use tokio::task::JoinHandle;

use super::mapped::OpenBlob;
use super::range::ByteRange;

/// Largest single read. Big enough that syscall costs vanish (page-cached chunks are
/// read on the worker, no thread hand-off), small enough that a stalled client pins
/// little memory: this chunk in actix's write buffer, plus one read ahead when the
/// file comes from the disk.
pub const CHUNK: usize = 128 * 1024;

/// A piece of a response body.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Literal bytes (multipart part headers and trailer).
    Bytes(Bytes),
    /// `len` bytes of the file starting at `offset`.
    File { offset: u64, len: u64 },
}

impl Segment {
    pub fn byte_len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }

    pub fn file_range(r: ByteRange) -> Self {
        Segment::File {
            offset: r.first,
            len: r.len(),
        }
    }
}

/// A random multipart boundary; 128 bits make a collision with file bytes
/// practically impossible (RFC 2046 section 5.1.1 requires it not to occur).
pub fn new_boundary() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 16]>())
}

/// Lays out a multipart/byteranges body (RFC 9110 section 14.6) in the same byte
/// format nginx uses: each part starts with CRLF, the closing delimiter ends in CRLF.
pub fn multipart(
    ranges: &[ByteRange],
    len: u64,
    content_type: &str,
    boundary: &str,
) -> Vec<Segment> {
    let mut segments = Vec::with_capacity(ranges.len() * 2 + 1);
    for r in ranges {
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
            r.first, r.last
        );
        segments.push(Segment::Bytes(Bytes::from(head)));
        segments.push(Segment::file_range(*r));
    }
    segments.push(Segment::Bytes(Bytes::from(format!(
        "\r\n--{boundary}--\r\n"
    ))));
    segments
}

type ReadTask = JoinHandle<io::Result<BytesMut>>;

/// Streams segments of one open file. A chunk that is in the page cache is sent as
/// a slice of the blob's mapping (or, unmapped, read right away on the worker with
/// `RWF_NOWAIT`, which never blocks) and nothing is read ahead, so a stalled client
/// holds one chunk; a chunk that needs the disk is read on the blocking pool while
/// the previous one is written (one read ahead). Memory per connection stays bounded
/// however slow the client is: actix stops polling once its write buffer is full.
pub struct FileBody {
    file: Arc<OpenBlob>,
    segments: VecDeque<Segment>,
    total: u64,
    /// Read of the first file segment's next chunk, if started.
    pending: Option<ReadTask>,
}

impl FileBody {
    pub fn new(file: Arc<OpenBlob>, segments: Vec<Segment>) -> Self {
        let total = segments.iter().map(Segment::byte_len).sum();
        FileBody {
            file,
            segments: segments.into_iter().filter(|s| s.byte_len() > 0).collect(),
            total,
            pending: None,
        }
    }

    /// Starts reading the next file chunk if none is in flight.
    fn start_read(&mut self) {
        if self.pending.is_some() {
            return;
        }
        let next = self.segments.iter().find_map(|s| match s {
            Segment::File { offset, len } => Some((*offset, *len)),
            Segment::Bytes(_) => None,
        });
        let Some((offset, len)) = next else {
            return;
        };
        let n = usize::try_from(len).unwrap_or(usize::MAX).min(CHUNK);
        let buf = BytesMut::new();
        let file = Arc::clone(&self.file);
        self.pending = Some(tokio::task::spawn_blocking(move || {
            read_exact_at(file.file(), buf, offset, n)
        }));
    }

    /// The next chunk if every byte of it is in the page cache.
    fn read_inline(&mut self) -> Option<io::Result<Bytes>> {
        if self.pending.is_some() {
            return None;
        }
        let Some(Segment::File { offset, len }) = self.segments.front_mut() else {
            return None;
        };
        let n = usize::try_from(*len).unwrap_or(usize::MAX).min(CHUNK);
        let chunk = match self.file.resident_slice(*offset, n) {
            Some(slice) => slice,
            None => {
                // A fresh buffer per chunk: one kept for reuse would pin a chunk's worth
                // of memory per connection while actix holds the copy in its write buffer.
                let mut buf = Vec::with_capacity(n);
                match pread_nowait(self.file.file(), &mut buf.spare_capacity_mut()[..n], *offset) {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(Err(e)),
                }
                // SAFETY: pread_nowait returned true: all n bytes were written.
                unsafe { buf.set_len(n) };
                Bytes::from(buf)
            }
        };
        *offset += n as u64;
        *len -= n as u64;
        if *len == 0 {
            self.segments.pop_front();
        }
        Some(Ok(chunk))
    }

    fn poll_file_chunk(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Bytes>> {
        if let Some(read) = self.read_inline() {
            return Poll::Ready(read);
        }
        self.start_read();
        let Some(task) = self.pending.as_mut() else {
            return Poll::Ready(Err(io::Error::other("no file segment to read")));
        };
        let joined = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(joined) => joined,
        };
        self.pending = None;
        let buf = joined.map_err(io::Error::other)??;
        let n = buf.len();
        if let Some(Segment::File { offset, len }) = self.segments.front_mut() {
            *offset += n as u64;
            *len -= n as u64;
            if *len == 0 {
                self.segments.pop_front();
            }
        }
        Poll::Ready(Ok(buf.freeze()))
    }
}

impl MessageBody for FileBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.total)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let chunk = match this.segments.front_mut() {
            None => return Poll::Ready(None),
            Some(Segment::Bytes(b)) => {
                let b = std::mem::take(b);
                this.segments.pop_front();
                b
            }
            Some(Segment::File { .. }) => {
                let from_disk = this.pending.is_some();
                match this.poll_file_chunk(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => {
                        // Nothing sensible can follow a failed read; end the body so the
                        // connection is closed short of Content-Length.
                        this.segments.clear();
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(Ok(chunk)) => {
                        // Reading ahead only pays when the next read may wait for the disk.
                        if from_disk {
                            this.start_read();
                        }
                        chunk
                    }
                }
            }
        };
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// Fills `buf` (which need not be initialised: nothing is zeroed only to be
/// overwritten) from `offset` without waiting for the disk: `Ok(true)` when every
/// byte was written, `Ok(false)` when some byte is not in the page cache (or the
/// kernel cannot say), so the caller reads it on the blocking pool instead. A file
/// shorter than promised is an error.
pub fn pread_nowait(file: &File, buf: &mut [std::mem::MaybeUninit<u8>], offset: u64) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    let mut done = 0usize;
    while done < buf.len() {
        let iov = libc::iovec { iov_base: buf[done..].as_mut_ptr().cast(), iov_len: buf.len() - done };
        // SAFETY: iov points into `buf`, which outlives the call.
        let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, (offset + done as u64) as libc::off_t, libc::RWF_NOWAIT) };
        if n > 0 {
            done += n as usize;
            continue;
        }
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file ended before its recorded length"));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => return Ok(false),
            Some(libc::EINTR) => {}
            _ => return Err(err),
        }
    }
    Ok(true)
}

/// Reads exactly `n` bytes at `offset` into `buf` (reusing its allocation when
/// possible). A short file is an error: the length was promised in Content-Length.
fn read_exact_at(file: &File, mut buf: BytesMut, offset: u64, n: usize) -> io::Result<BytesMut> {
    buf.clear();
    buf.reserve(n);
    buf.resize(n, 0);
    let mut filled = 0;
    while filled < n {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ended before its recorded length",
                ))
            }
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf)
}

/// The body of a HEAD response: announces the GET body's length, sends nothing.
/// actix writes Content-Length from `size()` and never the bytes for HEAD, so this
/// keeps HEAD's headers identical to GET's without reading the file.
pub struct HeadBody(pub u64);

impl MessageBody for HeadBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

#[cfg(test)]
mod tests;
