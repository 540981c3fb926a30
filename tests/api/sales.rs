//! Sales through HTTP, part one: quotes. Totals are exact to the currency's
//! minor unit (each line rounded half-up, then summed; tax per line), a quote
//! moves draft -> sent -> accepted into a sales order that wins its deal,
//! revisions supersede, expiry is read. The helpers at the top (`Shop`: one
//! organization's sales desk) are shared by `sales_orders` and
//! `sales_fulfilment`.

use mainstay::platform::money::{ONE, parse_units};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};
use crate::inventory::{receive, warehouse};

/// What a test returns: a failed request or a missing field fails it.
pub(crate) type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The JSON body of a response that must answer `status`.
pub(crate) async fn ok(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// The problem body of a response that must be `status` with `code`.
pub(crate) async fn refused(res: Res<Response>, status: u16, code: &str) -> Res<Value> {
    Ok(assert_problem(res?, status, code).await)
}

/// A string field.
pub(crate) fn text(v: &Value) -> Res<String> {
    let s = v.as_str().map(str::to_string);
    s.ok_or_else(|| format!("not a string: {v}").into())
}

/// The `id` of a record.
pub(crate) fn id(v: &Value) -> Res<String> {
    text(&v["id"])
}

/// A decimal string as ten-thousandths: values compared exactly, however
/// many decimals are written.
pub(crate) fn units(v: &Value) -> Res<i64> {
    Ok(parse_units(&text(v)?)?)
}

/// A quantity that must be whole, in units.
pub(crate) fn whole(v: &Value) -> Res<i64> {
    let u = units(v)?;
    assert_eq!(u % ONE, 0, "{v} is not a whole quantity");
    Ok(u / ONE)
}

/// Fields of a record as strings (numbers and booleans as JSON text).
pub(crate) fn pick(v: &Value, keys: &[&str]) -> Vec<String> {
    let one = |k: &&str| {
        v[*k]
            .as_str()
            .map_or_else(|| v[*k].to_string(), str::to_string)
    };
    keys.iter().map(one).collect()
}

/// One field of each line (`?` where it is not a string).
pub(crate) fn column(doc: &Value, key: &str) -> Vec<String> {
    let lines = doc["lines"].as_array().cloned().unwrap_or_default();
    lines
        .iter()
        .map(|l| l[key].as_str().unwrap_or("?").to_string())
        .collect()
}

/// `[reserved, backordered, delivered]` of each line of an order.
pub(crate) fn state(doc: &Value) -> Vec<[String; 3]> {
    let col = |k: &str| column(doc, k);
    let (r, b, d) = (
        col("reserved_quantity"),
        col("backordered_quantity"),
        col("delivered_quantity"),
    );
    (0..r.len())
        .map(|i| [r[i].clone(), b[i].clone(), d[i].clone()])
        .collect()
}

/// Rows on a list page.
pub(crate) fn count(page: &Value) -> usize {
    page["data"].as_array().map_or(0, Vec::len)
}

/// A response header.
pub(crate) fn header(res: &Response, name: &str) -> Option<String> {
    let value = res.headers().get(name).and_then(|v| v.to_str().ok());
    value.map(str::to_string)
}

/// The sorted `(field, code)` pairs of a problem's `errors`.
pub(crate) fn errors(problem: &Value) -> Vec<(String, String)> {
    let list = problem["errors"].as_array().cloned().unwrap_or_default();
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().into(),
                e["code"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// The sorted fields a 422 names.
pub(crate) fn fields(problem: &Value) -> Vec<String> {
    errors(problem).into_iter().map(|(f, _)| f).collect()
}

/// Any request as `who`, with extra headers.
pub(crate) async fn request(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Member,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Res<Response> {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&who.token);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    Ok(req.send().await?)
}

/// A fresh organization (owner signed in) with its default warehouse `MAIN`.
pub(crate) async fn organization(app: &TestApp) -> Res<(Member, String)> {
    let owner = app.onboard().await;
    let wh = warehouse(app, &owner, "MAIN").await;
    Ok((owner, wh))
}

/// A line of a product at its sale price.
pub(crate) fn line(product: &str, qty: &str) -> Value {
    json!({ "product_id": product, "quantity": qty })
}

/// A free-text line.
pub(crate) fn free(description: &str, qty: &str, price: &str) -> Value {
    json!({ "description": description, "quantity": qty, "unit_price": price })
}

/// One organization's sales desk, worked by its owner: the app, the default
/// warehouse and a customer `Acme` in EUR.
pub(crate) struct Shop {
    pub app: TestApp,
    pub owner: Member,
    pub wh: String,
    pub cust: String,
}

impl Shop {
    /// A fresh app and organization.
    pub(crate) async fn open() -> Res<Self> {
        let app = spawn_app().await;
        let (owner, wh) = organization(&app).await?;
        let mut shop = Self {
            app,
            owner,
            wh,
            cust: String::new(),
        };
        shop.cust = shop.customer("Acme", "EUR").await?;
        Ok(shop)
    }

    /// POST as the owner.
    pub(crate) async fn post(&self, path: &str, body: Value) -> Res<Response> {
        request(&self.app, Method::POST, path, &self.owner, Some(body), &[]).await
    }

    /// GET as the owner, which must answer 200.
    pub(crate) async fn get(&self, path: &str) -> Res<Value> {
        let res = request(&self.app, Method::GET, path, &self.owner, None, &[]).await?;
        Ok(ok(res, 200).await)
    }

    /// PATCH as the owner with an optional `If-Match`.
    pub(crate) async fn patch(
        &self,
        path: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Res<Response> {
        let headers: Vec<(&str, &str)> = if_match.map(|t| ("If-Match", t)).into_iter().collect();
        request(
            &self.app,
            Method::PATCH,
            path,
            &self.owner,
            Some(body),
            &headers,
        )
        .await
    }

    /// Lifts the request budget (long random walks).
    pub(crate) async fn enterprise(&self) -> Res {
        let path = format!("/api/v1/organizations/{}/subscription", self.owner.org_id);
        ok(
            self.post(&path, json!({ "plan": "enterprise" })).await?,
            200,
        )
        .await;
        Ok(())
    }

    /// A customer billed in `currency`.
    pub(crate) async fn customer(&self, name: &str, currency: &str) -> Res<String> {
        let body = json!({ "name": name, "currency": currency });
        id(&ok(self.post("/api/v1/customers", body).await?, 201).await)
    }

    /// A product of `kind` (`stock` or `service`) sold at `price`.
    pub(crate) async fn product_of(&self, sku: &str, kind: &str, price: &str) -> Res<String> {
        let body = json!({ "sku": sku, "name": format!("Product {sku}"), "kind": kind, "sale_price": price, "standard_cost": "1.00" });
        id(&ok(self.post("/api/v1/products", body).await?, 201).await)
    }

    /// A stock product sold at 4.00 with `qty` on hand in the warehouse.
    pub(crate) async fn stocked(&self, sku: &str, qty: &str) -> Res<String> {
        let p = self.product_of(sku, "stock", "4.00").await?;
        if qty != "0" {
            self.receive(&p, qty).await?;
        }
        Ok(p)
    }

    /// Receives `qty` of a product into the warehouse.
    pub(crate) async fn receive(&self, product: &str, qty: &str) -> Res {
        ok(
            receive(&self.app, &self.owner, &self.wh, product, qty, "1.00").await,
            201,
        )
        .await;
        Ok(())
    }

    /// A draft sales order of `lines` for the customer from the warehouse.
    pub(crate) async fn order(&self, lines: Value) -> Res<Value> {
        let body = json!({ "customer_id": self.cust, "warehouse_id": self.wh, "lines": lines });
        Ok(ok(self.post("/api/v1/sales-orders", body).await?, 201).await)
    }

    /// `POST /sales-orders/{id}/{action}` (`confirm`, `cancel`, `reserve`, ...).
    pub(crate) async fn act(&self, order: &Value, action: &str) -> Res<Response> {
        let path = format!("/api/v1/sales-orders/{}/{action}", id(order)?);
        self.post(&path, json!({})).await
    }

    /// The order as it is now.
    pub(crate) async fn read(&self, order: &Value) -> Res<Value> {
        self.get(&format!("/api/v1/sales-orders/{}", id(order)?))
            .await
    }

    /// Ships `quantity` of each line given by its index in `order`.
    pub(crate) async fn fulfil(&self, order: &Value, lines: &[(usize, &str)]) -> Res<Response> {
        let mut body = Vec::new();
        for (i, q) in lines {
            body.push(json!({ "line_id": text(&order["lines"][*i]["id"])?, "quantity": q }));
        }
        let path = format!("/api/v1/sales-orders/{}/fulfilments", id(order)?);
        self.post(&path, json!({ "lines": body })).await
    }

    /// `(on hand, reserved)` of a product in the warehouse, in whole units.
    pub(crate) async fn level(&self, product: &str) -> Res<(i64, i64)> {
        level(&self.app, &self.owner, product, &self.wh).await
    }
}

/// `(on hand, reserved)` of a product in a warehouse, in whole units.
pub(crate) async fn level(app: &TestApp, who: &Member, product: &str, wh: &str) -> Res<(i64, i64)> {
    let path = format!("/api/v1/products/{product}/inventory");
    let inv = ok(request(app, Method::GET, &path, who, None, &[]).await?, 200).await;
    let rows = inv["warehouses"].as_array().cloned().unwrap_or_default();
    let Some(row) = rows.iter().find(|r| r["warehouse_id"] == wh) else {
        return Ok((0, 0));
    };
    Ok((whole(&row["on_hand"])?, whole(&row["reserved"])?))
}

/// `[subtotal, discount, tax, total]` of each line.
fn figures(doc: &Value) -> Vec<[String; 4]> {
    let col = |k: &str| column(doc, k);
    let (s, d, t, n) = (col("subtotal"), col("discount"), col("tax"), col("total"));
    (0..s.len())
        .map(|i| [s[i].clone(), d[i].clone(), t[i].clone(), n[i].clone()])
        .collect()
}

/// `[subtotal, discount_total, tax_total, total]` of a document.
fn totals(doc: &Value) -> [String; 4] {
    ["subtotal", "discount_total", "tax_total", "total"]
        .map(|k| doc[k].as_str().unwrap_or("?").into())
}

impl Shop {
    /// A draft quote of `lines` for the customer.
    pub(crate) async fn quote(&self, lines: Value) -> Res<Value> {
        self.quote_with(json!({ "customer_id": self.cust, "lines": lines }))
            .await
    }

    /// A draft quote of `body`.
    pub(crate) async fn quote_with(&self, body: Value) -> Res<Value> {
        Ok(ok(self.post("/api/v1/quotes", body).await?, 201).await)
    }

    /// `POST /quotes/{id}/{action}`.
    pub(crate) async fn quote_act(&self, q: &Value, action: &str) -> Res<Response> {
        self.post(&format!("/api/v1/quotes/{}/{action}", id(q)?), json!({}))
            .await
    }

    /// A quote action that must be 409 `invalid_state`.
    async fn quote_refused(&self, q: &Value, action: &str) -> Res {
        refused(self.quote_act(q, action).await, 409, "invalid_state")
            .await
            .map(|_| ())
    }

    async fn read_quote(&self, q: &Value) -> Res<Value> {
        self.get(&format!("/api/v1/quotes/{}", id(q)?)).await
    }

    /// An accounting tax rate of `rate` percent, collected in account 2100.
    async fn tax_rate(&self, name: &str, rate: &str) -> Res<String> {
        let chart = self.get("/api/v1/accounting/accounts").await?;
        let accounts = chart["data"].as_array().cloned().unwrap_or_default();
        let account = accounts
            .iter()
            .find(|a| a["code"] == "2100")
            .ok_or("no account 2100")?;
        let body = json!({ "name": name, "rate": rate, "account_id": id(account)? });
        id(&ok(self.post("/api/v1/accounting/tax-rates", body).await?, 201).await)
    }
}

#[tokio::test]
async fn three_times_ten_cents_is_thirty_cents_and_half_cents_round_up() -> Res {
    let shop = Shop::open().await?;
    let lines = json!([
        free("Ten cents", "3", "0.10"),
        free("An eighth", "1", "0.125"),
        free("Five eighths", "2.5", "0.25"),
        free("Half a cent", "1", "0.005"),
    ]);
    let q = shop.quote(lines).await?;
    // 0.30 exactly (0.1 x 3 in floating point is 0.30000000000000004);
    // 0.125 -> 0.13, 0.625 -> 0.63, 0.005 -> 0.01: half-up, not half-even.
    assert_eq!(
        figures(&q),
        [
            ["0.30", "0.00", "0.00", "0.30"],
            ["0.13", "0.00", "0.00", "0.13"],
            ["0.63", "0.00", "0.00", "0.63"],
            ["0.01", "0.00", "0.00", "0.01"],
        ]
    );
    assert_eq!(column(&q, "unit_price"), ["0.10", "0.125", "0.25", "0.005"]);
    assert_eq!(column(&q, "quantity"), ["3", "1", "2.5", "1"]);
    // The sum of the rounded lines (1.07), not the rounded sum (1.055 -> 1.06).
    assert_eq!(totals(&q), ["1.07", "0.00", "0.00", "1.07"]);
    Ok(())
}

#[tokio::test]
async fn a_third_off_is_rounded_half_up_on_each_line() -> Res {
    let shop = Shop::open().await?;
    let third = |qty: &str, price: &str| json!({ "description": "Third off", "quantity": qty, "unit_price": price, "discount_percent": "33.3333" });
    let q = shop
        .quote(json!([
            third("3", "10.00"),
            third("7", "1.15"),
            third("1", "0.15")
        ]))
        .await?;
    // 30.00 x 33.3333% = 9.99999 -> 10.00; 8.05 x 33.3333% = 2.6833... -> 2.68;
    // 0.15 x 33.3333% = 0.04999995 -> 0.05.
    assert_eq!(
        figures(&q),
        [
            ["30.00", "10.00", "0.00", "20.00"],
            ["8.05", "2.68", "0.00", "5.37"],
            ["0.15", "0.05", "0.00", "0.10"],
        ]
    );
    assert_eq!(column(&q, "discount_percent"), ["33.3333"; 3]);
    assert_eq!(totals(&q), ["38.20", "12.73", "0.00", "25.47"]);
    Ok(())
}

#[tokio::test]
async fn tax_is_computed_and_rounded_on_each_line_after_its_discount() -> Res {
    let shop = Shop::open().await?;
    let vat = shop.tax_rate("VAT", "20").await?;
    let low = shop.tax_rate("Reduced", "7.25").await?;
    let taxed = |price: &str, discount: &str, rate: &str| json!({ "description": "Taxed", "quantity": "1", "unit_price": price, "discount_percent": discount, "tax_rate_id": rate });
    let lines = json!([
        taxed("10.00", "33.3333", &vat),
        taxed("0.10", "0", &low),
        taxed("0.10", "0", &low),
        taxed("9.99", "0", &low),
        free("Untaxed", "2", "5.00"),
    ]);
    let q = shop.quote(lines).await?;
    // 10.00 - 3.33 = 6.67, x 20% = 1.334 -> 1.33; 0.10 x 7.25% = 0.00725 ->
    // 0.01 on each line (0.20 x 7.25% would round to 0.01 once);
    // 9.99 x 7.25% = 0.724275 -> 0.72.
    assert_eq!(
        figures(&q),
        [
            ["10.00", "3.33", "1.33", "8.00"],
            ["0.10", "0.00", "0.01", "0.11"],
            ["0.10", "0.00", "0.01", "0.11"],
            ["9.99", "0.00", "0.72", "10.71"],
            ["10.00", "0.00", "0.00", "10.00"],
        ]
    );
    assert_eq!(column(&q, "tax_rate_id")[..2], [vat, low]);
    assert_eq!(
        column(&q, "tax_percent")[..4],
        ["20", "7.25", "7.25", "7.25"]
    );
    assert!(q["lines"][4]["tax_rate_id"].is_null());
    assert_eq!(totals(&q), ["30.19", "3.33", "2.07", "28.93"]);
    Ok(())
}

#[tokio::test]
async fn fifty_lines_sum_their_rounded_figures_not_a_rounded_sum() -> Res {
    let shop = Shop::open().await?;
    let q = shop
        .quote(json!(vec![free("Clip", "3", "0.335"); 50]))
        .await?;
    // Each 1.005 -> 1.01: 50.50, where rounding the sum would give 50.25.
    assert_eq!(figures(&q), [["1.01", "0.00", "0.00", "1.01"]; 50]);
    assert_eq!(totals(&q), ["50.50", "0.00", "0.00", "50.50"]);
    let q = shop
        .quote(json!(vec![free("Dust", "0.01", "0.333"); 50]))
        .await?;
    // Each 0.00333 -> 0.00: 0.00, where rounding the sum (0.1665) would give 0.17.
    assert_eq!(figures(&q), [["0.00", "0.00", "0.00", "0.00"]; 50]);
    assert_eq!(totals(&q), ["0.00", "0.00", "0.00", "0.00"]);
    Ok(())
}

#[tokio::test]
async fn yen_round_to_whole_yen_and_dinars_to_the_fils() -> Res {
    let shop = Shop::open().await?;
    let tokyo = shop.customer("Tokyo KK", "JPY").await?;
    let vat = shop.tax_rate("JCT", "20").await?;
    let lines = json!([
        { "description": "Kit", "quantity": "1.5", "unit_price": "333", "discount_percent": "33.3333", "tax_rate_id": vat },
        free("Half yen", "5", "0.5"),
    ]);
    let q = shop
        .quote_with(json!({ "customer_id": tokyo, "lines": lines }))
        .await?;
    assert_eq!(q["currency"], "JPY", "the customer's currency");
    // Compared by value: whole yen, however many zero decimals are written.
    let values = |v: &Value, keys: [&str; 4]| -> Res<Vec<i64>> {
        keys.iter().map(|k| units(&v[*k])).collect()
    };
    let yen = |n: [i64; 4]| n.map(|n| n * ONE).to_vec();
    let line_keys = ["subtotal", "discount", "tax", "total"];
    // 499.5 -> 500; 500 x 33.3333% = 166.6665 -> 167; 333 x 20% = 66.6 -> 67;
    // 2.5 -> 3 (half-up, where half-even would give 2).
    assert_eq!(
        values(&q["lines"][0], line_keys)?,
        yen([500, 167, 67, 400]),
        "{q}"
    );
    assert_eq!(values(&q["lines"][1], line_keys)?, yen([3, 0, 0, 3]), "{q}");
    let doc_keys = ["subtotal", "discount_total", "tax_total", "total"];
    assert_eq!(values(&q, doc_keys)?, yen([503, 167, 67, 403]), "{q}");

    let lines = json!([free("A", "1", "0.1235"), free("B", "1", "1.0004")]);
    let q = shop
        .quote_with(json!({ "customer_id": shop.cust, "currency": "BHD", "lines": lines }))
        .await?;
    assert_eq!(q["currency"], "BHD");
    // Three decimals: 0.1235 -> 0.124, 1.0004 -> 1.000.
    let fils = [
        units(&q["lines"][0]["total"])?,
        units(&q["lines"][1]["total"])?,
    ];
    assert_eq!((fils, units(&q["total"])?), ([1240, 10_000], 11_240), "{q}");
    Ok(())
}

#[tokio::test]
async fn quote_input_is_checked_naming_each_field() -> Res {
    let shop = Shop::open().await?;
    let lines = json!([
        free("Zero", "0", "1.00"),
        { "quantity": "1", "unit_price": "1.00" },
        { "description": "Too much off", "quantity": "1", "unit_price": "1.00", "discount_percent": "100.5" },
        { "description": "No price", "quantity": "1" },
        free("Negative", "1", "-1.00"),
    ]);
    let create = |body: Value| shop.post("/api/v1/quotes", body);
    let bad = create(json!({ "customer_id": shop.cust, "lines": lines })).await;
    let named = fields(&refused(bad, 422, "validation_failed").await?);
    for field in [
        "lines[0].quantity",
        "lines[1].description",
        "lines[2].discount_percent",
        "lines[3].unit_price",
        "lines[4].unit_price",
    ] {
        assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
    }
    let unknown = json!([{ "description": "X", "quantity": "1", "unit_price": "1.00", "tax_rate_id": uuid::Uuid::now_v7() }]);
    let res = create(json!({ "customer_id": shop.cust, "lines": unknown })).await;
    let problem = refused(res, 422, "validation_failed").await?;
    assert_eq!(fields(&problem), ["lines[0].tax_rate_id"], "{problem}");
    let backwards = json!({ "customer_id": shop.cust, "issue_date": "2030-02-01", "valid_until": "2030-01-31", "lines": [free("X", "1", "1.00")] });
    let problem = refused(create(backwards).await, 422, "validation_failed").await?;
    assert_eq!(fields(&problem), ["valid_until"], "{problem}");
    let empty = json!({ "customer_id": shop.cust, "lines": [] });
    let problem = refused(create(empty).await, 422, "validation_failed").await?;
    assert_eq!(fields(&problem), ["lines"], "{problem}");
    Ok(())
}

#[tokio::test]
async fn an_accepted_quote_becomes_a_sales_order_and_wins_its_deal() -> Res {
    let shop = Shop::open().await?;
    let bolt = shop.stocked("BOLT", "10").await?;
    let deal = json!({ "title": "Bolts", "amount": "100.00", "currency": "EUR", "customer_id": shop.cust });
    let deal = ok(shop.post("/api/v1/deals", deal).await?, 201).await;
    let lines = json!([{ "product_id": bolt, "quantity": "2", "discount_percent": "10" }, free("Fitting", "1", "50.00")]);
    let body = json!({ "customer_id": shop.cust, "deal_id": deal["id"], "notes": "Thanks!", "lines": lines });
    let q = shop.quote_with(body).await?;
    assert_eq!(
        pick(&q, &["number", "revision", "status"]),
        ["Q-000001", "1", "draft"]
    );
    assert_eq!(
        column(&q, "unit_price"),
        ["4.00", "50.00"],
        "the product's sale price"
    );
    assert_eq!(column(&q, "sku"), ["BOLT", "?"], "no sku on free text");
    let date = |v: &Value| -> Res<chrono::NaiveDate> {
        Ok(chrono::NaiveDate::parse_from_str(&text(v)?, "%Y-%m-%d")?)
    };
    let valid_for = date(&q["valid_until"])? - date(&q["issue_date"])?;
    assert_eq!(valid_for.num_days(), 30);
    assert_eq!(totals(&q), ["58.00", "0.80", "0.00", "57.20"]);

    let sent = ok(shop.quote_act(&q, "send").await?, 200).await;
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string());
    let res = shop.quote_act(&q, "accept").await?;
    let at = header(&res, "location");
    let so = ok(res, 201).await;
    assert_eq!(at, Some(format!("/api/v1/sales-orders/{}", id(&so)?)));
    assert_eq!(pick(&so, &["number", "status"]), ["SO-000001", "draft"]);
    let copied = ["customer_id", "currency", "notes"];
    assert_eq!(pick(&so, &copied), pick(&q, &copied));
    assert_eq!(so["quote_id"], q["id"]);
    for key in [
        "product_id",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
    ] {
        assert_eq!(column(&so, key), column(&q, key), "{key}");
    }
    assert_eq!((figures(&so), totals(&so)), (figures(&q), totals(&q)));
    let stocked: Vec<Option<bool>> = (0..2)
        .map(|i| so["lines"][i]["stocked"].as_bool())
        .collect();
    assert_eq!(stocked, [Some(true), Some(false)]);

    let q = shop.read_quote(&q).await?;
    assert_eq!(
        pick(&q, &["status", "sales_order_id"]),
        ["accepted", &id(&so)?]
    );
    assert!(q["accepted_at"].is_string());
    let deal = shop.get(&format!("/api/v1/deals/{}", id(&deal)?)).await?;
    assert_eq!(deal["status"], "won");
    assert_eq!(shop.quote_act(&q, "accept").await?.status(), 409);
    assert_eq!(count(&shop.get("/api/v1/sales-orders").await?), 1);
    Ok(())
}

#[tokio::test]
async fn illegal_quote_transitions_are_409_invalid_state() -> Res {
    let shop = Shop::open().await?;
    let q = shop.quote(json!([free("Audit", "1", "100.00")])).await?;
    shop.quote_refused(&q, "accept").await?;
    shop.quote_refused(&q, "reject").await?;
    ok(shop.quote_act(&q, "send").await?, 200).await;
    shop.quote_refused(&q, "send").await?;
    let path = format!("/api/v1/quotes/{}", id(&q)?);
    let late = shop.patch(&path, json!({ "notes": "late" }), None).await;
    refused(late, 409, "invalid_state").await?;
    let rejected = ok(shop.quote_act(&q, "reject").await?, 200).await;
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["rejected_at"].is_string());
    for action in ["accept", "send", "reject"] {
        shop.quote_refused(&q, action).await?;
    }
    assert_eq!(shop.read_quote(&q).await?["notes"], q["notes"]);
    Ok(())
}

#[tokio::test]
async fn a_sent_quote_past_valid_until_reads_expired_and_cannot_be_accepted() -> Res {
    let shop = Shop::open().await?;
    let body = json!({ "customer_id": shop.cust, "issue_date": "2020-01-01", "valid_until": "2020-01-31", "lines": [free("Audit", "1", "100.00")] });
    let q = shop.quote_with(body).await?;
    assert_eq!(q["status"], "draft", "a draft does not expire");
    ok(shop.quote_act(&q, "send").await?, 200).await;
    assert_eq!(shop.read_quote(&q).await?["status"], "expired");
    refused(shop.quote_act(&q, "accept").await, 409, "quote_expired").await?;
    let expired = shop.get("/api/v1/quotes?status=expired").await?;
    assert_eq!((count(&expired), &expired["data"][0]["id"]), (1, &q["id"]));
    assert_eq!(count(&shop.get("/api/v1/quotes?status=sent").await?), 0);
    assert_eq!(count(&shop.get("/api/v1/sales-orders").await?), 0);
    // An expired quote can be revised into a new draft.
    let revised = ok(shop.quote_act(&q, "revise").await?, 201).await;
    assert_eq!(pick(&revised, &["status", "revision"]), ["draft", "2"]);
    Ok(())
}

#[tokio::test]
async fn a_revision_supersedes_the_old_quote_under_the_same_number() -> Res {
    let shop = Shop::open().await?;
    let bolt = shop.stocked("BOLT", "0").await?;
    let q = shop
        .quote(json!([line(&bolt, "3"), free("Fitting", "1", "25.00")]))
        .await?;
    ok(shop.quote_act(&q, "send").await?, 200).await;
    let res = shop.quote_act(&q, "revise").await?;
    let at = header(&res, "location");
    let r2 = ok(res, 201).await;
    assert_eq!(at, Some(format!("/api/v1/quotes/{}", id(&r2)?)));
    assert_ne!(r2["id"], q["id"]);
    let keys = ["number", "revision", "status", "revision_of"];
    assert_eq!(pick(&r2, &keys), ["Q-000001", "2", "draft", &id(&q)?]);
    for key in ["product_id", "description", "quantity", "unit_price"] {
        assert_eq!(column(&r2, key), column(&q, key), "{key}");
    }
    assert_eq!(totals(&r2), totals(&q));
    let old = shop.read_quote(&q).await?;
    assert_eq!(
        pick(&old, &["status", "superseded_by"]),
        ["superseded", &id(&r2)?]
    );
    for action in ["send", "accept", "reject", "revise"] {
        shop.quote_refused(&q, action).await?;
    }
    let next = shop.quote(json!([free("X", "1", "1.00")])).await?;
    assert_eq!(next["number"], "Q-000002", "a revision takes no new number");
    Ok(())
}

#[tokio::test]
async fn a_draft_quote_is_patched_under_if_match_and_its_totals_recomputed() -> Res {
    let shop = Shop::open().await?;
    let body = json!({ "customer_id": shop.cust, "lines": [free("A", "1", "10.00")] });
    let res = shop.post("/api/v1/quotes", body).await?;
    assert_eq!(header(&res, "etag").as_deref(), Some("\"1\""));
    let q = ok(res, 201).await;
    let path = format!("/api/v1/quotes/{}", id(&q)?);
    let change =
        json!({ "notes": "New scope", "lines": [free("B", "3", "0.10"), free("C", "1", "0.125")] });
    let res = shop.patch(&path, change, Some("\"1\"")).await?;
    assert_eq!(header(&res, "etag").as_deref(), Some("\"2\""));
    let changed = ok(res, 200).await;
    assert_eq!(column(&changed, "description"), ["B", "C"]);
    assert_eq!(totals(&changed), ["0.43", "0.00", "0.00", "0.43"]);
    let stale = shop
        .patch(&path, json!({ "notes": "x" }), Some("\"1\""))
        .await;
    refused(stale, 412, "version_mismatch").await?;
    assert_eq!(shop.read_quote(&q).await?["notes"], "New scope");
    Ok(())
}
