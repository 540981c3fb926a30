//! HTTP handlers of billing: extract (card numbers refused) -> authorize ->
//! service -> DTO.

use actix_web::{HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{
    dto::DocumentOut,
    entities::DocKind,
    pdf::{self, PdfDocument, PdfLine},
};
use crate::{
    modules::{auth, crm, inventory},
    platform::{
        error::{AppError, AppResult},
        extract::versioned,
        state::AppState,
    },
};

mod bills;
mod invoices;
mod payments;
mod reports;

/// Mounts the module's routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    invoices::mount(cfg);
    bills::mount(cfg);
    payments::mount(cfg);
    reports::mount(cfg);
}

/// Mounts the billing routes under other modules' prefixes
/// (`/sales-orders/{id}/invoice`, `/customers/{id}/...`): called before
/// those modules' scopes, which would otherwise take the paths.
pub fn configure_foreign(cfg: &mut ServiceConfig) {
    cfg.service(invoices::invoice_sales_order)
        .service(payments::list_methods)
        .service(payments::create_method)
        .service(payments::delete_method)
        .service(reports::customer_statement);
}

/// 200 with the document and its `ETag`.
fn document_response(out: &DocumentOut) -> AppResult<HttpResponse> {
    Ok(versioned(out.summary.version, out))
}

/// The document as a PDF, rendered off the async workers.
async fn pdf_response(state: &AppState, org: Uuid, out: &DocumentOut) -> AppResult<HttpResponse> {
    let s = &out.summary;
    let organization = auth::api::organization_name(&state.db, org).await?;
    let (title, party_label, party) = match s.kind {
        DocKind::Invoice => {
            let id = s.customer_id.unwrap_or_default();
            let c = crm::api::customer(&state.db, org, id).await?;
            ("Invoice", "Bill to", c.map(|c| c.name).unwrap_or_default())
        }
        DocKind::Bill => {
            let id = s.supplier_id.unwrap_or_default();
            let c = inventory::api::supplier(&state.db, org, id).await?;
            (
                "Supplier bill",
                "Supplier",
                c.map(|c| c.name).unwrap_or_default(),
            )
        }
    };
    let doc = PdfDocument {
        title,
        number: s.number.clone(),
        organization,
        party_label,
        party,
        issue_date: s.issue_date,
        due_date: s.due_date,
        currency: s.currency.clone(),
        status: s.status.to_string(),
        lines: out
            .lines
            .iter()
            .map(|l| PdfLine {
                description: l.description.clone(),
                quantity: l.quantity.to_string(),
                unit_price: l.unit_price.to_string(),
                discount: l.discount.to_string(),
                tax: l.tax.to_string(),
                total: l.total.to_string(),
            })
            .collect(),
        subtotal: s.subtotal.to_string(),
        discount_total: s.discount_total.to_string(),
        tax_total: s.tax_total.to_string(),
        total: s.total.to_string(),
        amount_paid: s.amount_paid.to_string(),
        balance_due: s.balance_due.to_string(),
        notes: s.notes.clone(),
    };
    let bytes = web::block(move || pdf::render(&doc))
        .await
        .map_err(AppError::internal)??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{}.pdf\"", s.number),
        ))
        .body(bytes))
}
