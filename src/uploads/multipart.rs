//! A minimal multipart/form-data reader for small forms (a roster CSV): the body is read
//! whole, up to a limit, and the one file field is returned. Large uploads use tus instead.

use actix_web::http::header::{HeaderMap, CONTENT_TYPE};
use actix_web::web;
use futures_util::StreamExt;

use crate::error::AppError;

/// Returns the bytes of the form field `name` (a file or a plain value).
pub async fn read_field(headers: &HeaderMap, mut body: web::Payload, name: &str, limit: usize) -> Result<Vec<u8>, AppError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| AppError::BadRequest("expected a multipart/form-data upload".into()))?;
    let mut data = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("the upload was interrupted: {e}")))?;
        if data.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        data.extend_from_slice(&chunk);
    }
    field(&data, &boundary, name).ok_or_else(|| AppError::BadRequest(format!("the form has no field {name:?}")))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn field(data: &[u8], boundary: &str, name: &str) -> Option<Vec<u8>> {
    let delimiter = format!("--{boundary}");
    let mut at = find(data, delimiter.as_bytes(), 0)?;
    loop {
        let headers_start = at + delimiter.len() + 2;
        let headers_end = find(data, b"\r\n\r\n", headers_start)?;
        let headers = String::from_utf8_lossy(&data[headers_start..headers_end]);
        let body_start = headers_end + 4;
        let next = find(data, format!("\r\n{delimiter}").as_bytes(), body_start)?;
        let wanted = format!("name=\"{name}\"");
        if headers.lines().any(|l| l.to_ascii_lowercase().starts_with("content-disposition") && l.contains(&wanted)) {
            return Some(data[body_start..next].to_vec());
        }
        at = next + 2;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_named_field() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nu,n,c\r\n1,2,3\r\n--XX--\r\n";
        assert_eq!(super::field(body, "XX", "file").unwrap(), b"u,n,c\r\n1,2,3");
        assert_eq!(super::field(body, "XX", "csrf_token").unwrap(), b"abc");
        assert!(super::field(body, "XX", "missing").is_none());
    }
}
