//! Accounting through HTTP: the chart, the posting roles, fiscal periods, and
//! a double-entry journal that neither the API nor raw SQL can unbalance.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

/// Account code -> id of every active account of the caller's organization.
async fn chart(app: &TestApp, token: &str) -> HashMap<String, String> {
    let page = app.get_json("/api/v1/accounting/accounts", token).await;
    page["data"]
        .as_array()
        .expect("a list of accounts")
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_string(),
                a["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A fresh application with one organization and its chart.
async fn books() -> (TestApp, Member, HashMap<String, String>) {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let chart = chart(&app, &owner.token).await;
    (app, owner, chart)
}

/// A request line: (account id, debit or "", credit or "").
fn line(account: &str, debit: &str, credit: &str) -> Value {
    let mut l = json!({ "account_id": account });
    if !debit.is_empty() {
        l["debit"] = json!(debit);
    }
    if !credit.is_empty() {
        l["credit"] = json!(credit);
    }
    l
}

fn lines_json(lines: &[(&str, &str, &str)]) -> Vec<Value> {
    lines.iter().map(|(a, d, c)| line(a, d, c)).collect()
}

async fn post_entry(
    app: &TestApp,
    token: &str,
    date: &str,
    lines: &[(&str, &str, &str)],
    post: bool,
) -> reqwest::Response {
    app.post_as(
        "/api/v1/accounting/journal",
        Some(token),
        json!({ "date": date, "memo": "test", "post": post, "lines": lines_json(lines) }),
    )
    .await
}

/// An entry that must be accepted (201); returns its body.
async fn entry(
    app: &TestApp,
    token: &str,
    date: &str,
    lines: &[(&str, &str, &str)],
    post: bool,
) -> Value {
    let res = post_entry(app, token, date, lines, post).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// POST without a body (post, close, reopen).
async fn action(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.call(Method::POST, path, Some(token), None).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.call(Method::DELETE, path, Some(token), None).await
}

async fn fiscal_year(app: &TestApp, owner: &Member, start: &str) -> Value {
    let res = app
        .post_as(
            "/api/v1/accounting/fiscal-years",
            Some(&owner.token),
            json!({ "start_date": start }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// A 422 whose `errors[]` names `field` with `code`; returns the problem.
async fn assert_invalid(res: reqwest::Response, field: &str, code: &str) -> Value {
    let body = assert_problem(res, 422, "validation_failed").await;
    let found = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .any(|e| e["field"] == field && e["code"] == code);
    assert!(found, "expected {field}/{code} in {body}");
    body
}

/// The trial balance row of an account code, if it has postings.
fn row<'a>(report: &'a Value, code: &str) -> Option<&'a Value> {
    report["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|r| r["code"] == code)
}

/// A decimal string ("-12.5", "0.0001") in units of 1/10000.
fn units(s: &str) -> i64 {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let fraction = format!("{fraction:0<4}");
    let v = whole.parse::<i64>().unwrap() * 10_000 + fraction.parse::<i64>().unwrap();
    if negative { -v } else { v }
}

/// Positive units as a request amount with four decimals.
fn decimal(u: i64) -> String {
    format!("{}.{:04}", u / 10_000, u % 10_000)
}

async fn csv(app: &TestApp, token: &str, path: &str) -> String {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/csv"), "{path} answered {ct}");
    res.text().await.unwrap()
}

// ---------------------------------------------------------------------------
// The chart, posting roles, tax rates.

#[tokio::test]
async fn every_new_organization_gets_the_standard_chart_and_posting_roles() {
    let (app, owner, chart) = books().await;
    let tree = app
        .get_json("/api/v1/accounting/accounts/tree", &owner.token)
        .await;
    let top: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["1000", "2000", "3000", "4000", "5000", "6000"]);
    for group in tree.as_array().unwrap() {
        assert_eq!(group["is_group"], true, "{group}");
        assert!(!group["children"].as_array().unwrap().is_empty(), "{group}");
    }
    let assets: Vec<&str> = tree[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["type"], "asset");
            assert_eq!(c["is_group"], false);
            c["code"].as_str().unwrap()
        })
        .collect();
    assert_eq!(assets, ["1010", "1020", "1100", "1200", "1300"]);

    let settings = app
        .get_json("/api/v1/accounting/settings", &owner.token)
        .await;
    for (role, code) in [
        ("cash_account_id", "1010"),
        ("bank_account_id", "1020"),
        ("inventory_account_id", "1200"),
        ("payable_account_id", "2010"),
        ("retained_earnings_account_id", "3100"),
        ("sales_revenue_account_id", "4010"),
        ("cost_of_goods_sold_account_id", "5010"),
    ] {
        assert_eq!(settings[role], chart[code].as_str(), "{role}");
    }
    let posting_assets = app
        .get_json(
            "/api/v1/accounting/accounts?type=asset&is_group=false",
            &owner.token,
        )
        .await;
    assert_eq!(posting_assets["data"].as_array().unwrap().len(), 5);

    // Another organization gets a chart of its own.
    let other = app.onboard().await;
    let theirs = self::chart(&app, &other.token).await;
    assert_eq!(theirs.len(), chart.len());
    assert_ne!(theirs["1200"], chart["1200"]);
}

#[tokio::test]
async fn account_codes_are_unique_and_accounts_sit_under_a_group_of_their_type() {
    let (app, owner, chart) = books().await;
    let create = |body: Value| app.post_as("/api/v1/accounting/accounts", Some(&owner.token), body);
    let res = create(
        json!({ "code": "6050", "name": "Software", "type": "expense",
        "subtype": "operating_expense", "parent_id": chart["6000"] }),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/accounting/accounts/{}", id(&created))
    );
    assert_eq!(created["type"], "expense");
    assert_eq!(created["subtype"], "operating_expense");
    assert_eq!(created["parent_id"], chart["6000"].as_str());
    assert_eq!(created["is_group"], false);
    assert_eq!(created["active"], true);

    let again = create(json!({ "code": "6050", "name": "Again", "type": "expense" })).await;
    assert_problem(again, 409, "account_code_taken").await;
    let wrong_type = create(json!({ "code": "6060", "name": "X", "type": "expense",
        "parent_id": chart["1000"] }))
    .await;
    assert_invalid(wrong_type, "parent_id", "type_mismatch").await;
    let not_a_group = create(json!({ "code": "6070", "name": "X", "type": "expense",
        "parent_id": chart["6010"] }))
    .await;
    assert_invalid(not_a_group, "parent_id", "not_a_group").await;

    let tree = app
        .get_json("/api/v1/accounting/accounts/tree", &owner.token)
        .await;
    let expenses = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "6000")
        .unwrap();
    assert!(
        expenses["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "6050"),
        "{expenses}"
    );

    // Codes are unique per organization only.
    let other = app.onboard().await;
    let theirs = app
        .post_as(
            "/api/v1/accounting/accounts",
            Some(&other.token),
            json!({ "code": "6050", "name": "Software", "type": "expense" }),
        )
        .await;
    assert_eq!(theirs.status(), 201);
}

#[tokio::test]
async fn an_account_with_postings_children_or_a_role_is_not_archived() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let res = app
        .post_as(
            "/api/v1/accounting/accounts",
            Some(t),
            json!({ "code": "6050", "name": "Software", "type": "expense", "parent_id": chart["6000"] }),
        )
        .await;
    let software = id(&res.json::<Value>().await.unwrap());
    // Even a draft's line keeps the account.
    entry(
        &app,
        t,
        "2025-03-01",
        &[
            (software.as_str(), "10.00", ""),
            (chart["1020"].as_str(), "", "10.00"),
        ],
        false,
    )
    .await;
    let archive = |code_id: &str| format!("/api/v1/accounting/accounts/{code_id}");
    assert_problem(
        delete(&app, t, &archive(software.as_str())).await,
        409,
        "account_has_postings",
    )
    .await;
    assert_problem(
        delete(&app, t, &archive(chart["6000"].as_str())).await,
        409,
        "account_has_children",
    )
    .await;
    assert_problem(
        delete(&app, t, &archive(chart["1200"].as_str())).await,
        409,
        "account_in_use",
    )
    .await;

    assert_eq!(
        delete(&app, t, &archive(chart["6040"].as_str()))
            .await
            .status(),
        204
    );
    let live = self::chart(&app, t).await;
    assert!(!live.contains_key("6040"));
    assert!(live.contains_key("6050") && live.contains_key("1200"));
    let archived = app
        .get_json("/api/v1/accounting/accounts?active=false", t)
        .await;
    let codes: Vec<&str> = archived["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["6040"]);
}

#[tokio::test]
async fn posting_roles_map_only_to_live_posting_accounts_of_their_type() {
    let (app, owner, chart) = books().await;
    let patch = |body: Value| {
        app.call(
            Method::PATCH,
            "/api/v1/accounting/settings",
            Some(&owner.token),
            Some(body),
        )
    };
    let wrong =
        patch(json!({ "inventory_account_id": chart["4010"], "bank_account_id": chart["1000"] }))
            .await;
    let problem = assert_invalid(wrong, "inventory_account_id", "wrong_account_type").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "bank_account_id" && e["code"] == "group_account"),
        "{problem}"
    );
    let unknown = patch(json!({ "cash_account_id": Uuid::now_v7() })).await;
    assert_invalid(unknown, "cash_account_id", "not_found").await;

    let res = patch(json!({ "bank_account_id": chart["1010"] })).await;
    assert_eq!(res.status(), 200);
    let settings: Value = res.json().await.unwrap();
    assert_eq!(settings["bank_account_id"], chart["1010"].as_str());
    assert_eq!(
        settings["inventory_account_id"],
        chart["1200"].as_str(),
        "other roles unchanged"
    );
}

