//! Billing against the ledger: money received and paid never allocates more
//! than is owed, even under concurrent requests; the receivable and payable
//! accounts always equal what the documents say is owed (`model`); bills of a
//! purchase order stop at what was received; aging and statements read the
//! same balances (`reports`). The helpers here are shared by both submodules.

mod model;
mod reports;

use futures::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::assert_problem;
use crate::inventory::product;
use crate::procurement::{purchase_order, supplier};
use crate::sales::{Res, Shop, errors, free, header, id, ok, refused, request, text, units};

/// An amount as cents: values compared exactly, however many decimals are
/// written; a fraction of a cent fails the test.
pub(super) fn cents(v: &Value) -> Res<i64> {
    let u = units(v)?;
    assert_eq!(u % 100, 0, "{v} is not a whole number of cents");
    Ok(u / 100)
}

/// Cents (not negative) as a request amount.
pub(super) fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Every row of a list, following the cursor.
pub(super) async fn all(shop: &Shop, path: &str) -> Res<Vec<Value>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}{sep}limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = shop.get(&url).await?;
        rows.extend(page["data"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Ok(rows),
        }
    }
}

/// The id of the account mapped to a posting role (`receivable_account_id`, ...).
pub(super) async fn role(shop: &Shop, name: &str) -> Res<String> {
    text(&shop.get("/api/v1/accounting/settings").await?[name])
}

/// The id of the chart's account `code`.
pub(super) async fn account(shop: &Shop, code: &str) -> Res<String> {
    let chart = shop.get("/api/v1/accounting/accounts").await?;
    let accounts = chart["data"].as_array().cloned().unwrap_or_default();
    let found = accounts.iter().find(|a| a["code"] == code);
    id(found.ok_or_else(|| format!("no account {code}"))?)
}

/// A tax rate of `rate` percent collected in account 2100.
pub(super) async fn tax_rate(shop: &Shop, rate: &str) -> Res<String> {
    let body = json!({ "name": format!("Tax {rate}"), "rate": rate, "account_id": account(shop, "2100").await? });
    id(&ok(shop.post("/api/v1/accounting/tax-rates", body).await?, 201).await)
}

/// Debit less credit of an account on a trial balance (0 without postings).
pub(super) fn balance_in(tb: &Value, account: &str) -> Res<i64> {
    let rows = tb["accounts"]
        .as_array()
        .ok_or("a trial balance without accounts")?;
    match rows.iter().find(|r| r["account_id"] == account) {
        Some(r) => Ok(cents(&r["debit"])? - cents(&r["credit"])?),
        None => Ok(0),
    }
}

/// Today's trial balance.
pub(super) async fn trial_balance(shop: &Shop) -> Res<Value> {
    shop.get("/api/v1/accounting/reports/trial-balance").await
}

/// An issued invoice of `lines` for the shop's customer.
async fn issued(shop: &Shop, lines: Value) -> Res<Value> {
    let body = json!({ "customer_id": shop.cust, "issue": true, "lines": lines });
    Ok(ok(shop.post("/api/v1/invoices", body).await?, 201).await)
}

/// A payment by the shop's customer of `amount` in cash, allocated as given.
fn payment(shop: &Shop, amount: &str, allocations: &[(&str, &str)]) -> Value {
    let allocations: Vec<Value> = allocations
        .iter()
        .map(|(invoice, a)| json!({ "invoice_id": invoice, "amount": a }))
        .collect();
    json!({ "customer_id": shop.cust, "amount": amount, "method": "bank_transfer", "allocations": allocations })
}

/// Counts 2xx answers of `created` and problems `code` (409); anything else fails.
async fn tally(results: Vec<Res<Response>>, created: u16, code: &str) -> Res<(usize, usize)> {
    let (mut done, mut refused) = (0, 0);
    for res in results {
        let res = res?;
        if res.status().as_u16() == created {
            done += 1;
        } else {
            assert_problem(res, 409, code).await;
            refused += 1;
        }
    }
    Ok((done, refused))
}

