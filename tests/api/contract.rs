//! The frontend's contract: faithful replays, money formatting, conditional
//! GET, `WWW-Authenticate`, one 422 for every field, `Allow` on every
//! documented path, CORS refusals that explain themselves, the index, and
//! creating a further organization.

use reqwest::{Method, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_replay_keeps_location_and_etag() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let send = || {
        app.client
            .post(app.url("/api/v1/products"))
            .bearer_auth(&owner.token)
            .header("Idempotency-Key", "create-bolt")
            .json(&json!({"sku": "BOLT", "name": "Bolt"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers().get(header::LOCATION).cloned();
    let etag = first.headers().get(header::ETAG).cloned();
    assert!(
        location.is_some() && etag.is_some(),
        "{:?}",
        first.headers()
    );
    assert!(first.headers().get("idempotent-replayed").is_none());
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers().get(header::LOCATION), location.as_ref());
    assert_eq!(second.headers().get(header::ETAG), etag.as_ref());
}

#[tokio::test]
async fn money_keeps_two_decimals_and_quantities_stay_canonical() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({"sku": "P1", "name": "P", "sale_price": "0.30", "standard_cost": "0.10",
                   "reorder_point": "5.50"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["sale_price"], "0.30");
    assert_eq!(body["standard_cost"], "0.10");
    assert_eq!(body["reorder_point"], "5.5");
    let id = body["id"].as_str().unwrap();
    let again = app
        .get_json(&format!("/api/v1/products/{id}"), &owner.token)
        .await;
    assert_eq!(again["sale_price"], "0.30");
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_answers_304() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let path = format!("/api/v1/organizations/{}", owner.org_id);
    let res = app.get_as(&path, &owner.token).await;
    let etag = res.headers()[header::ETAG].to_str().unwrap().to_string();
    let conditional = |tag: String| {
        app.client
            .get(app.url(&path))
            .bearer_auth(&owner.token)
            .header(header::IF_NONE_MATCH, tag)
            .send()
    };
    let hit = conditional(etag.clone()).await.unwrap();
    assert_eq!(hit.status(), 304);
    assert_eq!(hit.headers()[header::ETAG].to_str().unwrap(), etag);
    assert!(hit.bytes().await.unwrap().is_empty());
    let weak = conditional(format!("W/{etag}")).await.unwrap();
    assert_eq!(weak.status(), 304);
    let miss = conditional("\"999\"".into()).await.unwrap();
    assert_eq!(miss.status(), 200);
}

#[tokio::test]
async fn a_401_carries_a_bearer_challenge() {
    let app = spawn_app().await;
    let none = app.get("/api/v1/auth/me").await;
    assert_eq!(
        none.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer realm="mainstay""#
    );
    assert_problem(none, 401, "unauthorized").await;
    let bad = app.get_as("/api/v1/auth/me", "not-a-jwt").await;
    assert_eq!(
        bad.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer realm="mainstay", error="invalid_token""#
    );
}

#[tokio::test]
async fn one_422_lists_every_field_error_with_the_unknown_ones() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({"sku": "", "name": "ok", "colour": "red", "size": 3}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let mut fields: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap()
            )
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["colour:unknown_field", "size:unknown_field", "sku:length"],
        "{body}"
    );
    // A wrong type and a missing field are listed together too.
    let res = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({"sku": 7, "extra": true}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"extra") && fields.contains(&"sku"),
        "{body}"
    );
}

/// Every documented path answers an undocumented method with 405 and the
/// methods the spec lists, literal paths winning over `{id}` siblings.
#[tokio::test]
async fn every_documented_path_answers_405_with_its_allow() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let spec = app.spec().await;
    let all = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    for (path, item) in spec["paths"].as_object().unwrap() {
        let documented: Vec<&str> = all
            .iter()
            .copied()
            .filter(|m| item.get(m.to_lowercase()).is_some())
            .collect();
        let Some(other) = all.iter().find(|m| !documented.contains(m)) else {
            continue;
        };
        let concrete = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "0193a4f2-7c1e-7d33-9a51-2f0c7e1b9d10"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in [*other, "OPTIONS"] {
            let res = app
                .call(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete,
                    Some(&owner.token),
                    None,
                )
                .await;
            assert_eq!(res.status(), 405, "{method} {concrete}");
            assert_eq!(
                res.headers()[header::ALLOW].to_str().unwrap(),
                documented.join(", "),
                "{method} {concrete}"
            );
        }
    }
}

