//! TEMPORARY whole-file responder until the range-serving module lands.

use std::path::PathBuf;

use actix_web::{HttpRequest, HttpResponse};

pub enum CacheControl {
    Immutable,
    Private,
}

pub struct ServedFile {
    pub path: PathBuf,
    pub len: u64,
    pub sha256: String,
    pub last_modified_unix: i64,
    pub file_name: String,
    pub cache_control: CacheControl,
}

#[derive(Default)]
pub struct ServeOptions {
    pub accel_redirect: Option<(String, String)>,
    pub max_ranges: usize,
}

pub async fn serve(_req: &HttpRequest, file: ServedFile, _opts: &ServeOptions) -> std::io::Result<HttpResponse> {
    let bytes = tokio::fs::read(&file.path).await?;
    let mime = mime_guess::from_path(&file.file_name).first_or_octet_stream();
    Ok(HttpResponse::Ok().content_type(mime.to_string()).body(bytes))
}
