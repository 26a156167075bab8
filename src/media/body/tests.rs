//! Unit tests of the file body: chunking, multipart layout, short files, buffer reuse.

use std::io::Write;

use actix_web::body::to_bytes;

use super::*;

/// A mapped blob holding `data` (just written, so in the page cache).
fn temp_file(data: &[u8]) -> Arc<OpenBlob> {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(data).unwrap();
    Arc::new(OpenBlob::new(f, data.len() as u64))
}

/// The same without a mapping: every chunk goes through `pread`.
fn unmapped_file(data: &[u8]) -> Arc<OpenBlob> {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(data).unwrap();
    Arc::new(OpenBlob::unmapped(f))
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[actix_web::test]
async fn streams_a_range_larger_than_one_chunk() {
    let d = data(CHUNK * 2 + 123);
    for blob in [temp_file(&d), unmapped_file(&d)] {
        let body = FileBody::new(blob, vec![Segment::File { offset: 7, len: (CHUNK * 2) as u64 }]);
        assert_eq!(body.size(), BodySize::Sized((CHUNK * 2) as u64));
        let got = to_bytes(body).await.unwrap();
        assert_eq!(&got[..], &d[7..7 + CHUNK * 2]);
    }
}

#[actix_web::test]
async fn chunks_not_in_memory_are_read_from_the_file() {
    // The second half is a hole no one has read: not resident, so not taken from the
    // mapping; the blocking read returns its zeros.
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(&data(CHUNK)).unwrap();
    f.set_len((CHUNK * 2) as u64).unwrap();
    let blob = Arc::new(OpenBlob::new(f, (CHUNK * 2) as u64));
    let body = FileBody::new(blob, vec![Segment::File { offset: 0, len: (CHUNK * 2) as u64 }]);
    let got = to_bytes(body).await.unwrap();
    assert_eq!(&got[..CHUNK], &data(CHUNK)[..]);
    assert!(got[CHUNK..].iter().all(|&b| b == 0));
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
    let buf = read_exact_at(f.file(), BytesMut::new(), 0, 32).unwrap();
    let first_ptr = buf.as_ptr();
    let mut buf = buf;
    let chunk = buf.split_to(32).freeze();
    drop(chunk);
    let buf = read_exact_at(f.file(), buf, 32, 32).unwrap();
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
