//! Invoices and supplier bills: one set of rules for both kinds. Lines are
//! checked and priced exactly as sales documents are (`crm::api`), a bill's
//! lines against what its purchase order received (`inventory::api`), and
//! the posting accounts they name against the chart (`accounting::api`).

use chrono::{Days, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{issue, out};
use crate::{
    modules::{
        accounting,
        billing::{
            dto::*,
            entities::{DocKind, DocStatus, invoice, invoice_line},
        },
        crm, inventory,
    },
    platform::{
        error::FieldError,
        numbering::next_number,
        pagination::{Keyset, keyset_page},
        prelude::*,
    },
};

/// A document to write, from `InvoiceIn`, `BillIn` or a sales order.
pub struct Draft {
    /// Invoice or bill.
    pub kind: DocKind,
    /// The customer or supplier.
    pub party_id: Uuid,
    /// Sales order billed.
    pub sales_order_id: Option<Uuid>,
    /// Purchase order billed.
    pub purchase_order_id: Option<Uuid>,
    /// Supplier's number.
    pub supplier_reference: String,
    /// Issue date.
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Currency.
    pub currency: Option<String>,
    /// Notes.
    pub notes: String,
    /// Lines.
    pub lines: Vec<DocumentLineIn>,
    /// Sales-order lines billed, by line index (set by order invoicing).
    pub order_lines: Vec<Option<Uuid>>,
    /// Issue at once.
    pub issue: bool,
}

/// The customer or supplier of a document, as billing needs it.
pub struct Party {
    /// Id.
    pub id: Uuid,
    /// Currency.
    pub currency: String,
    /// Payment terms in days.
    pub terms: i32,
}

impl DocKind {
    /// The number prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Invoice => "INV",
            Self::Bill => "BILL",
        }
    }

    /// The request field naming the party.
    pub fn party_field(self) -> &'static str {
        match self {
            Self::Invoice => "customer_id",
            Self::Bill => "supplier_id",
        }
    }

    /// The party column.
    pub fn party_column(self) -> invoice::Column {
        match self {
            Self::Invoice => invoice::Column::CustomerId,
            Self::Bill => invoice::Column::SupplierId,
        }
    }
}

/// The active customer (invoice) or supplier (bill) `id`, or 422 naming
/// `field`.
pub async fn party(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: DocKind,
    id: Uuid,
    field: &str,
) -> Result<Party, AppError> {
    let found = match kind {
        DocKind::Invoice => crm::api::customer(conn, org, id).await?.map(|c| {
            let p = Party {
                id: c.id,
                currency: c.currency,
                terms: c.payment_terms_days,
            };
            (p, c.active)
        }),
        DocKind::Bill => inventory::api::supplier(conn, org, id).await?.map(|s| {
            let p = Party {
                id: s.id,
                currency: s.currency,
                terms: s.payment_terms_days,
            };
            (p, s.active)
        }),
    };
    match found {
        Some((p, true)) => Ok(p),
        Some((_, false)) => Err(AppError::invalid_field(field, "archived", "is archived")),
        None => Err(AppError::invalid_field(
            field,
            "not_found",
            "is not one of this organization's",
        )),
    }
}

/// A document of `kind`, or 404 (another kind reads as missing too).
pub async fn find(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: DocKind,
    id: Uuid,
) -> Result<invoice::Model, AppError> {
    match tenant::find_optional::<invoice::Entity>(conn, org, id).await? {
        Some(d) if d.kind == kind => Ok(d),
        _ => Err(AppError::not_found(match kind {
            DocKind::Invoice => "No such invoice in this organization.",
            DocKind::Bill => "No such bill in this organization.",
        })),
    }
}

/// A document's lines, by position.
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Vec<invoice_line::Model>, AppError> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::OrganizationId.eq(org))
        .filter(invoice_line::Column::InvoiceId.eq(id))
        .order_by_asc(invoice_line::Column::LineNo)
        .all(conn)
        .await?)
}

