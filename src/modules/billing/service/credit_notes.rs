//! Credit notes against issued invoices: some lines (a quantity of each) or
//! a net amount. A credit note posts the reversal of what it credits
//! (Dr revenue, Dr tax / Cr receivable), lowers its invoice's balance by
//! applying itself to it, and leaves any excess as customer credit that
//! can be applied to other invoices later. What is credited never exceeds
//! what was invoiced: conditional updates on the invoice and its lines.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    documents,
    issue::add,
    out,
    settlement::{self, Source, Target, over_allocated},
};
use crate::{
    modules::{
        accounting::api::{self as ledger, AccountRef, DraftLine, EntryDraft, Role},
        billing::{
            dto::*,
            entities::{
                DocKind, DocStatus, allocation, credit_note, credit_note_line, invoice,
                invoice_line,
            },
        },
        crm,
    },
    platform::{
        error::FieldError,
        money::{Amount, Quantity},
        numbering::next_number,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
        pricing::{minor_digits, prorate},
    },
};

/// One credited line before it is stored.
struct Credit {
    invoice_line_id: Option<Uuid>,
    description: String,
    quantity: Quantity,
    net: i64,
    tax: i64,
    account_id: Option<Uuid>,
    tax_account_id: Option<Uuid>,
    sales_order_line_id: Option<Uuid>,
}

/// What `credited` more of `l` is worth, given what was credited before:
/// the prorated figure after minus the one before, so that crediting a line
/// in several notes adds up to its figures exactly.
fn share(l: &invoice_line::Model, figure: i64, q: i64, digits: u32) -> Option<i64> {
    let before = l.credited_quantity;
    let after = Quantity::from_units(before.units() + q);
    let total = Amount::from_units(figure);
    let a = prorate(total, after, l.quantity, digits)?;
    let b = prorate(total, before, l.quantity, digits)?;
    Some(a.units() - b.units())
}

