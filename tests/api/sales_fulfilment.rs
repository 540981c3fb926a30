//! Sales order fulfilment through HTTP: deliveries issue reserved stock with
//! the order as the movement's reference, partial deliveries add up, a
//! cancel releases only what was not delivered, and a random walk of
//! confirm, fulfil, cancel and backorder keeps reservations equal to open
//! orders at every step. A viewer cannot create orders.

use reqwest::Method;
use serde_json::json;

use crate::sales::{
    Res, Shop, count, errors, fields, free, id, line, ok, pick, refused, request, state, text,
    units,
};

#[tokio::test]
async fn two_partial_deliveries_of_three_and_two_fulfil_an_order_of_five() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let so = shop.order(json!([line(&p, "5")])).await?;
    ok(shop.act(&so, "confirm").await?, 200).await;

    let dn1 = ok(shop.fulfil(&so, &[(0, "3")]).await?, 201).await;
    let keys = [
        "number",
        "sales_order_status",
        "sales_order_id",
        "warehouse_id",
    ];
    assert_eq!(
        pick(&dn1, &keys),
        ["DN-000001", "partially_fulfilled", &id(&so)?, &shop.wh]
    );
    let line_id = text(&so["lines"][0]["id"])?;
    assert_eq!(
        pick(&dn1["lines"][0], &["order_line_id", "quantity"]),
        [line_id.as_str(), "3"]
    );
    assert_eq!(shop.level(&p).await?, (7, 2));
    let now = shop.read(&so).await?;
    assert_eq!(now["status"], "partially_fulfilled");
    assert_eq!(state(&now), [["2", "0", "3"]]);

    let dn2 = ok(shop.fulfil(&so, &[(0, "2")]).await?, 201).await;
    assert_eq!(
        pick(&dn2, &["number", "sales_order_status"]),
        ["DN-000002", "fulfilled"]
    );
    assert_eq!(shop.level(&p).await?, (5, 0));
    let now = shop.read(&so).await?;
    assert_eq!(pick(&now, &["status", "fulfilled_at"])[0], "fulfilled");
    assert!(now["fulfilled_at"].is_string());
    assert_eq!(state(&now), [["0", "0", "5"]]);

    let listed = shop
        .get(&format!("/api/v1/sales-orders/{}/fulfilments", id(&so)?))
        .await?;
    let rows = listed["data"].as_array().cloned().unwrap_or_default();
    let mut numbers: Vec<String> = rows
        .iter()
        .map(|f| f["number"].as_str().unwrap_or("?").into())
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["DN-000001", "DN-000002"]);
    // Each delivery issued stock with the order as the movement's reference.
    let moves = shop
        .get(&format!(
            "/api/v1/inventory/movements?product_id={p}&kind=issue"
        ))
        .await?;
    let moves = moves["data"].as_array().cloned().unwrap_or_default();
    let mut shipped = 0;
    for m in &moves {
        assert_eq!(
            pick(m, &["reference_type", "reference_id"]),
            ["sales_order", &id(&so)?],
            "{m}"
        );
        shipped += units(&m["quantity"])?;
    }
    assert_eq!(shipped, -5 * 10_000);
    let mut from_notes = vec![
        text(&dn1["lines"][0]["movement_id"])?,
        text(&dn2["lines"][0]["movement_id"])?,
    ];
    let mut from_ledger: Vec<String> = moves
        .iter()
        .map(|m| m["id"].as_str().unwrap_or("?").to_string())
        .collect();
    from_notes.sort();
    from_ledger.sort();
    assert_eq!(from_notes, from_ledger);
    refused(shop.fulfil(&so, &[(0, "1")]).await, 409, "invalid_state").await?;
    refused(shop.act(&so, "cancel").await, 409, "invalid_state").await?;
    Ok(())
}

