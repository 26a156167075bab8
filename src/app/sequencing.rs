//! SCORM 2004 sequencing for a learner: which activity a lesson page may deliver, the
//! navigation requests of the player's buttons and of the SCO (`adl.nav.request` at
//! Terminate), the SCO's results carried into the tracking model, and the state stored
//! per learner and course version (global objectives system-wide unless the package
//! scopes them to the course).

use std::collections::HashMap;

use serde::Serialize;
use tokio::sync::Mutex;

use crate::db::scorm::{self as store, ScoKey};
use crate::db::{courses, sequencing as db, versions};
use crate::error::AppError;
use crate::scorm::sequencing::definition::ActivityDef;
use crate::scorm::sequencing::tree::ObjectiveState;
use crate::scorm::sequencing::{ActivityTree, NavRequest, NavView, ObjectiveResult, Outcome, ScoResult, SeqError, Sequencer, State};

use super::AppState;

/// Load, navigate and save of one learner's state are serialised per learner by these
/// stripes (one process; several instances would need a row lock, as for SCO attempts).
static LOCKS: [Mutex<()>; 64] = [const { Mutex::const_new(()) }; 64];

fn lock_for(user_id: i64) -> &'static Mutex<()> {
    &LOCKS[user_id.rem_euclid(LOCKS.len() as i64) as usize]
}

/// A course version's activity tree with one learner's state.
struct Loaded {
    tree: ActivityTree,
    state: State,
    user_id: i64,
    version_id: i64,
    global_to_system: bool,
}

async fn load(app: &AppState, user_id: i64, version_id: i64) -> Result<Option<Loaded>, AppError> {
    let meta: serde_json::Value = serde_json::from_str(&versions::metadata(&app.db, version_id).await?).unwrap_or_default();
    let Ok(def) = serde_json::from_value::<ActivityDef>(meta["activityTree"].clone()) else { return Ok(None) };
    let tree = ActivityTree::new(&def);
    let stored = db::state(&app.db, user_id, version_id).await?;
    let mut state = stored.and_then(|s| serde_json::from_str::<State>(&s).ok()).filter(|s| s.fits(&tree)).unwrap_or_else(|| {
        // The seed only has to differ between learners and versions.
        State::for_tree(&tree, (user_id as u64).wrapping_mul(0x9E37_79B9).wrapping_add(version_id as u64))
    });
    let global_to_system = meta["objectivesGlobalToSystem"].as_str() != Some("false");
    if global_to_system {
        for (id, json) in db::global_objectives(&app.db, user_id).await? {
            if let Ok(g) = serde_json::from_str::<ObjectiveState>(&json) {
                state.globals.insert(id, g);
            }
        }
    }
    Ok(Some(Loaded { tree, state, user_id, version_id, global_to_system }))
}

async fn save(app: &AppState, loaded: &Loaded, before: &State) -> Result<(), AppError> {
    if &loaded.state == before {
        return Ok(());
    }
    let json = serde_json::to_string(&loaded.state).map_err(|e| AppError::Internal(e.into()))?;
    db::save_state(&app.db, loaded.user_id, loaded.version_id, &json).await?;
    if loaded.global_to_system {
        for (id, g) in &loaded.state.globals {
            if before.globals.get(id) != Some(g) {
                let json = serde_json::to_string(g).map_err(|e| AppError::Internal(e.into()))?;
                db::save_global_objective(&app.db, loaded.user_id, id, &json).await?;
            }
        }
    }
    Ok(())
}

/// What the table of contents may do with one item.
#[derive(Debug, Clone, Serialize)]
pub struct TocState {
    pub hidden: bool,
    pub selectable: bool,
}

/// A sequenced course's lesson page: the table of contents and buttons the model allows.
#[derive(Debug, Clone, Serialize)]
pub struct SequencedLesson {
    /// Identifier of the item to show instead of the requested one (the session started
    /// or resumed elsewhere).
    pub redirect: Option<String>,
    /// Why the requested lesson may not be delivered now.
    pub refused: Option<String>,
    pub toc: HashMap<String, TocState>,
    pub can_continue: bool,
    pub can_previous: bool,
    /// `hideLMSUI` of the delivered activity (`continue`, `previous`, `exitAll`, ...).
    pub hide: Vec<String>,
}

