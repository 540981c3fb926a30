//! Sales orders and their fulfilments; a customer's and a product's orders.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use crate::{
    modules::{
        crm::{
            api::customer_exists,
            permissions::*,
            routes::{created, versioned},
            sales::{
                dto::*,
                service::{
                    fulfilments, order_changes,
                    orders::{self, Scope},
                },
            },
        },
        inventory,
    },
    platform::{
        auth::Principal,
        error::{AppError, AppResult},
        extract::{IfMatch, ValidatedJson, ValidatedQuery},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/sales-orders")
            .service(list_orders)
            .service(create_order)
            .service(get_order)
            .service(patch_order)
            .service(confirm_order)
            .service(reserve_order)
            .service(cancel_order)
            .service(create_fulfilment)
            .service(list_fulfilments),
    );
}

/// Sales orders.
///
/// Headers only (`GET /sales-orders/{id}` has the lines), newest first by
/// default; filter by status, customer, product (orders with a line of it)
/// and order-date range.
#[utoipa::path(
    description = ORDERS_READ.requirement(),
    tag = "sales",
    params(SalesOrderFilter),
    responses((status = 200, description = "A page of sales orders", body = Page<SalesOrderSummary>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_orders(
    state: web::Data<AppState>,
    principal: Principal,
    q: ValidatedQuery<SalesOrderFilter>,
) -> AppResult<web::Json<Page<SalesOrderSummary>>> {
    principal.require(ORDERS_READ)?;
    let page = orders::list_orders(&state.db, principal.organization_id, Scope::All, &q.0).await?;
    Ok(web::Json(page))
}

/// Enter a sales order.
///
/// A draft numbered `SO-000001`, ..., priced like a quote; with
/// `"confirm": true` it is confirmed in the same transaction (see
/// `POST /sales-orders/{id}/confirm`). The customer, contact, products,
/// tax rates and warehouse must be the organization's (422 naming the
/// field).
#[utoipa::path(
    description = ORDERS_MANAGE.requirement(),
    tag = "sales",
    request_body = SalesOrderIn,
    responses(
        (status = 201, description = "Entered", body = SalesOrderOut,
            headers(("Location" = String, description = "The new order"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_order(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<SalesOrderIn>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_MANAGE)?;
    let out = orders::create_order(&state, &principal, &body).await?;
    let o = &out.order;
    Ok(created(
        format!("/api/v1/sales-orders/{}", o.id),
        o.version,
        &out,
    ))
}

/// A sales order with its lines.
///
/// Each line shows what is reserved, backordered, delivered and invoiced.
#[utoipa::path(
    description = ORDERS_READ.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Sales order id")),
    responses((status = 200, description = "The order; `ETag` carries its version", body = SalesOrderOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_READ)?;
    let out = orders::get_order(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.order.version, &out))
}

/// Change a sales order.
///
/// Lines (re-priced) and the warehouse only while draft; contact, dates and
/// notes until it is fulfilled or cancelled (409 `invalid_state`).
#[utoipa::path(
    description = ORDERS_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Sales order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = SalesOrderPatch,
    responses(
        (status = 200, description = "Changed", body = SalesOrderOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<SalesOrderPatch>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_MANAGE)?;
    let out =
        order_changes::patch_order(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.order.version, &out))
}

/// Confirm a sales order (draft -> confirmed).
///
/// Reserves every stock line in the order's warehouse, all or none: short
/// lines are a 409 `insufficient_stock` whose `errors` name each one
/// (`lines[i].quantity`). With `allow_backorder=true` it reserves what is
/// there and records the rest as backordered. Send an `Idempotency-Key` to
/// retry safely: a replay reserves nothing more.
#[utoipa::path(
    description = ORDERS_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Sales order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being confirmed"),
        ConfirmQuery,
    ),
    responses((status = 200, description = "Confirmed", body = SalesOrderOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/confirm")]
pub(super) async fn confirm_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    q: ValidatedQuery<ConfirmQuery>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_MANAGE)?;
    let backorder = q.0.allow_backorder.unwrap_or(false);
    let out = orders::confirm(&state, &principal, id.into_inner(), backorder, if_match.0).await?;
    Ok(versioned(out.order.version, &out))
}

/// Reserve backorders.
///
/// Reserves what is now in stock of each backordered line of a confirmed or
/// partially fulfilled order; what is still missing stays backordered.
#[utoipa::path(
    description = ORDERS_MANAGE.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Sales order id")),
    responses((status = 200, description = "Reserved", body = SalesOrderOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/reserve")]
pub(super) async fn reserve_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_MANAGE)?;
    let out = order_changes::reserve_backorders(&state, &principal, id.into_inner()).await?;
    Ok(versioned(out.order.version, &out))
}

/// Cancel a sales order.
///
/// From draft, confirmed or partially fulfilled: releases what each line
/// still holds (never what was shipped) and drops its backorder.
#[utoipa::path(
    description = ORDERS_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Sales order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being cancelled"),
    ),
    responses((status = 200, description = "Cancelled", body = SalesOrderOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/cancel")]
pub(super) async fn cancel_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_MANAGE)?;
    let out = order_changes::cancel(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(versioned(out.order.version, &out))
}

/// Ship part of a sales order (a delivery, `DN-000001`, ...).
///
/// Issues the reserved stock of each stock line (a stock `issue` movement
/// referencing the order, costed and posted to the ledger); services and
/// free text are marked delivered. More than remains to ship is 422
/// `over_fulfilment`; more than is reserved (a backorder) is 409
/// `insufficient_stock`. The order becomes `partially_fulfilled`, or
/// `fulfilled` when nothing remains.
#[utoipa::path(
    description = ORDERS_FULFIL.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Sales order id")),
    request_body = FulfilmentIn,
    responses(
        (status = 201, description = "Shipped", body = FulfilmentOut,
            headers(("Location" = String, description = "The order's deliveries"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/fulfilments")]
pub(super) async fn create_fulfilment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<FulfilmentIn>,
) -> AppResult<HttpResponse> {
    principal.require(ORDERS_FULFIL)?;
    let id = id.into_inner();
    let out = fulfilments::create_fulfilment(&state, &principal, id, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales-orders/{id}/fulfilments"),
        ))
        .json(out))
}

/// A sales order's deliveries, oldest first.
#[utoipa::path(
    description = ORDERS_READ.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Sales order id")),
    responses((status = 200, description = "Every delivery of the order", body = Page<FulfilmentOut>)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/fulfilments")]
pub(super) async fn list_fulfilments(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Page<FulfilmentOut>>> {
    principal.require(ORDERS_READ)?;
    let page = fulfilments::list_fulfilments(&state.db, principal.organization_id, id.into_inner())
        .await?;
    Ok(web::Json(page))
}

/// A customer's sales orders.
///
/// The sales-order list for one customer (404 for a customer of another
/// organization), with the same filters.
#[utoipa::path(
    description = ORDERS_READ.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Customer id"), SalesOrderFilter),
    responses((status = 200, description = "A page of the customer's orders", body = Page<SalesOrderSummary>)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/orders")]
pub async fn customer_orders(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    q: ValidatedQuery<SalesOrderFilter>,
) -> AppResult<web::Json<Page<SalesOrderSummary>>> {
    principal.require(ORDERS_READ)?;
    let (org, id) = (principal.organization_id, id.into_inner());
    if !customer_exists(&state.db, org, id).await? {
        return Err(AppError::not_found(
            "No such customer in this organization.",
        ));
    }
    let page = orders::list_orders(&state.db, org, Scope::Customer(id), &q.0).await?;
    Ok(web::Json(page))
}

/// A product's sales orders.
///
/// Orders with a line of the product (404 for a product of another
/// organization), with the same filters.
#[utoipa::path(
    description = ORDERS_READ.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Product id"), SalesOrderFilter),
    responses((status = 200, description = "A page of orders with the product", body = Page<SalesOrderSummary>)),
    security(("bearer_auth" = []))
)]
#[get("/products/{id}/orders")]
pub async fn product_orders(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    q: ValidatedQuery<SalesOrderFilter>,
) -> AppResult<web::Json<Page<SalesOrderSummary>>> {
    principal.require(ORDERS_READ)?;
    let (org, id) = (principal.organization_id, id.into_inner());
    if inventory::api::products(&state.db, org, &[id])
        .await?
        .is_empty()
    {
        return Err(AppError::not_found("No such product in this organization."));
    }
    let page = orders::list_orders(&state.db, org, Scope::Product(id), &q.0).await?;
    Ok(web::Json(page))
}
