//! The `Upload-Metadata` header: comma-separated `key base64value` pairs, decoded to text.
//! Base64 is written out here because it is forty lines and the only use in the crate.

use std::collections::HashMap;

use super::error::TusError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes the header into a map. Values must be UTF-8 once decoded, since the app reads
/// them as file names and MIME types; a value may be empty and then its space may be left out.
pub(super) fn parse_metadata(header: &str) -> Result<HashMap<String, String>, TusError> {
    let mut map = HashMap::new();
    if header.trim().is_empty() {
        return Ok(map);
    }
    for pair in header.split(',') {
        let pair = pair.trim();
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() {
            return Err(bad("a key is empty".into()));
        }
        let bytes = decode_base64(encoded.trim())
            .ok_or_else(|| bad(format!("the value of {key:?} is not valid base64")))?;
        let value = String::from_utf8(bytes)
            .map_err(|_| bad(format!("the value of {key:?} is not UTF-8 text")))?;
        if map.insert(key.to_owned(), value).is_some() {
            return Err(bad(format!("the key {key:?} appears twice")));
        }
    }
    Ok(map)
}

/// The header form of a map, keys sorted so HEAD answers are stable.
pub(super) fn encode_metadata(map: &HashMap<String, String>) -> String {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let pairs: Vec<String> = keys
        .into_iter()
        .map(|key| match map[key].as_str() {
            "" => key.clone(),
            value => format!("{key} {}", encode_base64(value.as_bytes())),
        })
        .collect();
    pairs.join(",")
}

fn bad(problem: String) -> TusError {
    TusError::BadRequest(format!("Upload-Metadata is malformed: {problem}"))
}

/// Standard alphabet; padding is optional but, if present, must be correct.
pub(super) fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let body = input.trim_end_matches('=');
    let padding = input.len() - body.len();
    if padding > 2 || (padding > 0 && !input.len().is_multiple_of(4)) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let sextet = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | sextet;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero, or two different strings would decode to the same bytes.
    (acc == 0).then_some(out)
}

pub(super) fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..40 {
            let encoded = encode_base64(&data[..n]);
            assert_eq!(decode_base64(&encoded).unwrap(), &data[..n]);
            assert_eq!(
                decode_base64(encoded.trim_end_matches('=')).unwrap(),
                &data[..n]
            );
        }
        assert_eq!(encode_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode_base64(b"fo"), "Zm8=");
    }

    #[test]
    fn base64_rejects_garbage() {
        for bad in ["Zm9v!", "Z", "Zm8===", "Zm=8", "Zm9=", "a b"] {
            assert!(decode_base64(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn metadata_decodes_chinese_and_empty_values() {
        let header = format!(
            "filename {},filetype {}, is_confidential",
            encode_base64("课程包 第一章.zip".as_bytes()),
            encode_base64(b"application/zip")
        );
        let map = parse_metadata(&header).unwrap();
        assert_eq!(map["filename"], "课程包 第一章.zip");
        assert_eq!(map["filetype"], "application/zip");
        assert_eq!(map["is_confidential"], "");
        assert_eq!(parse_metadata(&encode_metadata(&map)).unwrap(), map);
    }

    #[test]
    fn metadata_rejects_bad_pairs() {
        for header in [
            "filename !!!",
            "a YQ==,a Yg==",
            "a YQ==,,b Yg==",
            "name /w==",
        ] {
            assert!(
                matches!(parse_metadata(header), Err(TusError::BadRequest(_))),
                "{header}"
            );
        }
    }
}
