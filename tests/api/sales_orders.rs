//! Sales orders through HTTP: confirmation reserves every stock line or none
//! (even under 30 concurrent confirmations), backorders, Idempotency-Key on
//! confirm, If-Match on edits, the order lists and customer summary, and
//! tenant isolation of orders and quotes.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::sales::{
    Res, Shop, column, count, errors, fields, free, header, id, line, ok, organization, pick,
    refused, request, state, text,
};

#[tokio::test]
async fn an_order_takes_the_default_warehouse_the_customers_currency_and_the_products_price() -> Res
{
    let mut shop = Shop::open().await?;
    shop.cust = shop.customer("Britannia", "GBP").await?;
    let p = shop.stocked("BOLT", "10").await?;
    let body = json!({ "customer_id": shop.cust, "requested_delivery_date": "2030-05-01", "notes": "Gate 2", "lines": [line(&p, "3")] });
    let res = shop.post("/api/v1/sales-orders", body).await?;
    assert_eq!(header(&res, "etag").as_deref(), Some("\"1\""));
    let at = header(&res, "location");
    let so = ok(res, 201).await;
    assert_eq!(at, Some(format!("/api/v1/sales-orders/{}", id(&so)?)));
    let keys = [
        "number",
        "status",
        "warehouse_id",
        "currency",
        "requested_delivery_date",
        "notes",
        "total",
        "backordered",
    ];
    let expected = [
        "SO-000001",
        "draft",
        &shop.wh,
        "GBP",
        "2030-05-01",
        "Gate 2",
        "12.00",
        "false",
    ];
    assert_eq!(pick(&so, &keys), expected);
    assert!(
        so["order_date"].is_string() && so["quote_id"].is_null() && so["confirmed_at"].is_null()
    );
    let keys = [
        "unit_price",
        "total",
        "stocked",
        "reserved_quantity",
        "backordered_quantity",
        "delivered_quantity",
        "invoiced_quantity",
    ];
    assert_eq!(
        pick(&so["lines"][0], &keys),
        ["4.00", "12.00", "true", "0", "0", "0", "0"]
    );
    assert_eq!(shop.level(&p).await?, (10, 0), "a draft reserves nothing");

    let body = json!({ "customer_id": shop.cust, "lines": [line(&p, "4")], "confirm": true });
    let confirmed = ok(shop.post("/api/v1/sales-orders", body).await?, 201).await;
    assert_eq!(
        pick(&confirmed, &["number", "status"]),
        ["SO-000002", "confirmed"]
    );
    assert!(confirmed["confirmed_at"].is_string());
    assert_eq!(state(&confirmed), [["4", "0", "0"]]);
    assert_eq!(shop.level(&p).await?, (10, 4));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_concurrent_confirmations_of_one_unit_against_ten_on_hand_confirm_exactly_ten() -> Res
{
    let shop = Shop::open().await?;
    let hot = shop.stocked("HOT", "10").await?;
    let mut orders = Vec::new();
    for _ in 0..30 {
        orders.push(shop.order(json!([line(&hot, "1")])).await?);
    }
    let results = join_all(orders.iter().map(|o| shop.act(o, "confirm"))).await;
    let (mut confirmed, mut refused) = (0, 0);
    for res in results {
        let res = res?;
        let status = res.status().as_u16();
        let body = ok(res, status).await;
        if status == 200 {
            confirmed += 1;
        } else {
            assert_eq!(
                (status, body["code"].as_str()),
                (409, Some("insufficient_stock")),
                "{body}"
            );
            refused += 1;
        }
    }
    assert_eq!((confirmed, refused), (10, 20));
    assert_eq!(shop.level(&hot).await?, (10, 10));
    assert_eq!(
        count(
            &shop
                .get("/api/v1/sales-orders?status=confirmed&limit=50")
                .await?
        ),
        10
    );
    assert_eq!(
        count(
            &shop
                .get("/api/v1/sales-orders?status=draft&limit=50")
                .await?
        ),
        20
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_orders_take_twenty_distinct_numbers() -> Res {
    let shop = Shop::open().await?;
    let results = join_all((0..20).map(|_| shop.order(json!([free("Visit", "1", "10.00")])))).await;
    let mut numbers = Vec::new();
    for so in results {
        numbers.push(text(&so?["number"])?);
    }
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("SO-{n:06}")).collect();
    assert_eq!(numbers, expected);
    Ok(())
}

#[tokio::test]
async fn a_confirmation_with_two_short_lines_names_both_and_reserves_nothing() -> Res {
    let shop = Shop::open().await?;
    let b = shop.stocked("B", "1").await?;
    let a = shop.stocked("A", "5").await?;
    let c = shop.stocked("C", "0").await?;
    let so = shop
        .order(json!([line(&b, "2"), line(&a, "5"), line(&c, "1")]))
        .await?;
    let problem = refused(shop.act(&so, "confirm").await, 409, "insufficient_stock").await?;
    let short = ["lines[0].quantity", "lines[2].quantity"]
        .map(|f| (f.to_string(), "insufficient_stock".to_string()));
    assert_eq!(errors(&problem), short, "{problem}");
    assert_eq!(
        shop.level(&a).await?,
        (5, 0),
        "the line that fits is not reserved either"
    );
    assert_eq!(shop.level(&b).await?, (1, 0));
    let now = shop.read(&so).await?;
    assert_eq!(
        (now["status"].as_str(), column(&now, "reserved_quantity")),
        (Some("draft"), vec!["0".to_string(); 3])
    );

    // Two lines of one product that fit alone but not together.
    let twice = shop.order(json!([line(&a, "3"), line(&a, "3")])).await?;
    refused(shop.act(&twice, "confirm").await, 409, "insufficient_stock").await?;
    assert_eq!(shop.level(&a).await?, (5, 0));

    shop.receive(&b, "1").await?;
    shop.receive(&c, "1").await?;
    let confirmed = ok(shop.act(&so, "confirm").await?, 200).await;
    assert_eq!(column(&confirmed, "reserved_quantity"), ["2", "5", "1"]);
    assert_eq!(shop.level(&a).await?, (5, 5));
    Ok(())
}

#[tokio::test]
async fn allow_backorder_reserves_what_is_there_and_reserve_takes_the_rest_later() -> Res {
    let shop = Shop::open().await?;
    let a = shop.stocked("A", "3").await?;
    let b = shop.stocked("B", "10").await?;
    let so = shop.order(json!([line(&a, "5"), line(&b, "4")])).await?;
    let confirmed = ok(shop.act(&so, "confirm?allow_backorder=true").await?, 200).await;
    assert_eq!(
        pick(&confirmed, &["status", "backordered"]),
        ["confirmed", "true"]
    );
    assert_eq!(state(&confirmed), [["3", "2", "0"], ["4", "0", "0"]]);
    assert_eq!(
        (shop.level(&a).await?, shop.level(&b).await?),
        ((3, 3), (10, 4))
    );

    // A later order, confirmed with backorder in its create, finds nothing left.
    let body = json!({ "customer_id": shop.cust, "lines": [line(&a, "1")], "confirm": true, "allow_backorder": true });
    let later = ok(shop.post("/api/v1/sales-orders", body).await?, 201).await;
    assert_eq!(state(&later), [["0", "1", "0"]]);

    shop.receive(&a, "4").await?;
    let topped = ok(shop.act(&so, "reserve").await?, 200).await;
    assert_eq!(state(&topped), [["5", "0", "0"], ["4", "0", "0"]]);
    assert_eq!(topped["backordered"], false);
    assert_eq!(shop.level(&a).await?, (7, 5));
    let later = ok(shop.act(&later, "reserve").await?, 200).await;
    assert_eq!(state(&later), [["1", "0", "0"]]);
    assert_eq!(shop.level(&a).await?, (7, 6));
    let draft = shop.order(json!([line(&a, "1")])).await?;
    refused(shop.act(&draft, "reserve").await, 409, "invalid_state").await?;
    Ok(())
}

#[tokio::test]
async fn service_and_free_text_lines_confirm_without_stock_and_reserve_nothing() -> Res {
    let shop = Shop::open().await?;
    let svc = shop.product_of("FIT", "service", "80.00").await?;
    let so = shop
        .order(json!([line(&svc, "2"), free("Delivery", "1", "15.00")]))
        .await?;
    assert_eq!(so["total"], "175.00");
    let confirmed = ok(shop.act(&so, "confirm").await?, 200).await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(state(&confirmed), [["0", "0", "0"], ["0", "0", "0"]]);
    let stocked: Vec<String> = (0..2)
        .map(|i| confirmed["lines"][i]["stocked"].to_string())
        .collect();
    assert_eq!(stocked, ["false", "false"]);
    refused(shop.act(&so, "confirm").await, 409, "invalid_state").await?;
    Ok(())
}

#[tokio::test]
async fn a_retried_confirmation_with_the_same_idempotency_key_replays_and_reserves_once() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let so = shop.order(json!([line(&p, "4")])).await?;
    let path = format!("/api/v1/sales-orders/{}/confirm", id(&so)?);
    let confirm = |key: &'static str| {
        let headers = [("Idempotency-Key", key)];
        let (app, owner, path) = (&shop.app, &shop.owner, path.clone());
        async move { request(app, Method::POST, &path, owner, Some(json!({})), &headers).await }
    };
    let first = ok(confirm("confirm-42").await?, 200).await;
    let second = confirm("confirm-42").await?;
    assert_eq!(
        header(&second, "idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(ok(second, 200).await, first);
    assert_eq!(shop.level(&p).await?, (10, 4));
    // Another key is another request: the order is confirmed already.
    refused(confirm("confirm-43").await, 409, "invalid_state").await?;
    assert_eq!(shop.level(&p).await?, (10, 4));
    Ok(())
}

#[tokio::test]
async fn order_edits_need_the_current_version_and_lines_change_only_in_draft() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let so = shop.order(json!([line(&p, "2")])).await?;
    let path = format!("/api/v1/sales-orders/{}", id(&so)?);
    let change = json!({ "notes": "Ring first", "lines": [line(&p, "3")] });
    let res = shop.patch(&path, change, Some("\"1\"")).await?;
    assert_eq!(header(&res, "etag").as_deref(), Some("\"2\""));
    let changed = ok(res, 200).await;
    assert_eq!(pick(&changed, &["version", "total"]), ["2", "12.00"]);
    assert_eq!(column(&changed, "quantity"), ["3"]);
    let stale = shop
        .patch(&path, json!({ "notes": "Stale" }), Some("\"1\""))
        .await;
    refused(stale, 412, "version_mismatch").await?;
    assert_eq!(shop.read(&so).await?["notes"], "Ring first");

    ok(shop.act(&so, "confirm").await?, 200).await;
    let spare = crate::inventory::warehouse(&shop.app, &shop.owner, "SPARE").await;
    for body in [
        json!({ "lines": [line(&p, "1")] }),
        json!({ "warehouse_id": spare }),
    ] {
        refused(shop.patch(&path, body, None).await, 409, "invalid_state").await?;
    }
    let noted = ok(
        shop.patch(&path, json!({ "notes": "Call ahead" }), None)
            .await?,
        200,
    )
    .await;
    assert_eq!(
        pick(&noted, &["notes", "status"]),
        ["Call ahead", "confirmed"]
    );
    assert_eq!(state(&noted), [["3", "0", "0"]]);
    assert_eq!(shop.level(&p).await?, (10, 3));
    ok(shop.act(&so, "cancel").await?, 200).await;
    let late = shop
        .patch(&path, json!({ "notes": "Too late" }), None)
        .await;
    refused(late, 409, "invalid_state").await?;
    Ok(())
}

/// Alpha: SO-1 (P, 2025-01-10, draft), SO-2 (Q, 2025-02-10, draft);
/// Beta: SO-3 (P, 2025-03-10, confirmed), SO-4 (two lines of Q, 2025-03-20,
/// cancelled). Returns the shop (its customer is Alpha), Beta, P and Q.
async fn four_orders() -> Res<(Shop, String, String, String)> {
    let mut shop = Shop::open().await?;
    shop.cust = shop.customer("Alpha", "EUR").await?;
    let beta = shop.customer("Beta", "EUR").await?;
    let p = shop.stocked("P", "100").await?;
    let q = shop.stocked("Q", "100").await?;
    let plan = [
        (&shop.cust, json!([line(&p, "1")]), "2025-01-10", None),
        (&shop.cust, json!([line(&q, "2")]), "2025-02-10", None),
        (&beta, json!([line(&p, "3")]), "2025-03-10", Some("confirm")),
        (
            &beta,
            json!([line(&q, "1"), line(&q, "2")]),
            "2025-03-20",
            Some("cancel"),
        ),
    ];
    for (cust, lines, date, action) in plan {
        let body = json!({ "customer_id": cust, "warehouse_id": shop.wh, "order_date": date, "lines": lines });
        let so = ok(shop.post("/api/v1/sales-orders", body).await?, 201).await;
        assert_eq!(so["order_date"], date);
        if let Some(action) = action {
            ok(shop.act(&so, action).await?, 200).await;
        }
    }
    Ok((shop, beta, p, q))
}

/// The short numbers of a page (`SO-000003` -> 3).
fn numbers(page: &Value) -> Vec<u32> {
    let rows = page["data"].as_array().cloned().unwrap_or_default();
    let short = |r: &Value| r["number"].as_str()?.strip_prefix("SO-")?.parse().ok();
    rows.iter().filter_map(short).collect()
}

/// The short numbers `path` lists.
async fn listed(shop: &Shop, path: String) -> Res<Vec<u32>> {
    Ok(numbers(&shop.get(&path).await?))
}

/// The `summary` of a customer.
async fn summary(shop: &Shop, cust: &str) -> Res<Value> {
    Ok(shop.get(&format!("/api/v1/customers/{cust}")).await?["summary"].clone())
}

#[tokio::test]
async fn orders_filter_by_status_customer_product_and_order_date() -> Res {
    let (shop, beta, p, q) = four_orders().await?;
    let alpha = &shop.cust;
    let list = |query: String| listed(&shop, format!("/api/v1/sales-orders{query}"));
    assert_eq!(list(String::new()).await?, [4, 3, 2, 1], "newest first");
    assert_eq!(list("?status=confirmed".into()).await?, [3]);
    assert_eq!(list("?status=cancelled".into()).await?, [4]);
    assert_eq!(list(format!("?customer_id={alpha}")).await?, [2, 1]);
    assert_eq!(list(format!("?product_id={p}")).await?, [3, 1]);
    assert_eq!(
        list(format!("?product_id={q}&customer_id={beta}")).await?,
        [4]
    );
    assert_eq!(
        list("?from=2025-02-10&to=2025-03-10".into()).await?,
        [3, 2],
        "inclusive"
    );
    assert_eq!(list("?from=2025-03-11".into()).await?, [4]);
    assert!(
        list(format!("?customer_id={beta}&status=draft"))
            .await?
            .is_empty()
    );
    assert_eq!(list("?sort=order_date".into()).await?, [1, 2, 3, 4]);
    assert_eq!(list("?sort=-order_date".into()).await?, [4, 3, 2, 1]);
    let page = shop.get("/api/v1/sales-orders?status=cancelled").await?;
    assert_eq!(
        pick(&page["data"][0], &["line_count", "total"]),
        ["2", "12.00"]
    );
    assert!(page["data"][0]["lines"].is_null(), "a summary has no lines");
    Ok(())
}

#[tokio::test]
async fn orders_page_through_a_cursor_without_gaps_or_repeats() -> Res {
    let (shop, ..) = four_orders().await?;
    for (sort, expected) in [("-created_at", [4, 3, 2, 1]), ("order_date", [1, 2, 3, 4])] {
        let (mut seen, mut cursor) = (Vec::new(), String::new());
        for _ in 0..10 {
            let path = format!("/api/v1/sales-orders?sort={sort}&limit=1{cursor}");
            let page = shop.get(&path).await?;
            seen.extend(numbers(&page));
            let next = page["next_cursor"].as_str();
            assert_eq!(page["has_more"].as_bool(), Some(next.is_some()), "{page}");
            let Some(next) = next else { break };
            cursor = format!("&cursor={next}");
        }
        assert_eq!(seen, expected, "sort {sort}");
    }
    let bad = request(
        &shop.app,
        Method::GET,
        "/api/v1/sales-orders?cursor=garbage",
        &shop.owner,
        None,
        &[],
    );
    refused(bad.await, 400, "invalid_cursor").await?;
    Ok(())
}

#[tokio::test]
async fn customer_and_product_order_lists_and_the_summary_count_the_customers_orders() -> Res {
    let (shop, beta, _, q) = four_orders().await?;
    let alpha = &shop.cust;
    assert_eq!(
        listed(&shop, format!("/api/v1/customers/{alpha}/orders")).await?,
        [2, 1]
    );
    assert_eq!(
        listed(&shop, format!("/api/v1/products/{q}/orders")).await?,
        [4, 2]
    );
    let keys = ["orders", "last_order_date"];
    assert_eq!(
        pick(&summary(&shop, alpha).await?, &keys),
        ["2", "2025-02-10"]
    );
    assert_eq!(
        summary(&shop, &beta).await?["orders"],
        1,
        "a cancelled order does not count"
    );
    let gamma = shop.customer("Gamma", "EUR").await?;
    assert_eq!(pick(&summary(&shop, &gamma).await?, &keys), ["0", "null"]);
    // A new order shows at once: no stale cached summary.
    let body = json!({ "customer_id": gamma, "order_date": "2025-06-01", "lines": [free("X", "1", "1.00")] });
    ok(shop.post("/api/v1/sales-orders", body).await?, 201).await;
    assert_eq!(
        pick(&summary(&shop, &gamma).await?, &keys),
        ["1", "2025-06-01"]
    );
    Ok(())
}

#[tokio::test]
async fn lines_customers_and_warehouses_of_another_organization_are_422_naming_the_field() -> Res {
    let shop = Shop::open().await?;
    let (other, their_wh) = organization(&shop.app).await?;
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
    let their_p = json!({ "sku": "THEIRS", "name": "Theirs", "sale_price": "1.00" });
    let res = request(
        &shop.app,
        Method::POST,
        "/api/v1/products",
        &other,
        Some(their_p),
        &[],
    );
    let their_p = id(&ok(res.await?, 201).await)?;
    let ok_line = line(&shop.stocked("MINE", "5").await?, "1");
    let bad_line = line(&their_p, "1");
    let (mine, wh) = (&shop.cust, &shop.wh);
    let cases = [
        (
            "sales-orders",
            json!({ "customer_id": mine, "warehouse_id": wh, "lines": [ok_line, bad_line] }),
            "lines[1].product_id",
        ),
        (
            "sales-orders",
            json!({ "customer_id": theirs, "warehouse_id": wh, "lines": [ok_line] }),
            "customer_id",
        ),
        (
            "sales-orders",
            json!({ "customer_id": mine, "warehouse_id": their_wh, "lines": [ok_line] }),
            "warehouse_id",
        ),
        (
            "sales-orders",
            json!({ "customer_id": mine, "lines": [bad_line], "confirm": true }),
            "lines[0].product_id",
        ),
        (
            "quotes",
            json!({ "customer_id": mine, "lines": [bad_line] }),
            "lines[0].product_id",
        ),
        (
            "quotes",
            json!({ "customer_id": theirs, "lines": [ok_line] }),
            "customer_id",
        ),
    ];
    for (what, body, field) in cases {
        let res = shop.post(&format!("/api/v1/{what}"), body).await;
        let problem = refused(res, 422, "validation_failed").await?;
        assert_eq!(fields(&problem), [field], "{what}: {problem}");
    }
    assert_eq!(count(&shop.get("/api/v1/sales-orders").await?), 0);
    assert_eq!(count(&shop.get("/api/v1/quotes").await?), 0);
    Ok(())
}

#[tokio::test]
async fn another_organizations_orders_and_quotes_are_not_found() -> Res {
    let shop = Shop::open().await?;
    let (other, _) = organization(&shop.app).await?;
    let p = shop.stocked("MINE", "5").await?;
    let so = shop.order(json!([line(&p, "1")])).await?;
    let q = shop.quote(json!([line(&p, "1")])).await?;
    let (so_id, cust) = (id(&so)?, &shop.cust);
    let (app, other) = (&shop.app, &other);
    let as_other = |method: Method, path: String, body: Option<Value>| async move {
        request(app, method, &path, other, body, &[]).await
    };
    for path in [
        format!("/api/v1/sales-orders/{so_id}"),
        format!("/api/v1/sales-orders/{so_id}/fulfilments"),
        format!("/api/v1/customers/{cust}/orders"),
        format!("/api/v1/products/{p}/orders"),
        format!("/api/v1/quotes/{}", id(&q)?),
    ] {
        refused(as_other(Method::GET, path, None).await, 404, "not_found").await?;
    }
    for action in ["confirm", "cancel"] {
        let path = format!("/api/v1/sales-orders/{so_id}/{action}");
        refused(
            as_other(Method::POST, path, Some(json!({}))).await,
            404,
            "not_found",
        )
        .await?;
    }
    let path = format!("/api/v1/sales-orders/{so_id}");
    let res = as_other(Method::PATCH, path, Some(json!({ "notes": "mine now" }))).await;
    refused(res, 404, "not_found").await?;
    let path = format!("/api/v1/quotes/{}/send", id(&q)?);
    refused(
        as_other(Method::POST, path, Some(json!({}))).await,
        404,
        "not_found",
    )
    .await?;
    let theirs = ok(
        as_other(Method::GET, "/api/v1/sales-orders".into(), None).await?,
        200,
    )
    .await;
    assert_eq!(count(&theirs), 0);
    assert_eq!(shop.read(&so).await?["status"], "draft");
    Ok(())
}
