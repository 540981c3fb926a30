//! Procurement through HTTP: suppliers, and purchase orders whose receipts go
//! through the stock ledger and never exceed what was ordered.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};
use crate::inventory::{ledger_sum, on_hand, product, warehouse};

pub(crate) async fn supplier(app: &TestApp, owner: &Member, name: &str) -> String {
    let res = app
        .post_as(
            "/api/v1/suppliers",
            Some(&owner.token),
            json!({ "name": name, "currency": "EUR", "email": "sales@supplier.example" }),
        )
        .await;
    assert_eq!(res.status(), 201, "supplier");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A purchase order of `lines` (product, quantity, optional unit cost).
pub(crate) async fn purchase_order(
    app: &TestApp,
    owner: &Member,
    supplier: &str,
    wh: Option<&str>,
    lines: &[(&str, &str, Option<&str>)],
) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q, c)| match c {
            Some(c) => json!({ "product_id": p, "quantity": q, "unit_cost": c }),
            None => json!({ "product_id": p, "quantity": q }),
        })
        .collect();
    let res = app
        .post_as(
            "/api/v1/purchase-orders",
            Some(&owner.token),
            json!({ "supplier_id": supplier, "warehouse_id": wh, "lines": lines }),
        )
        .await;
    assert_eq!(res.status(), 201, "purchase order");
    res.json().await.unwrap()
}

async fn act(app: &TestApp, owner: &Member, po: &Value, action: &str) -> reqwest::Response {
    app.post_as(
        &format!(
            "/api/v1/purchase-orders/{}/{action}",
            po["id"].as_str().unwrap()
        ),
        Some(&owner.token),
        json!({}),
    )
    .await
}

async fn receive_po(app: &TestApp, owner: &Member, po: &Value, body: Value) -> reqwest::Response {
    app.post_as(
        &format!(
            "/api/v1/purchase-orders/{}/receive",
            po["id"].as_str().unwrap()
        ),
        Some(&owner.token),
        body,
    )
    .await
}

fn line_id(po: &Value, i: usize) -> String {
    po["lines"][i]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn suppliers_are_validated_changed_and_archived() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let bad = app
        .post_as(
            "/api/v1/suppliers",
            Some(&owner.token),
            json!({ "name": "", "currency": "eur", "email": "not-an-email", "payment_terms_days": 400 }),
        )
        .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["currency", "email", "name", "payment_terms_days"],
        "{problem}"
    );
    let unknown = app
        .post_as(
            "/api/v1/suppliers",
            Some(&owner.token),
            json!({ "name": "X", "currency": "EUR", "rating": 5 }),
        )
        .await;
    assert_problem(unknown, 422, "validation_failed").await;

    let res = app
        .post_as(
            "/api/v1/suppliers",
            Some(&owner.token),
            json!({ "name": "Acme Fasteners", "currency": "GBP", "phone": "+44 1", "tax_id": "GB1", "address": "Leeds" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let acme: Value = res.json().await.unwrap();
    assert_eq!(acme["payment_terms_days"], 30);
    assert_eq!(
        location,
        format!("/api/v1/suppliers/{}", acme["id"].as_str().unwrap())
    );
    supplier(&app, &owner, "Brass Works").await;

    let found = app.get_json("/api/v1/suppliers?q=acme", &owner.token).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let page = app
        .get_json("/api/v1/suppliers?limit=1", &owner.token)
        .await;
    assert_eq!(page["data"][0]["name"], "Acme Fasteners", "by name");
    let next = app
        .get_json(
            &format!(
                "/api/v1/suppliers?limit=1&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &owner.token,
        )
        .await;
    assert_eq!(next["data"][0]["name"], "Brass Works");
    assert_eq!(next["has_more"], false);

    let path = format!("/api/v1/suppliers/{}", acme["id"].as_str().unwrap());
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&owner.token)
        .header("if-match", "\"7\"")
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_mismatch").await;
    let changed: Value = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "phone": null, "payment_terms_days": 45 })),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["phone"], Value::Null);
    assert_eq!(changed["payment_terms_days"], 45);
    assert_eq!(changed["tax_id"], "GB1");
    assert_eq!(changed["version"], 2);

    let archived = app
        .call(Method::DELETE, &path, Some(&owner.token), None)
        .await;
    assert_eq!(archived.status(), 204);
    let active = app.get_json("/api/v1/suppliers", &owner.token).await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let gone = app
        .get_json("/api/v1/suppliers?active=false", &owner.token)
        .await;
    assert_eq!(gone["data"][0]["id"], acme["id"]);
    let prod = product(&app, &owner, "P-1").await;
    let refused = app
        .post_as(
            "/api/v1/purchase-orders",
            Some(&owner.token),
            json!({ "supplier_id": acme["id"], "lines": [{ "product_id": prod, "quantity": "1" }] }),
        )
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "supplier_id");
    assert_eq!(problem["errors"][0]["code"], "archived");
}

