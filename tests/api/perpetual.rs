//! Perpetual inventory: every stock movement posts its exact value to the
//! ledger in the same transaction, so the stock valuation equals the
//! inventory account at every instant, even under concurrent load.

use std::time::{Duration, Instant};

use chrono::Datelike;
use serde_json::{Value, json};

use crate::{
    helpers::{Member, TestApp, assert_problem, spawn_app},
    inventory::{product, receive, warehouse},
};

/// The valuation and the inventory account, read in one snapshot.
async fn books(app: &TestApp, owner: &Member) -> (String, String) {
    let v = app
        .get_json("/api/v1/inventory/valuation", &owner.token)
        .await;
    (
        v["total_value"].as_str().unwrap().to_string(),
        v["ledger_balance"].as_str().unwrap().to_string(),
    )
}

async fn assert_books_agree(app: &TestApp, owner: &Member, step: &str) -> String {
    let (value, ledger) = books(app, owner).await;
    assert_eq!(
        value, ledger,
        "after {step}: valuation vs inventory account"
    );
    value
}

async fn post_ok(app: &TestApp, owner: &Member, path: &str, body: Value) -> Value {
    let res = app.post_as(path, Some(&owner.token), body).await;
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_stock_operation_posts_its_value_and_valuation_equals_the_inventory_account() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let main = warehouse(&app, &owner, "MAIN").await;
    let north = warehouse(&app, &owner, "NORTH").await;
    let bolt = product(&app, &owner, "BOLT").await;

    // Costs and quantities that round: a third of a cent, fractional units.
    assert_eq!(
        receive(&app, &owner, &main, &bolt, "3", "0.3333")
            .await
            .status(),
        201
    );
    assert_eq!(assert_books_agree(&app, &owner, "receipt").await, "0.9999");
    assert_eq!(
        receive(&app, &owner, &main, &bolt, "7.5", "1.2345")
            .await
            .status(),
        201
    );
    assert_books_agree(&app, &owner, "second receipt").await;
    let issue = |qty: &str| json!({ "warehouse_id": main, "lines": [{ "product_id": bolt, "quantity": qty }] });
    post_ok(&app, &owner, "/api/v1/inventory/issues", issue("1.5")).await;
    assert_books_agree(&app, &owner, "issue").await;
    post_ok(&app, &owner, "/api/v1/inventory/issues", issue("2.25")).await;
    post_ok(&app, &owner, "/api/v1/inventory/adjust", json!({ "warehouse_id": main, "product_id": bolt, "quantity_delta": "-0.5", "reason": "damaged" })).await;
    assert_books_agree(&app, &owner, "negative adjustment").await;
    post_ok(&app, &owner, "/api/v1/inventory/adjust", json!({ "warehouse_id": main, "product_id": bolt, "counted_quantity": "7", "reason": "count" })).await;
    assert_books_agree(&app, &owner, "count").await;
    post_ok(&app, &owner, "/api/v1/inventory/transfers", json!({ "from_warehouse_id": main, "to_warehouse_id": north, "lines": [{ "product_id": bolt, "quantity": "2.3333" }] })).await;
    let before_emptying = assert_books_agree(&app, &owner, "transfer").await;
    assert_ne!(before_emptying, "0.00");
    // Emptying both warehouses leaves exactly nothing in the account.
    post_ok(
        &app,
        &owner,
        "/api/v1/inventory/issues",
        json!({ "warehouse_id": north, "lines": [{ "product_id": bolt, "quantity": "2.3333" }] }),
    )
    .await;
    post_ok(&app, &owner, "/api/v1/inventory/issues", issue("4.6667")).await;
    assert_eq!(assert_books_agree(&app, &owner, "emptying").await, "0.00");

    // Each operation posted once, from its source document; a transfer posts nothing.
    let journal = app
        .get_json("/api/v1/accounting/journal?limit=200", &owner.token)
        .await;
    let sources: Vec<&str> = journal["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source_type"].as_str().unwrap())
        .collect();
    let count = |s: &str| sources.iter().filter(|x| **x == s).count();
    assert_eq!(
        (
            count("stock_receipt"),
            count("stock_issue"),
            count("stock_adjustment")
        ),
        (2, 4, 2)
    );
    // Receipts were credited to goods received not invoiced, in full.
    let tb = app
        .get_json("/api/v1/accounting/reports/trial-balance", &owner.token)
        .await;
    let grni = tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "2050")
        .unwrap();
    assert_eq!(grni["credit"], "10.2587"); // 0.9999 + 7.5 x 1.2345 (9.25875, rounded half up)
    assert_eq!(tb["total_debit"], tb["total_credit"]);
}

