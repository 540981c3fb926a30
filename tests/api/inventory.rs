//! Inventory through HTTP: catalogue, and a stock ledger that cannot lie.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

pub(crate) async fn warehouse(app: &TestApp, owner: &Member, code: &str) -> String {
    let res = app
        .post_as(
            "/api/v1/warehouses",
            Some(&owner.token),
            json!({ "code": code, "name": format!("Warehouse {code}") }),
        )
        .await;
    assert_eq!(res.status(), 201, "warehouse");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn product(app: &TestApp, owner: &Member, sku: &str) -> String {
    let res = app
        .post_as("/api/v1/products", Some(&owner.token), json!({ "sku": sku, "name": format!("Product {sku}"), "standard_cost": "2.50", "sale_price": "4.00" }))
        .await;
    assert_eq!(res.status(), 201, "product");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn receive(
    app: &TestApp,
    owner: &Member,
    wh: &str,
    prod: &str,
    qty: &str,
    cost: &str,
) -> reqwest::Response {
    app.post_as(
        "/api/v1/inventory/receipts",
        Some(&owner.token),
        json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": qty, "unit_cost": cost }], "reason": "test" }),
    )
    .await
}

pub(crate) async fn on_hand(app: &TestApp, owner: &Member, prod: &str) -> Value {
    app.get_json(&format!("/api/v1/products/{prod}/inventory"), &owner.token)
        .await
}

/// Sum of the signed movement quantities of a product in a warehouse.
pub(crate) async fn ledger_sum(app: &TestApp, owner: &Member, prod: &str, wh: &str) -> f64 {
    let mut total = 0.0;
    let mut cursor: Option<String> = None;
    loop {
        let mut path =
            format!("/api/v1/inventory/movements?product_id={prod}&warehouse_id={wh}&limit=200");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_json(&path, &owner.token).await;
        for m in page["data"].as_array().unwrap() {
            total += m["quantity"].as_str().unwrap().parse::<f64>().unwrap();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return total,
        }
    }
}

#[tokio::test]
async fn products_have_unique_skus_filters_and_archiving() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let id = product(&app, &owner, "BOLT-M8").await;
    let dup = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "BOLT-M8", "name": "Again" }),
        )
        .await;
    assert_problem(dup, 409, "sku_taken").await;
    let bad = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "X", "name": "X", "sale_price": 1.5 }),
        )
        .await;
    let body = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "sale_price");
    product(&app, &owner, "NUT-M8").await;
    let found = app.get_json("/api/v1/products?q=bolt", &owner.token).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["sale_price"], "4.00");
    let res = app
        .get_as(&format!("/api/v1/products/{id}"), &owner.token)
        .await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/products/{id}"),
            Some(&owner.token),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.get_json("/api/v1/products", &owner.token).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get_json("/api/v1/products?active=false", &owner.token)
            .await["data"][0]["id"],
        id.as_str()
    );
    let dup_wh = app
        .post_as(
            "/api/v1/warehouses",
            Some(&owner.token),
            json!({ "code": "A", "name": "A" }),
        )
        .await;
    assert_eq!(dup_wh.status(), 201);
    assert_eq!(
        dup_wh.json::<Value>().await.unwrap()["is_default"],
        true,
        "the first warehouse is the default"
    );
    let again = app
        .post_as(
            "/api/v1/warehouses",
            Some(&owner.token),
            json!({ "code": "A", "name": "A2" }),
        )
        .await;
    assert_problem(again, 409, "warehouse_code_taken").await;
}

