//! Payments received and sent, and customers' payment methods.

use actix_web::{HttpResponse, delete, get, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use crate::{
    modules::billing::{
        dto::*,
        entities::PaymentKind,
        permissions::*,
        service::{
            methods,
            payments::{self, PaymentDraft},
        },
    },
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{CardSafeJson, CardSafeQuery, created},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/payments")
            .service(list_payments)
            .service(create_payment)
            .service(get_payment)
            .service(allocate_payment)
            .service(refund_payment)
            .service(delete_payment),
    );
    cfg.service(
        scope("/supplier-payments")
            .service(list_supplier_payments)
            .service(create_supplier_payment)
            .service(get_supplier_payment)
            .service(allocate_supplier_payment)
            .service(refund_supplier_payment)
            .service(delete_supplier_payment),
    );
}

fn made(path: &str, out: &PaymentOut) -> HttpResponse {
    created(format!("/api/v1/{path}/{}", out.id), out.version, out)
}

/// Payments received.
#[utoipa::path(
    description = PAYMENTS_READ.requirement(),
    tag = "billing",
    params(PaymentFilter),
    responses((status = 200, description = "A page of payments (without allocations)", body = Page<PaymentOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_payments(
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<PaymentFilter>,
) -> AppResult<web::Json<Page<PaymentOut>>> {
    principal.require(PAYMENTS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        payments::list(&state.db, org, PaymentKind::Received, &q.0).await?,
    ))
}

/// Record a payment received.
///
/// Numbered `PAY-000001`, ...; posts Dr cash (method `cash`) or bank / Cr
/// receivable for the whole amount. Each allocation settles an open
/// invoice of the customer by a conditional update: beyond an invoice's
/// balance due, or beyond the amount, is 409 `over_allocated` and nothing
/// is recorded. What is not allocated is customer credit. Send an
/// `Idempotency-Key` to retry safely: a retried payment records once.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    request_body = PaymentIn,
    responses(
        (status = 201, description = "Recorded", body = PaymentOut,
            headers(("Location" = String, description = "The new payment"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_payment(
    state: web::Data<AppState>,
    principal: Principal,
    body: CardSafeJson<PaymentIn>,
) -> AppResult<HttpResponse> {
    principal.require(PAYMENTS_MANAGE)?;
    let b = body.into_inner();
    let draft = PaymentDraft {
        kind: PaymentKind::Received,
        party_id: b.customer_id,
        date: b.payment_date,
        amount: b.amount,
        currency: b.currency,
        method: b.method,
        reference: b.reference,
        notes: b.notes,
        allocations: b
            .allocations
            .iter()
            .map(|a| (a.invoice_id, a.amount))
            .collect(),
    };
    let out = payments::create(&state, &principal, draft).await?;
    Ok(made("payments", &out))
}

/// A payment received, with its allocations and refunds.
#[utoipa::path(
    description = PAYMENTS_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Payment id")),
    responses((status = 200, description = "The payment", body = PaymentOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(PAYMENTS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        payments::get(&state.db, org, PaymentKind::Received, id.into_inner()).await?,
    ))
}

/// Apply a payment's unallocated money to invoices.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Payment id")),
    request_body = AllocateIn,
    responses((status = 200, description = "Applied", body = PaymentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/allocate")]
async fn allocate_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<AllocateIn>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(PAYMENTS_MANAGE)?;
    let allocs = body
        .0
        .allocations
        .iter()
        .map(|a| (a.invoice_id, a.amount))
        .collect();
    let kind = PaymentKind::Received;
    Ok(web::Json(
        payments::allocate(&state, &principal, kind, id.into_inner(), allocs).await?,
    ))
}

/// Refund part of a payment's unallocated money.
///
/// Posts Dr receivable / Cr cash or bank; more than is unallocated is 409
/// `over_refunded`.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Payment id")),
    request_body = RefundIn,
    responses((status = 200, description = "Refunded", body = PaymentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/refund")]
async fn refund_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<RefundIn>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(PAYMENTS_MANAGE)?;
    let kind = PaymentKind::Received;
    let out =
        payments::refund(&state, &principal, kind, id.into_inner(), body.into_inner()).await?;
    Ok(web::Json(out))
}

/// Delete a payment received.
///
/// Its allocations come off their invoices and its posting is reversed; a
/// payment with refunds is 409 `invalid_state`.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Payment id")),
    responses((status = 204, description = "Deleted"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PAYMENTS_MANAGE)?;
    payments::delete(&state, &principal, PaymentKind::Received, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Payments sent to suppliers.
#[utoipa::path(
    description = BILLS_READ.requirement(),
    tag = "billing",
    params(PaymentFilter),
    responses((status = 200, description = "A page of supplier payments", body = Page<PaymentOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_supplier_payments(
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<PaymentFilter>,
) -> AppResult<web::Json<Page<PaymentOut>>> {
    principal.require(BILLS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        payments::list(&state.db, org, PaymentKind::Sent, &q.0).await?,
    ))
}

/// Record a payment to a supplier.
///
/// Numbered `SPAY-000001`, ...; posts Dr payable / Cr bank (cash for
/// method `cash`); allocations settle the supplier's open bills as payments
/// settle invoices.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    request_body = SupplierPaymentIn,
    responses(
        (status = 201, description = "Recorded", body = PaymentOut,
            headers(("Location" = String, description = "The new payment"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_supplier_payment(
    state: web::Data<AppState>,
    principal: Principal,
    body: CardSafeJson<SupplierPaymentIn>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    let b = body.into_inner();
    let draft = PaymentDraft {
        kind: PaymentKind::Sent,
        party_id: b.supplier_id,
        date: b.payment_date,
        amount: b.amount,
        currency: b.currency,
        method: b.method,
        reference: b.reference,
        notes: b.notes,
        allocations: b
            .allocations
            .iter()
            .map(|a| (a.bill_id, a.amount))
            .collect(),
    };
    let out = payments::create(&state, &principal, draft).await?;
    Ok(made("supplier-payments", &out))
}

/// A supplier payment, with its allocations and refunds.
#[utoipa::path(
    description = BILLS_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Supplier payment id")),
    responses((status = 200, description = "The payment", body = PaymentOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_supplier_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(BILLS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        payments::get(&state.db, org, PaymentKind::Sent, id.into_inner()).await?,
    ))
}

/// Apply a supplier payment's unallocated money to bills.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Supplier payment id")),
    request_body = BillAllocateIn,
    responses((status = 200, description = "Applied", body = PaymentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/allocate")]
async fn allocate_supplier_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<BillAllocateIn>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(BILLS_MANAGE)?;
    let allocs = body
        .0
        .allocations
        .iter()
        .map(|a| (a.bill_id, a.amount))
        .collect();
    let kind = PaymentKind::Sent;
    Ok(web::Json(
        payments::allocate(&state, &principal, kind, id.into_inner(), allocs).await?,
    ))
}

/// Record money a supplier paid back from a payment's unallocated part.
///
/// Posts Dr bank / Cr payable.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Supplier payment id")),
    request_body = RefundIn,
    responses((status = 200, description = "Refunded", body = PaymentOut), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/refund")]
async fn refund_supplier_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<RefundIn>,
) -> AppResult<web::Json<PaymentOut>> {
    principal.require(BILLS_MANAGE)?;
    let kind = PaymentKind::Sent;
    let out =
        payments::refund(&state, &principal, kind, id.into_inner(), body.into_inner()).await?;
    Ok(web::Json(out))
}

/// Delete a supplier payment: its allocations come off, its posting is
/// reversed.
#[utoipa::path(
    description = BILLS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Supplier payment id")),
    responses((status = 204, description = "Deleted"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_supplier_payment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(BILLS_MANAGE)?;
    payments::delete(&state, &principal, PaymentKind::Sent, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A customer's stored payment methods.
#[utoipa::path(
    description = PAYMENTS_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "Payment methods, oldest first", body = Vec<PaymentMethodOut>)),
    security(("bearer_auth" = []))
)]
#[get("/customers/{id}/payment-methods")]
pub(super) async fn list_methods(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<PaymentMethodOut>>> {
    principal.require(PAYMENTS_READ)?;
    let org = principal.organization_id;
    Ok(web::Json(
        methods::list(&state.db, org, id.into_inner()).await?,
    ))
}

/// Store a customer's payment method as the gateway tokenized it.
///
/// Only the gateway, its token, the brand, the last four digits and the
/// expiry are kept. A card number anywhere in the request is refused with
/// 422 `card_number` and never stored, logged or echoed.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Customer id")),
    request_body = PaymentMethodIn,
    responses((status = 201, description = "Stored", body = PaymentMethodOut,
        headers(("Location" = String, description = "The customer's payment methods")))),
    security(("bearer_auth" = []))
)]
#[post("/customers/{id}/payment-methods")]
pub(super) async fn create_method(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: CardSafeJson<PaymentMethodIn>,
) -> AppResult<HttpResponse> {
    principal.require(PAYMENTS_MANAGE)?;
    let customer = id.into_inner();
    let out = methods::create(&state, &principal, customer, body.into_inner()).await?;
    let location = format!("/api/v1/customers/{customer}/payment-methods");
    Ok(created(location, 1, &out))
}

/// Remove a customer's payment method.
#[utoipa::path(
    description = PAYMENTS_MANAGE.requirement(),
    tag = "billing",
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("method_id" = Uuid, Path, description = "Payment method id"),
    ),
    responses((status = 204, description = "Removed")),
    security(("bearer_auth" = []))
)]
#[delete("/customers/{id}/payment-methods/{method_id}")]
pub(super) async fn delete_method(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(PAYMENTS_MANAGE)?;
    let (customer, method) = path.into_inner();
    methods::delete(&state, &principal, customer, method).await?;
    Ok(HttpResponse::NoContent().finish())
}