#[tokio::test]
async fn tax_rates_are_percentages_collected_in_a_posting_account() {
    let (app, owner, chart) = books().await;
    let create =
        |body: Value| app.post_as("/api/v1/accounting/tax-rates", Some(&owner.token), body);
    let res =
        create(json!({ "name": "VAT standard", "rate": "20", "account_id": chart["2100"] })).await;
    assert_eq!(res.status(), 201);
    let vat: Value = res.json().await.unwrap();
    assert_eq!(vat["rate"], "20");
    assert_eq!(vat["active"], true);

    for rate in ["100.5", "-1"] {
        let res = create(json!({ "name": "Bad", "rate": rate, "account_id": chart["2100"] })).await;
        assert_invalid(res, "rate", "range").await;
    }
    let precise =
        create(json!({ "name": "Bad", "rate": "1.12345", "account_id": chart["2100"] })).await;
    let problem = assert_problem(precise, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "rate", "{problem}");
    let group = create(json!({ "name": "Bad", "rate": "5", "account_id": chart["2000"] })).await;
    assert_invalid(group, "account_id", "group_account").await;
    let dup =
        create(json!({ "name": "VAT standard", "rate": "5", "account_id": chart["2100"] })).await;
    assert_problem(dup, 409, "tax_rate_name_taken").await;

    let path = format!("/api/v1/accounting/tax-rates/{}", id(&vat));
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "rate": "7.25" })),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["rate"], "7.25");
    assert_eq!(delete(&app, &owner.token, &path).await.status(), 204);
    let active = app
        .get_json("/api/v1/accounting/tax-rates?active=true", &owner.token)
        .await;
    assert!(active["data"].as_array().unwrap().is_empty());
    assert_eq!(app.get_json(&path, &owner.token).await["active"], false);
}

// ---------------------------------------------------------------------------
// Fiscal years and periods.

