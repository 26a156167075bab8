//! cmi5 for a learner's AU: the launch (registration, session, launch parameters), the
//! one-time fetch of the auth token, the statements an AU sends and reads, its state
//! documents, and its standing by the moveOn rule, reported to progress.

use std::collections::{HashMap, HashSet};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use crate::auth::session::{hash_token, random_token, SessionUser};
use crate::db::cmi5::{self as store, SessionRow};
use crate::db::{courses, now_ms, versions};
use crate::domain::cmi5::{satisfied, MoveOn, StructureNode};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tracking::event::Reported;

use super::AppState;

const VERB: &str = "http://adlnet.gov/expapi/verbs/";
const SESSION_EXT: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const SATISFIED: &str = "https://w3id.org/xapi/adl/verbs/satisfied";
const CMI5_CATEGORY: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
/// The one agent profile document cmi5 defines (section 11.0).
pub const LEARNER_PREFERENCES: &str = "cmi5LearnerPreferences";
/// The state document the LMS makes from the AU's manifest entry; the AU may not write it.
const LAUNCH_DATA: &str = "LMS.LaunchData";

/// A UUID-shaped id from 16 bytes of hex (version 4 / variant bits set).
fn uuid_from(hex: &str) -> String {
    let h: Vec<char> = hex.chars().take(32).collect();
    let s: String = h.iter().collect();
    format!("{}-{}-4{}-8{}-{}", &s[0..8], &s[8..12], &s[13..16], &s[17..20], &s[20..32])
}

fn auth_token(state: &AppState, session_id: &str) -> String {
    state.signer.sign_purpose(&format!("cmi5-auth:{session_id}"))
}

fn random_token_hex() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Starts a launch of an AU and returns its URL with the cmi5 launch parameters. Blocks and
/// the course that are satisfied from the start (every AU NotApplicable) are said so now,
/// in this launch's session (cmi5 9.3.9).
pub async fn launch_url(state: &AppState, user: &SessionUser, item: &courses::ItemRow, course_id: i64, app_origin: &str, lang: Lang, au_url: String) -> Result<String, AppError> {
    let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
    let au_id = rt["auId"].as_str().unwrap_or(&item.identifier).to_string();
    // One registration per learner and course, stable across launches.
    let registration = uuid_from(&state.signer.sign_purpose(&format!("cmi5-registration:{}:{course_id}", user.id)));
    let session_id = uuid_from(&random_token_hex());
    let fetch_token = random_token();
    let actor = json!({"objectType": "Agent", "name": user.display_name, "account": {"homePage": app_origin, "name": user.id.to_string()}});
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
        actor: actor.to_string(),
        language: match lang {
            Lang::ZhCn => "zh-CN,en-US",
            Lang::En => "en-US,zh-CN",
        }
        .to_string(),
    };
    store::insert_session(&state.db, &row).await?;
    settle(state, &row).await?;
    let origin = &state.content_origin;
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

/// The auth token behind a fetch URL, handed out once (cmi5 8.2.3); `None` afterwards.
pub async fn fetch_auth_token(state: &AppState, fetch_token: &str) -> Result<Option<String>, AppError> {
    Ok(store::take_fetch(&state.db, fetch_token).await?.map(|row| auth_token(state, &row.session_id)))
}

/// The launch session an auth token stands for.
pub async fn session(state: &AppState, auth_token: &str) -> Result<SessionRow, AppError> {
    store::session_by_auth(&state.db, &hash_token(auth_token.trim())).await?.ok_or(AppError::Unauthorized)
}

/// Stores statements of the launched learner and returns their ids; `put_id` is the
/// `statementId` of a PUT, which takes one statement. A cmi5-defined verb (completed,
/// passed, failed) reports the AU's standing to progress.
pub async fn store_statements(state: &AppState, s: &SessionRow, list: Vec<Value>, put_id: Option<&str>) -> Result<Vec<String>, AppError> {
    if put_id.is_some() && list.len() != 1 {
        return Err(AppError::BadRequest("PUT takes one statement".into()));
    }
    // Every statement is checked, and every id against the store, before any is stored:
    // a batch with one conflict is refused whole (xAPI 1.0.3, 2.1.3).
    let mut checked = Vec::with_capacity(list.len());
    for mut st in list {
        let id = check_statement(s, &mut st, put_id)?;
        let stored = already_stored(state, s, &id, &st).await?;
        checked.push((id, st, stored));
    }
    let mut ids = Vec::new();
    let mut defined = false;
    for (id, st, stored) in checked {
        let verb = st["verb"]["id"].as_str().unwrap_or_default().to_string();
        defined |= ["completed", "passed", "failed"].iter().any(|v| verb == format!("{VERB}{v}"));
        // Lost a race with another request storing the same id: judge it as above.
        if !stored && !store::insert_statement(&state.db, s, &s.item_key, &id, &verb, &st.to_string(), now_ms()).await? {
            already_stored(state, s, &id, &st).await?;
        }
        ids.push(id);
    }
    if defined {
        report(state, s).await?;
    }
    Ok(ids)
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
    let satisfied = move_on(&item).met(completed, passed);
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
    if satisfied {
        settle(state, s).await?;
    }
    Ok(())
}

