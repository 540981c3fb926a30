//! The cache against both backends: in-process always, Redis when
//! `TEST_REDIS_URL` is set.

use std::time::Duration;

use mainstay::platform::cache::Cache;
use uuid::Uuid;

use crate::helpers::configured_cache;

fn backends() -> Vec<Cache> {
    let prefix = format!("test:{}:", Uuid::now_v7().simple());
    let mut caches = vec![Cache::memory(&prefix)];
    if std::env::var("TEST_REDIS_URL").is_ok_and(|u| !u.is_empty()) {
        caches.push(configured_cache(&prefix));
    }
    caches
}

#[tokio::test]
async fn values_are_set_read_and_deleted() {
    for cache in backends() {
        let name = cache.backend_name();
        assert_eq!(cache.get("k").await.unwrap(), None, "{name}");
        cache.set("k", b"v1", None).await.unwrap();
        assert_eq!(
            cache.get("k").await.unwrap().as_deref(),
            Some(&b"v1"[..]),
            "{name}"
        );
        assert!(cache.delete("k").await.unwrap(), "{name}");
        assert!(!cache.delete("k").await.unwrap(), "{name}");
        assert_eq!(cache.get("k").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn values_expire_after_their_ttl() {
    for cache in backends() {
        cache
            .set("t", b"x", Some(Duration::from_millis(50)))
            .await
            .unwrap();
        assert!(cache.get("t").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            cache.get("t").await.unwrap(),
            None,
            "{}",
            cache.backend_name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hits_are_counted_exactly_once_each() {
    for cache in backends() {
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(async move { c.hit("rl", Duration::from_secs(60)).await })
            })
            .collect();
        let mut counts = Vec::new();
        for t in tasks {
            let w = t.await.unwrap().unwrap();
            assert!(w.resets_in <= Duration::from_secs(60) && w.resets_in > Duration::ZERO);
            counts.push(w.count);
        }
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=40).collect::<Vec<u64>>(),
            "{}",
            cache.backend_name()
        );
    }
}

#[tokio::test]
async fn a_window_restarts_after_it_resets() {
    for cache in backends() {
        assert_eq!(
            cache
                .hit("w", Duration::from_millis(50))
                .await
                .unwrap()
                .count,
            1
        );
        assert_eq!(
            cache
                .hit("w", Duration::from_millis(50))
                .await
                .unwrap()
                .count,
            2
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            cache
                .hit("w", Duration::from_millis(50))
                .await
                .unwrap()
                .count,
            1,
            "{}",
            cache.backend_name()
        );
    }
}

#[tokio::test]
async fn prefixes_keep_namespaces_apart() {
    let base = format!("test:{}:", Uuid::now_v7().simple());
    let a = configured_cache(&format!("{base}a:"));
    let b = configured_cache(&format!("{base}b:"));
    a.set("same", b"from a", Some(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(b.get("same").await.unwrap(), None);
    // Each in-process cache is its own store; on Redis the prefix separates them.
    assert!(a.get("same").await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_redis_is_an_error_not_a_hang() {
    let cache = Cache::redis("redis://127.0.0.1:1", 2, "x:").unwrap();
    let started = std::time::Instant::now();
    assert!(cache.get("k").await.is_err());
    assert!(cache.ping().await.is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `rediss://` speaks TLS (rustls) and verifies the server: the binary is
/// run against a TLS-only redis-server with a fresh self-signed `localhost`
/// certificate; trusted through `SSL_CERT_FILE` (read instead of the system
/// roots) it reports the cache ready, and without that trust it does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_urls_connect_over_verified_tls() {
    if std::env::var("TEST_REDIS_URL").is_err() {
        return; // Needs redis-server.
    }
    // A certificate no system trusts, for `localhost`.
    let dir = std::env::temp_dir().join(format!("mainstay-tls-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        return; // No openssl to make one.
    }
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let tls_port = free_port();
    let Ok(_redis) = tokio::process::Command::new("redis-server")
        .args(["--port", "0", "--tls-port", &tls_port.to_string()])
        .args(["--tls-cert-file", cert, "--tls-key-file", key])
        .args([
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
    else {
        return;
    };
    let ready = |trust: Option<&str>, want: u16| {
        let port = free_port();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mainstay"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAINSTAY_ENV", "test")
            .env("PORT", port.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/{port}.db", dir.display()),
            )
            .env("REDIS_URL", format!("rediss://localhost:{tls_port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(file) = trust {
            cmd.env("SSL_CERT_FILE", file);
        }
        async move {
            let _server = cmd.spawn().unwrap();
            let client = reqwest::Client::new();
            let mut last = None;
            for _ in 0..100 {
                if let Ok(res) = client
                    .get(format!("http://127.0.0.1:{port}/ready"))
                    .send()
                    .await
                {
                    last = Some(res.status().as_u16());
                    if last == Some(want) {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            last
        }
    };
    assert_eq!(ready(Some(cert), 200).await, Some(200), "TLS cache ready");
    assert_eq!(
        ready(None, 503).await,
        Some(503),
        "an untrusted certificate is refused"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Two processes sharing Redis, each keeping session state locally, both
/// subscribed to invalidations.
async fn two_subscribed_processes() -> Option<(crate::helpers::TestApp, crate::helpers::TestApp)> {
    let app = crate::helpers::spawn_app().await;
    if app.state.cache.backend_name() != "redis" {
        eprintln!("skipped: needs TEST_REDIS_URL (session state kept per process)");
        return None;
    }
    let sibling = crate::helpers::spawn_sibling(&app).await;
    for _ in 0..200 {
        if app.state.cache.local_sessions().usable()
            && sibling.state.cache.local_sessions().usable()
        {
            return Some((app, sibling));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the session invalidation subscribers did not start");
}

#[tokio::test]
async fn a_kept_session_serves_without_redis_and_a_logout_elsewhere_ends_it_at_once() {
    let Some((app, sibling)) = two_subscribed_processes().await else {
        return;
    };
    let owner = app.onboard().await;
    let me = sibling.get_json("/api/v1/auth/me", &owner.token).await;
    let sid: Uuid = me["session_id"].as_str().unwrap().parse().unwrap();
    assert!(
        sibling.state.cache.local_sessions().get(sid).is_some(),
        "the sibling keeps the session it served"
    );
    // Served from the process: the session's Redis entry is not read.
    sibling
        .state
        .cache
        .set(&format!("session:{sid}"), b"not json", None)
        .await
        .unwrap();
    assert_eq!(
        sibling
            .get_as("/api/v1/auth/me", &owner.token)
            .await
            .status(),
        200
    );
    let res = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert!(sibling.state.cache.local_sessions().get(sid).is_none());
    crate::helpers::assert_problem(
        sibling.get_as("/api/v1/auth/me", &owner.token).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_permission_change_reaches_a_process_that_kept_the_session() {
    let Some((app, sibling)) = two_subscribed_processes().await else {
        return;
    };
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "manager").await;
    let res = sibling
        .post_as(
            "/api/v1/warehouses",
            Some(&member.token),
            serde_json::json!({"code": "W1", "name": "W"}),
        )
        .await;
    assert_eq!(res.status(), 201, "managers create warehouses");
    let viewer = app.role_id(&owner.token, "viewer").await;
    let manager = app.role_id(&owner.token, "manager").await;
    let path = format!("/api/v1/users/{}/roles/{viewer}", member.user_id);
    let res = app
        .call(reqwest::Method::POST, &path, Some(&owner.token), None)
        .await;
    assert_eq!(res.status(), 200);
    let path = format!("/api/v1/users/{}/roles/{manager}", member.user_id);
    let res = app
        .call(reqwest::Method::DELETE, &path, Some(&owner.token), None)
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    // A viewer now: the sibling that kept the manager's grant refuses at once.
    let res = sibling
        .post_as(
            "/api/v1/warehouses",
            Some(&member.token),
            serde_json::json!({"code": "W2", "name": "W"}),
        )
        .await;
    crate::helpers::assert_problem(res, 403, "permission_denied").await;
}

/// Budgets counted per process in batches still refuse past the limit, with
/// the documented overshoot: at most processes x 1% of the limit.
#[tokio::test]
async fn a_budget_counted_in_batches_still_answers_429() {
    let Some((app, sibling)) = two_subscribed_processes().await else {
        return;
    };
    let owner = app.onboard().await; // Free plan: 600 requests a minute
    let mut admitted = 0;
    let mut refused = 0;
    for i in 0..700 {
        let server = if i % 2 == 0 { &app } else { &sibling };
        match server
            .get_as("/api/v1/auth/me", &owner.token)
            .await
            .status()
            .as_u16()
        {
            200 => admitted += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (600..=612).contains(&admitted),
        "admitted {admitted}: the limit is 600, the bound 2 x 6 over it"
    );
    assert_eq!(admitted + refused, 700);
    let res = app.get_as("/api/v1/auth/me", &owner.token).await;
    crate::helpers::assert_problem(res, 429, "rate_limited").await;
}