/// The credited lines of `input` (every problem at once), each counted on
/// its invoice line by a conditional update.
async fn line_credits(
    tx: &DatabaseTransaction,
    doc: &invoice::Model,
    input: &[CreditLineIn],
) -> Result<Vec<Credit>, AppError> {
    let rows = documents::lines_of(tx, doc.organization_id, doc.id).await?;
    let by_id: HashMap<Uuid, &invoice_line::Model> = rows.iter().map(|l| (l.id, l)).collect();
    let digits = minor_digits(&doc.currency);
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(input.len());
    for (i, c) in input.iter().enumerate() {
        let fe = |f: &str, code: &str, m: &str| FieldError::new(format!("lines[{i}].{f}"), code, m);
        let Some(l) = by_id.get(&c.invoice_line_id) else {
            errors.push(fe(
                "invoice_line_id",
                "not_found",
                "is not a line of this invoice",
            ));
            continue;
        };
        let q = c.quantity.units();
        if input[..i]
            .iter()
            .any(|o| o.invoice_line_id == c.invoice_line_id)
        {
            errors.push(fe("invoice_line_id", "duplicate", "appears more than once"));
        } else if q <= 0 {
            errors.push(fe("quantity", "range", "must be more than zero"));
        } else if q > l.quantity.units() - l.credited_quantity.units() {
            errors.push(fe(
                "quantity",
                "over_credited",
                "exceeds what is left to credit on the line",
            ));
        } else {
            let net = l.subtotal.units() - l.discount.units();
            match (share(l, net, q, digits), share(l, l.tax.units(), q, digits)) {
                (Some(net), Some(tax)) => out.push(Credit {
                    invoice_line_id: Some(l.id),
                    description: l.description.clone(),
                    quantity: c.quantity,
                    net,
                    tax,
                    account_id: l.account_id,
                    tax_account_id: l.tax_account_id,
                    sales_order_line_id: l.sales_order_line_id,
                }),
                _ => errors.push(fe("quantity", "overflow", "out of range")),
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    for (i, c) in out.iter().enumerate() {
        let q = c.quantity.units();
        let done = invoice_line::Entity::update_many()
            .col_expr(
                invoice_line::Column::CreditedQuantity,
                Expr::col(invoice_line::Column::CreditedQuantity).add(q),
            )
            .filter(invoice_line::Column::Id.eq(c.invoice_line_id))
            .filter(
                Expr::col(invoice_line::Column::CreditedQuantity)
                    .lte(Expr::col(invoice_line::Column::Quantity).sub(q)),
            )
            .exec(tx)
            .await?;
        if done.rows_affected != 1 {
            return Err(AppError::invalid_field(
                format!("lines[{i}].quantity"),
                "over_credited",
                "exceeds what is left to credit on the line",
            ));
        }
        if let Some(so_line) = c.sales_order_line_id {
            let back = Quantity::from_units(-q);
            crm::api::record_invoiced(
                tx,
                doc.organization_id,
                so_line,
                back,
                crm::api::InvoiceCap::Ordered,
            )
            .await?;
        }
    }
    Ok(out)
}

/// What a credit note posts: the reverse of its lines' share of the invoice.
fn entry_lines(credits: &[Credit], total: i64) -> Vec<DraftLine> {
    let mut lines = Vec::with_capacity(credits.len() + 2);
    for c in credits {
        let revenue = c
            .account_id
            .map_or(AccountRef::Role(Role::SalesRevenue), AccountRef::Id);
        add(&mut lines, revenue, c.net, &c.description);
        if c.tax != 0 {
            let tax = c
                .tax_account_id
                .map_or(AccountRef::Role(Role::SalesTax), AccountRef::Id);
            add(&mut lines, tax, c.tax, "Tax");
        }
    }
    add(
        &mut lines,
        AccountRef::Role(Role::Receivable),
        -total,
        "Credit note",
    );
    lines
}

/// `POST /credit-notes`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: CreditNoteIn,
) -> Result<CreditNoteOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let doc = documents::find(&tx, org, DocKind::Invoice, input.invoice_id)
        .await
        .map_err(|_| {
            AppError::invalid_field(
                "invoice_id",
                "not_found",
                "is not an invoice of this organization",
            )
        })?;
    if !DocStatus::POSTED.contains(&doc.status) {
        return Err(super::issue::invalid_state(
            &doc,
            "credited (issue it first)",
        ));
    }
    // Crediting lines of an order's invoice moves the order's invoiced
    // quantities: the order is taken first, as its invoicing takes it.
    if input.lines.is_some()
        && let Some(order) = doc.sales_order_id
    {
        crm::api::claim_sales_order(&tx, org, order).await?;
    }
    let credits = match (&input.lines, input.amount) {
        (Some(lines), None) => line_credits(&tx, &doc, lines).await?,
        (None, Some(a)) if a.units() > 0 => vec![Credit {
            invoice_line_id: None,
            description: if input.reason.is_empty() {
                "Credit".into()
            } else {
                input.reason.clone()
            },
            quantity: Quantity::from_units(crate::platform::money::ONE),
            net: a.units(),
            tax: 0,
            account_id: None,
            tax_account_id: None,
            sales_order_line_id: None,
        }],
        (None, Some(_)) => {
            return Err(AppError::invalid_field(
                "amount",
                "range",
                "must be more than zero",
            ));
        }
        _ => {
            return Err(AppError::invalid_field(
                "lines",
                "one_of",
                "give either lines or amount",
            ));
        }
    };
    let net: i64 = credits.iter().map(|c| c.net).sum();
    let tax: i64 = credits.iter().map(|c| c.tax).sum();
    let total = net + tax;
    if total <= 0 {
        return Err(AppError::invalid_field(
            "lines",
            "range",
            "the credit comes to zero",
        ));
    }
    let id = Uuid::now_v7();
    let number = next_number(&tx, org, "CN").await?;
    let issue_date = input
        .issue_date
        .unwrap_or_else(|| super::now().date_naive());
    let entry = ledger::post(
        &tx,
        EntryDraft {
            organization_id: org,
            actor: Some(p.user_id),
            date: issue_date,
            memo: format!("Credit note {number} for {}", doc.number),
            source_type: "credit_note",
            source_id: id.to_string(),
            lines: entry_lines(&credits, total),
        },
    )
    .await?;
    // What is credited never exceeds what was invoiced. The invoice row is
    // taken after the sequences the posting locks, in the order payments
    // take them, so the two never deadlock.
    use invoice::Column as C;
    let counted = invoice::Entity::update_many()
        .col_expr(C::CreditedAmount, Expr::col(C::CreditedAmount).add(total))
        .filter(C::OrganizationId.eq(org))
        .filter(C::Id.eq(doc.id))
        .filter(C::Status.is_in(DocStatus::POSTED.iter().copied()))
        .filter(Expr::col(C::CreditedAmount).lte(Expr::col(C::Total).sub(total)))
        .exec(&tx)
        .await?;
    if counted.rows_affected != 1 {
        let field = if input.amount.is_some() {
            "amount"
        } else {
            "lines"
        };
        return Err(AppError::invalid_field(
            field,
            "over_credited",
            "credits more than is left on the invoice",
        ));
    }
    // The balance as it stands now that the invoice's row is held.
    let fresh = documents::find(&tx, org, DocKind::Invoice, doc.id).await?;
    let balance = fresh.total.units() - fresh.settled_amount.units();
    let apply = std::cmp::max(std::cmp::min(total, balance), 0);
    let now = super::now();
    let note = credit_note::Model {
        id,
        organization_id: org,
        number,
        invoice_id: doc.id,
        customer_id: doc.party_id(),
        issue_date,
        currency: doc.currency.clone(),
        reason: input.reason,
        subtotal: Amount::from_units(net),
        tax_total: Amount::from_units(tax),
        total: Amount::from_units(total),
        allocated_amount: Amount::from_units(apply),
        journal_entry_id: entry,
        created_by: Some(p.user_id),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    credit_note::Entity::insert(credit_note::ActiveModel::from(note.clone()))
        .exec_without_returning(&tx)
        .await?;
    let rows: Vec<credit_note_line::Model> = credits
        .iter()
        .enumerate()
        .map(|(i, c)| credit_note_line::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            credit_note_id: id,
            line_no: i as i32 + 1,
            invoice_line_id: c.invoice_line_id,
            description: c.description.clone(),
            quantity: c.quantity,
            subtotal: Amount::from_units(c.net),
            tax: Amount::from_units(c.tax),
            total: Amount::from_units(c.net + c.tax),
            account_id: c.account_id,
            tax_account_id: c.tax_account_id,
        })
        .collect();
    credit_note_line::Entity::insert_many(
        rows.iter()
            .cloned()
            .map(credit_note_line::ActiveModel::from),
    )
    .exec_without_returning(&tx)
    .await?;
    let applied = if apply > 0 {
        let t = target(p, &note);
        settlement::apply(
            &tx,
            &t,
            Source::CreditNote(id),
            issue_date,
            &[(doc.id, Amount::from_units(apply))],
        )
        .await?
    } else {
        Vec::new()
    };
    audit::record(&tx, AuditEntry::by(p, "billing.credit_note.created", "credit_note", id, json!({
        "number": note.number, "invoice": doc.number, "total": note.total, "applied": note.allocated_amount,
    })))
    .await?;
    tx.commit().await?;
    Ok(note_out(
        note,
        rows,
        applied.into_iter().map(out::allocation).collect(),
    ))
}

fn target<'a>(p: &Principal, n: &'a credit_note::Model) -> Target<'a> {
    Target {
        org: p.organization_id,
        kind: DocKind::Invoice,
        party: n.customer_id,
        currency: &n.currency,
        field: "invoice_id",
        actor: p.user_id,
    }
}

