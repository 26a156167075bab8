//! cmi5: the AU launch URL (endpoint, fetch, actor, registration, activityId), the one-time
//! fetch URL for the auth token, and the xAPI endpoints an AU needs, all on the content
//! origin (no session there: the AU authenticates with its token). cmi5-defined statements
//! are stored and, by the AU's moveOn rule, reported to progress.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use crate::auth::session::{hash_token, random_token, SessionUser};
use crate::db::cmi5::{self as store, SessionRow};
use crate::db::{courses, now_ms};
use crate::error::AppError;
use crate::app::AppState;
use crate::tracking::event::Reported;

const VERB: &str = "http://adlnet.gov/expapi/verbs/";
const SESSION_EXT: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";

/// A UUID-shaped id from 16 bytes of hex (version 4 / variant bits set).
fn uuid_from(hex: &str) -> String {
    let h: Vec<char> = hex.chars().take(32).collect();
    let s: String = h.iter().collect();
    format!("{}-{}-4{}-8{}-{}", &s[0..8], &s[8..12], &s[13..16], &s[17..20], &s[20..32])
}

fn auth_token(state: &AppState, session_id: &str) -> String {
    state.signer.sign_purpose(&format!("cmi5-auth:{session_id}"))
}

/// Starts a launch of an AU and returns its URL with the cmi5 launch parameters.
pub async fn launch_url(state: &AppState, user: &SessionUser, item: &courses::ItemRow, course_id: i64, app_origin: &str, au_url: String) -> Result<String, AppError> {
    let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
    let au_id = rt["auId"].as_str().unwrap_or(&item.identifier).to_string();
    // One registration per learner and course, stable across launches.
    let registration = uuid_from(&state.signer.sign_purpose(&format!("cmi5-registration:{}:{course_id}", user.id)));
    let session_id = uuid_from(&random_token_hex());
    let fetch_token = random_token();
    let row = SessionRow {
        auth_hash: hash_token(&auth_token(state, &session_id)),
        session_id,
        registration: registration.clone(),
        user_id: user.id,
        course_id,
        item_id: item.id,
        item_key: item.identifier.clone(),
        fetch_token: fetch_token.clone(),
        fetched: 0,
        created_at: now_ms(),
    };
    store::insert_session(&state.db, &row).await?;
    let origin = &state.content_origin;
    let actor = json!({"objectType": "Agent", "name": user.display_name, "account": {"homePage": app_origin, "name": user.id.to_string()}});
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let sep = if au_url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{au_url}{sep}endpoint={}&fetch={}&actor={}&registration={}&activityId={}",
        enc(&format!("{origin}/xapi/")),
        enc(&format!("{origin}/cmi5/fetch/{fetch_token}")),
        enc(&actor.to_string()),
        enc(&registration),
        enc(&au_id)
    ))
}

fn random_token_hex() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// `POST /cmi5/fetch/{token}`: the auth token, once.
pub async fn fetch(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    match store::take_fetch(&state.db, &token).await? {
        Some(row) => Ok(HttpResponse::Ok().json(json!({"auth-token": auth_token(&state, &row.session_id)}))),
        // cmi5 8.2.3: a second call gets error code 1, never the token again.
        None => Ok(HttpResponse::Ok().json(json!({"error-code": "1", "error-text": "this fetch URL was already used or is unknown"}))),
    }
}

/// The launch session behind `Authorization: Basic <auth-token>`.
async fn session(state: &AppState, req: &HttpRequest) -> Result<SessionRow, AppError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or(AppError::Unauthorized)?;
    store::session_by_auth(&state.db, &hash_token(token.trim())).await?.ok_or(AppError::Unauthorized)
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
    let s = session(&state, &req).await?;
    let parsed: Value = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the statement is not JSON: {e}")))?;
    let list = match parsed {
        Value::Array(list) => list,
        one => vec![one],
    };
    if query.statement_id.is_some() && list.len() != 1 {
        return Err(AppError::BadRequest("PUT takes one statement".into()));
    }
    // Every statement is checked, and every id against the store, before any is stored:
    // a batch with one conflict is refused whole (xAPI 1.0.3, 2.1.3).
    let mut checked = Vec::with_capacity(list.len());
    for mut st in list {
        let id = check_statement(&s, &mut st, query.statement_id.as_deref())?;
        let stored = already_stored(&state, &s, &id, &st).await?;
        checked.push((id, st, stored));
    }
    let mut ids = Vec::new();
    let mut defined = false;
    for (id, st, stored) in checked {
        let verb = st["verb"]["id"].as_str().unwrap_or_default().to_string();
        defined |= ["completed", "passed", "failed"].iter().any(|v| verb == format!("{VERB}{v}"));
        // Lost a race with another request storing the same id: judge it as above.
        if !stored && !store::insert_statement(&state.db, &s, &id, &verb, &st.to_string(), now_ms()).await? {
            already_stored(&state, &s, &id, &st).await?;
        }
        ids.push(id);
    }
    if defined {
        report(&state, &s).await?;
    }
    if query.statement_id.is_some() {
        return Ok(xapi(HttpResponse::NoContent()).finish());
    }
    Ok(xapi(HttpResponse::Ok()).json(ids))
}

