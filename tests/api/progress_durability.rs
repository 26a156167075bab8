//! An acknowledged heartbeat is stored: a server process killed with SIGKILL in the middle
//! of a load loses none of the events it answered for.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, ADMIN_PASSWORD};
use crate::progress::{item_id, learner, now_ms};

#[tokio::test]
async fn a_server_killed_under_load_loses_no_acknowledged_event() {
    let app = spawn_app().await;
    let course = app.demo_course("rice-growing").await;
    let video = item_id(&course, "video");
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(learner(&app, &format!("k{i}"), None, None).await.token);
    }
    // A second server, as its own process, over the same data folder and database.
    let mut server = Command::new(env!("CARGO_BIN_EXE_courseware"))
        .args(["--bind", "127.0.0.1:0", "--data-dir", app.data_dir.path().to_str().unwrap()])
        .args(["--database-url", &app.settings.database_url, "serve"])
        .env("COURSEWARE_LOG", "warn")
        .env("COURSEWARE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(45);
    let senders: Vec<_> = (0..16)
        .map(|task| {
            let (acked, base, token) = (acked.clone(), base.clone(), tokens[task % tokens.len()].clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let id = format!("kill-{task}-{n}");
                    let at = now_ms();
                    let body = json!({"events": [{"id": id, "item_id": video, "type": "progress", "at": at,
                        "played": [[0.0, 0.2]], "active": [[at - 200, at]], "position": {"seconds": 0.2}}]});
                    let sent = client.post(format!("{base}/api/v1/progress/events")).bearer_auth(&token).json(&body).send().await;
                    let Ok(res) = sent else { break };
                    let Ok(answer) = res.json::<serde_json::Value>().await else { break };
                    if answer["accepted"].as_array().is_some_and(|a| a.iter().any(|v| v == &json!(id))) {
                        acked.lock().unwrap().push(id);
                    }
                    if Instant::now() > deadline {
                        break;
                    }
                }
            })
        })
        .collect();
    // Kill once a fair number of events has been acknowledged, however loaded the machine.
    let wait_until = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 200 && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush, nothing the process can do.
    server.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let stored: std::collections::HashSet<String> =
        courseware::db::progress::event_keys_with_prefix(&app.db, "kill-").await.unwrap().into_iter().map(|(_, id)| id).collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    println!("SIGKILL under load: {} events acknowledged, {} stored, {} acknowledged but missing", acked.len(), stored.len(), missing.len());
    assert!(acked.len() >= 200, "the load ran: {}", acked.len());
    assert!(missing.is_empty(), "{missing:?}");
}
