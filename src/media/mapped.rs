//! An open blob, mapped read-only into memory so that page-cached chunks are sent as
//! slices of the mapping: actix copies them straight from the page cache into its
//! write buffer, instead of a `pread` into a chunk buffer and a second copy from there.
//!
//! Why a mapping is safe here: blobs are content-addressed, written to a temporary
//! file and renamed into place, never modified or truncated in place, and their length
//! is checked against the record when they are opened (`open_files`). `gc` only unlinks
//! them, which leaves the mapping readable. (A blob truncated behind the server's back
//! would make a read of the lost pages fault with SIGBUS; `pread` would have reported a
//! short file instead. Nothing in this program does that.)
//!
//! Why it never stalls a worker on the disk: a slice is handed out only when `mincore`
//! says every page of it is in memory; otherwise the caller falls back to `pread` on the
//! blocking pool. A page evicted in the microseconds between the check and the copy
//! would be read with a major fault on the worker; that window is accepted. (Since
//! Linux 5.0, `mincore` reports the page cache of a file mapping only to a process that
//! owns the file or may write it, as this server does its blobs; otherwise it reports
//! only pages already mapped, so the mapping would go unused: slower, never unsafe.)
//!
//! Memory: the mapping only refers to the page cache, which holds the bytes whether or
//! not they are mapped; pages touched through it are counted in the process's RSS as
//! `RssFile` (shared, reclaimable), not as memory per connection.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::LazyLock;

use bytes::Bytes;

/// `mincore` is asked about at most this many pages at once (1 MiB with 4 KiB pages);
/// longer slices are not served from the mapping.
const MAX_PAGES: usize = 256;

static PAGE_SIZE: LazyLock<usize> = LazyLock::new(|| {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|s| s.is_power_of_two()).unwrap_or(4096)
});

/// An open blob and, when mapping worked, the whole file as one [`Bytes`] that owns
/// the mapping (unmapped when the last slice of it is dropped).
pub struct OpenBlob {
    file: File,
    map: Option<Bytes>,
}

impl OpenBlob {
    /// Maps `file` of `len` bytes; a file that cannot be mapped (or is empty) is still
    /// served, with `pread` only.
    pub fn new(file: File, len: u64) -> Self {
        let map = Mapping::new(&file, len).map(Bytes::from_owner);
        OpenBlob { file, map }
    }

    /// A blob read with `pread` only.
    #[cfg(test)]
    pub fn unmapped(file: File) -> Self {
        OpenBlob { file, map: None }
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// `len` bytes at `offset` without a copy, if every page of them is in memory.
    pub fn resident_slice(&self, offset: u64, len: usize) -> Option<Bytes> {
        let map = self.map.as_ref()?;
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(len)?;
        if len == 0 || end > map.len() {
            return None;
        }
        resident(&map[start..end]).then(|| map.slice(start..end))
    }
}

/// Whether every page under `bytes` (a part of a mapping) is in memory.
fn resident(bytes: &[u8]) -> bool {
    let page = *PAGE_SIZE;
    let addr = bytes.as_ptr() as usize;
    let first = addr & !(page - 1);
    let pages = (addr + bytes.len() - first).div_ceil(page);
    if pages > MAX_PAGES {
        return false;
    }
    let mut vec = [0u8; MAX_PAGES];
    // SAFETY: [first, first + pages * page) lies within the mapping (which is
    // page-aligned and whole pages long) and `vec` has room for `pages` entries.
    let rc = unsafe { libc::mincore(first as *mut libc::c_void, pages * page, vec.as_mut_ptr()) };
    rc == 0 && vec[..pages].iter().all(|v| v & 1 == 1)
}

/// A read-only shared mapping of a whole file.
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and lives until Drop; `&[u8]` views of it can be
// shared and sent between threads like any immutable buffer.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(file: &File, len: u64) -> Option<Self> {
        let len = usize::try_from(len).ok().filter(|&l| l > 0)?;
        // SAFETY: a fresh read-only mapping of an open descriptor; the kernel picks the
        // address. MAP_POPULATE is not used: it would read missing pages from the disk.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0)
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(Mapping { ptr: NonNull::new(ptr.cast())?, len })
    }
}

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: ptr..ptr+len is mapped readable until Drop.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no slice of it outlives `self`
        // (Bytes keeps the owner alive while any slice exists).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn resident_slices_are_the_file_bytes() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        let blob = OpenBlob::new(f, data.len() as u64);
        // Just written, so in the page cache.
        let got = blob.resident_slice(4097, 131_072).expect("written pages are resident");
        assert_eq!(&got[..], &data[4097..4097 + 131_072]);
        let tail = blob.resident_slice(299_990, 10).unwrap();
        assert_eq!(&tail[..], &data[299_990..]);
        assert!(blob.resident_slice(299_990, 11).is_none(), "past the end");
        assert!(blob.resident_slice(0, 0).is_none());
    }

    #[test]
    fn empty_and_unmapped_blobs_have_no_slices() {
        let empty = OpenBlob::new(tempfile::tempfile().unwrap(), 0);
        assert!(empty.resident_slice(0, 1).is_none());
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"abc").unwrap();
        assert!(OpenBlob::unmapped(f).resident_slice(0, 3).is_none());
    }

    #[test]
    fn pages_never_read_are_not_handed_out() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[1u8; 4096]).unwrap();
        // A hole: no page of it is in memory until something reads it.
        f.set_len(1 << 20).unwrap();
        let blob = OpenBlob::new(f, 1 << 20);
        assert!(blob.resident_slice(0, 4096).is_some());
        assert!(blob.resident_slice(512 * 1024, 4096).is_none());
        assert!(blob.resident_slice(0, 8192).is_none(), "one missing page is enough");
    }

    #[test]
    fn a_slice_outlives_the_blob() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[7u8; 10_000]).unwrap();
        let blob = OpenBlob::new(f, 10_000);
        let slice = blob.resident_slice(100, 5000).unwrap();
        drop(blob);
        assert!(slice.iter().all(|&b| b == 7));
    }
}