/// Whether a statement with this id is stored already: `true` when it is this one, sent
/// again by the same learner (idempotent, as xAPI allows); a Conflict when the id is taken
/// by another learner's statement or by different content.
async fn already_stored(state: &AppState, s: &SessionRow, id: &str, st: &Value) -> Result<bool, AppError> {
    let Some(existing) = store::statement_by_id(&state.db, id).await? else {
        return Ok(false);
    };
    let same = existing.user_id == s.user_id
        && serde_json::from_str::<Value>(&existing.statement).is_ok_and(|old| same_statement(&old, st));
    if same {
        Ok(true)
    } else {
        Err(AppError::Conflict(format!("a different statement with id {id} is already stored; statement ids cannot be reused")))
    }
}

/// Equal but for what the LRS adds: `stored`, `authority`, and the `timestamp` it fills in
/// (equal to `stored`) when the sender leaves it out, as a resend of the same statement does.
fn same_statement(stored: &Value, incoming: &Value) -> bool {
    let lrs_timestamp = |v: &Value| v["timestamp"] == v["stored"];
    let drop_timestamp = lrs_timestamp(stored) && lrs_timestamp(incoming);
    let content = |v: &Value| {
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            obj.remove("stored");
            obj.remove("authority");
            if drop_timestamp {
                obj.remove("timestamp");
            }
        }
        v
    };
    content(stored) == content(incoming)
}

/// The statement must be this learner's, in this registration; the LRS adds what it owns.
fn check_statement(s: &SessionRow, st: &mut Value, put_id: Option<&str>) -> Result<String, AppError> {
    let bad = |m: &str| AppError::BadRequest(format!("statement refused: {m}"));
    if !st.is_object() || !st["verb"]["id"].is_string() || !st["object"].is_object() {
        return Err(bad("it needs actor, verb and object"));
    }
    if st["actor"]["account"]["name"].as_str() != Some(&s.user_id.to_string()) {
        return Err(bad("the actor is not the launched learner"));
    }
    if let Some(reg) = st["context"]["registration"].as_str() {
        if reg != s.registration {
            return Err(bad("the registration is not this launch's"));
        }
    }
    let id = match (put_id, st["id"].as_str()) {
        (Some(p), Some(i)) if p != i => return Err(bad("statementId and the statement's id differ")),
        (Some(p), _) => p.to_string(),
        (None, Some(i)) => i.to_string(),
        (None, None) => uuid_from(&random_token_hex()),
    };
    let now = iso_now();
    let obj = st.as_object_mut().expect("checked above");
    obj.insert("id".into(), json!(id));
    obj.entry("timestamp").or_insert_with(|| json!(now.clone()));
    obj.insert("stored".into(), json!(now));
    obj.insert("authority".into(), json!({"objectType": "Agent", "account": {"homePage": "urn:courseware", "name": "lms"}}));
    Ok(id)
}

/// An ISO 8601 UTC timestamp for `stored`.
fn iso_now() -> String {
    let ms = now_ms();
    let minute = crate::tracking::report::format_utc(ms).replacen(' ', "T", 1);
    format!("{minute}:{:02}.{:03}Z", ms.div_euclid(1000).rem_euclid(60), ms.rem_euclid(1000))
}

