//! Aging and statements: open balances in buckets of days past due as of a
//! date (allocations after it not yet counted), and a customer's documents
//! from an opening to a closing balance.

use chrono::{Days, NaiveDate};
use mainstay::platform::money::parse_units;
use reqwest::Method;
use serde_json::{Value, json};

use super::{account, cents};
use crate::procurement::supplier;
use crate::sales::{Res, Shop, free, header, id, ok, request, text};

/// The date the aging is read at.
const AS_OF: (i32, u32, u32) = (2025, 6, 30);
/// `current, days_1_30, days_31_60, days_61_90, over_90, total`.
const BUCKETS: [&str; 6] = [
    "current",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "over_90",
    "total",
];

fn as_of() -> Res<NaiveDate> {
    let (y, m, d) = AS_OF;
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| "a date".into())
}

/// `days` before the aging date.
fn before(days: u64) -> Res<String> {
    let date = as_of()?.checked_sub_days(Days::new(days)).ok_or("a date")?;
    Ok(date.to_string())
}

/// Invoices or bills, and the payments that settle them.
struct Kind {
    docs: &'static str,
    pays: &'static str,
    party: &'static str,
    doc: &'static str,
    report: &'static str,
}

const AR: Kind = Kind {
    docs: "/api/v1/invoices",
    pays: "/api/v1/payments",
    party: "customer_id",
    doc: "invoice_id",
    report: "/api/v1/billing/reports/ar-aging",
};

const AP: Kind = Kind {
    docs: "/api/v1/bills",
    pays: "/api/v1/supplier-payments",
    party: "supplier_id",
    doc: "bill_id",
    report: "/api/v1/billing/reports/ap-aging",
};

/// Two parties with documents due 0, 20 (paid off), 45 (partly paid), 120
/// days and 15, 75 days before the aging date, each issued 30 days before it
/// was due; the payments are dated 5 and 3 days before the aging date.
async fn aged(kind: &Kind) -> Res<(Shop, [String; 2])> {
    let shop = Shop::open().await?;
    let parties = if kind.party == "customer_id" {
        [shop.cust.clone(), shop.customer("Beta", "EUR").await?]
    } else {
        let (app, owner) = (&shop.app, &shop.owner);
        [
            supplier(app, owner, "Acme").await,
            supplier(app, owner, "Beta").await,
        ]
    };
    let expense = account(&shop, "6010").await?;
    let mut docs = Vec::new();
    for (p, days, amount) in [
        (0, 0, "100.00"),
        (0, 20, "50.00"),
        (0, 45, "300.00"),
        (0, 120, "500.00"),
        (1, 15, "200.00"),
        (1, 75, "400.00"),
    ] {
        let mut line = free("Services", "1", amount);
        if kind.party == "supplier_id" {
            line["account_id"] = json!(expense);
        }
        let mut body = json!({ "issue_date": before(days + 30)?, "due_date": before(days)?, "issue": true, "lines": [line] });
        body[kind.party] = json!(parties[p]);
        docs.push(id(&ok(shop.post(kind.docs, body).await?, 201).await)?);
    }
    for (doc, amount, days) in [(2, "120.00", 5), (1, "50.00", 3)] {
        let mut alloc = json!({ "amount": amount });
        alloc[kind.doc] = json!(docs[doc]);
        let mut body = json!({ "amount": amount, "method": "bank_transfer", "payment_date": before(days)?, "allocations": [alloc] });
        body[kind.party] = json!(parties[0]);
        ok(shop.post(kind.pays, body).await?, 201).await;
    }
    Ok((shop, parties))
}

/// The buckets of a row or a total, in cents.
fn buckets(row: &Value) -> Res<Vec<i64>> {
    BUCKETS.iter().map(|k| cents(&row[*k])).collect()
}

