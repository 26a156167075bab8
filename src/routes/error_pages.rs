//! Error responses to browser routes become rendered HTML pages (401 a redirect to the
//! login page); API and media routes keep their JSON or empty bodies.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::render::{PageEnv, Renderer};

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    message: Option<String>,
}

/// Middleware hook (`ErrorHandlers::default_handler`).
pub fn render_error_page<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let path = res.request().path();
    // A page's script that asks for JSON (the upload form's import step) gets the JSON error
    // with its problems, not an error page it cannot show.
    let wants_json = res.request().headers().get(header::ACCEPT).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let is_page = !(path.starts_with("/api/") || path.starts_with("/content/") || path == "/healthz"
        || path.starts_with("/static/") || wants_json);
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_page || !(is_json || res.response().body().size().is_eof() || res.status().as_u16() == 404) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    // Headers set on the way (a session cookie cleared, a Bearer challenge, a delay) survive
    // the page that replaces the body.
    let carried: Vec<(header::HeaderName, header::HeaderValue)> = [header::SET_COOKIE, header::WWW_AUTHENTICATE, header::RETRY_AFTER]
        .into_iter()
        .flat_map(|name| res.headers().get_all(&name).cloned().map(move |v| (name.clone(), v)).collect::<Vec<_>>())
        .collect();
    let keep_headers = |mut response: HttpResponse| {
        for (name, value) in &carried {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
    };
    // A rejected Bearer token is an API client's error, whatever the path: no login page.
    if status == StatusCode::UNAUTHORIZED && !res.headers().contains_key(header::WWW_AUTHENTICATE) {
        let next = res.request().uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
        let location = format!("/login?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC));
        let (req, _) = res.into_parts();
        let response = keep_headers(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()).map_into_right_body();
        return Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response)));
    }
    let (req, res) = res.into_parts();
    let message = if status.is_client_error() {
        error_message(res.into_body())
    } else {
        None
    };
    let env = PageEnv::of_request(&req);
    let template = match status.as_u16() {
        404 => "errors/404.html",
        500..=599 => "errors/500.html",
        _ => "errors/other.html",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        message,
    };
    let html = req
        .app_data::<web::Data<Renderer>>()
        .and_then(|renderer| renderer.render(template, &env, &page).ok())
        .unwrap_or_else(|| format!("<!doctype html><title>{status}</title><h1>{status}</h1>"));
    let response = keep_headers(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html));
    let response: HttpResponse<EitherBody<B, BoxBody>> = response.map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response)))
}

/// Pulls the `message` out of an [`AppError`] JSON body already in memory.
fn error_message<B: MessageBody>(body: B) -> Option<String> {
    let bytes = body.try_into_bytes().ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}
