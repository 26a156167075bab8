//! Logging: tracing to stderr, filtered by the `log` setting, and one span per request.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::uri::{PathAndQuery, Uri};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` wins over the configured filter when set.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}


/// Outer middleware for every request: normalizes the path (doubled slashes merged, a
/// trailing slash trimmed, as actix's `NormalizePath` would, but without its regex on
/// every request) and logs method, path, status and duration at debug level.
pub struct RequestSpan;

impl<S, B> Transform<S, ServiceRequest> for RequestSpan
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestSpanService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestSpanService { service }))
    }
}

pub struct RequestSpanService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for RequestSpanService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if let Some(path) = normalized(req.path()) {
            let query = req.query_string();
            let text = if query.is_empty() { path } else { format!("{path}?{query}") };
            let mut parts = req.head().uri.clone().into_parts();
            if let Ok(pq) = PathAndQuery::try_from(text) {
                parts.path_and_query = Some(pq);
                if let Ok(uri) = Uri::from_parts(parts) {
                    req.match_info_mut().get_mut().update(&uri);
                    req.head_mut().uri = uri;
                }
            }
        }
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return Box::pin(self.service.call(req));
        }
        let method = req.method().clone();
        let path = req.path().to_owned();
        let started = Instant::now();
        let fut = self.service.call(req);
        Box::pin(async move {
            let res = fut.await?;
            tracing::debug!(%method, %path, status = res.status().as_u16(),
                ms = started.elapsed().as_millis() as u64, "request");
            Ok(res)
        })
    }
}

/// The path with runs of slashes merged and a trailing slash trimmed, if it differs.
fn normalized(path: &str) -> Option<String> {
    if !(path.contains("//") || (path.len() > 1 && path.ends_with('/'))) {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::normalized;

    #[test]
    fn paths_are_normalized_like_actix_trim() {
        assert_eq!(normalized("/courses/1"), None);
        assert_eq!(normalized("/"), None);
        assert_eq!(normalized("/courses/1/").as_deref(), Some("/courses/1"));
        assert_eq!(normalized("//courses///1//").as_deref(), Some("/courses/1"));
        assert_eq!(normalized("//").as_deref(), Some("/"));
    }
}

/// Formats an error with all its causes on one line, for logs and CLI messages.
pub fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