#[tokio::test]
async fn a_preflight_from_an_unlisted_origin_is_a_problem_naming_the_setting() {
    let app = spawn_app_with(|s| {
        s.cors.allowed_origins = vec!["http://localhost:5173".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/products"))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let refused = preflight("http://evil.example").await.unwrap();
    let body = assert_problem(refused, 403, "cors_origin_not_allowed").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("cors.allowed_origins")
            && detail.contains("MAINSTAY__CORS__ALLOWED_ORIGINS"),
        "{detail}"
    );
    let allowed = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(allowed.status(), 200);
    let res = app
        .client
        .get(app.url("/health"))
        .header(header::ORIGIN, "http://localhost:5173")
        .send()
        .await
        .unwrap();
    let exposed = res.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["idempotent-replayed", "allow", "etag", "location"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
}

#[tokio::test]
async fn the_root_points_to_the_docs() {
    let app = spawn_app().await;
    let json = app.get("/").await;
    assert_eq!(json.status(), 200);
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["docs"], "/docs/");
    let browser = app
        .client
        .get(app.url("/"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 303);
    assert_eq!(browser.headers()[header::LOCATION], "/docs/");
}

#[tokio::test]
async fn a_signed_in_person_creates_another_organization_the_409_points_to() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let again = app
        .post_as(
            "/api/v1/organizations/onboard",
            None,
            json!({"organization_name": "Second", "email": owner.email, "password": PASSWORD,
                   "full_name": "Owner Person"}),
        )
        .await;
    let body = assert_problem(again, 409, "email_taken").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("POST /api/v1/organizations"),
        "{body}"
    );
    let created = app
        .post_as(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({"name": "Second"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let org: Value = created.json().await.unwrap();
    let id = org["id"].as_str().unwrap();
    // The caller owns it: switching there works and grants the owner's rights.
    let switched = app
        .post_as(
            "/api/v1/auth/switch-organization",
            Some(&owner.token),
            json!({"organization_id": id}),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let tokens: Value = switched.json().await.unwrap();
    let there = app
        .get_json(
            &format!("/api/v1/organizations/{id}"),
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(there["name"], "Second");
}

#[tokio::test]
async fn login_answers_say_which_kind_they_are() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app.login(&owner.email, PASSWORD, None).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "signed_in");
    assert!(body["access_token"].is_string());
    let spec = app.spec().await;
    let login = &spec["components"]["schemas"]["LoginOut"];
    assert_eq!(login["discriminator"]["propertyName"], "status", "{login}");
}

/// The spec declares `ETag` on every answer that is a versioned resource,
/// and the server sends it there; a GET of one documents 304.
#[tokio::test]
async fn versioned_answers_send_the_etag_the_spec_declares() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let spec = app.spec().await;
    let declared = |method: &str, path: &str, status: &str| {
        spec["paths"][path][method]["responses"][status]["headers"]
            .get("ETag")
            .is_some()
    };
    let created = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({"sku": "E1", "name": "E"}),
        )
        .await;
    assert!(declared("post", "/api/v1/products", "201"));
    assert!(created.headers().contains_key(header::ETAG));
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = app
        .get_as(&format!("/api/v1/products/{id}"), &owner.token)
        .await;
    assert!(declared("get", "/api/v1/products/{id}", "200"));
    assert!(one.headers().contains_key(header::ETAG));
    let get_op = &spec["paths"]["/api/v1/products/{id}"]["get"];
    assert!(get_op["responses"].get("304").is_some(), "{get_op}");
    assert!(
        get_op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "If-None-Match")
    );
    let path = format!("/api/v1/users/{}/deactivate", member.user_id);
    let res = app
        .call(Method::POST, &path, Some(&owner.token), None)
        .await;
    assert_eq!(res.status(), 200);
    assert!(declared("post", "/api/v1/users/{id}/deactivate", "200"));
    assert!(res.headers().contains_key(header::ETAG));
}

/// What Spectral and Redocly check in CI, plus what they do not: each error
/// status has its own example, every operation a description, every request
/// body a description and an example, public operations `security: []`, the
/// tags are declared, and `servers` is present.
#[tokio::test]
async fn the_spec_describes_and_exemplifies_everything() {
    let app = spawn_app().await;
    let spec = app.spec().await;
    assert!(spec["servers"].as_array().is_some_and(|s| !s.is_empty()));
    let tags: Vec<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(t["description"].is_string(), "{t}");
            t["name"].as_str().unwrap()
        })
        .collect();
    let mut examples = std::collections::HashSet::new();
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        let example = &response["content"]["application/problem+json"]["example"];
        assert!(example.is_object(), "{name} has no example");
        assert!(
            examples.insert(example["status"].to_string()),
            "{name} repeats another status's example"
        );
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{at}: no description"
            );
            assert!(op["security"].is_array(), "{at}: no security");
            for tag in op["tags"].as_array().unwrap() {
                assert!(tags.contains(&tag.as_str().unwrap()), "{at}: tag {tag}");
            }
            if let Some(body) = op.get("requestBody") {
                assert!(body["description"].is_string(), "{at}: body description");
                assert!(
                    body["content"]["application/json"]["example"].is_object(),
                    "{at}: body example"
                );
            }
        }
    }
    let onboard = &spec["paths"]["/api/v1/organizations/onboard"]["post"];
    assert_eq!(onboard["security"], json!([]));
    assert_eq!(onboard["tags"], json!(["organizations"]));
    let bearer = spec["components"]["securitySchemes"]["bearer_auth"]["description"]
        .as_str()
        .unwrap();
    assert!(
        bearer.contains("onboard") && bearer.contains("login"),
        "{bearer}"
    );
}
