//! The tus request handlers. Each checks the tus headers, makes one call into the store
//! and answers with the tus response headers; the app routes them after authentication.
//! Bodies are any byte stream: `web::Payload` in the app, something else in tests.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::Stream;

use super::error::TusError;
use super::metadata::{encode_metadata, parse_metadata};
use super::protocol::{
    check_version, content_length, has_offset_body, header_str, progress_headers, upload_length,
    upload_offset, EXTENSIONS, TUS_EXTENSION, TUS_MAX_SIZE, TUS_RESUMABLE, TUS_VERSION,
    TUS_VERSION_HEADER, UPLOAD_LENGTH, UPLOAD_METADATA,
};
use super::store::UploadStore;

/// `OPTIONS <base_path>`: what this server supports. Needs no authentication.
pub async fn options(store: &UploadStore) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((TUS_RESUMABLE, TUS_VERSION))
        .insert_header((TUS_VERSION_HEADER, TUS_VERSION))
        .insert_header((TUS_EXTENSION, EXTENSIONS))
        .insert_header((TUS_MAX_SIZE, store.config().max_size))
        .finish()
}

/// `POST <base_path>`: creates an upload, 201 with its `Location`. A body of type
/// `application/offset+octet-stream` is stored as its first bytes (creation-with-upload).
pub async fn create<S, E>(
    req: &HttpRequest,
    body: S,
    owner: i64,
    store: &UploadStore,
) -> Result<HttpResponse, TusError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    check_version(req)?;
    let length = upload_length(req)?;
    let metadata = parse_metadata(header_str(req, UPLOAD_METADATA)?.unwrap_or(""))?;
    let mut info = store.create(owner, length, metadata).await?;
    if has_offset_body(req) {
        info = store
            .append(&info.id, owner, 0, content_length(req)?, body)
            .await?;
    }
    let base = store.config().base_path.trim_end_matches('/');
    let mut res = HttpResponse::Created();
    res.insert_header((LOCATION, format!("{base}/{}", info.id)));
    progress_headers(&mut res, &info);
    Ok(res.finish())
}

/// `HEAD <base_path>/{id}`: where to resume. Never cached, since the offset moves.
pub async fn head(
    req: &HttpRequest,
    id: &str,
    owner: i64,
    store: &UploadStore,
) -> Result<HttpResponse, TusError> {
    check_version(req)?;
    let info = store.info(id, owner).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((UPLOAD_LENGTH, info.length));
    if !info.metadata.is_empty() {
        res.insert_header((UPLOAD_METADATA, encode_metadata(&info.metadata)));
    }
    progress_headers(&mut res, &info);
    Ok(res.finish())
}

/// `PATCH <base_path>/{id}`: appends the body at `Upload-Offset`, 204 with the new offset.
pub async fn patch<S, E>(
    req: &HttpRequest,
    id: &str,
    body: S,
    owner: i64,
    store: &UploadStore,
) -> Result<HttpResponse, TusError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    check_version(req)?;
    if !has_offset_body(req) {
        return Err(TusError::UnsupportedMediaType);
    }
    let offset = upload_offset(req)?;
    let info = store
        .append(id, owner, offset, content_length(req)?, body)
        .await?;
    let mut res = HttpResponse::NoContent();
    progress_headers(&mut res, &info);
    Ok(res.finish())
}

/// `DELETE <base_path>/{id}`: termination; the upload's files are removed.
pub async fn delete(
    req: &HttpRequest,
    id: &str,
    owner: i64,
    store: &UploadStore,
) -> Result<HttpResponse, TusError> {
    check_version(req)?;
    store.remove(id, owner).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((TUS_RESUMABLE, TUS_VERSION))
        .finish())
}