#[tokio::test]
async fn stock_cannot_move_on_a_date_in_a_closed_period() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let wh = warehouse(&app, &owner, "MAIN").await;
    let prod = product(&app, &owner, "P1").await;
    let today = chrono::Utc::now().date_naive();
    let start = today.with_day0(0).unwrap();
    let year = post_ok(
        &app,
        &owner,
        "/api/v1/accounting/fiscal-years",
        json!({ "start_date": start }),
    )
    .await;
    let period = year["periods"][0]["id"].as_str().unwrap().to_string();
    post_ok(
        &app,
        &owner,
        &format!("/api/v1/accounting/periods/{period}/close"),
        json!({}),
    )
    .await;

    let res = receive(&app, &owner, &wh, &prod, "5", "1.00").await;
    assert_problem(res, 409, "period_closed").await;
    let stock = app
        .get_json(&format!("/api/v1/products/{prod}/inventory"), &owner.token)
        .await;
    assert_eq!(stock["on_hand"], "0", "the refused receipt moved no stock");

    post_ok(
        &app,
        &owner,
        &format!("/api/v1/accounting/periods/{period}/reopen"),
        json!({}),
    )
    .await;
    assert_eq!(
        receive(&app, &owner, &wh, &prod, "5", "1.00")
            .await
            .status(),
        201
    );
    assert_books_agree(&app, &owner, "receipt after reopening").await;
}

#[tokio::test]
async fn other_modules_post_inside_their_own_transaction_once_per_source() {
    use mainstay::{
        modules::accounting::api::{self, AccountRef, DraftLine, EntryDraft, Role},
        platform::{db::begin_write, money::Amount},
    };
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let draft = |id: &str| EntryDraft {
        organization_id: owner.org_id,
        actor: None,
        date: chrono::Utc::now().date_naive(),
        memo: "Invoice".into(),
        source_type: "invoice",
        source_id: id.into(),
        lines: vec![
            DraftLine {
                account: AccountRef::Role(Role::Receivable),
                amount: "12.50".parse::<Amount>().unwrap(),
                description: String::new(),
            },
            DraftLine {
                account: AccountRef::Role(Role::SalesRevenue),
                amount: "-12.50".parse::<Amount>().unwrap(),
                description: String::new(),
            },
        ],
    };
    // Rolled back with the caller's transaction.
    let tx = begin_write(&app.state.db).await.unwrap();
    api::post(&tx, draft("INV-1")).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let journal = app
        .get_json("/api/v1/accounting/journal?source=invoice", &owner.token)
        .await;
    assert_eq!(journal["data"].as_array().unwrap().len(), 0);

    // Committed once; the same source again is refused, not duplicated.
    let tx = begin_write(&app.state.db).await.unwrap();
    api::post(&tx, draft("INV-1")).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let tx = begin_write(&app.state.db).await.unwrap();
    let err = api::post(&tx, draft("INV-1")).await.unwrap_err();
    assert_eq!(err.code(), "already_posted");
    tx.rollback().await.unwrap();
    let journal = app
        .get_json("/api/v1/accounting/journal?source=invoice", &owner.token)
        .await;
    assert_eq!(journal["data"].as_array().unwrap().len(), 1);
    assert_eq!(journal["data"][0]["total"], "12.50");
}

