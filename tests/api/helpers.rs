//! Test harness: `spawn_app` starts the real server on port 0 over a temporary data folder,
//! on SQLite, or on a fresh Postgres database when `TEST_DATABASE_URL` is set.

use std::collections::HashMap;
use std::path::PathBuf;

use courseware::config::{Overrides, Settings};
use courseware::startup::Application;

pub const ADMIN_PASSWORD: &str = "admin-test-password";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The package content listener's port.
    pub content_port: u16,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    pub settings: Settings,
    pub db: courseware::db::Db,
    _database: Option<PgTestDatabase>,
}

pub struct Options {
    pub import_demo: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { import_demo: true }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    spawn_app_with_env(options, &[]).await
}

/// A server whose environment has these `COURSEWARE_*` values besides the test defaults.
pub async fn spawn_app_with_env(options: Options, extra_env: &[(&'static str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(PgTestDatabase::create(&url).await),
        _ => None,
    };
    let settings = test_settings_with(data_dir.path().into(), database.as_ref().map(|d| d.url.clone()), options, extra_env);
    start(settings, data_dir, database).await
}

/// Settings as an operator would give them, with only this test's values in the environment.
pub fn test_settings(data_dir: PathBuf, database_url: Option<String>, options: Options) -> Settings {
    test_settings_with(data_dir, database_url, options, &[])
}

fn test_settings_with(data_dir: PathBuf, database_url: Option<String>, options: Options, extra_env: &[(&'static str, &str)]) -> Settings {
    let mut env = HashMap::new();
    env.insert("COURSEWARE_ADMIN_PASSWORD", ADMIN_PASSWORD.to_string());
    env.insert("COURSEWARE_IMPORT_DEMO", options.import_demo.to_string());
    env.insert("COURSEWARE_LOG", "warn".to_string());
    // Package content on another site than the app (127.0.0.1), as a deployment should be.
    env.insert("COURSEWARE_CONTENT_BIND", "localhost:0".to_string());
    // ffmpeg on 2 cores would slow every test; the rendition tests turn it on.
    env.insert("COURSEWARE_TRANSCODE_WORKERS", "0".to_string());
    for (key, value) in extra_env {
        env.insert(key, value.to_string());
    }
    let overrides = Overrides {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir),
        database_url,
        ..Default::default()
    };
    Settings::load(&overrides, &|k| env.get(k).cloned()).expect("test settings")
}

async fn start(settings: Settings, data_dir: tempfile::TempDir, database: Option<PgTestDatabase>) -> TestApp {
    let state = courseware::cli::build_state(settings.clone()).await.expect("app state");
    let db = state.db.clone();
    let app = Application::build(state).expect("server builds");
    let port = app.port();
    let content_port = app.content_port();
    let address = format!("http://127.0.0.1:{port}");
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address,
        port,
        content_port,
        client,
        data_dir,
        settings,
        db,
        _database: database,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_with_lang(&self, path: &str, accept_language: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept-language", accept_language)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json body")
    }

    /// The demo course whose slug is given, from the JSON API.
    pub async fn demo_course(&self, slug: &str) -> serde_json::Value {
        let list = self.get_json("/api/v1/courses").await;
        let id = list["courses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["slug"] == slug)
            .unwrap_or_else(|| panic!("demo course {slug} missing: {list}"))["id"]
            .as_i64()
            .unwrap();
        self.get_json(&format!("/api/v1/courses/{id}")).await
    }

    /// Runs the `courseware` binary over this app's data folder and database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_courseware"))
            .args(["--data-dir", self.data_dir.path().to_str().unwrap(), "--database-url", &self.settings.database_url])
            .args(args)
            .env("COURSEWARE_IMPORT_DEMO", "false")
            .output()
            .unwrap()
    }

    /// Starts a second server over the same data folder and database, as a restart would.
    /// A server as its own process over this test's data folder and database, with these
    /// `COURSEWARE_*` values besides the admin password; returns it and its address.
    pub fn start_server_process(&self, env: &[(&str, &str)]) -> (std::process::Child, String) {
        use std::io::BufRead;
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_courseware"))
            .args(["--bind", "127.0.0.1:0", "--data-dir", self.data_dir.path().to_str().unwrap()])
            .args(["--database-url", &self.settings.database_url, "serve"])
            .env("COURSEWARE_LOG", "warn")
            .env("COURSEWARE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        (server, base)
    }

    pub async fn restart(&self) -> Application {
        let state = courseware::cli::build_state(self.settings.clone()).await.expect("restart");
        Application::build(state).expect("restart builds")
    }
}

/// An organisation for tests: city C with counties A and B, school A1 in A, B1 in B.
pub struct Org {
    pub region_a: i64,
    pub region_b: i64,
    pub school_a1: i64,
    pub school_b1: i64,
}

impl TestApp {
    pub async fn org(&self) -> Org {
        use courseware::db::org;
        let city = org::add_region(&self.db, "C", "市", None).await.unwrap();
        let region_a = org::add_region(&self.db, "A", "A 区", Some(city)).await.unwrap();
        let region_b = org::add_region(&self.db, "B", "B 县", Some(city)).await.unwrap();
        let school_a1 = org::add_school(&self.db, "A1", "A1 中学", region_a).await.unwrap();
        let school_b1 = org::add_school(&self.db, "B1", "B1 小学", region_b).await.unwrap();
        Org { region_a, region_b, school_a1, school_b1 }
    }

    /// Creates a user with password `<username>-password` and returns its id.
    pub async fn add_user(&self, username: &str, role: &str, school_id: Option<i64>, region_id: Option<i64>) -> i64 {
        let hash = courseware::auth::password::hash(&format!("{username}-password")).unwrap();
        courseware::db::users::insert(
            &self.db,
            &courseware::db::users::NewUser {
                username,
                display_name: username,
                password_hash: &hash,
                role,
                school_id,
                region_id,
            },
        )
        .await
        .unwrap()
    }

    /// An API token for a user, as `courseware token create` makes it.
    pub async fn token_for(&self, user_id: i64) -> String {
        let token = format!("cw_{}", courseware::auth::session::random_token());
        courseware::db::sessions::insert_token(&self.db, user_id, "test", &courseware::auth::session::hash_token(&token))
            .await
            .unwrap();
        token
    }

    /// Signs this app's client in through the login form; returns the session's CSRF token.
    pub async fn login(&self, username: &str) -> String {
        let res = self
            .client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", &format!("{username}-password")), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "login of {username}");
        let me = self.get_json("/api/v1/me").await;
        me["csrf_token"].as_str().unwrap().to_string()
    }

    /// Uploads a package file through the API with a Bearer token.
    pub async fn upload(&self, token: &str, path: &std::path::Path) -> reqwest::Response {
        self.upload_with(token, path, "").await
    }

    /// Uploads a package file with more query fields, e.g. `&visibility=open`.
    pub async fn upload_with(&self, token: &str, path: &std::path::Path, query: &str) -> reqwest::Response {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        self.client
            .post(self.url(&format!("/api/v1/packages?name={name}{query}")))
            .bearer_auth(token)
            .header("content-type", "application/zip")
            .body(bytes)
            .send()
            .await
            .unwrap()
    }
}

/// A throwaway Postgres database, dropped when the test ends.
pub struct PgTestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgTestDatabase {
    async fn create(admin_url: &str) -> PgTestDatabase {
        use sqlx::Connection;
        let name = format!("cw_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("TEST_DATABASE_URL must point at a reachable Postgres");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
        PgTestDatabase {
            url: format!("{base}/{name}"),
            admin_url: admin_url.to_string(),
            name,
        }
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on itself.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Path to the shared fixtures (real packages made by others), never copied into the project.
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("COURSEWARE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")))
}

/// A TCP proxy in front of the app that records the browser's GET and POST request lines
/// and `Range` headers, so tests can see what the player and the page asked for.
pub struct RecordingProxy {
    pub address: String,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingProxy {
    pub async fn start(target: &str) -> RecordingProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("http://").to_string();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    });
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let chunk = String::from_utf8_lossy(&buf[..n]);
                        // Whether a request came with a cookie, never its value.
                        let with_cookie = chunk.to_ascii_lowercase().contains("\r\ncookie:");
                        for line in chunk.lines() {
                            let lower = line.to_ascii_lowercase();
                            if lower.starts_with("post ") && with_cookie {
                                log.lock().unwrap().push(format!("{line} [cookie]"));
                            } else if lower.starts_with("get ") || lower.starts_with("post ") || lower.starts_with("range:") {
                                log.lock().unwrap().push(line.to_string());
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        RecordingProxy { address, seen }
    }
}