#[tokio::test]
async fn a_fiscal_year_has_twelve_monthly_periods_and_years_never_overlap() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let fy = fiscal_year(&app, &owner, "2025-01-01").await;
    assert_eq!(fy["name"], "FY2025");
    assert_eq!(fy["start_date"], "2025-01-01");
    assert_eq!(fy["end_date"], "2025-12-31");
    assert_eq!(fy["state"], "open");
    assert!(fy["closing_entry_id"].is_null());
    let periods = fy["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 12);
    assert!(periods.iter().all(|p| p["state"] == "open"));
    assert_eq!(periods[1]["number"], 2);
    assert_eq!(periods[1]["start_date"], "2025-02-01");
    assert_eq!(periods[1]["end_date"], "2025-02-28");
    assert_eq!(periods[11]["end_date"], "2025-12-31");

    let overlap = app
        .post_as(
            "/api/v1/accounting/fiscal-years",
            Some(&owner.token),
            json!({ "start_date": "2025-07-01" }),
        )
        .await;
    assert_problem(overlap, 409, "fiscal_year_overlaps").await;
    let res = app
        .post_as(
            "/api/v1/accounting/fiscal-years",
            Some(&owner.token),
            json!({ "start_date": "2026-01-01", "name": "Next year" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let next: Value = res.json().await.unwrap();
    assert_eq!(next["name"], "Next year");
    let years = app
        .get_json("/api/v1/accounting/fiscal-years", &owner.token)
        .await;
    let ids: Vec<&str> = years["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(&next), id(&fy)], "latest first");
    let one = app
        .get_json(
            &format!("/api/v1/accounting/fiscal-years/{}", id(&fy)),
            &owner.token,
        )
        .await;
    assert_eq!(one["periods"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn a_closed_period_refuses_postings_until_it_is_reopened() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let fy = fiscal_year(&app, &owner, "2024-01-01").await;
    let march = fy["periods"][2]["id"].as_str().unwrap().to_string();
    let res = action(
        &app,
        t,
        &format!("/api/v1/accounting/periods/{march}/close"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());

    let rent = [
        (chart["6010"].as_str(), "80.00", ""),
        (chart["1020"].as_str(), "", "80.00"),
    ];
    let refused = post_entry(&app, t, "2024-03-15", &rent, true).await;
    let problem = assert_problem(refused, 409, "period_closed").await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&march),
        "{problem}"
    );
    // A draft may wait in a closed period, but not be posted there.
    let draft = entry(&app, t, "2024-03-20", &rent, false).await;
    let post_draft = format!("/api/v1/accounting/journal/{}/post", id(&draft));
    assert_problem(action(&app, t, &post_draft).await, 409, "period_closed").await;
    // Neighbouring periods stay open.
    entry(&app, t, "2024-04-01", &rent, true).await;

    let res = action(
        &app,
        t,
        &format!("/api/v1/accounting/periods/{march}/reopen"),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "open");
    entry(&app, t, "2024-03-15", &rent, true).await;
    let res = action(&app, t, &post_draft).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "posted");
}

#[tokio::test]
async fn closing_a_year_moves_its_profit_into_retained_earnings() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let c = |code: &str| chart[code].as_str();
    let fy = fiscal_year(&app, &owner, "2025-01-01").await;
    entry(
        &app,
        t,
        "2025-06-10",
        &[(c("1020"), "1000.00", ""), (c("4010"), "", "1000.00")],
        true,
    )
    .await;
    entry(
        &app,
        t,
        "2025-06-20",
        &[(c("6010"), "300.00", ""), (c("1020"), "", "300.00")],
        true,
    )
    .await;

    let close = format!("/api/v1/accounting/fiscal-years/{}/close", id(&fy));
    let res = action(&app, t, &close).await;
    let status = res.status();
    let closed: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["state"], "closed");
    assert!(
        closed["periods"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "closed")
    );
    let closing_id = closed["closing_entry_id"]
        .as_str()
        .expect("a closing entry");
    let closing = app
        .get_json(&format!("/api/v1/accounting/journal/{closing_id}"), t)
        .await;
    assert_eq!(closing["source_type"], "fiscal_year_close");
    assert_eq!(closing["state"], "posted");
    assert_eq!(closing["date"], "2025-12-31");
    assert_eq!(closing["total"], "1000.00");
    let listed = app
        .get_json("/api/v1/accounting/journal?source=fiscal_year_close", t)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    let tb = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            t,
        )
        .await;
    for code in ["4010", "6010"] {
        let balance = row(&tb, code).map(|r| r["balance"].as_str().unwrap());
        assert!(
            balance.is_none_or(|b| b == "0.00"),
            "{code} is zeroed: {tb}"
        );
    }
    assert_eq!(row(&tb, "3100").unwrap()["balance"], "-700.00");
    assert_eq!(row(&tb, "1020").unwrap()["balance"], "700.00");
    assert_eq!(tb["total_debit"], tb["total_credit"]);

    // Profit and loss leaves the closing entry out.
    let pl = app
        .get_json(
            "/api/v1/accounting/reports/profit-and-loss?from=2025-01-01&to=2025-12-31",
            t,
        )
        .await;
    assert_eq!(pl["total_income"], "1000.00");
    assert_eq!(pl["total_expense"], "300.00");
    assert_eq!(pl["net_profit"], "700.00");
    let bs = app
        .get_json(
            "/api/v1/accounting/reports/balance-sheet?as_of=2025-12-31",
            t,
        )
        .await;
    assert_eq!(bs["current_earnings"], "0.00");
    assert_eq!(bs["total_equity"], "700.00");
    assert_eq!(bs["total_assets"], bs["total_liabilities_and_equity"]);

    // The year stays shut.
    let late = post_entry(
        &app,
        t,
        "2025-07-01",
        &[(c("6010"), "1.00", ""), (c("1020"), "", "1.00")],
        true,
    )
    .await;
    assert_problem(late, 409, "period_closed").await;
    let july = fy["periods"][6]["id"].as_str().unwrap();
    let reopen = action(
        &app,
        t,
        &format!("/api/v1/accounting/periods/{july}/reopen"),
    )
    .await;
    assert_problem(reopen, 409, "fiscal_year_closed").await;
    assert_problem(action(&app, t, &close).await, 409, "fiscal_year_closed").await;
}

// ---------------------------------------------------------------------------
// The rules of an entry: one test per rule.

#[tokio::test]
async fn an_unbalanced_entry_is_422_naming_its_last_line_and_writes_nothing() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "10.00", ""),
            (chart["1020"].as_str(), "", "9.99"),
        ],
        true,
    )
    .await;
    let problem = assert_invalid(res, "lines", "unbalanced").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "lines[1].credit"),
        "{problem}"
    );
    let journal = app
        .get_json("/api/v1/accounting/journal", &owner.token)
        .await;
    assert!(journal["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_entry_of_one_line_is_422() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[(chart["6010"].as_str(), "10.00", "")],
        true,
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"].as_str().unwrap_or_default().starts_with("lines")),
        "{problem}"
    );
}

#[tokio::test]
async fn a_line_with_both_a_debit_and_a_credit_is_422() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "10.00", "10.00"),
            (chart["1020"].as_str(), "", "10.00"),
        ],
        true,
    )
    .await;
    assert_invalid(res, "lines[0].credit", "two_sided").await;
}

#[tokio::test]
async fn a_zero_amount_is_422() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "0.00", ""),
            (chart["1020"].as_str(), "", "0"),
        ],
        true,
    )
    .await;
    let problem = assert_invalid(res, "lines[0].debit", "range").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "lines[1].credit" && e["code"] == "range"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_negative_amount_is_422() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "10.00", ""),
            (chart["1020"].as_str(), "-10.00", ""),
        ],
        true,
    )
    .await;
    assert_invalid(res, "lines[1].debit", "range").await;
}

#[tokio::test]
async fn an_amount_with_more_than_four_decimals_is_422() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "1.00001", ""),
            (chart["1020"].as_str(), "", "1.00001"),
        ],
        true,
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let first = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "lines[0].debit")
        .unwrap_or_else(|| panic!("lines[0].debit in {problem}"));
    assert!(
        first["message"].as_str().unwrap().contains("4 decimal"),
        "{problem}"
    );
}