#[tokio::test]
async fn purchase_order_partial_receipts_add_up_to_received() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let bolts = product(&app, &owner, "BOLT").await;
    let nuts = product(&app, &owner, "NUT").await;
    let sup = supplier(&app, &owner, "Acme").await;
    let po = purchase_order(
        &app,
        &owner,
        &sup,
        Some(&wh),
        &[(&bolts, "10", Some("1.50")), (&nuts, "5", None)],
    )
    .await;
    assert_eq!(po["status"], "draft");
    assert_eq!(po["number"], "PO-000001");
    assert_eq!(po["currency"], "EUR", "the supplier's currency");
    assert_eq!(po["lines"][1]["unit_cost"], "2.50", "the standard cost");
    assert_eq!(po["lines"][0]["sku"], "BOLT");
    assert_eq!(po["total_amount"], "27.50");

    let early = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [{ "line_id": line_id(&po, 0), "quantity": "1" }] }),
    )
    .await;
    assert_problem(early, 409, "invalid_state").await;

    let ordered = act(&app, &owner, &po, "order").await;
    assert_eq!(ordered.status(), 200);
    let ordered: Value = ordered.json().await.unwrap();
    assert_eq!(ordered["status"], "ordered");
    assert!(ordered["ordered_at"].is_string());
    let edit = app
        .call(
            Method::PATCH,
            &format!("/api/v1/purchase-orders/{}", po["id"].as_str().unwrap()),
            Some(&owner.token),
            Some(json!({ "notes": "late change" })),
        )
        .await;
    assert_problem(edit, 409, "invalid_state").await;

    let first = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [{ "line_id": line_id(&po, 0), "quantity": "4" }], "reason": "DN-1" }),
    )
    .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["purchase_order"]["status"], "partially_received");
    assert_eq!(
        first["purchase_order"]["lines"][0]["received_quantity"],
        "4"
    );
    assert_eq!(
        first["purchase_order"]["lines"][0]["remaining_quantity"],
        "6"
    );
    let m = &first["movements"][0];
    assert_eq!(m["kind"], "receipt");
    assert_eq!(m["reference_type"], "purchase_order");
    assert_eq!(m["reference_id"], po["id"]);
    assert_eq!(m["unit_cost"], "1.50");
    assert_eq!(m["reason"], "DN-1");

    let second = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [
            { "line_id": line_id(&po, 0), "quantity": "6", "unit_cost": "1.80" },
            { "line_id": line_id(&po, 1), "quantity": "2" },
        ] }),
    )
    .await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["purchase_order"]["status"], "partially_received");
    assert_eq!(second["movements"].as_array().unwrap().len(), 2);

    let last = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [{ "line_id": line_id(&po, 1), "quantity": "3" }] }),
    )
    .await;
    assert_eq!(last.status(), 201);
    let last: Value = last.json().await.unwrap();
    assert_eq!(last["purchase_order"]["status"], "received");
    assert!(last["purchase_order"]["received_at"].is_string());

    // 4 at 1.50 then 6 at 1.80: moving average 1.68.
    let bolts_stock = on_hand(&app, &owner, &bolts).await;
    assert_eq!(bolts_stock["on_hand"], "10");
    assert_eq!(bolts_stock["warehouses"][0]["avg_cost"], "1.68");
    assert_eq!(on_hand(&app, &owner, &nuts).await["on_hand"], "5");
    assert_eq!(ledger_sum(&app, &owner, &bolts, &wh).await, 10.0);
    assert_eq!(ledger_sum(&app, &owner, &nuts, &wh).await, 5.0);
    let by_reference = app
        .get_json(
            &format!("/api/v1/inventory/movements?product_id={bolts}"),
            &owner.token,
        )
        .await;
    assert!(
        by_reference["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["reference_id"] == po["id"])
    );

    for action in ["order", "cancel"] {
        let res = act(&app, &owner, &po, action).await;
        assert_problem(res, 409, "invalid_state").await;
    }
    let more = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [{ "line_id": line_id(&po, 0), "quantity": "1" }] }),
    )
    .await;
    assert_problem(more, 409, "invalid_state").await;

    let received = app
        .get_json("/api/v1/purchase-orders?status=received", &owner.token)
        .await;
    assert_eq!(received["data"].as_array().unwrap().len(), 1);
    assert_eq!(received["data"][0]["lines"].as_array().unwrap().len(), 2);
    let drafts = app
        .get_json("/api/v1/purchase-orders?status=draft", &owner.token)
        .await;
    assert!(drafts["data"].as_array().unwrap().is_empty());
    let bad = app
        .get_as("/api/v1/purchase-orders?status=shipped", &owner.token)
        .await;
    assert_problem(bad, 422, "validation_failed").await;
    let audit = app
        .get_json("/api/v1/audit-logs?limit=200", &owner.token)
        .await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in [
        "inventory.purchase_order.created",
        "inventory.purchase_order.ordered",
        "inventory.purchase_order.received",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn receiving_more_than_ordered_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "BOLT").await;
    let sup = supplier(&app, &owner, "Acme").await;
    let po = purchase_order(&app, &owner, &sup, None, &[(&prod, "10", Some("1"))]).await;
    assert_eq!(act(&app, &owner, &po, "order").await.status(), 200);
    let line = line_id(&po, 0);

    let no_warehouse = receive_po(
        &app,
        &owner,
        &po,
        json!({ "lines": [{ "line_id": line, "quantity": "1" }] }),
    )
    .await;
    let problem = assert_problem(no_warehouse, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "warehouse_id");

    let over = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [{ "line_id": line, "quantity": "11" }] }),
    )
    .await;
    let problem = assert_problem(over, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "lines[0].quantity");
    assert_eq!(problem["errors"][0]["code"], "over_receipt");

    let ok = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [{ "line_id": line, "quantity": "7" }] }),
    )
    .await;
    assert_eq!(ok.status(), 201);
    let over = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [{ "line_id": line, "quantity": "3.0001" }] }),
    )
    .await;
    let problem = assert_problem(over, 422, "validation_failed").await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 of 10"),
        "{problem}"
    );
    let twice = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [
            { "line_id": line, "quantity": "2" }, { "line_id": line, "quantity": "2" }
        ] }),
    )
    .await;
    let problem = assert_problem(twice, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "duplicate");
    let foreign = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [{ "line_id": uuid::Uuid::now_v7(), "quantity": "1" }] }),
    )
    .await;
    assert_problem(foreign, 422, "validation_failed").await;
    let zero = receive_po(
        &app,
        &owner,
        &po,
        json!({ "warehouse_id": wh, "lines": [{ "line_id": line, "quantity": "0" }] }),
    )
    .await;
    assert_problem(zero, 422, "validation_failed").await;

    let after = app
        .get_json(
            &format!("/api/v1/purchase-orders/{}", po["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(after["status"], "partially_received");
    assert_eq!(after["lines"][0]["received_quantity"], "7");
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "7");
    assert_eq!(ledger_sum(&app, &owner, &prod, &wh).await, 7.0);
}

#[tokio::test]
async fn concurrent_receipts_of_one_order_never_exceed_it() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "BOLT").await;
    let sup = supplier(&app, &owner, "Acme").await;
    let po = purchase_order(&app, &owner, &sup, Some(&wh), &[(&prod, "10", None)]).await;
    assert_eq!(act(&app, &owner, &po, "order").await.status(), 200);
    let line = line_id(&po, 0);
    let results = join_all((0..8).map(|_| {
        receive_po(
            &app,
            &owner,
            &po,
            json!({ "lines": [{ "line_id": line, "quantity": "3" }] }),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 201, 201, 422, 422, 422, 422, 422]);
    let after = app
        .get_json(
            &format!("/api/v1/purchase-orders/{}", po["id"].as_str().unwrap()),
            &owner.token,
        )
        .await;
    assert_eq!(after["lines"][0]["received_quantity"], "9");
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "9");
    assert_eq!(ledger_sum(&app, &owner, &prod, &wh).await, 9.0);
}

