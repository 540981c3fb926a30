//! `TestApp`: the real application on port 0 with its own database (a fresh
//! SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is
//! set) and its own cache namespace (Redis when `TEST_REDIS_URL` is set).

use std::path::PathBuf;

use mainstay::{
    platform::{
        cache::Cache,
        config::{Environment, Settings},
        state::AppState,
    },
    startup::Application,
};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    sqlite_file: Option<PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// Test settings with a fresh database and cache namespace.
pub async fn test_settings() -> (Settings, Option<PathBuf>) {
    let mut settings = Settings::load_for(Environment::Test).expect("test settings");
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    let id = Uuid::now_v7().simple().to_string();
    let mut sqlite_file = None;
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            settings.database.url =
                create_postgres_database(&url, &format!("mainstay_t_{id}")).await;
        }
        _ => {
            let dir = std::env::temp_dir().join("mainstay-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{id}.db"));
            settings.database.url = format!("sqlite://{}", path.display());
            sqlite_file = Some(path);
        }
    }
    if let Ok(url) = std::env::var("TEST_REDIS_URL")
        && !url.is_empty()
    {
        settings.redis.url = url;
    }
    settings.redis.key_prefix = format!("test:{id}:");
    (settings, sqlite_file)
}

async fn create_postgres_database(server_url: &str, name: &str) -> String {
    let admin = Database::connect(server_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{root}/{name}{query}")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `customize` adjusts its settings.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let (mut settings, sqlite_file) = test_settings().await;
    customize(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        state,
        sqlite_file,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

/// The cache the app would use, for backend tests: Redis when configured.
pub fn configured_cache(prefix: &str) -> Cache {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Cache::redis(&url, 8, prefix).expect("redis cache"),
        _ => Cache::memory(prefix),
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type was {ct}"
    );
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code, "{body}");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    assert_eq!(
        body["request_id"].as_str().map(str::to_string),
        request_id,
        "request id in body matches header"
    );
    body
}
