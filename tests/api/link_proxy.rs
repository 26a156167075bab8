//! A TCP proxy in front of the app that plays a bad link for browser tests: up, down
//! (connections refused and open ones cut), hanging (heartbeat requests are taken and never
//! answered, or answered by the server and the answer lost) or cutting one media response
//! after a number of bytes.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Link {
    Up = 0,
    Down = 1,
    /// `POST /api/v1/progress/events` is read and never answered (nor forwarded).
    HangHeartbeats = 2,
    /// `POST /api/v1/progress/events` reaches the server, but its answer never comes back.
    LoseHeartbeatAnswers = 3,
}

#[derive(Default)]
struct Shared {
    mode: AtomicU8,
    /// Bytes of the next media (`/content/...mp4`) response to pass before the connection
    /// is cut; negative: off. One shot.
    cut_media_after: AtomicI64,
    /// Request lines and `Range:` headers the browser sent.
    seen: Mutex<Vec<String>>,
    hung: AtomicI64,
}

#[derive(Clone)]
pub struct LinkProxy {
    pub address: String,
    shared: Arc<Shared>,
}

impl LinkProxy {
    pub async fn start(target: &str) -> LinkProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("http://").to_string();
        let shared = Arc::new(Shared::default());
        shared.cut_media_after.store(-1, Ordering::SeqCst);
        let state = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if state.mode.load(Ordering::SeqCst) == Link::Down as u8 {
                    drop(client);
                    continue;
                }
                tokio::spawn(forward(client, target.clone(), state.clone()));
            }
        });
        LinkProxy { address, shared }
    }

    pub fn set(&self, link: Link) {
        self.shared.mode.store(link as u8, Ordering::SeqCst);
    }

    /// Cuts the next media response after `bytes` bytes (headers included), a second after
    /// they were sent.
    pub fn cut_next_media_after(&self, bytes: i64) {
        self.shared.cut_media_after.store(bytes, Ordering::SeqCst);
    }

    pub fn media_cut_pending(&self) -> bool {
        self.shared.cut_media_after.load(Ordering::SeqCst) >= 0
    }

    pub fn seen(&self) -> Vec<String> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// How many heartbeat requests were swallowed, or their answers lost.
    pub fn hung(&self) -> i64 {
        self.shared.hung.load(Ordering::SeqCst)
    }
}

fn down(state: &Shared) -> bool {
    state.mode.load(Ordering::SeqCst) == Link::Down as u8
}

async fn forward(client: tokio::net::TcpStream, target: String, state: Arc<Shared>) {
    let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let media = Arc::new(AtomicBool::new(false));
    let lose_answers = Arc::new(AtomicBool::new(false));
    let (back_state, back_media, back_lose) = (state.clone(), media.clone(), lose_answers.clone());
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut cut: Option<i64> = None;
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if down(&back_state) {
                break;
            }
            if back_lose.load(Ordering::SeqCst) {
                continue;
            }
            if cut.is_none() && back_media.swap(false, Ordering::SeqCst) {
                let budget = back_state.cut_media_after.swap(-1, Ordering::SeqCst);
                cut = (budget >= 0).then_some(budget);
            }
            let mut pass = n;
            if let Some(left) = cut {
                pass = pass.min(left.max(0) as usize);
                cut = Some(left - pass as i64);
            }
            if cw.write_all(&buf[..pass]).await.is_err() {
                break;
            }
            if cut == Some(0) {
                // The bytes sent reach the page before the drop does, as on a real link.
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                break;
            }
        }
        let _ = cw.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if down(&state) {
            break;
        }
        let chunk = String::from_utf8_lossy(&buf[..n]);
        if chunk.starts_with("POST /api/v1/progress/events") && state.mode.load(Ordering::SeqCst) == Link::HangHeartbeats as u8 {
            // Keep the connection open and silent until the client gives up on it.
            state.hung.fetch_add(1, Ordering::SeqCst);
            let mut sink = vec![0u8; 4096];
            while matches!(cr.read(&mut sink).await, Ok(n) if n > 0) {}
            break;
        }
        if chunk.starts_with("POST /api/v1/progress/events") && state.mode.load(Ordering::SeqCst) == Link::LoseHeartbeatAnswers as u8 {
            state.hung.fetch_add(1, Ordering::SeqCst);
            lose_answers.store(true, Ordering::SeqCst);
        }
        for line in chunk.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("get ") || lower.starts_with("post ") || lower.starts_with("range:") {
                state.seen.lock().unwrap().push(line.to_string());
            }
            if lower.starts_with("get /content/") && lower.contains(".mp4") {
                media.store(true, Ordering::SeqCst);
            }
        }
        if sw.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}