#[tokio::test]
async fn drafts_change_and_cancel_while_illegal_transitions_are_409() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let a = product(&app, &owner, "A").await;
    let b = product(&app, &owner, "B").await;
    let sup = supplier(&app, &owner, "Acme").await;
    let po = purchase_order(&app, &owner, &sup, None, &[(&a, "1", None)]).await;
    let path = format!("/api/v1/purchase-orders/{}", po["id"].as_str().unwrap());
    let changed = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "lines": [{ "product_id": b, "quantity": "4", "unit_cost": "0.25" }], "expected_on": "2026-12-01" })),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["lines"].as_array().unwrap().len(), 1);
    assert_eq!(changed["lines"][0]["product_id"], b.as_str());
    assert_eq!(changed["total_amount"], "1.00");
    assert_eq!(changed["expected_on"], "2026-12-01");
    let service: Value = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "SVC", "name": "Consulting", "kind": "service" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let refused = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "lines": [{ "product_id": service["id"], "quantity": "1" }] })),
        )
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "lines[0].product_id");

    let stale = app
        .client
        .post(app.url(&format!("{path}/order")))
        .bearer_auth(&owner.token)
        .header("if-match", "\"1\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_mismatch").await;
    let cancelled = act(&app, &owner, &po, "cancel").await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    for action in ["order", "cancel"] {
        assert_problem(act(&app, &owner, &po, action).await, 409, "invalid_state").await;
    }

    let po2 = purchase_order(&app, &owner, &sup, None, &[(&a, "1", None)]).await;
    assert_eq!(po2["number"], "PO-000002");
    assert_eq!(act(&app, &owner, &po2, "order").await.status(), 200);
    assert_problem(act(&app, &owner, &po2, "order").await, 409, "invalid_state").await;
    assert_eq!(act(&app, &owner, &po2, "cancel").await.status(), 200);

    let by_supplier = app
        .get_json(
            &format!("/api/v1/purchase-orders?supplier_id={sup}&limit=1"),
            &owner.token,
        )
        .await;
    assert_eq!(by_supplier["data"][0]["id"], po2["id"], "newest first");
    assert_eq!(by_supplier["has_more"], true);
}

