//! Card numbers (PANs) in billing: a PAN in any field of a billing request,
//! however it is grouped and whatever type the field expects, is a 422 naming
//! the field that never repeats the digits; after such requests the digits
//! are in no table and in no log line of the real binary. A stored payment
//! method keeps only what the gateway gave back.

use std::process::Stdio;
use std::time::Duration;

use reqwest::{Method, Response};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Member, PASSWORD, TestApp, create_postgres_database, spawn_app};
use crate::sales::{Res, errors, free, id, ok, refused};

/// The digits, as sent and as they could be kept, that must appear nowhere.
const TRACES: [&str; 6] = [
    "4111111111111111",
    "5555555555554444",
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "1111111111",
    "5555555555",
];

/// The first trace of a card number in `text`.
fn trace(text: &str) -> Option<&'static str> {
    TRACES.into_iter().find(|t| text.contains(t))
}

/// A client signed in to one organization of a running server (in process
/// or the real binary).
struct Desk {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Desk {
    fn of(app: &TestApp, who: &Member) -> Self {
        let (client, base) = (app.client.clone(), app.address.clone());
        Self {
            client,
            base,
            token: who.token.clone(),
        }
    }

    /// Onboards a fresh organization on the server at `base`.
    async fn onboard(base: &str) -> Res<Self> {
        let client = reqwest::Client::new();
        let email = format!("cards-{}@example.com", Uuid::now_v7().simple());
        let body = json!({ "organization_name": "Cards", "email": email, "password": PASSWORD, "full_name": "C" });
        let url = format!("{base}/api/v1/organizations/onboard");
        let res = ok(client.post(url).json(&body).send().await?, 201).await;
        let token = res["access_token"].as_str().ok_or("no token")?.to_string();
        let base = base.to_string();
        Ok(Self {
            client,
            base,
            token,
        })
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Res<Response> {
        let url = format!("{}{path}", self.base);
        let mut req = self.client.request(method, url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        Ok(req.send().await?)
    }

    /// POST of JSON text as written (numbers no `Value` can hold).
    async fn post_text(&self, path: &str, text: String) -> Res<Response> {
        let req = self.client.post(format!("{}{path}", self.base));
        let req = req
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json");
        Ok(req.body(text).send().await?)
    }

    /// POST that must answer 201: the new record's id.
    async fn made(&self, path: &str, body: Value) -> Res<String> {
        id(&ok(self.send(Method::POST, path, Some(&body)).await?, 201).await)
    }
}

/// Records the probes reach: a customer, a supplier, an issued invoice and
/// its line, a draft invoice, a confirmed order and a payment.
struct Ids {
    customer: String,
    supplier: String,
    invoice: String,
    line: String,
    draft: String,
    order: String,
    payment: String,
}

async fn setup(desk: &Desk) -> Res<Ids> {
    let customer = json!({ "name": "Acme", "currency": "EUR" });
    let customer = desk.made("/api/v1/customers", customer).await?;
    let supplier = json!({ "name": "Supply Co", "currency": "EUR" });
    let supplier = desk.made("/api/v1/suppliers", supplier).await?;
    let lines = json!([free("Work", "1", "100.00")]);
    let body = json!({ "customer_id": customer, "issue": true, "lines": lines });
    let res = desk
        .send(Method::POST, "/api/v1/invoices", Some(&body))
        .await?;
    let invoice = ok(res, 201).await;
    let line = id(&invoice["lines"][0])?;
    let body = json!({ "customer_id": customer, "lines": lines });
    let draft = desk.made("/api/v1/invoices", body).await?;
    let body = json!({ "customer_id": customer, "confirm": true, "lines": lines });
    let order = desk.made("/api/v1/sales-orders", body).await?;
    let body = json!({ "customer_id": customer, "amount": "10.00", "method": "cash" });
    let payment = desk.made("/api/v1/payments", body).await?;
    Ok(Ids {
        invoice: id(&invoice)?,
        customer,
        supplier,
        line,
        draft,
        order,
        payment,
    })
}

/// A request carrying a card number, and the field a refusal must name.
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
    field: &'static str,
}

fn post(path: String, body: Value, field: &'static str) -> Probe {
    let (method, body) = (Method::POST, Some(body));
    Probe {
        method,
        path,
        body,
        field,
    }
}

/// A card number in every kind of billing field: text, a line, a JSON
/// number, and a string where a number, a flag or an id is expected (so the
/// refusal must come before the typed parse), and in query strings.
fn probes(ids: &Ids) -> Vec<Probe> {
    let (cust, pan) = (&ids.customer, "4111111111111111");
    let line = free("Work", "1", "1.00");
    let invoice = |extra: Value| {
        let mut body = json!({ "customer_id": cust, "lines": [line] });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let card_line = json!([free("Card 4111 1111 1111 1111", "1", "1.00")]);
    let method = |m: Value| {
        let mut body = json!({ "gateway": "stripe", "token": "tok_abc", "brand": "visa", "last4": "1111", "exp_month": 12, "exp_year": 2030 });
        if let (Some(b), Some(e)) = (body.as_object_mut(), m.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let pay = |extra: Value| {
        let mut body = json!({ "customer_id": cust, "amount": "5.00", "method": "card" });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let methods = format!("/api/v1/customers/{cust}/payment-methods");
    let allocation = json!([{ "invoice_id": ids.invoice, "amount": 5555555555554444u64 }]);
    let mut all = vec![
        post(
            "/api/v1/invoices".into(),
            invoice(json!({ "notes": pan })),
            "notes",
        ),
        post(
            "/api/v1/invoices".into(),
            invoice(json!({ "lines": card_line })),
            "lines[0].description",
        ),
        post(
            "/api/v1/invoices".into(),
            invoice(json!({ "issue": pan })),
            "issue",
        ),
        post(
            "/api/v1/payments".into(),
            pay(json!({ "reference": "5555-5555-5555-4444" })),
            "reference",
        ),
        post(
            "/api/v1/payments".into(),
            pay(json!({ "amount": 4111111111111111u64 })),
            "amount",
        ),
        post(
            "/api/v1/payments".into(),
            pay(json!({ "allocations": allocation })),
            "allocations[0].amount",
        ),
        post(
            "/api/v1/payments".into(),
            pay(json!({ "customer_id": pan })),
            "customer_id",
        ),
        post(methods.clone(), method(json!({ "token": pan })), "token"),
        post(
            methods.clone(),
            method(json!({ "brand": "4111 1111 1111 1111" })),
            "brand",
        ),
        post(methods, method(json!({ "exp_month": pan })), "exp_month"),
        post(
            format!("/api/v1/payments/{}/refund", ids.payment),
            json!({ "amount": "1.00", "reason": pan }),
            "reason",
        ),
        post(
            "/api/v1/credit-notes".into(),
            json!({ "invoice_id": ids.invoice, "amount": "1.00", "reason": pan }),
            "reason",
        ),
        post(
            "/api/v1/credit-notes".into(),
            json!({ "invoice_id": ids.invoice, "lines": [{ "invoice_line_id": ids.line, "quantity": pan }] }),
            "lines[0].quantity",
        ),
        post(
            "/api/v1/bills".into(),
            json!({ "supplier_id": ids.supplier, "supplier_reference": pan, "lines": [line] }),
            "supplier_reference",
        ),
        post(
            "/api/v1/supplier-payments".into(),
            json!({ "supplier_id": ids.supplier, "amount": "1.00", "method": "cash", "notes": pan }),
            "notes",
        ),
        post(
            format!("/api/v1/sales-orders/{}/invoice", ids.order),
            json!({ "basis": "ordered", "notes": pan }),
            "notes",
        ),
    ];
    let patch = json!({ "notes": "5555-5555-5555-4444" });
    all.push(Probe {
        method: Method::PATCH,
        path: format!("/api/v1/invoices/{}", ids.draft),
        body: Some(patch),
        field: "notes",
    });
    for (path, field) in [
        ("/api/v1/invoices?q=4111111111111111", "q"),
        (
            "/api/v1/invoices?min_total=4111%201111%201111%201111",
            "min_total",
        ),
        (
            "/api/v1/payments?customer_id=5555-5555-5555-4444",
            "customer_id",
        ),
    ] {
        let (method, path, body) = (Method::GET, path.to_string(), None);
        all.push(Probe {
            method,
            path,
            body,
            field,
        });
    }
    all
}

/// Sends every probe; each must be a 422 naming its field with code
/// `card_number` whose body holds none of the digits.
async fn send_probes(desk: &Desk, ids: &Ids) -> Res<usize> {
    let all = probes(ids);
    for p in &all {
        let res = desk
            .send(p.method.clone(), &p.path, p.body.as_ref())
            .await?;
        let status = res.status().as_u16();
        let body = res.text().await?;
        let what = format!("{} {} ({}): {status} {body}", p.method, p.path, p.field);
        assert_eq!(trace(&body), None, "{what}");
        assert_eq!(status, 422, "{what}");
        let problem: Value = serde_json::from_str(&body)?;
        assert_eq!(problem["code"], "validation_failed", "{what}");
        let pair = (p.field.to_string(), "card_number".to_string());
        assert_eq!(errors(&problem), [pair], "{what}");
    }
    Ok(all.len())
}

#[tokio::test]
async fn a_card_number_in_any_billing_field_is_422_naming_the_field_without_its_digits() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let ids = setup(&desk).await?;
    assert!(send_probes(&desk, &ids).await? >= 20);
    Ok(())
}

#[tokio::test]
async fn a_card_number_inside_a_json_number_beyond_64_bits_is_refused() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let acme = json!({ "name": "Acme", "currency": "EUR" });
    let cust = desk.made("/api/v1/customers", acme).await?;
    // The digits of a PAN followed by four more: too long for a u64, so a
    // parser reads a float and keeps only its leading digits.
    for number in ["41111111111111111111", "41111111111111111111.5"] {
        let text = format!(r#"{{"customer_id":"{cust}","amount":{number},"method":"cash"}}"#);
        let res = desk.post_text("/api/v1/payments", text).await?;
        let status = res.status().as_u16();
        let body = res.text().await?;
        assert_eq!(trace(&body), None, "{number}: {body}");
        let problem: Value = serde_json::from_str(&body)?;
        let pair = ("amount".to_string(), "card_number".to_string());
        assert_eq!(
            (status, errors(&problem)),
            (422, vec![pair]),
            "{number}: {body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn sixteen_digits_that_fail_luhn_and_short_numbers_are_not_card_numbers() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let cust = desk
        .made(
            "/api/v1/customers",
            json!({ "name": "Acme", "currency": "EUR" }),
        )
        .await?;
    let lines = json!([free(
        "Order 4111111111111112, ref 411111111113",
        "1",
        "1.00"
    )]);
    let body = json!({ "customer_id": cust, "notes": "Call +44 20 7946 0958 on 2030-01-31", "lines": lines });
    desk.made("/api/v1/invoices", body).await?;
    let body = json!({ "customer_id": cust, "amount": "1.00", "method": "card", "reference": "4111 1111 1111 1112" });
    desk.made("/api/v1/payments", body).await?;
    let res = desk.send(Method::GET, "/api/v1/invoices?q=411111111113", None);
    ok(res.await?, 200).await;
    Ok(())
}

/// The number of rows, in every table, whose text holds `needle`.
async fn rows_holding(db: &DatabaseConnection, needle: &str) -> Res<i64> {
    let backend = db.get_database_backend();
    let like = format!("%{needle}%");
    let mut found = 0;
    for table in tables(db).await? {
        let (sql, values) = match backend {
            DatabaseBackend::Postgres => (
                format!("SELECT count(*) AS n FROM \"{table}\" t WHERE t::text LIKE $1"),
                vec![like.clone().into()],
            ),
            _ => {
                let info = format!("SELECT name FROM pragma_table_info('{table}')");
                let columns = strings(db, &info, "name").await?;
                let tests: Vec<String> = columns
                    .iter()
                    .map(|c| format!("CAST(\"{c}\" AS TEXT) LIKE ?"))
                    .collect();
                let sql = format!(
                    "SELECT count(*) AS n FROM \"{table}\" WHERE {}",
                    tests.join(" OR ")
                );
                (sql, vec![like.clone().into(); columns.len()])
            }
        };
        let stmt = Statement::from_sql_and_values(backend, sql, values);
        if let Some(row) = db.query_one_raw(stmt).await? {
            found += row.try_get::<i64>("", "n")?;
        }
    }
    Ok(found)
}

/// Every table of the test's database.
async fn tables(db: &DatabaseConnection) -> Res<Vec<String>> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    let names = strings(db, sql, "name").await?;
    assert!(names.len() > 20, "only {names:?}");
    Ok(names)
}

/// One text column of a query's rows.
async fn strings(db: &DatabaseConnection, sql: &str, column: &str) -> Res<Vec<String>> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", column)?))
        .collect()
}

#[tokio::test]
async fn refused_card_numbers_leave_no_trace_in_any_table() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let ids = setup(&desk).await?;
    // The scan finds what was stored: a note that was accepted.
    let body = json!({ "customer_id": ids.customer, "notes": "scan-marker-7319", "lines": [free("A", "1", "1.00")] });
    desk.made("/api/v1/invoices", body).await?;
    assert!(rows_holding(&app.state.db, "scan-marker-7319").await? >= 1);
    send_probes(&desk, &ids).await?;
    for needle in TRACES {
        let rows = rows_holding(&app.state.db, needle).await?;
        assert_eq!(rows, 0, "{needle} is stored");
    }
    Ok(())
}

/// The database the binary runs on: PostgreSQL when the suite does.
async fn binary_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let name = format!("mainstay_t_{}", Uuid::now_v7().simple());
            create_postgres_database(&server, &name).await
        }
        _ => format!("sqlite://{}/m.db", dir.display()),
    }
}

/// Reads a child's output to the end on its own task, so the pipe never fills.
fn drain(
    out: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(mut out) = out {
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut out, &mut buf).await;
        }
        buf
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_card_numbers_appear_in_no_log_line() -> Res {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("mainstay-pan-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mainstay"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAINSTAY_ENV", "test")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", binary_database(&dir).await)
        .env("RUST_LOG", "debug")
        .env("MAINSTAY__TELEMETRY__FORMAT", "json")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        let health = client.get(format!("{base}/health")).send().await;
        if health.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    let desk = Desk::onboard(&base).await?;
    let ids = setup(&desk).await?;
    send_probes(&desk, &ids).await?;
    let pid = child.id().ok_or("no pid")?.to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()?;
    assert!(stopped.success());
    tokio::time::timeout(Duration::from_secs(30), child.wait()).await??;
    let mut logs = stdout.await?;
    logs.extend(stderr.await?);
    let logs = String::from_utf8_lossy(&logs);
    // The capture works: debug lines and every refused request are there.
    let refused_lines = logs
        .lines()
        .filter(|l| l.contains("\"status\":422"))
        .count();
    assert!(logs.contains("DEBUG"), "no debug output captured");
    assert!(refused_lines >= 20, "{refused_lines} refusals logged");
    let leak = logs.lines().find(|l| trace(l).is_some());
    assert_eq!(leak, None, "a log line holds a card number");
    std::fs::remove_dir_all(dir).ok();
    Ok(())
}

/// `POST /customers/{id}/payment-methods` of `body`.
async fn add_method(desk: &Desk, cust: &str, body: &Value) -> Res<Response> {
    let path = format!("/api/v1/customers/{cust}/payment-methods");
    desk.send(Method::POST, &path, Some(body)).await
}

fn visa() -> Value {
    json!({ "gateway": "stripe", "token": "pm_1Q2w3E4r5T6y7U8i", "brand": "visa", "last4": "1111", "exp_month": 12, "exp_year": 2030 })
}

#[tokio::test]
async fn a_payment_method_keeps_only_the_gateway_token_brand_last4_and_expiry() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let acme = json!({ "name": "Acme", "currency": "EUR" });
    let cust = desk.made("/api/v1/customers", acme).await?;
    let mut extra = visa();
    extra["cardholder"] = json!("A. Buyer");
    let res = add_method(&desk, &cust, &extra).await;
    let problem = refused(res, 422, "validation_failed").await?;
    assert_eq!(crate::sales::fields(&problem), ["cardholder"]);
    let stored = ok(add_method(&desk, &cust, &visa()).await?, 201).await;
    let path = format!("/api/v1/customers/{cust}/payment-methods");
    let listed = ok(desk.send(Method::GET, &path, None).await?, 200).await;
    let mut rows = listed.as_array().cloned().unwrap_or_default();
    // PostgreSQL keeps microseconds: the creation time is compared apart.
    let mut created = stored.clone();
    for row in rows.iter_mut().chain([&mut created]) {
        let at = row["created_at"].take();
        let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap_or_default())?;
        row["created_at"] = json!(at.timestamp_micros());
    }
    assert_eq!(rows, [created], "a plain array of what was stored");
    let mut keys: Vec<&String> = stored.as_object().ok_or("an object")?.keys().collect();
    keys.sort();
    let expected = [
        "brand",
        "created_at",
        "customer_id",
        "exp_month",
        "exp_year",
        "gateway",
        "id",
        "last4",
        "token",
    ];
    assert_eq!(keys, expected);
    for (key, value) in visa().as_object().ok_or("an object")? {
        assert_eq!(&stored[key], value, "{key}");
    }
    assert_eq!(stored["customer_id"], json!(cust));
    let one = format!("{path}/{}", id(&stored)?);
    assert_eq!(desk.send(Method::DELETE, &one, None).await?.status(), 204);
    let listed = ok(desk.send(Method::GET, &path, None).await?, 200).await;
    assert_eq!(listed, json!([]));
    Ok(())
}

#[tokio::test]
async fn a_payment_method_needs_four_digits_of_last4_and_a_real_expiry() -> Res {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let desk = Desk::of(&app, &owner);
    let acme = json!({ "name": "Acme", "currency": "EUR" });
    let cust = desk.made("/api/v1/customers", acme).await?;
    let cases = [
        ("last4", json!("111")),
        ("last4", json!("11111")),
        ("last4", json!("11a1")),
        ("last4", json!(" 111")),
        ("exp_month", json!(13)),
        ("exp_month", json!(0)),
        ("exp_year", json!(1999)),
        ("exp_year", json!(2101)),
    ];
    for (field, value) in cases {
        let mut body = visa();
        body[field] = value.clone();
        let res = add_method(&desk, &cust, &body).await;
        let problem = refused(res, 422, "validation_failed").await?;
        assert_eq!(
            crate::sales::fields(&problem),
            [field],
            "{value}: {problem}"
        );
    }
    let path = format!("/api/v1/customers/{cust}/payment-methods");
    let listed = ok(desk.send(Method::GET, &path, None).await?, 200).await;
    assert_eq!(listed, json!([]));
    Ok(())
}
