//! The content origin: a second listener that serves package files, the SCORM wrapper
//! page and the runtime scripts, and nothing else. It has no sessions (no cookie is read
//! or set here), so third-party course scripts running on it act for nobody; they reach
//! the learner's data only through the player page's `postMessage` bridge.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::routes::{assets, cmi5, content, scorm};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/content/{version_id}/{token}/{path:.+}")
            .route(web::get().to(content::serve_package_content))
            .route(web::head().to(content::serve_package_content)),
    )
    .route("/scorm/wrapper", web::get().to(wrapper))
    .service(
        web::resource("/scorm/commit/{user_id}/{item_id}/{session}/{key}")
            .app_data(scorm::commit_config())
            .route(web::post().to(scorm::keyed_commit)),
    )
    .route("/cmi5/fetch/{token}", web::post().to(cmi5::fetch))
    .route("/xapi/about", web::get().to(cmi5::about))
    .service(
        web::resource("/xapi/statements")
            .route(web::get().to(cmi5::get_statements))
            .route(web::post().to(cmi5::put_statements))
            .route(web::put().to(cmi5::put_statements)),
    )
    .service(
        web::resource("/xapi/activities/state")
            .route(web::get().to(cmi5::get_state))
            .route(web::post().to(cmi5::put_state))
            .route(web::put().to(cmi5::put_state)),
    )
    .service(
        web::resource("/xapi/agents/profile")
            .route(web::get().to(cmi5::get_agent_profile))
            .route(web::put().to(cmi5::change_agent_profile))
            .route(web::post().to(cmi5::change_agent_profile))
            .route(web::delete().to(cmi5::change_agent_profile)),
    )
    .route("/cmi5/returned", web::get().to(cmi5_returned))
    .route("/static/cmi5-return.js", web::get().to(|req: HttpRequest| async move { assets::static_file(&req, "cmi5-return.js") }))
    .route("/static/scorm-cmi.js", web::get().to(|req: HttpRequest| async move { assets::static_file(&req, "scorm-cmi.js") }))
    .route("/static/scorm-bridge.js", web::get().to(|req: HttpRequest| async move { assets::static_file(&req, "scorm-bridge.js") }))
    .default_service(web::to(|| async { HttpResponse::NotFound().body("not found") }));
}

#[derive(serde::Deserialize)]
pub struct WrapperQuery {
    player: String,
}

/// The page the player frames: it defines the SCORM API (scorm-bridge.js), answering
/// only the player origin named here, and loads the SCO in a child frame of the same
/// origin. Only that origin may frame it.
pub async fn wrapper(query: web::Query<WrapperQuery>) -> Result<HttpResponse, AppError> {
    let origin = checked_origin(&query.player)
        .ok_or_else(|| AppError::BadRequest("player must be an origin such as https://host:port".into()))?;
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>SCORM</title>\n\
         <style>html,body{{margin:0;height:100%;overflow:hidden}}iframe{{border:0;width:100%;height:100%;display:block}}</style>\n\
         </head><body><iframe id=\"sco-frame\" title=\"SCO\"></iframe>\n\
         <script src=\"{cmi}\"></script>\n\
         <script src=\"{bridge}\" data-player-origin=\"{origin}\"></script>\n\
         </body></html>\n",
        cmi = crate::assets::static_url("scorm-cmi.js"),
        bridge = crate::assets::static_url("scorm-bridge.js"),
    );
    Ok(own_page(page, origin))
}

#[derive(serde::Deserialize)]
pub struct ReturnedQuery {
    origin: String,
    course: i64,
    sig: String,
}

/// The cmi5 `returnURL`: where an AU sends the learner when it exits. Framed by the lesson
/// page, it tells that page (which then opens the course page); in an AU's own window it
/// loads the course page itself. Only a target the server signed is followed.
pub async fn cmi5_returned(state: web::Data<crate::app::AppState>, query: web::Query<ReturnedQuery>) -> Result<HttpResponse, AppError> {
    let origin = checked_origin(&query.origin).ok_or_else(|| AppError::BadRequest("origin must be an origin such as https://host:port".into()))?;
    let target = crate::app::cmi5::checked_return(&state, origin, query.course, &query.sig)
        .ok_or_else(|| AppError::BadRequest("this return link was not issued by this server".into()))?;
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>返回课程 · Back to the course</title></head><body>\n\
         <p><a href=\"{target}\" target=\"_top\">返回课程 · Back to the course</a></p>\n\
         <script src=\"{script}\" data-origin=\"{origin}\" data-target=\"{target}\"></script>\n\
         </body></html>\n",
        script = crate::assets::static_url("cmi5-return.js"),
    );
    Ok(own_page(page, origin))
}

/// A page of the server's own on the content origin, which only the player's origin may
/// frame and no cache keeps (it carries per-launch values).
fn own_page(page: String, player_origin: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, format!("frame-ancestors {player_origin}")))
        .body(page)
}

/// `scheme://host[:port]` with an http(s) scheme and nothing else, so it is safe to put
/// in an attribute and a header.
fn checked_origin(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then_some(s)
}

/// Whether the content origin is on the application's own host name (another port, say).
/// Browsers share cookies across the ports of one host, so a package page there can plant
/// cookies for the application; only another host name (another registrable domain) keeps
/// them apart. `app_host` is a Host header or bind address (`name`, `name:port`, `[v6]:port`).
pub fn shares_host_with(app_host: &str, content_origin: &str) -> bool {
    let content_host = url::Url::parse(content_origin).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let app_host = match url::Url::parse(&format!("http://{app_host}")) {
        Ok(u) => u.host_str().map(str::to_ascii_lowercase),
        Err(_) => None,
    };
    matches!((content_host, app_host), (Some(c), Some(a)) if c == a)
}

#[cfg(test)]
mod tests {
    use super::shares_host_with;
    #[test]
    fn only_plain_origins_are_accepted() {
        assert_eq!(super::checked_origin("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080"));
        assert_eq!(super::checked_origin("https://[::1]:1"), Some("https://[::1]:1"));
        for bad in ["javascript:alert(1)", "http://a/b", "http://a\"b", "ftp://a", "http://"] {
            assert_eq!(super::checked_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn another_port_of_the_same_host_shares_it() {
        assert!(shares_host_with("127.0.0.1:8080", "http://127.0.0.1:8081"));
        assert!(shares_host_with("School.Example:443", "https://school.example:8443"));
        assert!(shares_host_with("[::1]:8080", "http://[::1]:8081"));
        assert!(!shares_host_with("127.0.0.1:8080", "http://localhost:8081"));
        assert!(!shares_host_with("cw.example.cn", "https://cw-content.example.net"));
        assert!(!shares_host_with("cw.example.cn", "not a url"));
    }
}
