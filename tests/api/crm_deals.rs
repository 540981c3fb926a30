//! CRM pipelines, stages, lost reasons, deals, the board and the forecast
//! through HTTP.

use futures::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

async fn call(
    app: &TestApp,
    m: Method,
    path: &str,
    who: &Member,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Response {
    let mut req = app.client.request(m, app.url(path)).bearer_auth(&who.token);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

fn etag(res: &Response) -> String {
    res.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("ETag")
        .to_string()
}

async fn ok(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// The default pipeline of the organization.
async fn sales(app: &TestApp, who: &Member) -> Value {
    let list = app.get_json("/api/v1/pipelines", &who.token).await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_default"] == true)
        .expect("a default")
        .clone()
}

fn stage(pipeline: &Value, name: &str) -> String {
    pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .expect(name)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn deal(app: &TestApp, who: &Member, body: Value) -> Value {
    ok(
        app.post_as("/api/v1/deals", Some(&who.token), body).await,
        201,
    )
    .await
}

async fn pipeline(app: &TestApp, who: &Member, name: &str, stages: Value) -> (Value, String) {
    let res = app
        .post_as(
            "/api/v1/pipelines",
            Some(&who.token),
            json!({ "name": name, "stages": stages }),
        )
        .await;
    let tag = etag(&res);
    (ok(res, 201).await, tag)
}

async fn lost_reason(app: &TestApp, who: &Member, name: &str) -> String {
    let reasons = app.get_json("/api/v1/crm/lost-reasons", &who.token).await;
    reasons["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .expect(name)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_new_organization_has_the_sales_pipeline_and_lost_reasons() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let p = sales(&app, &owner).await;
    assert_eq!(p["name"], "Sales");
    assert_eq!(p["active"], true);
    let stages: Vec<(String, i64, String)> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["probability"].as_i64().unwrap(),
                s["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("Qualification", 10, "open"),
        ("Needs analysis", 30, "open"),
        ("Proposal", 60, "open"),
        ("Negotiation", 80, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ];
    assert_eq!(
        stages,
        expected.map(|(n, p, k)| (n.to_string(), p, k.to_string()))
    );
    let reasons = app.get_json("/api/v1/crm/lost-reasons", &owner.token).await;
    let names: Vec<&str> = reasons["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Competitor", "No budget", "No decision", "Price"]);
}

#[tokio::test]
async fn a_pipeline_needs_an_open_a_won_and_a_lost_stage_with_distinct_names() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let no_won = json!([{ "name": "A", "probability": 10, "kind": "open" }, { "name": "B", "probability": 50, "kind": "open" }, { "name": "L", "probability": 0, "kind": "lost" }]);
    let res = app
        .post_as(
            "/api/v1/pipelines",
            Some(&owner.token),
            json!({ "name": "Bad", "stages": no_won }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body.to_string().contains("won"), "{body}");
    let twins = json!([{ "name": "A", "probability": 10, "kind": "open" }, { "name": "a", "probability": 100, "kind": "won" }, { "name": "L", "probability": 0, "kind": "lost" }]);
    let res = app
        .post_as(
            "/api/v1/pipelines",
            Some(&owner.token),
            json!({ "name": "Bad", "stages": twins }),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let stages = json!([{ "name": "Up", "probability": 50, "kind": "open" }, { "name": "Renewed", "probability": 100, "kind": "won" }, { "name": "Churned", "probability": 0, "kind": "lost" }]);
    let res = app
        .post_as(
            "/api/v1/pipelines",
            Some(&owner.token),
            json!({ "name": "Renewals", "stages": stages }),
        )
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let p = ok(res, 201).await;
    assert_eq!(
        location,
        format!("/api/v1/pipelines/{}", p["id"].as_str().unwrap())
    );
    assert_eq!(p["is_default"], false);
    let names: Vec<&str> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Up", "Renewed", "Churned"]);
    let again = app
        .post_as(
            "/api/v1/pipelines",
            Some(&owner.token),
            json!({ "name": "Renewals", "stages": stages }),
        )
        .await;
    assert_problem(again, 409, "pipeline_name_taken").await;
}

#[tokio::test]
async fn one_pipeline_is_the_default_and_it_cannot_be_archived() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let old = sales(&app, &owner).await;
    let old_id = old["id"].as_str().unwrap();
    let stages = json!([{ "name": "Up", "probability": 50, "kind": "open" }, { "name": "Renewed", "probability": 100, "kind": "won" }, { "name": "Churned", "probability": 0, "kind": "lost" }]);
    let (p, _) = pipeline(&app, &owner, "Renewals", stages).await;
    let id = p["id"].as_str().unwrap();
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/pipelines/{old_id}"),
        &owner,
        None,
        None,
    )
    .await;
    assert_problem(res, 409, "default_pipeline").await;
    let res = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/pipelines/{id}"),
        &owner,
        Some(json!({ "is_default": true })),
        Some("\"1\""),
    )
    .await;
    assert_eq!(ok(res, 200).await["is_default"], true);
    let old = app
        .get_json(&format!("/api/v1/pipelines/{old_id}"), &owner.token)
        .await;
    assert_eq!(
        (old["is_default"].clone(), old["version"].clone()),
        (json!(false), json!(2))
    );
    // A deal without a pipeline now opens in the new default.
    let d = deal(
        &app,
        &owner,
        json!({ "title": "Renewal", "currency": "EUR" }),
    )
    .await;
    assert_eq!(d["pipeline_id"], p["id"]);
    let res = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/pipelines/{id}"),
        &owner,
        Some(json!({ "is_default": false })),
        None,
    )
    .await;
    assert_problem(res, 409, "default_pipeline").await;
    let res = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/pipelines/{old_id}"),
        &owner,
        Some(json!({ "is_default": true })),
        None,
    )
    .await;
    ok(res, 200).await;
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/pipelines/{id}"),
        &owner,
        None,
        None,
    )
    .await;
    assert_problem(res, 409, "pipeline_has_open_deals").await;
    let won = stage(&p, "Renewed");
    let res = call(
        &app,
        Method::POST,
        &format!("/api/v1/deals/{}/move", d["id"].as_str().unwrap()),
        &owner,
        Some(json!({ "stage_id": won })),
        None,
    )
    .await;
    ok(res, 200).await;
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/pipelines/{id}"),
        &owner,
        None,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let active = app
        .get_json("/api/v1/pipelines?active=true", &owner.token)
        .await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let res = app
        .post_as(
            "/api/v1/deals",
            Some(&owner.token),
            json!({ "title": "X", "currency": "EUR", "pipeline_id": id }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "pipeline_id", "{body}");
}

#[tokio::test]
async fn a_deal_is_opened_read_and_patched_with_its_etag() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let p = sales(&app, &owner).await;
    let res = app
        .post_as("/api/v1/deals", Some(&owner.token), json!({ "title": " Acme rollout ", "amount": "12500.00", "currency": "EUR", "expected_close_date": "2027-03-31" }))
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let d = ok(res, 201).await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(d["title"], "Acme rollout");
    assert_eq!(d["pipeline_id"], p["id"]);
    assert_eq!(d["stage_id"], stage(&p, "Qualification"));
    assert_eq!(
        (d["status"].as_str(), d["amount"].as_str()),
        (Some("open"), Some("12500.00"))
    );
    assert_eq!(d["owner_id"], owner.user_id.to_string());
    assert!(d["closed_at"].is_null() && d["lost_reason_id"].is_null());
    let res = app
        .get_as(&format!("/api/v1/deals/{id}"), &owner.token)
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let patch =
        json!({ "amount": "14000.5", "expected_close_date": null, "title": "Acme, 50 seats" });
    let res = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &owner,
        Some(patch.clone()),
        Some("\"1\""),
    )
    .await;
    assert_eq!(etag(&res), "\"2\"");
    let d = ok(res, 200).await;
    assert_eq!(
        (d["amount"].as_str(), d["version"].as_i64()),
        (Some("14000.50"), Some(2))
    );
    assert!(d["expected_close_date"].is_null());
    let stale = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &owner,
        Some(patch),
        Some("\"1\""),
    )
    .await;
    assert_problem(stale, 412, "version_mismatch").await;
    let negative = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &owner,
        Some(json!({ "amount": "-1.00" })),
        None,
    )
    .await;
    assert_problem(negative, 422, "validation_failed").await;
    let bad_currency = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &owner,
        Some(json!({ "currency": "eur" })),
        None,
    )
    .await;
    assert_problem(bad_currency, 422, "validation_failed").await;
    let stage_patch = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &owner,
        Some(json!({ "stage_id": d["stage_id"] })),
        None,
    )
    .await;
    assert_problem(stage_patch, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_deal_cannot_name_another_organizations_customer() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let theirs = ok(
        app.post_as(
            "/api/v1/customers",
            Some(&stranger.token),
            json!({ "name": "Their Co", "currency": "EUR" }),
        )
        .await,
        201,
    )
    .await;
    let mine = ok(
        app.post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "My Co", "currency": "EUR" }),
        )
        .await,
        201,
    )
    .await;
    let res = app
        .post_as(
            "/api/v1/deals",
            Some(&owner.token),
            json!({ "title": "X", "currency": "EUR", "customer_id": theirs["id"] }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "customer_id", "{body}");
    let d = deal(
        &app,
        &owner,
        json!({ "title": "X", "currency": "EUR", "customer_id": mine["id"] }),
    )
    .await;
    let path = format!("/api/v1/deals/{}", d["id"].as_str().unwrap());
    let res = call(
        &app,
        Method::PATCH,
        &path,
        &owner,
        Some(json!({ "customer_id": theirs["id"] })),
        None,
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "customer_id", "{body}");
    let res = app.get_as(&path, &stranger.token).await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn moves_are_recorded_and_a_lost_stage_needs_an_active_reason() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let p = sales(&app, &owner).await;
    let d = deal(&app, &owner, json!({ "title": "Deal", "currency": "EUR" })).await;
    let path = format!("/api/v1/deals/{}/move", d["id"].as_str().unwrap());
    let res = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": stage(&p, "Proposal") })),
        Some("\"1\""),
    )
    .await;
    assert_eq!(etag(&res), "\"2\"");
    let moved = ok(res, 200).await;
    assert_eq!(
        (
            moved["stage_id"].as_str().unwrap(),
            moved["status"].as_str()
        ),
        (stage(&p, "Proposal").as_str(), Some("open"))
    );
    let same = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": stage(&p, "Proposal") })),
        None,
    )
    .await;
    assert_problem(same, 409, "same_stage").await;
    let lost = stage(&p, "Lost");
    let res = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": lost })),
        None,
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        (
            body["errors"][0]["field"].as_str(),
            body["errors"][0]["code"].as_str()
        ),
        (Some("lost_reason_id"), Some("required"))
    );
    let price = lost_reason(&app, &owner, "Price").await;
    let res = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": lost, "lost_reason_id": price })),
        None,
    )
    .await;
    let d2 = ok(res, 200).await;
    assert_eq!(
        (d2["status"].as_str(), d2["lost_reason_id"].as_str()),
        (Some("lost"), Some(price.as_str()))
    );
    assert!(d2["closed_at"].is_string());
    let res = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": stage(&p, "Negotiation"), "lost_reason_id": price })),
        None,
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = call(
        &app,
        Method::POST,
        &path,
        &member,
        Some(json!({ "stage_id": stage(&p, "Negotiation") })),
        None,
    )
    .await;
    let d3 = ok(res, 200).await;
    assert!(
        d3["closed_at"].is_null() && d3["lost_reason_id"].is_null(),
        "{d3}"
    );
    let history = app
        .get_json(
            &format!("/api/v1/deals/{}/history", d["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    let rows: Vec<(Value, Value, Value)> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["from_stage_name"].clone(),
                h["to_stage_name"].clone(),
                h["moved_by"].clone(),
            )
        })
        .collect();
    let (o, m) = (
        json!(owner.user_id.to_string()),
        json!(member.user_id.to_string()),
    );
    assert_eq!(
        rows,
        [
            (Value::Null, json!("Qualification"), o),
            (json!("Qualification"), json!("Proposal"), m.clone()),
            (json!("Proposal"), json!("Lost"), m.clone()),
            (json!("Lost"), json!("Negotiation"), m),
        ]
    );
    let times: Vec<&str> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["moved_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[tokio::test]
async fn a_move_to_another_pipelines_stage_is_refused() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stages = json!([{ "name": "Up", "probability": 50, "kind": "open" }, { "name": "Renewed", "probability": 100, "kind": "won" }, { "name": "Churned", "probability": 0, "kind": "lost" }]);
    let (other, _) = pipeline(&app, &owner, "Renewals", stages).await;
    let d = deal(&app, &owner, json!({ "title": "Deal", "currency": "EUR" })).await;
    let path = format!("/api/v1/deals/{}/move", d["id"].as_str().unwrap());
    let res = call(
        &app,
        Method::POST,
        &path,
        &owner,
        Some(json!({ "stage_id": stage(&other, "Renewed") })),
        None,
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "stage_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_patches_of_a_deal_with_one_etag_give_one_200_and_one_412() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let d = deal(&app, &owner, json!({ "title": "Race", "currency": "EUR" })).await;
    let path = format!("/api/v1/deals/{}", d["id"].as_str().unwrap());
    for round in 1..=5 {
        let tag = format!("\"{round}\"");
        let writes = (0..2).map(|i| {
            let body = json!({ "amount": format!("{round}{i}.00") });
            call(&app, Method::PATCH, &path, &owner, Some(body), Some(&tag))
        });
        let mut statuses: Vec<u16> = Vec::new();
        for res in join_all(writes).await {
            let status = res.status().as_u16();
            if status == 412 {
                assert_problem(res, 412, "version_mismatch").await;
            }
            statuses.push(status);
        }
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}");
        let now = app.get_json(&path, &owner.token).await;
        assert_eq!(now["version"], round + 1);
    }
}

