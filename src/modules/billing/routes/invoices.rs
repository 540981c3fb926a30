//! Invoices, credit notes and billing a sales order.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{document_response, pdf_response};
use crate::{
    modules::billing::{
        dto::*,
        entities::DocKind,
        permissions::*,
        service::{credit_notes, documents, drafts, issue, order_invoicing},
    },
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{CardSafeJson, CardSafeQuery, IfMatch, accepts, created, versioned},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/invoices")
            .service(list_invoices)
            .service(create_invoice)
            .service(get_invoice)
            .service(patch_invoice)
            .service(delete_invoice)
            .service(issue_invoice)
            .service(void_invoice),
    );
    cfg.service(
        scope("/credit-notes")
            .service(list_credit_notes)
            .service(create_credit_note)
            .service(get_credit_note)
            .service(allocate_credit_note),
    );
}

/// Invoices.
///
/// Headers only, newest first; filter by status, customer, sales order,
/// overdue, issue-date range, total range and text in the number or notes.
#[utoipa::path(
    description = INVOICES_READ.requirement(),
    tag = "billing",
    params(DocumentFilter),
    responses((status = 200, description = "A page of invoices", body = Page<DocumentSummary>)),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_invoices(
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<DocumentFilter>,
) -> AppResult<web::Json<Page<DocumentSummary>>> {
    principal.require(INVOICES_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        documents::list(&state.db, org, DocKind::Invoice, &q.0).await?,
    ))
}

