//! Faults found by a black-box run (issue 10), each kept fixed: hostile text,
//! idempotency of refused requests, timing of password resets, shutdown under
//! load, dependency outages, slow bodies, lenient parsing, unchecked
//! references, concurrent migrations, retention, and list plans.

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::{
    helpers::{
        Blackout, PASSWORD, TestApp, assert_problem, create_postgres_database, spawn_app,
        spawn_app_with,
    },
    inventory::{product, warehouse},
    procurement::{purchase_order, supplier},
};

/// Asserts a 422 naming `field` with `code`.
async fn assert_field(res: reqwest::Response, field: &str, code: &str) {
    let body = assert_problem(res, 422, "validation_failed").await;
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == code),
        "expected {field}/{code} in {body}"
    );
}

#[tokio::test]
async fn control_characters_and_blank_text_are_422_in_bodies_and_queries() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // Without login, on every kind of endpoint.
    let login = app
        .post_as(
            "/api/v1/auth/login",
            None,
            json!({ "email": "a\u{0}@example.com", "password": "x" }),
        )
        .await;
    assert_field(login, "email", "control_character").await;
    let forgot = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": "x\u{0}" }),
        )
        .await;
    assert_field(forgot, "email", "control_character").await;
    let onboard = app
        .post_as(
            "/api/v1/organizations/onboard",
            None,
            json!({ "organization_name": "Acme\u{1b}[31m", "email": "n@example.com",
                    "password": PASSWORD, "full_name": "N" }),
        )
        .await;
    assert_field(onboard, "organization_name", "control_character").await;
    // Nested fields are named by their path.
    let wh = warehouse(&app, &owner, "MAIN").await;
    let receipt = app
        .post_as(
            "/api/v1/inventory/receipts",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "reason": "ok\tand\nlines",
                    "lines": [{ "product_id": Uuid::now_v7(), "quantity": "1\u{0}" }] }),
        )
        .await;
    assert_field(receipt, "lines[0].quantity", "control_character").await;
    // Query parameters.
    let q = app.get_as("/api/v1/products?q=a%00b", &owner.token).await;
    assert_field(q, "q", "control_character").await;
    // Text of spaces is refused like empty text, not stored as "".
    let blank = app
        .post_as(
            "/api/v1/warehouses",
            Some(&owner.token),
            json!({ "code": "W2", "name": "   " }),
        )
        .await;
    assert_field(blank, "name", "blank").await;
}