#[tokio::test]
async fn another_organizations_account_or_an_unknown_one_is_422_not_found() {
    let (app, owner, chart) = books().await;
    let other = app.onboard().await;
    let theirs = self::chart(&app, &other.token).await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "10.00", ""),
            (theirs["1020"].as_str(), "", "10.00"),
        ],
        true,
    )
    .await;
    assert_invalid(res, "lines[1].account_id", "not_found").await;
    let unknown = Uuid::now_v7().to_string();
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (unknown.as_str(), "10.00", ""),
            (chart["1020"].as_str(), "", "10.00"),
        ],
        true,
    )
    .await;
    assert_invalid(res, "lines[0].account_id", "not_found").await;
    // Nothing reached the other organization's books either.
    let tb = app
        .get_json("/api/v1/accounting/reports/trial-balance", &other.token)
        .await;
    assert!(tb["accounts"].as_array().unwrap().is_empty(), "{tb}");
}

#[tokio::test]
async fn a_group_account_takes_no_postings() {
    let (app, owner, chart) = books().await;
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["1000"].as_str(), "10.00", ""),
            (chart["3010"].as_str(), "", "10.00"),
        ],
        true,
    )
    .await;
    assert_invalid(res, "lines[0].account_id", "group_account").await;
}

#[tokio::test]
async fn an_archived_account_takes_no_postings() {
    let (app, owner, chart) = books().await;
    let office = chart["6040"].as_str();
    let archived = delete(
        &app,
        &owner.token,
        &format!("/api/v1/accounting/accounts/{office}"),
    )
    .await;
    assert_eq!(archived.status(), 204);
    let res = post_entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[(office, "10.00", ""), (chart["1020"].as_str(), "", "10.00")],
        true,
    )
    .await;
    assert_invalid(res, "lines[0].account_id", "archived").await;
}

// ---------------------------------------------------------------------------
// Drafts, posting, reversal, listing.

#[tokio::test]
async fn a_draft_can_change_and_be_deleted_but_a_posted_entry_never_changes() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let (rent, bank) = (chart["6010"].as_str(), chart["1020"].as_str());
    let draft = entry(
        &app,
        t,
        "2025-02-01",
        &[(rent, "10.00", ""), (bank, "", "10.00")],
        false,
    )
    .await;
    assert_eq!(draft["state"], "draft");
    assert!(draft["posted_at"].is_null());
    assert!(
        draft["number"].as_str().unwrap().starts_with("JE-"),
        "{draft}"
    );
    assert!(draft["source_type"].is_null());
    let path = format!("/api/v1/accounting/journal/{}", id(&draft));

    let patch = |body: Value| app.call(Method::PATCH, &path, Some(t), Some(body));
    let res = patch(json!({ "memo": "Rent, corrected", "lines": [line(rent, "12.5", ""), line(bank, "", "12.50")] })).await;
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["memo"], "Rent, corrected");
    assert_eq!(patched["total"], "12.50");
    assert_eq!(patched["lines"][0]["debit"], "12.50");
    assert_eq!(patched["lines"][0]["credit"], "0.00");
    assert_eq!(patched["lines"][0]["account_code"], "6010");
    assert_eq!(patched["lines"][1]["line_no"], 2);
    let unbalanced =
        patch(json!({ "lines": [line(rent, "12.50", ""), line(bank, "", "12.00")] })).await;
    assert_invalid(unbalanced, "lines", "unbalanced").await;

    let res = action(&app, t, &format!("{path}/post")).await;
    assert_eq!(res.status(), 200);
    let posted: Value = res.json().await.unwrap();
    assert_eq!(posted["state"], "posted");
    assert!(posted["posted_at"].is_string());

    assert_problem(
        patch(json!({ "memo": "sneaky" })).await,
        409,
        "entry_posted",
    )
    .await;
    assert_problem(delete(&app, t, &path).await, 409, "entry_posted").await;
    assert_problem(
        action(&app, t, &format!("{path}/post")).await,
        409,
        "entry_posted",
    )
    .await;
    let kept = app.get_json(&path, t).await;
    assert_eq!(kept["memo"], "Rent, corrected");
    assert_eq!(kept["total"], "12.50");

    let doomed = entry(
        &app,
        t,
        "2025-02-02",
        &[(rent, "1.00", ""), (bank, "", "1.00")],
        false,
    )
    .await;
    let doomed_path = format!("/api/v1/accounting/journal/{}", id(&doomed));
    assert_eq!(delete(&app, t, &doomed_path).await.status(), 204);
    assert_problem(app.get_as(&doomed_path, t).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_reversal_is_a_mirror_entry_and_an_entry_is_reversed_once() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let (rent, bank) = (chart["6010"].as_str(), chart["1020"].as_str());
    let original = entry(
        &app,
        t,
        "2025-03-01",
        &[(rent, "50.00", ""), (bank, "", "50.00")],
        true,
    )
    .await;
    let reverse = format!("/api/v1/accounting/journal/{}/reverse", id(&original));
    let res = app
        .post_as(&reverse, Some(t), json!({ "date": "2025-03-31" }))
        .await;
    let status = res.status();
    let mirror: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{mirror}");
    assert_eq!(mirror["state"], "posted");
    assert_eq!(mirror["date"], "2025-03-31");
    assert_eq!(mirror["reversal_of"], id(&original).as_str());
    assert_eq!(mirror["source_type"], "journal_reversal");
    assert_eq!(mirror["source_id"], id(&original).as_str());
    assert_eq!(
        mirror["memo"],
        format!("Reversal of {}", original["number"].as_str().unwrap()).as_str()
    );
    assert_eq!(mirror["total"], "50.00");
    assert_eq!(mirror["lines"][0]["account_code"], "6010");
    assert_eq!(mirror["lines"][0]["debit"], "0.00");
    assert_eq!(mirror["lines"][0]["credit"], "50.00");
    assert_eq!(mirror["lines"][1]["account_code"], "1020");
    assert_eq!(mirror["lines"][1]["debit"], "50.00");

    let after = app
        .get_json(&format!("/api/v1/accounting/journal/{}", id(&original)), t)
        .await;
    assert_eq!(after["reversed_by"], id(&mirror).as_str());
    assert_eq!(after["state"], "posted");

    let twice = app
        .post_as(&reverse, Some(t), json!({ "date": "2025-04-01" }))
        .await;
    assert_problem(twice, 409, "already_reversed").await;
    let of_mirror = app
        .post_as(
            &format!("/api/v1/accounting/journal/{}/reverse", id(&mirror)),
            Some(t),
            json!({ "date": "2025-04-01" }),
        )
        .await;
    assert_problem(of_mirror, 409, "already_reversed").await;
    let draft = entry(
        &app,
        t,
        "2025-03-02",
        &[(rent, "1.00", ""), (bank, "", "1.00")],
        false,
    )
    .await;
    let of_draft = app
        .post_as(
            &format!("/api/v1/accounting/journal/{}/reverse", id(&draft)),
            Some(t),
            json!({ "date": "2025-04-01" }),
        )
        .await;
    assert_problem(of_draft, 409, "entry_not_posted").await;

    let tb = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            t,
        )
        .await;
    assert_eq!(row(&tb, "6010").unwrap()["balance"], "0.00");
    assert_eq!(row(&tb, "1020").unwrap()["balance"], "0.00");
}

