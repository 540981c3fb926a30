//! Optimistic concurrency through HTTP: writers that all hold one ETag race,
//! exactly one write applies and every other writer is told why.
//!
//! A stale `If-Match` is 412 `version_mismatch`; a hard-deleted row is 404
//! `not_found` (RFC 9110 §13.2.1: a missing resource does not evaluate the
//! precondition). The version check has to sit in the write's WHERE clause,
//! or PostgreSQL lets several writers read the same version and all win.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, spawn_app};

const WRITERS: usize = 20;

/// Creates a resource through `POST path`; returns its id.
async fn create(app: &TestApp, owner: &Member, path: &str, body: Value) -> String {
    let res = app.post_as(path, Some(&owner.token), body).await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 201, "POST {path}: {body}");
    body["id"].as_str().expect("id").to_string()
}

/// GET `path`: its version (checked against the `ETag` header) and body.
async fn version_of(app: &TestApp, owner: &Member, path: &str) -> (i64, Value) {
    let res = app.get_as(path, &owner.token).await;
    let status = res.status().as_u16();
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 200, "GET {path}: {body}");
    let version = body["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("GET {path} has no version: {body}"));
    assert_eq!(etag, format!("\"{version}\""), "ETag of {path}");
    (version, body)
}

/// Sends one request per body, all at once, all with `If-Match: "version"`;
/// returns each answer's status and JSON body, in the order of `bodies`.
async fn race(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    version: i64,
    bodies: Vec<Option<Value>>,
) -> Vec<(u16, Value)> {
    let requests = bodies.into_iter().map(|body| {
        let mut req = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(token)
            .header("if-match", format!("\"{version}\""));
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            let text = res.text().await.expect("body");
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
    });
    join_all(requests).await
}

/// Exactly one answer is `won`, every other one `lost` with problem `code`;
/// returns the winner's index.
fn assert_one_winner(
    what: &str,
    results: &[(u16, Value)],
    won: u16,
    lost: u16,
    code: &str,
) -> usize {
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    let winners: Vec<usize> = (0..results.len()).filter(|&i| statuses[i] == won).collect();
    assert_eq!(
        winners.len(),
        1,
        "{what}: expected exactly one {won} among {} writers, saw statuses {statuses:?}",
        results.len()
    );
    for (i, (status, body)) in results.iter().enumerate() {
        if i == winners[0] {
            continue;
        }
        assert_eq!(
            *status, lost,
            "{what}: writer {i} answered {body}; statuses {statuses:?}"
        );
        assert_eq!(body["code"], code, "{what}: writer {i} answered {body}");
    }
    winners[0]
}

/// The audit trail holds exactly one `action` record for entity `id`.
async fn assert_audited_once(app: &TestApp, owner: &Member, action: &str, id: &str) {
    let page = app
        .get_json(
            &format!("/api/v1/audit-logs?action={action}&entity_id={id}&limit=200"),
            &owner.token,
        )
        .await;
    let records = page["data"].as_array().expect("data");
    assert_eq!(
        records.len(),
        1,
        "{action} records for {id}: {}",
        Value::Array(records.clone())
    );
}

/// GET `path` after a race from `version`: exactly one write moved it.
async fn assert_one_step(app: &TestApp, owner: &Member, path: &str, version: i64) -> Value {
    let (after, body) = version_of(app, owner, path).await;
    assert_eq!(
        after,
        version + 1,
        "{path}: version went from {version} to {after}"
    );
    body
}