/// Write an invoice.
///
/// A draft numbered `INV-000001`, ...; with `"issue": true` issued in the
/// same transaction (posts Dr receivable / Cr revenue per line / Cr tax).
/// Lines are priced exactly as sales orders are. The due date defaults to
/// the issue date plus the customer's payment terms. A card number anywhere
/// in the body is refused (422 `card_number`).
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    request_body = InvoiceIn,
    responses(
        (status = 201, description = "Written", body = DocumentOut,
            headers(("Location" = String, description = "The new invoice"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_invoice(
    state: web::Data<AppState>,
    principal: Principal,
    body: CardSafeJson<InvoiceIn>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let b = body.into_inner();
    let draft = documents::Draft {
        kind: DocKind::Invoice,
        party_id: b.customer_id,
        sales_order_id: b.sales_order_id,
        purchase_order_id: None,
        supplier_reference: String::new(),
        issue_date: b.issue_date,
        due_date: b.due_date,
        currency: b.currency,
        notes: b.notes,
        lines: b.lines,
        order_lines: Vec::new(),
        issue: b.issue,
    };
    let out = documents::create(&state, &principal, draft).await?;
    let s = &out.summary;
    Ok(created(
        format!("/api/v1/invoices/{}", s.id),
        s.version,
        &out,
    ))
}

/// An invoice, as JSON or as a PDF.
///
/// With `Accept: application/pdf` the answer is a printable PDF of the
/// invoice (organization, customer, lines, totals, due date).
#[utoipa::path(
    description = INVOICES_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses((status = 200, description = "The invoice; `ETag` carries its version",
        content((DocumentOut = "application/json"), (Vec<u8> = "application/pdf")))),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_invoice(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_READ)?;
    let org = principal.organization_id;
    let out = documents::get(&state.db, org, DocKind::Invoice, id.into_inner()).await?;
    if accepts(&req, "application/pdf") {
        return pdf_response(&state, org, &out).await;
    }
    Ok(versioned(out.summary.version, &out))
}

/// Change a draft invoice.
///
/// Dates, notes and lines (re-priced) while draft; 409 `invalid_state`
/// after issue.
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(
        ("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = DocumentPatch,
    responses((status = 200, description = "Changed", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_invoice(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: CardSafeJson<DocumentPatch>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let target = (DocKind::Invoice, id.into_inner(), if_match.0);
    let out = drafts::patch(&state, &principal, target, body.into_inner()).await?;
    Ok(versioned(out.summary.version, &out))
}

/// Delete a draft invoice.
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses((status = 204, description = "Deleted"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_invoice(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    drafts::delete(&state, &principal, DocKind::Invoice, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue an invoice (draft -> issued).
///
/// Posts Dr receivable / Cr revenue per line / Cr tax, dated the issue date
/// (409 `period_closed` in a closed period).
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses((status = 200, description = "Issued", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/issue")]
async fn issue_invoice(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let out = issue::issue(&state, &principal, DocKind::Invoice, id.into_inner()).await?;
    document_response(&out)
}

/// Void an issued invoice.
///
/// Only with nothing paid or credited (409 `invalid_state`); posts the
/// reversal and frees what it billed on a sales order.
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses((status = 200, description = "Voided", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/void")]
async fn void_invoice(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let out = issue::void(&state, &principal, DocKind::Invoice, id.into_inner()).await?;
    document_response(&out)
}

/// Invoice a sales order.
///
/// Bills what is left on each line: ordered (or delivered, with
/// `"basis": "delivered"`) less what was invoiced. Nothing left is 422
/// `nothing_to_invoice`; a draft or cancelled order is 409.
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Sales order id")),
    request_body = OrderInvoiceIn,
    responses(
        (status = 201, description = "Invoiced", body = DocumentOut,
            headers(("Location" = String, description = "The new invoice"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/sales-orders/{id}/invoice")]
pub(super) async fn invoice_sales_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<OrderInvoiceIn>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let out =
        order_invoicing::invoice_order(&state, &principal, id.into_inner(), body.into_inner())
            .await?;
    let s = &out.summary;
    Ok(created(
        format!("/api/v1/invoices/{}", s.id),
        s.version,
        &out,
    ))
}

/// Credit notes.
#[utoipa::path(
    description = INVOICES_READ.requirement(),
    tag = "billing",
    params(CreditNoteFilter),
    responses((status = 200, description = "A page of credit notes (without lines)", body = Page<CreditNoteOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_credit_notes(
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<CreditNoteFilter>,
) -> AppResult<web::Json<Page<CreditNoteOut>>> {
    principal.require(INVOICES_READ)?;
    Ok(web::Json(
        credit_notes::list(&state.db, principal.organization_id, &q.0).await?,
    ))
}

/// Issue a credit note against an invoice.
///
/// Credits some lines (a quantity of each, with their tax) or a net amount
/// (`amount`, no tax): posts Dr revenue, Dr tax / Cr receivable, applies
/// itself to the invoice up to its balance due and leaves the rest as
/// customer credit (`POST /credit-notes/{id}/allocate`). Never more than
/// was invoiced (422 `over_credited`).
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    request_body = CreditNoteIn,
    responses(
        (status = 201, description = "Issued", body = CreditNoteOut,
            headers(("Location" = String, description = "The new credit note"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_credit_note(
    state: web::Data<AppState>,
    principal: Principal,
    body: CardSafeJson<CreditNoteIn>,
) -> AppResult<HttpResponse> {
    principal.require(INVOICES_MANAGE)?;
    let out = credit_notes::create(&state, &principal, body.into_inner()).await?;
    Ok(created(format!("/api/v1/credit-notes/{}", out.id), 1, &out))
}

/// A credit note with its lines and allocations.
#[utoipa::path(
    description = INVOICES_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Credit note id")),
    responses((status = 200, description = "The credit note", body = CreditNoteOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_credit_note(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<CreditNoteOut>> {
    principal.require(INVOICES_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        credit_notes::get(&state.db, org, id.into_inner()).await?,
    ))
}

/// Apply a credit note's remaining credit to invoices.
///
/// Each allocation at most the invoice's balance due, all together at most
/// the credit left (409 `over_allocated`).
#[utoipa::path(
    description = INVOICES_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Credit note id")),
    request_body = AllocateIn,
    responses((status = 200, description = "Applied", body = CreditNoteOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/allocate")]
async fn allocate_credit_note(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<AllocateIn>,
) -> AppResult<web::Json<CreditNoteOut>> {
    principal.require(INVOICES_MANAGE)?;
    let allocs = body
        .0
        .allocations
        .iter()
        .map(|a| (a.invoice_id, a.amount))
        .collect();
    let out = credit_notes::allocate(&state, &principal, id.into_inner(), allocs).await?;
    Ok(web::Json(out))
}
