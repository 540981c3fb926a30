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

pub async fn create_postgres_database(server_url: &str, name: &str) -> String {
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

/// A signed-in person in a test organization.
#[derive(Debug, Clone)]
pub struct Member {
    pub token: String,
    pub refresh: String,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub email: String,
}

pub const PASSWORD: &str = "tangerine-orbit-42";

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", Uuid::now_v7().simple())
}

impl TestApp {
    /// Any request, JSON in and out.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post_as(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// The served OpenAPI document.
    pub async fn spec(&self) -> serde_json::Value {
        let res = self.get("/api-docs/openapi.json").await;
        assert_eq!(res.status(), 200, "GET /api-docs/openapi.json");
        res.json().await.expect("json")
    }

    /// The names in the permission catalogue (`GET /permissions`).
    pub async fn permission_names(&self, token: &str) -> Vec<String> {
        self.get_json("/api/v1/permissions", token)
            .await
            .as_array()
            .expect("a list")
            .iter()
            .map(|p| p["name"].as_str().expect("a name").to_string())
            .collect()
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let res = self.get_as(path, token).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json")
    }

    /// Onboards a fresh organization; returns its owner, signed in.
    pub async fn onboard(&self) -> Member {
        let email = unique_email("owner");
        let res = self
            .post_as(
                "/api/v1/organizations/onboard",
                None,
                serde_json::json!({
                    "organization_name": "Test Org",
                    "email": email,
                    "password": PASSWORD,
                    "full_name": "Owner Person",
                }),
            )
            .await;
        assert_eq!(res.status(), 201, "onboard");
        let body: serde_json::Value = res.json().await.unwrap();
        Member {
            token: body["access_token"].as_str().unwrap().into(),
            refresh: body["refresh_token"].as_str().unwrap().into(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            org_id: body["organization"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            email,
        }
    }

    /// The id of a role of the caller's organization by name.
    pub async fn role_id(&self, token: &str, name: &str) -> Uuid {
        let roles = self.get_json("/api/v1/roles", token).await;
        roles["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no role {name}"))["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The token in the newest outbox mail to `to` (tests read the outbox).
    pub async fn mailed_token(&self, to: &str) -> Option<String> {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
        let stmt = Query::select()
            .column(Alias::new("body"))
            .from(Alias::new("outbox_emails"))
            .and_where(Expr::col(Alias::new("to_address")).eq(to))
            .order_by(Alias::new("id"), Order::Desc)
            .limit(1)
            .to_owned();
        let row = self
            .state
            .db
            .query_one(&stmt)
            .await
            .expect("outbox query")?;
        let body: String = row.try_get("", "body").expect("body");
        // Tokens stand on a line of their own: 43 base64url characters.
        body.lines()
            .map(str::trim)
            .find(|l| {
                l.len() == 43
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(str::to_string)
    }

    /// The token of a mail queued in the background (password resets): waits
    /// for it, at most five seconds.
    pub async fn awaited_mailed_token(&self, to: &str) -> Option<String> {
        for _ in 0..100 {
            if let Some(token) = self.mailed_token(to).await {
                return Some(token);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }

    /// Invites a new person with a role and signs them in through acceptance.
    pub async fn add_member(&self, owner: &Member, role: &str) -> Member {
        let role_id = self.role_id(&owner.token, role).await;
        let email = unique_email(role);
        let res = self
            .post_as(
                "/api/v1/users/invite",
                Some(&owner.token),
                serde_json::json!({ "email": email, "role_ids": [role_id] }),
            )
            .await;
        assert_eq!(res.status(), 201, "invite");
        let token = self.mailed_token(&email).await.expect("invitation mail");
        let res = self
            .post_as(
                "/api/v1/invitations/accept",
                None,
                serde_json::json!({ "token": token, "password": PASSWORD, "full_name": "New Member" }),
            )
            .await;
        assert_eq!(res.status(), 200, "accept");
        let body: serde_json::Value = res.json().await.unwrap();
        let access = body["access_token"].as_str().unwrap().to_string();
        let me = self.get_json("/api/v1/auth/me", &access).await;
        Member {
            token: access,
            refresh: body["refresh_token"].as_str().unwrap().into(),
            user_id: me["user"]["id"].as_str().unwrap().parse().unwrap(),
            org_id: owner.org_id,
            email,
        }
    }

    /// Signs in again; returns (access, refresh).
    pub async fn login(&self, email: &str, password: &str, org: Option<Uuid>) -> reqwest::Response {
        let mut body = serde_json::json!({ "email": email, "password": password });
        if let Some(o) = org {
            body["organization_id"] = serde_json::json!(o);
        }
        self.post_as("/api/v1/auth/login", None, body).await
    }
}

/// A second server process on the same database and cache namespace.
pub async fn spawn_sibling(app: &TestApp) -> TestApp {
    let mut settings = (*app.state.settings).clone();
    settings.server.port = 0;
    let sibling = Application::build(settings).await.expect("build sibling");
    let address = format!("http://127.0.0.1:{}", sibling.port());
    let state = sibling.state().clone();
    tokio::spawn(sibling.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        state,
        sqlite_file: None,
    }
}

/// A TCP proxy in front of a dependency (PostgreSQL, Redis) that a test can
/// cut, as if the server died or the network broke, and restore.
pub struct Blackout {
    pub addr: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Blackout {
    /// Starts forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Self {
        use std::sync::{Arc, Mutex, atomic::AtomicBool};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (flag, conns, upstream) = (up.clone(), connections.clone(), upstream.to_string());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the peer sees the connection close
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().unwrap().push(task.abort_handle());
            }
        });
        Self {
            addr,
            up,
            connections,
        }
    }

    /// Breaks every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