#[tokio::test]
async fn idempotency_stores_nothing_for_refused_requests_and_ignores_json_layout() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let viewer = app.add_member(&owner, "viewer").await;
    let keyed = |token: &str, body: &str| {
        app.client
            .post(app.url("/api/v1/warehouses"))
            .bearer_auth(token)
            .header("Idempotency-Key", "wh-1")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    // Refused by validation: nothing stored, the corrected retry runs.
    let invalid = keyed(&owner.token, r#"{"code": "W1"}"#).await.unwrap();
    assert_eq!(invalid.status(), 422);
    // Refused by permission (same organization, same key): nothing stored.
    let forbidden = keyed(&viewer.token, r#"{"code":"W1","name":"One"}"#)
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    let created = keyed(&owner.token, r#"{"code":"W1","name":"One"}"#)
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "the corrected retry runs");
    let first: Value = created.json().await.unwrap();
    // The same request laid out differently is the same request: replayed.
    let again = keyed(&owner.token, "{ \"name\": \"One\",\n  \"code\": \"W1\" }")
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
}

#[tokio::test]
async fn forgot_password_answers_before_it_touches_the_account() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // Hold the write lock of the reset table: whatever the request would
    // write for an existing account has to wait for it.
    let db = &app.state.db;
    let lock = mainstay::platform::db::begin_write(db).await.unwrap();
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => "LOCK TABLE password_resets IN ACCESS EXCLUSIVE MODE",
        _ => "DELETE FROM password_resets WHERE 1 = 0",
    };
    lock.execute_unprepared(sql).await.unwrap();
    let started = Instant::now();
    // Bounded, so code that waits for the lock fails here instead of hanging.
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        app.post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": owner.email }),
        ),
    )
    .await
    .expect("the answer did not wait for the locked table");
    let took = started.elapsed();
    assert_eq!(res.status(), 202);
    assert!(
        took < Duration::from_millis(1500),
        "the answer waited for the account's work ({took:?})"
    );
    // Unknown accounts answer the same way.
    let ghost = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_eq!(ghost.status(), 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.rollback().await.unwrap();
    // The work happened after the answer.
    assert!(
        app.awaited_mailed_token(&owner.email).await.is_some(),
        "the reset mail is queued once the lock is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_requests_in_flight_finish_then_exits() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("mainstay-term-{}", Uuid::now_v7().simple()));
    // PostgreSQL when the suite runs on it: its connections live on the
    // workers' runtimes, which is where a shutdown used to break requests.
    let database = match postgres_server() {
        Some(server) => {
            create_postgres_database(&server, &format!("mainstay_t_{}", Uuid::now_v7().simple()))
                .await
        }
        None => format!("sqlite://{}/m.db", dir.display()),
    };
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mainstay"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAINSTAY_ENV", "test")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &database)
        // Slow enough that logins are still hashing when the signal comes.
        .env("MAINSTAY__AUTH__BCRYPT_COST", "9")
        .env("MAINSTAY__SERVER__SHUTDOWN_TIMEOUT", "30")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    let email = format!("term-{}@example.com", Uuid::now_v7().simple());
    let res = client
        .post(format!("{base}/api/v1/organizations/onboard"))
        .json(&json!({ "organization_name": "T", "email": email, "password": PASSWORD, "full_name": "T" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Logins (bcrypt on the blocking pool) in flight at the signal...
    let logins: Vec<_> = (0..6)
        .map(|_| {
            let (client, base, email) = (client.clone(), base.clone(), email.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({ "email": email, "password": PASSWORD }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    // ...and clients on kept-alive connections reading the database, until
    // the server is gone. Every request that reached it must be answered
    // (200, or 503 `shutting_down` closing the connection); after the
    // listener closed, connecting is refused. Nothing may be cut mid-request.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, base, token, stop) =
                (client.clone(), base.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    match client
                        .get(format!("{base}/api/v1/audit-logs?limit=5"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    {
                        Ok(r) => seen.push(r.status().as_u16().to_string()),
                        Err(e) if e.is_connect() => {
                            tokio::time::sleep(Duration::from_millis(10)).await
                        }
                        // A request written onto a kept-alive connection the
                        // server closed while it was idle, before reading it:
                        // the keep-alive race of RFC 9112 9.3.1 (the client
                        // retries an idempotent request), not a request cut
                        // while the server ran it.
                        Err(e) if format!("{e:?}").contains("IncompleteMessage") => {
                            tokio::time::sleep(Duration::from_millis(10)).await
                        }
                        Err(e) => seen.push(format!("cut: {e:?}")),
                    }
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    for login in logins {
        let outcome = login.await.unwrap();
        assert_eq!(outcome, Ok(200), "a login in flight at SIGTERM");
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exited within the shutdown timeout")
        .unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for reader in readers {
        let seen = reader.await.unwrap();
        assert!(seen.iter().any(|s| s == "200"), "the readers were served");
        for outcome in seen {
            assert!(outcome == "200" || outcome == "503", "{outcome}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_stalled_request_body_is_a_408() {
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut head = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
        .await
        .expect("an answer before the client gives up")
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 408", "{}", String::from_utf8_lossy(&head));
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

#[tokio::test]
async fn decimals_follow_the_documented_grammar_and_unknown_filters_are_422() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "P-1").await;
    let receive = |qty: Value| {
        app.post_as(
            "/api/v1/inventory/receipts",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": qty }] }),
        )
    };
    for lenient in ["+5", " 5", "5 ", ".5", "5.", "1.00000"] {
        let res = receive(json!(lenient)).await;
        assert_eq!(res.status(), 422, "quantity {lenient:?} accepted");
    }
    assert_eq!(receive(json!(5)).await.status(), 422, "a JSON number");
    assert_eq!(receive(json!("5")).await.status(), 201);
    for filter in [
        "/api/v1/inventory/movements?kind=nope",
        "/api/v1/products?kind=nope",
    ] {
        let res = app.get_as(filter, &owner.token).await;
        assert_field(res, "kind", "invalid_value").await;
    }
}

#[tokio::test]
async fn a_movement_references_only_a_document_of_the_callers_organization() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let other = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "P-1").await;
    let theirs = {
        let wh = warehouse(&app, &other, "THEIRS").await;
        let p = product(&app, &other, "T-1").await;
        let s = supplier(&app, &other, "Their supplier").await;
        purchase_order(&app, &other, &s, Some(&wh), &[(&p, "1", None)]).await
    };
    let ours = {
        let s = supplier(&app, &owner, "Our supplier").await;
        purchase_order(&app, &owner, &s, Some(&wh), &[(&prod, "1", None)]).await
    };
    let receive = |reference: Value| {
        let mut body =
            json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "1" }] });
        body.as_object_mut()
            .unwrap()
            .extend(reference.as_object().unwrap().clone());
        app.post_as("/api/v1/inventory/receipts", Some(&owner.token), body)
    };
    let unknown_type =
        receive(json!({ "reference_type": "delivery_note", "reference_id": Uuid::now_v7() })).await;
    assert_field(unknown_type, "reference_type", "invalid_value").await;
    let foreign =
        receive(json!({ "reference_type": "purchase_order", "reference_id": theirs["id"] })).await;
    assert_field(foreign, "reference_id", "unknown_document").await;
    let half = receive(json!({ "reference_type": "purchase_order" })).await;
    assert_field(half, "reference_id", "required").await;
    let res =
        receive(json!({ "reference_type": "purchase_order", "reference_id": ours["id"] })).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["movements"][0]["reference_type"], "purchase_order");
    assert_eq!(body["movements"][0]["reference_id"], ours["id"]);
}

/// True once `GET path` answers `status` (polled for at most ten seconds).
async fn answers_within_10s(app: &TestApp, path: &str, token: &str, status: u16) -> bool {
    for _ in 0..100 {
        if app.get_as(path, token).await.status() == status {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The PostgreSQL server of `TEST_DATABASE_URL`, if the suite runs on it.
fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_a_fast_503_with_retry_after_and_heals_by_itself() {
    let Some(server) = postgres_server() else {
        return; // PostgreSQL only: a SQLite file does not go away.
    };
    let upstream = "127.0.0.1:5432";
    if !server.contains(upstream) {
        return;
    }
    let proxy = Blackout::start(upstream).await;
    let via = proxy.addr.to_string();
    let app = spawn_app_with(|s| s.database.url = s.database.url.replace(upstream, &via)).await;
    let owner = app.onboard().await;
    let page = "/api/v1/audit-logs?limit=5";
    assert_eq!(app.get_as(page, &owner.token).await.status(), 200);

    proxy.cut();
    for attempt in 0..3 {
        let started = Instant::now();
        let res = app.get_as(page, &owner.token).await;
        let took = started.elapsed();
        assert!(res.headers().contains_key("retry-after"), "Retry-After");
        assert_problem(res, 503, "database_unavailable").await;
        if attempt > 0 {
            assert!(
                took < Duration::from_millis(500),
                "known down, yet attempt {attempt} took {took:?}"
            );
        }
    }

    proxy.restore();
    assert!(
        answers_within_10s(&app, page, &owner.token, 200).await,
        "requests succeed again once the database is back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_while_redis_is_down_takes_effect_when_it_is_back() {
    let Some(redis) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return; // The in-process cache cannot be cut off.
    };
    let upstream = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let proxy = Blackout::start(&upstream).await;
    let via = format!("redis://{}", proxy.addr);
    let app = spawn_app_with(|s| s.redis.url = via).await;
    let owner = app.onboard().await;
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        200
    );

    proxy.cut();
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 202, "the logout is recorded, not refused");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["propagation"], "pending");
    // Fail closed meanwhile.
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        503
    );

    proxy.restore();
    assert!(
        answers_within_10s(&app, "/api/v1/auth/me", &owner.token, 401).await,
        "the session is refused once the cache is back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_migrating_one_empty_database_at_once_all_succeed() {
    let Some(server) = postgres_server() else {
        return; // SQLite serializes schema changes with its write lock.
    };
    let url =
        create_postgres_database(&server, &format!("mainstay_t_{}", Uuid::now_v7().simple())).await;
    let mut settings = crate::helpers::test_settings().await.0;
    settings.database.url = url;
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let settings = settings.database.clone();
            tokio::spawn(async move {
                let db = mainstay::platform::db::connect(&settings).await?;
                mainstay::platform::db::migrate(&db).await?;
                anyhow::Ok(())
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap().expect("every process migrates");
    }
}

#[tokio::test]
async fn retention_deletes_ended_sessions_and_expired_keys_in_batches() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(90);
    // Three sessions: the two newest long expired, the first one live.
    for _ in 0..2 {
        assert_eq!(app.login(&owner.email, PASSWORD, None).await.status(), 200);
    }
    let stmt = |sql: &str, values: Vec<sea_orm::Value>| {
        let sql = if backend == DatabaseBackend::Postgres {
            sql.to_string()
        } else {
            sql.replace("$1", "?").replace("$2", "?")
        };
        Statement::from_sql_and_values(backend, sql, values)
    };
    db.execute_raw(stmt(
        "UPDATE sessions SET expires_at = $1 WHERE id IN (SELECT id FROM sessions WHERE user_id = $2 ORDER BY id DESC LIMIT 2)",
        vec![long_ago.into(), owner.user_id.into()],
    ))
    .await
    .unwrap();
    let purged =
        mainstay::modules::auth::api::purge_ended_sessions(db, chrono::Duration::days(30), 1)
            .await
            .unwrap();
    assert_eq!(purged, 2, "deleted one per statement until none is left");
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        200
    );
}

#[tokio::test]
async fn every_list_order_and_filter_is_an_index_range_scan() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let lists = [
        ("stock_movements", ""),
        ("stock_movements", "AND product_id = $2"),
        ("stock_movements", "AND warehouse_id = $2"),
        ("stock_movements", "AND kind = 'issue'"),
        (
            "stock_movements",
            "AND id >= $2 AND created_at >= '2026-01-01'",
        ),
        ("audit_logs", ""),
        ("audit_logs", "AND actor_id = $2"),
        ("audit_logs", "AND action = 'inventory.stock.issued'"),
        ("audit_logs", "AND entity_type = 'product'"),
        (
            "audit_logs",
            "AND entity_type = 'product' AND entity_id = 'x'",
        ),
        ("audit_logs", "AND id >= $2 AND created_at >= '2026-01-01'"),
        ("purchase_orders", ""),
        ("purchase_orders", "AND status = 'draft'"),
        ("purchase_orders", "AND supplier_id = $2"),
        ("stock_levels", ""),
        ("stock_levels", "AND product_id = $2"),
        ("stock_levels", "AND warehouse_id = $2"),
        ("journal_entries", ""),
        ("journal_entries", "AND state = 'draft'"),
        ("journal_entries", "AND created_by = $2"),
        ("journal_entries", "AND entry_date >= '2026-01-01'"),
        ("journal_lines", "AND account_id = $2"),
        ("customers", "AND active = true"),
        ("customers", "AND owner_id = $2"),
        ("contacts", "AND active = true"),
        ("contacts", "AND customer_id = $2"),
        ("contacts", "AND owner_id = $2"),
        ("leads", ""),
        ("leads", "AND status = 'new'"),
        ("leads", "AND owner_id = $2"),
        ("leads_by_score", ""),
        ("deals", ""),
        ("deals", "AND stage_id = $2"),
        ("deals", "AND pipeline_id = $2"),
        ("deals", "AND status = 'open'"),
        ("deals", "AND customer_id = $2"),
        ("deals", "AND owner_id = $2"),
        ("deals", "AND contact_id = $2"),
        ("deals_by_amount", ""),
        ("activities", ""),
        ("activities", "AND lead_id = $2"),
        ("activities", "AND contact_id = $2"),
        ("activities", "AND customer_id = $2"),
        ("activities", "AND deal_id = $2"),
        ("open_tasks", "AND assignee_id = $2 AND done = false"),
        ("crm_timeline", "AND customer_id = $2"),
        ("crm_timeline", "AND contact_id = $2"),
        ("quotes", ""),
        ("quotes", "AND status = 'sent'"),
        ("quotes", "AND customer_id = $2"),
        ("quotes", "AND deal_id = $2"),
        ("sales_orders", ""),
        ("sales_orders", "AND status = 'confirmed'"),
        ("sales_orders", "AND customer_id = $2"),
        ("sales_orders_by_date", ""),
        ("sales_orders_by_date", "AND order_date >= '2026-01-01'"),
        ("fulfilments", "AND sales_order_id = $2"),
    ];
    for (list, filter) in lists {
        // Stock levels list by their key; everything else newest first.
        // The journal by date (newest first), an account's ledger by date,
        // leads by score, a member's open tasks by due time.
        let (table, order) = match list {
            "stock_levels" => (list, "product_id, warehouse_id"),
            "journal_entries" => (list, "entry_date DESC, id DESC"),
            "journal_lines" => (list, "entry_date, id"),
            "leads_by_score" => ("leads", "score DESC, id DESC"),
            "open_tasks" => ("activities", "due_at, id"),
            "deals_by_amount" => ("deals", "amount DESC, id DESC"),
            "sales_orders_by_date" => ("sales_orders", "order_date DESC, id DESC"),
            _ => (list, "id DESC"),
        };
        let sql = format!(
            "SELECT * FROM {table} WHERE organization_id = $1 {filter} ORDER BY {order} LIMIT 51"
        );
        let values: Vec<sea_orm::Value> = if filter.contains("$2") {
            vec![Uuid::now_v7().into(), Uuid::now_v7().into()]
        } else {
            vec![Uuid::now_v7().into()]
        };
        let plan: Vec<String> = if backend == DatabaseBackend::Postgres {
            // Empty tables: make the planner show what it would do at scale.
            let tx = db.begin().await.unwrap();
            tx.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
                .await
                .unwrap();
            let rows = tx
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN {sql}"),
                    values,
                ))
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            rows.iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect()
        } else {
            let sql = sql.replace("$1", "?").replace("$2", "?");
            db.query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("EXPLAIN QUERY PLAN {sql}"),
                values,
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "detail").unwrap())
            .collect()
        };
        let text = plan.join("\n");
        assert!(
            !text.contains("Sort") && !text.contains("TEMP B-TREE"),
            "{table} {filter}: sorts:\n{text}"
        );
        assert!(
            text.contains("INDEX") || text.contains("Index"),
            "{table} {filter}: no index:\n{text}"
        );
    }
}

