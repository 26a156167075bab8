//! Who is asking: the session cookie or a Bearer API token, resolved once per request by
//! the [`super::csrf::Authenticate`] middleware and read by the extractors here.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::db::sessions;
use crate::db::users::UserRow;
use crate::db::{now_ms, Db, DbResult};
use crate::domain::Role;
use crate::error::AppError;

/// The session cookie over plain HTTP (development, or a deployment without TLS).
pub const SESSION_COOKIE: &str = "cw_session";
/// Over HTTPS: browsers accept a `__Host-` cookie only if it is Secure, for path `/` and
/// without a Domain, so a page on a sibling subdomain or an http origin cannot plant one.
pub const HOST_SESSION_COOKIE: &str = "__Host-cw_session";

/// The session cookie's name for a request that came over HTTPS or not.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        HOST_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_MS: i64 = 12 * 3600 * 1000;
/// And after this long whatever happens.
pub const ABSOLUTE_TIMEOUT_MS: i64 = 30 * 24 * 3600 * 1000;

/// A signed-in user as the request sees them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub school_id: Option<i64>,
    pub region_id: Option<i64>,
    /// The session's CSRF token; `None` when authenticated by an API token (no cookie, no CSRF).
    #[serde(skip)]
    pub csrf_token: Option<String>,
}

