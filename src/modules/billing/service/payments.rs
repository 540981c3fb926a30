//! Payments received from customers and sent to suppliers: recorded and
//! posted whole (Dr cash or bank / Cr receivable, or Dr payable / Cr cash
//! or bank), applied to documents by conditional updates, refunded from
//! what is not applied, deleted with their allocations and posting
//! reversed.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    documents::party,
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
                DocKind, PaymentKind, PaymentMethod, PaymentStatus, allocation, payment, refund,
            },
        },
    },
    platform::{
        money::Amount,
        numbering::next_number,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// A payment to record.
pub struct PaymentDraft {
    /// Received or sent.
    pub kind: PaymentKind,
    /// The customer or supplier.
    pub party_id: Uuid,
    /// Date.
    pub date: Option<NaiveDate>,
    /// Amount.
    pub amount: Amount,
    /// Currency (default the party's).
    pub currency: Option<String>,
    /// Method.
    pub method: PaymentMethod,
    /// Reference.
    pub reference: String,
    /// Notes.
    pub notes: String,
    /// Documents it settles.
    pub allocations: Vec<(Uuid, Amount)>,
}

impl PaymentKind {
    /// The documents it settles.
    pub fn documents(self) -> DocKind {
        match self {
            Self::Received => DocKind::Invoice,
            Self::Sent => DocKind::Bill,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Received => "PAY",
            Self::Sent => "SPAY",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Received => "invoice_id",
            Self::Sent => "bill_id",
        }
    }

    fn not_found(self) -> &'static str {
        match self {
            Self::Received => "No such payment in this organization.",
            Self::Sent => "No such supplier payment in this organization.",
        }
    }
}

/// What a payment posts (`sign` -1: its reversal or a refund).
fn entry_lines(
    kind: PaymentKind,
    method: PaymentMethod,
    amount: Amount,
    sign: i64,
) -> Vec<DraftLine> {
    let money = AccountRef::Role(match method {
        PaymentMethod::Cash => Role::Cash,
        _ => Role::Bank,
    });
    let x = amount.units() * sign;
    let mut lines = Vec::with_capacity(2);
    match kind {
        PaymentKind::Received => {
            add(&mut lines, money, x, "Payment received");
            add(
                &mut lines,
                AccountRef::Role(Role::Receivable),
                -x,
                "Payment received",
            );
        }
        PaymentKind::Sent => {
            add(
                &mut lines,
                AccountRef::Role(Role::Payable),
                x,
                "Payment sent",
            );
            add(&mut lines, money, -x, "Payment sent");
        }
    }
    lines
}

async fn post(
    conn: &impl ConnectionTrait,
    p: &Principal,
    (source_type, source_id): (&'static str, Uuid),
    date: NaiveDate,
    memo: String,
    lines: Vec<DraftLine>,
) -> Result<Option<Uuid>, AppError> {
    ledger::post(
        conn,
        EntryDraft {
            organization_id: p.organization_id,
            actor: Some(p.user_id),
            date,
            memo,
            source_type,
            source_id: source_id.to_string(),
            lines,
        },
    )
    .await
}

/// A payment of `kind`, or 404.
pub async fn find(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: PaymentKind,
    id: Uuid,
) -> Result<payment::Model, AppError> {
    match tenant::find_optional::<payment::Entity>(conn, org, id).await? {
        Some(m) if m.kind == kind => Ok(m),
        _ => Err(AppError::not_found(kind.not_found())),
    }
}

fn target<'a>(p: &Principal, m: &'a payment::Model) -> Target<'a> {
    Target {
        org: p.organization_id,
        kind: m.kind.documents(),
        party: m.party_id(),
        currency: &m.currency,
        field: m.kind.field(),
        actor: p.user_id,
    }
}