fn move_on(item: &courses::ItemRow) -> MoveOn {
    let rt: Value = serde_json::from_str(&item.runtime).unwrap_or(Value::Null);
    MoveOn::parse(rt["moveOn"].as_str().unwrap_or("NotApplicable"))
}

/// Issues the LMS's "satisfied" statements (cmi5 9.3.9) for every block of the course, and
/// the course, whose AUs have all met their moveOn criteria in this registration and that
/// were not said satisfied before. Each statement's id is derived from the registration
/// and the object, so two requests racing here store it once.
async fn settle(state: &AppState, s: &SessionRow) -> Result<(), AppError> {
    // Launches from before the actor was kept cannot speak for the learner.
    let Ok(actor) = serde_json::from_str::<Value>(&s.actor) else { return Ok(()) };
    let item = courses::item(&state.db, s.item_id).await?;
    let items = courses::items(&state.db, item.version_id).await?;
    let verbs = store::registration_verbs(&state.db, &s.registration).await?;
    let said = |key: &str, verb: &str| verbs.iter().any(|(k, v)| k == key && v == verb);
    let by_position: HashMap<i64, &courses::ItemRow> = items.iter().map(|i| (i.position, i)).collect();
    let structure: Vec<StructureNode> = items
        .iter()
        .filter(|i| matches!(i.kind.as_str(), "folder" | "cmi5_au"))
        .map(|i| StructureNode {
            key: i.identifier.clone(),
            parent: i.parent_position.and_then(|p| by_position.get(&p)).map(|p| p.identifier.clone()),
            is_block: i.kind == "folder",
        })
        .collect();
    let met: HashSet<String> = items
        .iter()
        .filter(|i| i.kind == "cmi5_au")
        .filter(|i| move_on(i).met(said(&i.identifier, &format!("{VERB}completed")), said(&i.identifier, &format!("{VERB}passed"))))
        .map(|i| i.identifier.clone())
        .collect();
    let (blocks, course_done) = satisfied(&structure, &met);
    let meta: Value = serde_json::from_str(&versions::metadata(&state.db, item.version_id).await?).unwrap_or_default();
    let course_key = meta["courseId"].as_str().unwrap_or_default().to_string();
    let mut objects: Vec<(String, Value)> = Vec::new();
    for key in blocks.iter().filter(|k| !said(k, SATISFIED)) {
        let title = items.iter().find(|i| &i.identifier == key).map_or(key.as_str(), |i| i.title.as_str());
        let id = format!("urn:courseware:cmi5:course:{}:block:{}", s.course_id, utf8_percent_encode(key, NON_ALPHANUMERIC));
        objects.push((key.clone(), activity(&id, "block", title)));
    }
    if course_done && !course_key.is_empty() && !said(&course_key, SATISFIED) {
        let id = format!("urn:courseware:cmi5:course:{}", s.course_id);
        let course = courses::get(&state.db, s.course_id).await?;
        objects.push((course_key.clone(), activity(&id, "course", &course.title)));
    }
    for (key, object) in objects {
        let id = uuid_from(&state.signer.sign_purpose(&format!("cmi5-satisfied:{}:{key}", s.registration)));
        let now = iso_now();
        let statement = json!({
            "id": id,
            "actor": actor,
            "verb": {"id": SATISFIED, "display": {"en-US": "satisfied"}},
            "object": object,
            "context": {
                "registration": s.registration,
                "contextActivities": {
                    "grouping": [{"objectType": "Activity", "id": course_key}],
                    "category": [{"objectType": "Activity", "id": CMI5_CATEGORY}],
                },
                "extensions": {SESSION_EXT: s.session_id},
            },
            "timestamp": now,
            "stored": now,
            "authority": {"objectType": "Agent", "account": {"homePage": "urn:courseware", "name": "lms"}},
        });
        store::insert_statement(&state.db, s, &key, &id, SATISFIED, &statement.to_string(), now_ms()).await?;
    }
    Ok(())
}

