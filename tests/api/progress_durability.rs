//! Heartbeats under load: an acknowledged event is stored even when the server process is
//! killed with SIGKILL in the middle of the load, and events the writer acknowledged before
//! folding them into the progress rows are folded (once) after a restart, giving the rows a
//! rebuild from the log gives. Folds that fail (on Postgres, run aside from the appends) hold
//! up no heartbeat and lose none.

use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use crate::progress::{course_progress, item_id, learner, now_ms, rebuild};
use courseware::db::{progress, progress_pending};

/// A second server, as its own process, over the same data folder and database. No ffmpeg
/// beside the load: the measurement is of heartbeats.
fn start_server(app: &TestApp) -> (Child, String) {
    app.start_server_process(&[("COURSEWARE_TRANSCODE_WORKERS", "0")])
}

/// 16 connections sending single-event heartbeats until `stop` is set or 45 s have passed;
/// the ids of acknowledged events go to `acked`.
fn load(base: &str, tokens: &[String], video: i64, prefix: &str, acked: Arc<Mutex<Vec<String>>>, stop: Arc<Mutex<bool>>) -> Vec<tokio::task::JoinHandle<()>> {
    let deadline = Instant::now() + Duration::from_secs(45);
    (0..16)
        .map(|task| {
            let (acked, stop, base, token, prefix) = (acked.clone(), stop.clone(), base.to_string(), tokens[task % tokens.len()].clone(), prefix.to_string());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let id = format!("{prefix}-{task}-{n}");
                    let at = now_ms();
                    let from = (n % 100) as f64 * 0.2;
                    let body = json!({"events": [{"id": id, "item_id": video, "type": "progress", "at": at,
                        "played": [[from, from + 0.2]], "active": [[at - 200, at]], "position": {"seconds": from + 0.2}}]});
                    let sent = client.post(format!("{base}/api/v1/progress/events")).bearer_auth(&token).json(&body).send().await;
                    let Ok(res) = sent else { break };
                    let Ok(answer) = res.json::<serde_json::Value>().await else { break };
                    if answer["accepted"].as_array().is_some_and(|a| a.iter().any(|v| v == &json!(id))) {
                        acked.lock().unwrap().push(id);
                    }
                    if Instant::now() > deadline || *stop.lock().unwrap() {
                        break;
                    }
                }
            })
        })
        .collect()
}

/// Waits until `enough` events are acknowledged (30 s at most), noting whether any were
/// seen pending (logged, not yet folded) meanwhile.
async fn wait_for(app: &TestApp, acked: &Mutex<Vec<String>>, enough: usize) -> bool {
    let wait_until = Instant::now() + Duration::from_secs(30);
    let mut seen_pending = false;
    while acked.lock().unwrap().len() < enough && Instant::now() < wait_until {
        seen_pending |= progress_pending::count(&app.db).await.unwrap() > 0;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    seen_pending
}

/// Runs [`load`] against the app until `enough` events are acknowledged; returns their ids
/// and whether any were seen pending meanwhile.
async fn load_until(app: &TestApp, tokens: &[String], video: i64, prefix: &str, enough: usize) -> (Vec<String>, bool) {
    let (acked, stop) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(false)));
    let senders = load(&app.address, tokens, video, prefix, acked.clone(), stop.clone());
    let seen_pending = wait_for(app, &acked, enough).await;
    *stop.lock().unwrap() = true;
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    (acked, seen_pending)
}

/// A fresh app, its demo course with a video, and 8 learners' API tokens.
async fn demo_course_with_learners(prefix: &str) -> (TestApp, serde_json::Value, i64, Vec<String>) {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let video = item_id(&course, "video");
    let tokens = learners(&app, prefix).await;
    (app, course, video, tokens)
}

async fn learners(app: &TestApp, prefix: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(learner(app, &format!("{prefix}{i}"), None, None).await.token);
    }
    tokens
}

/// Each learner's course page shows their heartbeats (it folds what is pending first); then
/// nothing is pending, the rows count each of the `acked` heartbeats once, and they are the
/// rows a rebuild from the log gives.
async fn pages_fold_each_heartbeat_once(app: &TestApp, tokens: &[String], course: &serde_json::Value, acked: usize) {
    for token in tokens {
        let progress = course_progress(app, token, course["id"].as_i64().unwrap()).await;
        assert!(progress["time_spent_ms"].as_i64().unwrap() > 0, "{progress}");
    }
    assert_eq!(progress_pending::count(&app.db).await.unwrap(), 0);
    let folded = progress::snapshot(&app.db).await.unwrap();
    let events: i64 = folded.0.iter().map(|r| r.events).sum();
    assert_eq!(events as usize, acked, "every acknowledged heartbeat folded once");
    rebuild(app);
    assert_eq!(progress::snapshot(&app.db).await.unwrap(), folded);
}

