//! Aging reports (receivables and payables) and customer statements, with
//! CSV renderings. Aging is exact as of any day: a document issued on or
//! before it, less what was applied to it on or before it; the database
//! does the sums in one statement (per-document allocations by index).

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::{
    modules::{
        billing::{
            dto::*,
            entities::{DocKind, DocStatus, PaymentStatus, credit_note, invoice, payment, refund},
        },
        crm, inventory,
    },
    platform::{error::AppError, money::Amount},
};

const AGING_SQL: &str = "
WITH docs AS (
  SELECT i.id AS id, COALESCE(i.customer_id, i.supplier_id) AS party, i.currency AS currency,
         i.due_date AS due_date, i.total AS total
  FROM invoices i
  WHERE i.organization_id = $1 AND i.kind = $2 AND i.issue_date <= $3
    AND (i.status IN ('issued', 'partially_paid')
         OR (i.status = 'paid' AND (i.settled_on IS NULL OR i.settled_on > $3))
         OR (i.status = 'void' AND i.voided_on > $3))
), settled AS (
  SELECT a.invoice_id AS invoice_id, SUM(a.amount) AS amount
  FROM allocations a JOIN docs d ON d.id = a.invoice_id
  WHERE a.organization_id = $1 AND a.allocated_on <= $3
  GROUP BY a.invoice_id
), o AS (
  SELECT d.party AS party, d.currency AS currency, d.due_date AS due_date,
         d.total - COALESCE(CAST(s.amount AS BIGINT), 0) AS open
  FROM docs d LEFT JOIN settled s ON s.invoice_id = d.id
)
SELECT party, currency,
  CAST(SUM(CASE WHEN due_date >= $3 THEN open ELSE 0 END) AS BIGINT) AS b0,
  CAST(SUM(CASE WHEN due_date < $3 AND due_date >= $4 THEN open ELSE 0 END) AS BIGINT) AS b1,
  CAST(SUM(CASE WHEN due_date < $4 AND due_date >= $5 THEN open ELSE 0 END) AS BIGINT) AS b2,
  CAST(SUM(CASE WHEN due_date < $5 AND due_date >= $6 THEN open ELSE 0 END) AS BIGINT) AS b3,
  CAST(SUM(CASE WHEN due_date < $6 THEN open ELSE 0 END) AS BIGINT) AS b4
FROM o
WHERE open <> 0
GROUP BY party, currency";

/// `$1`-numbered SQL for the connection's backend (SQLite takes `?1`).
fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_string(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// `GET /billing/reports/ar-aging` (invoices) and `/ap-aging` (bills).
pub async fn aging(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: DocKind,
    as_of: Option<NaiveDate>,
) -> Result<AgingReport, AppError> {
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let values: Vec<sea_orm::Value> = vec![
        org.into(),
        kind.as_str().into(),
        as_of.into(),
        days_before(as_of, 30).into(),
        days_before(as_of, 60).into(),
        days_before(as_of, 90).into(),
    ];
    let rows = conn
        .query_all_raw(statement(conn.get_database_backend(), AGING_SQL, values))
        .await?;
    let mut parsed = Vec::with_capacity(rows.len());
    for r in rows {
        let party: Uuid = r.try_get("", "party")?;
        let currency: String = r.try_get("", "currency")?;
        let mut b = [0_i64; 5];
        for (i, slot) in b.iter_mut().enumerate() {
            *slot = r.try_get::<Option<i64>>("", &format!("b{i}"))?.unwrap_or(0);
        }
        parsed.push((party, currency, b));
    }
    let ids: Vec<Uuid> = parsed.iter().map(|(p, _, _)| *p).collect();
    let names = match kind {
        DocKind::Invoice => crm::api::customer_names(conn, org, &ids).await?,
        DocKind::Bill => inventory::api::supplier_names(conn, org, &ids).await?,
    };
    let mut totals: Vec<(String, [i64; 5])> = Vec::new();
    let mut out = Vec::with_capacity(parsed.len());
    for (party, currency, b) in parsed {
        match totals.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, t)) => t
                .iter_mut()
                .zip(b)
                .for_each(|(t, x)| *t = t.saturating_add(x)),
            None => totals.push((currency.clone(), b)),
        }
        out.push(AgingRow {
            party_id: party,
            name: names.get(&party).cloned().unwrap_or_default(),
            currency,
            buckets: buckets(b),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.currency.cmp(&b.currency)));
    totals.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(AgingReport {
        as_of,
        rows: out,
        totals: totals
            .into_iter()
            .map(|(currency, b)| AgingTotal {
                currency,
                buckets: buckets(b),
            })
            .collect(),
    })
}

fn buckets(b: [i64; 5]) -> Buckets {
    let a = Amount::from_units;
    Buckets {
        current: a(b[0]),
        days_1_30: a(b[1]),
        days_31_60: a(b[2]),
        days_61_90: a(b[3]),
        over_90: a(b[4]),
        total: a(b.iter().fold(0_i64, |acc, x| acc.saturating_add(*x))),
    }
}

/// Quotes a CSV field when it needs it, and neutralizes spreadsheet
/// formulas.
pub fn csv_field(s: &str) -> String {
    // A signed number (`-12.50`) stays as it is; any other text opening
    // with a formula sign is quoted.
    let number = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let s = if s.starts_with(['=', '+', '-', '@']) && !number(&s[1..]) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The aging report as CSV: a header row, then one row per party.
pub fn aging_csv(r: &AgingReport) -> String {
    let mut out = String::from(
        "party_id,name,currency,current,days_1_30,days_31_60,days_61_90,over_90,total\n",
    );
    for row in &r.rows {
        let b = &row.buckets;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            row.party_id,
            csv_field(&row.name),
            row.currency,
            b.current,
            b.days_1_30,
            b.days_31_60,
            b.days_61_90,
            b.over_90,
            b.total
        ));
    }
    out
}

