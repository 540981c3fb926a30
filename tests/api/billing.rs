//! Billing through HTTP: invoices. An invoice's totals are exact (each line
//! rounded half-up to the currency's minor unit, then summed; tax per line),
//! it moves draft -> issued -> void posting to the ledger and back, lists
//! filter and page, and the PDF carries the number and total. Sales orders
//! billed (`orders`) and credit notes (`credit_notes`) have their own files;
//! the helpers here serve both.

mod credit_notes;
mod orders;

use chrono::{Days, NaiveDate, Utc};
use mainstay::platform::money::parse_units;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::sales::{
    Res, Shop, column, count, errors, fields, free, header, id, ok, organization, pick, refused,
    request, text, units,
};

const INVOICES: &str = "/api/v1/invoices";

/// A created invoice (201) of `body`.
async fn create(shop: &Shop, body: Value) -> Res<Value> {
    Ok(ok(shop.post(INVOICES, body).await?, 201).await)
}

/// A draft invoice of `lines` for the shop's customer.
async fn draft(shop: &Shop, lines: Value) -> Res<Value> {
    create(shop, json!({ "customer_id": shop.cust, "lines": lines })).await
}

/// An issued invoice for `customer` of one free line of `amount`.
async fn issued(shop: &Shop, customer: &str, amount: &str) -> Res<Value> {
    let lines = json!([free("Work", "1", amount)]);
    create(
        shop,
        json!({ "customer_id": customer, "issue": true, "lines": lines }),
    )
    .await
}

/// `POST /invoices/{id}/{action}` (`issue`, `void`).
async fn act(shop: &Shop, inv: &Value, action: &str) -> Res<Response> {
    let path = format!("{INVOICES}/{}/{action}", id(inv)?);
    shop.post(&path, json!({})).await
}

/// The invoice as it is now.
async fn read(shop: &Shop, inv: &Value) -> Res<Value> {
    shop.get(&format!("{INVOICES}/{}", id(inv)?)).await
}

/// Decimal fields of a document in units, however many decimals are written.
fn amounts(doc: &Value, keys: &[&str]) -> Res<Vec<i64>> {
    keys.iter().map(|k| units(&doc[*k])).collect()
}

/// Decimal strings in units.
fn of(values: &[&str]) -> Res<Vec<i64>> {
    values.iter().map(|v| Ok(parse_units(v)?)).collect()
}

const TOTALS: [&str; 4] = ["subtotal", "discount_total", "tax_total", "total"];
const FIGURES: [&str; 4] = ["subtotal", "discount", "tax", "total"];

/// `[amount_paid, credited_amount, balance_due]` of an invoice.
fn owed(inv: &Value) -> Res<Vec<i64>> {
    amounts(inv, &["amount_paid", "credited_amount", "balance_due"])
}

/// A tax rate of `rate` percent collected in account 2100: (rate, account).
async fn tax_rate(shop: &Shop, rate: &str) -> Res<(String, String)> {
    let found = shop.get("/api/v1/accounting/accounts?q=2100").await?;
    let rows = found["data"].as_array().cloned().unwrap_or_default();
    let account = rows
        .iter()
        .find(|a| a["code"] == "2100")
        .ok_or("no account 2100")?;
    let account = id(account)?;
    let body = json!({ "name": format!("Tax {rate}"), "rate": rate, "account_id": account });
    let res = shop.post("/api/v1/accounting/tax-rates", body).await?;
    Ok((id(&ok(res, 201).await)?, account))
}

/// The account of a posting role (`receivable_account_id`, ...).
async fn role(shop: &Shop, name: &str) -> Res<String> {
    text(&shop.get("/api/v1/accounting/settings").await?[name])
}

/// Debit minus credit of an account in units, from a balanced trial balance.
async fn balance(shop: &Shop, account: &str) -> Res<i64> {
    let path = "/api/v1/accounting/reports/trial-balance?as_of=2099-12-31";
    let tb = shop.get(path).await?;
    assert_eq!(tb["total_debit"], tb["total_credit"], "{tb}");
    let rows = tb["accounts"].as_array().cloned().unwrap_or_default();
    match rows.iter().find(|r| r["account_id"] == account) {
        Some(row) => units(&row["balance"]),
        None => Ok(0),
    }
}

