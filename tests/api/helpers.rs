//! Test harness: `spawn_app` starts the real server on port 0 over a temporary data folder,
//! on SQLite, or on a fresh Postgres database when `TEST_DATABASE_URL` is set.

use std::collections::HashMap;
use std::path::PathBuf;

use courseware::config::{Overrides, Settings};
use courseware::startup::Application;

pub const ADMIN_PASSWORD: &str = "admin-test-password";

pub struct TestApp {
    pub address: String,
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
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(PgTestDatabase::create(&url).await),
        _ => None,
    };
    let settings = test_settings(data_dir.path().into(), database.as_ref().map(|d| d.url.clone()), options);
    start(settings, data_dir, database).await
}

/// Settings as an operator would give them, with only this test's values in the environment.
pub fn test_settings(data_dir: PathBuf, database_url: Option<String>, options: Options) -> Settings {
    let mut env = HashMap::new();
    env.insert("COURSEWARE_ADMIN_PASSWORD", ADMIN_PASSWORD.to_string());
    env.insert("COURSEWARE_IMPORT_DEMO", options.import_demo.to_string());
    env.insert("COURSEWARE_LOG", "warn".to_string());
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
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address,
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

    /// Starts a second server over the same data folder and database, as a restart would.
    pub async fn restart(&self) -> Application {
        let state = courseware::cli::build_state(self.settings.clone()).await.expect("restart");
        Application::build(state).expect("restart builds")
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