#[tokio::test]
async fn receipts_keep_a_moving_average_cost_and_issues_cannot_overdraw() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "SKU-1").await;
    assert_eq!(
        receive(&app, &owner, &wh, &prod, "10", "2.00")
            .await
            .status(),
        201
    );
    let res = receive(&app, &owner, &wh, &prod, "30", "3.00").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["levels"][0]["on_hand"], "40");
    assert_eq!(body["levels"][0]["avg_cost"], "2.75");

    let over = app
        .post_as(
            "/api/v1/inventory/issues",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "41" }] }),
        )
        .await;
    let problem = assert_problem(over, 409, "insufficient_stock").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("SKU-1") && detail.contains("MAIN") && detail.contains("40 available"),
        "{detail}"
    );
    let zero = app
        .post_as(
            "/api/v1/inventory/issues",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "0" }] }),
        )
        .await;
    assert_problem(zero, 422, "validation_failed").await;

    let counted = app
        .post_as("/api/v1/inventory/adjust", Some(&owner.token), json!({ "warehouse_id": wh, "product_id": prod, "counted_quantity": "37", "reason": "cycle count" }))
        .await;
    assert_eq!(counted.status(), 201);
    let counted: Value = counted.json().await.unwrap();
    assert_eq!(counted["movements"][0]["quantity"], "-3");
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "37");
    assert_eq!(ledger_sum(&app, &owner, &prod, &wh).await, 37.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_issues_against_ten_on_hand_sell_exactly_ten() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "HOT").await;
    assert_eq!(
        receive(&app, &owner, &wh, &prod, "10", "1.00")
            .await
            .status(),
        201
    );
    let body = json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "1" }] });
    let results = join_all(
        (0..50).map(|_| app.post_as("/api/v1/inventory/issues", Some(&owner.token), body.clone())),
    )
    .await;
    let mut ok = 0;
    let mut refused = 0;
    for res in results {
        match res.status().as_u16() {
            201 => ok += 1,
            409 => {
                assert_eq!(
                    res.json::<Value>().await.unwrap()["code"],
                    "insufficient_stock"
                );
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "0");
    assert_eq!(ledger_sum(&app, &owner, &prod, &wh).await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opposite_transfers_conserve_stock_without_errors() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (a, b) = (
        warehouse(&app, &owner, "A").await,
        warehouse(&app, &owner, "B").await,
    );
    let prod = product(&app, &owner, "T").await;
    receive(&app, &owner, &a, &prod, "100", "1.00").await;
    receive(&app, &owner, &b, &prod, "100", "1.00").await;
    let t = |from: &str, to: &str| json!({ "from_warehouse_id": from, "to_warehouse_id": to, "lines": [{ "product_id": prod, "quantity": "1" }] });
    let requests = (0..40).map(|i| {
        let body = if i % 2 == 0 { t(&a, &b) } else { t(&b, &a) };
        app.post_as("/api/v1/inventory/transfers", Some(&owner.token), body)
    });
    for res in join_all(requests).await {
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let inv = on_hand(&app, &owner, &prod).await;
    assert_eq!(inv["on_hand"], "200", "totals conserved");
    assert_eq!(
        ledger_sum(&app, &owner, &prod, &a).await + ledger_sum(&app, &owner, &prod, &b).await,
        200.0
    );
    let same = app
        .post_as("/api/v1/inventory/transfers", Some(&owner.token), t(&a, &a))
        .await;
    assert_problem(same, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_same_idempotency_key_on_a_receipt_makes_one_movement() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "IDEM").await;
    let body = json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "5", "unit_cost": "1.00" }] });
    let send = || {
        app.client
            .post(app.url("/api/v1/inventory/receipts"))
            .bearer_auth(&owner.token)
            .header("Idempotency-Key", "receipt-42")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "5");
    let movements = app
        .get_json(
            &format!("/api/v1/inventory/movements?product_id={prod}"),
            &owner.token,
        )
        .await;
    assert_eq!(movements["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_member_moves_stock_but_only_managers_adjust_it() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "M").await;
    let receipt = json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "2" }] });
    assert_eq!(
        app.post_as("/api/v1/inventory/receipts", Some(&member.token), receipt)
            .await
            .status(),
        201
    );
    let adjust = json!({ "warehouse_id": wh, "product_id": prod, "quantity_delta": "1", "reason": "found one" });
    assert_problem(
        app.post_as("/api/v1/inventory/adjust", Some(&member.token), adjust)
            .await,
        403,
        "permission_denied",
    )
    .await;
    // A receipt at the product's standard cost when none is given.
    let levels = app
        .get_json(
            &format!("/api/v1/inventory/stock?product_id={prod}"),
            &owner.token,
        )
        .await;
    assert_eq!(levels["data"][0]["avg_cost"], "2.50");
}

