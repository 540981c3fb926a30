//! Settling documents: payments and credit notes applied to invoices and
//! bills. Each application is one conditional UPDATE of the document that
//! adds to what is settled only while it stays within the total (and a
//! CHECK constraint backs it), so no concurrency can overpay a document;
//! the source's own counter is conditional the same way.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::documents;
use crate::{
    modules::billing::entities::{DocKind, DocStatus, allocation, invoice},
    platform::{
        error::{AppError, FieldError},
        money::Amount,
    },
};

/// What money settles a document.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A payment received or sent.
    Payment(Uuid),
    /// A credit note.
    CreditNote(Uuid),
}

/// Where the allocations go: the organization, the kind of document, the
/// party and currency they must have, and the request field naming them.
pub struct Target<'a> {
    /// Organization.
    pub org: Uuid,
    /// Invoices or bills.
    pub kind: DocKind,
    /// Their customer or supplier.
    pub party: Uuid,
    /// Their currency.
    pub currency: &'a str,
    /// `invoice_id` or `bill_id`.
    pub field: &'static str,
    /// Who.
    pub actor: Uuid,
}

/// Checks the shape of allocations: amounts above zero, each document once.
/// Returns their sum.
pub fn check(allocs: &[(Uuid, Amount)], field: &str) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    for (i, (id, amount)) in allocs.iter().enumerate() {
        if amount.units() <= 0 {
            errors.push(FieldError::new(
                format!("allocations[{i}].amount"),
                "range",
                "must be more than zero",
            ));
        }
        if allocs[..i].iter().any(|(other, _)| other == id) {
            errors.push(FieldError::new(
                format!("allocations[{i}].{field}"),
                "duplicate",
                "appears more than once",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    allocs
        .iter()
        .try_fold(0_i64, |acc, (_, a)| acc.checked_add(a.units()))
        .ok_or_else(|| AppError::invalid_field("allocations", "overflow", "out of range"))
}

/// 409 `over_allocated`.
pub fn over_allocated(what: &str) -> AppError {
    AppError::conflict("over_allocated", what.to_string())
}

/// Adds `amount` to what is settled on one document, in one conditional
/// UPDATE; the status follows (paid when nothing is left).
async fn settle(
    conn: &impl ConnectionTrait,
    t: &Target<'_>,
    id: Uuid,
    amount: i64,
    on: NaiveDate,
) -> Result<bool, AppError> {
    use invoice::Column as C;
    let after = Expr::col(C::SettledAmount).add(amount);
    let full = after.clone().eq(Expr::col(C::Total));
    let now = super::now();
    let res = invoice::Entity::update_many()
        .col_expr(C::SettledAmount, after.clone())
        .col_expr(
            C::Status,
            Expr::case(full.clone(), Expr::val(DocStatus::Paid.as_str()))
                .finally(Expr::val(DocStatus::PartiallyPaid.as_str()))
                .into(),
        )
        .col_expr(
            C::PaidAt,
            Expr::case(full, Expr::val(now))
                .finally(Expr::col(C::PaidAt))
                .into(),
        )
        .col_expr(
            C::SettledOn,
            Expr::case(
                Expr::col(C::SettledOn)
                    .is_null()
                    .or(Expr::col(C::SettledOn).lt(on)),
                Expr::val(on),
            )
            .finally(Expr::col(C::SettledOn))
            .into(),
        )
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .col_expr(C::UpdatedAt, Expr::val(now))
        .filter(C::OrganizationId.eq(t.org))
        .filter(C::Id.eq(id))
        .filter(C::Kind.eq(t.kind))
        .filter(t.kind.party_column().eq(t.party))
        .filter(C::Currency.eq(t.currency))
        .filter(C::Status.is_in(DocStatus::OPEN.iter().copied()))
        // Written so that no client amount can overflow the arithmetic.
        .filter(Expr::col(C::SettledAmount).lte(Expr::col(C::Total).sub(amount)))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Why allocation `i` to document `id` was refused.
async fn refusal(
    conn: &impl ConnectionTrait,
    t: &Target<'_>,
    i: usize,
    id: Uuid,
) -> Result<AppError, AppError> {
    let field = format!("allocations[{i}].{}", t.field);
    let doc = match documents::find(conn, t.org, t.kind, id).await {
        Ok(d) if d.party_id() == t.party => d,
        _ => {
            return Ok(AppError::invalid_field(
                field,
                "not_found",
                "is not a document of this party",
            ));
        }
    };
    Ok(if doc.currency != t.currency {
        AppError::invalid_field(field, "currency_mismatch", "is in another currency")
    } else if !DocStatus::OPEN.contains(&doc.status) && doc.status != DocStatus::Paid {
        AppError::conflict(
            "invalid_state",
            format!("{} is {} and takes no payment.", doc.number, doc.status),
        )
    } else {
        over_allocated(&format!(
            "Allocation {i} exceeds the balance due of {} ({}).",
            doc.number,
            Amount::from_units(doc.total.units() - doc.settled_amount.units())
        ))
    })
}

/// Applies `allocs` from `source` to documents, each by a conditional
/// update, and records them (the caller has already counted them on the
/// source). Documents are updated in id order, so concurrent allocations
/// over several documents never deadlock.
pub async fn apply(
    conn: &impl ConnectionTrait,
    t: &Target<'_>,
    source: Source,
    on: NaiveDate,
    allocs: &[(Uuid, Amount)],
) -> Result<Vec<allocation::Model>, AppError> {
    let mut order: Vec<usize> = (0..allocs.len()).collect();
    order.sort_by_key(|&i| allocs[i].0);
    for &i in &order {
        let (id, amount) = allocs[i];
        if !settle(conn, t, id, amount.units(), on).await? {
            return Err(refusal(conn, t, i, id).await?);
        }
    }
    let (payment_id, credit_note_id) = match source {
        Source::Payment(id) => (Some(id), None),
        Source::CreditNote(id) => (None, Some(id)),
    };
    let now = super::now();
    let rows: Vec<allocation::Model> = allocs
        .iter()
        .map(|(id, amount)| allocation::Model {
            id: Uuid::now_v7(),
            organization_id: t.org,
            payment_id,
            credit_note_id,
            invoice_id: *id,
            amount: *amount,
            allocated_on: on,
            created_by: Some(t.actor),
            created_at: now,
        })
        .collect();
    if !rows.is_empty() {
        allocation::Entity::insert_many(rows.iter().cloned().map(allocation::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(rows)
}

/// Takes allocations back off their documents and deletes them (a deleted
/// payment): each document's settled amount goes down by a conditional
/// UPDATE and its status back to issued or partially paid.
pub async fn undo(
    conn: &impl ConnectionTrait,
    org: Uuid,
    rows: &[allocation::Model],
) -> Result<(), AppError> {
    use invoice::Column as C;
    let mut sorted: Vec<&allocation::Model> = rows.iter().collect();
    sorted.sort_by_key(|a| a.invoice_id);
    for a in sorted {
        let x = a.amount.units();
        let after = Expr::col(C::SettledAmount).sub(x);
        let done = invoice::Entity::update_many()
            .col_expr(C::SettledAmount, after.clone())
            .col_expr(
                C::Status,
                Expr::case(after.eq(0), Expr::val(DocStatus::Issued.as_str()))
                    .finally(Expr::val(DocStatus::PartiallyPaid.as_str()))
                    .into(),
            )
            .col_expr(C::PaidAt, Expr::val(Option::<chrono::DateTime<Utc>>::None))
            .col_expr(C::Version, Expr::col(C::Version).add(1))
            .col_expr(C::UpdatedAt, Expr::val(super::now()))
            .filter(C::OrganizationId.eq(org))
            .filter(C::Id.eq(a.invoice_id))
            .filter(C::SettledAmount.gte(x))
            .exec(conn)
            .await?;
        if done.rows_affected != 1 {
            return Err(AppError::conflict(
                "concurrent_update",
                "A document this payment settled changed meanwhile; try again.",
            ));
        }
    }
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    allocation::Entity::delete_many()
        .filter(allocation::Column::OrganizationId.eq(org))
        .filter(allocation::Column::Id.is_in(ids))
        .exec(conn)
        .await?;
    Ok(())
}