#[tokio::test]
async fn a_stage_holding_deals_is_deleted_only_with_move_to_which_moves_them() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stages = json!([
        { "name": "A", "probability": 20, "kind": "open" }, { "name": "B", "probability": 50, "kind": "open" },
        { "name": "Won", "probability": 100, "kind": "won" }, { "name": "Lost", "probability": 0, "kind": "lost" }
    ]);
    let (p, tag) = pipeline(&app, &owner, "Two step", stages).await;
    let pid = p["id"].as_str().unwrap();
    let (a, b) = (stage(&p, "A"), stage(&p, "B"));
    let d1 = deal(
        &app,
        &owner,
        json!({ "title": "One", "currency": "EUR", "pipeline_id": pid }),
    )
    .await;
    let d2 = deal(
        &app,
        &owner,
        json!({ "title": "Two", "currency": "EUR", "pipeline_id": pid }),
    )
    .await;
    let base = format!("/api/v1/pipelines/{pid}/stages");
    let res = call(
        &app,
        Method::DELETE,
        &format!("{base}/{a}"),
        &owner,
        None,
        Some(&tag),
    )
    .await;
    assert_problem(res, 409, "stage_has_deals").await;
    let res = call(
        &app,
        Method::DELETE,
        &format!("{base}/{}", stage(&p, "Lost")),
        &owner,
        None,
        None,
    )
    .await;
    assert_problem(res, 409, "last_stage_of_kind").await;
    let res = call(
        &app,
        Method::DELETE,
        &format!("{base}/{a}?move_to={a}"),
        &owner,
        None,
        None,
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = call(
        &app,
        Method::PATCH,
        &format!("{base}/{a}"),
        &owner,
        Some(json!({ "kind": "won" })),
        None,
    )
    .await;
    assert_problem(res, 409, "stage_has_deals").await;
    let res = call(
        &app,
        Method::DELETE,
        &format!("{base}/{a}?move_to={b}"),
        &owner,
        None,
        Some(&tag),
    )
    .await;
    assert_eq!(res.status(), 204);
    let after = app
        .get_as(&format!("/api/v1/pipelines/{pid}"), &owner.token)
        .await;
    assert_eq!(etag(&after), "\"2\"", "the pipeline's version moved");
    let after: Value = after.json().await.unwrap();
    let names: Vec<(&str, i64)> = after["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["position"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, [("B", 0), ("Won", 1), ("Lost", 2)]);
    for d in [d1, d2] {
        let id = d["id"].as_str().unwrap();
        let now = app
            .get_json(&format!("/api/v1/deals/{id}"), &owner.token)
            .await;
        assert_eq!(
            (now["stage_id"].as_str(), now["version"].as_i64()),
            (Some(b.as_str()), Some(2))
        );
        let history = app
            .get_json(&format!("/api/v1/deals/{id}/history"), &owner.token)
            .await;
        let last = history["data"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["from_stage_id"].as_str(), last["to_stage_id"].as_str()),
            (Some(a.as_str()), Some(b.as_str()))
        );
        assert_eq!(last["moved_by"], owner.user_id.to_string());
    }
    let res = call(
        &app,
        Method::DELETE,
        &format!("{base}/{b}"),
        &owner,
        None,
        Some(&tag),
    )
    .await;
    assert_problem(res, 412, "version_mismatch").await;
}

