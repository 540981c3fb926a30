//! `/health`, `/ready`, `/metrics`, request ids and CORS.

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_answers_ok_with_a_generated_request_id() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "generated id is a uuid: {id}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn a_sane_incoming_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "client-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-abc.123");

    let res = app
        .client
        .get(app.url("/nope"))
        .header("X-Request-Id", "evil\tid<script>")
        .send()
        .await
        .unwrap();
    let echoed = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(echoed, "evil\tid<script>");
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["request_id"], echoed.as_str());
}

#[tokio::test]
async fn ready_names_the_database_and_cache_it_checked() {
    let app = spawn_app().await;
    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected_db = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    let expected_cache = if std::env::var("TEST_REDIS_URL").is_ok_and(|u| !u.is_empty()) {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["database"], expected_db);
    assert_eq!(body["cache"], expected_cache);
}

#[tokio::test]
async fn ready_is_503_naming_an_unreachable_cache() {
    // Port 1 on loopback refuses connections at once.
    let app = spawn_app_with(|s| s.redis.url = "redis://127.0.0.1:1".into()).await;
    let res = app.get("/ready").await;
    let body = assert_problem(res, 503, "not_ready").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("cache"), "{detail}");
    assert!(
        !detail.contains("database"),
        "the database is fine: {detail}"
    );
    // Liveness does not depend on dependencies.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/health").await;
    app.get("/no/such/path").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#));
    assert!(text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="+Inf"} 2"#));
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app_with(|s| s.cors.allowed_origins = vec!["https://app.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/health"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example"
    );

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(refused.status().is_client_error());
    assert!(
        refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"),
        "CORS refusals are problems too"
    );
}