fn note_out(
    n: credit_note::Model,
    rows: Vec<credit_note_line::Model>,
    allocations: Vec<AllocationOut>,
) -> CreditNoteOut {
    CreditNoteOut {
        unallocated_amount: Amount::from_units(n.total.units() - n.allocated_amount.units()),
        id: n.id,
        number: n.number,
        invoice_id: n.invoice_id,
        customer_id: n.customer_id,
        issue_date: n.issue_date,
        currency: n.currency,
        reason: n.reason,
        subtotal: n.subtotal,
        tax_total: n.tax_total,
        total: n.total,
        allocated_amount: n.allocated_amount,
        journal_entry_id: n.journal_entry_id,
        lines: rows
            .into_iter()
            .map(|l| CreditLineOut {
                id: l.id,
                line_no: l.line_no,
                invoice_line_id: l.invoice_line_id,
                description: l.description,
                quantity: l.quantity,
                subtotal: l.subtotal,
                tax: l.tax,
                total: l.total,
            })
            .collect(),
        allocations,
        created_at: n.created_at,
    }
}

/// `GET /credit-notes/{id}` (three queries).
pub async fn get(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<CreditNoteOut, AppError> {
    let n = tenant::find::<credit_note::Entity>(conn, org, id).await?;
    let rows = credit_note_line::Entity::find()
        .filter(credit_note_line::Column::OrganizationId.eq(org))
        .filter(credit_note_line::Column::CreditNoteId.eq(id))
        .order_by_asc(credit_note_line::Column::LineNo)
        .all(conn)
        .await?;
    let allocations = out::allocations_by(conn, org, allocation::Column::CreditNoteId, id).await?;
    Ok(note_out(n, rows, allocations))
}

/// `POST /credit-notes/{id}/allocate`: applies customer credit left on a
/// credit note to other open invoices of the customer.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn allocate(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    allocs: Vec<(Uuid, Amount)>,
) -> Result<CreditNoteOut, AppError> {
    use credit_note::Column as C;
    let org = p.organization_id;
    let sum = settlement::check(&allocs, "invoice_id")?;
    let tx = begin_write(&state.db).await?;
    let n = tenant::find::<credit_note::Entity>(&tx, org, id).await?;
    let taken = credit_note::Entity::update_many()
        .col_expr(C::AllocatedAmount, Expr::col(C::AllocatedAmount).add(sum))
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .filter(C::OrganizationId.eq(org))
        .filter(C::Id.eq(id))
        .filter(Expr::col(C::AllocatedAmount).lte(Expr::col(C::Total).sub(sum)))
        .exec(&tx)
        .await?;
    if taken.rows_affected != 1 {
        return Err(over_allocated(&format!(
            "Credit note {} has less credit left than that.",
            n.number
        )));
    }
    let on = std::cmp::max(super::now().date_naive(), n.issue_date);
    settlement::apply(&tx, &target(p, &n), Source::CreditNote(id), on, &allocs).await?;
    audit::record(&tx, AuditEntry::by(p, "billing.credit_note.allocated", "credit_note", id, json!({
        "allocations": allocs.iter().map(|(d, a)| json!({ "invoice_id": d, "amount": a })).collect::<Vec<_>>(),
    })))
    .await?;
    let out = get(&tx, org, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// `GET /credit-notes`: newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &CreditNoteFilter,
) -> Result<Page<CreditNoteOut>, AppError> {
    use credit_note::Column as C;
    let mut cond = Condition::all().add(C::OrganizationId.eq(org));
    if let Some(c) = f.customer_id {
        cond = cond.add(C::CustomerId.eq(c));
    }
    if let Some(i) = f.invoice_id {
        cond = cond.add(C::InvoiceId.eq(i));
    }
    let query = credit_note::Entity::find().filter(cond);
    let order = Keyset::<credit_note::Entity, Uuid>::by_id(C::Id, |m| m.id, true);
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let page = keyset_page(conn, query, order, f.cursor.as_deref(), limit).await?;
    Ok(page.map(|n| note_out(n, Vec::new(), Vec::new())))
}
