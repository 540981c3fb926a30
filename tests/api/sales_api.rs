//! `crm::api` for billing, and the inventory reservation it relies on:
//! every call runs inside the caller's transaction and leaves nothing
//! behind on rollback.

use mainstay::{
    modules::{
        crm::api as crm,
        inventory::api::{self as inventory, Origin},
    },
    platform::{db::begin_write, money::Quantity},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{Member, TestApp, spawn_app},
    inventory::{on_hand, product, receive, warehouse},
};

fn qty(s: &str) -> Quantity {
    s.parse().unwrap_or_default()
}

/// A failure as the test's error (its `Debug` text).
fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{e:?}"))
}

fn uuid_of(v: &Value) -> Uuid {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

/// A customer and a confirmed order for 5 of a product with 8 in stock:
/// (order, product, warehouse).
async fn confirmed_order(app: &TestApp, owner: &Member) -> (Value, String, String) {
    let wh = warehouse(app, owner, "API").await;
    let prod = product(app, owner, "API-1").await;
    receive(app, owner, &wh, &prod, "8", "1.00").await;
    let customer: Value = app
        .post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "Api Ltd", "currency": "EUR" }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let res = app
        .post_as(
            "/api/v1/sales-orders",
            Some(&owner.token),
            json!({ "customer_id": customer["id"], "warehouse_id": wh, "confirm": true,
                    "lines": [{ "product_id": prod, "quantity": "5" }] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    (res.json().await.unwrap_or_default(), prod, wh)
}

#[tokio::test]
async fn billing_records_invoiced_quantities_inside_its_own_transaction() -> Result<(), String> {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (order, _, _) = confirmed_order(&app, &owner).await;
    let id = uuid_of(&order["id"]);
    let tx = ok(begin_write(&app.state.db).await)?;
    let lines = ok(crm::sales_order_lines(&tx, owner.org_id, id).await)?;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].quantity, qty("5"));
    let line = lines[0].id;
    assert!(
        crm::record_invoiced(&tx, owner.org_id, line, qty("2"), crm::InvoiceCap::Ordered)
            .await
            .is_ok()
    );
    let over =
        crm::record_invoiced(&tx, owner.org_id, line, qty("4"), crm::InvoiceCap::Ordered).await;
    assert_eq!(
        over.err().map(|e| e.code().to_string()).as_deref(),
        Some("over_invoiced")
    );
    let below =
        crm::record_invoiced(&tx, owner.org_id, line, qty("-3"), crm::InvoiceCap::Ordered).await;
    assert_eq!(
        below.err().map(|e| e.code().to_string()).as_deref(),
        Some("over_invoiced")
    );
    assert!(tx.rollback().await.is_ok());
    // The rollback took the invoiced quantity with it.
    let read = app
        .get_json(&format!("/api/v1/sales-orders/{id}"), &owner.token)
        .await;
    assert_eq!(read["lines"][0]["invoiced_quantity"], "0");

    let tx = ok(begin_write(&app.state.db).await)?;
    assert!(
        crm::record_invoiced(&tx, owner.org_id, line, qty("5"), crm::InvoiceCap::Ordered)
            .await
            .is_ok()
    );
    assert!(tx.commit().await.is_ok());
    let read = app
        .get_json(&format!("/api/v1/sales-orders/{id}"), &owner.token)
        .await;
    assert_eq!(read["lines"][0]["invoiced_quantity"], "5");
    let summary = crm::sales_order(&app.state.db, owner.org_id, id).await;
    assert_eq!(summary.ok().flatten().map(|o| o.status), Some("confirmed"));
    Ok(())
}

#[tokio::test]
async fn another_organizations_order_is_not_found_through_the_api() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let other = app.onboard().await;
    let (order, _, _) = confirmed_order(&app, &owner).await;
    let id = uuid_of(&order["id"]);
    let lines = crm::sales_order_lines(&app.state.db, other.org_id, id).await;
    assert_eq!(lines.err().map(|e| e.status().as_u16()), Some(404));
    let line = uuid_of(&order["lines"][0]["id"]);
    let res = crm::record_invoiced(
        &app.state.db,
        other.org_id,
        line,
        qty("1"),
        crm::InvoiceCap::Ordered,
    )
    .await;
    assert_eq!(
        res.err().map(|e| e.code().to_string()).as_deref(),
        Some("over_invoiced")
    );
    assert!(matches!(
        crm::sales_order(&app.state.db, other.org_id, id).await,
        Ok(None)
    ));
}

#[tokio::test]
async fn a_partial_reservation_takes_what_is_there_and_rolls_back_with_its_caller()
-> Result<(), String> {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (_, prod, wh) = confirmed_order(&app, &owner).await;
    let (prod, wh) = (
        prod.parse().unwrap_or_default(),
        wh.parse().unwrap_or_default(),
    );
    let origin = Origin {
        organization_id: owner.org_id,
        actor: Some(owner.user_id),
        document_type: "sales_order",
        document_id: "probe",
    };
    let tx = ok(begin_write(&app.state.db).await)?;
    // 8 on hand, 5 reserved by the order: 3 are left.
    let all_or_none = inventory::reserve_available(&tx, &origin, (prod, wh), qty("4"), false).await;
    let r = ok(all_or_none)?;
    assert_eq!((r.reserved, r.available), (qty("0"), qty("3")));
    let partial = inventory::reserve_available(&tx, &origin, (prod, wh), qty("4"), true).await;
    let r = ok(partial)?;
    assert_eq!(r.reserved, qty("3"));
    assert!(tx.rollback().await.is_ok());
    let level = on_hand(&app, &owner, &prod.to_string()).await;
    assert_eq!(level["reserved"], "5");
    Ok(())
}