/// One movement before sorting: (date, order within a day, line).
type Event = (NaiveDate, u8, StatementLine);

fn event(date: NaiveDate, rank: u8, kind: MovementKind, id: Uuid, number: &str, x: i64) -> Event {
    let a = Amount::from_units;
    (
        date,
        rank,
        StatementLine {
            date,
            kind,
            document_id: id,
            number: number.to_string(),
            debit: a(x.max(0)),
            credit: a((-x).max(0)),
            balance: Amount::ZERO,
        },
    )
}

/// Every movement of a customer's account (five queries).
async fn events(
    conn: &impl ConnectionTrait,
    org: Uuid,
    customer: Uuid,
) -> Result<Vec<Event>, AppError> {
    let mut out = Vec::new();
    for d in invoice::Entity::find()
        .filter(invoice::Column::OrganizationId.eq(org))
        .filter(invoice::Column::CustomerId.eq(customer))
        .filter(invoice::Column::Kind.eq(DocKind::Invoice))
        .filter(invoice::Column::Status.ne(DocStatus::Draft))
        .all(conn)
        .await?
    {
        out.push(event(
            d.issue_date,
            0,
            MovementKind::Invoice,
            d.id,
            &d.number,
            d.total.units(),
        ));
        if let Some(on) = d.voided_on {
            out.push(event(
                on,
                4,
                MovementKind::Void,
                d.id,
                &d.number,
                -d.total.units(),
            ));
        }
    }
    for n in credit_note::Entity::find()
        .filter(credit_note::Column::OrganizationId.eq(org))
        .filter(credit_note::Column::CustomerId.eq(customer))
        .all(conn)
        .await?
    {
        out.push(event(
            n.issue_date,
            1,
            MovementKind::CreditNote,
            n.id,
            &n.number,
            -n.total.units(),
        ));
    }
    let payments = payment::Entity::find()
        .filter(payment::Column::OrganizationId.eq(org))
        .filter(payment::Column::CustomerId.eq(customer))
        .filter(payment::Column::Status.eq(PaymentStatus::Posted))
        .all(conn)
        .await?;
    let numbers: HashMap<Uuid, String> =
        payments.iter().map(|m| (m.id, m.number.clone())).collect();
    for m in &payments {
        out.push(event(
            m.payment_date,
            2,
            MovementKind::Payment,
            m.id,
            &m.number,
            -m.amount.units(),
        ));
    }
    for r in refund::Entity::find()
        .filter(refund::Column::OrganizationId.eq(org))
        .filter(refund::Column::PaymentId.is_in(numbers.keys().copied()))
        .all(conn)
        .await?
    {
        let number = numbers.get(&r.payment_id).cloned().unwrap_or_default();
        out.push(event(
            r.refund_date,
            3,
            MovementKind::Refund,
            r.id,
            &number,
            r.amount.units(),
        ));
    }
    out.sort_by(|a, b| (a.0, a.1, a.2.number.as_str()).cmp(&(b.0, b.1, b.2.number.as_str())));
    Ok(out)
}

/// `GET /customers/{id}/statement`: opening balance, every movement in the
/// range with a running balance, closing balance.
pub async fn statement_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    customer: Uuid,
    q: &StatementQuery,
) -> Result<Statement_, AppError> {
    let who = crm::api::customer(conn, org, customer)
        .await?
        .ok_or_else(|| AppError::not_found("No such customer in this organization."))?;
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = q.from.unwrap_or_else(|| days_before(to, 90));
    if from > to {
        return Err(AppError::invalid_field(
            "from",
            "after_to",
            "must be on or before `to`",
        ));
    }
    let net = |l: &StatementLine| l.debit.units() - l.credit.units();
    let mut opening = 0_i64;
    let mut lines = Vec::new();
    let mut running = 0_i64;
    for (date, _, mut line) in events(conn, org, customer).await? {
        if date < from {
            opening = opening.saturating_add(net(&line));
            running = opening;
        } else if date <= to {
            running = running.saturating_add(net(&line));
            line.balance = Amount::from_units(running);
            lines.push(line);
        }
    }
    Ok(Statement_ {
        customer_id: customer,
        name: who.name,
        currency: who.currency,
        from,
        to,
        opening_balance: Amount::from_units(opening),
        closing_balance: Amount::from_units(if lines.is_empty() { opening } else { running }),
        lines,
    })
}

/// The statement type (named apart from SeaORM's `Statement`).
pub type Statement_ = crate::modules::billing::dto::Statement;

/// A statement as CSV: a header row, an opening row, the movements and a
/// closing row.
pub fn statement_csv(s: &Statement_) -> String {
    let mut out = String::from("date,kind,number,debit,credit,balance\n");
    out.push_str(&format!("{},opening,,,,{}\n", s.from, s.opening_balance));
    for l in &s.lines {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            l.date,
            serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            csv_field(&l.number),
            l.debit,
            l.credit,
            l.balance
        ));
    }
    out.push_str(&format!("{},closing,,,,{}\n", s.to, s.closing_balance));
    out
}