#[tokio::test]
async fn stages_are_added_changed_and_reordered_under_the_pipelines_etag() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let p = sales(&app, &owner).await;
    let pid = p["id"].as_str().unwrap();
    let base = format!("/api/v1/pipelines/{pid}/stages");
    let res = call(
        &app,
        Method::POST,
        &base,
        &owner,
        Some(json!({ "name": "Demo", "probability": 45, "kind": "open" })),
        Some("\"1\""),
    )
    .await;
    assert_eq!(etag(&res), "\"2\"");
    let p2 = ok(res, 201).await;
    let names = |p: &Value| -> Vec<String> {
        p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&p2),
        [
            "Qualification",
            "Needs analysis",
            "Proposal",
            "Negotiation",
            "Demo",
            "Won",
            "Lost"
        ]
    );
    let dup = call(
        &app,
        Method::POST,
        &base,
        &owner,
        Some(json!({ "name": "demo", "probability": 45, "kind": "open" })),
        None,
    )
    .await;
    assert_problem(dup, 409, "stage_name_taken").await;
    let demo = stage(&p2, "Demo");
    let res = call(
        &app,
        Method::PATCH,
        &format!("{base}/{demo}"),
        &owner,
        Some(json!({ "probability": 101 })),
        None,
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = call(
        &app,
        Method::PATCH,
        &format!("{base}/{demo}"),
        &owner,
        Some(json!({ "name": "Demo done", "probability": 50 })),
        Some("\"2\""),
    )
    .await;
    assert_eq!(ok(res, 200).await["version"], 3);
    let mut ids: Vec<String> = p2["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    ids.reverse();
    let missing = &ids[1..];
    let res = call(
        &app,
        Method::POST,
        &format!("{base}/reorder"),
        &owner,
        Some(json!({ "stage_ids": missing })),
        None,
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "stage_ids");
    let twice: Vec<&String> = ids.iter().take(6).chain(ids.iter().take(1)).collect();
    let res = call(
        &app,
        Method::POST,
        &format!("{base}/reorder"),
        &owner,
        Some(json!({ "stage_ids": twice })),
        None,
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = call(
        &app,
        Method::POST,
        &format!("{base}/reorder"),
        &owner,
        Some(json!({ "stage_ids": ids })),
        Some("\"2\""),
    )
    .await;
    assert_problem(res, 412, "version_mismatch").await;
    let res = call(
        &app,
        Method::POST,
        &format!("{base}/reorder"),
        &owner,
        Some(json!({ "stage_ids": ids })),
        Some("\"3\""),
    )
    .await;
    let p4 = ok(res, 200).await;
    assert_eq!(
        names(&p4),
        [
            "Lost",
            "Won",
            "Demo done",
            "Negotiation",
            "Proposal",
            "Needs analysis",
            "Qualification"
        ]
    );
    let positions: Vec<i64> = p4["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (0..7).collect::<Vec<i64>>());
    assert_eq!(
        app.get_json(&format!("/api/v1/pipelines/{pid}"), &owner.token)
            .await["version"],
        4
    );
}

#[tokio::test]
async fn the_board_counts_sums_and_weighs_awkward_amounts_exactly() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stages = json!([
        { "name": "Maybe", "probability": 33, "kind": "open" }, { "name": "Likely", "probability": 67, "kind": "open" },
        { "name": "Won", "probability": 100, "kind": "won" }, { "name": "Lost", "probability": 0, "kind": "lost" }
    ]);
    let (p, _) = pipeline(&app, &owner, "Odd", stages).await;
    let pid = p["id"].as_str().unwrap();
    for _ in 0..3 {
        deal(
            &app,
            &owner,
            json!({ "title": "Dime", "amount": "0.10", "currency": "EUR", "pipeline_id": pid }),
        )
        .await;
    }
    deal(
        &app,
        &owner,
        json!({ "title": "Crumb", "amount": "0.0015", "currency": "GBP", "pipeline_id": pid }),
    )
    .await;
    let likely = stage(&p, "Likely");
    deal(&app, &owner, json!({ "title": "Big", "amount": "1000000.01", "currency": "EUR", "pipeline_id": pid, "stage_id": likely })).await;
    let res = app
        .get_as(&format!("/api/v1/pipelines/{pid}/board"), &owner.token)
        .await;
    let tag = etag(&res);
    let board = ok(res, 200).await;
    let columns = board["stages"].as_array().unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Maybe", "Likely", "Won", "Lost"]);
    assert_eq!(columns[0]["count"], 4);
    assert_eq!(columns[0]["probability"], 33);
    assert_eq!(
        columns[0]["totals"],
        json!([
            { "currency": "EUR", "amount": "0.30", "weighted": "0.099" },
            { "currency": "GBP", "amount": "0.0015", "weighted": "0.0005" },
        ])
    );
    // 1,000,000.01 x 67% = 670,000.0067
    assert_eq!(
        columns[1]["totals"],
        json!([{ "currency": "EUR", "amount": "1000000.01", "weighted": "670000.0067" }])
    );
    assert_eq!(
        (columns[2]["count"].clone(), columns[2]["totals"].clone()),
        (json!(0), json!([]))
    );
    // Unchanged: 304; a new deal changes the ETag.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/pipelines/{pid}/board")))
        .bearer_auth(&owner.token)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    deal(
        &app,
        &owner,
        json!({ "title": "More", "amount": "1.00", "currency": "EUR", "pipeline_id": pid }),
    )
    .await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/pipelines/{pid}/board")))
        .bearer_auth(&owner.token)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_ne!(etag(&res), tag);
}

#[tokio::test]
async fn the_forecast_groups_open_deals_by_month_owner_and_currency() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let p = sales(&app, &owner).await;
    let proposal = stage(&p, "Proposal");
    let (o, m) = (owner.user_id.to_string(), member.user_id.to_string());
    for (amount, date, who, stage_id) in [
        ("100.00", "2027-01-05", &o, None),
        ("50.00", "2027-01-31", &o, Some(&proposal)),
        ("10.00", "2027-01-15", &m, None),
        ("20.00", "2027-02-01", &o, None),
        ("999.00", "2027-03-01", &o, None),
        ("5.00", "2026-12-31", &o, None),
    ] {
        let mut body = json!({ "title": "F", "amount": amount, "currency": "EUR", "expected_close_date": date, "owner_id": who });
        if let Some(s) = stage_id {
            body["stage_id"] = json!(s);
        }
        deal(&app, &owner, body).await;
    }
    deal(&app, &owner, json!({ "title": "Won", "amount": "70.00", "currency": "EUR", "expected_close_date": "2027-01-10", "stage_id": stage(&p, "Won") })).await;
    deal(&app, &owner, json!({ "title": "USD", "amount": "7.00", "currency": "USD", "expected_close_date": "2027-01-10" })).await;
    let f = app
        .get_json(
            "/api/v1/deals/forecast?from=2027-01-01&to=2027-02-28",
            &owner.token,
        )
        .await;
    let mut rows: Vec<(String, String, String, i64, String, String)> = f["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (
                s("month"),
                s("owner_id"),
                s("currency"),
                r["count"].as_i64().unwrap(),
                s("amount"),
                s("weighted"),
            )
        })
        .collect();
    rows.sort();
    let row = |month: &str, who: &str, cur: &str, n: i64, amount: &str, weighted: &str| {
        (
            month.to_string(),
            who.to_string(),
            cur.to_string(),
            n,
            amount.to_string(),
            weighted.to_string(),
        )
    };
    let mut expected = vec![
        row("2027-01", &o, "EUR", 2, "150.00", "40.00"),
        row("2027-01", &o, "USD", 1, "7.00", "0.70"),
        row("2027-01", &m, "EUR", 1, "10.00", "1.00"),
        row("2027-02", &o, "EUR", 1, "20.00", "2.00"),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let mine = app
        .get_json(
            "/api/v1/deals/forecast?from=2027-01-01&to=2027-01-31&owner=me",
            &member.token,
        )
        .await;
    assert_eq!(
        mine["rows"],
        json!([{ "month": "2027-01", "owner_id": m, "currency": "EUR", "count": 1, "amount": "10.00", "weighted": "1.00" }])
    );
    let res = app
        .get_as(
            "/api/v1/deals/forecast?from=2027-02-01&to=2027-01-01",
            &owner.token,
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn deals_are_listed_filtered_and_paged_by_amount() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let p = sales(&app, &owner).await;
    let mut ids = Vec::new();
    for (title, amount, who) in [
        ("Alpha", "5.00", &owner),
        ("Beta", "30.00", &member),
        ("Gamma", "20.00", &owner),
        ("Delta", "20.00", &owner),
    ] {
        let d = deal(
            &app,
            &owner,
            json!({ "title": title, "amount": amount, "currency": "EUR", "owner_id": who.user_id }),
        )
        .await;
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    let titles = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"].as_str().unwrap().to_string())
            .collect()
    };
    let all = app.get_json("/api/v1/deals", &owner.token).await;
    assert_eq!(titles(&all), ["Delta", "Gamma", "Beta", "Alpha"]);
    let mut seen = Vec::new();
    let mut path = "/api/v1/deals?sort=-amount&limit=3".to_string();
    loop {
        let page = app.get_json(&path, &owner.token).await;
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/deals?sort=-amount&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["Beta", "Delta", "Gamma", "Alpha"],
        "ties by id, descending"
    );
    let mine = app.get_json("/api/v1/deals?owner=me", &member.token).await;
    assert_eq!(titles(&mine), ["Beta"]);
    let q = app.get_json("/api/v1/deals?q=ELT", &owner.token).await;
    assert_eq!(titles(&q), ["Delta"]);
    let res = call(
        &app,
        Method::POST,
        &format!("/api/v1/deals/{}/move", ids[0]),
        &owner,
        Some(json!({ "stage_id": stage(&p, "Won") })),
        None,
    )
    .await;
    ok(res, 200).await;
    let won = app.get_json("/api/v1/deals?status=won", &owner.token).await;
    assert_eq!(titles(&won), ["Alpha"]);
    let in_stage = app
        .get_json(
            &format!(
                "/api/v1/deals?stage={}&sort=created_at",
                stage(&p, "Qualification")
            ),
            &owner.token,
        )
        .await;
    assert_eq!(titles(&in_stage), ["Beta", "Gamma", "Delta"]);
    let res = app
        .get_as("/api/v1/deals?owner=someone", &owner.token)
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.get_as("/api/v1/deals?cf.nope=1", &owner.token).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .get_as("/api/v1/deals?sort=amount&cursor=garbage", &owner.token)
        .await;
    assert_problem(res, 400, "invalid_cursor").await;
}

#[tokio::test]
async fn lost_reasons_are_created_renamed_and_archived() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/crm/lost-reasons",
            Some(&owner.token),
            json!({ "name": "Timing" }),
        )
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let r = ok(res, 201).await;
    let path = format!("/api/v1/crm/lost-reasons/{}", r["id"].as_str().unwrap());
    let dup = app
        .post_as(
            "/api/v1/crm/lost-reasons",
            Some(&owner.token),
            json!({ "name": "Timing" }),
        )
        .await;
    assert_problem(dup, 409, "lost_reason_name_taken").await;
    let res = call(
        &app,
        Method::PATCH,
        &path,
        &owner,
        Some(json!({ "name": "Bad timing" })),
        Some("\"1\""),
    )
    .await;
    assert_eq!(ok(res, 200).await["name"], "Bad timing");
    let res = call(
        &app,
        Method::PATCH,
        &path,
        &owner,
        Some(json!({ "name": "Price" })),
        None,
    )
    .await;
    assert_problem(res, 409, "lost_reason_name_taken").await;
    let res = call(&app, Method::DELETE, &path, &owner, None, Some("\"1\"")).await;
    assert_problem(res, 412, "version_mismatch").await;
    let res = call(&app, Method::DELETE, &path, &owner, None, Some("\"2\"")).await;
    assert_eq!(res.status(), 204);
    let one = app.get_json(&path, &owner.token).await;
    assert_eq!(
        (one["active"].clone(), one["version"].clone()),
        (json!(false), json!(3))
    );
    let active = app
        .get_json("/api/v1/crm/lost-reasons?active=true", &owner.token)
        .await;
    assert_eq!(active["data"].as_array().unwrap().len(), 4);
    let p = sales(&app, &owner).await;
    let d = deal(&app, &owner, json!({ "title": "D", "currency": "EUR" })).await;
    let mv = json!({ "stage_id": stage(&p, "Lost"), "lost_reason_id": r["id"] });
    let res = call(
        &app,
        Method::POST,
        &format!("/api/v1/deals/{}/move", d["id"].as_str().unwrap()),
        &owner,
        Some(mv),
        None,
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lost_reason_id");
}