fn lesson_view(view: NavView, redirect: Option<String>, refused: Option<String>) -> SequencedLesson {
    let toc = view.activities.iter().map(|a| (a.id.clone(), TocState { hidden: a.hidden, selectable: a.selectable })).collect();
    SequencedLesson { redirect, refused, toc, can_continue: view.can_continue, can_previous: view.can_previous, hide: view.hide }
}

/// A learner opens the lesson `identifier` of a sequenced version: it is delivered when it
/// is the current activity, when the session begins there (start or resume all), or by a
/// choice the model allows; otherwise the page says why. `None`: not a sequenced course.
#[tracing::instrument(skip_all, fields(user_id = user_id, version_id = version_id))]
pub async fn enter(app: &AppState, user_id: i64, version_id: i64, identifier: &str) -> Result<Option<SequencedLesson>, AppError> {
    let _guard = lock_for(user_id).lock().await;
    let Some(mut loaded) = load(app, user_id, version_id).await? else { return Ok(None) };
    let before = loaded.state.clone();
    let Some(target) = loaded.tree.find(identifier) else { return Ok(None) };
    let mut seq = Sequencer::new(&loaded.tree, &mut loaded.state);
    let choice = NavRequest::Choice(identifier.to_string());
    let outcome = if seq.state.current == Some(target) && seq.state.activities[target].active {
        Ok(Outcome::Deliver(target))
    } else if seq.state.current.is_none() {
        // A new session: where choice allows, at the lesson asked for; otherwise where the
        // course starts or was suspended.
        seq.navigate(&choice).or_else(|_| seq.open())
    } else {
        seq.navigate(&choice)
    };
    let (redirect, refused) = match outcome {
        Ok(Outcome::Deliver(a)) if a == target => (None, None),
        Ok(Outcome::Deliver(a)) => (Some(loaded.tree.get(a).id.clone()), None),
        Ok(_) => (None, Some(explain(None))),
        Err(e) => (None, Some(explain(Some(e)))),
    };
    let view = Sequencer::new(&loaded.tree, &mut loaded.state).view();
    save(app, &loaded, &before).await?;
    Ok(Some(lesson_view(view, redirect, refused)))
}

fn explain(e: Option<SeqError>) -> String {
    e.map_or_else(|| "nothing to deliver".to_string(), |e| e.to_string())
}

/// The page a navigation leads to in course `course_id`, version `version_id`.
pub async fn page_of(app: &AppState, course_id: i64, version_id: i64, navigated: &Navigated) -> Result<String, AppError> {
    let Navigated::Deliver(identifier) = navigated else { return Ok(format!("/courses/{course_id}")) };
    let items = courses::items(&app.db, version_id).await?;
    Ok(match items.iter().find(|i| &i.identifier == identifier) {
        Some(i) => format!("/courses/{course_id}/lessons/{}", i.id),
        None => format!("/courses/{course_id}"),
    })
}

/// Where a navigation request leads.
pub enum Navigated {
    /// The item (identifier) to show.
    Deliver(String),
    /// The sequencing session ended, or nothing is to be delivered: back to the course.
    Done,
}

/// A navigation request of the learner (button, table of contents) or of the SCO.
#[tracing::instrument(skip_all, fields(user_id = user_id, version_id = version_id))]
pub async fn navigate(app: &AppState, user_id: i64, version_id: i64, request: &NavRequest) -> Result<Navigated, AppError> {
    let _guard = lock_for(user_id).lock().await;
    let Some(mut loaded) = load(app, user_id, version_id).await? else { return Err(AppError::NotFound("sequenced course")) };
    let before = loaded.state.clone();
    let outcome = Sequencer::new(&loaded.tree, &mut loaded.state).navigate(request);
    save(app, &loaded, &before).await?;
    match outcome {
        Ok(Outcome::Deliver(a)) => Ok(Navigated::Deliver(loaded.tree.get(a).id.clone())),
        Ok(_) => Ok(Navigated::Done),
        Err(e) => Err(AppError::Conflict(e.to_string())),
    }
}