#[tokio::test]
async fn cancelling_a_partially_fulfilled_order_releases_only_the_rest() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let so = shop.order(json!([line(&p, "6")])).await?;
    ok(shop.act(&so, "confirm").await?, 200).await;
    ok(shop.fulfil(&so, &[(0, "2")]).await?, 201).await;
    assert_eq!(shop.level(&p).await?, (8, 4));
    let cancelled = ok(shop.act(&so, "cancel").await?, 200).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    let (reserved, delivered) = (
        &cancelled["lines"][0]["reserved_quantity"],
        &cancelled["lines"][0]["delivered_quantity"],
    );
    assert_eq!(
        (reserved.as_str(), delivered.as_str()),
        (Some("0"), Some("2"))
    );
    assert_eq!(
        shop.level(&p).await?,
        (8, 0),
        "the delivered 2 stay delivered"
    );
    refused(shop.act(&so, "cancel").await, 409, "invalid_state").await?;
    refused(shop.fulfil(&so, &[(0, "1")]).await, 409, "invalid_state").await?;
    assert_eq!(shop.level(&p).await?, (8, 0));
    Ok(())
}

#[tokio::test]
async fn fulfilling_more_than_remains_is_422_and_ships_nothing() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "10").await?;
    let r = shop.stocked("R", "10").await?;
    let so = shop.order(json!([line(&p, "5"), line(&r, "2")])).await?;
    ok(shop.act(&so, "confirm").await?, 200).await;
    ok(shop.fulfil(&so, &[(0, "3")]).await?, 201).await;
    let over = shop.fulfil(&so, &[(1, "1"), (0, "3")]).await;
    let problem = refused(over, 422, "validation_failed").await?;
    let expected = [(
        "lines[1].quantity".to_string(),
        "over_fulfilment".to_string(),
    )];
    assert_eq!(errors(&problem), expected, "{problem}");
    assert_eq!(shop.level(&p).await?, (7, 2));
    assert_eq!(
        shop.level(&r).await?,
        (10, 2),
        "the line that fits is not shipped either"
    );

    let path = format!("/api/v1/sales-orders/{}/fulfilments", id(&so)?);
    let stranger = json!({ "lines": [{ "line_id": uuid::Uuid::now_v7(), "quantity": "1" }] });
    let problem = refused(shop.post(&path, stranger).await, 422, "validation_failed").await?;
    assert_eq!(fields(&problem), ["lines[0].line_id"], "{problem}");
    let other = shop.order(json!([line(&p, "1")])).await?;
    let foreign = json!({ "lines": [{ "line_id": other["lines"][0]["id"], "quantity": "1" }] });
    let problem = refused(shop.post(&path, foreign).await, 422, "validation_failed").await?;
    assert_eq!(
        fields(&problem),
        ["lines[0].line_id"],
        "another order's line"
    );
    assert_eq!(shop.read(&so).await?["status"], "partially_fulfilled");
    Ok(())
}

#[tokio::test]
async fn fulfilling_a_backordered_part_is_409_insufficient_stock() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "2").await?;
    let so = shop.order(json!([line(&p, "5")])).await?;
    let confirmed = ok(shop.act(&so, "confirm?allow_backorder=true").await?, 200).await;
    assert_eq!(state(&confirmed), [["2", "3", "0"]]);
    refused(
        shop.fulfil(&so, &[(0, "3")]).await,
        409,
        "insufficient_stock",
    )
    .await?;
    assert_eq!(shop.level(&p).await?, (2, 2));
    let dn = ok(shop.fulfil(&so, &[(0, "2")]).await?, 201).await;
    assert_eq!(dn["sales_order_status"], "partially_fulfilled");
    assert_eq!(shop.level(&p).await?, (0, 0));
    assert_eq!(state(&shop.read(&so).await?), [["0", "3", "2"]]);
    Ok(())
}

#[tokio::test]
async fn a_draft_is_not_fulfilled_and_a_cancelled_order_takes_no_further_step() -> Res {
    let shop = Shop::open().await?;
    let p = shop.stocked("P", "5").await?;
    let so = shop.order(json!([line(&p, "1")])).await?;
    refused(shop.fulfil(&so, &[(0, "1")]).await, 409, "invalid_state").await?;
    ok(shop.act(&so, "cancel").await?, 200).await;
    for action in ["confirm", "cancel", "reserve"] {
        refused(shop.act(&so, action).await, 409, "invalid_state").await?;
    }
    assert_eq!(shop.level(&p).await?, (5, 0));
    Ok(())
}

