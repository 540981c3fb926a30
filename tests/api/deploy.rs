//! `deploy/compose.yaml` and `deploy/nginx.conf`: three replicas behind nginx
//! over one PostgreSQL and one Redis (scripts/cluster.sh runs it for real).

use std::collections::BTreeSet;

use serde_yaml::Value;

const REPLICAS: [&str; 3] = ["mainstay-1", "mainstay-2", "mainstay-3"];

fn read(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// compose.yaml with its `<<` merges applied, and its services by name.
fn compose() -> (Value, Vec<(String, Value)>) {
    let mut doc: Value = serde_yaml::from_str(&read("deploy/compose.yaml")).expect("YAML");
    doc.apply_merge().expect("compose.yaml: `<<` merges apply");
    let services = doc["services"].as_mapping().expect("a `services` mapping");
    let services = services.iter().map(|(name, service)| {
        let name = name.as_str().expect("service names are strings");
        (name.to_string(), service.clone())
    });
    let services = services.collect();
    (doc, services)
}

/// A string field, empty when missing.
fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(value, |v, key| &v[*key])
        .as_str()
        .unwrap_or_default()
}

/// A healthcheck's `test` (list or string) as one line; empty when missing.
fn healthcheck(service: &Value) -> String {
    match &service["healthcheck"]["test"] {
        Value::Sequence(words) => words
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        other => other.as_str().unwrap_or_default().to_string(),
    }
}

fn waits_healthy(service: &Value, name: &str, on: &str) {
    let condition = text(service, &["depends_on", on, "condition"]);
    assert_eq!(
        condition, "service_healthy",
        "{name} must wait for {on} to be healthy"
    );
}

#[test]
fn three_replicas_share_one_secret_database_and_cache() {
    let (doc, services) = compose();
    let replicas: Vec<_> = services
        .iter()
        .filter(|(_, s)| text(s, &["image"]) == "mainstay")
        .collect();
    let names: BTreeSet<&str> = replicas.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(REPLICAS),
        "exactly three `image: mainstay` services"
    );
    let subnet = doc["networks"]["default"]["ipam"]["config"][0]["subnet"].as_str();
    let subnet = subnet.expect("the default network has a fixed subnet (ipam config)");
    assert!(
        read("Dockerfile").contains("/usr/local/bin/mainstay"),
        "the probe's binary"
    );
    for key in ["JWT_SECRET", "DATABASE_URL", "REDIS_URL"] {
        let values: BTreeSet<_> = replicas
            .iter()
            .map(|(_, s)| text(s, &["environment", key]))
            .collect();
        assert_eq!(
            values.len(),
            1,
            "every replica has the same {key}: {values:?}"
        );
    }
    for (name, s) in replicas {
        for (key, start) in [
            ("JWT_SECRET", "${JWT_SECRET:?"),
            ("DATABASE_URL", "postgres://"),
            ("REDIS_URL", "redis://redis:6379"),
            ("MAINSTAY_ENV", "production"),
            ("MAINSTAY__SERVER__TRUSTED_PROXIES", subnet),
        ] {
            let value = text(s, &["environment", key]);
            assert!(
                value.starts_with(start),
                "{name}: {key} is `{value}`, not `{start}...`"
            );
        }
        let database = text(s, &["environment", "DATABASE_URL"]);
        assert!(
            database.contains("@postgres:5432/"),
            "{name}: DATABASE_URL names `postgres`"
        );
        let probe = "CMD /usr/local/bin/mainstay healthcheck";
        assert!(
            healthcheck(s).starts_with(probe),
            "{name}: healthcheck is `{probe}`"
        );
        waits_healthy(s, name, "postgres");
        waits_healthy(s, name, "redis");
    }
}

#[test]
fn nginx_is_the_only_way_in_and_waits_for_every_replica() {
    let (_, services) = compose();
    let publishing: Vec<_> = services
        .iter()
        .filter(|(_, s)| !s["ports"].is_null())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(publishing, ["nginx"], "only the proxy publishes ports");
    let nginx = &services
        .iter()
        .find(|(n, _)| n == "nginx")
        .expect("an `nginx` service")
        .1;
    assert!(
        text(nginx, &["image"]).starts_with("nginx"),
        "the proxy is nginx"
    );
    assert!(!healthcheck(nginx).is_empty(), "nginx has a healthcheck");
    let mounts = nginx["volumes"]
        .as_sequence()
        .expect("nginx mounts its config");
    let mounted = mounts
        .iter()
        .filter_map(Value::as_str)
        .any(|m| m.starts_with("./nginx.conf:") && m.ends_with(":ro"));
    assert!(
        mounted,
        "deploy/nginx.conf is mounted read-only: {mounts:?}"
    );
    for replica in REPLICAS {
        waits_healthy(nginx, "nginx", replica);
    }
}

#[test]
fn postgres_and_redis_are_healthchecked() {
    let (doc, _) = compose();
    let (postgres, redis) = (&doc["services"]["postgres"], &doc["services"]["redis"]);
    assert!(
        text(postgres, &["image"]).starts_with("postgres:16"),
        "PostgreSQL 16"
    );
    assert!(text(redis, &["image"]).starts_with("redis:7"), "Redis 7");
    assert!(
        healthcheck(postgres).contains("pg_isready"),
        "postgres: a pg_isready healthcheck"
    );
    assert!(
        healthcheck(redis).contains("redis-cli ping"),
        "redis: a redis-cli ping healthcheck"
    );
    let data = postgres["volumes"][0]
        .as_str()
        .unwrap_or_default()
        .split(':')
        .next()
        .unwrap_or_default();
    assert!(
        doc["volumes"].get(data).is_some(),
        "postgres data lives in a named volume, not `{data}`"
    );
}

#[test]
fn nginx_upstream_names_exactly_the_replicas() {
    let conf = read("deploy/nginx.conf");
    let lines: Vec<&str> = conf
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("upstream mainstay"))
        .expect("`upstream mainstay`");
    let block = lines[start..].iter().take_while(|l| **l != "}");
    let servers: BTreeSet<String> = block
        .filter_map(|l| l.strip_prefix("server ")?.split_whitespace().next())
        .map(|s| s.trim_end_matches(';').to_string())
        .collect();
    let expected: BTreeSet<String> = REPLICAS.iter().map(|r| format!("{r}:8080")).collect();
    assert_eq!(
        servers, expected,
        "the upstream lists exactly the replica services"
    );
    for directive in [
        "proxy_pass http://mainstay;",
        "proxy_set_header X-Forwarded-For ",
        "proxy_set_header X-Request-Id ",
        "client_max_body_size 1m;",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(directive)),
            "nginx.conf lacks `{directive}`"
        );
    }
}
