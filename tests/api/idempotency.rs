//! The Idempotency-Key store (Stripe semantics), on the app's own database.

use chrono::Duration;
use mainstay::platform::idempotency::{self, Outcome, StoredResponse};
use uuid::Uuid;

use crate::helpers::spawn_app;

const DAY: Duration = Duration::hours(24);

fn created() -> StoredResponse {
    StoredResponse {
        status: 201,
        content_type: Some("application/json".into()),
        body: br#"{"id":"x"}"#.to_vec(),
        headers: vec![("location".into(), "/api/v1/x/1".into())],
    }
}

#[tokio::test]
async fn the_first_use_proceeds_and_a_repeat_replays_the_stored_response() {
    let app = spawn_app().await;
    let (db, org) = (&app.state.db, Uuid::now_v7());
    let hash = idempotency::fingerprint("POST", "/api/v1/x", b"{}");
    assert_eq!(
        idempotency::begin(db, org, "k1", &hash, DAY).await.unwrap(),
        Outcome::Proceed
    );
    idempotency::complete(db, org, "k1", &created())
        .await
        .unwrap();
    assert_eq!(
        idempotency::begin(db, org, "k1", &hash, DAY).await.unwrap(),
        Outcome::Replay(created())
    );
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422() {
    let app = spawn_app().await;
    let (db, org) = (&app.state.db, Uuid::now_v7());
    let a = idempotency::fingerprint("POST", "/x", b"{\"q\":1}");
    let b = idempotency::fingerprint("POST", "/x", b"{\"q\":2}");
    idempotency::begin(db, org, "k", &a, DAY).await.unwrap();
    idempotency::complete(db, org, "k", &created())
        .await
        .unwrap();
    let err = idempotency::begin(db, org, "k", &b, DAY).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 422);
    assert_eq!(err.code(), "idempotency_key_reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_let_exactly_one_through_and_the_rest_get_409() {
    let app = spawn_app().await;
    let org = Uuid::now_v7();
    let hash = idempotency::fingerprint("POST", "/x", b"{}");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let db = app.state.db.clone();
            let hash = hash.clone();
            tokio::spawn(async move { idempotency::begin(&db, org, "dup", &hash, DAY).await })
        })
        .collect();
    let (mut proceeded, mut conflicts) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(Outcome::Proceed) => proceeded += 1,
            Err(e) if e.status().as_u16() == 409 => conflicts += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((proceeded, conflicts), (1, 19));
}

#[tokio::test]
async fn keys_are_scoped_per_organization() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let hash = idempotency::fingerprint("POST", "/x", b"{}");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    idempotency::begin(db, a, "shared", &hash, DAY)
        .await
        .unwrap();
    idempotency::complete(db, a, "shared", &created())
        .await
        .unwrap();
    assert_eq!(
        idempotency::begin(db, b, "shared", &hash, DAY)
            .await
            .unwrap(),
        Outcome::Proceed
    );
}

#[tokio::test]
async fn a_server_error_or_release_frees_the_key_for_a_retry() {
    let app = spawn_app().await;
    let (db, org) = (&app.state.db, Uuid::now_v7());
    let hash = idempotency::fingerprint("POST", "/x", b"{}");
    idempotency::begin(db, org, "k", &hash, DAY).await.unwrap();
    let failed = StoredResponse {
        status: 503,
        content_type: None,
        body: vec![],
        headers: vec![],
    };
    idempotency::complete(db, org, "k", &failed).await.unwrap();
    assert_eq!(
        idempotency::begin(db, org, "k", &hash, DAY).await.unwrap(),
        Outcome::Proceed
    );
    idempotency::release(db, org, "k").await.unwrap();
    assert_eq!(
        idempotency::begin(db, org, "k", &hash, DAY).await.unwrap(),
        Outcome::Proceed
    );
}

#[tokio::test]
async fn an_expired_key_is_forgotten_and_purged() {
    let app = spawn_app().await;
    let (db, org) = (&app.state.db, Uuid::now_v7());
    let a = idempotency::fingerprint("POST", "/x", b"1");
    let b = idempotency::fingerprint("POST", "/x", b"2");
    idempotency::begin(db, org, "old", &a, Duration::seconds(-1))
        .await
        .unwrap();
    idempotency::complete(db, org, "old", &created())
        .await
        .unwrap();
    // Expired: another body may use the key again.
    assert_eq!(
        idempotency::begin(db, org, "old", &b, DAY).await.unwrap(),
        Outcome::Proceed
    );

    idempotency::begin(db, org, "old2", &a, Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(idempotency::purge_expired(db, 1000).await.unwrap(), 1);
}

#[tokio::test]
async fn a_malformed_key_is_a_400() {
    let app = spawn_app().await;
    let err = idempotency::begin(&app.state.db, Uuid::now_v7(), "has space", "h", DAY)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 400);
}

mod over_http {
    use serde_json::{Value, json};

    use crate::helpers::{assert_problem, spawn_app};

    async fn post_role(
        app: &crate::helpers::TestApp,
        token: &str,
        key: &str,
        name: &str,
    ) -> reqwest::Response {
        app.client
            .post(app.url("/api/v1/roles"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&json!({ "name": name, "permissions": [] }))
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_repeated_keyed_post_replays_the_first_response_and_creates_once() {
        let app = spawn_app().await;
        let owner = app.onboard().await;
        let before = app.get_json("/api/v1/roles", &owner.token).await["data"]
            .as_array()
            .unwrap()
            .len();
        let first = post_role(&app, &owner.token, "create-clerk-1", "Clerk").await;
        assert_eq!(first.status(), 201);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: Value = first.json().await.unwrap();
        let again = post_role(&app, &owner.token, "create-clerk-1", "Clerk").await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(
            again.json::<Value>().await.unwrap(),
            first,
            "the same response"
        );
        let after = app.get_json("/api/v1/roles", &owner.token).await["data"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(after, before + 1, "created once");

        let other_body = post_role(&app, &owner.token, "create-clerk-1", "Other").await;
        assert_problem(other_body, 422, "idempotency_key_reused").await;
        let too_long = post_role(&app, &owner.token, &"k".repeat(256), "Clerk 2").await;
        assert_problem(too_long, 400, "invalid_idempotency_key").await;

        // Keys belong to an organization.
        let stranger = app.onboard().await;
        let theirs = post_role(&app, &stranger.token, "create-clerk-1", "Clerk").await;
        assert_eq!(theirs.status(), 201);
        assert!(theirs.headers().get("idempotent-replayed").is_none());
    }

    #[tokio::test]
    async fn without_a_valid_token_the_key_changes_nothing_and_the_answer_is_401() {
        let app = spawn_app().await;
        let res = post_role(&app, "not-a-token", "k1", "Clerk").await;
        assert_problem(res, 401, "unauthorized").await;
    }

    #[tokio::test]
    async fn the_spec_documents_the_idempotency_key_on_authenticated_posts() {
        let app = spawn_app().await;
        let spec: Value = app.spec().await;
        let params = spec["paths"]["/api/v1/roles"]["post"]["parameters"]
            .as_array()
            .unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
        );
    }
}