/// The AU's standing by its moveOn rule, from every statement of the registration.
async fn report(state: &AppState, s: &SessionRow) -> Result<(), AppError> {
    let all = store::statements(&state.db, &s.registration, &s.item_key).await?;
    let seen = |v: &str| all.iter().any(|r| r.verb == format!("{VERB}{v}"));
    let (completed, passed, failed) = (seen("completed"), seen("passed"), seen("failed"));
    let item = courses::item(&state.db, s.item_id).await?;
    let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
    let satisfied = match rt["moveOn"].as_str().unwrap_or("NotApplicable") {
        "Completed" => completed,
        "Passed" => passed,
        "CompletedAndPassed" => completed && passed,
        "CompletedOrPassed" => completed || passed,
        _ => true,
    };
    let status = match (satisfied, passed, failed) {
        (true, true, _) => Reported::Passed,
        (true, false, _) => Reported::Completed,
        (false, _, true) => Reported::Failed,
        (false, _, false) => Reported::Incomplete,
    };
    let score = all
        .iter()
        .rev()
        .filter(|r| r.verb.ends_with("/passed") || r.verb.ends_with("/failed"))
        .find_map(|r| serde_json::from_str::<Value>(&r.statement).ok()?["result"]["score"]["scaled"].as_f64());
    let client_id = format!("cmi5:{}:{}", s.session_id, all.len());
    state.tracker.report_cmi5(s.user_id, s.item_id, client_id, Some(status), score).await?;
    Ok(())
}

/// `GET /xapi/statements`: one by id, or this registration's statements for the AU.
pub async fn get_statements(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StatementQuery>) -> Result<HttpResponse, AppError> {
    let s = session(&state, &req).await?;
    let all = store::statements(&state.db, &s.registration, &s.item_key).await?;
    let parse = |r: &store::StatementRow| serde_json::from_str::<Value>(&r.statement).unwrap_or(Value::Null);
    if let Some(id) = &query.statement_id {
        let one = all.iter().find(|r| &r.id == id).ok_or(AppError::NotFound("statement"))?;
        return Ok(xapi(HttpResponse::Ok()).json(parse(one)));
    }
    let list: Vec<Value> = all.iter().rev().map(parse).collect();
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
    let s = session(&state, &req).await?;
    if query.state_id == "LMS.LaunchData" {
        let item = courses::item(&state.db, s.item_id).await?;
        let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
        let mut data = json!({
            "contextTemplate": {"extensions": {SESSION_EXT: s.session_id}},
            "launchMode": "Normal",
            "launchMethod": rt["launchMethod"].as_str().unwrap_or("AnyWindow"),
            "moveOn": rt["moveOn"].as_str().unwrap_or("NotApplicable"),
        });
        if let Some(m) = rt.get("masteryScore") {
            data["masteryScore"] = m.clone();
        }
        return Ok(xapi(HttpResponse::Ok()).json(data));
    }
    match store::get_state(&state.db, &s.registration, &query.activity_id, &query.state_id).await? {
        Some(doc) => Ok(xapi(HttpResponse::Ok()).content_type("application/json").body(doc)),
        None => Err(AppError::NotFound("state document")),
    }
}

/// `PUT`/`POST /xapi/activities/state`: stores a document (LMS.LaunchData is read-only).
pub async fn put_state(state: web::Data<AppState>, req: HttpRequest, query: web::Query<StateQuery>, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let s = session(&state, &req).await?;
    if query.state_id == "LMS.LaunchData" {
        return Err(AppError::Forbidden);
    }
    let doc = String::from_utf8(body.to_vec()).map_err(|_| AppError::BadRequest("the document is not UTF-8".into()))?;
    store::put_state(&state.db, &s.registration, &query.activity_id, &query.state_id, &doc).await?;
    Ok(xapi(HttpResponse::NoContent()).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resend_is_the_same_statement_and_other_content_is_not() {
        let sent = |stored: &str, timestamp: Option<&str>, verb: &str| {
            let mut v = json!({"id": "s1", "actor": {"account": {"name": "7"}}, "verb": {"id": verb}, "object": {"id": "au"},
                               "stored": stored, "authority": {"name": "lms"}});
            v["timestamp"] = json!(timestamp.unwrap_or(stored));
            v
        };
        let first = sent("2026-01-01T00:00:00.000Z", None, "passed");
        assert!(same_statement(&first, &sent("2026-01-02T00:00:00.000Z", None, "passed")), "resent later without a timestamp");
        assert!(!same_statement(&first, &sent("2026-01-02T00:00:00.000Z", None, "failed")), "other verb");
        let dated = sent("2026-01-01T00:00:00.000Z", Some("2025-12-31T23:00:00Z"), "passed");
        assert!(same_statement(&dated, &sent("2026-01-03T00:00:00.000Z", Some("2025-12-31T23:00:00Z"), "passed")));
        assert!(!same_statement(&dated, &sent("2026-01-03T00:00:00.000Z", Some("2025-12-31T23:30:00Z"), "passed")), "other timestamp");
        assert!(!same_statement(&dated, &sent("2026-01-03T00:00:00.000Z", None, "passed")), "timestamp dropped");
    }
}