/// Receivable, sales revenue and tax (account 2100) balances in units.
async fn ledger(shop: &Shop, tax_account: &str) -> Res<[i64; 3]> {
    let receivable = role(shop, "receivable_account_id").await?;
    let revenue = role(shop, "sales_revenue_account_id").await?;
    Ok([
        balance(shop, &receivable).await?,
        balance(shop, &revenue).await?,
        balance(shop, tax_account).await?,
    ])
}

/// A payment by bank transfer allocating `amount` to `inv`.
async fn pay(shop: &Shop, inv: &Value, amount: &str) -> Res<Value> {
    let body = json!({ "customer_id": inv["customer_id"], "amount": amount, "method": "bank_transfer",
        "allocations": [{ "invoice_id": inv["id"], "amount": amount }] });
    Ok(ok(shop.post("/api/v1/payments", body).await?, 201).await)
}

/// A 422 whose `errors[]` names `field` with `code`.
async fn invalid(res: Res<Response>, field: &str, code: &str) -> Res<Value> {
    let problem = refused(res, 422, "validation_failed").await?;
    let pair = (field.to_string(), code.to_string());
    assert!(errors(&problem).contains(&pair), "{pair:?} in {problem}");
    Ok(problem)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[tokio::test]
async fn an_invoice_rounds_each_line_half_up_and_sums_the_rounded_lines() -> Res {
    let shop = Shop::open().await?;
    let (vat, _) = tax_rate(&shop, "20").await?;
    let (low, _) = tax_rate(&shop, "7.25").await?;
    let taxed = |price: &str, discount: &str, rate: &str| json!({ "description": "Taxed", "quantity": "1", "unit_price": price, "discount_percent": discount, "tax_rate_id": rate });
    let lines = json!([
        free("Ten cents", "3", "0.10"),
        free("An eighth", "1", "0.125"),
        free("Half a cent", "1", "0.005"),
        taxed("10.00", "33.3333", &vat),
        taxed("0.10", "0", &low),
        taxed("0.10", "0", &low),
    ]);
    let inv = draft(&shop, lines).await?;
    // 0.30 exactly; 0.125 -> 0.13 and 0.005 -> 0.01 (half-up); 10.00 - 3.33
    // = 6.67 x 20% = 1.334 -> 1.33; 0.10 x 7.25% -> 0.01 on each line.
    let expected = [
        ["0.30", "0.00", "0.00", "0.30"],
        ["0.13", "0.00", "0.00", "0.13"],
        ["0.01", "0.00", "0.00", "0.01"],
        ["10.00", "3.33", "1.33", "8.00"],
        ["0.10", "0.00", "0.01", "0.11"],
        ["0.10", "0.00", "0.01", "0.11"],
    ];
    for (i, want) in expected.iter().enumerate() {
        let got = amounts(&inv["lines"][i], &FIGURES)?;
        assert_eq!(got, of(want)?, "line {i}: {inv}");
    }
    assert_eq!(column(&inv, "tax_percent")[3..], ["20", "7.25", "7.25"]);
    // The sum of the rounded lines, not the rounded sum.
    let totals = amounts(&inv, &TOTALS)?;
    assert_eq!(totals, of(&["10.64", "3.33", "1.35", "8.66"])?, "{inv}");
    assert_eq!(owed(&inv)?, of(&["0", "0", "8.66"])?);
    assert_eq!(pick(&inv, &["status", "currency"]), ["draft", "EUR"]);
    assert!(inv["journal_entry_id"].is_null(), "a draft posts nothing");
    assert_eq!(inv["overdue"], false);
    Ok(())
}

#[tokio::test]
async fn a_yen_invoice_rounds_every_figure_to_whole_yen() -> Res {
    let shop = Shop::open().await?;
    let tokyo = shop.customer("Tokyo KK", "JPY").await?;
    let (vat, _) = tax_rate(&shop, "20").await?;
    let lines = json!([
        { "description": "Kit", "quantity": "1.5", "unit_price": "333", "discount_percent": "33.3333", "tax_rate_id": vat },
        free("Half yen", "5", "0.5"),
    ]);
    let inv = create(&shop, json!({ "customer_id": tokyo, "lines": lines })).await?;
    assert_eq!(inv["currency"], "JPY", "the customer's currency");
    // 499.5 -> 500; 500 x 33.3333% = 166.67 -> 167; 333 x 20% = 66.6 -> 67;
    // 2.5 -> 3 (half-up).
    let line0 = amounts(&inv["lines"][0], &FIGURES)?;
    assert_eq!(line0, of(&["500", "167", "67", "400"])?, "{inv}");
    let line1 = amounts(&inv["lines"][1], &FIGURES)?;
    assert_eq!(line1, of(&["3", "0", "0", "3"])?, "{inv}");
    let totals = amounts(&inv, &TOTALS)?;
    assert_eq!(totals, of(&["503", "167", "67", "403"])?, "{inv}");
    Ok(())
}

#[tokio::test]
async fn invoice_input_is_checked_naming_each_field() -> Res {
    let shop = Shop::open().await?;
    let lines = json!([
        free("Zero", "0", "1.00"),
        { "description": "No price", "quantity": "1" },
        free("Negative", "1", "-1.00"),
    ]);
    let bad = shop.post(
        INVOICES,
        json!({ "customer_id": shop.cust, "lines": lines }),
    );
    let named = fields(&refused(bad.await, 422, "validation_failed").await?);
    for field in [
        "lines[0].quantity",
        "lines[1].unit_price",
        "lines[2].unit_price",
    ] {
        assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
    }
    let (other, _) = organization(&shop.app).await?;
    let theirs = json!({ "name": "Theirs", "currency": "EUR" });
    let res = request(
        &shop.app,
        Method::POST,
        "/api/v1/customers",
        &other,
        Some(theirs),
        &[],
    );
    let theirs = id(&ok(res.await?, 201).await)?;
    let one = json!([free("A", "1", "1.00")]);
    for (body, field) in [
        (
            json!({ "customer_id": theirs, "lines": one }),
            "customer_id",
        ),
        (json!({ "customer_id": shop.cust, "lines": [] }), "lines"),
        (
            json!({ "customer_id": shop.cust, "lines": vec![free("A", "1", "1.00"); 201] }),
            "lines",
        ),
    ] {
        let problem = refused(shop.post(INVOICES, body).await, 422, "validation_failed").await?;
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    assert_eq!(count(&shop.get(INVOICES).await?), 0);
    Ok(())
}

#[tokio::test]
async fn invoices_are_numbered_in_sequence_from_inv_000001() -> Res {
    let shop = Shop::open().await?;
    let body = json!({ "customer_id": shop.cust, "lines": [free("A", "1", "1.00")] });
    let res = shop.post(INVOICES, body.clone()).await?;
    let (at, etag) = (header(&res, "location"), header(&res, "etag"));
    let first = ok(res, 201).await;
    assert_eq!(at, Some(format!("{INVOICES}/{}", id(&first)?)));
    assert_eq!(etag.as_deref(), Some("\"1\""));
    let second = create(&shop, body).await?;
    assert_eq!(
        [&first["number"], &second["number"]],
        ["INV-000001", "INV-000002"]
    );
    Ok(())
}

#[tokio::test]
async fn the_due_date_defaults_to_the_issue_date_plus_the_customers_payment_terms() -> Res {
    let shop = Shop::open().await?;
    let body = json!({ "name": "Slow payer", "currency": "GBP", "payment_terms_days": 45 });
    let slow = id(&ok(shop.post("/api/v1/customers", body).await?, 201).await)?;
    let lines = json!([free("A", "1", "1.00")]);
    let dated = json!({ "customer_id": slow, "issue_date": "2030-03-01", "lines": lines });
    let inv = create(&shop, dated).await?;
    assert_eq!(
        pick(&inv, &["issue_date", "due_date", "currency"]),
        ["2030-03-01", "2030-04-15", "GBP"]
    );
    let inv = create(&shop, json!({ "customer_id": slow, "lines": lines })).await?;
    let due = today() + Days::new(45);
    assert_eq!(
        pick(&inv, &["issue_date", "due_date"]),
        [today().to_string(), due.to_string()]
    );
    let set = json!({ "customer_id": slow, "issue_date": "2030-03-01", "due_date": "2030-03-05", "lines": lines });
    assert_eq!(create(&shop, set).await?["due_date"], "2030-03-05");
    Ok(())
}

#[tokio::test]
async fn issuing_posts_the_total_to_receivable_and_revenue_and_tax_to_their_accounts() -> Res {
    let shop = Shop::open().await?;
    let (vat, tax_account) = tax_rate(&shop, "20").await?;
    let lines = json!([
        { "description": "Audit", "quantity": "2", "unit_price": "50.00", "tax_rate_id": vat },
        free("Travel", "1", "18.00"),
    ]);
    let body = json!({ "customer_id": shop.cust, "issue": true, "lines": lines });
    let inv = create(&shop, body).await?;
    assert_eq!(inv["status"], "issued");
    assert!(inv["journal_entry_id"].is_string() && inv["issued_at"].is_string());
    assert_eq!(units(&inv["total"])?, parse_units("138.00")?);
    // Dr receivable 138 / Cr revenue 118 / Cr tax 20.
    let expected = of(&["138.00", "-118.00", "-20.00"])?;
    assert_eq!(ledger(&shop, &tax_account).await?.to_vec(), expected);
    let entry = format!(
        "/api/v1/accounting/journal/{}",
        text(&inv["journal_entry_id"])?
    );
    let entry = shop.get(&entry).await?;
    assert_eq!(entry["state"], "posted", "{entry}");
    Ok(())
}

#[tokio::test]
async fn voiding_an_issued_invoice_posts_the_reversal() -> Res {
    let shop = Shop::open().await?;
    let (vat, tax_account) = tax_rate(&shop, "20").await?;
    let lines = json!([{ "description": "Audit", "quantity": "1", "unit_price": "100.00", "tax_rate_id": vat }]);
    let inv = draft(&shop, lines).await?;
    assert_eq!(ledger(&shop, &tax_account).await?, [0, 0, 0]);
    let now = ok(act(&shop, &inv, "issue").await?, 200).await;
    assert_eq!(now["status"], "issued");
    let posted = of(&["120.00", "-100.00", "-20.00"])?;
    assert_eq!(ledger(&shop, &tax_account).await?.to_vec(), posted);
    let void = ok(act(&shop, &inv, "void").await?, 200).await;
    assert_eq!(void["status"], "void");
    assert!(void["voided_at"].is_string(), "{void}");
    assert_eq!(read(&shop, &inv).await?["voided_at"], void["voided_at"]);
    assert_eq!(ledger(&shop, &tax_account).await?, [0, 0, 0]);
    assert_eq!(read(&shop, &inv).await?["status"], "void");
    Ok(())
}

#[tokio::test]
async fn five_concurrent_issues_of_one_draft_post_it_once() -> Res {
    let shop = Shop::open().await?;
    let inv = draft(&shop, json!([free("A", "1", "100.00")])).await?;
    let tries = (0..5).map(|_| act(&shop, &inv, "issue"));
    let mut statuses = Vec::new();
    for res in futures::future::join_all(tries).await {
        statuses.push(res?.status().as_u16());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409]);
    let receivable = role(&shop, "receivable_account_id").await?;
    assert_eq!(balance(&shop, &receivable).await?, parse_units("100")?);
    Ok(())
}

#[tokio::test]
async fn illegal_invoice_transitions_are_409_invalid_state() -> Res {
    let shop = Shop::open().await?;
    let inv = draft(&shop, json!([free("A", "1", "10.00")])).await?;
    refused(act(&shop, &inv, "void").await, 409, "invalid_state").await?;
    ok(act(&shop, &inv, "issue").await?, 200).await;
    refused(act(&shop, &inv, "issue").await, 409, "invalid_state").await?;
    let path = format!("{INVOICES}/{}", id(&inv)?);
    let patch = shop.patch(&path, json!({ "notes": "late" }), None).await;
    refused(patch, 409, "invalid_state").await?;
    let delete = request(&shop.app, Method::DELETE, &path, &shop.owner, None, &[]).await;
    refused(delete, 409, "invalid_state").await?;
    ok(act(&shop, &inv, "void").await?, 200).await;
    for action in ["void", "issue"] {
        refused(act(&shop, &inv, action).await, 409, "invalid_state").await?;
    }
    assert_eq!(read(&shop, &inv).await?["notes"], inv["notes"]);
    Ok(())
}

#[tokio::test]
async fn voiding_a_partially_paid_invoice_is_409_invalid_state() -> Res {
    let shop = Shop::open().await?;
    let inv = issued(&shop, &shop.cust, "100.00").await?;
    pay(&shop, &inv, "30.00").await?;
    let now = read(&shop, &inv).await?;
    assert_eq!(now["status"], "partially_paid");
    assert_eq!(owed(&now)?, of(&["30.00", "0", "70.00"])?);
    refused(act(&shop, &inv, "void").await, 409, "invalid_state").await?;
    assert_eq!(read(&shop, &inv).await?["status"], "partially_paid");
    Ok(())
}

#[tokio::test]
async fn a_draft_is_patched_under_if_match_and_a_stale_version_is_412() -> Res {
    let shop = Shop::open().await?;
    let inv = draft(&shop, json!([free("A", "1", "10.00")])).await?;
    let path = format!("{INVOICES}/{}", id(&inv)?);
    let change = json!({ "notes": "New scope", "due_date": "2031-01-31", "lines": [free("B", "3", "0.10"), free("C", "1", "0.125")] });
    let res = shop.patch(&path, change, Some("\"1\"")).await?;
    assert_eq!(header(&res, "etag").as_deref(), Some("\"2\""));
    let changed = ok(res, 200).await;
    assert_eq!(column(&changed, "description"), ["B", "C"]);
    assert_eq!(units(&changed["total"])?, parse_units("0.43")?);
    assert_eq!(changed["due_date"], "2031-01-31");
    let stale = shop.patch(&path, json!({ "notes": "x" }), Some("\"1\""));
    refused(stale.await, 412, "version_mismatch").await?;
    assert_eq!(read(&shop, &inv).await?["notes"], "New scope");
    let unconditional = shop.patch(&path, json!({ "notes": "Last" }), None).await?;
    assert_eq!(ok(unconditional, 200).await["notes"], "Last");
    Ok(())
}

#[tokio::test]
async fn a_deleted_draft_is_gone() -> Res {
    let shop = Shop::open().await?;
    let inv = draft(&shop, json!([free("A", "1", "10.00")])).await?;
    let path = format!("{INVOICES}/{}", id(&inv)?);
    let res = request(&shop.app, Method::DELETE, &path, &shop.owner, None, &[]).await?;
    assert_eq!(res.status(), 204);
    let res = request(&shop.app, Method::GET, &path, &shop.owner, None, &[]).await;
    refused(res, 404, "not_found").await?;
    assert_eq!(count(&shop.get(INVOICES).await?), 0);
    Ok(())
}

/// The sorted numbers an invoice list answers.
async fn listed(shop: &Shop, query: &str) -> Res<Vec<String>> {
    let page = shop.get(&format!("{INVOICES}?{query}")).await?;
    let rows = page["data"].as_array().cloned().unwrap_or_default();
    let mut numbers: Vec<String> = rows
        .iter()
        .map(|r| text(&r["number"]))
        .collect::<Res<_>>()?;
    numbers.sort();
    Ok(numbers)
}

/// Acme: INV-1 (2030-01-10, 10.00, issued), INV-2 (2030-02-10, 100.00,
/// draft); Beta: INV-3 (2030-03-10, 1000.00, issued). Returns Beta.
async fn three_invoices(shop: &Shop) -> Res<String> {
    let beta = shop.customer("Beta", "EUR").await?;
    let plan = [
        (&shop.cust, "2030-01-10", "10.00", true),
        (&shop.cust, "2030-02-10", "100.00", false),
        (&beta, "2030-03-10", "1000.00", true),
    ];
    for (cust, date, price, issue) in plan {
        let body = json!({ "customer_id": cust, "issue_date": date, "due_date": "2099-01-01", "issue": issue, "lines": [free("X", "1", price)] });
        create(shop, body).await?;
    }
    Ok(beta)
}

#[tokio::test]
async fn invoices_filter_by_status_customer_total_and_issue_date() -> Res {
    let shop = Shop::open().await?;
    let beta = three_invoices(&shop).await?;
    let n = |s: &[&str]| {
        s.iter()
            .map(|x| format!("INV-00000{x}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(&shop, "").await?, n(&["1", "2", "3"]));
    assert_eq!(listed(&shop, "status=draft").await?, n(&["2"]));
    assert_eq!(listed(&shop, "status=issued").await?, n(&["1", "3"]));
    let theirs = format!("customer_id={beta}");
    assert_eq!(listed(&shop, &theirs).await?, n(&["3"]));
    let acme = format!("customer_id={}&status=issued", shop.cust);
    assert_eq!(listed(&shop, &acme).await?, n(&["1"]));
    assert_eq!(listed(&shop, "min_total=50").await?, n(&["2", "3"]));
    assert_eq!(listed(&shop, "max_total=500").await?, n(&["1", "2"]));
    assert_eq!(
        listed(&shop, "min_total=50&max_total=500").await?,
        n(&["2"])
    );
    let range = "issue_date_from=2030-02-10&issue_date_to=2030-03-10";
    assert_eq!(listed(&shop, range).await?, n(&["2", "3"]), "inclusive");
    assert_eq!(listed(&shop, "issue_date_to=2030-01-31").await?, n(&["1"]));
    let summary = &shop.get(&format!("{INVOICES}?{theirs}")).await?["data"][0];
    assert!(summary.get("lines").is_none() && summary.get("allocations").is_none());
    assert_eq!(units(&summary["balance_due"])?, parse_units("1000")?);
    Ok(())
}

#[tokio::test]
async fn overdue_lists_only_open_invoices_past_their_due_date() -> Res {
    let shop = Shop::open().await?;
    let line = json!([free("X", "1", "5.00")]);
    let plan = [
        ("2020-01-31", true),
        ("2099-01-31", true),
        ("2020-01-31", false),
    ];
    let mut made = Vec::new();
    for (due, issue) in plan {
        let body = json!({ "customer_id": shop.cust, "issue_date": "2020-01-01", "due_date": due, "issue": issue, "lines": line });
        made.push(create(&shop, body).await?);
    }
    let flags: Vec<&Value> = made.iter().map(|i| &i["overdue"]).collect();
    assert_eq!(flags, [true, false, false], "a draft is not overdue");
    assert_eq!(listed(&shop, "overdue=true").await?, ["INV-000001"]);
    pay(&shop, &made[0], "5.00").await?;
    let paid = read(&shop, &made[0]).await?;
    assert_eq!(pick(&paid, &["status", "overdue"]), ["paid", "false"]);
    assert!(listed(&shop, "overdue=true").await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_cursor_walks_every_invoice_exactly_once() -> Res {
    let shop = Shop::open().await?;
    for i in 0..7 {
        draft(&shop, json!([free("X", "1", &format!("{i}.00"))])).await?;
    }
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let mut path = format!("{INVOICES}?limit=3");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = shop.get(&path).await?;
        assert!(count(&page) <= 3);
        for row in page["data"].as_array().cloned().unwrap_or_default() {
            seen.push(text(&row["number"])?);
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen.sort();
    let all: Vec<String> = (1..=7).map(|n| format!("INV-00000{n}")).collect();
    assert_eq!((seen, pages), (all, 3));
    Ok(())
}

#[tokio::test]
async fn an_invoice_as_pdf_shows_its_number_customer_and_total() -> Res {
    let shop = Shop::open().await?;
    let inv = issued(&shop, &shop.cust, "118.00").await?;
    let path = format!("{INVOICES}/{}", id(&inv)?);
    let accept = [("Accept", "application/pdf")];
    let res = request(&shop.app, Method::GET, &path, &shop.owner, None, &accept).await?;
    assert_eq!(res.status(), 200);
    let ct = header(&res, "content-type").unwrap_or_default();
    assert!(ct.starts_with("application/pdf"), "{ct}");
    let bytes = res.bytes().await?;
    assert!(bytes.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&bytes)?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let words = doc.extract_text(&pages)?;
    for needle in ["INV-000001", "Acme", "118.00", "Test Org"] {
        assert!(words.contains(needle), "{needle} in {words}");
    }
    Ok(())
}

#[tokio::test]
async fn another_organizations_invoices_and_credit_notes_are_not_found() -> Res {
    let shop = Shop::open().await?;
    let inv = issued(&shop, &shop.cust, "100.00").await?;
    let cn = ok(
        shop.post(
            "/api/v1/credit-notes",
            json!({ "invoice_id": inv["id"], "amount": "1.00" }),
        )
        .await?,
        201,
    )
    .await;
    let before = read(&shop, &inv).await?;
    let (other, _) = organization(&shop.app).await?;
    let path = format!("{INVOICES}/{}", id(&inv)?);
    let cn_path = format!("/api/v1/credit-notes/{}", id(&cn)?);
    let tries = [
        (Method::GET, path.clone(), None),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({ "notes": "Hijacked" })),
        ),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/void"), Some(json!({}))),
        (Method::GET, cn_path.clone(), None),
        (
            Method::POST,
            format!("{cn_path}/allocate"),
            Some(json!({ "allocations": [{ "invoice_id": inv["id"], "amount": "1.00" }] })),
        ),
    ];
    for (method, path, body) in tries {
        let res = request(&shop.app, method, &path, &other, body, &[]).await;
        refused(res, 404, "not_found").await?;
    }
    let theirs = request(&shop.app, Method::GET, INVOICES, &other, None, &[]).await?;
    assert_eq!(count(&ok(theirs, 200).await), 0);
    assert_eq!(read(&shop, &inv).await?, before, "nothing changed");
    Ok(())
}
