//! A minimal W3C WebDriver client for headless Chromium (Debian's chromium + chromium-driver).
//! Tests that need it print one line and skip when the browser is not installed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium, or returns None (with a printed
    /// reason) where they are not installed.
    pub async fn start(test: &str) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            println!("SKIP {test}: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
                         "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let mut last_err = String::new();
        for _ in 0..50 {
            match http.post(format!("{base}/session")).json(&caps).send().await {
                Ok(res) => {
                    let body: Value = res.json().await.expect("session json");
                    let session = body["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {body}")).to_string();
                    return Some(Browser { driver, base, session, http, _profile: profile });
                }
                Err(e) => last_err = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer: {last_err}");
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut request = self.http.request(method, url);
        if !body.is_null() {
            request = request.json(&body);
        }
        let res = request.send().await.expect("webdriver request");
        let value: Value = res.json().await.expect("webdriver json");
        if value["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", value["value"]);
        }
        value["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url})).await;
    }

    /// Runs `script` as a function body; `return` gives the result.
    pub async fn eval(&self, script: &str) -> Value {
        self.command(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Runs an async script: the last argument is the callback that finishes it.
    pub async fn eval_async(&self, script: &str) -> Value {
        self.command(reqwest::Method::POST, "/execute/async", json!({"script": script, "args": []})).await
    }

    /// [`Browser::eval_async`] with arguments (`arguments[0]`, ...) before the callback.
    pub async fn eval_async_with(&self, script: &str, args: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/async", json!({"script": script, "args": args})).await
    }

    /// Starts the page's `video#player` muted; "playing" once `play()` resolved.
    pub async fn play_muted_video(&self) -> Value {
        self.eval_async(
            "const done = arguments[arguments.length - 1];
             const v = document.querySelector('video#player');
             v.muted = true;
             v.play().then(() => done('playing')).catch(e => done('error: ' + e));",
        )
        .await
    }

    /// Polls `condition` (a JS expression) until it is truthy or `timeout` passes.
    pub async fn wait_for(&self, condition: &str, timeout: Duration) -> bool {
        let started = std::time::Instant::now();
        while started.elapsed() < timeout {
            if self.eval(&format!("return !!({condition});")).await.as_bool() == Some(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Types text into the element matching a CSS selector; for a file input, a local path.
    pub async fn send_keys(&self, selector: &str, text: &str) {
        let found = self.command(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": selector})).await;
        let id = found["element-6066-11e4-a52e-4f735466cecf"].as_str().expect("element id").to_string();
        self.command(reqwest::Method::POST, &format!("/element/{id}/value"), json!({"text": text})).await;
    }

    /// The handle of the current window.
    pub async fn window(&self) -> String {
        self.command(reqwest::Method::GET, "/window", Value::Null).await.as_str().expect("window handle").to_string()
    }

    /// Handles of all open windows.
    pub async fn windows(&self) -> Vec<Value> {
        self.command(reqwest::Method::GET, "/window/handles", Value::Null).await.as_array().cloned().unwrap_or_default()
    }

    /// Opens a new window and returns its handle; the current window stays current.
    pub async fn new_window(&self) -> String {
        let made = self.command(reqwest::Method::POST, "/window/new", json!({"type": "window"})).await;
        made["handle"].as_str().expect("new window handle").to_string()
    }

    pub async fn switch_to(&self, handle: &str) {
        self.command(reqwest::Method::POST, "/window", json!({"handle": handle})).await;
    }

    /// Closes the current window as a learner closing it would: its page gets `pagehide`.
    pub async fn close_window(&self) {
        self.command(reqwest::Method::DELETE, "/window", Value::Null).await;
    }

    /// Makes the frame `selector` (in the current browsing context) the current context.
    pub async fn enter_frame(&self, selector: &str) {
        let found = self.command(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": selector})).await;
        self.command(reqwest::Method::POST, "/frame", json!({"id": found})).await;
    }

    /// Back to the window's top document.
    pub async fn leave_frames(&self) {
        self.command(reqwest::Method::POST, "/frame", json!({"id": null})).await;
    }

    /// Waits for a `confirm`/`alert` dialog and accepts it; false when none came in time.
    pub async fn accept_dialog(&self, timeout: Duration) -> bool {
        let url = format!("{}/session/{}/alert/accept", self.base, self.session);
        let started = std::time::Instant::now();
        while started.elapsed() < timeout {
            let res = self.http.post(&url).json(&json!({})).send().await.expect("webdriver request");
            let value: Value = res.json().await.expect("webdriver json");
            if value["value"].get("error").is_none() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Sends a Chrome DevTools Protocol command (chromedriver's extension endpoint).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(reqwest::Method::POST, "/goog/cdp/execute", json!({"cmd": cmd, "params": params})).await
    }

    pub async fn screenshot_png(&self) -> Vec<u8> {
        use base64_decode::decode;
        let data = self.command(reqwest::Method::GET, "/screenshot", Value::Null).await;
        decode(data.as_str().unwrap_or(""))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit Chromium; killing chromedriver alone
        // leaves the browser running after the test (hundreds of them after a few runs).
        let _ = end_session(&self.base, &self.session);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` without an async runtime (Drop cannot await); chromedriver answers
/// once the browser has quit.
fn end_session(base: &str, session: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

/// Standard base64 decoding, enough for screenshots, without another dependency.
mod base64_decode {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0);
        for v in text.bytes().filter_map(value) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }
}