/// The buckets of each party's row, in the order of `parties`.
fn rows_of(report: &Value, parties: &[String; 2]) -> Res<Vec<Vec<i64>>> {
    let rows = report["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "{report}");
    let mut out = Vec::new();
    for p in parties {
        let row = rows
            .iter()
            .find(|r| r["party_id"] == p.as_str())
            .ok_or("a row per party")?;
        assert_eq!(row["currency"], "EUR", "{row}");
        out.push(buckets(row)?);
    }
    Ok(out)
}

/// The one total of the report, in EUR.
fn eur_total(report: &Value) -> Res<Vec<i64>> {
    let totals = report["totals"].as_array().cloned().unwrap_or_default();
    assert_eq!(totals.len(), 1, "{report}");
    assert_eq!(totals[0]["currency"], "EUR", "{report}");
    buckets(&totals[0])
}

#[tokio::test]
async fn ar_aging_puts_open_balances_in_buckets_by_days_past_due() -> Res {
    let (shop, parties) = aged(&AR).await?;
    let report = shop
        .get(&format!("{}?as_of={}", AR.report, before(0)?))
        .await?;
    assert_eq!(report["as_of"], before(0)?);
    // Due today is current; 45 days late with 120.00 of 300.00 paid leaves
    // 180.00 in 31-60; the invoice paid off is in no bucket.
    let want = [
        vec![10_000, 0, 18_000, 0, 50_000, 78_000],
        vec![0, 20_000, 0, 40_000, 0, 60_000],
    ];
    assert_eq!(rows_of(&report, &parties)?, want, "{report}");
    assert_eq!(
        eur_total(&report)?,
        [10_000, 20_000, 18_000, 40_000, 50_000, 138_000]
    );
    let names: Vec<&Value> = report["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| &r["name"])
        .collect();
    assert!(
        names.contains(&&json!("Acme")) && names.contains(&&json!("Beta")),
        "{report}"
    );
    Ok(())
}

#[tokio::test]
async fn ar_aging_as_of_a_date_before_the_payments_shows_the_balances_before_them() -> Res {
    let (shop, parties) = aged(&AR).await?;
    // Ten days earlier: each invoice is ten days less late and unpaid.
    let report = shop
        .get(&format!("{}?as_of={}", AR.report, before(10)?))
        .await?;
    let want = [
        vec![10_000, 5_000, 30_000, 0, 50_000, 95_000],
        vec![0, 20_000, 0, 40_000, 0, 60_000],
    ];
    assert_eq!(rows_of(&report, &parties)?, want, "{report}");
    assert_eq!(
        eur_total(&report)?,
        [10_000, 25_000, 30_000, 40_000, 50_000, 155_000]
    );
    Ok(())
}

#[tokio::test]
async fn ar_aging_as_csv_has_a_header_and_one_row_per_customer() -> Res {
    let (shop, parties) = aged(&AR).await?;
    let path = format!("{}?as_of={}", AR.report, before(0)?);
    let res = request(
        &shop.app,
        Method::GET,
        &path,
        &shop.owner,
        None,
        &[("Accept", "text/csv")],
    )
    .await?;
    let content_type = header(&res, "content-type").unwrap_or_default();
    assert_eq!(res.status(), 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let body = res.text().await?;
    let mut lines = body.lines();
    let head = "party_id,name,currency,current,days_1_30,days_31_60,days_61_90,over_90,total";
    assert_eq!(lines.next(), Some(head), "{body}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for (party, name, want) in [
        (&parties[0], "Acme", [10_000, 0, 18_000, 0, 50_000, 78_000]),
        (&parties[1], "Beta", [0, 20_000, 0, 40_000, 0, 60_000]),
    ] {
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == party.as_str()).collect();
        assert_eq!(mine.len(), 1, "one row for {name}: {body}");
        assert_eq!(mine[0][1..3], [name, "EUR"], "{body}");
        let amounts = mine[0][3..]
            .iter()
            .map(|a| Ok(parse_units(a)? / 100))
            .collect::<Res<Vec<i64>>>()?;
        assert_eq!(amounts, want, "{body}");
    }
    Ok(())
}

#[tokio::test]
async fn ap_aging_puts_open_bill_balances_in_buckets_by_days_past_due() -> Res {
    let (shop, parties) = aged(&AP).await?;
    let report = shop
        .get(&format!("{}?as_of={}", AP.report, before(0)?))
        .await?;
    let want = [
        vec![10_000, 0, 18_000, 0, 50_000, 78_000],
        vec![0, 20_000, 0, 40_000, 0, 60_000],
    ];
    assert_eq!(rows_of(&report, &parties)?, want, "{report}");
    assert_eq!(
        eur_total(&report)?,
        [10_000, 20_000, 18_000, 40_000, 50_000, 138_000]
    );
    // The receivables are another report.
    let ar = shop
        .get(&format!("{}?as_of={}", AR.report, before(0)?))
        .await?;
    assert_eq!(ar["rows"].as_array().map(Vec::len), Some(0), "{ar}");
    Ok(())
}

/// `(kind, debit, credit, balance)` of each statement line, in cents.
fn statement_lines(statement: &Value) -> Res<Vec<(String, i64, i64, i64)>> {
    let lines = statement["lines"].as_array().cloned().unwrap_or_default();
    lines
        .iter()
        .map(|l| {
            Ok((
                text(&l["kind"])?,
                cents(&l["debit"])?,
                cents(&l["credit"])?,
                cents(&l["balance"])?,
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_customer_statement_runs_from_opening_to_closing_balance() -> Res {
    let shop = Shop::open().await?;
    let invoice = |date: &str, amount: &str| {
        let body = json!({ "customer_id": shop.cust, "issue_date": date, "due_date": date, "issue": true, "lines": [free("Services", "1", amount)] });
        shop.post("/api/v1/invoices", body)
    };
    let pay = |date: &str, amount: &str, to: &str| {
        let body = json!({ "customer_id": shop.cust, "payment_date": date, "amount": amount, "method": "card", "allocations": [{ "invoice_id": to, "amount": amount }] });
        shop.post("/api/v1/payments", body)
    };
    // Before the range: 100.00 invoiced, 30.00 paid.
    let february = id(&ok(invoice("2025-02-10", "100.00").await?, 201).await)?;
    ok(pay("2025-02-20", "30.00", &february).await?, 201).await;
    // In it: 200.00 invoiced, 50.00 paid, 20.00 credited, 40.00 invoiced.
    let march = ok(invoice("2025-03-05", "200.00").await?, 201).await;
    let payment = ok(pay("2025-03-10", "50.00", &id(&march)?).await?, 201).await;
    let body = json!({ "invoice_id": march["id"], "issue_date": "2025-03-15", "amount": "20.00" });
    let note = ok(shop.post("/api/v1/credit-notes", body).await?, 201).await;
    let late = ok(invoice("2025-03-20", "40.00").await?, 201).await;
    // After it: not on the statement.
    ok(pay("2025-04-05", "10.00", &february).await?, 201).await;

    let path = format!(
        "/api/v1/customers/{}/statement?from=2025-03-01&to=2025-03-31",
        shop.cust
    );
    let statement = shop.get(&path).await?;
    assert_eq!(
        (
            cents(&statement["opening_balance"])?,
            &statement["currency"]
        ),
        (7_000, &json!("EUR"))
    );
    let want = [
        ("invoice".to_string(), 20_000, 0, 27_000),
        ("payment".into(), 0, 5_000, 22_000),
        ("credit_note".into(), 0, 2_000, 20_000),
        ("invoice".into(), 4_000, 0, 24_000),
    ];
    assert_eq!(statement_lines(&statement)?, want, "{statement}");
    let dates: Vec<&Value> = statement["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| &l["date"])
        .collect();
    assert_eq!(
        dates,
        [
            &json!("2025-03-05"),
            &json!("2025-03-10"),
            &json!("2025-03-15"),
            &json!("2025-03-20")
        ]
    );
    let documents: Vec<&Value> = statement["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| &l["document_id"])
        .collect();
    assert_eq!(
        documents,
        [&march["id"], &payment["id"], &note["id"], &late["id"]]
    );
    assert_eq!(statement["lines"][0]["number"], march["number"]);
    // Closing = opening + debits - credits.
    assert_eq!(
        cents(&statement["closing_balance"])?,
        7_000 + 24_000 - 7_000
    );
    Ok(())
}
