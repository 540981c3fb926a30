//! Changing and deleting draft invoices and bills: only drafts change,
//! under `If-Match`, by one conditional update on the version and the draft
//! state; what their lines billed on orders is re-counted.

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::{
    documents::{Draft, Skus, find, header, lines_of, party, priced_rows, record_billing},
    issue, out,
};
use crate::{
    modules::{
        billing::{
            dto::*,
            entities::{DocKind, DocStatus, invoice, invoice_line},
        },
        crm,
    },
    platform::prelude::*,
};

/// Replaces a draft's lines (re-priced, re-counted on purchase-order
/// lines); an invoice billed from a sales order keeps its lines.
async fn replace_lines(
    tx: &DatabaseTransaction,
    doc: &invoice::Model,
    old: &[invoice_line::Model],
    lines: Vec<DocumentLineIn>,
) -> Result<(Vec<invoice_line::Model>, Skus), AppError> {
    let org = doc.organization_id;
    if doc.sales_order_id.is_some() && old.iter().any(|l| l.sales_order_line_id.is_some()) {
        return Err(AppError::invalid_field(
            "lines",
            "billed_from_order",
            "the lines of an invoice billed from a sales order are fixed; delete the draft and bill the order again",
        ));
    }
    record_billing(tx, org, old, -1, crm::api::InvoiceCap::Ordered).await?;
    let draft = Draft {
        kind: doc.kind,
        party_id: doc.party_id(),
        sales_order_id: doc.sales_order_id,
        purchase_order_id: doc.purchase_order_id,
        supplier_reference: String::new(),
        issue_date: None,
        due_date: None,
        currency: None,
        notes: String::new(),
        lines,
        order_lines: Vec::new(),
        issue: false,
    };
    let (rows, skus) = priced_rows(tx, org, &draft, &doc.currency, doc.id).await?;
    record_billing(tx, org, &rows, 1, crm::api::InvoiceCap::Ordered).await?;
    invoice_line::Entity::delete_many()
        .filter(invoice_line::Column::OrganizationId.eq(org))
        .filter(invoice_line::Column::InvoiceId.eq(doc.id))
        .exec(tx)
        .await?;
    invoice_line::Entity::insert_many(rows.iter().cloned().map(invoice_line::ActiveModel::from))
        .exec_without_returning(tx)
        .await?;
    Ok((rows, skus))
}

/// `PATCH /invoices/{id}` and `/bills/{id}`: drafts only, one conditional
/// update on the version (and the draft state).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch(
    state: &AppState,
    p: &Principal,
    (kind, id, if_match): (DocKind, Uuid, Option<i32>),
    input: DocumentPatch,
) -> Result<DocumentOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let doc = find(&tx, org, kind, id).await?;
    if doc.status != DocStatus::Draft {
        return Err(issue::invalid_state(&doc, "changed (only drafts change)"));
    }
    if let Some(v) = if_match
        && v != doc.version
    {
        return Err(tenant::version_mismatch(doc.version, v));
    }
    let old = lines_of(&tx, org, id).await?;
    let mut rows = old.clone();
    let mut skus = None;
    if let Some(lines) = input.lines {
        let (priced, found) = replace_lines(&tx, &doc, &old, lines).await?;
        rows = priced;
        skus = Some(found);
    }
    let party = party(&tx, org, kind, doc.party_id(), kind.party_field()).await?;
    let draft = Draft {
        kind,
        party_id: doc.party_id(),
        sales_order_id: doc.sales_order_id,
        purchase_order_id: doc.purchase_order_id,
        supplier_reference: input
            .supplier_reference
            .unwrap_or(doc.supplier_reference.clone()),
        issue_date: input.issue_date.or(Some(doc.issue_date)),
        due_date: input.due_date.or(Some(doc.due_date)),
        currency: None,
        notes: input.notes.unwrap_or(doc.notes.clone()),
        lines: Vec::new(),
        order_lines: Vec::new(),
        issue: false,
    };
    let mut next = header(org, p, &draft, &party, doc.currency.clone(), &rows)?;
    next.id = id;
    next.number = doc.number.clone();
    next.created_by = doc.created_by;
    next.created_at = doc.created_at;
    next.version = doc.version + 1;
    let active = invoice::ActiveModel {
        issue_date: Set(next.issue_date),
        due_date: Set(next.due_date),
        notes: Set(next.notes.clone()),
        supplier_reference: Set(next.supplier_reference.clone()),
        subtotal: Set(next.subtotal),
        discount_total: Set(next.discount_total),
        tax_total: Set(next.tax_total),
        total: Set(next.total),
        line_count: Set(next.line_count),
        updated_at: Set(next.updated_at),
        version: Set(next.version),
        ..Default::default()
    };
    let done = invoice::Entity::update_many()
        .set(active)
        .filter(invoice::Column::OrganizationId.eq(org))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Version.eq(doc.version))
        .filter(invoice::Column::Status.eq(DocStatus::Draft))
        .exec(&tx)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict(
            "concurrent_update",
            "The document changed meanwhile; read it again.",
        ));
    }
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.{kind}.updated"),
            kind.as_str(),
            id,
            json!({
                "total": next.total, "lines": rows.len(),
            }),
        ),
    )
    .await?;
    let skus = match skus {
        Some(s) => s,
        None => out::skus(&tx, org, &rows).await?,
    };
    tx.commit().await?;
    Ok(out::document(next, &rows, &skus, Vec::new()))
}

/// `DELETE /invoices/{id}` and `/bills/{id}`: drafts only; what they billed
/// on orders is freed.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete(
    state: &AppState,
    p: &Principal,
    kind: DocKind,
    id: Uuid,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let doc = find(&tx, org, kind, id).await?;
    let rows = lines_of(&tx, org, id).await?;
    invoice_line::Entity::delete_many()
        .filter(invoice_line::Column::OrganizationId.eq(org))
        .filter(invoice_line::Column::InvoiceId.eq(id))
        .exec(&tx)
        .await?;
    let gone = invoice::Entity::delete_many()
        .filter(invoice::Column::OrganizationId.eq(org))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Status.eq(DocStatus::Draft))
        .exec(&tx)
        .await?;
    if gone.rows_affected != 1 {
        return Err(issue::invalid_state(
            &doc,
            "deleted (only drafts are; void an issued one)",
        ));
    }
    record_billing(&tx, org, &rows, -1, crm::api::InvoiceCap::Ordered).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.{kind}.deleted"),
            kind.as_str(),
            id,
            json!({
                "number": doc.number,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