/// Checks the lines' kind-specific fields (every problem at once), fills a
/// bill line's product and price from its purchase-order line, and prices
/// them. Returns the rows to insert for document `doc`, and the SKUs of
/// their products.
pub(super) async fn priced_rows(
    conn: &impl ConnectionTrait,
    org: Uuid,
    d: &Draft,
    currency: &str,
    doc: Uuid,
) -> Result<(Vec<invoice_line::Model>, Skus), AppError> {
    let po_ids: Vec<Uuid> = d
        .lines
        .iter()
        .filter_map(|l| l.purchase_order_line_id)
        .collect();
    let po_lines = inventory::api::purchase_lines(conn, org, &po_ids).await?;
    let accounts: Vec<Uuid> = d.lines.iter().filter_map(|l| l.account_id).collect();
    let known = accounting::api::posting_accounts(conn, org, &accounts).await?;
    let mut errors = Vec::new();
    let mut inputs = Vec::with_capacity(d.lines.len());
    for (i, l) in d.lines.iter().enumerate() {
        let fe = |f: &str, code: &str, m: &str| FieldError::new(format!("lines[{i}].{f}"), code, m);
        let po = l.purchase_order_line_id.map(|id| po_lines.get(&id));
        match (d.kind, po) {
            (DocKind::Invoice, Some(_)) => errors.push(fe(
                "purchase_order_line_id",
                "not_allowed",
                "is for supplier bills",
            )),
            (DocKind::Bill, Some(None)) => errors.push(fe(
                "purchase_order_line_id",
                "not_found",
                "is not a purchase-order line of this organization",
            )),
            (DocKind::Bill, Some(Some(p)))
                if d.purchase_order_id
                    .is_some_and(|o| o != p.purchase_order_id) =>
            {
                errors.push(fe(
                    "purchase_order_line_id",
                    "other_order",
                    "is a line of another purchase order",
                ))
            }
            (DocKind::Bill, None) if l.account_id.is_none() => errors.push(fe(
                "account_id",
                "required",
                "is required on a bill line without a purchase-order line",
            )),
            _ => {}
        }
        if l.account_id.is_some_and(|a| !known.contains(&a)) {
            errors.push(fe(
                "account_id",
                "not_found",
                "is not an active posting account of this organization",
            ));
        }
        let po = po.flatten();
        inputs.push(crm::api::LineIn {
            product_id: l.product_id.or(po.map(|p| p.product_id)),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price.or(po.map(|p| p.unit_cost)),
            discount_percent: l.discount_percent,
            tax_rate_id: l.tax_rate_id,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let priced = crm::api::price_lines(conn, org, currency, &inputs).await?;
    let skus: Skus = priced
        .lines
        .iter()
        .filter_map(|l| Some((l.product_id?, l.sku.clone()?)))
        .collect();
    let rows = priced
        .lines
        .into_iter()
        .zip(&d.lines)
        .enumerate()
        .map(|(i, (p, l))| invoice_line::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            invoice_id: doc,
            line_no: p.line_no,
            product_id: p.product_id,
            description: p.description,
            quantity: p.quantity,
            unit_price: p.unit_price,
            discount_percent: p.discount_percent,
            tax_rate_id: p.tax_rate_id,
            tax_account_id: p.tax_account_id,
            tax_percent: p.tax_percent,
            subtotal: p.figures.subtotal,
            discount: p.figures.discount,
            tax: p.figures.tax,
            total: p.figures.total,
            account_id: l.account_id,
            sales_order_line_id: d.order_lines.get(i).copied().flatten(),
            purchase_order_line_id: l.purchase_order_line_id,
            credited_quantity: Default::default(),
        })
        .collect();
    Ok((rows, skus))
}

/// Products' SKUs by product id.
pub(super) type Skus = std::collections::HashMap<Uuid, String>;

/// Records what the lines bill on their order lines (`sign` -1 undoes it):
/// conditional updates in the owners' modules, 422 naming the line when a
/// line would bill more than is left.
pub async fn record_billing(
    conn: &impl ConnectionTrait,
    org: Uuid,
    rows: &[invoice_line::Model],
    sign: i64,
    cap: crm::api::InvoiceCap,
) -> Result<(), AppError> {
    for (i, l) in rows.iter().enumerate() {
        let qty = crate::platform::money::Quantity::from_units(l.quantity.units() * sign);
        if let Some(line) = l.purchase_order_line_id
            && !inventory::api::record_billed(conn, org, line, qty).await?
        {
            return Err(AppError::invalid_field(
                format!("lines[{i}].quantity"),
                "over_billed",
                "bills more than was received and not billed yet on its purchase-order line",
            ));
        }
        if let Some(line) = l.sales_order_line_id {
            crm::api::record_invoiced(conn, org, line, qty, cap)
                .await
                .map_err(|_| {
                    AppError::invalid_field(
                        format!("lines[{i}].quantity"),
                        "over_invoiced",
                        "bills more than is left to invoice on its sales-order line",
                    )
                })?;
        }
    }
    Ok(())
}

/// The header of a new document from its priced lines.
pub(super) fn header(
    org: Uuid,
    p: &Principal,
    d: &Draft,
    party: &Party,
    currency: String,
    rows: &[invoice_line::Model],
) -> Result<invoice::Model, AppError> {
    let issue_date = d.issue_date.unwrap_or_else(|| super::now().date_naive());
    let due_date = match d.due_date {
        Some(due) => due,
        None => issue_date
            .checked_add_days(Days::new(party.terms.max(0) as u64))
            .unwrap_or(issue_date),
    };
    if due_date < issue_date {
        return Err(AppError::invalid_field(
            "due_date",
            "before_issue_date",
            "must be on or after the issue date",
        ));
    }
    let sum = |f: fn(&invoice_line::Model) -> i64| -> Result<_, AppError> {
        rows.iter()
            .try_fold(0_i64, |acc, l| acc.checked_add(f(l)))
            .map(crate::platform::money::Amount::from_units)
            .ok_or_else(|| {
                AppError::invalid_field("lines", "overflow", "the total is out of range")
            })
    };
    let now = super::now();
    Ok(invoice::Model {
        id: rows.first().map_or_else(Uuid::now_v7, |l| l.invoice_id),
        organization_id: org,
        kind: d.kind,
        number: String::new(),
        customer_id: (d.kind == DocKind::Invoice).then_some(party.id),
        supplier_id: (d.kind == DocKind::Bill).then_some(party.id),
        sales_order_id: d.sales_order_id,
        purchase_order_id: d.purchase_order_id,
        supplier_reference: d.supplier_reference.clone(),
        status: DocStatus::Draft,
        issue_date,
        due_date,
        currency,
        notes: d.notes.clone(),
        subtotal: sum(|l| l.subtotal.units())?,
        discount_total: sum(|l| l.discount.units())?,
        tax_total: sum(|l| l.tax.units())?,
        total: sum(|l| l.total.units())?,
        settled_amount: Default::default(),
        credited_amount: Default::default(),
        line_count: rows.len() as i32,
        journal_entry_id: None,
        issued_at: None,
        paid_at: None,
        settled_on: None,
        voided_at: None,
        voided_on: None,
        created_by: Some(p.user_id),
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// Checks a draft's links: the sales order is the customer's, the purchase
/// order the supplier's.
async fn check_links(conn: &impl ConnectionTrait, org: Uuid, d: &Draft) -> Result<(), AppError> {
    let mismatch = |f: &str, what: &str| AppError::invalid_field(f, "not_found", what);
    if let Some(so) = d.sales_order_id {
        if d.kind == DocKind::Bill {
            return Err(mismatch("sales_order_id", "is for invoices"));
        }
        match crm::api::sales_order(conn, org, so).await? {
            Some(o) if o.customer_id == d.party_id => {}
            _ => {
                return Err(mismatch(
                    "sales_order_id",
                    "is not a sales order of this customer",
                ));
            }
        }
    }
    if let Some(po) = d.purchase_order_id {
        if d.kind == DocKind::Invoice {
            return Err(mismatch("purchase_order_id", "is for supplier bills"));
        }
        match inventory::api::purchase_order(conn, org, po).await? {
            Some(o) if o.supplier_id == d.party_id => {}
            _ => {
                return Err(mismatch(
                    "purchase_order_id",
                    "is not a purchase order of this supplier",
                ));
            }
        }
    }
    Ok(())
}

/// Writes a new document inside `tx` (issued too with `d.issue`); the
/// caller commits. `cap` limits what sales-order lines may bill.
pub async fn insert(
    tx: &DatabaseTransaction,
    p: &Principal,
    d: &Draft,
    cap: crm::api::InvoiceCap,
) -> Result<DocumentOut, AppError> {
    let org = p.organization_id;
    let party = party(tx, org, d.kind, d.party_id, d.kind.party_field()).await?;
    check_links(tx, org, d).await?;
    let currency = d.currency.clone().unwrap_or_else(|| party.currency.clone());
    let id = Uuid::now_v7();
    let (rows, skus) = priced_rows(tx, org, d, &currency, id).await?;
    record_billing(tx, org, &rows, 1, cap).await?;
    let mut doc = header(org, p, d, &party, currency, &rows)?;
    doc.id = id;
    doc.number = next_number(tx, org, d.kind.prefix()).await?;
    if d.issue {
        issue::post_issue(tx, p, &mut doc, &rows).await?;
    }
    invoice::Entity::insert(invoice::ActiveModel::from(doc.clone()))
        .exec_without_returning(tx)
        .await?;
    invoice_line::Entity::insert_many(rows.iter().cloned().map(invoice_line::ActiveModel::from))
        .exec_without_returning(tx)
        .await?;
    let action = format!("billing.{}.created", d.kind);
    audit::record(
        tx,
        AuditEntry::by(
            p,
            &action,
            d.kind.as_str(),
            doc.id,
            json!({
                "number": doc.number, "status": doc.status, "total": doc.total, "lines": rows.len(),
            }),
        ),
    )
    .await?;
    Ok(out::document(doc, &rows, &skus, Vec::new()))
}

/// `POST /invoices` and `POST /bills`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(state: &AppState, p: &Principal, d: Draft) -> Result<DocumentOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let out = insert(&tx, p, &d, crm::api::InvoiceCap::Ordered).await?;
    tx.commit().await?;
    Ok(out)
}

/// `GET /invoices/{id}` and `GET /bills/{id}`.
pub async fn get(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: DocKind,
    id: Uuid,
) -> Result<DocumentOut, AppError> {
    let doc = find(conn, org, kind, id).await?;
    out::with_lines(conn, doc).await
}

/// `GET /invoices` and `GET /bills`: newest first, keyset by id.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: DocKind,
    f: &DocumentFilter,
) -> Result<crate::platform::pagination::Page<DocumentSummary>, AppError> {
    use invoice::Column as C;
    let today = super::now().date_naive();
    let mut cond = Condition::all()
        .add(C::OrganizationId.eq(org))
        .add(C::Kind.eq(kind));
    let opt = |c: Condition, col: C, v: Option<Uuid>| match v {
        Some(v) => c.add(col.eq(v)),
        None => c,
    };
    cond = opt(cond, C::CustomerId, f.customer_id);
    cond = opt(cond, C::SupplierId, f.supplier_id);
    cond = opt(cond, C::SalesOrderId, f.sales_order_id);
    cond = opt(cond, C::PurchaseOrderId, f.purchase_order_id);
    if let Some(s) = f.status {
        cond = cond.add(C::Status.eq(s));
    }
    if f.overdue == Some(true) {
        cond = cond
            .add(C::Status.is_in(DocStatus::OPEN.iter().copied()))
            .add(C::DueDate.lt(today));
    }
    if let Some(d) = f.issue_date_from {
        cond = cond.add(C::IssueDate.gte(d));
    }
    if let Some(d) = f.issue_date_to {
        cond = cond.add(C::IssueDate.lte(d));
    }
    if let Some(a) = f.min_total {
        cond = cond.add(C::Total.gte(a));
    }
    if let Some(a) = f.max_total {
        cond = cond.add(C::Total.lte(a));
    }
    if let Some(q) = &f.q {
        let like = format!("%{}%", q.replace(['%', '_'], ""));
        cond = cond.add(
            Condition::any()
                .add(C::Number.like(like.clone()))
                .add(C::Notes.like(like)),
        );
    }
    let query = invoice::Entity::find().filter(cond);
    let order = Keyset::<invoice::Entity, Uuid>::by_id(C::Id, |m| m.id, true);
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let page = keyset_page(conn, query, order, f.cursor.as_deref(), limit).await?;
    Ok(page.map(|d| out::summary(d, today)))
}
