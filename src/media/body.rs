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

use super::range::ByteRange;

/// Largest single read. Big enough that syscall and thread hand-off costs vanish,
/// small enough that a slow client pins little memory: at most this chunk in
/// actix's write buffer plus one read ahead here.
pub const CHUNK: usize = 256 * 1024;

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

/// Streams segments of one open file. The next file chunk is read on the blocking
/// pool only while the previous one is being written (one read ahead), so memory
/// per connection stays bounded however slow the client is: actix stops polling
/// once its write buffer is full.
pub struct FileBody {
    file: Arc<File>,
    segments: VecDeque<Segment>,
    total: u64,
    /// Read of the first file segment's next chunk, if started.
    pending: Option<ReadTask>,
    /// Buffers handed back after a chunk was split off; `reserve` reclaims their
    /// allocation once actix has copied and dropped the chunk.
    spare: Vec<BytesMut>,
}

impl FileBody {
    pub fn new(file: Arc<File>, segments: Vec<Segment>) -> Self {
        let total = segments.iter().map(Segment::byte_len).sum();
        FileBody {
            file,
            segments: segments.into_iter().filter(|s| s.byte_len() > 0).collect(),
            total,
            pending: None,
            spare: Vec::with_capacity(2),
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
        let buf = self.spare.pop().unwrap_or_default();
        let file = Arc::clone(&self.file);
        self.pending = Some(tokio::task::spawn_blocking(move || {
            read_exact_at(&file, buf, offset, n)
        }));
    }

    fn poll_file_chunk(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Bytes>> {
        self.start_read();
        let Some(task) = self.pending.as_mut() else {
            return Poll::Ready(Err(io::Error::other("no file segment to read")));
        };
        let joined = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(joined) => joined,
        };
        self.pending = None;
        let mut buf = joined.map_err(io::Error::other)??;
        let n = buf.len();
        if let Some(Segment::File { offset, len }) = self.segments.front_mut() {
            *offset += n as u64;
            *len -= n as u64;
            if *len == 0 {
                self.segments.pop_front();
            }
        }
        let chunk = buf.split_to(n).freeze();
        self.spare.push(buf);
        Poll::Ready(Ok(chunk))
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
            Some(Segment::File { .. }) => match this.poll_file_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    // Nothing sensible can follow a failed read; end the body so the
                    // connection is closed short of Content-Length.
                    this.segments.clear();
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Ok(chunk)) => chunk,
            },
        };
        this.start_read();
        Poll::Ready(Some(Ok(chunk)))
    }
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
mod tests {
    use std::io::Write;

    use actix_web::body::to_bytes;

    use super::*;

    fn temp_file(data: &[u8]) -> Arc<File> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(data).unwrap();
        Arc::new(f)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[actix_web::test]
    async fn streams_a_range_larger_than_one_chunk() {
        let d = data(CHUNK * 2 + 123);
        let body = FileBody::new(
            temp_file(&d),
            vec![Segment::File {
                offset: 7,
                len: (CHUNK * 2) as u64,
            }],
        );
        assert_eq!(body.size(), BodySize::Sized((CHUNK * 2) as u64));
        let got = to_bytes(body).await.unwrap();
        assert_eq!(&got[..], &d[7..7 + CHUNK * 2]);
    }

    #[actix_web::test]
    async fn yields_chunks_no_larger_than_chunk() {
        let d = data(CHUNK * 3);
        let mut body = FileBody::new(
            temp_file(&d),
            vec![Segment::File {
                offset: 0,
                len: d.len() as u64,
            }],
        );
        let mut sizes = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
            sizes.push(chunk.unwrap().len());
        }
        assert_eq!(sizes, vec![CHUNK, CHUNK, CHUNK]);
    }

    #[actix_web::test]
    async fn multipart_layout() {
        let d = data(1000);
        let ranges = [
            ByteRange { first: 0, last: 1 },
            ByteRange {
                first: 500,
                last: 502,
            },
        ];
        let segments = multipart(&ranges, 1000, "text/plain", "B");
        let body = FileBody::new(temp_file(&d), segments);
        let expected_len = body.size();
        let got = to_bytes(body).await.unwrap();
        let mut want =
            b"\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/1000\r\n\r\n"
                .to_vec();
        want.extend_from_slice(&d[0..2]);
        want.extend_from_slice(
            b"\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 500-502/1000\r\n\r\n",
        );
        want.extend_from_slice(&d[500..503]);
        want.extend_from_slice(b"\r\n--B--\r\n");
        assert_eq!(&got[..], &want[..]);
        assert_eq!(expected_len, BodySize::Sized(want.len() as u64));
    }

    #[actix_web::test]
    async fn short_file_is_an_error() {
        let body = FileBody::new(
            temp_file(b"abc"),
            vec![Segment::File { offset: 0, len: 10 }],
        );
        let err = to_bytes(body).await.unwrap_err();
        assert!(err.to_string().contains("recorded length"));
    }

    #[test]
    fn buffers_are_reclaimed_after_the_chunk_is_dropped() {
        let f = temp_file(&data(64));
        let buf = read_exact_at(&f, BytesMut::new(), 0, 32).unwrap();
        let first_ptr = buf.as_ptr();
        let mut buf = buf;
        let chunk = buf.split_to(32).freeze();
        drop(chunk);
        let buf = read_exact_at(&f, buf, 32, 32).unwrap();
        assert_eq!(buf.as_ptr(), first_ptr);
        assert_eq!(&buf[..], &data(64)[32..]);
    }

    #[test]
    fn boundaries_are_random_hex() {
        let (a, b) = (new_boundary(), new_boundary());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[actix_web::test]
    async fn head_body_is_empty_but_sized() {
        let body = HeadBody(42);
        assert_eq!(body.size(), BodySize::Sized(42));
        assert!(to_bytes(body).await.unwrap().is_empty());
    }
}