#[tokio::test]
async fn service_and_free_text_lines_are_delivered_without_stock_movements() -> Res {
    let shop = Shop::open().await?;
    let svc = shop.product_of("FIT", "service", "80.00").await?;
    let p = shop.stocked("P", "4").await?;
    let so = shop
        .order(json!([
            line(&svc, "1"),
            free("Delivery", "1", "15.00"),
            line(&p, "4")
        ]))
        .await?;
    ok(shop.act(&so, "confirm").await?, 200).await;
    let dn = ok(
        shop.fulfil(&so, &[(0, "1"), (1, "1"), (2, "4")]).await?,
        201,
    )
    .await;
    assert_eq!(dn["sales_order_status"], "fulfilled");
    let movement = |i: usize| dn["lines"][i]["movement_id"].clone();
    assert!(
        movement(0).is_null() && movement(1).is_null() && movement(2).is_string(),
        "{dn}"
    );
    assert_eq!(shop.level(&p).await?, (0, 0));
    Ok(())
}

#[tokio::test]
async fn a_viewer_reads_orders_but_cannot_create_one() -> Res {
    let shop = Shop::open().await?;
    let viewer = shop.app.add_member(&shop.owner, "viewer").await;
    let p = shop.stocked("P", "5").await?;
    shop.order(json!([line(&p, "1")])).await?;
    let body = json!({ "customer_id": shop.cust, "lines": [line(&p, "1")] });
    let res = request(
        &shop.app,
        Method::POST,
        "/api/v1/sales-orders",
        &viewer,
        Some(body),
        &[],
    );
    refused(res.await, 403, "permission_denied").await?;
    let list = request(
        &shop.app,
        Method::GET,
        "/api/v1/sales-orders",
        &viewer,
        None,
        &[],
    );
    assert_eq!(count(&ok(list.await?, 200).await), 1);
    Ok(())
}

mod model {
    //! Random sequences of order operations against an in-memory model of
    //! every order line and stock level.

    use proptest::{
        prelude::*,
        test_runner::{TestCaseError, TestRunner},
    };
    use reqwest::Response;
    use serde_json::{Value, json};

    use crate::sales::{Res, Shop, line, ok, whole};

    #[derive(Debug, Clone)]
    enum Op {
        /// A draft with a line of each product whose quantity is not zero.
        Create {
            q: [i64; 2],
        },
        Confirm {
            o: usize,
            backorder: bool,
        },
        Fulfil {
            o: usize,
            line: usize,
            q: i64,
        },
        Cancel {
            o: usize,
        },
        Reserve {
            o: usize,
        },
        Receive {
            p: usize,
            q: i64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..4i64, 0..4i64).prop_map(|(a, b)| Op::Create { q: if a + b == 0 { [1, 0] } else { [a, b] } }),
            3 => (0..6usize, any::<bool>()).prop_map(|(o, backorder)| Op::Confirm { o, backorder }),
            3 => (0..6usize, 0..2usize, 1..4i64).prop_map(|(o, line, q)| Op::Fulfil { o, line, q }),
            1 => (0..6usize).prop_map(|o| Op::Cancel { o }),
            1 => (0..6usize).prop_map(|o| Op::Reserve { o }),
            1 => (0..2usize, 1..4i64).prop_map(|(p, q)| Op::Receive { p, q }),
        ]
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Status {
        Draft,
        Confirmed,
        Partial,
        Fulfilled,
        Cancelled,
    }

    impl Status {
        fn name(self) -> &'static str {
            match self {
                Status::Draft => "draft",
                Status::Confirmed => "confirmed",
                Status::Partial => "partially_fulfilled",
                Status::Fulfilled => "fulfilled",
                Status::Cancelled => "cancelled",
            }
        }