/// A tiny deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test]
async fn eight_clients_for_fifteen_seconds_never_unbalance_the_books() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            &format!("/api/v1/organizations/{}/subscription", owner.org_id),
            Some(&owner.token),
            json!({ "plan": "enterprise" }),
        )
        .await;
    assert_eq!(res.status(), 200, "lift the request budget");
    let wh = warehouse(&app, &owner, "MAIN").await;
    let products = [
        product(&app, &owner, "A").await,
        product(&app, &owner, "B").await,
    ];
    let accounts = app
        .get_json("/api/v1/accounting/accounts?is_group=false", &owner.token)
        .await;
    let id_of = |code: &str| {
        accounts["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (rent, bank) = (id_of("6010"), id_of("1020"));
    let deadline = Instant::now() + Duration::from_secs(15);

    let client = |seed: u64| {
        let (app, owner, wh, products, rent, bank) = (
            &app,
            &owner,
            wh.clone(),
            products.clone(),
            rent.clone(),
            bank.clone(),
        );
        async move {
            let mut rng = Rng(seed);
            let mut statuses = Vec::new();
            while Instant::now() < deadline {
                let prod = &products[rng.next(2) as usize];
                let qty = format!("{}.{}", 1 + rng.next(4), rng.next(10));
                let (path, body) = match rng.next(4) {
                    0 => (
                        "/api/v1/inventory/receipts",
                        json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": qty,
                            "unit_cost": format!("{}.{:04}", rng.next(20), rng.next(10_000)) }] }),
                    ),
                    1 => (
                        "/api/v1/inventory/issues",
                        json!({ "warehouse_id": wh, "lines": [{ "product_id": prod, "quantity": qty }] }),
                    ),
                    2 => (
                        "/api/v1/inventory/adjust",
                        json!({ "warehouse_id": wh, "product_id": prod, "reason": "count",
                            "quantity_delta": if rng.next(2) == 0 { qty.clone() } else { format!("-{qty}") } }),
                    ),
                    _ => {
                        let amount = format!("{}.{:02}", 1 + rng.next(500), rng.next(100));
                        (
                            "/api/v1/accounting/journal",
                            json!({ "date": chrono::Utc::now().date_naive(), "post": true, "lines": [
                                { "account_id": rent, "debit": amount }, { "account_id": bank, "credit": amount }
                            ] }),
                        )
                    }
                };
                let res = app.post_as(path, Some(&owner.token), body).await;
                statuses.push(res.status().as_u16());
            }
            statuses
        }
    };
    let sampler = async {
        let mut samples = 0;
        while Instant::now() < deadline {
            let (value, ledger) = books(&app, &owner).await;
            assert_eq!(
                value, ledger,
                "sample {samples}: valuation vs inventory account"
            );
            let tb = app
                .get_json("/api/v1/accounting/reports/trial-balance", &owner.token)
                .await;
            assert_eq!(tb["total_debit"], tb["total_credit"], "sample {samples}");
            samples += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        samples
    };
    let (statuses, samples) = tokio::join!(
        futures::future::join_all((1..=8).map(|i| client(0x9E37_79B9_7F4A_7C15 ^ i))),
        sampler
    );
    let statuses: Vec<u16> = statuses.into_iter().flatten().collect();
    assert!(
        statuses.iter().all(|s| *s < 500),
        "5xx: {:?}",
        statuses.iter().filter(|s| **s >= 500).collect::<Vec<_>>()
    );
    // Only insufficient stock (409) may refuse a request.
    assert!(
        statuses.iter().all(|s| [200, 201, 409].contains(s)),
        "unexpected: {:?}",
        statuses
            .iter()
            .filter(|s| ![200, 201, 409].contains(*s))
            .collect::<Vec<_>>()
    );
    let ok = statuses.iter().filter(|s| **s < 300).count();
    assert!(ok >= 80, "only {ok} operations succeeded");
    assert!(samples >= 20, "only {samples} samples");
    let (value, ledger) = books(&app, &owner).await;
    assert_eq!(value, ledger, "at the end");
    let tb = app
        .get_json("/api/v1/accounting/reports/trial-balance", &owner.token)
        .await;
    assert_eq!(tb["total_debit"], tb["total_credit"], "at the end");
}