fn id_in(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

/// Races `WRITERS` PATCHes of `field` (`"Name 0"`, `"Name 1"`, ...) with the
/// current ETag of `path`: one applies, once. Returns the new version.
async fn patch_race(app: &TestApp, owner: &Member, path: &str, field: &str, action: &str) -> i64 {
    let (version, _) = version_of(app, owner, path).await;
    let bodies = (0..WRITERS)
        .map(|i| {
            let mut body = json!({});
            body[field] = json!(format!("Name {i}"));
            Some(body)
        })
        .collect();
    let results = race(app, Method::PATCH, path, &owner.token, version, bodies).await;
    let what = format!("PATCH {path}");
    let winner = assert_one_winner(&what, &results, 200, 412, "version_mismatch");
    let body = assert_one_step(app, owner, path, version).await;
    assert_eq!(
        body[field],
        format!("Name {winner}"),
        "{what}: stored {body}, but writer {winner} won"
    );
    assert_audited_once(app, owner, action, id_in(path)).await;
    version + 1
}

/// Races `WRITERS` DELETEs with ETag `version`: one 204, the rest 412
/// `version_mismatch` when the row stays (archived), 404 `not_found` when
/// it is gone.
async fn delete_race(app: &TestApp, owner: &Member, path: &str, version: i64, action: &str) {
    let archives = action.ends_with(".archived");
    let (lost, code) = if archives {
        (412, "version_mismatch")
    } else {
        (404, "not_found")
    };
    let writers = vec![None; WRITERS];
    let results = race(app, Method::DELETE, path, &owner.token, version, writers).await;
    assert_one_winner(&format!("DELETE {path}"), &results, 204, lost, code);
    if archives {
        let body = assert_one_step(app, owner, path, version).await;
        assert_eq!(body["active"], false, "archived {path}: {body}");
    } else {
        let gone = app.get_as(path, &owner.token).await.status();
        assert_eq!(gone, 404, "GET {path} after the delete");
    }
    assert_audited_once(app, owner, action, id_in(path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_of_an_organization_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let path = format!("/api/v1/organizations/{}", owner.org_id);
    patch_race(&app, &owner, &path, "name", "auth.organization.updated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_of_a_user_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let path = format!("/api/v1/users/{}", member.user_id);
    patch_race(&app, &owner, &path, "full_name", "auth.user.updated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_deletes_of_a_role_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/roles",
        json!({ "name": "Custom", "permissions": [] }),
    )
    .await;
    let path = format!("/api/v1/roles/{id}");
    let version = patch_race(&app, &owner, &path, "name", "auth.role.updated").await;
    delete_race(&app, &owner, &path, version, "auth.role.deleted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_deletes_of_a_team_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(&app, &owner, "/api/v1/teams", json!({ "name": "Team" })).await;
    let path = format!("/api/v1/teams/{id}");
    let version = patch_race(&app, &owner, &path, "name", "auth.team.updated").await;
    delete_race(&app, &owner, &path, version, "auth.team.deleted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_warehouse_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // The first warehouse is the default, which cannot be archived.
    create(
        &app,
        &owner,
        "/api/v1/warehouses",
        json!({ "code": "MAIN", "name": "Main" }),
    )
    .await;
    let id = create(
        &app,
        &owner,
        "/api/v1/warehouses",
        json!({ "code": "SPARE", "name": "Spare" }),
    )
    .await;
    let path = format!("/api/v1/warehouses/{id}");
    let version = patch_race(&app, &owner, &path, "name", "inventory.warehouse.updated").await;
    delete_race(&app, &owner, &path, version, "inventory.warehouse.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_product_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/products",
        json!({ "sku": "RACE-1", "name": "Racer" }),
    )
    .await;
    let path = format!("/api/v1/products/{id}");
    let version = patch_race(&app, &owner, &path, "name", "inventory.product.updated").await;
    delete_race(&app, &owner, &path, version, "inventory.product.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_deletes_of_a_category_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/categories",
        json!({ "name": "Category" }),
    )
    .await;
    let path = format!("/api/v1/categories/{id}");
    let version = patch_race(&app, &owner, &path, "name", "inventory.category.updated").await;
    delete_race(&app, &owner, &path, version, "inventory.category.deleted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_supplier_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/suppliers",
        json!({ "name": "Acme", "currency": "EUR" }),
    )
    .await;
    let path = format!("/api/v1/suppliers/{id}");
    let version = patch_race(&app, &owner, &path, "name", "inventory.supplier.updated").await;
    delete_race(&app, &owner, &path, version, "inventory.supplier.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_cancels_of_a_purchase_order_with_one_etag_apply_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let supplier = create(
        &app,
        &owner,
        "/api/v1/suppliers",
        json!({ "name": "Acme", "currency": "EUR" }),
    )
    .await;
    let product = create(
        &app,
        &owner,
        "/api/v1/products",
        json!({ "sku": "PO-1", "name": "Ordered" }),
    )
    .await;
    let id = create(
        &app,
        &owner,
        "/api/v1/purchase-orders",
        json!({ "supplier_id": supplier, "lines": [{ "product_id": product, "quantity": "5" }] }),
    )
    .await;
    let path = format!("/api/v1/purchase-orders/{id}");
    let version = patch_race(
        &app,
        &owner,
        &path,
        "notes",
        "inventory.purchase_order.updated",
    )
    .await;

    let cancel = format!("{path}/cancel");
    let writers = vec![Some(json!({})); WRITERS];
    let results = race(&app, Method::POST, &cancel, &owner.token, version, writers).await;
    let what = format!("POST {cancel}");
    assert_one_winner(&what, &results, 200, 412, "version_mismatch");
    let body = assert_one_step(&app, &owner, &path, version).await;
    assert_eq!(body["status"], "cancelled", "{what}: {body}");
    assert_audited_once(&app, &owner, "inventory.purchase_order.cancelled", &id).await;
}

/// An account's id by code.
async fn account_id(app: &TestApp, owner: &Member, code: &str) -> String {
    let page = app
        .get_json(
            &format!("/api/v1/accounting/accounts?q={code}"),
            &owner.token,
        )
        .await;
    page["data"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_an_account_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/accounting/accounts",
        json!({ "code": "6777", "name": "Racer", "type": "expense" }),
    )
    .await;
    let path = format!("/api/v1/accounting/accounts/{id}");
    let version = patch_race(&app, &owner, &path, "name", "accounting.account.updated").await;
    delete_race(&app, &owner, &path, version, "accounting.account.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_tax_rate_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let account = account_id(&app, &owner, "2100").await;
    let id = create(
        &app,
        &owner,
        "/api/v1/accounting/tax-rates",
        json!({ "name": "Racer", "rate": "20", "account_id": account }),
    )
    .await;
    let path = format!("/api/v1/accounting/tax-rates/{id}");
    let version = patch_race(&app, &owner, &path, "name", "accounting.tax_rate.updated").await;
    delete_race(&app, &owner, &path, version, "accounting.tax_rate.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_deletes_of_a_draft_entry_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (rent, bank) = (
        account_id(&app, &owner, "6010").await,
        account_id(&app, &owner, "1020").await,
    );
    let id = create(
        &app,
        &owner,
        "/api/v1/accounting/journal",
        json!({ "date": "2026-01-15", "lines": [
            { "account_id": rent, "debit": "10" }, { "account_id": bank, "credit": "10" }
        ] }),
    )
    .await;
    let path = format!("/api/v1/accounting/journal/{id}");
    let version = patch_race(
        &app,
        &owner,
        &path,
        "memo",
        "accounting.journal_entry.updated",
    )
    .await;
    delete_race(
        &app,
        &owner,
        &path,
        version,
        "accounting.journal_entry.deleted",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_customer_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/customers",
        json!({ "name": "Acme", "currency": "EUR" }),
    )
    .await;
    let path = format!("/api/v1/customers/{id}");
    let version = patch_race(&app, &owner, &path, "name", "crm.customer.updated").await;
    delete_race(&app, &owner, &path, version, "crm.customer.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_contact_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/contacts",
        json!({ "first_name": "Ada", "last_name": "Lovelace" }),
    )
    .await;
    let path = format!("/api/v1/contacts/{id}");
    let version = patch_race(&app, &owner, &path, "first_name", "crm.contact.updated").await;
    delete_race(&app, &owner, &path, version, "crm.contact.archived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_of_a_lead_and_of_a_deal_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create(&app, &owner, "/api/v1/leads", json!({ "name": "Grace" })).await;
    patch_race(
        &app,
        &owner,
        &format!("/api/v1/leads/{lead}"),
        "name",
        "crm.lead.updated",
    )
    .await;
    let deal = create(
        &app,
        &owner,
        "/api/v1/deals",
        json!({ "title": "Rollout", "currency": "EUR" }),
    )
    .await;
    patch_race(
        &app,
        &owner,
        &format!("/api/v1/deals/{deal}"),
        "title",
        "crm.deal.updated",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_deletes_of_an_activity_with_one_etag_apply_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/activities",
        json!({ "kind": "note", "subject": "First" }),
    )
    .await;
    let path = format!("/api/v1/activities/{id}");
    let version = patch_race(&app, &owner, &path, "subject", "crm.activity.updated").await;
    delete_race(&app, &owner, &path, version, "crm.activity.deleted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_patches_and_archives_of_a_lost_reason_with_one_etag_apply_exactly_once()
{
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = create(
        &app,
        &owner,
        "/api/v1/crm/lost-reasons",
        json!({ "name": "Timing" }),
    )
    .await;
    let path = format!("/api/v1/crm/lost-reasons/{id}");
    let version = patch_race(&app, &owner, &path, "name", "crm.lost_reason.updated").await;
    delete_race(&app, &owner, &path, version, "crm.lost_reason.archived").await;
}
