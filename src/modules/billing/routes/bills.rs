//! Supplier bills.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{document_response, pdf_response};
use crate::{
    modules::billing::{
        dto::*,
        entities::DocKind,
        permissions::*,
        service::{documents, drafts, issue},
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
        scope("/bills")
            .service(list_bills)
            .service(create_bill)
            .service(get_bill)
            .service(patch_bill)
            .service(delete_bill)
            .service(issue_bill)
            .service(void_bill),
    );
}

/// Supplier bills.
///
/// Headers only, newest first; filter by status, supplier, purchase order,
/// overdue, issue-date range, total range and text.
#[utoipa::path(
    description = BILLS_READ.requirement(),
    tag = "billing",
    params(DocumentFilter),
    responses((status = 200, description = "A page of bills", body = Page<DocumentSummary>)),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_bills(
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<DocumentFilter>,
) -> AppResult<web::Json<Page<DocumentSummary>>> {
    principal.require(BILLS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        documents::list(&state.db, org, DocKind::Bill, &q.0).await?,
    ))
}

/// Enter a supplier bill.
///
/// Numbered `BILL-000001`, ...; with `"issue": true` issued at once. A line
/// naming a purchase-order line bills what was received and not billed yet
/// (422 `over_billed` beyond) and posts to goods received not invoiced; a
/// line without one names its expense account. Tax posts to the tax rate's
/// account; the total is credited to payables.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    request_body = BillIn,
    responses(
        (status = 201, description = "Entered", body = DocumentOut,
            headers(("Location" = String, description = "The new bill"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_bill(
    state: web::Data<AppState>,
    principal: Principal,
    body: CardSafeJson<BillIn>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    let b = body.into_inner();
    let draft = documents::Draft {
        kind: DocKind::Bill,
        party_id: b.supplier_id,
        sales_order_id: None,
        purchase_order_id: b.purchase_order_id,
        supplier_reference: b.supplier_reference,
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
    Ok(created(format!("/api/v1/bills/{}", s.id), s.version, &out))
}

/// A supplier bill, as JSON or as a PDF (`Accept: application/pdf`).
#[utoipa::path(
    description = BILLS_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Bill id")),
    responses((status = 200, description = "The bill; `ETag` carries its version",
        content((DocumentOut = "application/json"), (Vec<u8> = "application/pdf")))),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_bill(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_READ)?;
    let org = principal.organization_id;
    let out = documents::get(&state.db, org, DocKind::Bill, id.into_inner()).await?;
    if accepts(&req, "application/pdf") {
        return pdf_response(&state, org, &out).await;
    }
    Ok(versioned(out.summary.version, &out))
}

/// Change a draft bill.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(
        ("id" = Uuid, Path, description = "Bill id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = DocumentPatch,
    responses((status = 200, description = "Changed", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_bill(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: CardSafeJson<DocumentPatch>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    let target = (DocKind::Bill, id.into_inner(), if_match.0);
    let out = drafts::patch(&state, &principal, target, body.into_inner()).await?;
    Ok(versioned(out.summary.version, &out))
}

/// Delete a draft bill.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Bill id")),
    responses((status = 204, description = "Deleted"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_bill(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    drafts::delete(&state, &principal, DocKind::Bill, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a bill (draft -> issued): posts it.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Bill id")),
    responses((status = 200, description = "Issued", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/issue")]
async fn issue_bill(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    let out = issue::issue(&state, &principal, DocKind::Bill, id.into_inner()).await?;
    document_response(&out)
}

/// Void an issued bill with nothing paid: posts the reversal.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Bill id")),
    responses((status = 200, description = "Voided", body = DocumentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/void")]
async fn void_bill(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    let out = issue::void(&state, &principal, DocKind::Bill, id.into_inner()).await?;
    document_response(&out)
}