#[tokio::test]
async fn the_journal_lists_newest_first_with_filters_and_a_cursor() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let (rent, bank, sales) = (
        chart["6010"].as_str(),
        chart["1020"].as_str(),
        chart["4010"].as_str(),
    );
    let a = entry(
        &app,
        t,
        "2025-01-05",
        &[(rent, "1.00", ""), (bank, "", "1.00")],
        true,
    )
    .await;
    let b = entry(
        &app,
        t,
        "2025-02-05",
        &[(bank, "2.00", ""), (sales, "", "2.00")],
        true,
    )
    .await;
    let c = entry(
        &app,
        t,
        "2025-03-05",
        &[(rent, "3.00", ""), (bank, "", "3.00")],
        false,
    )
    .await;
    let ids =
        |page: &Value| -> Vec<String> { page["data"].as_array().unwrap().iter().map(id).collect() };
    let first = app.get_json("/api/v1/accounting/journal?limit=2", t).await;
    assert_eq!(ids(&first), [id(&c), id(&b)]);
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &format!("/api/v1/accounting/journal?limit=2&cursor={cursor}"),
            t,
        )
        .await;
    assert_eq!(ids(&second), [id(&a)]);
    assert_eq!(second["has_more"], false);
    assert!(second["next_cursor"].is_null());

    let by_account = format!("account_id={sales}");
    let by_author = format!("created_by={}", owner.user_id);
    for (query, expected) in [
        ("state=draft", vec![id(&c)]),
        ("state=posted", vec![id(&b), id(&a)]),
        (by_account.as_str(), vec![id(&b)]),
        ("from=2025-02-01&to=2025-02-28", vec![id(&b)]),
        ("source=manual", vec![id(&c), id(&b), id(&a)]),
        (by_author.as_str(), vec![id(&c), id(&b), id(&a)]),
    ] {
        let page = app
            .get_json(&format!("/api/v1/accounting/journal?{query}"), t)
            .await;
        assert_eq!(ids(&page), expected, "{query}");
    }
}

// ---------------------------------------------------------------------------
// Ledger and reports.

#[tokio::test]
async fn the_ledger_runs_a_balance_from_the_opening_to_the_closing_across_pages() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let c = |code: &str| chart[code].as_str();
    let bank = c("1020");
    for (date, lines) in [
        (
            "2025-01-10",
            [(bank, "100.00", ""), (c("3010"), "", "100.00")],
        ),
        (
            "2025-02-10",
            [(c("6010"), "30.00", ""), (bank, "", "30.00")],
        ),
        (
            "2025-02-20",
            [(bank, "20.00", ""), (c("4010"), "", "20.00")],
        ),
        ("2025-03-05", [(bank, "5.5", ""), (c("4900"), "", "5.5")]),
        (
            "2025-04-01",
            [(c("6040"), "10.00", ""), (bank, "", "10.00")],
        ),
    ] {
        entry(&app, t, date, &lines, true).await;
    }
    // A draft is not in the ledger.
    entry(
        &app,
        t,
        "2025-02-15",
        &[(bank, "999.00", ""), (c("3010"), "", "999.00")],
        false,
    )
    .await;

    let balances = |page: &Value| -> Vec<String> {
        page["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["balance"].as_str().unwrap().to_string())
            .collect()
    };
    let base = format!(
        "/api/v1/accounting/ledger?account_id={bank}&from=2025-02-01&to=2025-03-31&limit=2"
    );
    let first = app.get_json(&base, t).await;
    assert_eq!(first["account_code"], "1020");
    assert_eq!(first["opening_balance"], "100.00");
    assert_eq!(first["closing_balance"], "95.50");
    assert_eq!(balances(&first), ["70.00", "90.00"]);
    assert_eq!(first["lines"][0]["credit"], "30.00");
    assert_eq!(first["lines"][0]["debit"], "0.00");
    assert_eq!(first["lines"][0]["description"], "test");
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.get_json(&format!("{base}&cursor={cursor}"), t).await;
    assert_eq!(balances(&second), ["95.50"]);
    assert_eq!(second["lines"][0]["debit"], "5.50");
    assert_eq!(second["has_more"], false);
    assert!(second["next_cursor"].is_null());
    assert_eq!(second["closing_balance"], "95.50");

    let all = app
        .get_json(
            &format!("/api/v1/accounting/ledger?account_id={bank}&to=2025-12-31"),
            t,
        )
        .await;
    assert_eq!(all["opening_balance"], "0.00");
    assert_eq!(all["closing_balance"], "85.50");
    assert_eq!(
        balances(&all),
        ["100.00", "70.00", "90.00", "95.50", "85.50"]
    );
}