/// `POST /payments` and `POST /supplier-payments`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    d: PaymentDraft,
) -> Result<PaymentOut, AppError> {
    let org = p.organization_id;
    if d.amount.units() <= 0 {
        return Err(AppError::invalid_field(
            "amount",
            "range",
            "must be more than zero",
        ));
    }
    let allocated = settlement::check(&d.allocations, d.kind.field())?;
    if allocated > d.amount.units() {
        return Err(over_allocated(
            "The allocations add up to more than the payment.",
        ));
    }
    let tx = begin_write(&state.db).await?;
    let documents = d.kind.documents();
    let who = party(&tx, org, documents, d.party_id, documents.party_field()).await?;
    let now = super::now();
    let mut m = payment::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        kind: d.kind,
        number: String::new(),
        customer_id: (d.kind == PaymentKind::Received).then_some(who.id),
        supplier_id: (d.kind == PaymentKind::Sent).then_some(who.id),
        payment_date: d.date.unwrap_or_else(|| now.date_naive()),
        currency: d.currency.unwrap_or(who.currency),
        amount: d.amount,
        allocated_amount: Amount::from_units(allocated),
        refunded_amount: Amount::ZERO,
        method: d.method,
        reference: d.reference,
        notes: d.notes,
        status: PaymentStatus::Posted,
        journal_entry_id: None,
        deleted_at: None,
        created_by: Some(p.user_id),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    m.number = next_number(&tx, org, d.kind.prefix()).await?;
    let lines = entry_lines(m.kind, m.method, m.amount, 1);
    let memo = format!("Payment {}", m.number);
    m.journal_entry_id = post(
        &tx,
        p,
        (source_type(m.kind, ""), m.id),
        m.payment_date,
        memo,
        lines,
    )
    .await?;
    payment::Entity::insert(payment::ActiveModel::from(m.clone()))
        .exec_without_returning(&tx)
        .await?;
    let rows = settlement::apply(
        &tx,
        &target(p, &m),
        Source::Payment(m.id),
        m.payment_date,
        &d.allocations,
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.payment_{}.created", m.kind),
            "payment",
            m.id,
            json!({
                "number": m.number, "amount": m.amount, "allocated": m.allocated_amount,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(payment_out(
        m,
        rows.into_iter().map(out::allocation).collect(),
        Vec::new(),
    ))
}

fn source_type(kind: PaymentKind, what: &str) -> &'static str {
    match (kind, what) {
        (PaymentKind::Received, "") => "payment",
        (PaymentKind::Received, "refund") => "payment_refund",
        (PaymentKind::Received, _) => "payment_deleted",
        (PaymentKind::Sent, "") => "supplier_payment",
        (PaymentKind::Sent, "refund") => "supplier_payment_refund",
        (PaymentKind::Sent, _) => "supplier_payment_deleted",
    }
}

/// The response of a payment.
pub fn payment_out(
    m: payment::Model,
    allocations: Vec<AllocationOut>,
    refunds: Vec<RefundOut>,
) -> PaymentOut {
    let left = m.amount.units() - m.allocated_amount.units() - m.refunded_amount.units();
    PaymentOut {
        id: m.id,
        kind: m.kind,
        number: m.number,
        customer_id: m.customer_id,
        supplier_id: m.supplier_id,
        payment_date: m.payment_date,
        currency: m.currency,
        amount: m.amount,
        method: m.method,
        reference: m.reference,
        notes: m.notes,
        allocated_amount: m.allocated_amount,
        refunded_amount: m.refunded_amount,
        unallocated_amount: Amount::from_units(if m.status == PaymentStatus::Posted {
            left
        } else {
            0
        }),
        status: m.status,
        journal_entry_id: m.journal_entry_id,
        allocations,
        refunds,
        created_by: m.created_by,
        created_at: m.created_at,
        version: m.version,
    }
}

/// A payment with its allocations and refunds (three queries).
pub async fn get(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: PaymentKind,
    id: Uuid,
) -> Result<PaymentOut, AppError> {
    let m = find(conn, org, kind, id).await?;
    let allocations = out::allocations_by(conn, org, allocation::Column::PaymentId, id).await?;
    let refunds = refund::Entity::find()
        .filter(refund::Column::OrganizationId.eq(org))
        .filter(refund::Column::PaymentId.eq(id))
        .order_by_asc(refund::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| RefundOut {
            id: r.id,
            amount: r.amount,
            date: r.refund_date,
            reason: r.reason,
            journal_entry_id: r.journal_entry_id,
        })
        .collect();
    Ok(payment_out(m, allocations, refunds))
}

/// Adds `x` to a posted payment's `column` (allocated or refunded), only
/// while allocated + refunded stays within the amount.
async fn take(
    conn: &impl ConnectionTrait,
    m: &payment::Model,
    column: payment::Column,
    x: i64,
) -> Result<bool, AppError> {
    use payment::Column as C;
    Ok(payment::Entity::update_many()
        .col_expr(column, Expr::col(column).add(x))
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .col_expr(C::UpdatedAt, Expr::val(super::now()))
        .filter(C::OrganizationId.eq(m.organization_id))
        .filter(C::Id.eq(m.id))
        .filter(C::Status.eq(PaymentStatus::Posted))
        .filter(
            Expr::col(C::AllocatedAmount)
                .add(Expr::col(C::RefundedAmount))
                .lte(Expr::col(C::Amount).sub(x)),
        )
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// `POST /payments/{id}/allocate` (and supplier payments): applies credit.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn allocate(
    state: &AppState,
    p: &Principal,
    kind: PaymentKind,
    id: Uuid,
    allocs: Vec<(Uuid, Amount)>,
) -> Result<PaymentOut, AppError> {
    let org = p.organization_id;
    let sum = settlement::check(&allocs, kind.field())?;
    let tx = begin_write(&state.db).await?;
    let m = find(&tx, org, kind, id).await?;
    if !take(&tx, &m, payment::Column::AllocatedAmount, sum).await? {
        return Err(over_allocated(&format!(
            "Payment {} has less unallocated money than that (or is deleted).",
            m.number
        )));
    }
    let on = std::cmp::max(super::now().date_naive(), m.payment_date);
    settlement::apply(&tx, &target(p, &m), Source::Payment(id), on, &allocs).await?;
    audit::record(&tx, AuditEntry::by(p, &format!("billing.payment_{kind}.allocated"), "payment", id, json!({
        "allocations": allocs.iter().map(|(d, a)| json!({ "document_id": d, "amount": a })).collect::<Vec<_>>(),
    })))
    .await?;
    let out = get(&tx, org, kind, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /payments/{id}/refund` (and supplier payments): gives back part of
/// what is not allocated; posts the reverse of the payment for it.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn refund(
    state: &AppState,
    p: &Principal,
    kind: PaymentKind,
    id: Uuid,
    input: RefundIn,
) -> Result<PaymentOut, AppError> {
    let org = p.organization_id;
    if input.amount.units() <= 0 {
        return Err(AppError::invalid_field(
            "amount",
            "range",
            "must be more than zero",
        ));
    }
    let tx = begin_write(&state.db).await?;
    let m = find(&tx, org, kind, id).await?;
    if !take(
        &tx,
        &m,
        payment::Column::RefundedAmount,
        input.amount.units(),
    )
    .await?
    {
        return Err(AppError::conflict(
            "over_refunded",
            format!(
                "Payment {} has less unallocated money than that (or is deleted).",
                m.number
            ),
        ));
    }
    let date = input.date.unwrap_or_else(|| super::now().date_naive());
    let rid = Uuid::now_v7();
    let lines = entry_lines(kind, m.method, input.amount, -1);
    let memo = format!("Refund of payment {}", m.number);
    let entry = post(
        &tx,
        p,
        (source_type(kind, "refund"), rid),
        date,
        memo,
        lines,
    )
    .await?;
    refund::Entity::insert(refund::ActiveModel {
        id: Set(rid),
        organization_id: Set(org),
        payment_id: Set(id),
        amount: Set(input.amount),
        refund_date: Set(date),
        reason: Set(input.reason),
        journal_entry_id: Set(entry),
        created_by: Set(Some(p.user_id)),
        created_at: Set(super::now()),
    })
    .exec_without_returning(&tx)
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.payment_{kind}.refunded"),
            "payment",
            id,
            json!({
                "amount": input.amount,
            }),
        ),
    )
    .await?;
    let out = get(&tx, org, kind, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// `DELETE /payments/{id}` (and supplier payments): a posted payment with
/// no refunds; its allocations come off their documents and its posting is
/// reversed.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete(
    state: &AppState,
    p: &Principal,
    kind: PaymentKind,
    id: Uuid,
) -> Result<(), AppError> {
    use payment::Column as C;
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let m = find(&tx, org, kind, id).await?;
    let now = super::now();
    let done = payment::Entity::update_many()
        .col_expr(C::Status, Expr::val(PaymentStatus::Deleted.as_str()))
        .col_expr(C::AllocatedAmount, Expr::val(0_i64))
        .col_expr(C::DeletedAt, Expr::val(now))
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .col_expr(C::UpdatedAt, Expr::val(now))
        .filter(C::OrganizationId.eq(org))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(PaymentStatus::Posted))
        .filter(C::RefundedAmount.eq(0))
        .exec(&tx)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict(
            "invalid_state",
            format!(
                "Payment {} is deleted or has refunds, and cannot be deleted.",
                m.number
            ),
        ));
    }
    let rows = allocation::Entity::find()
        .filter(allocation::Column::OrganizationId.eq(org))
        .filter(allocation::Column::PaymentId.eq(id))
        .all(&tx)
        .await?;
    // The reversal first: the journal's sequence is locked before the
    // documents' rows, in the order a new payment takes them.
    let date = std::cmp::max(now.date_naive(), m.payment_date);
    let lines = entry_lines(kind, m.method, m.amount, -1);
    let memo = format!("Deletion of payment {}", m.number);
    post(
        &tx,
        p,
        (source_type(kind, "deleted"), id),
        date,
        memo,
        lines,
    )
    .await?;
    settlement::undo(&tx, org, &rows).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.payment_{kind}.deleted"),
            "payment",
            id,
            json!({
                "number": m.number, "allocations_removed": rows.len(),
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /payments` and `GET /supplier-payments`: newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: PaymentKind,
    f: &PaymentFilter,
) -> Result<Page<PaymentOut>, AppError> {
    use payment::Column as C;
    let mut cond = Condition::all()
        .add(C::OrganizationId.eq(org))
        .add(C::Kind.eq(kind));
    if let Some(c) = f.customer_id {
        cond = cond.add(C::CustomerId.eq(c));
    }
    if let Some(s) = f.supplier_id {
        cond = cond.add(C::SupplierId.eq(s));
    }
    if let Some(m) = f.method {
        cond = cond.add(C::Method.eq(m));
    }
    if let Some(d) = f.date_from {
        cond = cond.add(C::PaymentDate.gte(d));
    }
    if let Some(d) = f.date_to {
        cond = cond.add(C::PaymentDate.lte(d));
    }
    if f.unallocated == Some(true) {
        cond = cond.add(C::Status.eq(PaymentStatus::Posted)).add(
            Expr::col(C::AllocatedAmount)
                .add(Expr::col(C::RefundedAmount))
                .lt(Expr::col(C::Amount)),
        );
    }
    let query = payment::Entity::find().filter(cond);
    let order = Keyset::<payment::Entity, Uuid>::by_id(C::Id, |m| m.id, true);
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let page = keyset_page(conn, query, order, f.cursor.as_deref(), limit).await?;
    Ok(page.map(|m| payment_out(m, Vec::new(), Vec::new())))
}