#[tokio::test]
async fn other_modules_move_stock_inside_their_own_transaction() {
    use mainstay::{
        modules::inventory::api::{self, Origin},
        platform::{
            db::begin_write,
            money::{Amount, Quantity},
        },
    };
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh: uuid::Uuid = warehouse(&app, &owner, "MAIN").await.parse().unwrap();
    let prod: uuid::Uuid = product(&app, &owner, "API").await.parse().unwrap();
    let origin = Origin {
        organization_id: owner.org_id,
        actor: Some(owner.user_id),
        document_type: "sales_order",
        document_id: "SO-000001",
    };
    let q = |s: &str| s.parse::<Quantity>().unwrap();

    let tx = begin_write(&app.state.db).await.unwrap();
    api::receive(
        &tx,
        &origin,
        prod,
        wh,
        q("5"),
        "1.20".parse::<Amount>().unwrap(),
    )
    .await
    .unwrap();
    api::issue(&tx, &origin, prod, wh, q("2")).await.unwrap();
    let err = api::issue(&tx, &origin, prod, wh, q("4"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "insufficient_stock");
    tx.commit().await.unwrap();
    assert_eq!(
        on_hand(&app, &owner, &prod.to_string()).await["on_hand"],
        "3"
    );
    let movements = app
        .get_json(
            &format!("/api/v1/inventory/movements?product_id={prod}"),
            &owner.token,
        )
        .await;
    assert_eq!(movements["data"][0]["reference_id"], "SO-000001");

    // The caller's rollback takes the stock movement with it.
    let tx = begin_write(&app.state.db).await.unwrap();
    api::issue(&tx, &origin, prod, wh, q("3")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        on_hand(&app, &owner, &prod.to_string()).await["on_hand"],
        "3"
    );
    assert_eq!(
        ledger_sum(&app, &owner, &prod.to_string(), &wh.to_string()).await,
        3.0
    );
}

#[tokio::test]
async fn low_stock_and_valuation_report_exact_figures() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (a, b) = (
        warehouse(&app, &owner, "A").await,
        warehouse(&app, &owner, "B").await,
    );
    let low = product(&app, &owner, "LOW").await;
    let fine = product(&app, &owner, "FINE").await;
    for (id, point, qty) in [(&low, "10", "25"), (&fine, "3", "5")] {
        let res = app
            .call(
                Method::PATCH,
                &format!("/api/v1/products/{id}"),
                Some(&owner.token),
                Some(json!({ "reorder_point": point, "reorder_quantity": qty })),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    receive(&app, &owner, &a, &low, "4", "0.3333").await;
    receive(&app, &owner, &b, &low, "4", "0.3333").await;
    receive(&app, &owner, &a, &fine, "7", "1.10").await;
    let report: Value = app
        .get_json("/api/v1/inventory/low-stock", &owner.token)
        .await;
    let rows = report.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["sku"], "LOW");
    assert_eq!(rows[0]["available"], "8");
    assert_eq!(rows[0]["suggested_quantity"], "25");

    let v = app
        .get_json("/api/v1/inventory/valuation", &owner.token)
        .await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    // 4 x 0.3333 = 1.3332 twice, plus 7 x 1.10 = 7.7: exact, no float drift.
    assert_eq!(v["total_value"], "10.3664");
    assert_eq!(v["total_on_hand"], "15");
    let only_b = app
        .get_json(
            &format!("/api/v1/inventory/valuation?warehouse_id={b}"),
            &owner.token,
        )
        .await;
    assert_eq!(only_b["total_value"], "1.3332");
}

#[tokio::test]
async fn reservations_hold_stock_back_until_released_or_issued() {
    use mainstay::{
        modules::inventory::api::{self, Origin},
        platform::{db::begin_write, money::Quantity},
    };
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "RES").await;
    receive(&app, &owner, &wh, &prod, "5", "1.00").await;
    let (p, w): (uuid::Uuid, uuid::Uuid) = (prod.parse().unwrap(), wh.parse().unwrap());
    let origin = Origin {
        organization_id: owner.org_id,
        actor: None,
        document_type: "sales_order",
        document_id: "SO-7",
    };
    let q = |s: &str| s.parse::<Quantity>().unwrap();

    let tx = begin_write(&app.state.db).await.unwrap();
    api::reserve(&tx, &origin, p, w, q("3")).await.unwrap();
    assert_eq!(
        api::reserve(&tx, &origin, p, w, q("3"))
            .await
            .unwrap_err()
            .code(),
        "insufficient_stock"
    );
    tx.commit().await.unwrap();
    let inv = on_hand(&app, &owner, &prod).await;
    assert_eq!(
        (
            inv["on_hand"].as_str(),
            inv["reserved"].as_str(),
            inv["available"].as_str()
        ),
        (Some("5"), Some("3"), Some("2"))
    );

    // Reserved stock cannot be issued to someone else...
    let issue = json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "3" }] });
    assert_problem(
        app.post_as("/api/v1/inventory/issues", Some(&owner.token), issue)
            .await,
        409,
        "insufficient_stock",
    )
    .await;
    // ...nor counted away below what is promised.
    let count = json!({ "warehouse_id": wh, "product_id": prod, "counted_quantity": "2", "reason": "count" });
    assert_problem(
        app.post_as("/api/v1/inventory/adjust", Some(&owner.token), count)
            .await,
        409,
        "insufficient_stock",
    )
    .await;

    let tx = begin_write(&app.state.db).await.unwrap();
    api::issue_reserved(&tx, &origin, p, w, q("2"))
        .await
        .unwrap();
    api::release(&tx, &origin, p, w, q("1")).await.unwrap();
    assert_eq!(
        api::release(&tx, &origin, p, w, q("1"))
            .await
            .unwrap_err()
            .code(),
        "reservation_exceeded"
    );
    tx.commit().await.unwrap();
    let inv = on_hand(&app, &owner, &prod).await;
    assert_eq!(
        (inv["on_hand"].as_str(), inv["reserved"].as_str()),
        (Some("3"), Some("0"))
    );
    assert_eq!(ledger_sum(&app, &owner, &prod, &wh).await, 3.0);
}

