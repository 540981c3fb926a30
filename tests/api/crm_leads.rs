//! CRM leads through HTTP: leads with ETags, explainable scoring rules, and
//! one-step, all-or-nothing conversion.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

async fn create_lead(app: &TestApp, owner: &Member, body: Value) -> Value {
    let res = app.post_as("/api/v1/leads", Some(&owner.token), body).await;
    assert_eq!(res.status(), 201, "create lead");
    res.json().await.unwrap()
}

async fn create_rule(app: &TestApp, owner: &Member, body: Value) -> Value {
    let res = app
        .post_as("/api/v1/crm/lead-scoring-rules", Some(&owner.token), body)
        .await;
    assert_eq!(res.status(), 201, "create rule");
    res.json().await.unwrap()
}

async fn lead_of(app: &TestApp, owner: &Member, id: &Value) -> Value {
    app.get_json(
        &format!("/api/v1/leads/{}", id.as_str().unwrap()),
        &owner.token,
    )
    .await
}

/// A request with a JSON body and an optional `If-Match`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

async fn convert(app: &TestApp, owner: &Member, lead_id: &Value, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/leads/{}/convert", lead_id.as_str().unwrap());
    app.post_as(&path, Some(&owner.token), body).await
}

async fn customer_count(app: &TestApp, owner: &Member) -> usize {
    let page = app
        .get_json("/api/v1/customers?limit=200", &owner.token)
        .await;
    page["data"].as_array().unwrap().len()
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_lead_is_created_read_and_changed_with_etags() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/leads",
            Some(&owner.token),
            json!({ "name": "Grace Hopper", "company": "Cobol Works", "email": "grace@cobol.example",
                    "source": "web", "owner_id": owner.user_id, "estimated_value": "12000" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(etag(&res), "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/leads/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["status"], "new");
    assert_eq!(created["estimated_value"], "12000.00");
    assert_eq!(created["score"], 0);

    let res = app.get_as(&location, &owner.token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"1\"");

    let patch = json!({ "status": "qualified", "phone": "+44 20 7946 0000", "company": null });
    let res = send(
        &app,
        Method::PATCH,
        &location,
        &owner.token,
        Some("\"1\""),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"2\"");
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["status"], "qualified");
    assert_eq!(changed["phone"], "+44 20 7946 0000");
    assert!(changed["company"].is_null());
    assert_eq!(changed["version"], 2);

    let stale = send(
        &app,
        Method::PATCH,
        &location,
        &owner.token,
        Some("\"1\""),
        Some(patch),
    )
    .await;
    assert_problem(stale, 412, "version_mismatch").await;
}

#[tokio::test]
async fn a_lead_owner_must_be_an_active_member_and_another_organizations_lead_is_404() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/leads",
            Some(&owner.token),
            json!({ "name": "Ada", "owner_id": uuid::Uuid::now_v7() }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "owner_id");

    let lead = create_lead(&app, &owner, json!({ "name": "Ada" })).await;
    let stranger = app.onboard().await;
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());
    assert_problem(app.get_as(&path, &stranger.token).await, 404, "not_found").await;
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &stranger.token,
        None,
        Some(json!({ "name": "Mine" })),
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(lead_of(&app, &owner, &lead["id"]).await["name"], "Ada");
}

#[tokio::test]
async fn status_converted_in_a_body_is_refused() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/leads",
            Some(&owner.token),
            json!({ "name": "Ada", "status": "converted" }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "status");

    let lead = create_lead(&app, &owner, json!({ "name": "Ada" })).await;
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &owner.token,
        None,
        Some(json!({ "status": "converted" })),
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "status");
    let after = lead_of(&app, &owner, &lead["id"]).await;
    assert_eq!(after["status"], "new");
    assert_eq!(after["version"], 1);
}

#[tokio::test]
async fn a_converted_lead_cannot_be_changed() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Grace Hopper", "company": "Cobol Works" }),
    )
    .await;
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "EUR" } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &owner.token,
        None,
        Some(json!({ "name": "Changed" })),
    )
    .await;
    assert_problem(res, 409, "lead_converted").await;
    let after = lead_of(&app, &owner, &lead["id"]).await;
    assert_eq!(after["name"], "Grace Hopper");
    assert_eq!(after["status"], "converted");
}

