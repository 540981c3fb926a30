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
