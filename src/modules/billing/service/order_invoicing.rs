//! `POST /sales-orders/{id}/invoice`: an invoice of what is left to bill on
//! a sales order, on what was ordered or what was delivered. Each line's
//! invoiced quantity grows by a conditional update in `crm` capped by the
//! basis, so two invoices racing for one order never bill a unit twice.

use uuid::Uuid;

use super::documents::{self, Draft};
use crate::{
    modules::{
        billing::{dto::*, entities::DocKind},
        crm::api::{self as crm, InvoiceCap},
    },
    platform::{money::Quantity, prelude::*},
};

/// Bills the order's lines with something left on `basis`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn invoice_order(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: OrderInvoiceIn,
) -> Result<DocumentOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let order = crm::claim_sales_order(&tx, org, id)
        .await?
        .ok_or_else(|| AppError::not_found("No such sales order in this organization."))?;
    if matches!(order.status, "draft" | "cancelled") {
        return Err(AppError::conflict(
            "invalid_state",
            format!(
                "Sales order {} is {} and cannot be invoiced.",
                order.number, order.status
            ),
        ));
    }
    let (cap, basis_name) = match input.basis {
        InvoiceBasis::Ordered => (InvoiceCap::Ordered, "ordered"),
        InvoiceBasis::Delivered => (InvoiceCap::Delivered, "delivered"),
    };
    let mut lines = Vec::new();
    let mut order_lines = Vec::new();
    for l in crm::sales_order_lines(&tx, org, id).await? {
        let basis = match cap {
            InvoiceCap::Ordered => l.quantity,
            InvoiceCap::Delivered => l.delivered_quantity,
        };
        let left = basis.units() - l.invoiced_quantity.units();
        if left <= 0 {
            continue;
        }
        lines.push(DocumentLineIn {
            product_id: l.product_id,
            description: Some(l.description),
            quantity: Quantity::from_units(left),
            unit_price: Some(l.unit_price),
            discount_percent: Some(l.discount_percent),
            tax_rate_id: l.tax_rate_id,
            account_id: None,
            purchase_order_line_id: None,
        });
        order_lines.push(Some(l.id));
    }
    if lines.is_empty() {
        return Err(AppError::invalid_field(
            "basis",
            "nothing_to_invoice",
            format!(
                "nothing {basis_name} on sales order {} is left to invoice",
                order.number
            ),
        )
        .with_code("nothing_to_invoice"));
    }
    let draft = Draft {
        kind: DocKind::Invoice,
        party_id: order.customer_id,
        sales_order_id: Some(id),
        purchase_order_id: None,
        supplier_reference: String::new(),
        issue_date: input.issue_date,
        due_date: input.due_date,
        currency: Some(order.currency),
        notes: input.notes,
        lines,
        order_lines,
        issue: input.issue,
    };
    let out = documents::insert(&tx, p, &draft, cap).await?;
    tx.commit().await?;
    Ok(out)
}