#[tokio::test]
async fn the_trial_balance_and_the_balance_sheet_balance_in_json_and_csv() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    let c = |code: &str| chart[code].as_str();
    for lines in [
        [(c("1020"), "1000.00", ""), (c("3010"), "", "1000.00")],
        [(c("1100"), "250.00", ""), (c("4010"), "", "250.00")],
        [(c("6010"), "100.00", ""), (c("1020"), "", "100.00")],
        [(c("1200"), "400.00", ""), (c("2010"), "", "400.00")],
    ] {
        entry(&app, t, "2025-05-10", &lines, true).await;
    }
    entry(
        &app,
        t,
        "2025-05-11",
        &[(c("6010"), "999.00", ""), (c("1020"), "", "999.00")],
        false,
    )
    .await;

    let tb = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            t,
        )
        .await;
    assert_eq!(tb["total_debit"], "1750.00");
    assert_eq!(tb["total_credit"], "1750.00");
    assert_eq!(tb["accounts"].as_array().unwrap().len(), 7, "{tb}");
    let bank = row(&tb, "1020").unwrap();
    assert_eq!(
        (
            &bank["debit"],
            &bank["credit"],
            &bank["balance"],
            &bank["type"]
        ),
        (
            &json!("1000.00"),
            &json!("100.00"),
            &json!("900.00"),
            &json!("asset")
        )
    );
    let before = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-04-30",
            t,
        )
        .await;
    assert!(before["accounts"].as_array().unwrap().is_empty());
    assert_eq!(before["total_debit"], "0.00");

    let bs = app
        .get_json(
            "/api/v1/accounting/reports/balance-sheet?as_of=2025-12-31",
            t,
        )
        .await;
    assert_eq!(bs["total_assets"], "1550.00");
    assert_eq!(bs["total_liabilities"], "400.00");
    assert_eq!(bs["total_equity"], "1000.00");
    assert_eq!(bs["current_earnings"], "150.00");
    assert_eq!(bs["total_liabilities_and_equity"], "1550.00");

    let pl = app
        .get_json(
            "/api/v1/accounting/reports/profit-and-loss?from=2025-05-01&to=2025-05-31&compare_from=2025-04-01&compare_to=2025-04-30",
            t,
        )
        .await;
    assert_eq!(pl["total_income"], "250.00");
    assert_eq!(pl["total_expense"], "100.00");
    assert_eq!(pl["net_profit"], "150.00");
    assert_eq!(pl["compare_net_profit"], "0.00");
    assert_eq!(pl["income"][0]["code"], "4010");
    assert!(
        pl["by_subtype"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "income" && s["subtype"] == "sales" && s["amount"] == "250.00"),
        "{pl}"
    );

    for (path, header) in [
        (
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            "code,name,type,debit,credit,balance",
        ),
        (
            "/api/v1/accounting/reports/profit-and-loss?from=2025-01-01&to=2025-12-31",
            "section,code,name,amount,compare_amount",
        ),
        (
            "/api/v1/accounting/reports/balance-sheet?as_of=2025-12-31",
            "section,code,name,amount,compare_amount",
        ),
    ] {
        let body = csv(&app, t, path).await;
        assert_eq!(body.lines().next(), Some(header), "{path}");
        assert!(body.lines().count() > 2, "{path}: {body}");
    }
    let tb_csv = csv(
        &app,
        t,
        "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
    )
    .await;
    assert!(
        tb_csv.contains("1020,Bank account,asset,1000.00,100.00,900.00"),
        "{tb_csv}"
    );
}

// ---------------------------------------------------------------------------
// Tenancy, permissions, and the database's own guard.