#[tokio::test]
async fn a_delivery_of_several_stock_lines_posts_one_cost_entry() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "TWO").await;
    let a = product(&app, &owner, "TWO-A").await;
    let b = product(&app, &owner, "TWO-B").await;
    receive(&app, &owner, &wh, &a, "5", "1.25").await;
    receive(&app, &owner, &wh, &b, "5", "2.00").await;
    let customer: Value = app
        .post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "Two Ltd", "currency": "EUR" }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let order: Value = app
        .post_as(
            "/api/v1/sales-orders",
            Some(&owner.token),
            json!({ "customer_id": customer["id"], "warehouse_id": wh, "confirm": true, "lines": [
                { "product_id": a, "quantity": "2" }, { "product_id": b, "quantity": "3" }
            ] }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let journal = "/api/v1/accounting/journal?source=stock_issue";
    let before = app.get_json(journal, &owner.token).await["data"]
        .as_array()
        .map_or(0, Vec::len);
    let res = app
        .post_as(
            &format!(
                "/api/v1/sales-orders/{}/fulfilments",
                order["id"].as_str().unwrap_or_default()
            ),
            Some(&owner.token),
            json!({ "lines": [
                { "line_id": order["lines"][0]["id"], "quantity": "2" },
                { "line_id": order["lines"][1]["id"], "quantity": "3" }
            ] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let delivery: Value = res.json().await.unwrap_or_default();
    assert_eq!(delivery["sales_order_status"], "fulfilled");
    let movements: Vec<&Value> = delivery["lines"]
        .as_array()
        .map(|l| l.iter().map(|l| &l["movement_id"]).collect())
        .unwrap_or_default();
    assert!(
        movements.len() == 2
            && movements.iter().all(|m| m.is_string())
            && movements[0] != movements[1]
    );
    let after = app.get_json(journal, &owner.token).await;
    let entries = after["data"].as_array().map_or(0, Vec::len);
    assert_eq!(
        entries,
        before + 1,
        "one cost-of-goods entry for the delivery"
    );
    // 2 x 1.25 + 3 x 2.00 at average cost.
    assert_eq!(after["data"][0]["total"], "8.50");
}

#[tokio::test]
async fn five_concurrent_acceptances_of_one_quote_make_one_order() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let customer: Value = app
        .post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "Race Ltd", "currency": "EUR" }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let quote: Value = app
        .post_as(
            "/api/v1/quotes",
            Some(&owner.token),
            json!({ "customer_id": customer["id"], "lines": [{ "description": "Audit", "quantity": "1", "unit_price": "900" }] }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let id = quote["id"].as_str().unwrap_or_default();
    let sent = app
        .post_as(
            &format!("/api/v1/quotes/{id}/send"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    let path = format!("/api/v1/quotes/{id}/accept");
    let answers = futures::future::join_all(
        (0..5).map(|_| app.post_as(&path, Some(&owner.token), json!({}))),
    )
    .await;
    let codes: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 4, "{codes:?}");
    let orders = app
        .get_json(
            &format!(
                "/api/v1/customers/{}/orders",
                customer["id"].as_str().unwrap_or_default()
            ),
            &owner.token,
        )
        .await;
    assert_eq!(orders["data"].as_array().map_or(0, Vec::len), 1);
}

#[tokio::test]
async fn concurrent_deliveries_and_a_cancel_keep_reserved_stock_equal_to_the_order() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (order, prod, _) = confirmed_order(&app, &owner).await;
    let id = order["id"].as_str().unwrap_or_default().to_string();
    let line = order["lines"][0]["id"].clone();
    let ship = format!("/api/v1/sales-orders/{id}/fulfilments");
    let cancel = format!("/api/v1/sales-orders/{id}/cancel");
    let body = json!({ "lines": [{ "line_id": line, "quantity": "1" }] });
    let mut calls: Vec<_> = (0..5)
        .map(|_| app.post_as(&ship, Some(&owner.token), body.clone()))
        .collect();
    calls.insert(2, app.post_as(&cancel, Some(&owner.token), json!({})));
    let answers = futures::future::join_all(calls).await;
    let shipped = answers
        .iter()
        .enumerate()
        .filter(|(i, r)| *i != 2 && r.status() == 201)
        .count();
    for (i, r) in answers.iter().enumerate() {
        assert!(
            [200, 201, 409, 422].contains(&r.status().as_u16()),
            "call {i}: {}",
            r.status()
        );
    }
    let read = app
        .get_json(&format!("/api/v1/sales-orders/{id}"), &owner.token)
        .await;
    let delivered = read["lines"][0]["delivered_quantity"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(delivered, shipped.to_string());
    let level = on_hand(&app, &owner, &prod).await;
    // 8 received; what shipped left; the rest of the 5 is held only while
    // the order is open.
    assert_eq!(level["on_hand"], (8 - shipped).to_string());
    let held = if read["status"] == "cancelled" {
        0
    } else {
        5 - shipped
    };
    assert_eq!(level["reserved"], held.to_string());
    assert_eq!(read["lines"][0]["reserved_quantity"], held.to_string());
}
