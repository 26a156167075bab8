//! Relocating the absolute file offsets stored in `moov` (`stco`, `co64`, `saio`) when
//! [`super::rewrite`] moves `moov` forward: each offset moves by as much as the top-level box
//! that held it.

use super::{box_header, name, FastStartError, TopBox, CONTAINERS, MAX_DEPTH};

/// Maps an offset in the input file to the same byte's offset in the output.
pub(super) struct Relocation {
    /// (old start, old end, new start) per top-level box, sorted by old start.
    spans: Vec<(u64, u64, u64)>,
    len: u64,
}

impl Relocation {
    pub(super) fn new(boxes: &[TopBox], order: &[usize]) -> Self {
        let mut new_start = vec![0; boxes.len()];
        let mut pos = 0;
        for &i in order {
            new_start[i] = pos;
            pos += boxes[i].size;
        }
        let spans = boxes
            .iter()
            .zip(new_start)
            .map(|(b, n)| (b.start, b.end(), n))
            .collect();
        Self { spans, len: pos }
    }

    pub(super) fn map(&self, offset: u64) -> Option<u64> {
        // An empty chunk may point at the very end of the file; that end does not move.
        if offset == self.len {
            return Some(offset);
        }
        let i = self.spans.partition_point(|&(_, end, _)| end <= offset);
        let &(start, _, new_start) = self.spans.get(i)?;
        (start <= offset).then(|| new_start + (offset - start))
    }
}

/// Walks the child boxes of a container's payload and patches offset tables in place.
pub(super) fn patch_container(
    payload: &mut [u8],
    path: &str,
    reloc: &Relocation,
    depth: usize,
) -> Result<(), FastStartError> {
    if depth >= MAX_DEPTH {
        malformed!("{path}: boxes nested deeper than {MAX_DEPTH}");
    }
    let mut pos = 0;
    while pos < payload.len() {
        let rest = &payload[pos..];
        if rest.len() < 8 {
            // QuickTime allows a 32-bit zero terminator at the end of an atom list.
            if rest.iter().all(|&b| b == 0) {
                break;
            }
            malformed!("{path}: {} stray bytes after the last child", rest.len());
        }
        let kind: [u8; 4] = rest[4..8].try_into().expect("4-byte slice");
        let child = format!("{path}/{}", name(&kind));
        let (size, header_len) = box_header(rest, rest.len() as u64, &child)?;
        let body = &mut payload[pos + header_len..pos + size as usize];
        match &kind {
            b"stco" => patch_offsets(body, 4, 4, &child, reloc)?,
            b"co64" => patch_offsets(body, 4, 8, &child, reloc)?,
            b"saio" => patch_saio(body, &child, reloc)?,
            b"cmov" => malformed!("{child}: compressed movie header not supported"),
            k if CONTAINERS.contains(&k) => patch_container(body, &child, reloc, depth + 1)?,
            _ => {}
        }
        pos += size as usize;
    }
    Ok(())
}

/// `saio` (auxiliary data for encrypted samples) holds absolute file offsets when it
/// sits under `moov`, exactly like `stco`; missing it would break decryption.
fn patch_saio(body: &mut [u8], path: &str, reloc: &Relocation) -> Result<(), FastStartError> {
    if body.len() < 4 {
        malformed!("{path}: too short");
    }
    let width = if body[0] == 0 { 4 } else { 8 };
    // Flag bit 0: aux_info_type and aux_info_type_parameter precede the count.
    let count_at = if body[3] & 1 == 1 { 12 } else { 4 };
    patch_offsets(body, count_at, width, path, reloc)
}

/// Patches a table of `width`-byte big-endian offsets whose u32 entry count sits at
/// `count_at` and whose entries follow it.
fn patch_offsets(
    body: &mut [u8],
    count_at: usize,
    width: usize,
    path: &str,
    reloc: &Relocation,
) -> Result<(), FastStartError> {
    let Some(count_bytes) = body.get(count_at..count_at + 4) else {
        malformed!("{path}: too short for an entry count");
    };
    let count = u32::from_be_bytes(count_bytes.try_into().expect("4 bytes")) as usize;
    let entries = &mut body[count_at + 4..];
    if count.saturating_mul(width) > entries.len() {
        malformed!(
            "{path}: {count} entries do not fit in {} bytes",
            entries.len()
        );
    }
    for entry in entries.chunks_exact_mut(width).take(count) {
        let mut be = [0u8; 8];
        be[8 - width..].copy_from_slice(entry);
        let old = u64::from_be_bytes(be);
        let Some(new) = reloc.map(old) else {
            malformed!("{path}: offset {old} lies outside the file");
        };
        if width == 4 && new > u64::from(u32::MAX) {
            return Err(FastStartError::Overflow);
        }
        entry.copy_from_slice(&new.to_be_bytes()[8 - width..]);
    }
    Ok(())
}

