//! cmi5: the AU launch URL (endpoint, fetch, actor, registration, activityId), the one-time
//! fetch URL for the auth token, and the xAPI endpoints an AU needs, all on the content
//! origin (no session there: the AU authenticates with its token). cmi5-defined statements
//! are stored and, by the AU's moveOn rule, reported to progress.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::app::cmi5::{self as au, StateDocument};
use crate::app::AppState;
use crate::error::AppError;

/// `POST /cmi5/fetch/{token}`: the auth token, once.
pub async fn fetch(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    match au::fetch_auth_token(&state, &token).await? {
        Some(auth) => Ok(HttpResponse::Ok().json(json!({"auth-token": auth}))),
        // cmi5 8.2.3: a second call gets error code 1, never the token again.
        None => Ok(HttpResponse::Ok().json(json!({"error-code": "1", "error-text": "this fetch URL was already used or is unknown"}))),
    }
}

/// The token of `Authorization: Basic <auth-token>`.
fn auth_token(req: &HttpRequest) -> Result<&str, AppError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or(AppError::Unauthorized)
}

fn xapi(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header(("X-Experience-API-Version", "1.0.3"));
    res
}

pub async fn about() -> HttpResponse {
    xapi(HttpResponse::Ok()).json(json!({"version": ["1.0.3", "1.0.0"]}))
}

#[derive(serde::Deserialize)]
pub struct StatementQuery {
    #[serde(rename = "statementId")]
    statement_id: Option<String>,
}

/// `POST /xapi/statements` (one or many) and `PUT /xapi/statements?statementId=`.
pub async fn put_statements(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StatementQuery>, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let s = au::session(&state, auth_token(&req)?).await?;
    let parsed: Value = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the statement is not JSON: {e}")))?;
    let list = match parsed {
        Value::Array(list) => list,
        one => vec![one],
    };
    let ids = au::store_statements(&state, &s, list, query.statement_id.as_deref()).await?;
    if query.statement_id.is_some() {
        return Ok(xapi(HttpResponse::NoContent()).finish());
    }
    Ok(xapi(HttpResponse::Ok()).json(ids))
}

/// `GET /xapi/statements`: one by id, or this registration's statements for the AU.
pub async fn get_statements(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StatementQuery>) -> Result<HttpResponse, AppError> {
    let s = au::session(&state, auth_token(&req)?).await?;
    let mut list = au::statements(&state, &s, query.statement_id.as_deref()).await?;
    if query.statement_id.is_some() {
        return Ok(xapi(HttpResponse::Ok()).json(list.swap_remove(0)));
    }
    Ok(xapi(HttpResponse::Ok()).json(json!({"statements": list, "more": ""})))
}

#[derive(serde::Deserialize)]
pub struct StateQuery {
    #[serde(rename = "stateId")]
    state_id: String,
    #[serde(rename = "activityId")]
    activity_id: String,
}

/// `GET /xapi/activities/state`: `LMS.LaunchData` made from the AU's manifest entry, or a
/// document the AU stored.
pub async fn get_state(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StateQuery>) -> Result<HttpResponse, AppError> {
    let s = au::session(&state, auth_token(&req)?).await?;
    match au::state_document(&state, &s, &query.activity_id, &query.state_id).await? {
        StateDocument::LaunchData(data) => Ok(xapi(HttpResponse::Ok()).json(data)),
        StateDocument::Stored(doc) => Ok(xapi(HttpResponse::Ok()).content_type("application/json").body(doc)),
    }
}

/// `PUT`/`POST /xapi/activities/state`: stores a document (LMS.LaunchData is read-only).
pub async fn put_state(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StateQuery>, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let s = au::session(&state, auth_token(&req)?).await?;
    au::put_state_document(&state, &s, &query.activity_id, &query.state_id, &body).await?;
    Ok(xapi(HttpResponse::NoContent()).finish())
}

#[derive(serde::Deserialize)]
pub struct ProfileQuery {
    agent: String,
    #[serde(rename = "profileId")]
    profile_id: Option<String>,
}

/// `GET /xapi/agents/profile`: the learner's `cmi5LearnerPreferences` (cmi5 11.0), or the
/// list of profile ids when none is named.
pub async fn get_agent_profile(state: web::Data<AppState>, req: HttpRequest, query: web::Query<ProfileQuery>) -> Result<HttpResponse, AppError> {
    let s = au::session(&state, auth_token(&req)?).await?;
    let preferences = au::learner_preferences(&s, &query.agent)?;
    match query.profile_id.as_deref() {
        None => Ok(xapi(HttpResponse::Ok()).json(json!([au::LEARNER_PREFERENCES]))),
        Some(au::LEARNER_PREFERENCES) => Ok(xapi(HttpResponse::Ok()).json(preferences)),
        Some(_) => Err(AppError::NotFound("agent profile")),
    }
}

/// `PUT`/`POST`/`DELETE /xapi/agents/profile`: the preferences are the learner's settings on
/// this site, so an AU's change is refused with 403, which cmi5 11.0 allows and tells AUs
/// not to treat as an error.
pub async fn change_agent_profile(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    au::session(&state, auth_token(&req)?).await?;
    Err(AppError::Forbidden)
}