#[tokio::test]
async fn a_viewer_reads_deals_but_cannot_open_one() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let viewer = app.add_member(&owner, "viewer").await;
    let res = app
        .post_as(
            "/api/v1/deals",
            Some(&viewer.token),
            json!({ "title": "No", "currency": "EUR" }),
        )
        .await;
    assert_problem(res, 403, "permission_denied").await;
    let list = app.get_json("/api/v1/deals", &viewer.token).await;
    assert_eq!(list["data"], json!([]));
    let res = app
        .post_as(
            "/api/v1/crm/lost-reasons",
            Some(&viewer.token),
            json!({ "name": "Nope" }),
        )
        .await;
    assert_problem(res, 403, "permission_denied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_moves_of_a_deal_with_one_etag_move_it_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let p = sales(&app, &owner).await;
    let price = lost_reason(&app, &owner, "Price").await;
    let d = deal(&app, &owner, json!({ "title": "Race", "currency": "EUR" })).await;
    let id = d["id"].as_str().unwrap();
    let targets = [
        json!({ "stage_id": stage(&p, "Proposal") }),
        json!({ "stage_id": stage(&p, "Negotiation") }),
        json!({ "stage_id": stage(&p, "Won") }),
        json!({ "stage_id": stage(&p, "Lost"), "lost_reason_id": price }),
        json!({ "stage_id": stage(&p, "Needs analysis") }),
    ];
    let path = format!("/api/v1/deals/{id}/move");
    let moves = (0..10).map(|i| {
        call(
            &app,
            Method::POST,
            &path,
            &owner,
            Some(targets[i % 5].clone()),
            Some("\"1\""),
        )
    });
    let (mut moved, mut refused) = (0, 0);
    for res in join_all(moves).await {
        match res.status().as_u16() {
            200 => moved += 1,
            412 => {
                assert_problem(res, 412, "version_mismatch").await;
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!((moved, refused), (1, 9));
    let now = app
        .get_json(&format!("/api/v1/deals/{id}"), &owner.token)
        .await;
    assert_eq!(now["version"], 2);
    let history = app
        .get_json(&format!("/api/v1/deals/{id}/history"), &owner.token)
        .await;
    let rows = history["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "one opening, one move");
    assert_eq!(rows[1]["to_stage_id"], now["stage_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_default_switches_leave_exactly_one_default_pipeline() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stages = json!([{ "name": "Up", "probability": 50, "kind": "open" }, { "name": "Won", "probability": 100, "kind": "won" }, { "name": "Lost", "probability": 0, "kind": "lost" }]);
    let mut ids = vec![
        sales(&app, &owner).await["id"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    for name in ["Second", "Third"] {
        ids.push(
            pipeline(&app, &owner, name, stages.clone()).await.0["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (app, owner) = (&app, &owner);
    for _ in 0..5 {
        let switches = (0..6).map(|i| {
            let path = format!("/api/v1/pipelines/{}", ids[i % 3]);
            async move {
                call(
                    app,
                    Method::PATCH,
                    &path,
                    owner,
                    Some(json!({ "is_default": true })),
                    None,
                )
                .await
            }
        });
        for res in join_all(switches).await {
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
        let list = app.get_json("/api/v1/pipelines", &owner.token).await;
        let defaults = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["is_default"] == true)
            .count();
        assert_eq!(defaults, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_archived_while_deals_open_in_it_never_keeps_an_open_deal() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stages = json!([{ "name": "Up", "probability": 50, "kind": "open" }, { "name": "Won", "probability": 100, "kind": "won" }, { "name": "Lost", "probability": 0, "kind": "lost" }]);
    let (p, _) = pipeline(&app, &owner, "Short lived", stages).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let body = json!({ "title": "Late", "currency": "EUR", "pipeline_id": pid });
    let path = format!("/api/v1/pipelines/{pid}");
    let archive = call(&app, Method::DELETE, &path, &owner, None, None);
    let opens =
        join_all((0..10).map(|_| app.post_as("/api/v1/deals", Some(&owner.token), body.clone())));
    let (archived, opened) = futures::join!(archive, opens);
    let (mut ok_count, mut refused) = (0, 0);
    for res in opened {
        match res.status().as_u16() {
            201 => ok_count += 1,
            422 => refused += 1,
            other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!(ok_count + refused, 10);
    let open = app
        .get_json(
            &format!("/api/v1/deals?pipeline={pid}&status=open"),
            &owner.token,
        )
        .await;
    let open = open["data"].as_array().unwrap().len();
    assert_eq!(open, ok_count);
    match archived.status().as_u16() {
        204 => assert_eq!(open, 0, "archived with open deals"),
        409 => {
            assert!(open > 0);
            assert_problem(archived, 409, "pipeline_has_open_deals").await;
        }
        other => panic!("unexpected archive status {other}"),
    }
}