#[tokio::test]
async fn postgres_connections_can_require_and_verify_tls() {
    let Some(server) = postgres_server() else {
        return;
    };
    let admin = sea_orm::Database::connect(server.as_str()).await.unwrap();
    let ssl = admin
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT current_setting('ssl') AS on, current_setting('ssl_cert_file') AS cert",
        ))
        .await
        .unwrap()
        .unwrap();
    if ssl.try_get::<String>("", "on").unwrap() != "on" {
        return; // This server offers no TLS.
    }
    let cert = ssl.try_get::<String>("", "cert").unwrap();
    let mut settings = crate::helpers::test_settings().await.0;
    let tls_in_use = "SELECT ssl::text AS ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let sep = if settings.database.url.contains('?') {
        '&'
    } else {
        '?'
    };
    let base = settings.database.url.clone();
    let mut modes = vec![format!("{base}{sep}sslmode=require")];
    // verify-full against the server's own (self-signed, `localhost`) certificate.
    if std::path::Path::new(&cert).exists() {
        modes.push(format!(
            "{}{sep}sslmode=verify-full&sslrootcert={cert}",
            base.replace("127.0.0.1", "localhost")
        ));
    }
    // A name the certificate does not carry is refused under verify-full.
    if std::path::Path::new(&cert).exists() && base.contains("127.0.0.1") {
        settings.database.url = format!("{base}{sep}sslmode=verify-full&sslrootcert={cert}");
        assert!(
            mainstay::platform::db::connect(&settings.database)
                .await
                .is_err(),
            "verify-full accepted a certificate for another name"
        );
    }
    for url in modes {
        settings.database.url = url.clone();
        let db = mainstay::platform::db::connect(&settings.database)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                tls_in_use,
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "ssl").unwrap(), "true", "{url}");
    }
}

