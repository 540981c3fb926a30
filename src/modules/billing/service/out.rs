//! Response shapes of documents, credit notes and payments from their rows.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::documents::lines_of;
use crate::{
    modules::{
        billing::{
            dto::*,
            entities::{DocStatus, allocation, invoice, invoice_line},
        },
        inventory,
    },
    platform::{error::AppError, money::Amount},
};

/// The header of a document as lists show it.
pub fn summary(d: invoice::Model, today: NaiveDate) -> DocumentSummary {
    let balance = Amount::from_units(d.total.units() - d.settled_amount.units());
    DocumentSummary {
        overdue: DocStatus::OPEN.contains(&d.status) && d.due_date < today,
        id: d.id,
        kind: d.kind,
        number: d.number,
        status: d.status,
        customer_id: d.customer_id,
        supplier_id: d.supplier_id,
        sales_order_id: d.sales_order_id,
        purchase_order_id: d.purchase_order_id,
        supplier_reference: d.supplier_reference,
        issue_date: d.issue_date,
        due_date: d.due_date,
        currency: d.currency,
        notes: d.notes,
        subtotal: d.subtotal,
        discount_total: d.discount_total,
        tax_total: d.tax_total,
        total: d.total,
        amount_paid: d.settled_amount,
        credited_amount: d.credited_amount,
        balance_due: balance,
        journal_entry_id: d.journal_entry_id,
        line_count: d.line_count,
        created_by: d.created_by,
        issued_at: d.issued_at,
        paid_at: d.paid_at,
        voided_at: d.voided_at,
        created_at: d.created_at,
        updated_at: d.updated_at,
        version: d.version,
    }
}

/// The SKUs of the products on `rows` (one query).
pub async fn skus(
    conn: &impl ConnectionTrait,
    org: Uuid,
    rows: &[invoice_line::Model],
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut ids: Vec<Uuid> = rows.iter().filter_map(|l| l.product_id).collect();
    ids.sort();
    ids.dedup();
    Ok(inventory::api::products(conn, org, &ids)
        .await?
        .into_values()
        .map(|p| (p.id, p.sku))
        .collect())
}

/// A line as responses show it.
pub fn line(l: &invoice_line::Model, skus: &HashMap<Uuid, String>) -> DocumentLineOut {
    DocumentLineOut {
        id: l.id,
        line_no: l.line_no,
        product_id: l.product_id,
        sku: l.product_id.and_then(|p| skus.get(&p).cloned()),
        description: l.description.clone(),
        quantity: l.quantity,
        unit_price: l.unit_price,
        discount_percent: l.discount_percent,
        tax_rate_id: l.tax_rate_id,
        tax_percent: l.tax_percent,
        subtotal: l.subtotal,
        discount: l.discount,
        tax: l.tax,
        total: l.total,
        account_id: l.account_id,
        sales_order_line_id: l.sales_order_line_id,
        purchase_order_line_id: l.purchase_order_line_id,
        credited_quantity: l.credited_quantity,
    }
}

/// A document with its lines and allocations.
pub fn document(
    d: invoice::Model,
    rows: &[invoice_line::Model],
    skus: &HashMap<Uuid, String>,
    allocations: Vec<AllocationOut>,
) -> DocumentOut {
    DocumentOut {
        summary: summary(d, Utc::now().date_naive()),
        lines: rows.iter().map(|l| line(l, skus)).collect(),
        allocations,
    }
}

/// An allocation as responses show it.
pub fn allocation(a: allocation::Model) -> AllocationOut {
    let (source_type, source_id) = match (a.payment_id, a.credit_note_id) {
        (Some(p), _) => (AllocationSource::Payment, p),
        (None, c) => (AllocationSource::CreditNote, c.unwrap_or_default()),
    };
    AllocationOut {
        id: a.id,
        source_type,
        source_id,
        invoice_id: a.invoice_id,
        amount: a.amount,
        date: a.allocated_on,
    }
}

/// Allocations matching `column = id`, oldest first.
pub async fn allocations_by(
    conn: &impl ConnectionTrait,
    org: Uuid,
    column: allocation::Column,
    id: Uuid,
) -> Result<Vec<AllocationOut>, AppError> {
    Ok(allocation::Entity::find()
        .filter(allocation::Column::OrganizationId.eq(org))
        .filter(column.eq(id))
        .order_by_asc(allocation::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(allocation)
        .collect())
}

/// A stored document with its lines, SKUs and allocations (four queries).
pub async fn with_lines(
    conn: &impl ConnectionTrait,
    d: invoice::Model,
) -> Result<DocumentOut, AppError> {
    let org = d.organization_id;
    let rows = lines_of(conn, org, d.id).await?;
    let skus = skus(conn, org, &rows).await?;
    let allocations = allocations_by(conn, org, allocation::Column::InvoiceId, d.id).await?;
    Ok(document(d, &rows, &skus, allocations))
}