#[tokio::test]
async fn a_field_rule_scores_the_leads_it_matches() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "From the website", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 10 }),
    )
    .await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Big", "subject": "field", "field": "estimated_value", "operator": "gte", "value": "10000", "points": 25 }),
    )
    .await;
    let web = create_lead(
        &app,
        &owner,
        json!({ "name": "A", "source": "Web", "estimated_value": "20000.00" }),
    )
    .await;
    let fair = create_lead(
        &app,
        &owner,
        json!({ "name": "B", "source": "fair", "estimated_value": "9999.99" }),
    )
    .await;
    assert_eq!(web["score"], 35);
    assert_eq!(fair["score"], 0);

    // A PATCH rescores in the same write.
    let path = format!("/api/v1/leads/{}", fair["id"].as_str().unwrap());
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &owner.token,
        None,
        Some(json!({ "source": "web" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["score"], 10);
    assert_eq!(changed["version"], 2);
}

#[tokio::test]
async fn a_custom_field_rule_scores_the_leads_it_matches() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/crm/custom-fields",
            Some(&owner.token),
            json!({ "entity": "lead", "key": "employees", "label": "Employees", "type": "number" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    create_rule(
        &app,
        &owner,
        json!({ "name": "Large company", "subject": "custom_field", "field": "employees", "operator": "gte", "value": 100, "points": 20 }),
    )
    .await;
    let big = create_lead(
        &app,
        &owner,
        json!({ "name": "A", "custom_fields": { "employees": 250 } }),
    )
    .await;
    let small = create_lead(
        &app,
        &owner,
        json!({ "name": "B", "custom_fields": { "employees": 12 } }),
    )
    .await;
    let none = create_lead(&app, &owner, json!({ "name": "C" })).await;
    assert_eq!(
        (
            big["score"].clone(),
            small["score"].clone(),
            none["score"].clone()
        ),
        (json!(20), json!(0), json!(0))
    );

    // `cf.` filters and min_score narrow the list.
    let page = app
        .get_json("/api/v1/leads?cf.employees_gte=100", &owner.token)
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let page = app
        .get_json("/api/v1/leads?min_score=1", &owner.token)
        .await;
    assert_eq!(page["data"][0]["id"], big["id"]);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_activity_count_rule_scores_leads_with_recent_activities() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Two calls", "subject": "activity_count", "field": "call", "operator": "gte", "value": 2, "points": 15 }),
    )
    .await;
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Engaged", "subject": "activity_count", "field": "any", "operator": "gte", "value": 3, "within_days": 7, "points": 5 }),
    )
    .await;
    assert_eq!(rule["within_days"], 7);
    let lead = create_lead(&app, &owner, json!({ "name": "Ada" })).await;
    for kind in ["call", "call", "note"] {
        let res = app
            .post_as(
                "/api/v1/activities",
                Some(&owner.token),
                json!({ "kind": kind, "subject": format!("A {kind}"), "lead_id": lead["id"] }),
            )
            .await;
        assert_eq!(res.status(), 201, "activity");
    }
    let after = lead_of(&app, &owner, &lead["id"]).await;
    assert_eq!(after["score"], 20);
    assert!(
        after["version"].as_i64().unwrap() > 1,
        "the score moved the version"
    );
}