#[tokio::test]
async fn categories_form_a_tree_and_filter_products_with_their_descendants() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let cat = |body: Value| app.post_as("/api/v1/categories", Some(&owner.token), body);
    let root: Value = cat(json!({ "name": "Hardware" }))
        .await
        .json()
        .await
        .unwrap();
    let root_id = root["id"].as_str().unwrap().to_string();
    let child: Value = cat(json!({ "name": "Bolts", "parent_id": root_id }))
        .await
        .json()
        .await
        .unwrap();
    let child_id = child["id"].as_str().unwrap().to_string();
    assert_problem(
        cat(json!({ "name": "Hardware" })).await,
        409,
        "category_name_taken",
    )
    .await;
    let cycle = app
        .call(
            Method::PATCH,
            &format!("/api/v1/categories/{root_id}"),
            Some(&owner.token),
            Some(json!({ "parent_id": child_id })),
        )
        .await;
    let body = assert_problem(cycle, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "cycle");

    let in_child = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "B1", "name": "Bolt", "category_id": child_id }),
        )
        .await;
    assert_eq!(in_child.status(), 201);
    product(&app, &owner, "OTHER").await;
    let under_root = app
        .get_json(
            &format!("/api/v1/products?category={root_id}"),
            &owner.token,
        )
        .await;
    assert_eq!(
        under_root["data"].as_array().unwrap().len(),
        1,
        "descendants included"
    );
    assert_eq!(under_root["data"][0]["sku"], "B1");
    let foreign = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "B2", "name": "B", "category_id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_problem(foreign, 422, "validation_failed").await;
    let in_use = app
        .call(
            Method::DELETE,
            &format!("/api/v1/categories/{child_id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_problem(in_use, 409, "category_in_use").await;
}

mod model {
    //! Random sequences of stock operations against an in-memory model.

    use proptest::{prelude::*, test_runner::TestRunner};
    use serde_json::{Value, json};

    use crate::helpers::{Member, TestApp, spawn_app};

    #[derive(Debug, Clone)]
    enum Op {
        Receipt {
            p: usize,
            w: usize,
            q: i64,
        },
        Issue {
            p: usize,
            w: usize,
            q: i64,
        },
        /// One issue with a line of each product: both or neither.
        IssueBoth {
            w: usize,
            q: [i64; 2],
        },
        Adjust {
            p: usize,
            w: usize,
            delta: i64,
        },
        Transfer {
            p: usize,
            from: usize,
            q: i64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2usize, 0..2usize, 1..20i64).prop_map(|(p, w, q)| Op::Receipt { p, w, q }),
            (0..2usize, 0..2usize, 1..20i64).prop_map(|(p, w, q)| Op::Issue { p, w, q }),
            (0..2usize, 1..20i64, 1..20i64).prop_map(|(w, a, b)| Op::IssueBoth { w, q: [a, b] }),
            (0..2usize, 0..2usize, -10..10i64).prop_map(|(p, w, delta)| Op::Adjust { p, w, delta }),
            (0..2usize, 0..2usize, 1..20i64).prop_map(|(p, from, q)| Op::Transfer { p, from, q }),
        ]
    }

    async fn run(app: &TestApp, owner: &Member, whs: &[String; 2], case: usize, ops: &[Op]) {
        let mut products = Vec::new();
        for i in 0..2 {
            let res = app
                .post_as("/api/v1/products", Some(&owner.token), json!({ "sku": format!("P{case}-{i}-{}", uuid::Uuid::now_v7().simple()), "name": "p" }))
                .await;
            products.push(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let mut model = [[0i64; 2]; 2];
        for op in ops {
            let (path, body, ok) = match *op {
                Op::Receipt { p, w, q } => {
                    model[p][w] += q;
                    (
                        "receipts",
                        json!({ "warehouse_id": whs[w], "lines": [{ "product_id": products[p], "quantity": q.to_string(), "unit_cost": "1" }] }),
                        true,
                    )
                }
                Op::Issue { p, w, q } => {
                    let ok = model[p][w] >= q;
                    if ok {
                        model[p][w] -= q;
                    }
                    (
                        "issues",
                        json!({ "warehouse_id": whs[w], "lines": [{ "product_id": products[p], "quantity": q.to_string() }] }),
                        ok,
                    )
                }
                Op::IssueBoth { w, q } => {
                    let ok = (0..2).all(|p| model[p][w] >= q[p]);
                    if ok {
                        (0..2).for_each(|p| model[p][w] -= q[p]);
                    }
                    (
                        "issues",
                        json!({ "warehouse_id": whs[w], "lines": [
                            { "product_id": products[0], "quantity": q[0].to_string() },
                            { "product_id": products[1], "quantity": q[1].to_string() },
                        ] }),
                        ok,
                    )
                }
                Op::Adjust { p, w, delta } => {
                    let ok = model[p][w] + delta >= 0;
                    if ok {
                        model[p][w] += delta;
                    }
                    (
                        "adjust",
                        json!({ "warehouse_id": whs[w], "product_id": products[p], "quantity_delta": delta.to_string(), "reason": "prop" }),
                        ok,
                    )
                }
                Op::Transfer { p, from, q } => {
                    let to = 1 - from;
                    let ok = model[p][from] >= q;
                    if ok {
                        model[p][from] -= q;
                        model[p][to] += q;
                    }
                    (
                        "transfers",
                        json!({ "from_warehouse_id": whs[from], "to_warehouse_id": whs[to], "lines": [{ "product_id": products[p], "quantity": q.to_string() }] }),
                        ok,
                    )
                }
            };
            let res = app
                .post_as(
                    &format!("/api/v1/inventory/{path}"),
                    Some(&owner.token),
                    body,
                )
                .await;
            let expected = if ok { 201 } else { 409 };
            assert_eq!(
                res.status().as_u16(),
                expected,
                "{op:?} with model {model:?}: {}",
                res.text().await.unwrap()
            );
        }
        for (p, id) in products.iter().enumerate() {
            let inv = app
                .get_json(&format!("/api/v1/products/{id}/inventory"), &owner.token)
                .await;
            for (w, wh) in whs.iter().enumerate() {
                let level = inv["warehouses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["warehouse_id"] == wh.as_str())
                    .map_or(0, |l| {
                        l["on_hand"].as_str().unwrap().parse::<i64>().unwrap()
                    });
                assert_eq!(
                    level, model[p][w],
                    "level of product {p} in warehouse {w} after {ops:?}"
                );
                let sum = super::ledger_sum(app, owner, id, wh).await;
                assert_eq!(
                    sum, model[p][w] as f64,
                    "ledger of product {p} in warehouse {w}"
                );
            }
        }
    }

    #[test]
    fn random_stock_operations_match_an_in_memory_model() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (app, owner, whs) = rt.block_on(async {
            let app = spawn_app().await;
            let owner = app.onboard().await;
            // Enterprise: no product or request limit gets in the model's way.
            let path = format!("/api/v1/organizations/{}/subscription", owner.org_id);
            assert_eq!(
                app.post_as(&path, Some(&owner.token), json!({ "plan": "enterprise" }))
                    .await
                    .status(),
                200
            );
            let a = super::warehouse(&app, &owner, "A").await;
            let b = super::warehouse(&app, &owner, "B").await;
            (app, owner, [a, b])
        });
        let mut runner = TestRunner::new(ProptestConfig {
            cases: 24,
            max_shrink_iters: 64,
            ..ProptestConfig::default()
        });
        let case = std::sync::atomic::AtomicUsize::new(0);
        runner
            .run(&prop::collection::vec(op(), 1..25), |ops| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                rt.block_on(run(&app, &owner, &whs, n, &ops));
                Ok(())
            })
            .unwrap();
    }
}

#[tokio::test]
async fn product_lists_are_never_stale_after_a_product_or_category_change() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let skus = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}:{}",
                    p["sku"].as_str().unwrap(),
                    p["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let list = || app.get_json("/api/v1/products?sort=sku", &owner.token);
    let first = product(&app, &owner, "A").await;
    let before = list().await;
    assert_eq!(skus(&before), ["A:Product A"]);
    assert_eq!(list().await, before, "a repeated read answers the same");

    product(&app, &owner, "B").await;
    assert_eq!(
        skus(&list().await),
        ["A:Product A", "B:Product B"],
        "created"
    );
    let renamed = app
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{first}"),
            Some(&owner.token),
            Some(json!({ "name": "Renamed" })),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(skus(&list().await), ["A:Renamed", "B:Product B"], "changed");
    let archived = app
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{first}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(archived.status(), 204);
    assert_eq!(skus(&list().await), ["B:Product B"], "archived");

    // A category filter covers descendants: moving a category changes lists.
    let cat = |name: &str| {
        app.post_as(
            "/api/v1/categories",
            Some(&owner.token),
            json!({ "name": name }),
        )
    };
    let tools: Value = cat("Tools").await.json().await.unwrap();
    let saws: Value = cat("Saws").await.json().await.unwrap();
    app.post_as(
        "/api/v1/products",
        Some(&owner.token),
        json!({ "sku": "SAW", "name": "Saw", "category_id": saws["id"] }),
    )
    .await;
    let in_tools = format!(
        "/api/v1/products?category={}",
        tools["id"].as_str().unwrap()
    );
    assert!(
        app.get_json(&in_tools, &owner.token).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let moved = app
        .call(
            Method::PATCH,
            &format!("/api/v1/categories/{}", saws["id"].as_str().unwrap()),
            Some(&owner.token),
            Some(json!({ "parent_id": tools["id"] })),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let now_in_tools = app.get_json(&in_tools, &owner.token).await;
    assert_eq!(skus(&now_in_tools), ["SAW:Saw"], "category moved");
}

#[tokio::test]
async fn issues_from_archived_or_foreign_warehouses_and_of_services_are_422() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    warehouse(&app, &owner, "MAIN").await;
    let spare = warehouse(&app, &owner, "SPARE").await;
    let prod = product(&app, &owner, "BOLT").await;
    assert_eq!(
        receive(&app, &owner, &spare, &prod, "5", "1")
            .await
            .status(),
        201
    );
    let issue = |wh: String, prod: String| {
        app.post_as(
            "/api/v1/inventory/issues",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": "1" }] }),
        )
    };
    let archived = app
        .call(
            Method::DELETE,
            &format!("/api/v1/warehouses/{spare}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(archived.status(), 204);
    let problem = assert_problem(
        issue(spare.clone(), prod.clone()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "warehouse_id");
    assert_eq!(problem["errors"][0]["code"], "archived");
    assert_eq!(on_hand(&app, &owner, &prod).await["on_hand"], "5");

    let other = app.onboard().await;
    let foreign = warehouse(&app, &other, "THEIRS").await;
    let problem =
        assert_problem(issue(foreign, prod.clone()).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "not_found");

    let main: Value = app.get_json("/api/v1/warehouses", &owner.token).await;
    let main = main["data"][0]["id"].as_str().unwrap().to_string();
    let service: Value = app
        .post_as(
            "/api/v1/products",
            Some(&owner.token),
            json!({ "sku": "SVC", "name": "Fitting", "kind": "service" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let problem = assert_problem(
        issue(main.clone(), service["id"].as_str().unwrap().to_string()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "lines[0].product_id");
    assert_eq!(problem["errors"][0]["code"], "not_stocked");
    let none = issue(main, prod).await;
    assert_problem(none, 409, "insufficient_stock").await;
}

#[tokio::test]
async fn an_issue_of_several_lines_takes_every_line_or_none() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let a = product(&app, &owner, "A-1").await;
    let b = product(&app, &owner, "B-1").await;
    assert_eq!(
        receive(&app, &owner, &wh, &a, "10", "2").await.status(),
        201
    );
    assert_eq!(receive(&app, &owner, &wh, &b, "5", "3").await.status(), 201);
    let issue = |lines: Value| {
        app.post_as(
            "/api/v1/inventory/issues",
            Some(&owner.token),
            json!({ "warehouse_id": wh, "lines": lines, "reason": "order 7" }),
        )
    };
    let issued_records = || async {
        app.get_json(
            "/api/v1/audit-logs?action=inventory.stock.issued",
            &owner.token,
        )
        .await["data"]
            .as_array()
            .unwrap()
            .clone()
    };

    // Two lines of one product and one of another: three movements, two levels.
    let res = issue(json!([
        { "product_id": a, "quantity": "3" },
        { "product_id": b, "quantity": "2" },
        { "product_id": a, "quantity": "4" },
    ]))
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let movements = body["movements"].as_array().unwrap();
    let mut seen: Vec<(String, String, String)> = movements
        .iter()
        .map(|m| {
            assert_eq!(m["kind"], "issue");
            assert_eq!(m["reason"], "order 7");
            assert!(m["reference_type"].is_null() && m["reference_id"].is_null());
            (
                m["product_id"].as_str().unwrap().to_string(),
                m["quantity"].as_str().unwrap().to_string(),
                m["unit_cost"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (a.clone(), "-3".to_string(), "2.00".to_string()),
        (a.clone(), "-4".to_string(), "2.00".to_string()),
        (b.clone(), "-2".to_string(), "3.00".to_string()),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    let levels: Vec<(&str, &str)> = body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product_id"].as_str().unwrap(),
                l["on_hand"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(levels.len(), 2);
    assert!(levels.contains(&(a.as_str(), "3")) && levels.contains(&(b.as_str(), "3")));
    // The movements are in the ledger and the audit trail names them.
    let listed = app
        .get_json(
            &format!("/api/v1/inventory/movements?product_id={a}&kind=issue"),
            &owner.token,
        )
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let records = issued_records().await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["actor_id"], owner.user_id.to_string());
    assert_eq!(
        records[0]["changes"]["movements"].as_array().unwrap().len(),
        3
    );
    assert!(records[0]["request_id"].is_string());

    // B is short: A is not touched either, and nothing is written.
    let short = issue(json!([
        { "product_id": a, "quantity": "1" },
        { "product_id": b, "quantity": "4" },
    ]))
    .await;
    let problem = assert_problem(short, 409, "insufficient_stock").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("B-1") && detail.contains("3 available"),
        "{detail}"
    );
    // Two lines of A that each fit but together do not.
    let together = issue(json!([
        { "product_id": a, "quantity": "2" },
        { "product_id": a, "quantity": "2" },
    ]))
    .await;
    assert_problem(together, 409, "insufficient_stock").await;
    // A line that is not a product of the organization is 422 on that line.
    let stranger = issue(json!([
        { "product_id": a, "quantity": "1" },
        { "product_id": uuid::Uuid::now_v7(), "quantity": "1" },
    ]))
    .await;
    let problem = assert_problem(stranger, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "lines[1].product_id");
    for (prod, left) in [(&a, 3.0), (&b, 3.0)] {
        assert_eq!(
            on_hand(&app, &owner, prod).await["on_hand"].as_str(),
            Some(left.to_string().as_str())
        );
        assert_eq!(ledger_sum(&app, &owner, prod, &wh).await, left);
    }
    assert_eq!(issued_records().await.len(), 1);
}
