//! Load generator for `bench/progress.sh`: single-event heartbeat requests over many
//! keep-alive connections, then a check that every acknowledged event is in the database.
//!
//! ```text
//! progress_load setup --url URL --database-url DB --learners 64 > setup.json
//! progress_load run   --url URL --setup setup.json --connections 64 --seconds 20 --prefix P --acked acked.txt
//! progress_load check --database-url DB --prefix P --acked acked.txt
//! ```
//!
//! The HTTP client is a few lines over a TCP stream, so that the generator leaves the two
//! cores to the server as far as it can. A connection that fails (the server was killed)
//! ends; what was acknowledged before stays in the `--acked` file.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn need(args: &[String], name: &str) -> String {
    arg(args, name).unwrap_or_else(|| panic!("{name} is required"))
}

fn now_ms() -> i64 {
    courseware::db::now_ms()
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(url: &str) -> Result<Conn, Error> {
        let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        let stream = TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        Ok(Conn { stream, host, buf: Vec::with_capacity(4096) })
    }

    /// Sends a request and returns (status, body).
    async fn request(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Result<(u16, Vec<u8>), Error> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        self.stream.write_all(head.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        let header_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("bad status line")?;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or("no content-length")?;
        while self.buf.len() < header_end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, self.buf[header_end..header_end + length].to_vec()))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Creates learners with API tokens and finds the demo video; prints JSON for `run`.
async fn setup(args: &[String]) -> Result<(), Error> {
    let db = courseware::db::Db::connect(&need(args, "--database-url")).await?;
    let learners: usize = arg(args, "--learners").map_or(64, |n| n.parse().unwrap());
    let hash = courseware::auth::password::hash("bench-password-not-for-login")?;
    let run = format!("{:x}", now_ms());
    let mut tokens = Vec::new();
    for i in 0..learners {
        let username = format!("bench-{run}-{i}");
        let new = courseware::db::users::NewUser {
            username: &username,
            display_name: &username,
            password_hash: &hash,
            role: "student",
            school_id: None,
            region_id: None,
        };
        let id = courseware::db::users::insert(&db, &new).await?;
        let token = format!("cw_{}", courseware::auth::session::random_token());
        courseware::db::sessions::insert_token(&db, id, "bench", &courseware::auth::session::hash_token(&token)).await?;
        tokens.push(token);
    }
    let mut conn = Conn::open(&need(args, "--url")).await?;
    let (_, list) = conn.request("GET", "/api/v1/courses", None, None).await?;
    let list: Value = serde_json::from_slice(&list)?;
    let course = list["courses"].as_array().unwrap().iter().find(|c| c["slug"] == "rice-growing").ok_or("no demo course")?;
    let (_, detail) = conn.request("GET", &format!("/api/v1/courses/{}", course["id"]), None, None).await?;
    let detail: Value = serde_json::from_slice(&detail)?;
    let video = detail["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").ok_or("no video")?;
    println!("{}", json!({"item_id": video["id"], "tokens": tokens}));
    Ok(())
}

/// The part of the server's answer that says what was stored.
#[derive(Default, serde::Deserialize)]
struct Answer {
    #[serde(default)]
    accepted: Vec<String>,
    #[serde(default)]
    duplicates: Vec<String>,
}

/// What one connection did.
#[derive(Default)]
struct Tally {
    acked: Vec<String>,
    latencies_us: Vec<u32>,
    errors: u64,
    refused: u64,
}

async fn connection(url: String, token: String, item: i64, prefix: String, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let Ok(mut conn) = Conn::open(&url).await else {
        tally.errors += 1;
        return tally;
    };
    let mut seq = 0u64;
    while Instant::now() < until {
        seq += 1;
        let id = format!("{prefix}{seq}");
        let at = now_ms();
        // A learner a quarter of a second further into the video than last time.
        let from = (seq % 100) as f64 * 0.25;
        let body = format!(
            r#"{{"events":[{{"id":"{id}","item_id":{item},"type":"progress","at":{at},"played":[[{from},{to}]],"active":[[{start},{at}]],"position":{{"seconds":{to}}},"duration":28.0}}]}}"#,
            to = from + 0.25,
            start = at - 250,
        );
        let started = Instant::now();
        match conn.request("POST", "/api/v1/progress/events", Some(&token), Some(&body)).await {
            Ok((200, answer)) => {
                tally.latencies_us.push(started.elapsed().as_micros() as u32);
                let answer: Answer = serde_json::from_slice(&answer).unwrap_or_default();
                if answer.accepted.contains(&id) || answer.duplicates.contains(&id) {
                    tally.acked.push(id);
                } else {
                    tally.refused += 1;
                }
            }
            Ok(_) => tally.refused += 1,
            Err(_) => {
                // The server went away (or the connection broke): this connection is done.
                tally.errors += 1;
                break;
            }
        }
    }
    tally
}

async fn run(args: &[String]) -> Result<(), Error> {
    let url = need(args, "--url");
    let setup: Value = serde_json::from_str(&std::fs::read_to_string(need(args, "--setup"))?)?;
    let connections: usize = arg(args, "--connections").map_or(64, |n| n.parse().unwrap());
    let seconds: f64 = arg(args, "--seconds").map_or(20.0, |n| n.parse().unwrap());
    let prefix = need(args, "--prefix");
    let item = setup["item_id"].as_i64().ok_or("setup has no item_id")?;
    let tokens: Vec<String> = setup["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|c| tokio::spawn(connection(url.clone(), tokens[c % tokens.len()].clone(), item, format!("{prefix}{c}-"), until)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await?;
        all.acked.extend(t.acked);
        all.latencies_us.extend(t.latencies_us);
        all.errors += t.errors;
        all.refused += t.refused;
    }
    let elapsed = started.elapsed().as_secs_f64().min(seconds.max(0.001));
    let mut file = std::io::BufWriter::new(std::fs::File::create(need(args, "--acked"))?);
    for id in &all.acked {
        writeln!(file, "{id}")?;
    }
    file.flush()?;
    all.latencies_us.sort_unstable();
    let pct = |p: f64| all.latencies_us.get(((all.latencies_us.len() as f64 * p) as usize).min(all.latencies_us.len().saturating_sub(1))).map_or(0.0, |us| *us as f64 / 1000.0);
    println!(
        "{}",
        json!({
            "connections": connections,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "acknowledged": all.acked.len(),
            "events_per_second": (all.acked.len() as f64 / elapsed).round(),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": pct(1.0),
            "refused": all.refused,
            "connection_errors": all.errors,
        })
    );
    Ok(())
}

/// Counts acknowledged events missing from the database.
async fn check(args: &[String]) -> Result<(), Error> {
    let db = courseware::db::Db::connect(&need(args, "--database-url")).await?;
    let acked: Vec<String> = std::fs::read_to_string(need(args, "--acked"))?.lines().map(str::to_owned).collect();
    let stored: HashSet<String> =
        courseware::db::progress::event_keys_with_prefix(&db, &need(args, "--prefix")).await?.into_iter().map(|(_, id)| id).collect();
    let missing = acked.iter().filter(|id| !stored.contains(*id)).count();
    println!("{}", json!({"acknowledged": acked.len(), "stored": stored.len(), "acknowledged_missing": missing}));
    if missing > 0 {
        return Err(format!("{missing} acknowledged events are not stored").into());
    }
    Ok(())
}

// One thread: the generator shares the two cores with the server it measures, and a single
// event loop spends the least CPU per request on them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("setup") => setup(&args).await,
        Some("run") => run(&args).await,
        Some("check") => check(&args).await,
        _ => Err("usage: progress_load setup|run|check ...".into()),
    }
}