#[tokio::test]
async fn another_organizations_entries_and_accounts_are_not_found() {
    let (app, owner, chart) = books().await;
    let other = app.onboard().await;
    let mine = entry(
        &app,
        &owner.token,
        "2025-02-01",
        &[
            (chart["6010"].as_str(), "5.00", ""),
            (chart["1020"].as_str(), "", "5.00"),
        ],
        true,
    )
    .await;
    let path = format!("/api/v1/accounting/journal/{}", id(&mine));
    assert_problem(app.get_as(&path, &other.token).await, 404, "not_found").await;
    assert_problem(delete(&app, &other.token, &path).await, 404, "not_found").await;
    let reverse = app
        .post_as(
            &format!("{path}/reverse"),
            Some(&other.token),
            json!({ "date": "2025-02-02" }),
        )
        .await;
    assert_problem(reverse, 404, "not_found").await;
    assert_problem(
        app.get_as(
            &format!("/api/v1/accounting/accounts/{}", chart["1020"]),
            &other.token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let ledger = app
        .get_as(
            &format!("/api/v1/accounting/ledger?account_id={}", chart["1020"]),
            &other.token,
        )
        .await;
    assert_invalid(ledger, "account_id", "not_found").await;
    let theirs = app
        .get_json("/api/v1/accounting/journal", &other.token)
        .await;
    assert!(theirs["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn viewers_read_reports_members_read_the_journal_and_managers_post() {
    let (app, owner, chart) = books().await;
    let res = app
        .post_as(
            &format!("/api/v1/organizations/{}/subscription", owner.org_id),
            Some(&owner.token),
            json!({ "plan": "pro" }),
        )
        .await;
    assert_eq!(res.status(), 200, "more seats");
    let viewer = app.add_member(&owner, "viewer").await;
    let member = app.add_member(&owner, "member").await;
    let manager = app.add_member(&owner, "manager").await;
    let rent = [
        (chart["6010"].as_str(), "5.00", ""),
        (chart["1020"].as_str(), "", "5.00"),
    ];
    for path in [
        "/api/v1/accounting/reports/trial-balance",
        "/api/v1/accounting/reports/balance-sheet",
        "/api/v1/accounting/accounts",
        "/api/v1/accounting/settings",
    ] {
        assert_eq!(
            app.get_as(path, &viewer.token).await.status(),
            200,
            "{path}"
        );
    }
    assert_problem(
        app.get_as("/api/v1/accounting/journal", &viewer.token)
            .await,
        403,
        "permission_denied",
    )
    .await;
    assert_problem(
        post_entry(&app, &viewer.token, "2025-01-10", &rent, false).await,
        403,
        "permission_denied",
    )
    .await;

    assert_eq!(
        app.get_as("/api/v1/accounting/journal", &member.token)
            .await
            .status(),
        200
    );
    assert_problem(
        post_entry(&app, &member.token, "2025-01-10", &rent, false).await,
        403,
        "permission_denied",
    )
    .await;

    let posted = entry(&app, &manager.token, "2025-01-10", &rent, true).await;
    assert_eq!(posted["created_by"], manager.user_id.to_string().as_str());
    // Periods and posting roles are for admins.
    let fy = fiscal_year(&app, &owner, "2025-01-01").await;
    let close = format!(
        "/api/v1/accounting/periods/{}/close",
        fy["periods"][0]["id"].as_str().unwrap()
    );
    assert_problem(
        action(&app, &manager.token, &close).await,
        403,
        "permission_denied",
    )
    .await;
    let remap = app
        .call(
            Method::PATCH,
            "/api/v1/accounting/settings",
            Some(&manager.token),
            Some(json!({ "bank_account_id": chart["1010"] })),
        )
        .await;
    assert_problem(remap, 403, "permission_denied").await;
}

/// A statement written with `?` placeholders, numbered for PostgreSQL.
fn stmt(
    backend: sea_orm::DatabaseBackend,
    text: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    for ch in text.chars() {
        if ch == '?' && backend == sea_orm::DatabaseBackend::Postgres {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    sea_orm::Statement::from_sql_and_values(backend, out, values)
}

#[tokio::test]
async fn the_database_refuses_postings_that_bypass_the_service() {
    use sea_orm::ConnectionTrait;
    let (app, owner, chart) = books().await;
    let bank: Uuid = chart["1020"].parse().unwrap();
    let capital: Uuid = chart["3010"].parse().unwrap();
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let now = chrono::Utc::now();
    let date = chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
    let org = owner.org_id;
    let insert_entry = |entry: Uuid, number: &str, state: &str| {
        stmt(
            backend,
            "INSERT INTO journal_entries (id, organization_id, number, entry_date, memo, state, total, created_at, updated_at, version) \
             VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, 1)",
            vec![
                entry.into(),
                org.into(),
                number.into(),
                date.into(),
                state.into(),
                100_000i64.into(),
                now.into(),
                now.into(),
            ],
        )
    };
    let insert_line = |entry: Uuid, no: i32, account: Uuid, debit: i64, credit: i64| {
        stmt(
            backend,
            "INSERT INTO journal_lines (id, organization_id, entry_id, line_no, account_id, entry_date, debit, credit, description) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')",
            vec![
                Uuid::now_v7().into(),
                org.into(),
                entry.into(),
                no.into(),
                account.into(),
                date.into(),
                debit.into(),
                credit.into(),
            ],
        )
    };

    // An entry is born a draft.
    assert!(
        db.execute_raw(insert_entry(Uuid::now_v7(), "RAW-1", "posted"))
            .await
            .is_err(),
        "inserted already posted"
    );

    // A draft whose lines do not balance cannot be flipped to posted.
    let draft = Uuid::now_v7();
    db.execute_raw(insert_entry(draft, "RAW-2", "draft"))
        .await
        .unwrap();
    db.execute_raw(insert_line(draft, 1, bank, 100_000, 0))
        .await
        .unwrap();
    db.execute_raw(insert_line(draft, 2, capital, 0, 90_000))
        .await
        .unwrap();
    let flip = |total: i64| {
        stmt(
            backend,
            "UPDATE journal_entries SET state = 'posted', total = ? WHERE id = ?",
            vec![total.into(), draft.into()],
        )
    };
    assert!(
        db.execute_raw(flip(100_000)).await.is_err(),
        "posted unbalanced"
    );
    assert!(
        db.execute_raw(flip(90_000)).await.is_err(),
        "posted unbalanced"
    );

    // Balanced, it posts; and then nothing about it changes.
    db.execute_raw(stmt(
        backend,
        "UPDATE journal_lines SET credit = ? WHERE entry_id = ? AND line_no = 2",
        vec![100_000i64.into(), draft.into()],
    ))
    .await
    .unwrap();
    assert!(
        db.execute_raw(flip(90_000)).await.is_err(),
        "total must match the lines"
    );
    db.execute_raw(flip(100_000)).await.unwrap();
    for (what, statement) in [
        (
            "a line amount",
            stmt(
                backend,
                "UPDATE journal_lines SET debit = ? WHERE entry_id = ? AND line_no = 1",
                vec![200_000i64.into(), draft.into()],
            ),
        ),
        (
            "a line removed",
            stmt(
                backend,
                "DELETE FROM journal_lines WHERE entry_id = ?",
                vec![draft.into()],
            ),
        ),
        ("a line added", insert_line(draft, 3, bank, 1, 0)),
        (
            "the total",
            stmt(
                backend,
                "UPDATE journal_entries SET total = ? WHERE id = ?",
                vec![200_000i64.into(), draft.into()],
            ),
        ),
        (
            "back to draft",
            stmt(
                backend,
                "UPDATE journal_entries SET state = 'draft' WHERE id = ?",
                vec![draft.into()],
            ),
        ),
        (
            "the entry deleted",
            stmt(
                backend,
                "DELETE FROM journal_entries WHERE id = ?",
                vec![draft.into()],
            ),
        ),
    ] {
        assert!(db.execute_raw(statement).await.is_err(), "changed {what}");
    }
    let kept = app
        .get_json(&format!("/api/v1/accounting/journal/{draft}"), &owner.token)
        .await;
    assert_eq!(kept["state"], "posted");
    assert_eq!(kept["total"], "10.00");

    // An entry posted through the API is just as final.
    let posted = entry(
        &app,
        &owner.token,
        "2025-05-02",
        &[
            (chart["6010"].as_str(), "7.00", ""),
            (chart["1020"].as_str(), "", "7.00"),
        ],
        true,
    )
    .await;
    let posted_id: Uuid = id(&posted).parse().unwrap();
    let tamper = stmt(
        backend,
        "UPDATE journal_lines SET debit = debit + 10000 WHERE entry_id = ? AND line_no = 1",
        vec![posted_id.into()],
    );
    assert!(
        db.execute_raw(tamper).await.is_err(),
        "changed a posted line"
    );
    let tb = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            &owner.token,
        )
        .await;
    assert_eq!(tb["total_debit"], "17.00");
    assert_eq!(tb["total_credit"], "17.00");
}

// ---------------------------------------------------------------------------
// A model: random entries against an in-memory ledger.

/// xorshift64: a fixed seed, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[tokio::test]
async fn random_entries_leave_the_trial_balance_equal_to_an_in_memory_model() {
    let (app, owner, chart) = books().await;
    let t = owner.token.as_str();
    const CODES: [&str; 5] = ["1020", "1100", "2010", "4010", "6010"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut model: HashMap<&str, i64> = HashMap::new();
    let (mut total, mut drafts) = (0i64, 0usize);
    for i in 0..60u32 {
        // Signed amounts: debit above zero, credit below.
        let n = 2 + rng.below(3) as usize;
        let mut lines: Vec<(&str, i64)> = Vec::with_capacity(n + 1);
        for _ in 0..n {
            let code = CODES[rng.below(5) as usize];
            let amount = 1 + rng.below(5_000_000) as i64;
            let sign = if rng.below(2) == 0 { 1 } else { -1 };
            lines.push((code, amount * sign));
        }
        let net: i64 = lines.iter().map(|(_, a)| a).sum();
        if net != 0 {
            lines.push((CODES[rng.below(5) as usize], -net));
        }
        let unbalanced = i % 6 == 5;
        let draft = !unbalanced && i % 10 == 7;
        if unbalanced {
            let last = lines.last_mut().unwrap();
            last.1 += last.1.signum();
        }
        let body: Vec<(&str, String, String)> = lines
            .iter()
            .map(|(code, a)| {
                let (d, c) = if *a > 0 {
                    (decimal(*a), String::new())
                } else {
                    (String::new(), decimal(-a))
                };
                (chart[*code].as_str(), d, c)
            })
            .collect();
        let refs: Vec<(&str, &str, &str)> = body
            .iter()
            .map(|(a, d, c)| (*a, d.as_str(), c.as_str()))
            .collect();
        let date = format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        let res = post_entry(&app, t, &date, &refs, !draft).await;
        if unbalanced {
            assert_invalid(res, "lines", "unbalanced").await;
            continue;
        }
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 201, "entry {i} {lines:?}: {text}");
        if draft {
            drafts += 1;
            continue;
        }
        for (code, a) in &lines {
            *model.entry(*code).or_default() += *a;
            if *a > 0 {
                total += *a;
            }
        }
    }

    let tb = app
        .get_json(
            "/api/v1/accounting/reports/trial-balance?as_of=2025-12-31",
            t,
        )
        .await;
    for code in CODES {
        let reported = row(&tb, code).map_or(0, |r| units(r["balance"].as_str().unwrap()));
        assert_eq!(
            reported,
            model.get(code).copied().unwrap_or(0),
            "balance of {code}: {tb}"
        );
    }
    assert_eq!(
        tb["accounts"].as_array().unwrap().len(),
        model.len(),
        "no other account moved: {tb}"
    );
    assert_eq!(units(tb["total_debit"].as_str().unwrap()), total);
    assert_eq!(tb["total_debit"], tb["total_credit"]);
    let waiting = app
        .get_json("/api/v1/accounting/journal?state=draft&limit=200", t)
        .await;
    assert_eq!(waiting["data"].as_array().unwrap().len(), drafts);
}

/// Reports add whole months from the monthly balances and the days of a
/// partial first or last month from the lines: every cut of the calendar
/// must give what adding the lines gives.
#[tokio::test]
async fn reports_over_any_range_equal_the_sum_of_their_lines() {
    let (app, owner, chart) = books().await;
    let (sales, bank) = (chart["4010"].as_str(), chart["1020"].as_str());
    // (date, amount in whole units)
    let sales_by_day = [
        ("2025-01-15", 1),
        ("2025-01-31", 2),
        ("2025-02-01", 4),
        ("2025-02-28", 8),
        ("2025-03-10", 16),
        ("2025-04-30", 32),
        ("2025-05-01", 64),
    ];
    for (date, amount) in sales_by_day {
        let amount = format!("{amount}.00");
        entry(
            &app,
            &owner.token,
            date,
            &[(bank, &amount, ""), (sales, "", &amount)],
            true,
        )
        .await;
    }
    let expected = |from: &str, to: &str| -> i64 {
        sales_by_day
            .iter()
            .filter(|(d, _)| *d >= from && *d <= to)
            .map(|(_, a)| a)
            .sum()
    };
    for (from, to) in [
        ("2025-01-01", "2025-12-31"),
        ("2025-01-16", "2025-03-10"),
        ("2025-02-01", "2025-02-28"),
        ("2025-02-02", "2025-02-27"),
        ("2025-01-31", "2025-02-01"),
        ("2025-03-11", "2025-04-29"),
        ("2025-03-01", "2025-04-30"),
        ("2025-04-30", "2025-05-01"),
        ("2024-12-01", "2025-01-15"),
    ] {
        let pl = app
            .get_json(
                &format!("/api/v1/accounting/reports/profit-and-loss?from={from}&to={to}"),
                &owner.token,
            )
            .await;
        assert_eq!(
            units(pl["total_income"].as_str().unwrap()),
            expected(from, to) * 10_000,
            "income {from}..{to}: {pl}"
        );
        let ledger = app
            .get_json(
                &format!("/api/v1/accounting/ledger?account_id={bank}&from={from}&to={to}"),
                &owner.token,
            )
            .await;
        assert_eq!(
            units(ledger["opening_balance"].as_str().unwrap()),
            expected("0000-00-00", from) * 10_000
                - sales_by_day
                    .iter()
                    .filter(|(d, _)| *d == from)
                    .map(|(_, a)| a)
                    .sum::<i64>()
                    * 10_000,
            "opening {from}: {ledger}"
        );
        assert_eq!(
            units(ledger["closing_balance"].as_str().unwrap()),
            expected("0000-00-00", to) * 10_000,
            "closing {to}: {ledger}"
        );
    }
    for as_of in [
        "2025-01-30",
        "2025-01-31",
        "2025-02-27",
        "2025-02-28",
        "2025-04-30",
        "2026-01-01",
    ] {
        let tb = app
            .get_json(
                &format!("/api/v1/accounting/reports/trial-balance?as_of={as_of}"),
                &owner.token,
            )
            .await;
        let bank_row = row(&tb, "1020").map_or(0, |r| units(r["balance"].as_str().unwrap()));
        assert_eq!(
            bank_row,
            expected("0000-00-00", as_of) * 10_000,
            "as of {as_of}"
        );
    }
}

#[tokio::test]
async fn the_same_idempotency_key_posts_one_entry() {
    let (app, owner, chart) = books().await;
    let body = json!({ "date": "2025-03-03", "post": true, "lines": lines_json(&[
        (chart["6010"].as_str(), "75.00", ""),
        (chart["1020"].as_str(), "", "75.00"),
    ]) });
    let send = || {
        app.client
            .post(app.url("/api/v1/accounting/journal"))
            .bearer_auth(&owner.token)
            .header("Idempotency-Key", "rent-2025-03")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let journal = app
        .get_json("/api/v1/accounting/journal?source=manual", &owner.token)
        .await;
    assert_eq!(journal["data"].as_array().unwrap().len(), 1, "{journal}");
}

#[tokio::test]
async fn a_posted_entry_is_audited_with_its_number() {
    let (app, owner, chart) = books().await;
    let posted = entry(
        &app,
        &owner.token,
        "2025-04-04",
        &[
            (chart["6030"].as_str(), "40.00", ""),
            (chart["1020"].as_str(), "", "40.00"),
        ],
        true,
    )
    .await;
    // The organization's first entry: numbers are gapless from JE-000001,
    // on either path (the PostgreSQL function formats them itself).
    assert_eq!(posted["number"], "JE-000001");
    let id = id(&posted);
    let logs = app
        .get_json(&format!("/api/v1/audit-logs?entity_id={id}"), &owner.token)
        .await;
    let records = logs["data"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{logs}");
    assert_eq!(records[0]["action"], "accounting.journal_entry.posted");
    assert_eq!(records[0]["entity_type"], "journal_entry");
    assert_eq!(records[0]["actor_id"], owner.user_id.to_string());
    assert_eq!(records[0]["changes"]["number"], posted["number"]);
    assert_eq!(records[0]["changes"]["total"], "40.00");
}