/// Carries the SCO's newest values into the tracking model (after every commit, so that
/// a button pressed before Terminate sees them), then, at Terminate, the SCO's own
/// `adl.nav.request`. `Some(page)` when the request leads somewhere.
#[tracing::instrument(skip_all, fields(user_id = user_id, item_id = item_id))]
pub async fn after_commit(app: &AppState, user_id: i64, item_id: i64, terminated: bool) -> Result<Option<String>, AppError> {
    let item = courses::item(&app.db, item_id).await?;
    let course_id = courses::course_of_version(&app.db, item.version_id).await?.id;
    let _guard = lock_for(user_id).lock().await;
    let Some(mut loaded) = load(app, user_id, item.version_id).await? else { return Ok(None) };
    let Some(a) = loaded.tree.find(&item.identifier) else { return Ok(None) };
    let Some(row) = store::latest(&app.db, ScoKey { user_id, course_id, item_key: &item.identifier }).await? else { return Ok(None) };
    let values: serde_json::Value = serde_json::from_str(&row.state).unwrap_or_default();
    let values = &values["values"];
    let before = loaded.state.clone();
    let mut seq = Sequencer::new(&loaded.tree, &mut loaded.state);
    seq.report(a, &sco_result(values));
    let mut navigated = None;
    let session = format!("{}:{}:{}", item.identifier, row.attempt, row.session);
    if terminated && seq.state.terminated_session.as_deref() == Some(session.as_str()) {
        // The second copy of a Terminate (player and beacon race): the same answer as the
        // first, read from where that one led.
        navigated = match seq.state.current {
            Some(c) if c != a && seq.state.activities[c].active => Some(Navigated::Deliver(loaded.tree.get(c).id.clone())),
            None => Some(Navigated::Done),
            _ => None,
        };
    } else if terminated {
        seq.state.terminated_session = Some(session);
        let request = values["adl.nav.request"].as_str().map(NavRequest::parse);
        if let Some(Ok(Some(request))) = request {
            navigated = Some(match seq.navigate(&request) {
                Ok(Outcome::Deliver(d)) => Navigated::Deliver(loaded.tree.get(d).id.clone()),
                Ok(_) => Navigated::Done,
                Err(e) => {
                    tracing::info!(code = e.code, "adl.nav.request refused");
                    Navigated::Done
                }
            });
        }
    }
    save(app, &loaded, &before).await?;
    match navigated {
        Some(n) => Ok(Some(page_of(app, course_id, item.version_id, &n).await?)),
        None => Ok(None),
    }
}

/// SCORM 2004 RTE values as the sequencing results (RTE 4.2.4, 4.2.22, 4.2.21, 4.2.18).
fn sco_result(v: &serde_json::Value) -> ScoResult {
    let s = |k: &str| v[k].as_str().unwrap_or("");
    let num = |k: &str| v[k].as_str().and_then(|x| x.parse::<f64>().ok());
    let completed = |x: &str| match x {
        "completed" => Some(true),
        "incomplete" | "not attempted" => Some(false),
        _ => None,
    };
    let satisfied = |x: &str| match x {
        "passed" => Some(true),
        "failed" => Some(false),
        _ => None,
    };
    // Objectives are stored by index; their count is the first index without an id.
    let count = (0..).take_while(|n| v.get(format!("cmi.objectives.{n}.id")).is_some()).count();
    let objectives = (0..count)
        .map(|n| {
            let k = |f: &str| format!("cmi.objectives.{n}.{f}");
            ObjectiveResult {
                id: s(&k("id")).to_string(),
                satisfied: satisfied(s(&k("success_status"))),
                measure: num(&k("score.scaled")),
                completed: completed(s(&k("completion_status"))),
                progress_measure: num(&k("progress_measure")),
            }
        })
        .filter(|o| !o.id.is_empty())
        .collect();
    ScoResult {
        completed: completed(s("cmi.completion_status")),
        satisfied: satisfied(s("cmi.success_status")),
        measure: num("cmi.score.scaled"),
        progress_measure: num("cmi.progress_measure"),
        objectives,
        suspended: s("cmi.exit") == "suspend",
    }
}