/// The LMS's own object for a block or the course: an id of its own, never the publisher's
/// (cmi5 9.4), with the cmi5 activity type.
fn activity(id: &str, kind: &str, title: &str) -> Value {
    json!({
        "objectType": "Activity",
        "id": id,
        "definition": {"type": format!("https://w3id.org/xapi/cmi5/activitytype/{kind}"), "name": {"und": title}},
    })
}

/// The registration's statements for the AU, newest first, or the one with `id`.
pub async fn statements(state: &AppState, s: &SessionRow, id: Option<&str>) -> Result<Vec<Value>, AppError> {
    let all = store::statements(&state.db, &s.registration, &s.item_key).await?;
    let parse = |r: &store::StatementRow| serde_json::from_str::<Value>(&r.statement).unwrap_or(Value::Null);
    match id {
        Some(id) => Ok(vec![parse(all.iter().find(|r| r.id == id).ok_or(AppError::NotFound("statement"))?)]),
        None => Ok(all.iter().rev().map(parse).collect()),
    }
}

/// A state document as the AU reads it.
pub enum StateDocument {
    /// `LMS.LaunchData`, made from the AU's manifest entry.
    LaunchData(Value),
    /// A document the AU stored, as it sent it.
    Stored(String),
}

pub async fn state_document(state: &AppState, s: &SessionRow, activity_id: &str, state_id: &str) -> Result<StateDocument, AppError> {
    if state_id == LAUNCH_DATA {
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
        if let Some(url) = return_url(state, s) {
            data["returnURL"] = json!(url);
        }
        return Ok(StateDocument::LaunchData(data));
    }
    match store::get_state(&state.db, &s.registration, activity_id, state_id).await? {
        Some(doc) => Ok(StateDocument::Stored(doc)),
        None => Err(AppError::NotFound("state document")),
    }
}

/// Where the AU sends the learner when it exits (cmi5 10.2.6): a page of the content origin
/// that hands the learner back to the course page (by message to the lesson page that
/// frames the AU, or by loading the course page in an AU's own window). The application's
/// origin is the actor's home page; the signature keeps the page from redirecting anywhere
/// else.
fn return_url(state: &AppState, s: &SessionRow) -> Option<String> {
    let actor: Value = serde_json::from_str(&s.actor).ok()?;
    let app = actor["account"]["homePage"].as_str()?;
    let sig = state.signer.sign_purpose(&return_purpose(app, s.course_id));
    let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    Some(format!("{}/cmi5/returned?origin={}&course={}&sig={sig}", state.content_origin, enc(app), s.course_id))
}

fn return_purpose(app_origin: &str, course_id: i64) -> String {
    format!("cmi5-return:{app_origin}:{course_id}")
}

/// The course page to go back to, when `sig` is the one [`return_url`] made for it.
pub fn checked_return(state: &AppState, app_origin: &str, course_id: i64, sig: &str) -> Option<String> {
    state.signer.verify_purpose(&return_purpose(app_origin, course_id), sig).then(|| format!("{app_origin}/courses/{course_id}"))
}

/// The learner's preferences as the AU reads them (cmi5 11.0): the interface language of
/// the launch, then the other, and audio on. `agent` must be the launched learner.
pub fn learner_preferences(s: &SessionRow, agent: &str) -> Result<Value, AppError> {
    let agent: Value = serde_json::from_str(agent).map_err(|e| AppError::BadRequest(format!("agent is not JSON: {e}")))?;
    if agent["account"]["name"].as_str() != Some(&s.user_id.to_string()) {
        return Err(AppError::Forbidden);
    }
    let language = if s.language.is_empty() { "zh-CN,en-US" } else { s.language.as_str() };
    Ok(json!({"languagePreference": language, "audioPreference": "on"}))
}

/// Stores a state document, which must be UTF-8; `LMS.LaunchData` is read-only.
pub async fn put_state_document(state: &AppState, s: &SessionRow, activity_id: &str, state_id: &str, document: &[u8]) -> Result<(), AppError> {
    if state_id == LAUNCH_DATA {
        return Err(AppError::Forbidden);
    }
    let document = std::str::from_utf8(document).map_err(|_| AppError::BadRequest("the document is not UTF-8".into()))?;
    store::put_state(&state.db, &s.registration, activity_id, state_id, document).await?;
    Ok(())
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
