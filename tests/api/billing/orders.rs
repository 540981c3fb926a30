//! Billing a sales order: on delivered quantities only what shipped, on
//! ordered quantities everything; each unit is billed once, even when
//! requests race.

use mainstay::platform::money::parse_units;
use reqwest::Response;
use serde_json::{Value, json};

use super::INVOICES;
use crate::sales::{Res, Shop, column, count, header, id, line, ok, pick, refused, text, units};

/// A confirmed order of 5 of P and 2 of R (10 of each in stock, sold at 4.00).
async fn confirmed(shop: &Shop) -> Res<Value> {
    let p = shop.stocked("P", "10").await?;
    let r = shop.stocked("R", "10").await?;
    let so = shop.order(json!([line(&p, "5"), line(&r, "2")])).await?;
    ok(shop.act(&so, "confirm").await?, 200).await;
    Ok(so)
}

/// `POST /sales-orders/{id}/invoice` on `basis`.
async fn bill(shop: &Shop, so: &Value, basis: &str) -> Res<Response> {
    let path = format!("/api/v1/sales-orders/{}/invoice", id(so)?);
    shop.post(&path, json!({ "basis": basis })).await
}

#[tokio::test]
async fn billing_an_order_on_delivered_quantities_bills_only_what_shipped() -> Res {
    let shop = Shop::open().await?;
    let so = confirmed(&shop).await?;
    ok(shop.fulfil(&so, &[(0, "3")]).await?, 201).await;
    let res = bill(&shop, &so, "delivered").await?;
    let at = header(&res, "location");
    let inv = ok(res, 201).await;
    assert_eq!(at, Some(format!("{INVOICES}/{}", id(&inv)?)));
    assert_eq!(
        pick(&inv, &["sales_order_id", "customer_id", "status"]),
        [id(&so)?.as_str(), &shop.cust, "draft"]
    );
    assert_eq!(column(&inv, "quantity"), ["3"]);
    assert_eq!(
        column(&inv, "sales_order_line_id"),
        [text(&so["lines"][0]["id"])?]
    );
    assert_eq!(units(&inv["total"])?, parse_units("12.00")?);
    let order = shop.read(&so).await?;
    assert_eq!(column(&order, "invoiced_quantity"), ["3", "0"]);
    let listed = shop
        .get(&format!("{INVOICES}?sales_order_id={}", id(&so)?))
        .await?;
    assert_eq!(count(&listed), 1);
    Ok(())
}

#[tokio::test]
async fn a_second_invoice_bills_the_rest_once_shipped_and_a_third_has_nothing_to_bill() -> Res {
    let shop = Shop::open().await?;
    let so = confirmed(&shop).await?;
    ok(shop.fulfil(&so, &[(0, "3")]).await?, 201).await;
    ok(bill(&shop, &so, "delivered").await?, 201).await;
    refused(
        bill(&shop, &so, "delivered").await,
        422,
        "nothing_to_invoice",
    )
    .await?;
    ok(shop.fulfil(&so, &[(0, "2"), (1, "2")]).await?, 201).await;
    let second = ok(bill(&shop, &so, "delivered").await?, 201).await;
    assert_eq!(second["number"], "INV-000002");
    assert_eq!(column(&second, "quantity"), ["2", "2"]);
    assert_eq!(units(&second["total"])?, parse_units("16.00")?);
    assert_eq!(
        column(&shop.read(&so).await?, "invoiced_quantity"),
        ["5", "2"]
    );
    refused(
        bill(&shop, &so, "delivered").await,
        422,
        "nothing_to_invoice",
    )
    .await?;
    refused(bill(&shop, &so, "ordered").await, 422, "nothing_to_invoice").await?;
    assert_eq!(count(&shop.get(INVOICES).await?), 2);
    Ok(())
}

#[tokio::test]
async fn billing_on_ordered_quantities_bills_everything_before_shipping() -> Res {
    let shop = Shop::open().await?;
    let so = confirmed(&shop).await?;
    let path = format!("/api/v1/sales-orders/{}/invoice", id(&so)?);
    let body = json!({ "basis": "ordered", "issue": true, "issue_date": "2030-05-01" });
    let inv = ok(shop.post(&path, body).await?, 201).await;
    assert_eq!(column(&inv, "quantity"), ["5", "2"]);
    assert_eq!(column(&inv, "unit_price"), ["4.00", "4.00"]);
    assert_eq!(
        pick(&inv, &["status", "issue_date"]),
        ["issued", "2030-05-01"]
    );
    assert_eq!(units(&inv["total"])?, parse_units("28.00")?);
    assert_eq!(
        column(&shop.read(&so).await?, "invoiced_quantity"),
        ["5", "2"]
    );
    refused(
        bill(&shop, &so, "delivered").await,
        422,
        "nothing_to_invoice",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_draft_or_cancelled_order_is_not_billed() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let so = shop.order(json!([line(&p, "1")])).await?;
    refused(bill(&shop, &so, "ordered").await, 409, "invalid_state").await?;
    ok(shop.act(&so, "cancel").await?, 200).await;
    refused(bill(&shop, &so, "ordered").await, 409, "invalid_state").await?;
    assert_eq!(count(&shop.get(INVOICES).await?), 0);
    Ok(())
}

#[tokio::test]
async fn five_concurrent_billings_of_one_order_bill_each_unit_once() -> Res {
    let shop = Shop::open().await?;
    let so = confirmed(&shop).await?;
    let tries = (0..5).map(|_| bill(&shop, &so, "ordered"));
    let mut answers = Vec::new();
    for res in futures::future::join_all(tries).await {
        let res = res?;
        let status = res.status().as_u16();
        let body: Value = res.json().await?;
        answers.push((status, body));
    }
    answers.sort_by_key(|(status, _)| *status);
    let made = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(made, 1, "{answers:?}");
    // A request that lost the race finds nothing left, as one sent later would.
    for (status, problem) in &answers[1..] {
        assert_eq!(
            (*status, &problem["code"]),
            (422, &json!("nothing_to_invoice")),
            "{problem}"
        );
    }
    assert_eq!(
        column(&shop.read(&so).await?, "invoiced_quantity"),
        ["5", "2"]
    );
    assert_eq!(count(&shop.get(INVOICES).await?), 1);
    Ok(())
}
