//! Credit notes: a credit lowers an invoice's balance and posts revenue (and
//! tax) against receivable; more than was invoiced is refused; a credit
//! beyond the open balance stays with the customer for another invoice.

use serde_json::{Value, json};

use super::{
    act, amounts, balance, create, draft, invalid, issued, ledger, of, owed, pay, read, role,
    tax_rate,
};
use crate::sales::{Res, Shop, column, count, fields, free, id, ok, pick, refused};
use mainstay::platform::money::parse_units;
use reqwest::Response;

/// `POST /credit-notes`.
async fn credit(shop: &Shop, body: Value) -> Res<Response> {
    shop.post("/api/v1/credit-notes", body).await
}

/// An issued invoice for the shop's customer of 2 x 50.00 taxed at 20%
/// (120.00), and the tax account.
async fn taxed_invoice(shop: &Shop) -> Res<(Value, String)> {
    let (vat, tax_account) = tax_rate(shop, "20").await?;
    let lines = json!([{ "description": "Audit", "quantity": "2", "unit_price": "50.00", "tax_rate_id": vat }]);
    let body = json!({ "customer_id": shop.cust, "issue": true, "lines": lines });
    Ok((create(shop, body).await?, tax_account))
}

#[tokio::test]
async fn a_line_credit_lowers_the_balance_and_posts_revenue_against_receivable() -> Res {
    let shop = Shop::open().await?;
    let (inv, tax_account) = taxed_invoice(&shop).await?;
    let lines = json!([{ "invoice_line_id": inv["lines"][0]["id"], "quantity": "1" }]);
    let body = json!({ "invoice_id": inv["id"], "reason": "One damaged", "lines": lines });
    let cn = ok(credit(&shop, body).await?, 201).await;
    let keys = ["number", "invoice_id", "customer_id", "reason"];
    assert_eq!(
        pick(&cn, &keys),
        ["CN-000001", &id(&inv)?, &shop.cust, "One damaged"]
    );
    let keys = [
        "subtotal",
        "tax_total",
        "total",
        "allocated_amount",
        "unallocated_amount",
    ];
    assert_eq!(amounts(&cn, &keys)?, of(&["50", "10", "60", "60", "0"])?);
    let now = read(&shop, &inv).await?;
    assert_eq!(owed(&now)?, of(&["60", "60", "60"])?, "{now}");
    assert_eq!(column(&now, "credited_quantity"), ["1"]);
    let allocation = &now["allocations"][0];
    assert_eq!(
        pick(allocation, &["source_type", "source_id"]),
        ["credit_note", &id(&cn)?]
    );
    // Dr revenue 50 + Dr tax 10 / Cr receivable 60, on 120 / 100 / 20.
    let expected = of(&["60", "-50", "-10"])?;
    assert_eq!(ledger(&shop, &tax_account).await?.to_vec(), expected);
    refused(act(&shop, &inv, "void").await, 409, "invalid_state").await?;
    Ok(())
}

#[tokio::test]
async fn crediting_more_than_was_invoiced_is_422() -> Res {
    let shop = Shop::open().await?;
    let (inv, _) = taxed_invoice(&shop).await?;
    let by_line = |q: &str| json!({ "invoice_id": inv["id"], "lines": [{ "invoice_line_id": inv["lines"][0]["id"], "quantity": q }] });
    let over = credit(&shop, by_line("3")).await;
    invalid(over, "lines[0].quantity", "over_credited").await?;
    ok(credit(&shop, by_line("1")).await?, 201).await;
    let over = credit(&shop, by_line("2")).await;
    invalid(over, "lines[0].quantity", "over_credited").await?;
    // 60.00 of 120.00 is credited: a net amount of up to 60.00 remains.
    let by_amount = |a: &str| json!({ "invoice_id": inv["id"], "amount": a });
    let over = credit(&shop, by_amount("60.01")).await;
    let problem = refused(over, 422, "validation_failed").await?;
    assert_eq!(fields(&problem), ["amount"], "{problem}");
    let both = json!({ "invoice_id": inv["id"], "amount": "1.00", "lines": by_line("1")["lines"] });
    let neither = json!({ "invoice_id": inv["id"] });
    for body in [both, neither] {
        refused(credit(&shop, body).await, 422, "validation_failed").await?;
    }
    let notes = shop
        .get(&format!("/api/v1/credit-notes?invoice_id={}", id(&inv)?))
        .await?;
    assert_eq!(count(&notes), 1);
    Ok(())
}

#[tokio::test]
async fn a_draft_or_void_invoice_is_not_credited() -> Res {
    let shop = Shop::open().await?;
    let inv = draft(&shop, json!([free("A", "1", "10.00")])).await?;
    let body = json!({ "invoice_id": inv["id"], "amount": "1.00" });
    refused(credit(&shop, body.clone()).await, 409, "invalid_state").await?;
    ok(act(&shop, &inv, "issue").await?, 200).await;
    ok(act(&shop, &inv, "void").await?, 200).await;
    refused(credit(&shop, body).await, 409, "invalid_state").await?;
    let notes = shop.get("/api/v1/credit-notes").await?;
    assert_eq!(count(&notes), 0);
    Ok(())
}

#[tokio::test]
async fn a_credit_beyond_the_open_balance_is_customer_credit_for_another_invoice() -> Res {
    let shop = Shop::open().await?;
    let first = issued(&shop, &shop.cust, "100.00").await?;
    pay(&shop, &first, "80.00").await?;
    let body = json!({ "invoice_id": first["id"], "amount": "50.00" });
    let cn = ok(credit(&shop, body).await?, 201).await;
    let split = ["total", "allocated_amount", "unallocated_amount"];
    assert_eq!(amounts(&cn, &split)?, of(&["50", "20", "30"])?);
    let now = read(&shop, &first).await?;
    assert_eq!(pick(&now, &["status"]), ["paid"]);
    assert_eq!(owed(&now)?, of(&["100", "50", "0"])?, "{now}");
    // Receivable: 100 - 80 paid - 50 credited = -30, the customer's credit.
    let receivable = role(&shop, "receivable_account_id").await?;
    assert_eq!(balance(&shop, &receivable).await?, parse_units("-30")?);

    let second = issued(&shop, &shop.cust, "100.00").await?;
    let path = format!("/api/v1/credit-notes/{}/allocate", id(&cn)?);
    let body = json!({ "allocations": [{ "invoice_id": second["id"], "amount": "30.00" }] });
    let cn = ok(shop.post(&path, body).await?, 200).await;
    assert_eq!(amounts(&cn, &split)?, of(&["50", "50", "0"])?);
    let now = read(&shop, &second).await?;
    assert_eq!(owed(&now)?, of(&["30", "0", "70"])?, "{now}");
    assert_eq!(now["allocations"][0]["source_type"], "credit_note");
    assert_eq!(balance(&shop, &receivable).await?, parse_units("70")?);
    let listed = shop
        .get(&format!("/api/v1/credit-notes?customer_id={}", shop.cust))
        .await?;
    assert_eq!(count(&listed), 1);
    Ok(())
}