        /// Holding (or owing) stock: confirmed or partially fulfilled.
        fn open(self) -> bool {
            matches!(self, Status::Confirmed | Status::Partial)
        }
    }

    #[derive(Debug, Clone)]
    struct Line {
        p: usize,
        qty: i64,
        reserved: i64,
        backordered: i64,
        delivered: i64,
    }

    #[derive(Debug)]
    struct Order {
        body: Value,
        status: Status,
        lines: Vec<Line>,
    }

    #[derive(Debug, Default)]
    struct Model {
        on_hand: [i64; 2],
        orders: Vec<Order>,
    }

    impl Model {
        fn reserved(&self, p: usize) -> i64 {
            let open = self.orders.iter().filter(|o| o.status.open());
            open.flat_map(|o| &o.lines)
                .filter(|l| l.p == p)
                .map(|l| l.reserved)
                .sum()
        }

        fn available(&self, p: usize) -> i64 {
            self.on_hand[p] - self.reserved(p)
        }
    }

    /// What the server must answer: status and, for a problem, its code.
    type Expect = (u16, Option<&'static str>);
    const INVALID: Expect = (409, Some("invalid_state"));

    /// Sends `op` and applies it to the model; returns the response and what
    /// it must be, or nothing when the step checks itself or does nothing.
    async fn step(
        shop: &Shop,
        products: &[String; 2],
        m: &mut Model,
        op: &Op,
    ) -> Res<Option<(Response, Expect)>> {
        let n = m.orders.len();
        let (res, expect) = match *op {
            Op::Create { q } => {
                let made: Vec<usize> = (0..2).filter(|&p| q[p] > 0).collect();
                let lines: Vec<Value> = made
                    .iter()
                    .map(|&p| line(&products[p], &q[p].to_string()))
                    .collect();
                let body = shop.order(json!(lines)).await?;
                let lines = made.iter().map(|&p| Line {
                    p,
                    qty: q[p],
                    reserved: 0,
                    backordered: 0,
                    delivered: 0,
                });
                m.orders.push(Order {
                    body,
                    status: Status::Draft,
                    lines: lines.collect(),
                });
                return Ok(None);
            }
            Op::Receive { p, q } => {
                shop.receive(&products[p], &q.to_string()).await?;
                m.on_hand[p] += q;
                return Ok(None);
            }
            _ if n == 0 => return Ok(None),
            Op::Confirm { o, backorder } => {
                let action = if backorder {
                    "confirm?allow_backorder=true"
                } else {
                    "confirm"
                };
                let res = shop.act(&m.orders[o % n].body, action).await?;
                let avail = [m.available(0), m.available(1)];
                let order = &mut m.orders[o % n];
                let short = order.lines.iter().any(|l| l.qty > avail[l.p]);
                let expect = if order.status != Status::Draft {
                    INVALID
                } else if short && !backorder {
                    (409, Some("insufficient_stock"))
                } else {
                    for l in &mut order.lines {
                        l.reserved = l.qty.min(avail[l.p]);
                        l.backordered = l.qty - l.reserved;
                    }
                    order.status = Status::Confirmed;
                    (200, None)
                };
                (res, expect)
            }
            Op::Reserve { o } => {
                let res = shop.act(&m.orders[o % n].body, "reserve").await?;
                let mut avail = [m.available(0), m.available(1)];
                let order = &mut m.orders[o % n];
                let expect = if order.status.open() {
                    for l in &mut order.lines {
                        let take = l.backordered.min(avail[l.p]);
                        (l.reserved, l.backordered, avail[l.p]) =
                            (l.reserved + take, l.backordered - take, avail[l.p] - take);
                    }
                    (200, None)
                } else {
                    INVALID
                };
                (res, expect)
            }
            Op::Cancel { o } => {
                let res = shop.act(&m.orders[o % n].body, "cancel").await?;
                let order = &mut m.orders[o % n];
                let expect = if matches!(
                    order.status,
                    Status::Draft | Status::Confirmed | Status::Partial
                ) {
                    order.status = Status::Cancelled;
                    order.lines.iter_mut().for_each(|l| l.reserved = 0);
                    (200, None)
                } else {
                    INVALID
                };
                (res, expect)
            }
            Op::Fulfil { o, line, q } => {
                let order = &mut m.orders[o % n];
                let i = line % order.lines.len();
                let res = shop.fulfil(&order.body, &[(i, &q.to_string())]).await?;
                let l = &mut order.lines[i];
                let expect = if !order.status.open() {
                    INVALID
                } else if q > l.qty - l.delivered {
                    (422, Some("validation_failed"))
                } else if q > l.reserved {
                    (409, Some("insufficient_stock"))
                } else {
                    (l.reserved, l.delivered) = (l.reserved - q, l.delivered + q);
                    m.on_hand[l.p] -= q;
                    let done = order.lines.iter().all(|l| l.delivered == l.qty);
                    order.status = if done {
                        Status::Fulfilled
                    } else {
                        Status::Partial
                    };
                    (201, None)
                };
                (res, expect)
            }
        };
        Ok(Some((res, expect)))
    }

    /// The server agrees with the model, and with itself: each level's
    /// reserved is the sum of the open orders' lines' reserved quantity.
    async fn check(shop: &Shop, products: &[String; 2], m: &Model, what: &str) -> Res {
        let mut open_reserved = [0i64; 2];
        for (k, o) in m.orders.iter().enumerate() {
            let now = shop.read(&o.body).await?;
            assert_eq!(now["status"], o.status.name(), "order {k} after {what}");
            for (i, l) in o.lines.iter().enumerate() {
                let sl = &now["lines"][i];
                let keys = [
                    "quantity",
                    "reserved_quantity",
                    "backordered_quantity",
                    "delivered_quantity",
                ];
                let got: Vec<i64> = keys.iter().map(|k| whole(&sl[*k])).collect::<Res<_>>()?;
                let here = format!("order {k} line {i} after {what}");
                if o.status.open() {
                    open_reserved[l.p] += got[1];
                    assert_eq!(
                        got[1] + got[2] + got[3],
                        got[0],
                        "reserved + backordered + delivered: {here}"
                    );
                    assert_eq!(
                        got,
                        [l.qty, l.reserved, l.backordered, l.delivered],
                        "{here}"
                    );
                } else {
                    assert_eq!(
                        [got[0], got[1], got[3]],
                        [l.qty, l.reserved, l.delivered],
                        "{here}"
                    );
                }
            }
        }
        for p in 0..2 {
            let (on_hand, reserved) = shop.level(&products[p]).await?;
            assert_eq!(
                reserved, open_reserved[p],
                "product {p}: level vs open lines after {what}"
            );
            assert_eq!(
                (on_hand, reserved),
                (m.on_hand[p], m.reserved(p)),
                "product {p} after {what}"
            );
        }
        Ok(())
    }

    async fn run(shop: &Shop, case: usize, ops: &[Op]) -> Res {
        let mut products: [String; 2] = Default::default();
        for (p, slot) in products.iter_mut().enumerate() {
            let sku = format!("C{case}-{p}-{}", uuid::Uuid::now_v7().simple());
            *slot = shop.stocked(&sku, "3").await?;
        }
        let mut m = Model {
            on_hand: [3, 3],
            ..Model::default()
        };
        for (s, op) in ops.iter().enumerate() {
            let what = format!("step {s} {op:?} of {ops:?}");
            if let Some((res, (status, code))) = step(shop, &products, &mut m, op).await? {
                let body = ok(res, status).await;
                if let Some(code) = code {
                    assert_eq!(body["code"], code, "{what}: {body}");
                }
            }
            check(shop, &products, &m, &what).await?;
        }
        Ok(())
    }

    #[test]
    fn random_confirm_fulfil_cancel_and_backorder_walks_keep_reserved_equal_to_open_orders() -> Res
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let shop = rt.block_on(async {
            let shop = Shop::open().await?;
            shop.enterprise().await?;
            Ok::<_, Box<dyn std::error::Error>>(shop)
        })?;
        let config = ProptestConfig {
            cases: 10,
            max_shrink_iters: 32,
            ..ProptestConfig::default()
        };
        let mut runner = TestRunner::new(config);
        let case = std::sync::atomic::AtomicUsize::new(0);
        let result = runner.run(&prop::collection::vec(op(), 1..14), |ops| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run(&shop, n, &ops))
                .map_err(|e| TestCaseError::fail(e.to_string()))
        });
        assert!(result.is_ok(), "{result:?}");
        Ok(())
    }
}