#[tokio::test]
async fn products_filter_low_stock_and_sort_and_stock_filters_below_reorder_point() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let mut ids = Vec::new();
    for (sku, name, point) in [
        ("C-3", "alpha", "5"),
        ("A-1", "charlie", "5"),
        ("B-2", "bravo", "0"),
    ] {
        let res = app
            .post_as(
                "/api/v1/products",
                Some(&owner.token),
                json!({ "sku": sku, "name": name, "reorder_point": point, "reorder_quantity": "10" }),
            )
            .await;
        ids.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // C-3: 2 available (low); A-1: 8 available (fine); B-2: no reorder point.
    crate::inventory::receive(&app, &owner, &wh, &ids[0], "2", "1").await;
    crate::inventory::receive(&app, &owner, &wh, &ids[1], "8", "1").await;

    let skus = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sku"].as_str().unwrap().to_string())
            .collect()
    };
    let low = app
        .get_json("/api/v1/products?low_stock=true", &owner.token)
        .await;
    assert_eq!(skus(&low), ["C-3"]);
    let fine = app
        .get_json("/api/v1/products?low_stock=false&sort=sku", &owner.token)
        .await;
    assert_eq!(skus(&fine), ["A-1", "B-2"]);
    let by_sku = app
        .get_json("/api/v1/products?sort=sku", &owner.token)
        .await;
    assert_eq!(skus(&by_sku), ["A-1", "B-2", "C-3"]);
    let by_name_desc = app
        .get_json("/api/v1/products?sort=-name", &owner.token)
        .await;
    assert_eq!(skus(&by_name_desc), ["A-1", "B-2", "C-3"]);
    let newest = app
        .get_json("/api/v1/products?sort=-created_at", &owner.token)
        .await;
    assert_eq!(skus(&newest), ["B-2", "A-1", "C-3"]);

    // Keyset pages in each order visit every product once.
    for sort in ["sku", "-sku", "name", "-name", "created_at", "-created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/products?sort={sort}&limit=1");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get_json(&path, &owner.token).await;
            seen.extend(skus(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let all = app
            .get_json(&format!("/api/v1/products?sort={sort}"), &owner.token)
            .await;
        assert_eq!(seen, skus(&all), "sort {sort}");
        assert_eq!(seen.len(), 3);
    }
    let bad = app
        .get_as("/api/v1/products?sort=price", &owner.token)
        .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "sort");
    let wrong_cursor = app
        .get_as(
            &format!(
                "/api/v1/products?sort=sku&cursor={}",
                by_sku["data"][0]["id"].as_str().unwrap()
            ),
            &owner.token,
        )
        .await;
    assert_problem(wrong_cursor, 400, "invalid_cursor").await;

    let below = app
        .get_json(
            "/api/v1/inventory/stock?below_reorder_point=true",
            &owner.token,
        )
        .await;
    let rows = below["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["product_id"], ids[0].as_str());
    let above = app
        .get_json(
            "/api/v1/inventory/stock?below_reorder_point=false",
            &owner.token,
        )
        .await;
    assert_eq!(above["data"][0]["product_id"], ids[1].as_str());
    assert_eq!(above["data"].as_array().unwrap().len(), 1);
}