/// `[status, amount_paid, balance_due]` of an invoice as it is now.
async fn paid(shop: &Shop, invoice: &Value) -> Res<(String, i64, i64)> {
    let now = shop
        .get(&format!("/api/v1/invoices/{}", id(invoice)?))
        .await?;
    let (status, amount_paid) = (text(&now["status"])?, cents(&now["amount_paid"])?);
    Ok((status, amount_paid, cents(&now["balance_due"])?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_payments_of_ten_against_one_invoice_of_one_hundred_pay_it_exactly() -> Res
{
    let shop = Shop::open().await?;
    let invoice = issued(&shop, json!([free("Audit", "1", "100.00")])).await?;
    let body = payment(&shop, "10.00", &[(&id(&invoice)?, "10.00")]);
    let results = join_all((0..20).map(|_| shop.post("/api/v1/payments", body.clone()))).await;
    assert_eq!(tally(results, 201, "over_allocated").await?, (10, 10));
    assert_eq!(paid(&shop, &invoice).await?, ("paid".into(), 10_000, 0));
    let receivable = role(&shop, "receivable_account_id").await?;
    assert_eq!(balance_in(&trial_balance(&shop).await?, &receivable)?, 0);
    // A refused payment recorded nothing: ten payments of 10.00.
    let payments = all(&shop, "/api/v1/payments").await?;
    let amounts: Vec<i64> = payments
        .iter()
        .map(|p| cents(&p["amount"]))
        .collect::<Res<_>>()?;
    assert_eq!(amounts, [1_000; 10]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_allocations_of_one_payments_credit_never_overpay() -> Res {
    let shop = Shop::open().await?;
    let invoice = issued(&shop, json!([free("Audit", "1", "100.00")])).await?;
    let credit = ok(
        shop.post("/api/v1/payments", payment(&shop, "200.00", &[]))
            .await?,
        201,
    )
    .await;
    assert_eq!(cents(&credit["unallocated_amount"])?, 20_000);
    let path = format!("/api/v1/payments/{}/allocate", id(&credit)?);
    let body = json!({ "allocations": [{ "invoice_id": id(&invoice)?, "amount": "10.00" }] });
    let results = join_all((0..20).map(|_| shop.post(&path, body.clone()))).await;
    assert_eq!(tally(results, 200, "over_allocated").await?, (10, 10));
    assert_eq!(paid(&shop, &invoice).await?, ("paid".into(), 10_000, 0));
    let now = shop
        .get(&format!("/api/v1/payments/{}", id(&credit)?))
        .await?;
    let split = (
        cents(&now["allocated_amount"])?,
        cents(&now["unallocated_amount"])?,
    );
    assert_eq!(split, (10_000, 10_000), "{now}");
    assert_eq!(now["allocations"].as_array().map(Vec::len), Some(10));
    Ok(())
}

#[tokio::test]
async fn a_retried_payment_with_the_same_idempotency_key_records_one_payment() -> Res {
    let shop = Shop::open().await?;
    let invoice = issued(&shop, json!([free("Audit", "1", "100.00")])).await?;
    let body = payment(&shop, "40.00", &[(&id(&invoice)?, "40.00")]);
    let headers = [("Idempotency-Key", "payment-7")];
    let send = || {
        let path = "/api/v1/payments";
        request(
            &shop.app,
            Method::POST,
            path,
            &shop.owner,
            Some(body.clone()),
            &headers,
        )
    };
    let first = ok(send().await?, 201).await;
    let again = send().await?;
    assert_eq!(
        header(&again, "idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(ok(again, 201).await, first, "the first response, replayed");
    assert_eq!(all(&shop, "/api/v1/payments").await?.len(), 1);
    assert_eq!(
        paid(&shop, &invoice).await?,
        ("partially_paid".into(), 4_000, 6_000)
    );
    let receivable = role(&shop, "receivable_account_id").await?;
    assert_eq!(
        balance_in(&trial_balance(&shop).await?, &receivable)?,
        6_000
    );
    Ok(())
}

/// Receives `qty` of a purchase order's first line.
async fn receive_first_line(shop: &Shop, po: &Value, qty: &str) -> Res {
    let body = json!({ "lines": [{ "line_id": text(&po["lines"][0]["id"])?, "quantity": qty }] });
    let path = format!("/api/v1/purchase-orders/{}/receive", id(po)?);
    ok(shop.post(&path, body).await?, 201).await;
    Ok(())
}

/// `(account, debit, credit)` of each line of a journal entry, sorted.
async fn postings(shop: &Shop, entry: &Value) -> Res<Vec<(String, i64, i64)>> {
    let entry = shop
        .get(&format!("/api/v1/accounting/journal/{}", text(entry)?))
        .await?;
    let lines = entry["lines"].as_array().cloned().unwrap_or_default();
    let mut out = lines
        .iter()
        .map(|l| {
            Ok((
                text(&l["account_id"])?,
                cents(&l["debit"])?,
                cents(&l["credit"])?,
            ))
        })
        .collect::<Res<Vec<_>>>()?;
    out.sort();
    Ok(out)
}

#[tokio::test]
async fn billing_a_purchase_order_is_limited_to_what_was_received() -> Res {
    let shop = Shop::open().await?;
    let (app, owner) = (&shop.app, &shop.owner);
    let bolt = product(app, owner, "BOLT").await;
    let vendor = supplier(app, owner, "Acme Fasteners").await;
    let po = purchase_order(
        app,
        owner,
        &vendor,
        Some(&shop.wh),
        &[(&bolt, "10", Some("1.50"))],
    )
    .await;
    ok(
        shop.post(
            &format!("/api/v1/purchase-orders/{}/order", id(&po)?),
            json!({}),
        )
        .await?,
        200,
    )
    .await;
    receive_first_line(&shop, &po, "4").await?;
    let line = text(&po["lines"][0]["id"])?;
    let bill = |qty: &str| {
        let lines = json!([{ "purchase_order_line_id": line, "quantity": qty }]);
        let body = json!({ "supplier_id": vendor, "purchase_order_id": po["id"], "issue": true, "lines": lines });
        shop.post("/api/v1/bills", body)
    };
    let over_billed = || vec![("lines[0].quantity".to_string(), "over_billed".to_string())];

    let problem = refused(bill("5").await, 422, "validation_failed").await?;
    assert_eq!(
        errors(&problem),
        over_billed(),
        "5 of 4 received: {problem}"
    );
    let billed = ok(bill("4").await?, 201).await;
    assert_eq!(
        units(&billed["lines"][0]["unit_price"])?,
        15_000,
        "the PO line's unit cost"
    );
    assert_eq!(
        (&billed["status"], cents(&billed["total"])?),
        (&json!("issued"), 600)
    );
    let (grni, payable) = (
        role(&shop, "goods_received_account_id").await?,
        role(&shop, "payable_account_id").await?,
    );
    let mut want = vec![(grni, 600, 0), (payable, 0, 600)];
    want.sort();
    assert_eq!(postings(&shop, &billed["journal_entry_id"]).await?, want);

    let problem = refused(bill("1").await, 422, "validation_failed").await?;
    assert_eq!(
        errors(&problem),
        over_billed(),
        "all 4 received are billed: {problem}"
    );
    receive_first_line(&shop, &po, "1").await?;
    ok(bill("1").await?, 201).await;
    Ok(())
}