impl SessionUser {
    /// The user behind a signed capability (no session, so no CSRF token); `None` when the
    /// account is gone or disabled.
    pub async fn by_id(db: &Db, user_id: i64) -> DbResult<Option<SessionUser>> {
        match crate::db::users::get(db, user_id).await {
            Ok(row) if row.disabled == 0 => Ok(SessionUser::from_row(row, None)),
            Ok(_) | Err(crate::db::DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn from_row(row: UserRow, csrf_token: Option<String>) -> Option<SessionUser> {
        Some(SessionUser {
            role: Role::parse(&row.role).ok()?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            school_id: row.school_id,
            region_id: row.region_id,
            csrf_token,
        })
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// How long a resolved API token is reused without asking the database: API clients send
/// many requests a second. A revoked token or disabled user is refused within this time.
const TOKEN_TTL: Duration = Duration::from_secs(5);
const MAX_CACHED_TOKENS: usize = 100_000;

/// API tokens resolved in the last [`TOKEN_TTL`], by token hash.
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (SessionUser, Instant)>>);

impl TokenCache {
    async fn resolve(&self, db: &Db, token: &str) -> DbResult<Option<SessionUser>> {
        let hash = hash_token(token);
        if let Some((user, at)) = self.0.lock().expect("token cache").get(&hash) {
            if at.elapsed() < TOKEN_TTL {
                return Ok(Some(user.clone()));
            }
        }
        let user = sessions::find_token_user(db, &hash).await?.and_then(|u| SessionUser::from_row(u, None));
        let mut cache = self.0.lock().expect("token cache");
        if cache.len() >= MAX_CACHED_TOKENS {
            cache.clear();
        }
        match &user {
            Some(u) => cache.insert(hash, (u.clone(), Instant::now())),
            None => cache.remove(&hash),
        };
        Ok(user)
    }
}

/// What a request's credentials came to.
pub struct Resolution {
    pub user: Option<SessionUser>,
    /// The request carried the session cookie more than once. Only another page on this host
    /// (the content origin on another port, say) can add a second one, to make the victim
    /// act in the attacker's session ("cookie tossing"): the request is treated as signed
    /// out and the response clears them (see [`clearing_cookies`]).
    pub tossed: bool,
}

/// Resolves the request's credentials: `Authorization: Bearer` first, then the cookie.
/// A Bearer token that is not valid is an error (RFC 6750: 401 `invalid_token`), never a
/// silent guest, so that a client with a revoked token learns it.
pub async fn resolve(db: &Db, tokens: &TokenCache, req: &HttpRequest, https: bool) -> Result<Resolution, AppError> {
    if let Some(token) = bearer_token(req) {
        return match tokens.resolve(db, token).await? {
            Some(user) => Ok(Resolution { user: Some(user), tossed: false }),
            None => Err(AppError::InvalidToken),
        };
    }
    let values = session_cookie_values(req, cookie_name(https));
    let value = match values.as_slice() {
        [] => return Ok(Resolution { user: None, tossed: false }),
        [one] => one,
        _ => return Ok(Resolution { user: None, tossed: true }),
    };
    let token_hash = hash_token(value);
    let Some((session, user)) = sessions::find(db, &token_hash).await? else { return Ok(Resolution { user: None, tossed: false }) };
    let now = now_ms();
    if now > session.expires_at || now - session.last_seen_at > IDLE_TIMEOUT_MS {
        sessions::delete(db, &token_hash).await?;
        return Ok(Resolution { user: None, tossed: false });
    }
    // A write per request would queue behind progress writes on SQLite; once a minute will do.
    if now - session.last_seen_at >= 60_000 {
        sessions::touch(db, &token_hash, now).await?;
    }
    Ok(Resolution { user: SessionUser::from_row(user, Some(session.csrf_token)), tossed: false })
}

/// Every value of the cookie `name` the request carries (a browser sends one per path and
/// domain it holds, so more than one means somebody set a second).
fn session_cookie_values(req: &HttpRequest, name: &str) -> Vec<String> {
    req.cookies().map_or_else(|_| Vec::new(), |all| all.iter().filter(|c| c.name() == name).map(|c| c.value().to_string()).collect())
}

/// Expired session cookies for `/` and every path prefix of `request_path`: a tossed cookie
/// was set with some path the request matched, and a browser replaces a cookie only when
/// name, path and domain are the same.
pub fn clearing_cookies(request_path: &str, https: bool) -> Vec<Cookie<'static>> {
    let mut paths = vec!["/".to_string()];
    let mut prefix = String::new();
    for segment in request_path.split('/').filter(|s| !s.is_empty()).take(8) {
        prefix.push('/');
        prefix.push_str(segment);
        paths.push(prefix.clone());
        paths.push(format!("{prefix}/"));
    }
    paths
        .into_iter()
        .map(|path| {
            let mut cookie = session_cookie(String::new(), https, CookieDuration::ZERO);
            cookie.set_path(path);
            cookie
        })
        .collect()
}

/// Whether the request authenticates with `Authorization: Bearer` (valid or not).
pub fn carries_bearer(req: &HttpRequest) -> bool {
    bearer_token(req).is_some()
}

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    // RFC 6750 section 2.1: the scheme is case-insensitive.
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Starts a new session (a fresh token, never a reused one) and returns its cookie.
pub async fn start(db: &Db, user_id: i64, secure: bool) -> DbResult<Cookie<'static>> {
    start_in(&mut *db.pool.acquire().await?, user_id, secure).await
}

/// `start` inside the caller's transaction.
pub async fn start_in(conn: &mut AnyConnection, user_id: i64, secure: bool) -> DbResult<Cookie<'static>> {
    let token = random_token();
    sessions::create_in(conn, &hash_token(&token), user_id, &random_token(), now_ms() + ABSOLUTE_TIMEOUT_MS).await?;
    Ok(session_cookie(token, secure, CookieDuration::milliseconds(ABSOLUTE_TIMEOUT_MS)))
}

/// Ends the request's session, if any, and returns a cookie that clears it.
pub async fn end(db: &Db, req: &HttpRequest, secure: bool) -> DbResult<Cookie<'static>> {
    end_in(&mut *db.pool.acquire().await?, req, secure).await
}

/// `end` inside the caller's transaction.
pub async fn end_in(conn: &mut AnyConnection, req: &HttpRequest, secure: bool) -> DbResult<Cookie<'static>> {
    for value in session_cookie_values(req, cookie_name(secure)) {
        sessions::delete_in(conn, &hash_token(&value)).await?;
    }
    Ok(session_cookie(String::new(), secure, CookieDuration::ZERO))
}

fn session_cookie(value: String, secure: bool, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(cookie_name(secure), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .finish()
}

/// The signed-in user, if any. Always succeeds.
pub struct MaybeUser(pub Option<SessionUser>);

/// The signed-in user; 401 (pages: a redirect to the login page) when there is none.
pub struct CurrentUser(pub SessionUser);

/// Stored in request extensions by the middleware.
#[derive(Clone)]
pub(crate) struct Resolved(pub Option<SessionUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeUser(req.extensions().get::<Resolved>().and_then(|r| r.0.clone()))))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = req.extensions().get::<Resolved>().and_then(|r| r.0.clone());
        ready(user.map(CurrentUser).ok_or(AppError::Unauthorized))
    }
}

impl CurrentUser {
    /// Fails with 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&SessionUser, AppError> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            Err(AppError::Forbidden)
        }
    }
}