#[tokio::test]
async fn heartbeats_folded_after_their_answer_give_the_rows_of_a_rebuild() {
    let (app, course, video, tokens) = demo_course_with_learners("f").await;
    let (acked, seen_pending) = load_until(&app, &tokens, video, "fold", 400).await;
    // Under load the writer answers before folding; a learner's page does not show stale rows.
    assert!(seen_pending, "16 concurrent heartbeat connections: the writer deferred folding");
    pages_fold_each_heartbeat_once(&app, &tokens, &course, acked.len()).await;
}

#[tokio::test]
async fn a_server_killed_under_load_loses_no_acknowledged_event() {
    let (app, _, video, tokens) = demo_course_with_learners("k").await;
    let (mut server, base) = start_server(&app);
    let (acked, stop) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(false)));
    let senders = load(&base, &tokens, video, "kill", acked.clone(), stop);
    // Kill once a fair number of events has been acknowledged, however loaded the machine.
    wait_for(&app, &acked, 200).await;
    // ...at a moment when some are logged but not yet folded, to restart from that.
    let until = Instant::now() + Duration::from_secs(10);
    while progress_pending::count(&app.db).await.unwrap() == 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush, nothing the process can do.
    server.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let stored: std::collections::HashSet<String> =
        progress::event_keys_with_prefix(&app.db, "kill-").await.unwrap().into_iter().map(|(_, id)| id).collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    let pending = progress_pending::count(&app.db).await.unwrap();
    println!("SIGKILL under load: {} events acknowledged, {} stored, {} acknowledged but missing, {pending} not yet folded", acked.len(), stored.len(), missing.len());
    assert!(acked.len() >= 200, "the load ran: {}", acked.len());
    assert!(missing.is_empty(), "{missing:?}");

    // A server started again folds what the killed one left pending: the rows are then those
    // a rebuild derives from the log.
    let (mut again, _) = start_server(&app);
    let wait_until = Instant::now() + Duration::from_secs(30);
    while progress_pending::count(&app.db).await.unwrap() > 0 && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    again.kill().unwrap();
    again.wait().unwrap();
    assert_eq!(progress_pending::count(&app.db).await.unwrap(), 0, "folded after the restart");
    let folded = progress::snapshot(&app.db).await.unwrap();
    let events: i64 = folded.0.iter().map(|r| r.events).sum();
    assert_eq!(events as usize, stored.len(), "every stored heartbeat folded once");
    rebuild(&app);
    assert_eq!(progress::snapshot(&app.db).await.unwrap(), folded);
}

/// Makes every fold fail while `fold_block` has a row: a trigger refuses writes to the item
/// rows, which only folds make.
async fn block_folds(app: &TestApp) {
    let statements: &[&str] = match app.db.backend {
        courseware::db::Backend::Sqlite => &[
            "CREATE TABLE fold_block (x INTEGER)",
            "CREATE TRIGGER fold_block_insert BEFORE INSERT ON item_progress WHEN EXISTS (SELECT 1 FROM fold_block) \
             BEGIN SELECT RAISE(ABORT, 'folds blocked by the test'); END",
            "CREATE TRIGGER fold_block_update BEFORE UPDATE ON item_progress WHEN EXISTS (SELECT 1 FROM fold_block) \
             BEGIN SELECT RAISE(ABORT, 'folds blocked by the test'); END",
        ],
        courseware::db::Backend::Postgres => &[
            "CREATE TABLE fold_block (x INTEGER)",
            "CREATE FUNCTION fold_block() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF EXISTS (SELECT 1 FROM fold_block) THEN RAISE EXCEPTION 'folds blocked by the test'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER fold_block BEFORE INSERT OR UPDATE ON item_progress FOR EACH ROW EXECUTE FUNCTION fold_block()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(&app.db.pool).await.unwrap();
    }
    sqlx::query("INSERT INTO fold_block (x) VALUES (1)").execute(&app.db.pool).await.unwrap();
}

#[tokio::test]
async fn heartbeats_are_stored_while_folds_fail_and_folded_once_when_they_succeed() {
    let (app, course, video, tokens) = demo_course_with_learners("b").await;
    block_folds(&app).await;
    let (acked, _) = load_until(&app, &tokens, video, "blocked", 300).await;
    assert!(acked.len() >= 300, "heartbeats acknowledged while every fold failed: {}", acked.len());
    let (items, _) = progress::snapshot(&app.db).await.unwrap();
    assert!(items.is_empty(), "no fold got through the trigger: {items:?}");
    let stored = progress::event_keys_with_prefix(&app.db, "blocked-").await.unwrap();
    assert_eq!(stored.len(), acked.len(), "every acknowledged heartbeat is in the log, once");
    assert_eq!(progress_pending::count(&app.db).await.unwrap() as usize, acked.len(), "all of them wait to be folded");

    // Folds work again: the next page folds everything, each heartbeat once.
    sqlx::query("DELETE FROM fold_block").execute(&app.db.pool).await.unwrap();
    pages_fold_each_heartbeat_once(&app, &tokens, &course, acked.len()).await;
}