#[tokio::test]
async fn per_address_limits_count_the_forwarded_client_only_behind_a_trusted_proxy() {
    // Password-reset requests are limited to 20 an hour per client address.
    let forgot = |app: &crate::helpers::TestApp, client: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/auth/forgot-password"))
            .header("x-forwarded-for", client)
            .json(&json!({ "email": "nobody@example.com" }));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // Behind a trusted proxy (this test's loopback peer), each forwarded
    // client has its own budget.
    let proxied = spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    for _ in 0..20 {
        assert_eq!(forgot(&proxied, "198.51.100.1").await, 202);
    }
    assert_eq!(
        forgot(&proxied, "198.51.100.1").await,
        429,
        "the client's 21st"
    );
    assert_eq!(
        forgot(&proxied, "198.51.100.2").await,
        202,
        "another client"
    );
    // Without it, the header is a spoof: every request is the peer's.
    let direct = spawn_app().await;
    let spoofs = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
        "203.0.113.6",
        "203.0.113.7",
        "203.0.113.8",
        "203.0.113.9",
        "203.0.113.10",
        "203.0.113.11",
        "203.0.113.12",
        "203.0.113.13",
        "203.0.113.14",
        "203.0.113.15",
        "203.0.113.16",
        "203.0.113.17",
        "203.0.113.18",
        "203.0.113.19",
        "203.0.113.20",
    ];
    for spoof in spoofs {
        assert_eq!(forgot(&direct, spoof).await, 202);
    }
    assert_eq!(
        forgot(&direct, "203.0.113.21").await,
        429,
        "spoofing does not reset the limit"
    );
}

#[tokio::test]
async fn this_issues_migrations_roll_back_and_forward() {
    use migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    let db = &app.state.db;
    Migrator::down(db, Some(2)).await.expect("down");
    Migrator::up(db, None).await.expect("up again");
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .unwrap()
            .is_empty()
    );
}