#[tokio::test]
async fn the_explanation_lists_the_matched_rules_and_sums_to_the_score() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let web = create_rule(
        &app,
        &owner,
        json!({ "name": "From the website", "subject": "field", "field": "source", "operator": "in", "value": ["web", "ads"], "points": 10 }),
    )
    .await;
    let company = create_rule(
        &app,
        &owner,
        json!({ "name": "Has a company", "subject": "field", "field": "company", "operator": "is_set", "points": 7 }),
    )
    .await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Gmail", "subject": "field", "field": "email", "operator": "contains", "value": "gmail", "points": -4 }),
    )
    .await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Inactive", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 100, "active": false }),
    )
    .await;
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Ada", "source": "web", "company": "Engines Ltd", "email": "ada@engines.example" }),
    )
    .await;
    let score = app
        .get_json(
            &format!("/api/v1/leads/{}/score", lead["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(score["lead_id"], lead["id"]);
    assert_eq!(score["score"], 17);
    let matched = score["matched"].as_array().unwrap();
    let sum: i64 = matched.iter().map(|m| m["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 17);
    let ids: Vec<&Value> = matched.iter().map(|m| &m["rule_id"]).collect();
    assert_eq!(ids, vec![&web["id"], &company["id"]]);
    assert_eq!(matched[0]["name"], "From the website");
    assert_eq!(matched[0]["subject"], "field");
    assert_eq!(matched[0]["field"], "source");
    assert_eq!(matched[0]["operator"], "in");
    assert_eq!(matched[0]["value"], json!(["web", "ads"]));
    assert!(matched[1]["value"].is_null());
}

#[tokio::test]
async fn changing_a_rule_rescores_existing_leads() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Web", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 10 }),
    )
    .await;
    let lead = create_lead(&app, &owner, json!({ "name": "Ada", "source": "web" })).await;
    let other = create_lead(&app, &owner, json!({ "name": "Bob", "source": "fair" })).await;
    assert_eq!(lead["score"], 10);

    let path = format!(
        "/api/v1/crm/lead-scoring-rules/{}",
        rule["id"].as_str().unwrap()
    );
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &owner.token,
        Some("\"1\""),
        Some(json!({ "points": 30 })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let after = lead_of(&app, &owner, &lead["id"]).await;
    assert_eq!(after["score"], 30);
    assert_eq!(after["version"], 2);
    let unchanged = lead_of(&app, &owner, &other["id"]).await;
    assert_eq!(
        unchanged["version"], 1,
        "a lead whose score did not change is not written"
    );

    // Changing what the rule looks at moves the points to the other lead.
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &owner.token,
        None,
        Some(json!({ "value": "fair" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(lead_of(&app, &owner, &lead["id"]).await["score"], 0);
    assert_eq!(lead_of(&app, &owner, &other["id"]).await["score"], 30);
}

#[tokio::test]
async fn deleting_a_rule_rescores_existing_leads() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Web", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 10 }),
    )
    .await;
    let keep = create_rule(
        &app,
        &owner,
        json!({ "name": "Qualified", "subject": "field", "field": "status", "operator": "eq", "value": "qualified", "points": 5 }),
    )
    .await;
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Ada", "source": "web", "status": "qualified" }),
    )
    .await;
    assert_eq!(lead["score"], 15);
    let path = format!(
        "/api/v1/crm/lead-scoring-rules/{}",
        rule["id"].as_str().unwrap()
    );
    let res = send(
        &app,
        Method::DELETE,
        &path,
        &owner.token,
        Some("\"1\""),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&path, &owner.token).await, 404, "not_found").await;
    let score = app
        .get_json(
            &format!("/api/v1/leads/{}/score", lead["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(score["score"], 5);
    assert_eq!(score["matched"].as_array().unwrap().len(), 1);
    assert_eq!(score["matched"][0]["rule_id"], keep["id"]);
}

#[tokio::test]
async fn a_rule_that_cannot_work_is_refused() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let cases = [
        (
            json!({ "field": "source", "operator": "gte", "value": "web" }),
            "operator",
        ),
        (json!({ "field": "source", "operator": "eq" }), "value"),
        (
            json!({ "field": "estimated_value", "operator": "gt", "value": "lots" }),
            "value",
        ),
        (
            json!({ "field": "source", "operator": "is_set", "value": "web" }),
            "value",
        ),
        (
            json!({ "field": "source", "operator": "in", "value": "web" }),
            "value",
        ),
        (
            json!({ "field": "status", "operator": "eq", "value": "converted" }),
            "value",
        ),
        (
            json!({ "field": "shoe_size", "operator": "eq", "value": "9" }),
            "field",
        ),
        (
            json!({ "field": "source", "operator": "eq", "value": "web", "within_days": 5 }),
            "within_days",
        ),
        (
            json!({ "subject": "custom_field", "field": "missing", "operator": "eq", "value": 1 }),
            "field",
        ),
        (
            json!({ "subject": "activity_count", "field": "call", "operator": "contains", "value": 1 }),
            "operator",
        ),
        (
            json!({ "subject": "activity_count", "field": "telegram", "operator": "gte", "value": 1 }),
            "field",
        ),
        (
            json!({ "subject": "activity_count", "field": "call", "operator": "gte", "value": -1 }),
            "value",
        ),
    ];
    for (rule, field) in cases {
        let mut body = json!({ "name": "Rule", "subject": "field", "points": 5 });
        for (k, v) in rule.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app
            .post_as(
                "/api/v1/crm/lead-scoring-rules",
                Some(&owner.token),
                body.clone(),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let page = app
        .get_json("/api/v1/crm/lead-scoring-rules", &owner.token)
        .await;
    assert!(page["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn leads_sort_by_score_with_a_cursor() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Value", "subject": "field", "field": "estimated_value", "operator": "gte", "value": "100", "points": 10 }),
    )
    .await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Web", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 5 }),
    )
    .await;
    let mut expected = Vec::new();
    for (name, value, source) in [
        ("a", "1", "fair"),
        ("b", "500", "web"),
        ("c", "1", "web"),
        ("d", "500", "fair"),
        ("e", "1", "fair"),
    ] {
        let l = create_lead(
            &app,
            &owner,
            json!({ "name": name, "estimated_value": value, "source": source }),
        )
        .await;
        expected.push((
            l["score"].as_i64().unwrap(),
            l["id"].as_str().unwrap().to_string(),
        ));
    }
    // Highest score first, ties newest (highest id) first.
    expected.sort_by(|a, b| b.cmp(a));
    let mut seen = Vec::new();
    let mut url = "/api/v1/leads?sort=-score&limit=2".to_string();
    loop {
        let page = app.get_json(&url, &owner.token).await;
        for l in page["data"].as_array().unwrap() {
            seen.push((
                l["score"].as_i64().unwrap(),
                l["id"].as_str().unwrap().to_string(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/leads?sort=-score&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let scores: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(scores, vec![15, 10, 5, 0, 0]);

    let ascending = app
        .get_json("/api/v1/leads?sort=score&limit=1", &owner.token)
        .await;
    assert_eq!(ascending["data"][0]["score"], 0);
    let mine = app
        .get_json("/api/v1/leads?owner=me&q=B", &owner.token)
        .await;
    assert!(
        mine["data"].as_array().unwrap().is_empty(),
        "no lead has an owner"
    );
    let named = app.get_json("/api/v1/leads?q=B", &owner.token).await;
    assert_eq!(named["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn conversion_creates_and_links_a_customer_a_contact_and_a_deal() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Grace Brewster Hopper", "company": "Cobol Works", "email": "Grace@Cobol.example",
                "phone": "+1 555 0100", "owner_id": owner.user_id, "estimated_value": "12000" }),
    )
    .await;
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "USD" }, "deal": { "expected_close_date": "2027-03-31" } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["lead"]["status"], "converted");
    assert!(out["lead"]["converted_at"].is_string());
    assert_eq!(out["lead"]["converted_customer_id"], out["customer_id"]);
    assert_eq!(out["lead"]["converted_contact_id"], out["contact_id"]);
    assert_eq!(out["lead"]["converted_deal_id"], out["deal_id"]);

    let customer = app
        .get_json(
            &format!("/api/v1/customers/{}", out["customer_id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(customer["name"], "Cobol Works");
    assert_eq!(customer["kind"], "company");
    assert_eq!(customer["currency"], "USD");
    assert_eq!(customer["owner_id"], json!(owner.user_id));
    let contact = app
        .get_json(
            &format!("/api/v1/contacts/{}", out["contact_id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(
        (
            contact["first_name"].as_str(),
            contact["last_name"].as_str()
        ),
        (Some("Grace Brewster"), Some("Hopper"))
    );
    assert_eq!(contact["customer_id"], out["customer_id"]);
    assert_eq!(contact["email"], "Grace@Cobol.example");
    let deal = app
        .get_json(
            &format!("/api/v1/deals/{}", out["deal_id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(deal["title"], "Cobol Works");
    assert_eq!(deal["amount"], "12000.00");
    assert_eq!(deal["currency"], "USD");
    assert_eq!(deal["customer_id"], out["customer_id"]);
    assert_eq!(deal["contact_id"], out["contact_id"]);
    assert_eq!(deal["lead_id"], lead["id"]);
    let timeline = app
        .get_json(
            &format!(
                "/api/v1/customers/{}/timeline",
                out["customer_id"].as_str().unwrap()
            ),
            &owner.token,
        )
        .await;
    let kinds: Vec<&str> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"conversion"), "{timeline}");
}

#[tokio::test]
async fn conversion_links_an_existing_customer_and_skips_the_contact_on_request() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "Acme", "currency": "GBP" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let customer: Value = res.json().await.unwrap();
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Ada", "email": "ada@acme.example" }),
    )
    .await;
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer_id": customer["id"], "create_contact": false, "deal": { "title": "Acme rollout" } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["customer_id"], customer["id"]);
    assert!(out["contact_id"].is_null());
    let deal = app
        .get_json(
            &format!("/api/v1/deals/{}", out["deal_id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(
        deal["currency"], "GBP",
        "the deal takes the customer's currency"
    );
    assert_eq!(deal["amount"], "0.00");
    assert_eq!(customer_count(&app, &owner).await, 1);
}

#[tokio::test]
async fn converting_twice_is_a_conflict() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create_lead(&app, &owner, json!({ "name": "Ada Lovelace" })).await;
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "EUR" } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "EUR" } }),
    )
    .await;
    assert_problem(res, 409, "lead_converted").await;
    assert_eq!(customer_count(&app, &owner).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_conversions_of_one_lead_make_one_customer() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Ada Lovelace", "email": "ada@engines.example" }),
    )
    .await;
    let attempts = (0..10).map(|_| {
        convert(
            &app,
            &owner,
            &lead["id"],
            json!({ "customer": { "currency": "EUR" }, "deal": {} }),
        )
    });
    let responses = join_all(attempts).await;
    let mut won = 0;
    let mut refused = 0;
    for res in responses {
        match res.status().as_u16() {
            201 => won += 1,
            409 => {
                assert_problem(res, 409, "lead_converted").await;
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!((won, refused), (1, 9));
    assert_eq!(customer_count(&app, &owner).await, 1);
    let contacts = app.get_json("/api/v1/contacts", &owner.token).await;
    assert_eq!(contacts["data"].as_array().unwrap().len(), 1);
    let deals = app.get_json("/api/v1/deals", &owner.token).await;
    assert_eq!(deals["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_forced_failure_after_the_customer_insert_leaves_nothing() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/contacts",
            Some(&owner.token),
            json!({ "first_name": "Ada", "last_name": "Lovelace", "email": "ada@engines.example" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let existing: Value = res.json().await.unwrap();
    let lead = create_lead(
        &app,
        &owner,
        json!({ "name": "Ada Lovelace", "email": "ADA@engines.example" }),
    )
    .await;

    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "EUR" }, "deal": {} }),
    )
    .await;
    assert_problem(res, 409, "contact_email_taken").await;
    assert_eq!(
        customer_count(&app, &owner).await,
        0,
        "the customer insert was rolled back"
    );
    let deals = app.get_json("/api/v1/deals", &owner.token).await;
    assert!(deals["data"].as_array().unwrap().is_empty());
    let after = lead_of(&app, &owner, &lead["id"]).await;
    assert_eq!(after["status"], "new");
    assert_eq!(after["version"], 1);
    assert!(after["converted_customer_id"].is_null());

    // Linking the existing contact converts.
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer": { "currency": "EUR" }, "contact_id": existing["id"] }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["contact_id"], existing["id"]);
}

#[tokio::test]
async fn another_organizations_customer_in_a_conversion_is_refused() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/customers",
            Some(&stranger.token),
            json!({ "name": "Theirs", "currency": "EUR" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let theirs: Value = res.json().await.unwrap();
    let lead = create_lead(&app, &owner, json!({ "name": "Ada Lovelace" })).await;
    let res = convert(
        &app,
        &owner,
        &lead["id"],
        json!({ "customer_id": theirs["id"] }),
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "customer_id");
    assert_eq!(lead_of(&app, &owner, &lead["id"]).await["status"], "new");

    // Without a currency a new customer cannot be made.
    let res = convert(&app, &owner, &lead["id"], json!({})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "customer.currency");
    assert_eq!(customer_count(&app, &owner).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_changed_while_a_rule_changes_end_scored_by_the_latest_rule() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Web", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 10 }),
    )
    .await;
    let mut leads = Vec::new();
    for i in 0..10 {
        leads.push(
            create_lead(
                &app,
                &owner,
                json!({ "name": format!("Lead {i}"), "source": "fair" }),
            )
            .await,
        );
    }
    let rule_path = format!(
        "/api/v1/crm/lead-scoring-rules/{}",
        rule["id"].as_str().unwrap()
    );
    let rule_change = async {
        let res = send(
            &app,
            Method::PATCH,
            &rule_path,
            &owner.token,
            None,
            Some(json!({ "points": 20 })),
        )
        .await;
        assert_eq!(res.status(), 200);
    };
    let (app_ref, token) = (&app, owner.token.as_str());
    let lead_changes = join_all(leads.iter().map(|l| {
        let path = format!("/api/v1/leads/{}", l["id"].as_str().unwrap());
        async move {
            let res = send(
                app_ref,
                Method::PATCH,
                &path,
                token,
                None,
                Some(json!({ "source": "web" })),
            )
            .await;
            assert_eq!(res.status(), 200);
        }
    }));
    futures::join!(rule_change, lead_changes);
    for l in &leads {
        let score = app
            .get_json(
                &format!("/api/v1/leads/{}/score", l["id"].as_str().unwrap()),
                &owner.token,
            )
            .await;
        assert_eq!(score["score"], 20, "{score}");
        assert_eq!(score["matched"][0]["points"], 20, "{score}");
    }
}
