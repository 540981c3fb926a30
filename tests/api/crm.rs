//! CRM across its topics: custom field definitions, the default pipeline of
//! existing organizations, and the rules that span customers, contacts,
//! leads, deals and activities.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn define(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_as("/api/v1/crm/custom-fields", Some(token), body)
        .await
}

#[tokio::test]
async fn a_custom_field_is_defined_listed_changed_and_archived_with_its_etag() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = define(
        &app,
        &owner.token,
        json!({ "entity": "contact", "key": "industry", "label": "Industry", "type": "select",
                "options": ["retail", "services"], "default_value": "retail" }),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let field: Value = res.json().await.unwrap();
    assert_eq!(field["type"], "select");
    assert_eq!(field["default_value"], "retail");
    let path = format!(
        "/api/v1/crm/custom-fields/{}",
        field["id"].as_str().unwrap()
    );

    let list = app
        .get_json("/api/v1/crm/custom-fields?entity=contact", &owner.token)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let none = app
        .get_json("/api/v1/crm/custom-fields?entity=deal", &owner.token)
        .await;
    assert!(none["data"].as_array().unwrap().is_empty());

    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&owner.token)
        .header("if-match", "\"1\"")
        .json(&json!({ "label": "Sector", "options": ["retail", "services", "public"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["label"], "Sector");
    assert_eq!(changed["options"].as_array().unwrap().len(), 3);
    assert_eq!(changed["version"], 2);

    // The same ETag again: the version moved.
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&owner.token)
        .header("if-match", "\"1\"")
        .json(&json!({ "label": "Again" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_mismatch").await;

    let res = app
        .call(Method::DELETE, &path, Some(&owner.token), None)
        .await;
    assert_eq!(res.status(), 204);
    let archived = app.get_json(&path, &owner.token).await;
    assert_eq!(archived["active"], false);
}

#[tokio::test]
async fn custom_field_definitions_are_checked() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let cases = [
        (
            json!({ "entity": "lead", "key": "Bad-Key", "label": "x", "type": "text" }),
            "key",
        ),
        (
            json!({ "entity": "lead", "key": "tier", "label": "x", "type": "select" }),
            "options",
        ),
        (
            json!({ "entity": "lead", "key": "tier", "label": "x", "type": "text", "options": ["a"] }),
            "options",
        ),
        (
            json!({ "entity": "lead", "key": "tier", "label": "x", "type": "select", "options": ["a", "a"] }),
            "options",
        ),
        (
            json!({ "entity": "lead", "key": "size", "label": "x", "type": "number", "default_value": "ten" }),
            "default_value",
        ),
        (
            json!({ "entity": "lead", "key": "day", "label": "x", "type": "date", "default_value": "2026-02-30" }),
            "default_value",
        ),
        (
            json!({ "entity": "lead", "key": "tier", "label": "x", "type": "select", "options": ["a"], "default_value": "b" }),
            "default_value",
        ),
    ];
    for (body, field) in cases {
        let res = define(&app, &owner.token, body.clone()).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let res = define(
        &app,
        &owner.token,
        json!({ "entity": "lead", "key": "kind", "label": "x", "type": "paint" }),
    )
    .await;
    assert_eq!(res.status(), 422, "an unknown type");

    let ok = json!({ "entity": "deal", "key": "region", "label": "Region", "type": "text" });
    assert_eq!(define(&app, &owner.token, ok.clone()).await.status(), 201);
    assert_problem(
        define(&app, &owner.token, ok).await,
        409,
        "custom_field_key_taken",
    )
    .await;
    // The same key on another record type is another field.
    let other = json!({ "entity": "customer", "key": "region", "label": "Region", "type": "text" });
    assert_eq!(define(&app, &owner.token, other).await.status(), 201);
}

#[tokio::test]
async fn members_read_custom_fields_and_only_managers_define_them() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let body = json!({ "entity": "contact", "key": "vip", "label": "VIP", "type": "boolean" });
    assert_problem(
        define(&app, &member.token, body.clone()).await,
        403,
        "permission_denied",
    )
    .await;
    assert_eq!(define(&app, &owner.token, body).await.status(), 201);
    let list = app
        .get_json("/api/v1/crm/custom-fields", &member.token)
        .await;
    assert_eq!(list["data"][0]["key"], "vip");
}

#[tokio::test]
async fn the_crm_migration_gives_existing_organizations_the_default_pipeline() {
    use migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    // Back to before the CRM tables (the organization stays), then forward.
    Migrator::down(db, Some(1)).await.expect("down");
    Migrator::up(db, None).await.expect("up");
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        "SELECT p.name, p.is_default, count(s.id) AS stages FROM pipelines p JOIN pipeline_stages s ON s.pipeline_id = p.id WHERE p.organization_id = $1 GROUP BY p.name, p.is_default"
    } else {
        "SELECT p.name, p.is_default, count(s.id) AS stages FROM pipelines p JOIN pipeline_stages s ON s.pipeline_id = p.id WHERE p.organization_id = ? GROUP BY p.name, p.is_default"
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [owner.org_id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one pipeline");
    assert_eq!(rows[0].try_get::<String>("", "name").unwrap(), "Sales");
    assert!(rows[0].try_get::<bool>("", "is_default").unwrap());
    assert_eq!(rows[0].try_get::<i64>("", "stages").unwrap(), 6);
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app.post_as(path, Some(token), body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

async fn default_pipeline(app: &TestApp, token: &str) -> Value {
    let list = app.get_json("/api/v1/pipelines", token).await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_default"] == true)
        .cloned()
        .expect("a default pipeline")
}

fn stage_named(pipeline: &Value, name: &str) -> String {
    pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn totals_beyond_the_largest_amount_are_a_422_never_a_500() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let customer = created(
        &app,
        &owner.token,
        "/api/v1/customers",
        json!({ "name": "Big spender", "currency": "EUR" }),
    )
    .await;
    // Each fits an amount; together they are beyond 922 trillion.
    for _ in 0..2 {
        created(
            &app,
            &owner.token,
            "/api/v1/deals",
            json!({ "title": "Huge", "currency": "EUR", "amount": "500000000000000",
                    "customer_id": customer["id"], "expected_close_date": "2027-01-15" }),
        )
        .await;
    }
    let pipeline = default_pipeline(&app, &owner.token).await;
    let board = app
        .get_as(
            &format!(
                "/api/v1/pipelines/{}/board",
                pipeline["id"].as_str().unwrap()
            ),
            &owner.token,
        )
        .await;
    assert_problem(board, 422, "total_out_of_range").await;
    let forecast = app
        .get_as(
            "/api/v1/deals/forecast?from=2027-01-01&to=2027-01-31",
            &owner.token,
        )
        .await;
    assert_problem(forecast, 422, "total_out_of_range").await;
    let summary = app
        .get_as(
            &format!("/api/v1/customers/{}", customer["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_problem(summary, 422, "total_out_of_range").await;

    // One of them alone totals exactly.
    let other = app.onboard().await;
    created(
        &app,
        &other.token,
        "/api/v1/deals",
        json!({ "title": "Huge", "currency": "EUR", "amount": "922337203685477.5807" }),
    )
    .await;
    let pipeline = default_pipeline(&app, &other.token).await;
    let board = app
        .get_json(
            &format!(
                "/api/v1/pipelines/{}/board",
                pipeline["id"].as_str().unwrap()
            ),
            &other.token,
        )
        .await;
    let first = &board["stages"][0];
    assert_eq!(first["totals"][0]["amount"], "922337203685477.5807");
    // 10% of it, rounded half-up to 4 decimals.
    assert_eq!(first["totals"][0]["weighted"], "92233720368547.7581");
}

#[tokio::test]
async fn deleting_a_stage_never_loses_its_deals_without_a_reason() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let pipeline = default_pipeline(&app, &owner.token).await;
    let pid = pipeline["id"].as_str().unwrap();
    let deal = created(
        &app,
        &owner.token,
        "/api/v1/deals",
        json!({ "title": "Open", "currency": "EUR" }),
    )
    .await;
    assert_eq!(deal["stage_id"], stage_named(&pipeline, "Qualification"));
    let path = format!(
        "/api/v1/pipelines/{pid}/stages/{}?move_to={}",
        stage_named(&pipeline, "Qualification"),
        stage_named(&pipeline, "Lost")
    );
    let res = app
        .call(Method::DELETE, &path, Some(&owner.token), None)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "move_to");
    let after = app
        .get_json(
            &format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(after["status"], "open", "nothing moved");
    assert!(after["lost_reason_id"].is_null());
}

#[tokio::test]
async fn a_converted_leads_explanation_still_adds_up_after_its_rule_is_deleted() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let rule = created(
        &app,
        &owner.token,
        "/api/v1/crm/lead-scoring-rules",
        json!({ "name": "From the web", "subject": "field", "field": "source",
                "operator": "eq", "value": "web", "points": 10 }),
    )
    .await;
    let lead = created(
        &app,
        &owner.token,
        "/api/v1/leads",
        json!({ "name": "Grace Hopper", "source": "web" }),
    )
    .await;
    assert_eq!(lead["score"], 10);
    let lead_id = lead["id"].as_str().unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/leads/{lead_id}/convert"),
            Some(&owner.token),
            json!({ "customer": { "currency": "EUR" } }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/crm/lead-scoring-rules/{}",
                rule["id"].as_str().unwrap()
            ),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let score = app
        .get_json(&format!("/api/v1/leads/{lead_id}/score"), &owner.token)
        .await;
    assert_eq!(score["score"], 10, "converted leads keep their score");
    let matched = score["matched"].as_array().unwrap();
    assert_eq!(matched.len(), 1);
    assert_eq!(matched[0]["name"], "From the web");
    assert_eq!(matched[0]["value"], "web");
    assert_eq!(matched[0]["points"], 10);
}

#[tokio::test]
async fn archived_customers_and_contacts_take_no_new_links() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let t = &owner.token;
    let customer = created(
        &app,
        t,
        "/api/v1/customers",
        json!({ "name": "Old Co", "currency": "EUR" }),
    )
    .await;
    let contact = created(
        &app,
        t,
        "/api/v1/contacts",
        json!({ "first_name": "Ada", "last_name": "Byron" }),
    )
    .await;
    for path in [
        format!("/api/v1/customers/{}", customer["id"].as_str().unwrap()),
        format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap()),
    ] {
        let res = app.call(Method::DELETE, &path, Some(t), None).await;
        assert_eq!(res.status(), 204, "archive {path}");
    }
    let res = app
        .post_as(
            "/api/v1/contacts",
            Some(t),
            json!({ "first_name": "New", "last_name": "Person", "customer_id": customer["id"] }),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "customer_id");
    assert_eq!(problem["errors"][0]["code"], "archived");
    let res = app
        .post_as(
            "/api/v1/deals",
            Some(t),
            json!({ "title": "Revival", "currency": "EUR", "contact_id": contact["id"] }),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "contact_id");
    assert_eq!(problem["errors"][0]["code"], "archived");
}

#[tokio::test]
async fn a_conversion_cannot_link_another_customers_contact() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let t = &owner.token;
    let other = created(
        &app,
        t,
        "/api/v1/customers",
        json!({ "name": "Other Co", "currency": "EUR" }),
    )
    .await;
    let theirs = created(
        &app,
        t,
        "/api/v1/contacts",
        json!({ "first_name": "Their", "last_name": "Buyer", "customer_id": other["id"] }),
    )
    .await;
    let lead = created(
        &app,
        t,
        "/api/v1/leads",
        json!({ "name": "Grace Hopper", "company": "Cobol Works" }),
    )
    .await;
    let res = app
        .post_as(
            &format!("/api/v1/leads/{}/convert", lead["id"].as_str().unwrap()),
            Some(t),
            json!({ "customer": { "currency": "EUR" }, "contact_id": theirs["id"] }),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "other_customer");
    let after = app
        .get_json(
            &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
            t,
        )
        .await;
    assert_eq!(after["status"], "new", "nothing converted");
    let customers = app.get_json("/api/v1/customers", t).await;
    assert_eq!(
        customers["data"].as_array().unwrap().len(),
        1,
        "no customer left behind"
    );
}
