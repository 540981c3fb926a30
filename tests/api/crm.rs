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
